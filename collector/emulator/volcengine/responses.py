"""Volcengine response building: metadata, errors, and each Action's Result."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import Any

import orjson
from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator, FaultKind
from collector.emulator.traffic import (
    COUNTRIES,
    PROVINCES,
    Member,
    Quantity,
    TrafficModel,
    unit_hash,
)
from collector.emulator.volcengine.facts import (
    CST,
    ERRORS,
    ISPS,
    PROTOCOLS,
    REGION,
    SERVICE,
)
from collector.emulator.volcengine.validation import AREAS, Call, string_list
from collector.timeslices import format_local

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
class Scope:
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


def _scope(call: Call) -> Scope:
    return Scope(call.domains, call.isps, call.protocols)


def _splits(call: Call) -> list[tuple[dict[str, str], Scope]]:
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
                Scope(
                    (keys["Domain"],) if "Domain" in keys else call.domains,
                    (keys["ISP"],) if "ISP" in keys else call.isps,
                    (keys["Protocol"],) if "Protocol" in keys else call.protocols,
                ),
            )
        )
    return out


def edge_value(call: Call, scope: Scope, quantity: Quantity, start: int, seconds: int) -> float:
    """Final value of an edge quantity: MB for flows, Mbps for bandwidths."""
    share = _protocol_share(call.model_account, scope.protocols)
    members = scope.members(call)
    return (
        call.emulator.traffic.aggregate(call.model_account, members, quantity, start, seconds)
        * share
    )


def _edge_series(
    call: Call, scope: Scope, columns: Sequence[tuple[str, Quantity, float]]
) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        item: dict[str, Any] = {"TimeStamp": call.stamp(start)}
        for key, quantity, scale in columns:
            final = edge_value(call, scope, quantity, start, call.aggregation) * scale
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


def _bandwidth_block(call: Call, scope: Scope) -> dict[str, Any]:
    series = _edge_series(call, scope, _BANDWIDTH_COLUMNS)
    return {
        "PeakUpBandwidth": max((i["UpBandwidth"] for i in series), default=0.0),
        "PeakDownBandwidth": max((i["DownBandwidth"] for i in series), default=0.0),
        "BandwidthDataList": series,
    }


def _traffic_block(call: Call, scope: Scope) -> dict[str, Any]:
    series = _edge_series(call, scope, _TRAFFIC_COLUMNS)
    return {
        "TotalUpTraffic": printed(sum(i["UpTraffic"] for i in series)),
        "TotalDownTraffic": printed(sum(i["DownTraffic"] for i in series)),
        "TrafficDataList": series,
    }


def with_details(
    call: Call,
    block: Callable[[Call, Scope], dict[str, Any]],
    detail_key: str,
    echo: Iterable[str],
) -> dict[str, Any]:
    result = {**_echo(call, *echo), **block(call, _scope(call))}
    if call.detail:
        result[detail_key] = [keys | block(call, scope) for keys, scope in _splits(call)]
    return result


def _build_bandwidth(call: Call) -> dict[str, Any]:
    return with_details(call, _bandwidth_block, "BandwidthDetailDataList", _EDGE_ECHO)


def _build_traffic(call: Call) -> dict[str, Any]:
    return with_details(call, _traffic_block, "TrafficDetailDataList", _EDGE_ECHO)


@lru_cache(maxsize=64)
def _final_up_and_down(
    traffic: TrafficModel,
    account: str,
    scope: Scope,
    cells: tuple[tuple[tuple[str, str], ...], ...],
) -> dict[int, float]:
    """An empty memo, one per scope, of the final up+down Mbps by 5-minute slice start
    (which depends on nothing but the arguments): every P95 call reads the month to
    date, so each poll would otherwise recompute the whole month."""
    return {}


def _build_p95(call: Call) -> dict[str, Any]:
    """The 95th percentile of up+down 5-minute bandwidth: sorted, the top 5% dropped."""
    scope = _scope(call)
    cells = tuple(tuple(sorted(cell.items())) for cell in call.cells)
    finals = _final_up_and_down(call.emulator.traffic, call.model_account, scope, cells)
    samples = []
    for start, factor in call.buckets:
        final = finals.get(start)
        if final is None:
            down = edge_value(call, scope, Quantity.BANDWIDTH, start, FIVE_MINUTES)
            up = edge_value(call, scope, Quantity.UP_BANDWIDTH, start, FIVE_MINUTES)
            final = finals[start] = down + up
        samples.append((printed(final * factor), start))
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


def _record_block(call: Call, scope: Scope) -> dict[str, Any]:
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
) -> Callable[[Call, Scope], dict[str, Any]]:
    def block(call: Call, scope: Scope) -> dict[str, Any]:
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
    return with_details(call, _record_block, "RecordDetailDataList", ())


def _build_snapshot(call: Call) -> dict[str, Any]:
    block = _count_block("SnapshotDataList", "Value", "Total", _snapshots)
    # Sic: the split list is `SnapshotDetailData`, without the `List` suffix.
    return with_details(call, block, "SnapshotDetailData", ())


def _build_audit(call: Call) -> dict[str, Any]:
    block = _count_block("AuditDataList", "Count", "TotalCount", _audits)
    result = with_details(call, block, "AuditDetailDataList", ("DomainList", "DetailField"))
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

# Each usage Action's Result builder (the health Actions' are in catalog_health.py).
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
}
