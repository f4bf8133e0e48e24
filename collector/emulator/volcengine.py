"""Volcengine Live routes: the V4 verifier, the error envelope and the ten usage APIs."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import orjson
from aiohttp import web

from collector.emulator.core import (
    UNKNOWN_ACCOUNT,
    CallResult,
    EmulatedAccount,
    Emulator,
    FaultKind,
    Reject,
)
from collector.emulator.traffic import COUNTRIES, ISPS, PROVINCES, Member, Quantity, unit_hash
from collector.model import GIGABYTE, RateLimit
from collector.providers.volcengine import signing
from collector.providers.volcengine.catalog import (
    CATALOG,
    HISTORY,
    RATE_LIMIT,
    VERSION,
    data_delay_for,
    max_span_for,
)
from collector.timeslices import (
    DAY,
    HOUR,
    TimestampError,
    align_down,
    format_local,
    format_request_time,
    parse_rfc3339,
)

PROVIDER = "volcengine"
SERVICE = "live"
REGION = signing.DEFAULT_REGION
CST = 8 * HOUR  # every timestamp the service prints is +08:00
MAX_SKEW = signing.DEFAULT_MAX_SKEW  # [I] undocumented; see signing.DEFAULT_MAX_SKEW
# The data delay the emulator's own visible_after/final_after stand for: an API with a
# longer documented delay shifts its slices by the difference (Record: 7 h - 15 min).
USUAL_DELAY = 15 * 60
DECIMALS = 6  # GB and Mbps are printed with 6 decimals, so a day's sum is exact to float

# Gateway errors (reference §3.2): code -> (HTTP status, CodeN or None).
ERRORS: Mapping[str, tuple[int, int | None]] = {
    "MissingParameter": (400, 100002),
    "MissingAuthenticationToken": (401, 100003),
    "InvalidTimestamp": (400, 100006),
    "InvalidActionOrVersion": (404, 100008),
    "InvalidAccessKey": (401, 100009),
    "SignatureDoesNotMatch": (401, 100010),
    "InternalError": (500, 100014),
    "FlowLimitExceeded": (429, 100018),  # [I] code and status inferred (reference §3.2)
    "InvalidAuthorization": (400, None),
    "InvalidCredential": (400, None),
    "InvalidSecretToken": (401, None),
    "InvalidParameter": (400, None),  # [I] Live's business errors are undocumented
}
_MESSAGES = {
    "MissingAuthenticationToken": "the request has no Authorization header",
    "InvalidAuthorization": "the Authorization header is malformed",
    "InvalidCredential": "the Credential is not AK/date/cn-north-1/live/request",
    "InvalidAccessKey": "the access key does not exist",
    "InvalidTimestamp": "请求过期或请求的签名时间来自未来 (X-Date is expired or in the future)",
    "InvalidSecretToken": "the security token is invalid",
    "SignatureDoesNotMatch": "the request signature does not match",
}

PROTOCOLS = ("HTTP-FLV", "HTTP-HLS", "RTMP", "RTM", "SRT", "QUIC")
ALL_ISPS: Mapping[str, str] = {
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
# The traffic model's countries grouped into areas; provinces are China's only.
AREAS: Mapping[str, tuple[str, ...]] = {
    "CN": ("cn",),
    "AP": ("hk", "sg"),
    "EU": ("de",),
    "NA": ("us",),
}
_AREA_NAMES = {"CN": "中国大陆", "AP": "亚太", "EU": "欧洲", "NA": "北美"}
_COUNTRY_NAMES = {"cn": "中国", "hk": "中国香港", "sg": "新加坡", "us": "美国", "de": "德国"}
_PROVINCE_NAMES = {"beijing": "北京", "shanghai": "上海", "guangdong": "广东", "zhejiang": "浙江"}
assert set(c for cs in AREAS.values() for c in cs) == set(COUNTRIES)
assert set(_PROVINCE_NAMES) == set(PROVINCES)

# Pull-to-push task groups every emulated account has (GroupList empty means these).
GROUPS = ("relay-main", "relay-backup")
# Transcode outputs per domain: (Resolution, TranscodeType, share of recorded minutes).
TRANSCODES = (("720P", "Normal_H264", 1.0), ("1080P", "ByteHD_H265", 0.5), ("0P", "Audio", 0.25))
FIVE_MINUTES = 300


def _round(value: float) -> float:
    return round(value, DECIMALS)


# -- responses ------------------------------------------------------------------------


def _request_id(now: float) -> str:
    return format_local(int(now), CST, "%Y%m%d%H%M%S") + uuid.uuid4().hex[:18].upper()


def _metadata(action: str, version: str, now: float) -> dict[str, Any]:
    return {
        "RequestId": _request_id(now),
        "Action": action,
        "Version": version,
        "Service": SERVICE,
        "Region": REGION,
    }


def _render(payload: Mapping[str, Any], status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


@dataclass(frozen=True)
class VolcengineDialect:
    """Errors as `ResponseMetadata.Error{CodeN, Code, Message}`, no Result."""

    action: str
    version: str
    emulator: Emulator
    provider: str = PROVIDER

    def error(self, status: int, code: str, message: str) -> web.Response:
        meta = _metadata(self.action, self.version, self.emulator.clock.time())
        error: dict[str, Any] = {"Code": code, "Message": message}
        code_n = ERRORS.get(code, (status, None))[1]
        if code_n is not None:
            error = {"CodeN": code_n, **error}
        return _render({"ResponseMetadata": {**meta, "Error": error}}, status)

    def throttled(self, message: str) -> web.Response:
        return self.error(429, "FlowLimitExceeded", message)

    def fault(self, kind: FaultKind) -> web.Response:
        if kind is FaultKind.THROTTLE:
            return self.throttled("flow limit exceeded (injected)")
        if kind is FaultKind.ERROR_CODE:
            # An Error inside a 200: the Go SDK checks for it, so clients must too.
            return self.error(200, "InternalError", "internal error (injected, HTTP 200)")
        return self.error(500, "InternalError", "internal error (injected)")


_AUTH_CODES = frozenset(
    {
        "MissingAuthenticationToken",
        "InvalidAuthorization",
        "InvalidCredential",
        "InvalidAccessKey",
        "InvalidTimestamp",
        "InvalidSecretToken",
        "SignatureDoesNotMatch",
    }
)


def _reject(code: str, account: EmulatedAccount | None = None) -> Reject:
    """A verifier verdict as the gateway's error, counted as an auth failure."""
    status = ERRORS.get(code, (401, None))[0]
    result = CallResult.AUTH_FAILURE if code in _AUTH_CODES else CallResult.BAD_REQUEST
    return Reject(status, code, _MESSAGES.get(code, code), result, account)


