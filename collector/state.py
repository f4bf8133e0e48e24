"""The state file: counter totals and each endpoint's complete horizon, across restarts.

Pure encoding and decoding, plus the I/O at the bottom: the start-up claim (a regular
file or nothing, locked against a second process), the bounded read, the atomic write.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import math
import os
import secrets
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

FORMAT = "cdn-exporter state"
VERSION = 1
# A state file is a few kilobytes per endpoint; anything far larger is not ours.
MAX_BYTES = 256 * 1024 * 1024
# A horizon this far past the clock is refused: the file was written under a clock that
# ran ahead (or this one was stepped back), and trusting it would freeze the counters.
FUTURE_TOLERANCE = 60.0


class StateError(ValueError):
    """A state file that cannot be used (corrupt, another format or version)."""


class StateFileRefused(OSError):
    """A state path this exporter must not read or replace: not a regular file (a device,
    FIFO, socket, directory or symbolic link), or locked by another process."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class SeriesState:
    """One counter series: its total and the slices after the horizon already added."""

    family: str
    labels: tuple[str, ...]
    total: float
    counted: tuple[tuple[int, float], ...] = ()  # (slice end, value), ends > horizon


@dataclass(frozen=True, slots=True)
class EndpointState:
    """One (provider, account, endpoint): every slice ending at or before `horizon`
    has been added to the totals; after it, exactly the series' `counted` slices."""

    provider: str
    account: str
    endpoint: str
    granularity: int
    offset_seconds: int
    horizon: float
    series: tuple[SeriesState, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.account}/{self.endpoint}"


def encode(
    endpoints: Iterable[EndpointState],
    written_at: float,
    billing: dict[str, Any] | None = None,
) -> bytes:
    """The state file's bytes (JSON; floats round-trip exactly). `billing`: the optional
    billing section (versioned by its writer; a file without it is still version 1)."""
    extra = {} if billing is None else {"billing": billing}
    return orjson.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "written_at": written_at,
            "endpoints": [
                {
                    "provider": e.provider,
                    "account": e.account,
                    "endpoint": e.endpoint,
                    "granularity": e.granularity,
                    "offset_seconds": e.offset_seconds,
                    "horizon": e.horizon,
                    "series": [
                        {
                            "family": s.family,
                            "labels": list(s.labels),
                            "total": s.total,
                            "counted": [list(c) for c in s.counted],
                        }
                        for s in e.series
                    ],
                }
                for e in endpoints
            ],
            **extra,
        },
        option=orjson.OPT_INDENT_2,
    )


def decode(data: bytes) -> list[EndpointState]:
    """Read a state file's bytes; StateError if anything in it is not as written."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StateError("not a cdn-exporter state file")
    if doc.get("version") != VERSION:
        raise StateError(f"version {doc.get('version')!r}, this build reads {VERSION}")
    endpoints = doc.get("endpoints")
    if not isinstance(endpoints, list):
        raise StateError("`endpoints` is not a list")
    result = [_endpoint(item, f"endpoints[{i}]") for i, item in enumerate(endpoints)]
    keys = [e.key for e in result]
    if len(set(keys)) != len(keys):
        raise StateError("an endpoint appears twice")
    return result


def decode_billing(data: bytes) -> dict[str, Any] | None:
    """The billing section of a state file's bytes (None: it has none); StateError if
    the file or the section is not as written."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StateError("not a cdn-exporter state file")
    section = doc.get("billing")
    if section is not None and not isinstance(section, dict):
        raise StateError("`billing` is not an object")
    return section


def _endpoint(item: Any, where: str) -> EndpointState:
    if not isinstance(item, dict):
        raise StateError(f"{where}: not an object")
    series = item.get("series")
    if not isinstance(series, list):
        raise StateError(f"{where}.series: not a list")
    return EndpointState(
        provider=_text(item, "provider", where),
        account=_text(item, "account", where),
        endpoint=_text(item, "endpoint", where),
        granularity=_whole(item.get("granularity"), f"{where}.granularity", positive=True),
        offset_seconds=_whole(item.get("offset_seconds"), f"{where}.offset_seconds"),
        horizon=_finite(item.get("horizon"), f"{where}.horizon"),
        series=tuple(_series(s, f"{where}.series[{i}]") for i, s in enumerate(series)),
    )


def _series(item: Any, where: str) -> SeriesState:
    if not isinstance(item, dict):
        raise StateError(f"{where}: not an object")
    labels = item.get("labels")
    if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
        raise StateError(f"{where}.labels: not a list of strings")
    counted = item.get("counted")
    if not isinstance(counted, list):
        raise StateError(f"{where}.counted: not a list")
    slices = []
    for i, pair in enumerate(counted):
        if not isinstance(pair, list) or len(pair) != 2:
            raise StateError(f"{where}.counted[{i}]: not an [end, value] pair")
        slices.append((_whole(pair[0], f"{where}.counted[{i}]"), _value(pair[1], where)))
    return SeriesState(
        family=_text(item, "family", where),
        labels=tuple(labels),
        total=_value(item.get("total"), f"{where}.total"),
        counted=tuple(slices),
    )


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise StateError(f"{where}.{key}: not a non-empty string")
    return value


