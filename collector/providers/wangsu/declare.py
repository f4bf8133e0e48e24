"""Shared pieces of Wangsu/CDNetworks declarations: limits, delays, labels, bodies as data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collector.model import RateLimit
from collector.providers.endpoint import Granularity, Query
from collector.providers.wangsu.names import ISP_CODES, PROVINCE_CODES
from collector.providers.wangsu.wire import Level
from collector.timeslices import DAY, format_request_time, granularity_name

# Default settle delay: the reference gives a 5-15 minute data delay for minute data.
DATA_DELAY = 900
PER_5MIN_300 = RateLimit(calls=300, period=300)
PER_5MIN_30 = RateLimit(calls=30, period=300)
# [I] Unverified: the endpoint publishes no limit; the reference's "assume <=300/5min"
# applies. Config `rate_limit` overrides may only lower it.
ASSUMED_300 = RateLimit(calls=300, period=300, assumed=True)
# [I] Unverified: no published limit, and CDNetworks' API overview recommends at most 30
# calls per 5 minutes to a single API (cdnetworks-brand-api.md §10).
ASSUMED_30 = RateLimit(calls=30, period=300, assumed=True)
# Reports older than 183 days are refused ("usually 183 days", reference §5.1).
HISTORY = 183 * 86400
# [?] Client-country data is "best queried at least 24 h old" (reference §5.3): it
# settles a day late, at every slice length.
COUNTRY_DELAY = DAY

# Wangsu edge figures are what the edge served to clients: the `direction` label.
DOWN = ("down",)
COUNTRY_LABELS = ("domain", "country")
# ISP and province labels are read as codes whichever language the answer is in.
ISP_LEVELS = (
    Level(key="ispData", label="isp", names=ISP_CODES),
    Level(key="provinceData", label="province", names=PROVINCE_CODES),
)
# The ISP x province reports aggregate every dimension left out of groupBy.
ISP_GROUP_BY = ("domain", "province", "isp")


def dates(query: Query) -> dict[str, Any]:
    """`dateFrom`/`dateTo` of the query's window, in its offset."""
    return {
        "dateFrom": format_request_time(query.window.start, query.offset_seconds),
        "dateTo": format_request_time(query.window.end, query.offset_seconds),
    }


def slices(*seconds: int, span: int, delay: int = DATA_DELAY) -> tuple[Granularity, ...]:
    """One Granularity per slice length, all with the same span and delay."""
    return tuple(Granularity(seconds=s, max_span=span, data_delay=delay) for s in seconds)


@dataclass(frozen=True, slots=True)
class From:
    """A body value computed from the query: the escape hatch for what no constant says
    (the domain list, the slice length's name, `domainDir` objects, myview dates)."""

    compute: Callable[[Query], Any]


# The query's domains, as a list.
DOMAINS = From(lambda query: list(query.domains))
# `dataInterval`: the slice length's name (1m, 5m, 1h, 1d).
INTERVAL = From(lambda query: granularity_name(query.window.slice_seconds))


@dataclass(frozen=True)
class Body:
    """A request body as data: `dateFrom`/`dateTo` (unless `dates` is False), then
    `fields` in the order they are sent. A field's value is a constant (a tuple is sent
    as a JSON list) or a `From` computed from the query, e.g.
    `Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": ("domain",)})`."""

    fields: Mapping[str, Any] = field(default_factory=dict, hash=False)
    dates: bool = True

    def __call__(self, query: Query) -> dict[str, Any]:
        head = dates(query) if self.dates else {}
        return head | {key: _value(value, query) for key, value in self.fields.items()}


def _value(value: Any, query: Query) -> Any:
    if isinstance(value, From):
        return value.compute(query)
    return list(value) if isinstance(value, tuple) else value