def _bad(message: str, code: str = "InvalidParameter") -> Reject:
    return Reject(400, code, message, CallResult.BAD_REQUEST)


# -- authentication -------------------------------------------------------------------


def authenticate(emulator: Emulator, request: web.Request, body: bytes) -> EmulatedAccount:
    """The account a V4-signed request belongs to, or Reject with the gateway's code."""

    def lookup(access_key: str) -> signing.StoredKey | None:
        account = emulator.find_account((PROVIDER,), access_key=access_key)
        if account is None:
            return None
        return signing.StoredKey(account.secret_key, account.session_token)

    verdict = signing.verify(
        request.method,
        request.path,
        request.rel_url.raw_query_string,
        request.headers,
        body,
        lookup,
        emulator.clock.time(),
        region=REGION,
        service=SERVICE,
        max_skew=MAX_SKEW,
    )
    access_key = signing.access_key_of(request.headers)
    account = emulator.find_account((PROVIDER,), access_key=access_key) if access_key else None
    if verdict is not None:
        raise _reject(verdict, account=account)
    assert account is not None  # verify found the key
    return account


# -- validated calls ------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """A validated request: what it asks for and which of its buckets are visible."""

    emulator: Emulator
    account: EmulatedAccount
    body: Mapping[str, Any]
    start: int
    end: int
    aggregation: int
    buckets: tuple[tuple[int, float], ...]  # visible (bucket start, revision factor)
    domains: tuple[str, ...]
    isps: tuple[str, ...] | None  # None: no ISPList filter
    protocols: tuple[str, ...] | None
    cells: tuple[Mapping[str, str], ...]  # region cells of the traffic model; ({},): all
    detail: tuple[str, ...]  # DetailField dimensions that split (two or more values)

    @property
    def model_account(self) -> str:
        return self.account.name

    def stamp(self, bucket_start: int) -> str:
        return format_request_time(bucket_start, CST)


