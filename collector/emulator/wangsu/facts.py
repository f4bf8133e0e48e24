"""Documented Wangsu/CDNetworks wire facts every route shares, and the RouteFacts type.

Each route's own facts are in the `catalog_*` module answering it. Nothing here or
there comes from the exporter's catalog: `tests/emulator/test_catalog_agreement.py`
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
    # /cdn/traffic/relay: {"code": "0", "message": "success", "data": {"report": {..}}}
    CODE_REPORT = "code-report"
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
    # myview: the keys of the first and last date (perzone-billing spells them camelCase),
    # and the answer format without `dataformat`.
    date_keys: tuple[str, str] = ("startdate", "enddate")
    default_format: str = "xml"
    # The slice length's key: `dataInterval` (body) and `type` (query string) on Wangsu's
    # spellings, `granularity` in both places on CDNetworks' renamed routes (§6.9 of
    # cdnetworks-brand-api.md), which refuse the Wangsu key ([?] ours: a client mixing
    # the spellings is caught rather than answered at the default slice length).
    interval_key: str = "dataInterval"


# `type` of the legacy reports (§5.2): default daily.
LEGACY_TYPES = {"fiveminutes": 5 * MINUTE, "hourly": HOUR, "daily": DAY}
# Legacy error codes (§5.7), HTTP 400.
INVALID_HTTP_REQUEST = ("InvalidHTTPRequest", "The request is invalid.")
INVALID_DATE_PERIOD = ("InvalidDatePeriod", "The date period is invalid.")
DATE_SPAN_ERROR = ("DateSpanError", "The date span is too long.")
NO_SUCH_DOMAIN = ("NoSuchDomain", "No such domain.")
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
