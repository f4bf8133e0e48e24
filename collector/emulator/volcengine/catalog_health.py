"""The emulated Volcengine Live health and audience APIs (volcengine-health-billing-api.md
§3): play status codes, stream sessions per domain and per stream, origin-pull traffic;
their answers, beside the usage APIs' in responses.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from collector.emulator.core import Emulator
from collector.emulator.traffic import Member, Quantity, unit_hash
from collector.emulator.volcengine.facts import (
    PAGE_SIZES,
)
from collector.emulator.volcengine.responses import (
    FIVE_MINUTES,
    Scope,
    edge_value,
    printed,
    with_details,
)
from collector.emulator.volcengine.validation import Call, bad
from collector.timeslices import align_down

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


def _status_block(kind: str) -> Callable[[Call, Scope], dict[str, Any]]:
    def block(call: Call, scope: Scope) -> dict[str, Any]:
        series: list[dict[str, Any]] = []
        whole: dict[int, int] = {}
        for start, factor in call.buckets:
            counts: dict[int, int] = {}
            for domain in scope.domains:
                members = Scope((domain,), scope.isps, None).members(call)
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
    result = with_details(call, _status_block(kind), "StatusDetailDataList", echo)
    return result | {"Type": kind}


# [I] Users per bucket from the bucket's bandwidth: about 2 Mbps a viewer. Viewer counts
# sessions in a minute and ClientIP pulling addresses, so they differ from Online.
_USERS_PER_MBPS = {"Online": 0.5, "Viewer": 0.65, "ClientIP": 0.4}


def _session_block(call: Call, scope: Scope) -> dict[str, Any]:
    per_mbps = _USERS_PER_MBPS[call.body.get("OnlineUserType", "Online")]
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        mbps = edge_value(call, scope, Quantity.BANDWIDTH, start, call.aggregation)
        requests = edge_value(call, scope, Quantity.REQUESTS, start, call.aggregation)
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
    return with_details(call, _session_block, "SessionDetailDataList", (*echo, "RegionList"))


def _source_block(call: Call, scope: Scope) -> dict[str, Any]:
    series: list[dict[str, Any]] = []
    for start, factor in call.buckets:
        flow = edge_value(call, scope, Quantity.ORIGIN_FLOW, start, call.aggregation)
        mbps = edge_value(call, scope, Quantity.ORIGIN_BANDWIDTH, start, call.aggregation)
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
    return with_details(call, _source_block, "TrafficDetailDataList", echo)


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
            scope = Scope((domain,), call.isps, call.protocols)
            users = {
                t: edge_value(call, scope, Quantity.BANDWIDTH, t, FIVE_MINUTES) for t in pieces
            }
            requests = sum(
                edge_value(call, scope, Quantity.REQUESTS, t, FIVE_MINUTES) for t in pieces
            )
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


# Each health Action's Result builder.
HEALTH_BUILDERS: Mapping[str, Callable[[Call], dict[str, Any]]] = {
    "DescribeLivePlayStatusCodeData": _build_play_status_codes,
    "DescribeLiveStreamSessionData": _build_stream_sessions,
    "DescribeLiveSourceTrafficData": _build_source_traffic,
    "DescribeLiveBatchStreamSessionData": _build_batch_sessions,
}
