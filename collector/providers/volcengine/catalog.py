"""The Volcengine Live endpoint catalog: ten usage APIs, their limits and body builders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from collector.families import BANDWIDTH, TRAFFIC
from collector.model import Family, RateLimit
from collector.providers.base import BodyBuilder, EndpointSpec, Parser, Query
from collector.providers.volcengine import parsers
from collector.providers.volcengine.families import (
    AUDIT_IMAGES,
    P95_PEAK_BANDWIDTH,
    PULL_TO_PUSH_BANDWIDTH,
    PULL_TO_PUSH_DURATION,
    RECORDING_CONCURRENT,
    SNAPSHOTS,
    TIME_SHIFT_STORAGE,
    TRANSCODE_DURATION,
)
from collector.timeslices import DAY, HOUR, MINUTE, format_request_time

VERSION = "2023-01-01"
RATE_LIMIT = RateLimit(30, 1)  # 30 requests/second per account, per API (reference §4.1)
HISTORY = 366 * DAY  # how far back any usage API can be queried
P95_AGGREGATION = 300  # the only Aggregation DescribeLiveP95PeakBandwidthData accepts
# [I] No documented DomainList cap; 100 keeps responses (and a bad call's blast radius) small.
MAX_DOMAINS = 100
# [I] No documented GroupList cap either.
MAX_GROUPS = 100

_USUAL_DELAY = 15 * MINUTE

# Longest single-query span per Aggregation (reference §4.1). EndpointSpec.max_span holds
# the default granularity's; `max_span_for` answers for a configured one.
SPANS: dict[str, dict[int, int]] = {
    "bandwidth": {300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY},
    "traffic": {300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY},
    "p95_peak_bandwidth": {300: 93 * DAY},
    "pull_to_push_bandwidth": {300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY},
    "pull_to_push": {MINUTE: DAY, HOUR: 93 * DAY, DAY: 93 * DAY},
    "record": {300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY},
    "transcode": {DAY: 93 * DAY},
    "snapshot": {300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY},
    "audit": {DAY: 93 * DAY},
    "time_shift": {DAY: 93 * DAY},
}

# Documented data delay per Aggregation where it is shorter than the spec's `data_delay`
# (which holds the longest, so a granularity override can never settle too early).
DELAYS: dict[str, dict[int, int]] = {
    "pull_to_push": {MINUTE: 5 * MINUTE},
}


def max_span_for(name: str, granularity: int) -> int:
    """Longest window one call of endpoint `name` may ask for at `granularity` seconds."""
    try:
        return SPANS[name][granularity]
    except KeyError:
        raise ValueError(f"volcengine {name}: granularity {granularity}s is not allowed") from None


def data_delay_for(name: str, granularity: int) -> int:
    """Documented data delay of endpoint `name` at `granularity` seconds."""
    return DELAYS.get(name, {}).get(granularity, CATALOG[name].data_delay)


# ---- request bodies -------------------------------------------------------------------


def _times(query: Query, aggregation: int | None = None) -> dict[str, Any]:
    window = query.window
    return {
        "StartTime": format_request_time(window.start, query.offset_seconds),
        "EndTime": format_request_time(window.end, query.offset_seconds),
        "Aggregation": aggregation or window.slice_seconds,
    }


def _strings(query: Query, key: str) -> list[str]:
    return [str(v) for v in parsers.option_list(query, key)]


def _domains(query: Query, *, split: bool) -> dict[str, Any]:
    """DomainList, plus DetailField Domain when the split can come back (two or more)."""
    body: dict[str, Any] = {}
    if query.domains:
        body["DomainList"] = list(query.domains)
    if split and len(query.domains) >= 2:
        body["DetailField"] = ["Domain"]
    return body


def _groups(query: Query) -> dict[str, Any]:
    groups = _strings(query, parsers.OPT_GROUPS)
    body: dict[str, Any] = {}
    if groups:
        body["GroupList"] = groups
    if len(groups) >= 2:
        body["DetailField"] = ["Group"]
    return body


def _region(value: Any) -> dict[str, str]:
    """A region filter as the API spells it, from `{"area", "country", "province"}`
    (config model_dump) or the API's own `{"Area", "Country", "Province"}`."""
    if not isinstance(value, dict):
        raise ValueError(f"a region filter must be a mapping, got {value!r}")
    region = {
        api: str(value.get(api) or value.get(api.lower()) or "")
        for api in ("Area", "Country", "Province")
    }
    if not region["Area"]:
        raise ValueError(f"a region filter needs at least an area, got {value!r}")
    return {k: v for k, v in region.items() if v}


def _edge_filters(query: Query, *, isps: bool) -> dict[str, Any]:
    """ProtocolList, ISPList and RegionList | UserRegionList, left out when empty."""
    body: dict[str, Any] = {}
    protocols = _strings(query, parsers.OPT_PROTOCOLS)
    if protocols:
        body["ProtocolList"] = protocols
    if isps:
        isp_list = _strings(query, parsers.OPT_ISPS)
        if isp_list:
            body["ISPList"] = isp_list
    regions = parsers.option_list(query, parsers.OPT_REGIONS)
    user_regions = parsers.option_list(query, parsers.OPT_USER_REGIONS)
    if regions and user_regions:
        raise ValueError("RegionList and UserRegionList are mutually exclusive")
    if regions:
        body["RegionList"] = [_region(r) for r in regions]
    if user_regions:
        body["UserRegionList"] = [_region(r) for r in user_regions]
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
    body = {**_times(query), **_domains(query, split=False)}
    resolutions = _strings(query, parsers.OPT_RESOLUTIONS)
    if resolutions:
        body["Resolution"] = resolutions
    types = _strings(query, parsers.OPT_TRANSCODE_TYPES)
    if types:
        body["TranscodeType"] = types
    return body


