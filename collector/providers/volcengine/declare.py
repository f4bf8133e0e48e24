"""What the Volcengine Live declarations share: the API version, limits, spans, delays, and
the request bodies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from collector.model import RateLimit
from collector.providers.endpoint import (
    BodyBuilder,
    Endpoint,
    FanOut,
    Granularity,
    Query,
    WireShape,
)
from collector.providers.volcengine.filters import filters_of
from collector.timeslices import DAY, HOUR, MINUTE, format_request_time

VERSION = "2023-01-01"
RATE_LIMIT = RateLimit(30, 1)  # 30 requests/second per account, per API (reference §4.1)
CERT_RATE_LIMIT = RateLimit(10, 1)  # ListCertV2: 10/s (health reference §2)
HISTORY = 366 * DAY  # how far back any usage API can be queried
P95_AGGREGATION = 300  # the only Aggregation DescribeLiveP95PeakBandwidthData accepts
# [I] No documented DomainList cap; 100 keeps responses (and a bad call's blast radius) small.
MAX_DOMAINS = 100
# [I] No documented GroupList cap either.
MAX_GROUPS = 100
BATCH_PAGE_SIZE = 1000  # the largest page (100-1000); streams past it are not read

USUAL_DELAY = 15 * MINUTE
# Longest single-query span per Aggregation (reference §4.1): 5-minute and finer data
# spans 31 days, hourly and daily data 93 days.
_SPAN = {MINUTE: DAY, 300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY}


def live_slices(*seconds: int, delay: int = USUAL_DELAY) -> tuple[Granularity, ...]:
    return tuple(Granularity(s, _SPAN[s], delay) for s in seconds)


# ---- request bodies -------------------------------------------------------------------


def _times(query: Query, aggregation: int | None = None) -> dict[str, Any]:
    window = query.window
    return {
        "StartTime": format_request_time(window.start, query.offset_seconds),
        "EndTime": format_request_time(window.end, query.offset_seconds),
        "Aggregation": aggregation or window.slice_seconds,
    }


def _domains(query: Query, *, split: bool) -> dict[str, Any]:
    """DomainList, plus DetailField Domain when the split can come back (two or more)."""
    body: dict[str, Any] = {}
    if query.domains:
        body["DomainList"] = list(query.domains)
    if split and len(query.domains) >= 2:
        body["DetailField"] = ["Domain"]
    return body


def _groups(query: Query) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if query.scope:
        body["GroupList"] = list(query.scope)
    if len(query.scope) >= 2:
        body["DetailField"] = ["Group"]
    return body


def _edge_filters(query: Query, *, isps: bool) -> dict[str, Any]:
    """ProtocolList, ISPList and RegionList | UserRegionList, left out when empty."""
    filters = filters_of(query.filters)
    body: dict[str, Any] = {}
    if filters.protocols:
        body["ProtocolList"] = list(filters.protocols)
    if isps and filters.isps:
        body["ISPList"] = list(filters.isps)
    if filters.regions:
        body["RegionList"] = [r.wire() for r in filters.regions]
    if filters.user_regions:
        body["UserRegionList"] = [r.wire() for r in filters.user_regions]
    return body


def build_edge_body(query: Query) -> dict[str, Any]:
    """Bandwidth and Traffic: domains split by Domain, plus protocol/ISP/region filters."""
    return {**_times(query), **_domains(query, split=True), **_edge_filters(query, isps=True)}


def billing_month_start(end: int, offset_seconds: int) -> int:
    """Local midnight on the first of the month holding the instant just before `end`."""
    local = datetime.fromtimestamp(end - 1, tz=timezone(timedelta(seconds=offset_seconds)))
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(first.timestamp())


def p95_range(query: Query) -> tuple[int, int]:
    """The billing range a P95 call asks for: month to date, ending at the window's start.

    The window's start lies a settle delay plus re-read margin before the poll, so the
    range holds only settled data and its point (ending there) is settled under any
    delay override. Right after a month turns, the range is the whole previous month.
    """
    end = query.window.start
    return billing_month_start(end, query.offset_seconds), end


def build_p95_body(query: Query) -> dict[str, Any]:
    """P95 over the billing month to date (the account's offset, +08:00 by default)."""
    start, end = p95_range(query)
    return {
        "StartTime": format_request_time(start, query.offset_seconds),
        "EndTime": format_request_time(end, query.offset_seconds),
        "Aggregation": P95_AGGREGATION,
        **_domains(query, split=False),
        **_edge_filters(query, isps=False),
    }


def build_group_body(query: Query) -> dict[str, Any]:
    """Pull-to-push bandwidth and duration: GroupList, split by Group."""
    return {**_times(query), **_groups(query)}


def build_domain_body(query: Query) -> dict[str, Any]:
    """Record, Snapshot and Audit: DomainList split by Domain."""
    return {**_times(query), **_domains(query, split=True)}


def build_transcode_body(query: Query) -> dict[str, Any]:
    """Transcode: DomainList (no split exists) and Resolution/TranscodeType filters."""
    filters = filters_of(query.filters)
    body = {**_times(query), **_domains(query, split=False)}
    if filters.transcode_resolutions:
        body["Resolution"] = list(filters.transcode_resolutions)
    if filters.transcode_types:
        body["TranscodeType"] = list(filters.transcode_types)
    return body


def build_time_shift_body(query: Query) -> dict[str, Any]:
    """Time-shift: Vhosts (domain spaces, not domains); no split exists."""
    body = _times(query)
    if query.scope:
        body["Vhosts"] = list(query.scope)
    return body


def _health_filters(query: Query, *, regions: str) -> dict[str, Any]:
    """ISPList and one region list, for the health APIs: `regions` names the region lists
    the API takes ("both", "RegionList" or "UserRegionList"); protocols it never takes."""
    filters = filters_of(query.filters)
    body: dict[str, Any] = {}
    if filters.isps:
        body["ISPList"] = list(filters.isps)
    if filters.regions and regions in ("both", "RegionList"):
        body["RegionList"] = [r.wire() for r in filters.regions]
    if filters.user_regions and regions in ("both", "UserRegionList"):
        body["UserRegionList"] = [r.wire() for r in filters.user_regions]
    return body


def _status_body(kind: str) -> BodyBuilder:
    """PlayStatusCode: `Type` Access (edge: push and pull requests) or Source (origin)."""

    def build(query: Query) -> dict[str, Any]:
        return {
            **_times(query),
            **_domains(query, split=True),
            **_health_filters(query, regions="both"),
            "Type": kind,
        }

    return build


def build_session_body(query: Query) -> dict[str, Any]:
    """StreamSession: concurrent sessions (`Online`, said explicitly), CDN-node regions."""
    filters = filters_of(query.filters)
    body = {**_times(query), **_domains(query, split=True), "OnlineUserType": "Online"}
    if filters.protocols:
        body["ProtocolList"] = list(filters.protocols)
    return body | _health_filters(query, regions="RegionList")


def build_source_body(query: Query) -> dict[str, Any]:
    """SourceTraffic (origin pulls): ISPs and client regions, no protocols."""
    return {
        **_times(query),
        **_domains(query, split=True),
        **_health_filters(query, regions="UserRegionList"),
    }


def build_batch_session_body(query: Query) -> dict[str, Any]:
    """BatchStreamSession: no Aggregation (the window is one slice), `Online` said
    explicitly (this API defaults to Viewer), the largest page."""
    window = query.window
    filters = filters_of(query.filters)
    body: dict[str, Any] = {
        "StartTime": format_request_time(window.start, query.offset_seconds),
        "EndTime": format_request_time(window.end, query.offset_seconds),
        "OnlineUserType": "Online",
        "PageNum": 1,
        "PageSize": BATCH_PAGE_SIZE,
        **_domains(query, split=False),
    }
    if filters.protocols:
        body["ProtocolList"] = list(filters.protocols)
    return body | _health_filters(query, regions="RegionList")


def build_certificate_body(query: Query) -> dict[str, Any]:
    """ListCertV2 without filters or paging: every certificate of the account."""
    return {}


# ---- the catalog ----------------------------------------------------------------------


def live_endpoint(
    name: str,
    action: str,
    *,
    max_domains: int,
    fan_out: FanOut,
    slices: tuple[Granularity, ...],
    build_body: BodyBuilder,
    shape: WireShape,
    description: str,
    point_at_window_start: bool = False,
) -> Endpoint:
    return Endpoint(
        name=name,
        path=action,
        method="POST",
        history=HISTORY,
        rate_limit=RATE_LIMIT,
        max_domains_per_call=max_domains,
        slices=slices,
        fan_out=fan_out,
        build_body=build_body,
        shape=shape,
        description=description,
        point_at_window_start=point_at_window_start,
    )


DAILY = live_slices(DAY)