def _string_list(body: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(f"{key} must be a list of non-empty strings")
    return tuple(value)


def _time(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if value is None:
        raise _bad(f"{key} is required", "MissingParameter")
    try:
        return parse_rfc3339(value)
    except TimestampError:
        raise _bad(f"{key} must be RFC 3339 with an offset, got {value!r}") from None


def _cells(body: Mapping[str, Any]) -> tuple[Mapping[str, str], ...]:
    """RegionList or UserRegionList as traffic-model cells; ({},) when neither is given."""
    regions, users = body.get("RegionList"), body.get("UserRegionList")
    if regions and users:
        raise _bad("RegionList and UserRegionList cannot be used together")
    entries = regions or users
    if not entries:
        return ({},)
    if not isinstance(entries, list):
        raise _bad("RegionList must be a list of {Area, Country, Province}")
    cells: list[Mapping[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("Area") not in AREAS:
            raise _bad(f"unknown region {entry!r}; see DescribeLiveRegionData")
        countries = AREAS[entry["Area"]]
        country = entry.get("Country")
        province = entry.get("Province")
        if province and not country:
            raise _bad("filtering by Province needs Area and Country")
        if country:
            if str(country).lower() not in countries:
                raise _bad(f"unknown country {country!r} in area {entry['Area']}")
            countries = (str(country).lower(),)
        if province:
            if countries != ("cn",) or province not in PROVINCES:
                raise _bad(f"unknown province {province!r} (China only)")
            cells.append({"country": "cn", "province": str(province)})
        else:
            cells.extend({"country": c} for c in countries)
    return tuple(cells)


def _visible(
    emulator: Emulator, name: str, start: int, end: int, aggregation: int
) -> tuple[tuple[int, float], ...]:
    """Buckets starting in [start, end), aligned to +08:00, that the data delay shows."""
    shift = data_delay_for(name, aggregation) - USUAL_DELAY
    now = emulator.clock.time()
    out = []
    first = align_down(start, aggregation, CST)
    for bucket in range(first, end, aggregation):
        bucket_end = bucket + aggregation
        if bucket_end > now:
            break
        factor = emulator.revision_factor(bucket_end + shift)
        if factor is not None:
            out.append((bucket, factor))
    return tuple(out)


@dataclass(frozen=True)
class _Api:
    """What the emulator needs about one Action beyond its catalog entry."""

    endpoint: str  # catalog name, the call-log key
    action: str
    default_aggregation: int
    detail_fields: frozenset[str]
    takes: frozenset[str]  # filter fields it accepts
    build: Callable[[_Call], dict[str, Any]]


def _validate(api: _Api, emulator: Emulator, account: EmulatedAccount, raw: bytes) -> _Call:
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise _bad("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    now = emulator.clock.time()
    start, end = _time(body, "StartTime"), _time(body, "EndTime")
    if end <= start:
        raise _bad("EndTime must be after StartTime")
    aggregation = body.get("Aggregation", api.default_aggregation)
    allowed = CATALOG[api.endpoint].granularities
    if type(aggregation) is not int or aggregation not in allowed:
        raise _bad(f"Aggregation must be one of {sorted(allowed)}")
    if end - start > max_span_for(api.endpoint, aggregation):
        raise _bad(f"the time span exceeds the limit for Aggregation {aggregation}")
    if start < now - HISTORY:
        raise _bad("StartTime is more than 366 days ago")
    # [I] Whether the service rejects fields an API does not take is unknown; rejecting
    # them here catches an exporter that sends a filter to the wrong API.
    unknown = {k for k in body if k not in api.takes | _COMMON}
    if unknown:
        raise _bad(f"{api.action} does not take {sorted(unknown)}")

    domains = _string_list(body, "DomainList") or ()
    foreign = [d for d in domains if d not in account.domains]
    if foreign:
        raise _bad(f"DomainList has domains not in this account: {foreign}")
    isps = _string_list(body, "ISPList")
    if isps is not None and not set(isps) <= set(ALL_ISPS):
        raise _bad(f"ISPList has unknown ISPs; see DescribeLiveISPData: {isps}")
    protocols = _string_list(body, "ProtocolList")
    if protocols is not None:
        if not set(protocols) <= set(PROTOCOLS):
            raise _bad(f"ProtocolList accepts {list(PROTOCOLS)}")
        if "QUIC" in protocols and len(protocols) > 1:
            raise _bad("QUIC cannot be combined with other protocols")
    fields = _string_list(body, "DetailField") or ()
    if not set(fields) <= api.detail_fields:
        raise _bad(f"DetailField accepts {sorted(api.detail_fields)}")
    lists = {
        "Domain": domains,
        "ISP": isps or (),
        "Protocol": protocols or (),
        "Group": _string_list(body, "GroupList") or (),
    }
    return _Call(
        emulator=emulator,
        account=account,
        body=body,
        start=start,
        end=end,
        aggregation=aggregation,
        buckets=_visible(emulator, api.endpoint, start, end, aggregation),
        domains=domains or account.domains,
        isps=isps,
        protocols=protocols,
        cells=_cells(body),
        # A split comes back only when its filter list has two or more values.
        detail=tuple(f for f in fields if len(lists[f]) >= 2),
    )


_COMMON = frozenset({"StartTime", "EndTime", "Aggregation"})


# -- values ---------------------------------------------------------------------------


def _protocol_share(account: str, protocols: Sequence[str] | None) -> float:
    """The share of an account's traffic on `protocols` (all of it without a filter)."""
    if protocols is None:
        return 1.0
    weights = {p: 0.2 + unit_hash(account, "protocol", p) for p in PROTOCOLS}
    total = sum(weights.values())
    return sum(weights[p] for p in protocols) / total


@dataclass(frozen=True)
class _Scope:
    """One series' slice of a call: its domains, ISPs and protocols."""

    domains: tuple[str, ...]
    isps: tuple[str, ...] | None
    protocols: tuple[str, ...] | None

    def members(self, call: _Call) -> list[Member]:
        isp_cells: list[dict[str, str]] = (
            [{}] if self.isps is None else [{"isp": i} for i in self.isps if i in ISPS]
        )
        return [
            (domain, {**isp, **region})
            for domain in self.domains
            for isp in isp_cells
            for region in call.cells
        ]


def _scope(call: _Call) -> _Scope:
    return _Scope(call.domains, call.isps, call.protocols)


def _splits(call: _Call) -> list[tuple[dict[str, str], _Scope]]:
    """(detail keys, scope) per detail entry: the product of the splitting dimensions."""
    axes: list[list[tuple[str, str]]] = []
    for dimension in call.detail:
        values = {
            "Domain": call.domains,
            "ISP": call.isps or (),
            "Protocol": call.protocols or (),
        }[dimension]
        axes.append([(dimension, v) for v in values])
    out = []
    for combo in product(*axes):
        keys = dict(combo)
        out.append(
            (
                keys,
                _Scope(
                    (keys["Domain"],) if "Domain" in keys else call.domains,
                    (keys["ISP"],) if "ISP" in keys else call.isps,
                    (keys["Protocol"],) if "Protocol" in keys else call.protocols,
                ),
            )
        )
    return out


def _edge(call: _Call, scope: _Scope, quantity: Quantity, start: int, seconds: int) -> float:
    """Final value of an edge quantity: MB for flows, Mbps for bandwidths."""
    share = _protocol_share(call.model_account, scope.protocols)
    members = scope.members(call)
    return (
        call.emulator.traffic.aggregate(call.model_account, members, quantity, start, seconds)
        * share
    )


def down_traffic_gb(
    emulator: Emulator, account: str, domain: str, bucket_start: int, seconds: int = 300
) -> float:
    """A domain's final DownTraffic for one bucket, in GB as printed (6 decimals).

    The same arithmetic as the unfiltered series (`_edge_series` with share and factor
    1.0), so it matches the printed value exactly, not just to float tolerance."""
    flow = emulator.traffic.aggregate(account, [(domain, {})], Quantity.FLOW, bucket_start, seconds)
    return _round(flow * 1.0 * 1e-3 * 1.0)


def _edge_series(
    call: _Call, scope: _Scope, columns: Sequence[tuple[str, Quantity, float]]
) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        item: dict[str, Any] = {"TimeStamp": call.stamp(start)}
        for key, quantity, scale in columns:
            final = _edge(call, scope, quantity, start, call.aggregation) * scale
            item[key] = _round(final * factor)
        series.append(item)
    return series


_BANDWIDTH_COLUMNS = (
    ("UpBandwidth", Quantity.UP_BANDWIDTH, 1.0),
    ("DownBandwidth", Quantity.BANDWIDTH, 1.0),
)
_TRAFFIC_COLUMNS = (
    ("UpTraffic", Quantity.UP_FLOW, 1e-3),  # MB -> GB, base 1000
    ("DownTraffic", Quantity.FLOW, 1e-3),
)


def _echo(call: _Call, *keys: str) -> dict[str, Any]:
    base = {k: call.body[k] for k in ("StartTime", "EndTime") if k in call.body}
    base["Aggregation"] = call.aggregation
    return base | {k: call.body[k] for k in keys if k in call.body}


_EDGE_ECHO = (
    "DomainList",
    "ProtocolList",
    "ISPList",
    "RegionList",
    "UserRegionList",
    "DetailField",
)


def _bandwidth_block(call: _Call, scope: _Scope) -> dict[str, Any]:
    series = _edge_series(call, scope, _BANDWIDTH_COLUMNS)
    return {
        "PeakUpBandwidth": max((i["UpBandwidth"] for i in series), default=0.0),
        "PeakDownBandwidth": max((i["DownBandwidth"] for i in series), default=0.0),
        "BandwidthDataList": series,
    }


def _traffic_block(call: _Call, scope: _Scope) -> dict[str, Any]:
    series = _edge_series(call, scope, _TRAFFIC_COLUMNS)
    return {
        "TotalUpTraffic": _round(sum(i["UpTraffic"] for i in series)),
        "TotalDownTraffic": _round(sum(i["DownTraffic"] for i in series)),
        "TrafficDataList": series,
    }


def _with_details(
    call: _Call,
    block: Callable[[_Call, _Scope], dict[str, Any]],
    detail_key: str,
    echo: Iterable[str],
) -> dict[str, Any]:
    result = {**_echo(call, *echo), **block(call, _scope(call))}
    if call.detail:
        result[detail_key] = [keys | block(call, scope) for keys, scope in _splits(call)]
    return result


def _build_bandwidth(call: _Call) -> dict[str, Any]:
    return _with_details(call, _bandwidth_block, "BandwidthDetailDataList", _EDGE_ECHO)


def _build_traffic(call: _Call) -> dict[str, Any]:
    return _with_details(call, _traffic_block, "TrafficDetailDataList", _EDGE_ECHO)


def _build_p95(call: _Call) -> dict[str, Any]:
    """The 95th percentile of up+down 5-minute bandwidth: sorted, the top 5% dropped."""
    scope = _scope(call)
    samples = []
    for start, factor in call.buckets:
        down = _edge(call, scope, Quantity.BANDWIDTH, start, FIVE_MINUTES)
        up = _edge(call, scope, Quantity.UP_BANDWIDTH, start, FIVE_MINUTES)
        samples.append((_round((down + up) * factor), start))
    result = _echo(call, "DomainList", "ProtocolList", "RegionList", "UserRegionList")
    if samples:
        ranked = sorted(samples)
        value, at = ranked[max(0, math.ceil(0.95 * len(ranked)) - 1)]
        result |= {"P95PeakBandwidth": value, "P95PeakTimestamp": call.stamp(at)}
    else:
        result |= {"P95PeakBandwidth": 0.0}
    return result


# Per-domain usage other than edge traffic is derived from the domain's 5-minute
# bandwidth, so it follows the same daily curve: recordings ~ Mbps / 40, and so on.


def _recordings(call: _Call, domain: str, start: int) -> int:
    model = call.emulator.traffic
    mbps = model.aggregate(call.model_account, [(domain, {})], Quantity.BANDWIDTH, start, 300)
    return round(mbps / 40.0)


def _five_minutes(call: _Call, start: int) -> range:
    return range(start, start + call.aggregation, FIVE_MINUTES)


def _record_block(call: _Call, scope: _Scope) -> dict[str, Any]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        # Peak concurrency in the bucket: the largest 5-minute total over the scope.
        peak = max(
            sum(_recordings(call, d, five) for d in scope.domains)
            for five in _five_minutes(call, start)
        )
        series.append({"TimeStamp": call.stamp(start), "Value": round(peak * factor)})
    return {"RecordPeak": max((i["Value"] for i in series), default=0), "RecordDataList": series}


def _snapshots(call: _Call, domains: Sequence[str], start: int) -> int:
    """Snapshots in a bucket: each 5-minute slice's count (3 per Mbps) added up."""
    return sum(
        round(
            call.emulator.traffic.aggregate(
                call.model_account, [(d, {})], Quantity.BANDWIDTH, five, FIVE_MINUTES
            )
            * 3
        )
        for d in domains
        for five in _five_minutes(call, start)
    )


def _count_block(
    series_key: str,
    value_key: str,
    total_key: str,
    count: Callable[[_Call, Sequence[str], int], int],
) -> Callable[[_Call, _Scope], dict[str, Any]]:
    def block(call: _Call, scope: _Scope) -> dict[str, Any]:
        series = [
            {
                "TimeStamp": call.stamp(start),
                value_key: round(count(call, scope.domains, start) * f),
            }
            for start, f in call.buckets
        ]
        return {total_key: sum(i[value_key] for i in series), series_key: series}

    return block


def _audits(call: _Call, domains: Sequence[str], start: int) -> int:
    return _snapshots(call, domains, start) // 4


def _build_record(call: _Call) -> dict[str, Any]:
    return _with_details(call, _record_block, "RecordDetailDataList", ())


def _build_snapshot(call: _Call) -> dict[str, Any]:
    block = _count_block("SnapshotDataList", "Value", "Total", _snapshots)
    # Sic: the split list is `SnapshotDetailData`, without the `List` suffix.
    return _with_details(call, block, "SnapshotDetailData", ())


def _build_audit(call: _Call) -> dict[str, Any]:
    block = _count_block("AuditDataList", "Count", "TotalCount", _audits)
    result = _with_details(call, block, "AuditDetailDataList", ("DomainList", "DetailField"))
    # The model marks these REQUIRED: always present, empty when not split.
    result.setdefault("AuditDetailDataList", [])
    result.setdefault("DetailField", [])
    result.setdefault("DomainList", list(call.body.get("DomainList") or []))
    return result


def _build_transcode(call: _Call) -> dict[str, Any]:
    resolutions = _string_list(call.body, "Resolution")
    types = _string_list(call.body, "TranscodeType")
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        recorded = sum(
            _recordings(call, d, five) * 5.0
            for d in call.domains
            for five in _five_minutes(call, start)
        )
        for resolution, kind, share in TRANSCODES:
            if resolutions is not None and resolution not in resolutions:
                continue
            if types is not None and kind not in types:
                continue
            series.append(
                {
                    "TimeStamp": call.stamp(start),
                    "Duration": round(recorded * share * factor, 2),
                    "Resolution": resolution,
                    "TranscodeType": kind,
                }
            )
    result = _echo(call, "DomainList", "Resolution", "TranscodeType")
    return result | {
        "Duration": round(sum(i["Duration"] for i in series), 2),
        "TranscodeDataList": series,
    }


def account_vhosts(account: EmulatedAccount) -> tuple[str, ...]:
    """An account's domain spaces: each domain's parent (pull.live.example.com -> live...)."""
    return tuple(sorted({d.split(".", 1)[-1] for d in account.domains}))


def _build_time_shift(call: _Call) -> dict[str, Any]:
    vhosts = _string_list(call.body, "Vhosts") or account_vhosts(call.account)
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        day = format_local(start, CST, "%Y-%m-%d")
        gib = sum(20.0 + 30.0 * unit_hash(call.model_account, "timeshift", v, day) for v in vhosts)
        series.append({"TimeStamp": call.stamp(start), "Storage": _round(gib * factor)})
    result = _echo(call, "Vhosts")
    return result | {"TimeShiftDataList": series}


def _group_scope(call: _Call) -> tuple[str, ...]:
    return _string_list(call.body, "GroupList") or GROUPS


def _group_detail(
    call: _Call, block: Callable[[_Call, tuple[str, ...]], dict[str, Any]], key: str
) -> dict[str, Any]:
    groups = _group_scope(call)
    result = {**_echo(call, "GroupList", "DetailField"), **block(call, groups)}
    if "Group" in call.detail:
        result[key] = [{"Group": g} | block(call, (g,)) for g in groups]
    return result


def _relay_mbps(call: _Call, groups: Sequence[str], start: int) -> float:
    # A relay group behaves like a small domain of its own: 5% of a pseudo-domain's load.
    members: list[Member] = [(f"relay:{g}", {}) for g in groups]
    mbps = call.emulator.traffic.aggregate(
        call.model_account, members, Quantity.BANDWIDTH, start, call.aggregation
    )
    return mbps * 0.05


def _relay_bandwidth_block(call: _Call, groups: tuple[str, ...]) -> dict[str, Any]:
    series: list[dict[str, Any]] = [
        {"TimeStamp": call.stamp(s), "UpBandwidth": _round(_relay_mbps(call, groups, s) * f)}
        for s, f in call.buckets
    ]
    peak = max((i["UpBandwidth"] for i in series), default=0.0)
    return {"PeakUpBandwidth": peak, "BandwidthDataList": series}


def _relay_tasks(account: str, group: str) -> int:
    return 1 + int(4 * unit_hash(account, "relay-tasks", group))


def _relay_duration_block(call: _Call, groups: tuple[str, ...]) -> dict[str, Any]:
    minutes = sum(_relay_tasks(call.model_account, g) for g in groups) * call.aggregation / 60
    series: list[dict[str, Any]] = [
        {"TimeStamp": call.stamp(s), "Value": round(minutes * f, 2)} for s, f in call.buckets
    ]
    return {
        "TotalDuration": round(sum(i["Value"] for i in series), 2),
        "PullToPushDataList": series,
    }


def _build_pull_to_push_bandwidth(call: _Call) -> dict[str, Any]:
    return _group_detail(call, _relay_bandwidth_block, "BandwidthDetailDataList")


def _build_pull_to_push(call: _Call) -> dict[str, Any]:
    return _group_detail(call, _relay_duration_block, "PullToPushDetailDataList")


_EDGE_FILTERS = frozenset(
    {"DomainList", "ProtocolList", "ISPList", "RegionList", "UserRegionList", "DetailField"}
)
_STREAM = frozenset({"App", "Stream"})  # accepted, not modelled: no per-stream data

APIS: Mapping[str, _Api] = {
    api.action: api
    for api in (
        _Api(
            "bandwidth",
            "DescribeLiveBandwidthData",
            300,
            frozenset({"Domain", "ISP", "Protocol"}),
            _EDGE_FILTERS,
            _build_bandwidth,
        ),
        _Api(
            "traffic",
            "DescribeLiveTrafficData",
            300,
            frozenset({"Domain", "ISP", "Protocol"}),
            _EDGE_FILTERS,
            _build_traffic,
        ),
        _Api(
            "p95_peak_bandwidth",
            "DescribeLiveP95PeakBandwidthData",
            300,
            frozenset(),
            frozenset({"DomainList", "ProtocolList", "RegionList", "UserRegionList"}),
            _build_p95,
        ),
        _Api(
            "pull_to_push_bandwidth",
            "DescribeLivePullToPushBandwidthData",
            300,
            frozenset({"Group"}),
            frozenset({"GroupList", "DetailField"}),
            _build_pull_to_push_bandwidth,
        ),
        _Api(
            "pull_to_push",
            "DescribeLivePullToPushData",
            DAY,
            frozenset({"Group"}),
            frozenset({"GroupList", "DetailField"}) | _STREAM,
            _build_pull_to_push,
        ),
        _Api(
            "record",
            "DescribeLiveRecordData",
            300,
            frozenset({"Domain"}),
            frozenset({"DomainList", "DetailField"}) | _STREAM,
            _build_record,
        ),
        _Api(
            "transcode",
            "DescribeLiveTranscodeData",
            DAY,
            frozenset(),
            frozenset({"DomainList", "Resolution", "TranscodeType"}) | _STREAM,
            _build_transcode,
        ),
        _Api(
            "snapshot",
            "DescribeLiveSnapshotData",
            DAY,
            frozenset({"Domain"}),
            frozenset({"DomainList", "DetailField"}) | _STREAM,
            _build_snapshot,
        ),
        _Api(
            "audit",
            "DescribeLiveAuditData",
            DAY,
            frozenset({"Domain"}),
            frozenset({"DomainList", "DetailField"}),
            _build_audit,
        ),
        _Api(
            "time_shift",
            "DescribeLiveTimeShiftData",
            DAY,
            frozenset(),
            frozenset({"Vhosts"}),
            _build_time_shift,
        ),
    )
}
assert {api.endpoint for api in APIS.values()} == set(CATALOG)


# -- the two lookup APIs ----------------------------------------------------------------


def isp_result() -> dict[str, Any]:
    return {"ISPList": [{"Code": code, "Name": name} for code, name in ALL_ISPS.items()]}


def region_result() -> dict[str, Any]:
    areas = []
    for area, countries in AREAS.items():
        listed = []
        for country in countries:
            provinces = (
                [{"Code": p, "Name": _PROVINCE_NAMES[p]} for p in PROVINCES]
                if country == "cn"
                else []
            )
            listed.append(
                {
                    "Code": country.upper(),
                    "Name": _COUNTRY_NAMES[country],
                    "Provinces": provinces,
                }
            )
        areas.append({"Code": area, "Name": _AREA_NAMES[area], "Countries": listed})
    return {"Areas": areas}


LOOKUPS: Mapping[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "DescribeLiveISPData": ("isp", isp_result),
    "DescribeLiveRegionData": ("region", region_result),
}


# -- routing --------------------------------------------------------------------------


def _handler(emulator: Emulator) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        action = request.query.get("Action", "")
        version = request.query.get("Version", "")
        dialect = VolcengineDialect(action, version, emulator)
        if not action or not version:
            emulator.record(PROVIDER, UNKNOWN_ACCOUNT, action or "?", CallResult.BAD_REQUEST)
            return dialect.error(400, "MissingParameter", "Action and Version are required")
        if version != VERSION or (action not in APIS and action not in LOOKUPS):
            emulator.record(PROVIDER, UNKNOWN_ACCOUNT, action, CallResult.BAD_REQUEST)
            return dialect.error(
                404,
                "InvalidActionOrVersion",
                f"Could not find operation {action} for version {version}",
            )
        if action in LOOKUPS:
            endpoint, lookup = LOOKUPS[action]

            def respond(account: EmulatedAccount) -> web.Response:
                meta = _metadata(action, version, emulator.clock.time())
                return _render({"ResponseMetadata": meta, "Result": lookup()})

            limit: RateLimit = RATE_LIMIT
        else:
            api = APIS[action]
            endpoint, limit = api.endpoint, CATALOG[api.endpoint].rate_limit

            def respond(account: EmulatedAccount) -> web.Response:
                call = _validate(api, emulator, account, body)
                meta = _metadata(action, version, emulator.clock.time())
                return _render({"ResponseMetadata": meta, "Result": api.build(call)})

        return await emulator.handle(
            dialect=dialect,
            endpoint=endpoint,
            rate_limit=limit,
            authenticate=lambda: authenticate(emulator, request, body),
            respond=respond,
        )

    return handle


def register(app: web.Application, emulator: Emulator) -> None:
    """Serve `POST /?Action=...&Version=2023-01-01` for the ten usage APIs and the two
    lookups (DescribeLiveISPData, DescribeLiveRegionData)."""
    app.router.add_post("/", _handler(emulator))


# -- ground truth ---------------------------------------------------------------------


def settled_through(emulator: Emulator, endpoint: str = "traffic", aggregation: int = 300) -> int:
    """The newest bucket end whose value is final now (the API prints it in full)."""
    shift = data_delay_for(endpoint, aggregation) - USUAL_DELAY
    horizon = emulator.clock.time() - emulator.final_after - shift
    return align_down(horizon, aggregation, CST)


def ground_truth_down_traffic_bytes(
    emulator: Emulator, account_name: str, domain: str, start: float, end: float
) -> float:
    """A domain's downstream traffic in bytes over the 5-minute buckets ending in
    (start, end]: the sum of the final DownTraffic values the API prints, GB x 10^9."""
    account = emulator.account(account_name)
    first_end = align_down(start, FIVE_MINUTES) + FIVE_MINUTES
    total = 0.0
    for bucket_end in range(first_end, int(end) + 1, FIVE_MINUTES):
        gb = down_traffic_gb(emulator, account.name, domain, bucket_end - FIVE_MINUTES)
        total += gb * GIGABYTE  # converted per bucket, as the exporter's parser does
    return total