def build_time_shift_body(query: Query) -> dict[str, Any]:
    """Time-shift: Vhosts (domain spaces, not domains); no split exists."""
    body = _times(query)
    vhosts = _strings(query, parsers.OPT_VHOSTS)
    if vhosts:
        body["Vhosts"] = vhosts
    return body


# ---- the catalog ----------------------------------------------------------------------


def _spec(
    name: str,
    action: str,
    *,
    max_domains: int,
    granularities: tuple[int, ...],
    data_delay: int,
    families: tuple[Family, ...],
    build_body: BodyBuilder,
    parse: Parser,
    description: str,
) -> EndpointSpec:
    return EndpointSpec(
        name=name,
        path=action,
        method="POST",
        rate_limit=RATE_LIMIT,
        max_domains_per_call=max_domains,
        granularities=granularities,
        max_span=SPANS[name][granularities[0]],
        data_delay=data_delay,
        envelope="volcengine",
        families=families,
        build_body=build_body,
        parse=parse,
        description=description,
    )


CATALOG: dict[str, EndpointSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "bandwidth",
            "DescribeLiveBandwidthData",
            max_domains=MAX_DOMAINS,
            granularities=(300, HOUR, DAY),
            data_delay=_USUAL_DELAY,
            families=(BANDWIDTH,),
            build_body=build_edge_body,
            parse=parsers.parse_bandwidth,
            description="Edge bandwidth, down (pull) and up (push), peak per bucket.",
        ),
        _spec(
            "traffic",
            "DescribeLiveTrafficData",
            max_domains=MAX_DOMAINS,
            granularities=(300, HOUR, DAY),
            data_delay=_USUAL_DELAY,
            families=(TRAFFIC,),
            build_body=build_edge_body,
            parse=parsers.parse_traffic,
            description="Edge traffic, down (pull) and up (push), total per bucket.",
        ),
        _spec(
            "p95_peak_bandwidth",
            "DescribeLiveP95PeakBandwidthData",
            # No DetailField: a per-domain figure takes one call per domain.
            max_domains=1,
            granularities=(P95_AGGREGATION,),
            data_delay=_USUAL_DELAY,
            families=(P95_PEAK_BANDWIDTH,),
            build_body=build_p95_body,
            parse=parsers.parse_p95_peak_bandwidth,
            description="95th-percentile peak bandwidth over the billing month to date.",
        ),
        _spec(
            "pull_to_push_bandwidth",
            "DescribeLivePullToPushBandwidthData",
            max_domains=0,  # takes GroupList (options "groups"), not domains
            granularities=(300, HOUR, DAY),
            data_delay=_USUAL_DELAY,
            families=(PULL_TO_PUSH_BANDWIDTH,),
            build_body=build_group_body,
            parse=parsers.parse_pull_to_push_bandwidth,
            description="Pull-to-push (relay) upstream bandwidth per task group.",
        ),
        _spec(
            "pull_to_push",
            "DescribeLivePullToPushData",
            max_domains=0,  # takes GroupList (options "groups"), not domains
            # [I] Doc default is 86400; the finest (60 s, 1 d span) keeps the counter
            # fresh. The delay is 5 min at 60 s but 15 min at 3600/86400: the spec holds
            # the longer, right for any granularity (data_delay_for has the exact one).
            granularities=(MINUTE, HOUR, DAY),
            data_delay=_USUAL_DELAY,
            families=(PULL_TO_PUSH_DURATION,),
            build_body=build_group_body,
            parse=parsers.parse_pull_to_push,
            description="Pull-to-push task duration per task group.",
        ),
        _spec(
            "record",
            "DescribeLiveRecordData",
            max_domains=MAX_DOMAINS,
            granularities=(300, HOUR, DAY),
            data_delay=7 * HOUR,
            families=(RECORDING_CONCURRENT,),
            build_body=build_domain_body,
            parse=parsers.parse_record,
            description="Peak concurrent recordings per bucket.",
        ),
        _spec(
            "transcode",
            "DescribeLiveTranscodeData",
            # No DetailField: a per-domain figure takes one call per domain.
            max_domains=1,
            granularities=(DAY,),
            data_delay=20 * MINUTE,
            families=(TRANSCODE_DURATION,),
            build_body=build_transcode_body,
            parse=parsers.parse_transcode,
            description="Transcoding minutes per day by resolution and transcode type.",
        ),
        _spec(
            "snapshot",
            "DescribeLiveSnapshotData",
            max_domains=MAX_DOMAINS,
            # [I] Doc default is 86400; the finest (300 s) keeps the counter fresh.
            granularities=(300, HOUR, DAY),
            data_delay=_USUAL_DELAY,
            families=(SNAPSHOTS,),
            build_body=build_domain_body,
            parse=parsers.parse_snapshot,
            description="Snapshot count per bucket.",
        ),
        _spec(
            "audit",
            "DescribeLiveAuditData",
            max_domains=MAX_DOMAINS,
            granularities=(DAY,),
            data_delay=_USUAL_DELAY,
            families=(AUDIT_IMAGES,),
            build_body=build_domain_body,
            parse=parsers.parse_audit,
            description="Audited snapshot images per day.",
        ),
        _spec(
            "time_shift",
            "DescribeLiveTimeShiftData",
            max_domains=0,  # takes Vhosts (options "vhosts"), one call per vhost
            granularities=(DAY,),
            # "Previous day's data available after 08:00" (+08:00): a day bucket ends at
            # local midnight, so it settles 8 h after its end.
            data_delay=8 * HOUR,
            families=(TIME_SHIFT_STORAGE,),
            build_body=build_time_shift_body,
            parse=parsers.parse_time_shift,
            description="Time-shift storage per day and vhost.",
        ),
    )
}
