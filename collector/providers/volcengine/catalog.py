"""The Volcengine Live usage APIs, each declared once: Action, limits, body, wire shape."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from collector.families import BANDWIDTH, TRAFFIC
from collector.model import RateLimit
from collector.providers.endpoint import (
    BodyBuilder,
    Endpoint,
    FanOut,
    Granularity,
    Measure,
    Query,
    WireShape,
)
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
from collector.providers.volcengine.filters import filters_of
from collector.providers.volcengine.wire import (
    COUNT,
    GB,
    GIB,
    MBPS,
    MINUTES,
    RangeTotal,
    ScopedSeries,
    SplitSeries,
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
# Longest single-query span per Aggregation (reference §4.1): 5-minute and finer data
# spans 31 days, hourly and daily data 93 days.
_SPAN = {MINUTE: DAY, 300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY}


def _slices(*seconds: int, delay: int = _USUAL_DELAY) -> tuple[Granularity, ...]:
    return tuple(Granularity(s, _SPAN[s], delay) for s in seconds)


def max_span_for(name: str, granularity: int) -> int:
    """Longest window one call of endpoint `name` may ask for at `granularity` seconds."""
    return CATALOG[name].granularity(granularity).max_span


def data_delay_for(name: str, granularity: int) -> int:
    """Documented data delay of endpoint `name` at `granularity` seconds."""
    return CATALOG[name].granularity(granularity).data_delay


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


# ---- the catalog ----------------------------------------------------------------------


def _spec(
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


_DAILY = _slices(DAY)

CATALOG: dict[str, Endpoint] = {
    spec.name: spec
    for spec in (
        _spec(
            "bandwidth",
            "DescribeLiveBandwidthData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=_slices(300, HOUR, DAY),
            build_body=build_edge_body,
            shape=SplitSeries(
                "BandwidthDataList",
                ("BandwidthDetailDataList",),
                "Domain",
                (
                    Measure("DownBandwidth", BANDWIDTH, MBPS, ("down",)),
                    Measure("UpBandwidth", BANDWIDTH, MBPS, ("up",)),
                ),
            ),
            description="Edge bandwidth, down (pull) and up (push), peak per bucket.",
        ),
        _spec(
            "traffic",
            "DescribeLiveTrafficData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=_slices(300, HOUR, DAY),
            build_body=build_edge_body,
            shape=SplitSeries(
                "TrafficDataList",
                ("TrafficDetailDataList",),
                "Domain",
                (
                    Measure("DownTraffic", TRAFFIC, GB, ("down",)),
                    Measure("UpTraffic", TRAFFIC, GB, ("up",)),
                ),
            ),
            description="Edge traffic, down (pull) and up (push), total per bucket.",
        ),
        _spec(
            "p95_peak_bandwidth",
            "DescribeLiveP95PeakBandwidthData",
            # No DetailField: a per-domain figure takes one call per domain.
            max_domains=1,
            fan_out=FanOut.PER_DOMAIN,
            slices=(Granularity(P95_AGGREGATION, 93 * DAY, _USUAL_DELAY),),
            build_body=build_p95_body,
            shape=RangeTotal(Measure("P95PeakBandwidth", P95_PEAK_BANDWIDTH, MBPS)),
            description="95th-percentile peak bandwidth over the billing month to date.",
            point_at_window_start=True,  # p95_range ends at the window's start
        ),
        _spec(
            "pull_to_push_bandwidth",
            "DescribeLivePullToPushBandwidthData",
            max_domains=0,  # takes GroupList, not domains
            fan_out=FanOut.GROUP_BATCHES,
            slices=_slices(300, HOUR, DAY),
            build_body=build_group_body,
            shape=SplitSeries(
                "BandwidthDataList",
                ("BandwidthDetailDataList",),
                "Group",
                (Measure("UpBandwidth", PULL_TO_PUSH_BANDWIDTH, MBPS),),
            ),
            description="Pull-to-push (relay) upstream bandwidth per task group.",
        ),
        _spec(
            "pull_to_push",
            "DescribeLivePullToPushData",
            max_domains=0,  # takes GroupList, not domains
            fan_out=FanOut.GROUP_BATCHES,
            # [I] Doc default is 86400; the finest (60 s, 1 d span) keeps the counter
            # fresh. The documented delay is 5 min at 60 s, 15 min at 3600/86400.
            slices=(*_slices(MINUTE, delay=5 * MINUTE), *_slices(HOUR, DAY)),
            build_body=build_group_body,
            shape=SplitSeries(
                "PullToPushDataList",
                ("PullToPushDetailDataList",),
                "Group",
                (Measure("Value", PULL_TO_PUSH_DURATION, MINUTES),),
            ),
            description="Pull-to-push task duration per task group.",
        ),
        _spec(
            "record",
            "DescribeLiveRecordData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=_slices(300, HOUR, DAY, delay=7 * HOUR),
            build_body=build_domain_body,
            shape=SplitSeries(
                "RecordDataList",
                ("RecordDetailDataList",),
                "Domain",
                (Measure("Value", RECORDING_CONCURRENT, COUNT),),
            ),
            description="Peak concurrent recordings per bucket.",
        ),
        _spec(
            "transcode",
            "DescribeLiveTranscodeData",
            # No DetailField: a per-domain figure takes one call per domain.
            max_domains=1,
            fan_out=FanOut.PER_DOMAIN,
            slices=_slices(DAY, delay=20 * MINUTE),
            build_body=build_transcode_body,
            shape=ScopedSeries(
                "TranscodeDataList",
                Measure("Duration", TRANSCODE_DURATION, MINUTES),
                "domains",
                ("Resolution", "TranscodeType"),
            ),
            description="Transcoding minutes per day by resolution and transcode type.",
        ),
        _spec(
            "snapshot",
            "DescribeLiveSnapshotData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            # [I] Doc default is 86400; the finest (300 s) keeps the counter fresh.
            slices=_slices(300, HOUR, DAY),
            build_body=build_domain_body,
            # The split list is `SnapshotDetailData` (sic, no `List`); the regular name
            # is accepted too in case the service is ever made consistent.
            shape=SplitSeries(
                "SnapshotDataList",
                ("SnapshotDetailData", "SnapshotDetailDataList"),
                "Domain",
                (Measure("Value", SNAPSHOTS, COUNT),),
            ),
            description="Snapshot count per bucket.",
        ),
        _spec(
            "audit",
            "DescribeLiveAuditData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=_DAILY,
            build_body=build_domain_body,
            shape=SplitSeries(
                "AuditDataList",
                ("AuditDetailDataList",),
                "Domain",
                (Measure("Count", AUDIT_IMAGES, COUNT),),
            ),
            description="Audited snapshot images per day.",
        ),
        _spec(
            "time_shift",
            "DescribeLiveTimeShiftData",
            max_domains=0,  # takes Vhosts, not domains: one call per vhost (no split)
            fan_out=FanOut.PER_VHOST,
            # "Previous day's data available after 08:00" (+08:00): a day bucket ends at
            # local midnight, so it settles 8 h after its end. Buckets are read as
            # start-labelled like every other Live API (one older doc says end of day).
            slices=_slices(DAY, delay=8 * HOUR),
            build_body=build_time_shift_body,
            shape=ScopedSeries(
                "TimeShiftDataList", Measure("Storage", TIME_SHIFT_STORAGE, GIB), "vhosts"
            ),
            description="Time-shift storage per day and vhost.",
        ),
    )
}
