"""The Volcengine Live usage and health APIs, each declared once: Action, limits, body, shape."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

from collector.families import (
    BANDWIDTH,
    CERTIFICATE_DOMAIN,
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_BANDWIDTH,
    ORIGIN_HTTP_RESPONSES,
    ORIGIN_TRAFFIC,
    REQUESTS,
    TRAFFIC,
)
from collector.model import RateLimit
from collector.providers.endpoint import (
    BodyBuilder,
    Endpoint,
    FanOut,
    Granularity,
    Measure,
    Query,
    Unit,
    WireShape,
)
from collector.providers.volcengine.families import (
    AUDIT_IMAGES,
    ONLINE_USERS,
    P95_PEAK_BANDWIDTH,
    PULL_TO_PUSH_BANDWIDTH,
    PULL_TO_PUSH_DURATION,
    RECORDING_CONCURRENT,
    SNAPSHOTS,
    STREAM_ONLINE_USERS,
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
    Certificates,
    RangeTotal,
    ScopedSeries,
    SplitSeries,
    StatusCodes,
    StreamPeaks,
)
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

# StreamSession and SourceTraffic span 24 h at 60 s and 31 days at 300 s and 3600 s
# with at most one split dimension (health reference §1); only Domain splits here.
# Their delay is 5 minutes at 60 s and 15 minutes otherwise.
_SESSION_SLICES = (
    Granularity(300, 31 * DAY, _USUAL_DELAY),
    Granularity(MINUTE, DAY, 5 * MINUTE),
    Granularity(HOUR, 31 * DAY, _USUAL_DELAY),
)
# BatchStreamSession answers one figure per stream for its whole range (at most 24 h),
# 5 minutes late: one slice a call, so the span is the slice.
BATCH_SESSION_SLICES = (
    Granularity(300, 300, 5 * MINUTE),
    Granularity(HOUR, HOUR, 5 * MINUTE),
)
BATCH_PAGE_SIZE = 1000  # the largest page (100-1000); streams past it are not read
# ListCertV2 has no time range: the exporter reads it once an hour as an hourly "slice"
# that is settled as soon as it ends (delay 0) and stamps the snapshot at its end. One
# call covers any window (even a backfill), so the span is never what splits it.
CERTIFICATE_SLICES = (Granularity(HOUR, 31 * DAY, 0),)
UNIX_SECONDS = Unit(1.0, "RFC 3339 read as Unix seconds")
LISTED = Unit(1.0, "1 per listed domain")
# Three declarations read DescribeLivePlayStatusCodeData: each keeps a third of the
# Action's 30/s, so together they never exceed it.
STATUS_RATE_LIMIT = RateLimit(10, 1)


def _status_spec(name: str, kind: str, shape: StatusCodes, description: str) -> Endpoint:
    spec = _spec(
        name,
        "DescribeLivePlayStatusCodeData",
        max_domains=MAX_DOMAINS,
        fan_out=FanOut.DOMAIN_BATCHES,
        # [I] The API's default is 60 s; 5 minutes like the other edge reports.
        slices=_slices(300, MINUTE, HOUR),
        build_body=_status_body(kind),
        shape=shape,
        description=description,
    )
    return dataclasses.replace(spec, rate_limit=STATUS_RATE_LIMIT)


HEALTH: tuple[Endpoint, ...] = (
    _status_spec(
        "status_codes",
        "Access",
        StatusCodes(Measure("Value", HTTP_RESPONSES, COUNT)),
        "Edge (push and pull) responses per status class, from counts per code.",
    ),
    dataclasses.replace(
        _status_spec(
            "status_codes_by_code",
            "Access",
            StatusCodes(Measure("Value", HTTP_RESPONSES_BY_CODE, COUNT), by_code=True),
            "Edge responses per HTTP status code (one series per code seen).",
        ),
        opt_in=True,
    ),
    _status_spec(
        "origin_status_codes",
        "Source",
        StatusCodes(Measure("Value", ORIGIN_HTTP_RESPONSES, COUNT)),
        "Origin-pull responses per status class, from counts per code.",
    ),
    _spec(
        "source_traffic",
        "DescribeLiveSourceTrafficData",
        max_domains=MAX_DOMAINS,
        fan_out=FanOut.DOMAIN_BATCHES,
        slices=_SESSION_SLICES,
        build_body=build_source_body,
        shape=SplitSeries(
            "TrafficDataList",
            ("TrafficDetailDataList",),
            "Domain",
            (
                Measure("Traffic", ORIGIN_TRAFFIC, GB),
                # [?] The unit of Bandwidth is not written; Mbps per the doc's base note.
                Measure("Bandwidth", ORIGIN_BANDWIDTH, MBPS),
            ),
        ),
        description="Origin-pull traffic and bandwidth (DescribeLiveSourceBandwidthData "
        "is deprecated; this one reports both).",
    ),
    _spec(
        "stream_sessions",
        "DescribeLiveStreamSessionData",
        max_domains=MAX_DOMAINS,
        fan_out=FanOut.DOMAIN_BATCHES,
        slices=_SESSION_SLICES,
        build_body=build_session_body,
        shape=SplitSeries(
            "SessionDataList",
            ("SessionDetailDataList",),
            "Domain",
            (
                Measure("OnlineUser", ONLINE_USERS, COUNT),
                Measure("Request", REQUESTS, COUNT),
            ),
        ),
        description="Online users (peak concurrent sessions) and play requests.",
    ),
    dataclasses.replace(
        _spec(
            "stream_sessions_by_stream",
            "DescribeLiveBatchStreamSessionData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=BATCH_SESSION_SLICES,
            build_body=build_batch_session_body,
            shape=StreamPeaks(Measure("PeakOnlineUser", STREAM_ONLINE_USERS, COUNT)),
            description="Online users per stream (one series per stream: set max_series).",
        ),
        opt_in=True,
    ),
    Endpoint(
        name="certificates",
        path="ListCertV2",
        method="POST",
        rate_limit=CERT_RATE_LIMIT,
        max_domains_per_call=0,
        slices=CERTIFICATE_SLICES,
        fan_out=FanOut.ACCOUNT,
        build_body=build_certificate_body,
        shape=Certificates(
            Measure("NotAfter", CERTIFICATE_NOT_AFTER, UNIX_SECONDS),
            Measure("CertDomainList", CERTIFICATE_DOMAIN, LISTED),
        ),
        description="Certificate expiry and the domains each covers, read hourly.",
    ),
)


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
CATALOG.update((spec.name, spec) for spec in HEALTH)