def _whole(value: Any, where: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (positive and value <= 0):
        raise StateError(f"{where}: not a{' positive' if positive else ''} whole number")
    return value


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateError(f"{where}: not a number")
    if not math.isfinite(value):
        raise StateError(f"{where}: not finite")
    return float(value)


def _value(value: Any, where: str) -> float:
    number = _finite(value, where)
    if number < 0:
        raise StateError(f"{where}: negative")
    return number


def future_horizons(
    endpoints: Iterable[EndpointState], now: float
) -> tuple[list[EndpointState], list[EndpointState]]:
    """(usable, refused): an endpoint whose horizon lies beyond `now` plus the tolerance
    cannot be from this clock, and adding nothing until the clock catches up would
    freeze its counters, so it starts fresh instead."""
    usable: list[EndpointState] = []
    refused: list[EndpointState] = []
    for endpoint in endpoints:
        (refused if endpoint.horizon > now + FUTURE_TOLERANCE else usable).append(endpoint)
    return usable, refused


# -- I/O at the edge ----------------------------------------------------------------------


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    """What a file of `mode` is, if not a regular file (None if it is)."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def _refusal(path: Path, reason: str) -> StateFileRefused:
    return StateFileRefused([f"state_file: {path}: {reason}"])


def _is(kind: str) -> str:
    return f"is {kind}, not a regular file (the exporter replaces its state file)"


def check(path: Path) -> list[str]:
    """Why `path` cannot be the state file (none if it is a regular file or does not
    exist yet): the exporter replaces it, so it must never be a device, FIFO, socket,
    directory or symbolic link."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [f"state_file: {path}: {exc.strerror}"]
    kind = _not_regular(mode)
    return [] if kind is None else [f"state_file: {path}: {_is(kind)}"]


def lock_path(path: Path) -> Path:
    """The lock file beside the state file (the state file itself is replaced on every
    write, so a lock on it would not outlive the first write)."""
    return path.with_name(f"{path.name}.lock")


class StateFile:
    """The claim on a state file for the process's life: an exclusive lock on the lock
    file beside it, so a second exporter on the same file is refused at start-up
    instead of overwriting this one's state."""

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self._lock_fd: int | None = lock_fd

    @classmethod
    def claim(cls, path: Path) -> StateFile:
        """Check `path` and take its lock; StateFileRefused (every problem) if the path
        is not a regular file, or another process holds the lock."""
        problems = check(path)
        if problems:
            raise StateFileRefused(problems)
        lock = lock_path(path)
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(lock, flags, 0o600)
        except OSError as exc:
            raise _refusal(path, f"cannot open the lock file {lock.name}: {_reason(exc)}") from None
        try:
            kind = _not_regular(os.fstat(fd).st_mode)
            if kind is not None:
                raise _refusal(path, f"the lock file {lock.name} {_is(kind)}")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                raise _refusal(
                    path, f"in use by another exporter (process {holder} holds {lock.name})"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    def close(self) -> None:
        """Release the lock (the lock file stays: removing it would race a new claim)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> StateFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link"
    return exc.strerror or str(exc)


def read_bounded(path: Path) -> bytes:
    """The bytes of the regular file at `path`, never following a link and never
    blocking on a FIFO; StateFileRefused if it is not a regular file or is over
    MAX_BYTES (checked before reading), FileNotFoundError if it does not exist."""
    kind = _not_regular(path.lstat().st_mode)
    if kind is not None:
        raise _refusal(path, _is(kind))
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        kind = _not_regular(status.st_mode)  # swapped in since the lstat
        if kind is not None:
            raise _refusal(path, _is(kind))
        if status.st_size > MAX_BYTES:
            raise _refusal(path, f"is over {MAX_BYTES} bytes: not a state file")
        data = file.read(min(status.st_size, MAX_BYTES) + 1)  # it may have grown since
    if len(data) > MAX_BYTES:
        raise _refusal(path, f"is over {MAX_BYTES} bytes: not a state file")
    return data


def load(path: Path, now: float | None = None) -> list[EndpointState]:
    """The endpoints of the state file at `path`; none (and a log line saying why) if
    it does not exist yet or cannot be used. With `now`, an endpoint whose horizon lies
    in the future is dropped (one log line each) and starts fresh. Never raises: a bad
    state file must not keep the exporter from starting (the start-up claim refuses
    what must never be read)."""
    try:
        data = read_bounded(path)
    except FileNotFoundError:
        log.info("state file %s does not exist yet: counters start at 0", path)
        return []
    except StateFileRefused as exc:
        log.warning("%s: ignored, counters start at 0", exc)
        return []
    except OSError as exc:
        log.warning("state file %s is unreadable (%s): ignored, counters start at 0", path, exc)
        return []
    try:
        endpoints = decode(data)
    except StateError as exc:
        log.warning("state file %s is corrupt (%s): ignored, counters start at 0", path, exc)
        return []
    if now is None:
        return endpoints
    usable, refused = future_horizons(endpoints, now)
    for endpoint in refused:
        log.warning(
            "state file %s: %s is complete through %.0f, %.0fs past this clock's now: "
            "written under a clock that ran ahead; ignored, it starts at 0",
            path,
            endpoint.key,
            endpoint.horizon,
            endpoint.horizon - now,
        )
    return usable


def load_billing(path: Path) -> dict[str, Any] | None:
    """The billing section of the state file at `path` (None: none, or the file is not
    usable, which `load` has already said). Never raises."""
    try:
        return decode_billing(read_bounded(path))
    except (OSError, StateError):
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash at any point leaves the old file or
    the new one, never a mix: a new file beside it (O_EXCL, never through a link),
    fsync, rename, fsync the directory. StateFileRefused if `path` is there and is not
    a regular file: a device, FIFO or link is never replaced."""
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            kind = _not_regular(os.stat(path.name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            kind = None
        if kind is not None:
            raise _refusal(path, _is(kind))
        temporary, fd = _create_beside(path.name, dir_fd)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=dir_fd)
            raise
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _create_beside(name: str, dir_fd: int) -> tuple[str, int]:
    """A new temporary file in the directory `dir_fd` (name, write fd): O_EXCL and
    O_NOFOLLOW, so nothing already there, link or not, is ever opened."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        temporary = f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return temporary, os.open(temporary, flags, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", name)
