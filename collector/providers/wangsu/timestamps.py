"""Wangsu/CDNetworks response timestamps: end-labelled local times without a zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from collector.timeslices import TimestampError

_WANGSU_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$")


def parse_end_labelled(text: str, offset_seconds: int) -> int:
    """Read a Wangsu/CDNetworks end-labelled timestamp; return the slice end (UTC epoch).

    Forms: `yyyy-MM-dd HH:mm` (1m/5m), `yyyy-MM-dd HH` (1h), `yyyy-MM-dd` (1d,
    the day it labels, so its end is the next local midnight). `24:00` and `24`
    mean midnight at the end of that day. Times carry no zone: they are in the
    request's offset.
    """
    match = _WANGSU_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise TimestampError(f"unrecognised timestamp {text!r}")
    year, month, day, hour, minute, second = match.groups()
    try:
        base = datetime(int(year), int(month), int(day), tzinfo=UTC)
    except ValueError as exc:
        raise TimestampError(f"invalid date in {text!r}: {exc}") from None
    if hour is None:
        local = base + timedelta(days=1)
    else:
        h, m, s = int(hour), int(minute or 0), int(second or 0)
        if h > 24 or m > 59 or s > 59 or (h == 24 and (m or s)):
            raise TimestampError(f"invalid time of day in {text!r}")
        local = base + timedelta(hours=h, minutes=m, seconds=s)
    return int(local.timestamp()) - offset_seconds
