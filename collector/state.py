"""The state file: counter totals and each endpoint's complete horizon, across restarts.

Pure encoding and decoding, plus the two pieces of I/O (read at start-up, atomic write
after polls) at the bottom.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

FORMAT = "cdn-exporter state"
VERSION = 1
# A state file is a few kilobytes per endpoint; anything far larger is not ours.
MAX_BYTES = 256 * 1024 * 1024


class StateError(ValueError):
    """A state file that cannot be used (corrupt, another format or version)."""


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


def encode(endpoints: Iterable[EndpointState], written_at: float) -> bytes:
    """The state file's bytes (JSON; floats round-trip exactly)."""
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


# -- I/O at the edge ----------------------------------------------------------------------


def load(path: Path) -> list[EndpointState]:
    """The endpoints of the state file at `path`; none (and a log line saying why) if
    it does not exist yet or cannot be used. Never raises: a bad state file must not
    keep the exporter from starting."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        log.info("state file %s does not exist yet: counters start at 0", path)
        return []
    except OSError as exc:
        log.warning("state file %s is unreadable (%s): ignored, counters start at 0", path, exc)
        return []
    if len(data) > MAX_BYTES:
        log.warning("state file %s is over %d bytes: ignored, counters start at 0", path, MAX_BYTES)
        return []
    try:
        return decode(data)
    except StateError as exc:
        log.warning("state file %s is corrupt (%s): ignored, counters start at 0", path, exc)
        return []


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash at any point leaves the old file or
    the new one, never a mix: a temporary file beside it, fsync, rename, fsync the
    directory."""
    directory = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
