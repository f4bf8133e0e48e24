"""Documented Wangsu/CDNetworks wire facts per route, written from the reference and the SDK.

Nothing here comes from the exporter's catalog: `tests/emulator/test_catalog_agreement.py`
compares the two tables, so an assumption made wrongly on one side shows up as a
disagreement instead of being made twice. Section numbers are those of
`shared/reference/wangsu-cdnetworks-api.md`; [I] marks what the reference could not confirm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from collector.model import RateLimit

MINUTE, HOUR, DAY = 60, 3600, 86400

HOSTS = ("open.chinanetcenter.com", "api.cdnetworks.com")  # both brands, same routes (§2)
MAX_SKEW = 300  # x-cnc-timestamp within 5 minutes of server time (§3.1)
HISTORY = 183 * DAY  # usual history limit (§5.1)
DEFAULT_OFFSET = 8 * HOUR  # X-Time-Zone default GMT+08:00 (§5.3)
INTERVALS = {"1m": MINUTE, "5m": 5 * MINUTE, "1h": HOUR, "1d": DAY}  # dataInterval (§5.2)

# Error codes of the newer family, HTTP 400, with their documented meanings (§5.7).
DATE_INVALID = ("24102006", "The date specified is invalid.")
DOMAIN_INVALID = ("24102008", "param: domain is null or invalid.")
NOT_ACCEPTABLE = ("24102013", "The Accept header is not acceptable; use json or xml.")
BODY_REQUIRED = ("24102014", "The request body is required, as application/json.")
TOO_MANY_DOMAINS = (
    "24102019",
    "The request was rejected because the number of domain exceeds the limit.",
)
TIME_ZONE_INVALID = ("24102020", "The X-Time-Zone header is invalid.")
DATE_FORMAT = ("24102021", "Date format error.")
SYSTEM_ERROR = ("24102500", "System error")
# Our choice, not a fact: no code is documented for a bad dataInterval, groupBy or
# filter, so this one is made up in the same family.
INVALID_PARAMETER = ("24102001", "A parameter is invalid.")

PER_5MIN_300 = RateLimit(calls=300, period=300)
PER_5MIN_30 = RateLimit(calls=30, period=300)
# [I] The route publishes no limit; the reference says to assume at most 300/5 min (§5.8).
ASSUMED_300 = RateLimit(calls=300, period=300)


class Envelope(StrEnum):
    """How a successful answer wraps its items (§5.7)."""

    RESULT = "result"  # style A: {"result": [...]}
    CODE_DATA = "code-data"  # style B: {"code": "0", "message": "success", "data": [...]}
    DATA = "data"  # {"data": [...]} without code or message (origin response time)
    FLOW_DATA = "flow-data"  # style C: {"flow-summary": .., "flow-data": [...]}
    MYVIEW = "myview"  # the old myview family: {"provider": {.. "date": {..}}}
    SSL_CERTIFICATES = "ssl-certificates"  # the certificate list: {"ssl-certificates": [...]}


@dataclass(frozen=True)
class RouteFacts:
    """What the reference documents about one report route."""

    name: str  # the label calls are counted under (ours, not the provider's)
    path: str
    method: str
    rate_limit: RateLimit
    max_span: int  # longest dateFrom..dateTo one call may ask for, seconds
    max_domains: int  # default per-call domain cap (§5.5)
    # Accepted slice lengths, seconds; the first is the default. With `interval_param`
    # False the route takes no dataInterval and always answers in the first.
    intervals: tuple[int, ...]
    envelope: Envelope
    interval_param: bool = True
    domain_required: bool = False
    group_by: frozenset[str] = frozenset()  # accepted groupBy values
    filters: Mapping[str, str] = field(default_factory=dict)  # dimension -> body key
    # Fields the SDK documents as "not returned by default; ask support to enable".
    on_request_fields: frozenset[str] = frozenset()
    source: str = ""  # reference section
    # Where dates and granularity come from: "body" (dateFrom/dateTo/dataInterval),
    # "query" (dateFrom/dateTo/type in the query string), "query-lower"
    # (datefrom/dateto/type), or "myview" (form-style startdate/enddate/channel).
    params: str = "body"
    # Where the domain list is: "domain" (a list), "domain-list" (domainflow's
    # {"domain-list": {"domain-name": [...]}}), or "channel" (`;`-separated).
    domain_key: str = "domain"
    required_fields: frozenset[str] = frozenset()  # body fields the call must carry
    legacy_errors: bool = False  # InvalidDatePeriod / DateSpanError / NoSuchDomain (§5.7)
    day_dates: bool = False  # myview: startdate/enddate are whole days at any slice length


CORE_ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="flow_request",
        path="/api/report/flow-request",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=200,
        intervals=(5 * MINUTE,),
        interval_param=False,  # "No dataInterval (series is 5-minute)"
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain"}),
        source="§6.1",
    ),
    RouteFacts(
        name="flow_request_origin",
        path="/api/report/flow-request/origin",
        method="POST",
        rate_limit=PER_5MIN_300,
        max_span=DAY,
        max_domains=200,
        intervals=(5 * MINUTE, MINUTE),
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain"}),
        source="§6.2",
    ),
    RouteFacts(
        name="isp_province",
        path="/api/report/flow/isp-province",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain", "isp", "province"}),
        filters={"isp": "isp", "province": "province"},
        source="§6.3",
    ),
    RouteFacts(
        name="hit_rate_isp_province",
        path="/api/report/flow/hit-rate/isp-province",
        method="POST",
        rate_limit=PER_5MIN_30,
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain", "isp", "province"}),
        filters={"isp": "isp", "province": "province"},
        # models.py, ...HitRateData.hit_flow: "默认不返回该字段,需要返回的请联系技术支持".
        on_request_fields=frozenset({"hitFlow"}),
        source="§6.4",
    ),
    RouteFacts(
        name="edge_hit_ratio",
        path="/api/report/flow/edge-hit-ratio/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=200,
        intervals=(MINUTE,),
        interval_param=False,  # "No granularity parameter; series is 1-minute"
        envelope=Envelope.RESULT,
        source="§6.5",
    ),
    RouteFacts(
        name="country_bandwidth",
        path="/api/report/server/country-bandwidth",
        method="POST",
        rate_limit=PER_5MIN_300,
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.CODE_DATA,
        filters={"country": "countryCode"},
        source="§6.8 (CDNetworks reportbandwidth)",
    ),
)

# -- ISP x province routes beyond the first two ----------------------------------------

_ISP_FILTERS = {"isp": "isp", "province": "province"}
_CELLS = frozenset({"domain", "isp", "province"})
# [I] Every route here publishes no rate limit: the assumed 300/5 min (§5.8). queryBy
# (flow | request | bandwidth) is not emulated: every answer is by flow.

ISP_PROVINCE_ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="origin_isp_province",
        path="/api/report/flow/origin/isp-province",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.12; models.py ReportFlowOriginIspProvinceServiceRequest",
    ),
    RouteFacts(
        name="isp_province_byte",
        path="/api/report/flow/isp-province/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,  # the SDK model requires `domain`
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.3 variants; models.py ReportFlowIspProvinceByteServiceRequest",
    ),
    RouteFacts(
        name="origin_isp_province_byte",
        path="/api/report/flow/origin/isp-province/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.12; models.py ReportFlowOriginIspProvinceByteServiceRequest",
    ),
    RouteFacts(
        name="hit_rate_isp_province_byte",
        path="/api/report/flow/hit-rate/isp-province/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I] (the MB report's 30/5 min is not stated for it)
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.4 variants; models.py ReportFlowHitRateIspProvinceByteServiceRequest",
    ),
    RouteFacts(
        name="isp_province_shorttime",
        path="/api/report/flow/isp-province/shorttime",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # The zh text: "允许查询最大间隔：2小时"; the English one says 7 and 2 hours.
        max_span=2 * HOUR,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE, HOUR),
        envelope=Envelope.RESULT,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.3 variants; models.py ReportFlowIspProvinceShortTimeServiceRequest",
    ),
    RouteFacts(
        name="isp_province_total",
        path="/api/report/flow/isp-province/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,
        intervals=(MINUTE, 5 * MINUTE),
        envelope=Envelope.CODE_DATA,
        # groupBy is one string here, "domain" (the default) or "all" (merged), which the
        # list-valued groupBy check cannot read: left out, so the route is per domain,
        # as by default. [I] "all" is not emulated.
        filters=_ISP_FILTERS,
        source="§6.3 variants; models.py ReportFlowIspProvinceTotalServiceRequest",
    ),
    RouteFacts(
        name="isp_province_hit_rate_total",
        path="/api/report/flow/isp-province/hit-rate/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,
        intervals=(MINUTE, 5 * MINUTE),
        envelope=Envelope.CODE_DATA,
        # groupBy: one string, not checked; per domain as by default (as above).
        filters=_ISP_FILTERS,
        source="§6.4 variants; models.py QueryISPProvinceHitRateRequest",
    ),
    RouteFacts(
        name="isp_province_hit_rate_detail",
        path="/api/report/flow/isp-province/hit-rate/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # ≤24 hours, ≤6 hours at 1m: one span per route here, so 1m allows 24 hours.
        max_span=DAY,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE),
        envelope=Envelope.CODE_DATA,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.4 variants; models.py ReportFlowIspProvinceHitRateDetailServiceRequest",
    ),
)

# -- `result` routes beyond the first six --------------------------------------------

RESULT_ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="parent_node",
        path="/api/report/flow/parent-node",
        method="POST",
        rate_limit=PER_5MIN_30,  # README
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE,),  # "support 5m"
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain"}),
        source="§6.6, §5.8",
    ),
    RouteFacts(
        name="protocol",
        path="/api/report/flow/protocol",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE, HOUR, DAY),  # [I] default unstated; 5m assumed
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain"}),
        source="§6.12 (QueryTrafficBySpecificProtocol)",
    ),
    RouteFacts(
        name="client_country",
        path="/api/report/flow/domain-country",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, DAY),
        envelope=Envelope.RESULT,
        domain_required=True,
        # `aggregatedOversea` is documented too; the emulator does not model it, so it
        # is refused with the made-up 24102001 ([?] ours).
        group_by=frozenset({"domain", "country"}),
        filters={"country": "countryCode"},
        source="§6.7",
    ),
    RouteFacts(
        name="exact_domain",
        path="/api/report/flow/exact-domain",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,  # wildcard domains; exactDomain takes up to 200
        intervals=(5 * MINUTE, DAY),
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (ReportFlowExactDomainService)",
    ),
    RouteFacts(
        name="dir_info",
        path="/api/report/flow/dir/info",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,
        max_domains=1,  # domainDir[]: "the default value is 1"
        # Totals over the window, no series; the peak is of 5-minute slices.
        intervals=(5 * MINUTE,),
        interval_param=False,
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (ReportFlowDirInfoService)",
    ),
    RouteFacts(
        name="live_dir",
        path="/api/report/flow/dir/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,  # domainDir[] objects
        intervals=(5 * MINUTE, MINUTE),  # 1m only where support configured it
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (QueryDirectoryBandwidthTrafficUnderLivestreamDomain)",
    ),
    RouteFacts(
        name="stream",
        path="/api/report/flow/stream/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,  # domainStream[] objects
        intervals=(5 * MINUTE, MINUTE),  # 1m only where support configured it
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (QueryStreamTrafficUnderMALBDomain)",
    ),
)

# -- `code`/`message`/`data` routes ---------------------------------------------------

# [I] No route here publishes a rate limit (§5.8: assume at most 300/5 min).
CODE_DATA_ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="up_flow_domain_country",
        path="/api/report/up-flow/domain-country",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,  # "can contact technical support adjustment, up to 31 days"
        max_domains=20,
        intervals=(5 * MINUTE, DAY),  # "Do not pass the default to 5m"
        envelope=Envelope.CODE_DATA,
        # [I] §6.7: "domain [required]" for the download twin; the SDK's upload Request
        # says an omitted domain means all the account's domains (error above 20).
        # `aggregatedOversea` (domestic vs overseas) is accepted and not itemised here.
        group_by=frozenset({"domain", "country", "aggregatedOversea"}),
        filters={"country": "countryCode"},
        source="§6.7 (upload twin); models.py ReportUpFlowDomainCountryService",
    ),
    RouteFacts(
        name="multi_ip_version",
        path="/api/report/flow-request/multi-ip-version",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE, HOUR),
        envelope=Envelope.CODE_DATA,
        group_by=frozenset({"domain"}),
        source="§6.12; models.py ReportFlowRequestMultiIPVersionService",
    ),
    RouteFacts(
        name="bandwidth_saving_ratio",
        path="/api/report/request/saving-bandwidth/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,
        max_domains=200,
        intervals=(DAY, 5 * MINUTE, HOUR),  # "The default is 1d."
        envelope=Envelope.CODE_DATA,
        domain_required=True,  # the SDK's one required Request field
        source="§6.11; models.py QueryRequesBandwidthtSavingRatio",
    ),
    RouteFacts(
        name="p2p_share_ratio",
        path="/api/report/flow/p2p/share-ratio",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE),
        envelope=Envelope.CODE_DATA,
        group_by=frozenset({"domain"}),
        # [I] `platform` (flash, android, ios, h5, windows; default all) is accepted and
        # ignored: the emulated share is the same on every platform.
        source="§6.12; models.py ReportFlowP2pShareRatioService",
    ),
    RouteFacts(
        name="flow_byte",
        path="/api/report/flow/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,
        # No domain parameter: every domain of the account, however many. [I] The
        # 2-year history it documents is not emulated (the usual 183 days apply).
        max_domains=1_000_000,
        intervals=(5 * MINUTE, HOUR, DAY),  # [I] no default documented
        envelope=Envelope.CODE_DATA,
        source="§6.12; models.py QueryDataTransferForAllDomainByte",
    ),
    RouteFacts(
        name="stream_detail",
        path="/api/report/flow-bandwidth/stream/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=10 * MINUTE,  # zh_CN: "dateFrom和dateTo相差不能超过 10 分钟"
        max_domains=20,  # domainStream groups, one domain each
        intervals=(5 * MINUTE, MINUTE),
        envelope=Envelope.CODE_DATA,
        # models.py ...DetailList.online_user: only with isReturnOnline=true at 1m.
        on_request_fields=frozenset({"onlineUser"}),
        # [I] The emulator takes its domains from `domain` like every route, not from
        # `domainStream[].domain` (validation has no per-route domain key): it answers
        # every account domain (at most 20), and ignores dataType (always flow, MB).
        source="§6.12; models.py QueryMultipleStreamTrafficAndBandwidthUnderTheDomain",
    ),
)

# -- legacy `flow-data` and `myview` routes -------------------------------------------

# `type` of the legacy reports (§5.2): default daily.
LEGACY_TYPES = {"fiveminutes": 5 * MINUTE, "hourly": HOUR, "daily": DAY}
# Legacy error codes (§5.7), HTTP 400.
INVALID_HTTP_REQUEST = ("InvalidHTTPRequest", "The request is invalid.")
INVALID_DATE_PERIOD = ("InvalidDatePeriod", "The date period is invalid.")
DATE_SPAN_ERROR = ("DateSpanError", "The date span is too long.")
NO_SUCH_DOMAIN = ("NoSuchDomain", "No such domain.")

LEGACY_ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="account_traffic",
        path="/api/report/flow",
        method="GET",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,  # "cannot be longer than 31 days"
        max_domains=0,  # no domain list: every domain of the account
        intervals=(DAY, 5 * MINUTE, HOUR),  # `type`, default daily
        envelope=Envelope.FLOW_DATA,
        params="query-lower",
        legacy_errors=True,
        source="§6.9; models.py QuerySumUpTrafficUnderAccountParameters",
    ),
    RouteFacts(
        name="domainflow",
        path="/api/report/domainflow",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,
        max_domains=20,  # "default value is 20"
        intervals=(DAY, 5 * MINUTE, HOUR),
        envelope=Envelope.FLOW_DATA,
        domain_required=True,  # domain_list is required in the SDK model
        params="query",
        domain_key="domain-list",
        legacy_errors=True,
        source="§6.10; models.py QueryDomainTotalTraffic*",
    ),
    RouteFacts(
        name="settlement_area",
        path="/api/report/flow/area",
        method="POST",
        rate_limit=PER_5MIN_30,  # README: 30/5 min
        max_span=31 * DAY,
        max_domains=20,  # [I] "all domains if not specified"; no cap is documented
        intervals=(DAY, 5 * MINUTE, HOUR),  # dataInterval, default 1d
        envelope=Envelope.FLOW_DATA,
        required_fields=frozenset({"areaCode"}),
        filters={"area": "areaCode"},  # `;`-separated
        source="§6.12; models.py QueryDomainTrafficUnderSpecificSettlementArea*",
    ),
    RouteFacts(
        name="flow_channel",
        path="/myview/Flowchannel",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,  # [I] not documented
        max_domains=20,  # [I] not documented
        intervals=(5 * MINUTE,),
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        domain_key="channel",
        source="§6.12; models.py FlowChannel*",
    ),
    RouteFacts(
        name="flow_day",
        path="/myview/flow-day",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,  # [I] not documented
        max_domains=20,  # [I] not documented
        intervals=(DAY,),
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        domain_key="channel",
        source="§6.12; models.py FlowDay*",
    ),
    RouteFacts(
        name="vod_transcoding",
        path="/myview/Wctquery",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,  # [I] not documented
        max_domains=0,  # no channel list: the account's transcoding
        intervals=(5 * MINUTE,),  # "5分钟粒度的统计信息"
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        day_dates=True,  # startdate/enddate: yyyy-mm-dd
        filters={"transcoding": "transcoding"},
        source="§6.12; models.py WctQuery*",
    ),
)

# flow/area `areaCode` values (models.py ...SettlementAreaRequest.area_code).
SETTLEMENT_AREAS = ("cn", "nc", "ov", "apac", "am", "euna", "emea", "sa", "af", "au", "hk", "tw")

# Wctquery `transcoding` operation types (models.py WctQueryRequest.transcoding).
TRANSCODING_TYPES = (
    "trans",
    "hevc",
    "audio_trans",
    "encap_trans",
    "vframe",
    "file_op",
    "trans_nbhd",
    "hevc_nbhd",
    "video_enhance",
    "drm",
)
TRANSCODING_GRADES = ("sd240", "sd480", "sd720", "hd1080", "2k", "4k")  # transcodingType

# -------------------------------------------------------------------------------------

ROUTES = (*CORE_ROUTES, *ISP_PROVINCE_ROUTES, *RESULT_ROUTES, *CODE_DATA_ROUTES, *LEGACY_ROUTES)
BY_NAME: Mapping[str, RouteFacts] = {route.name: route for route in ROUTES}
