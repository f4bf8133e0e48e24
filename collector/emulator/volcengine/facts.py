"""Documented Volcengine Live wire facts per Action, written from the reference and the SDK.

Nothing here comes from the exporter's catalog: `tests/emulator/test_catalog_agreement.py`
compares the two tables. Section numbers are those of
`shared/reference/volcengine-live-api.md` (§4.1 is the summary table); [I] marks what
the reference could not confirm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.model import RateLimit

MINUTE, HOUR, DAY = 60, 3600, 86400

VERSION = "2023-01-01"
SERVICE = "live"
REGION = "cn-north-1"  # ResponseMetadata.Region and the credential scope (§3.1, §2.1)
CST = 8 * HOUR  # every timestamp the service prints is +08:00
# [I] No documented tolerance; X-Expires defaults to 900 s in the query-signing doc (§2.3).
MAX_SKEW = 900
HISTORY = 366 * DAY  # "hist 366 d" (§4.1)
RATE_LIMIT = RateLimit(30, 1)  # 30 requests/second per user and API (§4.1)

# Gateway errors (§3.2): code -> (HTTP status, CodeN or None).
ERRORS: Mapping[str, tuple[int, int | None]] = {
    "MissingParameter": (400, 100002),
    "MissingAuthenticationToken": (401, 100003),
    "InvalidTimestamp": (400, 100006),
    "InvalidActionOrVersion": (404, 100008),
    "InvalidAccessKey": (401, 100009),
    "SignatureDoesNotMatch": (401, 100010),
    "InternalError": (500, 100014),
    "FlowLimitExceeded": (429, 100018),  # [I] code and status inferred (§3.2)
    "InvalidAuthorization": (400, None),
    "InvalidCredential": (400, None),
    "InvalidSecretToken": (401, None),
    "InvalidParameter": (400, None),  # [I] Live's business errors are undocumented
}

PROTOCOLS = ("HTTP-FLV", "HTTP-HLS", "RTMP", "RTM", "SRT", "QUIC")  # ProtocolList (§4.0)
ISPS: Mapping[str, str] = {  # ISPList codes and DescribeLiveISPData names (§4.0)
    "unicom": "联通",
    "railcom": "铁通",
    "telecom": "电信",
    "mobile": "移动",
    "cernet": "教育网",
    "tianwei": "天威",
    "alibaba": "阿里巴巴",
    "tencent": "腾讯",
    "drpeng": "鹏博士",
    "btvn": "广电",
    "huashu": "华数",
}

_EDGE_FILTERS = frozenset(
    {"DomainList", "ProtocolList", "ISPList", "RegionList", "UserRegionList", "DetailField"}
)
_STREAM = frozenset({"App", "Stream"})


@dataclass(frozen=True)
class Slice:
    """One accepted Aggregation: the longest span one call may ask for, and the delay."""

    max_span: int
    data_delay: int


@dataclass(frozen=True)
class ApiFacts:
    """What the reference documents about one usage Action (§4.1, §4.2)."""

    name: str  # the label calls are counted under (ours, not the provider's)
    action: str
    aggregations: Mapping[int, Slice]  # Aggregation seconds -> span and delay
    default_aggregation: int
    detail_fields: frozenset[str]  # DetailField values it accepts
    takes: frozenset[str]  # body fields beyond StartTime, EndTime, Aggregation
    # [I] No DomainList (or GroupList) cap is documented: None means unbounded.
    max_list: int | None = None
    rate_limit: RateLimit = RATE_LIMIT  # per user and API
    # Accepted values of body fields that take one of a fixed set (e.g. Type).
    choices: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Longest span per Aggregation when two or more DetailField dimensions split
    # (health reference §1); empty: the same as unsplit.
    split_spans: Mapping[int, int] = field(default_factory=dict)
    # An API without Aggregation (no series): its longest span and its data delay.
    max_span: int = 0
    data_delay: int = 0


def _slices(*seconds: int, delay: int = 15 * MINUTE) -> dict[int, Slice]:
    """5-minute and finer data spans 31 days (1 day at 60 s), hourly and daily 93 days."""
    spans = {MINUTE: DAY, 300: 31 * DAY, HOUR: 93 * DAY, DAY: 93 * DAY}
    return {s: Slice(spans[s], delay) for s in seconds}


APIS: tuple[ApiFacts, ...] = (
    ApiFacts(
        "bandwidth",
        "DescribeLiveBandwidthData",
        _slices(300, HOUR, DAY),
        300,
        frozenset({"Domain", "ISP", "Protocol"}),
        _EDGE_FILTERS,
    ),
    ApiFacts(
        "traffic",
        "DescribeLiveTrafficData",
        _slices(300, HOUR, DAY),
        300,
        frozenset({"Domain", "ISP", "Protocol"}),
        _EDGE_FILTERS,
    ),
    ApiFacts(
        "p95_peak_bandwidth",
        "DescribeLiveP95PeakBandwidthData",
        {300: Slice(93 * DAY, 15 * MINUTE)},  # "300 only; span 93 d"
        300,
        frozenset(),
        frozenset({"DomainList", "ProtocolList", "RegionList", "UserRegionList"}),
    ),
    ApiFacts(
        "pull_to_push_bandwidth",
        "DescribeLivePullToPushBandwidthData",
        _slices(300, HOUR, DAY),
        300,
        frozenset({"Group"}),
        frozenset({"GroupList", "DetailField"}),
    ),
    ApiFacts(
        "pull_to_push",
        "DescribeLivePullToPushData",
        {**_slices(MINUTE, delay=5 * MINUTE), **_slices(HOUR, DAY)},
        DAY,
        frozenset({"Group"}),
        frozenset({"GroupList", "DetailField"}) | _STREAM,
    ),
    ApiFacts(
        "record",
        "DescribeLiveRecordData",
        _slices(300, HOUR, DAY, delay=7 * HOUR),
        300,
        frozenset({"Domain"}),
        frozenset({"DomainList", "DetailField"}) | _STREAM,
    ),
    ApiFacts(
        "transcode",
        "DescribeLiveTranscodeData",
        _slices(DAY, delay=20 * MINUTE),
        DAY,
        frozenset(),
        frozenset({"DomainList", "Resolution", "TranscodeType"}) | _STREAM,
    ),
    ApiFacts(
        "snapshot",
        "DescribeLiveSnapshotData",
        _slices(300, HOUR, DAY),
        DAY,
        frozenset({"Domain"}),
        frozenset({"DomainList", "DetailField"}) | _STREAM,
    ),
    ApiFacts(
        "audit",
        "DescribeLiveAuditData",
        _slices(DAY),
        DAY,
        frozenset({"Domain"}),
        frozenset({"DomainList", "DetailField"}),
    ),
    ApiFacts(
        "time_shift",
        "DescribeLiveTimeShiftData",
        # "previous day's data available after 08:00": a day ending at 00:00 +08:00
        # shows from 08:00, 8 hours later.
        _slices(DAY, delay=8 * HOUR),
        DAY,
        frozenset(),
        frozenset({"Vhosts"}),
    ),
)

# ---- health and audience APIs (shared/reference/volcengine-health-billing-api.md) -------
# Section numbers below are that reference's. StreamSession and SourceTraffic span 24 h
# at 60 s and 31 d at 300 s and 3600 s; 3 h / 24 h / 7 d with two or more split
# dimensions (§1). Their delay is 5 min at 60 s and 15 min otherwise (§2).
_SESSION_SLICES = {
    MINUTE: Slice(DAY, 5 * MINUTE),
    300: Slice(31 * DAY, 15 * MINUTE),
    HOUR: Slice(31 * DAY, 15 * MINUTE),
}
_SESSION_SPLIT_SPANS = {MINUTE: 3 * HOUR, 300: DAY, HOUR: 7 * DAY}

HEALTH_APIS: tuple[ApiFacts, ...] = (
    ApiFacts(
        "play_status_codes",
        "DescribeLivePlayStatusCodeData",  # §3.1: 60* -> 24 h, 300 -> 31 d, 3600 -> 93 d
        {MINUTE: Slice(DAY, 15 * MINUTE), **_slices(300, HOUR)},
        MINUTE,
        frozenset({"Domain", "ISP"}),
        frozenset({"DomainList", "ISPList", "RegionList", "UserRegionList", "DetailField", "Type"}),
        choices={"Type": frozenset({"Access", "Source"})},
    ),
    ApiFacts(
        "stream_sessions",
        "DescribeLiveStreamSessionData",  # §3.2
        _SESSION_SLICES,
        300,
        frozenset({"Domain", "ISP", "Protocol"}),
        frozenset({"DomainList", "Domain", "ProtocolList", "ISPList", "RegionList", "DetailField"})
        | {"OnlineUserType"}
        | _STREAM,
        choices={"OnlineUserType": frozenset({"Online", "Viewer", "ClientIP"})},
        split_spans=_SESSION_SPLIT_SPANS,
    ),
    ApiFacts(
        "source_traffic",
        "DescribeLiveSourceTrafficData",  # §3.5
        _SESSION_SLICES,
        300,
        frozenset({"Domain", "ISP"}),
        frozenset({"DomainList", "Domain", "ISPList", "UserRegionList", "DetailField"}) | _STREAM,
        split_spans=_SESSION_SPLIT_SPANS,
    ),
)
# DescribeLiveBatchStreamSessionData (§3.3): per stream, no Aggregation and no series,
# span <= 24 h, 5 min delay; paged (PageSize 100-1000); OnlineUserType defaults to Viewer.
BATCH_SESSIONS = ApiFacts(
    "stream_sessions_by_stream",
    "DescribeLiveBatchStreamSessionData",
    {},
    0,
    frozenset(),
    frozenset(
        {"DomainList", "ProtocolList", "ISPList", "RegionList", "OnlineUserType"}
        | {"PageNum", "PageSize"}
    ),
    choices={"OnlineUserType": frozenset({"Online", "Viewer"})},
    max_span=DAY,
    data_delay=5 * MINUTE,
)
PAGE_SIZES = range(100, 1001)
# ListCertV2 (§3.7): no time range, no Aggregation; 10 requests/second per user.
CERT_ACTION = "ListCertV2"
CERT_RATE_LIMIT = RateLimit(10, 1)
CERTIFICATES = ApiFacts(
    "certificates",
    CERT_ACTION,
    {},
    0,
    frozenset(),
    frozenset(
        {"Available", "Expiring", "CertName", "Domain", "ProjectName", "PageNum", "PageSize"}
    ),
    rate_limit=CERT_RATE_LIMIT,
)
APIS = (*APIS, *HEALTH_APIS, BATCH_SESSIONS, CERTIFICATES)
BY_ACTION: Mapping[str, ApiFacts] = {api.action: api for api in APIS}
LOOKUP_ACTIONS = {"DescribeLiveISPData": "isp", "DescribeLiveRegionData": "region"}  # no body
