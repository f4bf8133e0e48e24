"""Shared pieces of Wangsu/CDNetworks declarations: published limits, dates, slice lists."""

from __future__ import annotations

from typing import Any

from collector.model import RateLimit
from collector.providers.endpoint import Granularity, Query
from collector.timeslices import format_request_time

# Default settle delay: the reference gives a 5-15 minute data delay for minute data.
DATA_DELAY = 900
PER_5MIN_300 = RateLimit(calls=300, period=300)
PER_5MIN_30 = RateLimit(calls=30, period=300)
# [I] Unverified: the endpoint publishes no limit; the reference's "assume <=300/5min"
# applies. Config `rate_limit` overrides may only lower it.
ASSUMED_300 = RateLimit(calls=300, period=300, assumed=True)
# Reports older than 183 days are refused ("usually 183 days", reference §5.1).
HISTORY = 183 * 86400


def dates(query: Query) -> dict[str, Any]:
    """`dateFrom`/`dateTo` of the query's window, in its offset."""
    return {
        "dateFrom": format_request_time(query.window.start, query.offset_seconds),
        "dateTo": format_request_time(query.window.end, query.offset_seconds),
    }


def slices(*seconds: int, span: int, delay: int = DATA_DELAY) -> tuple[Granularity, ...]:
    """One Granularity per slice length, all with the same span and delay."""
    return tuple(Granularity(s, span, delay) for s in seconds)
