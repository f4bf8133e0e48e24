"""Pure time-slice arithmetic: parse provider timestamps into UTC slice ends."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MINUTE = 60
HOUR = 3600
DAY = 86400

_OFFSET_RE = re.compile(r"^(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})$")


class TimestampError(ValueError):
    """A provider timestamp that cannot be read."""


@dataclass(frozen=True, slots=True)
class Window:
    """A request window [start, end) in epoch seconds, aligned to `slice_seconds`."""

    start: int
    end: int
    slice_seconds: int

    def slice_ends(self) -> range:
        """Ends of every slice the window covers."""
        return range(self.start + self.slice_seconds, self.end + 1, self.slice_seconds)


def parse_offset(text: str) -> int:
    """Parse `+08:00`, `-0530`, `GMT+08:00` or `Z` into seconds east of UTC."""
    text = text.strip()
    if text in ("Z", "z", "UTC", "GMT"):
        return 0
    match = _OFFSET_RE.match(text)
    if not match:
        raise ValueError(f"not a UTC offset: {text!r} (expected e.g. +08:00)")
    sign, hours, minutes = match.groups()
    if int(minutes) > 59:
        raise ValueError(f"not a UTC offset: {text!r} (minutes above 59)")
    seconds = int(hours) * HOUR + int(minutes) * MINUTE
    if seconds > 14 * HOUR:
        raise ValueError(f"UTC offset out of range: {text!r}")
    return -seconds if sign == "-" else seconds


def format_offset(offset_seconds: int) -> str:
    """Format seconds east of UTC as `+08:00`."""
    sign = "-" if offset_seconds < 0 else "+"
    minutes = abs(offset_seconds) // MINUTE
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def align_down(epoch: float, slice_seconds: int, offset_seconds: int = 0) -> int:
    """Round `epoch` down to a slice boundary of the local time at `offset_seconds`.

    Minute and hour slices line up with UTC for whole-hour offsets; day slices
    start at local midnight, which is why the offset matters.
    """
    local = int(epoch) + offset_seconds
    return local - local % slice_seconds - offset_seconds


def align_up(epoch: float, slice_seconds: int, offset_seconds: int = 0) -> int:
    """Round `epoch` up to a slice boundary of the local time at `offset_seconds`."""
    down = align_down(epoch, slice_seconds, offset_seconds)
    return down if down == epoch else down + slice_seconds


def format_request_time(epoch: int, offset_seconds: int) -> str:
    """Format as `yyyy-MM-ddTHH:mm:ss+08:00`, the form both providers accept."""
    local = datetime.fromtimestamp(epoch, tz=timezone(timedelta(seconds=offset_seconds)))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + format_offset(offset_seconds)


def format_local(epoch: int, offset_seconds: int, pattern: str) -> str:
    """Format `epoch` in the local time at `offset_seconds` with a strftime pattern."""
    local = datetime.fromtimestamp(epoch, tz=timezone(timedelta(seconds=offset_seconds)))
    return local.strftime(pattern)


def parse_rfc3339(text: str) -> int:
    """Read an RFC 3339 timestamp with its own offset (`Z` or `±HH:MM`) as UTC epoch."""
    if not isinstance(text, str):
        raise TimestampError(f"timestamp is not a string: {text!r}")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise TimestampError(f"not an RFC 3339 timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        raise TimestampError(f"timestamp has no offset: {text!r}")
    return int(parsed.timestamp())


def split_window(window: Window, max_span: int) -> list[Window]:
    """Split a window into consecutive pieces of at most `max_span` seconds."""
    step = max(window.slice_seconds, max_span - max_span % window.slice_seconds)
    pieces = []
    start = window.start
    while start < window.end:
        end = min(window.end, start + step)
        pieces.append(Window(start=start, end=end, slice_seconds=window.slice_seconds))
        start = end
    return pieces


def parse_duration(value: object) -> int:
    """Read `300`, `"300s"`, `"5m"`, `"1h"` or `"1d"` as whole seconds; anything else
    (null, lists, booleans, NaN, infinities) is a ValueError, never a crash."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected a duration such as 5m or 300")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a finite duration: {value!r}")
    if isinstance(value, (int, float)):
        seconds = int(value)
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", value)
        if not match:
            raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 1h, 1d)")
        number, unit = match.groups()
        seconds = int(number) * {"": 1, "s": 1, "m": MINUTE, "h": HOUR, "d": DAY}[unit]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def granularity_name(slice_seconds: int) -> str:
    """`300` -> `5m`, `3600` -> `1h`: the short name used in HELP and requests."""
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if slice_seconds % size == 0:
            return f"{slice_seconds // size}{unit}"
    return f"{slice_seconds}s"
