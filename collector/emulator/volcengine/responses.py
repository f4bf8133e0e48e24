"""Volcengine response building: metadata, errors, and each Action's Result."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import orjson
from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator, FaultKind
from collector.emulator.traffic import COUNTRIES, PROVINCES, Member, Quantity, unit_hash
from collector.emulator.volcengine.facts import (
    CST,
    ERRORS,
    ISPS,
    PAGE_SIZES,
    PROTOCOLS,
    REGION,
    SERVICE,
)
from collector.emulator.volcengine.validation import AREAS, Call, bad, string_list
from collector.timeslices import align_down, format_local

PROVIDER = "volcengine"
DECIMALS = 6  # GB and Mbps are printed with 6 decimals, so a day's sum is exact to float

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


def printed(value: float) -> float:
    """A GB or Mbps value as the API prints it."""
    return round(value, DECIMALS)


# -- responses ------------------------------------------------------------------------


def _request_id(now: float) -> str:
    return format_local(int(now), CST, "%Y%m%d%H%M%S") + uuid.uuid4().hex[:18].upper()


def metadata(action: str, version: str, now: float) -> dict[str, Any]:
    return {
        "RequestId": _request_id(now),
        "Action": action,
        "Version": version,
        "Service": SERVICE,
        "Region": REGION,
    }


def render(payload: Mapping[str, Any], status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


@dataclass(frozen=True)
class VolcengineDialect:
    """Errors as `ResponseMetadata.Error{CodeN, Code, Message}`, no Result."""

    action: str
    version: str
    emulator: Emulator
    provider: str = PROVIDER

    def error(self, status: int, code: str, message: str) -> web.Response:
        meta = metadata(self.action, self.version, self.emulator.clock.time())
        error: dict[str, Any] = {"Code": code, "Message": message}
        code_n = ERRORS.get(code, (status, None))[1]
        if code_n is not None:
            error = {"CodeN": code_n, **error}
        return render({"ResponseMetadata": {**meta, "Error": error}}, status)

    def throttled(self, message: str) -> web.Response:
        return self.error(429, "FlowLimitExceeded", message)

    def fault(self, kind: FaultKind) -> web.Response:
        if kind is FaultKind.THROTTLE:
            return self.throttled("flow limit exceeded (injected)")
        if kind is FaultKind.ERROR_CODE:
            # An Error inside a 200: the Go SDK checks for it, so clients must too.
            return self.error(200, "InternalError", "internal error (injected, HTTP 200)")
        return self.error(500, "InternalError", "internal error (injected)")


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

    def members(self, call: Call) -> list[Member]:
        isp_cells: list[dict[str, str]] = (
            [{}] if self.isps is None else [{"isp": i} for i in self.isps if i in ISPS]
        )
        return [
            (domain, {**isp, **region})
            for domain in self.domains
            for isp in isp_cells
            for region in call.cells
        ]


def _scope(call: Call) -> _Scope:
    return _Scope(call.domains, call.isps, call.protocols)


def _splits(call: Call) -> list[tuple[dict[str, str], _Scope]]:
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


def _edge(call: Call, scope: _Scope, quantity: Quantity, start: int, seconds: int) -> float:
    """Final value of an edge quantity: MB for flows, Mbps for bandwidths."""
    share = _protocol_share(call.model_account, scope.protocols)
    members = scope.members(call)
    return (
        call.emulator.traffic.aggregate(call.model_account, members, quantity, start, seconds)
        * share
    )


def _edge_series(
    call: Call, scope: _Scope, columns: Sequence[tuple[str, Quantity, float]]
) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        item: dict[str, Any] = {"TimeStamp": call.stamp(start)}
        for key, quantity, scale in columns:
            final = _edge(call, scope, quantity, start, call.aggregation) * scale
            item[key] = printed(final * factor)
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


def _echo(call: Call, *keys: str) -> dict[str, Any]:
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


def _bandwidth_block(call: Call, scope: _Scope) -> dict[str, Any]:
    series = _edge_series(call, scope, _BANDWIDTH_COLUMNS)
    return {
        "PeakUpBandwidth": max((i["UpBandwidth"] for i in series), default=0.0),
        "PeakDownBandwidth": max((i["DownBandwidth"] for i in series), default=0.0),
        "BandwidthDataList": series,
    }


def _traffic_block(call: Call, scope: _Scope) -> dict[str, Any]:
    series = _edge_series(call, scope, _TRAFFIC_COLUMNS)
    return {
        "TotalUpTraffic": printed(sum(i["UpTraffic"] for i in series)),
        "TotalDownTraffic": printed(sum(i["DownTraffic"] for i in series)),
        "TrafficDataList": series,
    }


def _with_details(
    call: Call,
    block: Callable[[Call, _Scope], dict[str, Any]],
    detail_key: str,
    echo: Iterable[str],
) -> dict[str, Any]:
    result = {**_echo(call, *echo), **block(call, _scope(call))}
    if call.detail:
        result[detail_key] = [keys | block(call, scope) for keys, scope in _splits(call)]
    return result


def _build_bandwidth(call: Call) -> dict[str, Any]:
    return _with_details(call, _bandwidth_block, "BandwidthDetailDataList", _EDGE_ECHO)


def _build_traffic(call: Call) -> dict[str, Any]:
    return _with_details(call, _traffic_block, "TrafficDetailDataList", _EDGE_ECHO)


def _build_p95(call: Call) -> dict[str, Any]:
    """The 95th percentile of up+down 5-minute bandwidth: sorted, the top 5% dropped."""
    scope = _scope(call)
    samples = []
    for start, factor in call.buckets:
        down = _edge(call, scope, Quantity.BANDWIDTH, start, FIVE_MINUTES)
        up = _edge(call, scope, Quantity.UP_BANDWIDTH, start, FIVE_MINUTES)
        samples.append((printed((down + up) * factor), start))
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


def _recordings(call: Call, domain: str, start: int) -> int:
    model = call.emulator.traffic
    mbps = model.aggregate(call.model_account, [(domain, {})], Quantity.BANDWIDTH, start, 300)
    return round(mbps / 40.0)


def _five_minutes(call: Call, start: int) -> range:
    return range(start, start + call.aggregation, FIVE_MINUTES)


def _record_block(call: Call, scope: _Scope) -> dict[str, Any]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        # Peak concurrency in the bucket: the largest 5-minute total over the scope.
        peak = max(
            sum(_recordings(call, d, five) for d in scope.domains)
            for five in _five_minutes(call, start)
        )
        series.append({"TimeStamp": call.stamp(start), "Value": round(peak * factor)})
    return {"RecordPeak": max((i["Value"] for i in series), default=0), "RecordDataList": series}


def _snapshots(call: Call, domains: Sequence[str], start: int) -> int:
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
    count: Callable[[Call, Sequence[str], int], int],
) -> Callable[[Call, _Scope], dict[str, Any]]:
    def block(call: Call, scope: _Scope) -> dict[str, Any]:
        series = [
            {
                "TimeStamp": call.stamp(start),
                value_key: round(count(call, scope.domains, start) * f),
            }
            for start, f in call.buckets
        ]
        return {total_key: sum(i[value_key] for i in series), series_key: series}

    return block


def _audits(call: Call, domains: Sequence[str], start: int) -> int:
    return _snapshots(call, domains, start) // 4


def _build_record(call: Call) -> dict[str, Any]:
    return _with_details(call, _record_block, "RecordDetailDataList", ())


def _build_snapshot(call: Call) -> dict[str, Any]:
    block = _count_block("SnapshotDataList", "Value", "Total", _snapshots)
    # Sic: the split list is `SnapshotDetailData`, without the `List` suffix.
    return _with_details(call, block, "SnapshotDetailData", ())


def _build_audit(call: Call) -> dict[str, Any]:
    block = _count_block("AuditDataList", "Count", "TotalCount", _audits)
    result = _with_details(call, block, "AuditDetailDataList", ("DomainList", "DetailField"))
    # The model marks these REQUIRED: always present, empty when not split.
    result.setdefault("AuditDetailDataList", [])
    result.setdefault("DetailField", [])
    result.setdefault("DomainList", list(call.body.get("DomainList") or []))
    return result


def _build_transcode(call: Call) -> dict[str, Any]:
    resolutions = string_list(call.body, "Resolution")
    types = string_list(call.body, "TranscodeType")
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


def _build_time_shift(call: Call) -> dict[str, Any]:
    vhosts = string_list(call.body, "Vhosts") or account_vhosts(call.account)
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        day = format_local(start, CST, "%Y-%m-%d")
        gib = sum(20.0 + 30.0 * unit_hash(call.model_account, "timeshift", v, day) for v in vhosts)
        series.append({"TimeStamp": call.stamp(start), "Storage": printed(gib * factor)})
    result = _echo(call, "Vhosts")
    return result | {"TimeShiftDataList": series}


def _group_scope(call: Call) -> tuple[str, ...]:
    return string_list(call.body, "GroupList") or GROUPS


def _group_detail(
    call: Call, block: Callable[[Call, tuple[str, ...]], dict[str, Any]], key: str
) -> dict[str, Any]:
    groups = _group_scope(call)
    result = {**_echo(call, "GroupList", "DetailField"), **block(call, groups)}
    if "Group" in call.detail:
        result[key] = [{"Group": g} | block(call, (g,)) for g in groups]
    return result


def _relay_mbps(call: Call, groups: Sequence[str], start: int) -> float:
    # A relay group behaves like a small domain of its own: 5% of a pseudo-domain's load.
    members: list[Member] = [(f"relay:{g}", {}) for g in groups]
    mbps = call.emulator.traffic.aggregate(
        call.model_account, members, Quantity.BANDWIDTH, start, call.aggregation
    )
    return mbps * 0.05


def _relay_bandwidth_block(call: Call, groups: tuple[str, ...]) -> dict[str, Any]:
    series: list[dict[str, Any]] = [
        {"TimeStamp": call.stamp(s), "UpBandwidth": printed(_relay_mbps(call, groups, s) * f)}
        for s, f in call.buckets
    ]
    peak = max((i["UpBandwidth"] for i in series), default=0.0)
    return {"PeakUpBandwidth": peak, "BandwidthDataList": series}


def _relay_tasks(account: str, group: str) -> int:
    return 1 + int(4 * unit_hash(account, "relay-tasks", group))


def _relay_duration_block(call: Call, groups: tuple[str, ...]) -> dict[str, Any]:
    minutes = sum(_relay_tasks(call.model_account, g) for g in groups) * call.aggregation / 60
    series: list[dict[str, Any]] = [
        {"TimeStamp": call.stamp(s), "Value": round(minutes * f, 2)} for s, f in call.buckets
    ]
    return {
        "TotalDuration": round(sum(i["Value"] for i in series), 2),
        "PullToPushDataList": series,
    }


def _build_pull_to_push_bandwidth(call: Call) -> dict[str, Any]:
    return _group_detail(call, _relay_bandwidth_block, "BandwidthDetailDataList")


def _build_pull_to_push(call: Call) -> dict[str, Any]:
    return _group_detail(call, _relay_duration_block, "PullToPushDetailDataList")


# -- health and audience APIs (volcengine-health-billing-api.md §3) --------------------

# Ours, not documented: the share of a bucket's requests answered with each code other
# than 200 (the rest), at the edge (Type Access) and on origin pulls (Type Source). The
# 5xx shares swing by the hour, so error ratios move through a day.
STATUS_SHARES: Mapping[str, tuple[tuple[int, float], ...]] = {
    "Access": ((206, 0.02), (302, 0.01), (304, 0.015), (403, 0.002), (404, 0.008),
               (500, 0.0005), (502, 0.001), (504, 0.0008)),
    "Source": ((304, 0.05), (404, 0.01), (500, 0.001), (502, 0.004), (504, 0.003)),
}  # fmt: skip
_STATUS_REQUESTS = {"Access": Quantity.REQUESTS, "Source": Quantity.ORIGIN_REQUESTS}


def status_counts(
    emulator: Emulator, account: str, members: list[Member], kind: str, start: int, seconds: int
) -> dict[int, int]:
    """Final requests per status code of `members` in one bucket: each code a whole
    share of the bucket's requests, 200 whatever is left."""
    total = round(
        emulator.traffic.aggregate(account, members, _STATUS_REQUESTS[kind], start, seconds)
    )
    counts: dict[int, int] = {}
    for code, share in STATUS_SHARES[kind]:
        swing = 2.0 * unit_hash(account, kind, str(code), str(start // 3600)) if code >= 500 else 1
        counts[code] = min(total - sum(counts.values()), int(total * share * swing))
    counts[200] = total - sum(counts.values())
    return counts


def _summary(counts: Mapping[int, int]) -> list[dict[str, Any]]:
    total = sum(counts.values())
    return [
        {
            "StatusCode": code,
            "Value": value,
            # [?] The scale of Percent is undocumented: the emulator prints 0-100.
            "Percent": round(100.0 * value / total, 4) if total else 0.0,
        }
        for code, value in sorted(counts.items())
        if value
    ]


def _status_block(kind: str) -> Callable[[Call, _Scope], dict[str, Any]]:
    def block(call: Call, scope: _Scope) -> dict[str, Any]:
        series: list[dict[str, Any]] = []
        whole: dict[int, int] = {}
        for start, factor in call.buckets:
            counts: dict[int, int] = {}
            for domain in scope.domains:
                members = _Scope((domain,), scope.isps, None).members(call)
                found = status_counts(
                    call.emulator, call.model_account, members, kind, start, call.aggregation
                )
                for code, value in found.items():
                    counts[code] = counts.get(code, 0) + round(value * factor)
            for code, value in counts.items():
                whole[code] = whole.get(code, 0) + value
            series.append(
                {"TimeStamp": call.stamp(start), "StatusSummaryDataList": _summary(counts)}
            )
        return {"StatusSummaryDataList": _summary(whole), "StatusDataList": series}

    return block


def _build_play_status_codes(call: Call) -> dict[str, Any]:
    kind = call.body.get("Type", "Access")
    echo = ("DomainList", "ISPList", "RegionList", "UserRegionList", "DetailField")
    result = _with_details(call, _status_block(kind), "StatusDetailDataList", echo)
    return result | {"Type": kind}


# [I] Users per bucket from the bucket's bandwidth: about 2 Mbps a viewer. Viewer counts
# sessions in a minute and ClientIP pulling addresses, so they differ from Online.
_USERS_PER_MBPS = {"Online": 0.5, "Viewer": 0.65, "ClientIP": 0.4}


def _session_block(call: Call, scope: _Scope) -> dict[str, Any]:
    per_mbps = _USERS_PER_MBPS[call.body.get("OnlineUserType", "Online")]
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        mbps = _edge(call, scope, Quantity.BANDWIDTH, start, call.aggregation)
        requests = _edge(call, scope, Quantity.REQUESTS, start, call.aggregation)
        series.append(
            {
                "TimeStamp": call.stamp(start),
                "OnlineUser": round(mbps * per_mbps * factor),
                "Request": round(requests * factor),
            }
        )
    return {
        "PeakOnlineUser": max((i["OnlineUser"] for i in series), default=0),
        "TotalRequest": sum(i["Request"] for i in series),
        "SessionDataList": series,
    }


def _build_stream_sessions(call: Call) -> dict[str, Any]:
    echo = ("App", "Domain", "DomainList", "Stream", "DetailField", "ISPList", "ProtocolList")
    return _with_details(call, _session_block, "SessionDetailDataList", (*echo, "RegionList"))


def _source_block(call: Call, scope: _Scope) -> dict[str, Any]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        flow = _edge(call, scope, Quantity.ORIGIN_FLOW, start, call.aggregation)
        mbps = _edge(call, scope, Quantity.ORIGIN_BANDWIDTH, start, call.aggregation)
        series.append(
            {
                "TimeStamp": call.stamp(start),
                "Traffic": printed(flow * 1e-3 * factor),  # MB -> GB, base 1000
                "Bandwidth": printed(mbps * factor),
            }
        )
    return {
        "TotalTraffic": printed(sum(i["Traffic"] for i in series)),
        "PeakBandwidth": max((i["Bandwidth"] for i in series), default=0.0),
        "TrafficDataList": series,
    }


def _build_source_traffic(call: Call) -> dict[str, Any]:
    echo = ("App", "DetailField", "Domain", "DomainList", "ISPList", "Stream", "UserRegionList")
    return _with_details(call, _source_block, "TrafficDetailDataList", echo)


def live_streams(account: str, domain: str) -> tuple[tuple[str, str, float], ...]:
    """Ours: 2 to 5 streams on each domain, as (App, Stream, share of its audience)."""
    count = 2 + int(4 * unit_hash(account, "streams", domain))
    weights = [0.2 + unit_hash(account, "stream", domain, str(i)) for i in range(count)]
    return tuple(("live", f"stream-{i}", w / sum(weights)) for i, w in enumerate(weights))


def _page(body: Mapping[str, Any], key: str, default: int, allowed: range) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise bad(f"{key} must be an integer from {allowed.start} to {allowed.stop - 1}")
    return value


def _build_batch_sessions(call: Call) -> dict[str, Any]:
    """Per-stream peaks and requests over the whole range (no series), paged."""
    page = _page(call.body, "PageNum", 1, range(1, 1 << 31))
    size = _page(call.body, "PageSize", 1000, PAGE_SIZES)
    per_mbps = _USERS_PER_MBPS[call.body.get("OnlineUserType", "Viewer")]  # §3.3 default
    rows: list[dict[str, Any]] = []
    peak_total, requests_total = 0, 0
    for _, factor in call.buckets:  # one bucket: the range, once its delay has passed
        pieces = range(align_down(call.start, FIVE_MINUTES), call.end, FIVE_MINUTES)
        totals = dict.fromkeys(pieces, 0.0)
        for domain in call.domains:
            scope = _Scope((domain,), call.isps, call.protocols)
            users = {t: _edge(call, scope, Quantity.BANDWIDTH, t, FIVE_MINUTES) for t in pieces}
            requests = sum(_edge(call, scope, Quantity.REQUESTS, t, FIVE_MINUTES) for t in pieces)
            for t, mbps in users.items():
                totals[t] += mbps
            peak = max(users.values(), default=0.0) * per_mbps * factor
            for app, stream, share in live_streams(call.model_account, domain):
                rows.append(
                    {
                        "Domain": domain,
                        "App": app,
                        "Stream": stream,
                        "PeakOnlineUser": round(peak * share),
                        "TotalRequest": round(requests * factor * share),
                    }
                )
        peak_total = round(max(totals.values(), default=0.0) * per_mbps * factor)
        requests_total = sum(r["TotalRequest"] for r in rows)
    first = (page - 1) * size
    result = {k: call.body[k] for k in ("StartTime", "EndTime") if k in call.body}
    echo = ("DomainList", "ISPList", "ProtocolList", "RegionList")
    return (
        result
        | {k: call.body[k] for k in echo if k in call.body}
        | {
            "PeakOnlineUser": peak_total,
            "TotalRequest": requests_total,
            "StreamInfoList": rows[first : first + size],
            "Pagination": {"PageNum": page, "PageSize": size, "TotalCount": len(rows)},
        }
    )


# -- the two lookup APIs ----------------------------------------------------------------


def isp_result() -> dict[str, Any]:
    return {"ISPList": [{"Code": code, "Name": name} for code, name in ISPS.items()]}


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


LOOKUPS: Mapping[str, Callable[[], dict[str, Any]]] = {
    "DescribeLiveISPData": isp_result,
    "DescribeLiveRegionData": region_result,
}

# Each usage Action's Result builder.
BUILDERS: Mapping[str, Callable[[Call], dict[str, Any]]] = {
    "DescribeLiveBandwidthData": _build_bandwidth,
    "DescribeLiveTrafficData": _build_traffic,
    "DescribeLiveP95PeakBandwidthData": _build_p95,
    "DescribeLivePullToPushBandwidthData": _build_pull_to_push_bandwidth,
    "DescribeLivePullToPushData": _build_pull_to_push,
    "DescribeLiveRecordData": _build_record,
    "DescribeLiveTranscodeData": _build_transcode,
    "DescribeLiveSnapshotData": _build_snapshot,
    "DescribeLiveAuditData": _build_audit,
    "DescribeLiveTimeShiftData": _build_time_shift,
    "DescribeLivePlayStatusCodeData": _build_play_status_codes,
    "DescribeLiveStreamSessionData": _build_stream_sessions,
    "DescribeLiveSourceTrafficData": _build_source_traffic,
    "DescribeLiveBatchStreamSessionData": _build_batch_sessions,
}
