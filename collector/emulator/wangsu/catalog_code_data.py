"""The emulated Wangsu `code`/`message`/`data` reports: facts and answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from collector.emulator.traffic import Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import (
    ASSUMED_300,
    DAY,
    HOUR,
    MINUTE,
    PER_5MIN_30,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    DOMAIN,
    MB,
    MBPS,
    RATIO,
    Column,
    Level,
    RouteBody,
    Shape,
    hit_ratio_summary,
)
from collector.emulator.wangsu.validation import Call, Row
from collector.timeslices import format_local

# -- facts ----------------------------------------------------------------------------

# [I] No route here publishes a rate limit (§5.8: assume at most 300/5 min).
ROUTES: tuple[RouteFacts, ...] = (
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
        # models.py ...DetailList.online_user comes per request, not per account: only
        # with isReturnOnline=true at 1m (the shape reads the body, `_StreamShape.bind`).
        # Its domains are those of the `domainStream` groups (validation reads them);
        # [I] dataType is ignored (always flow, MB).
        source="§6.12; models.py QueryMultipleStreamTrafficAndBandwidthUnderTheDomain",
    ),
    RouteFacts(
        name="request_hit_ratio",
        path="/api/report/request/hit-ratio/total",
        method="POST",
        # [I] Unstated: "others unstated -> <=30/5min per API" (health-billing §9).
        rate_limit=PER_5MIN_30,
        max_span=31 * DAY,
        max_domains=200,
        intervals=(DAY, MINUTE, 5 * MINUTE, HOUR),  # "Default value is 1d."
        envelope=Envelope.CODE_DATA,
        domain_required=True,  # `domain[]` REQ
        source="health-billing §4; reportrequest models.py QueryRequestHitRatio",
    ),
)

# -- answers --------------------------------------------------------------------------

# [?] Country names are undocumented beyond "countryName"; zh-CN and en-US spellings.
_UPLOAD_COUNTRY_NAMES: Mapping[str, tuple[str, str]] = {
    "cn": ("中国", "China"),
    "hk": ("中国香港", "Hong Kong"),
    "sg": ("新加坡", "Singapore"),
    "us": ("美国", "United States"),
    "de": ("德国", "Germany"),
}
# Streams per domain: `<publishing point>/<stream name>` (models.py, domainStream.stream).
_STREAMS = ("live/main", "live/backup", "event/launch")
_VIEWER_MBPS = 2.5  # [?] one online user per 2.5 Mbps of a stream's bandwidth


def ipv6_share(account: str, domain: str) -> float:
    """The fixed share of a domain's edge bandwidth served over IPv6: 10% to 40%."""
    return 0.1 + 0.3 * unit_hash(account, domain, "ipv6")


def p2p_share(account: str, domain: str) -> float:
    """The fixed share of a domain's traffic served peer to peer: 20% to 70%."""
    return 0.2 + 0.5 * unit_hash(account, domain, "p2p")


def stream_shares(account: str, domain: str) -> dict[str, float]:
    """Each stream's share of its domain's edge traffic, summing to 1."""
    weights = {name: 0.4 + unit_hash(account, domain, "stream", name) for name in _STREAMS}
    total = sum(weights.values())
    return {name: weight / total for name, weight in weights.items()}


def online_users(stream_mbps: float) -> int:
    """A stream's online users at a minute, from its own bandwidth then."""
    return round(stream_mbps / _VIEWER_MBPS)


def _per_domain(
    call: Call, picked: Mapping[str, tuple[str, ...]], quantity: Quantity
) -> list[tuple[str, list[Row]]]:
    domains = picked.get("domain", call.selected["domain"])
    return [(domain, call.rows([(domain, {})], [quantity])) for domain in domains]


class _UpFlowCountryShape(Shape):
    """domain-country upload: each country item also carries its name, its traffic sum
    over the window and its percentage of the domain's (all countries) traffic."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [Quantity.UP_FLOW, Quantity.UP_BANDWIDTH])
        whole = call.rows(call.members({"domain": picked["domain"]}), [Quantity.UP_FLOW])
        flow = sum(values[Quantity.UP_FLOW] for _, values in rows)
        total = sum(values[Quantity.UP_FLOW] for _, values in whole)
        countries = picked["country"]
        if len(countries) == 1:
            name = _UPLOAD_COUNTRY_NAMES[countries[0]][1 if call.english else 0]
        else:
            name = "all" if call.english else "全部"  # [?] as the aggregated label
        return {
            "countryName": name,
            "flowSum": decimal(flow, MB),
            "flowPercentage": decimal(100 * flow / total if total > 0 else 0.0, 2),
            "flowData": [
                {
                    "timestamp": call.label(end),
                    "value": decimal(values[Quantity.UP_FLOW], MB),
                    "bandwidth": decimal(values[Quantity.UP_BANDWIDTH], MBPS),
                }
                for end, values in rows
            ],
        }


class _IpVersionShape(Shape):
    """multi-ip-version, queryBy bandwidth: each domain's bandwidth split by its fixed
    IPv6 share. [I] `queryBy` is not read (the shape cannot see the body): always
    bandwidth, in Mbps."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        parts = _per_domain(call, picked, Quantity.BANDWIDTH)
        series = []
        for i, (end, _) in enumerate(parts[0][1] if parts else []):
            v4 = v6 = 0.0
            for domain, rows in parts:
                bandwidth = rows[i][1][Quantity.BANDWIDTH]
                share = ipv6_share(call.account.name, domain)
                v4 += bandwidth * (1 - share)
                v6 += bandwidth * share
            series.append(
                {
                    "timestamp": call.label(end),
                    "v4Value": decimal(v4, MBPS),
                    "v6Value": decimal(v6, MBPS),
                }
            )
        return {"detailList": series}


class _P2pShareShape(Shape):
    """p2p share ratio in percent (2 dp): traffic-weighted over the item's domains."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        parts = _per_domain(call, picked, Quantity.FLOW)
        series = []
        for i, (end, _) in enumerate(parts[0][1] if parts else []):
            flows = [(domain, rows[i][1][Quantity.FLOW]) for domain, rows in parts]
            total = sum(flow for _, flow in flows)
            p2p = sum(flow * p2p_share(call.account.name, domain) for domain, flow in flows)
            ratio = p2p / total if total > 0 else 0.0
            series.append({"timestamp": call.label(end), "value": decimal(100 * ratio, 2)})
        return {"detailList": series}


class _FlowByteShape(Shape):
    """flow/byte: the account's edge traffic over every domain, whole bytes."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [Quantity.FLOW])
        flows = [(end, round(values[Quantity.FLOW] * 1e6)) for end, values in rows]
        return {
            "flowSummary": str(sum(flow for _, flow in flows)),
            "flowData": [{"timestamp": call.label(end), "flow": str(flow)} for end, flow in flows],
        }


@dataclass(frozen=True, kw_only=True)
class _StreamShape(RouteBody):
    """flow-bandwidth/stream/detail, dataType flow: each domain's streams, values in MB.
    [I] dataType is not read (always flow); both summary fields are printed, as the SDK
    requires both; only streams with traffic are listed (models.py totalFlow).

    `onlineUser` only when the body asks `isReturnOnline` true at `dataInterval` 1m (the
    Request doc: "传true, 仅当dataInterval=1m时,返回在线人数,5min时不返回"; not sent or
    false: never). [?] The SDK types isReturnOnline as a string: "true" in any case, or a
    JSON true, asks; anything else does not (the doc names no error)."""

    online: bool = False

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        asked = str(payload.get("isReturnOnline", "")).lower() == "true"
        return payload, replace(self, online=asked and payload.get("dataInterval") == "1m")

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        (domain,) = picked["domain"]
        rows = call.rows([(domain, {})], [Quantity.FLOW, Quantity.BANDWIDTH])
        streams = []
        for name, share in stream_shares(call.account.name, domain).items():
            flows = [decimal(values[Quantity.FLOW] * share, MB) for _, values in rows]
            if not any(float(flow) > 0 for flow in flows):
                continue
            bandwidths = [values[Quantity.BANDWIDTH] * share for _, values in rows]
            details = []
            for (end, _), flow, bandwidth in zip(rows, flows, bandwidths, strict=True):
                item: dict[str, Any] = {"timestamp": call.label(end), "value": flow}
                if self.online:
                    item["onlineUser"] = online_users(bandwidth)
                details.append(item)
            streams.append(
                {
                    "stream": name,
                    "totalFlow": decimal(sum(float(flow) for flow in flows), MB),
                    "bandwidthPeakValue": decimal(max(bandwidths), MBPS),
                    "detailList": details,
                }
            )
        return {"domainOfStreamList": streams}


class _RequestHitRatioShape(Shape):
    """request/hit-ratio/total: one series over every domain asked (no domain key),
    `{realDate, totalAvg, hitRatioDatas[] {timestamp, hitRatio}}` (health-billing §4).
    [?] The request hit ratio is ours: the share of edge requests not sent on to origin.
    Hourly times read `yyyy-MM-dd HH`, daily ones `yyyy-MM-dd` (the day itself)."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [Quantity.REQUESTS, Quantity.ORIGIN_REQUESTS])
        series = [
            {"timestamp": _hit_ratio_time(call, end), "hitRatio": decimal(_hit(values), RATIO)}
            for end, values in rows
        ]
        requests = sum(values[Quantity.REQUESTS] for _, values in rows)
        origin = sum(values[Quantity.ORIGIN_REQUESTS] for _, values in rows)
        return {
            # "Actually processed time. yyyy-MM-dd HH:mm": the newest slice ([?] "" if none).
            "realDate": format_local(rows[-1][0], call.offset, "%Y-%m-%d %H:%M") if rows else "",
            # A float on the wire (the reference and the SDK's model), not a string.
            "totalAvg": round(1.0 - origin / requests, 4) if requests > 0 else 0.0,
            "hitRatioDatas": series,
        }


def _hit(values: dict[Quantity, float]) -> float:
    requests = values[Quantity.REQUESTS]
    return 1.0 - values[Quantity.ORIGIN_REQUESTS] / requests if requests > 0 else 0.0


def _hit_ratio_time(call: Call, end: int) -> str:
    if call.slice_seconds == DAY:
        return format_local(end - DAY, call.offset, "%Y-%m-%d")
    return call.label(end)


SHAPES: Mapping[str, Shape] = {
    # Nesting fixed whatever the groupBy order (models.py): domain, then country.
    "up_flow_domain_country": _UpFlowCountryShape(
        levels=(
            DOMAIN,
            Level(dimension="country", label_key="countryCode", list_key="countryData"),
        ),
        series="flowData",
        columns=(),
    ),
    "multi_ip_version": _IpVersionShape(levels=(DOMAIN,), series="detailList", columns=()),
    # One series aggregated over every requested domain; the body has no groupBy.
    # [3P] savingBandwidth is a fraction (§6.11); the emulated saving is the byte hit
    # ratio (bandwidth not fetched from origin). [?] The SDK types totalAvg as int (no
    # other ratio is so typed); a fraction cannot be one, so it is printed as a 4-decimal
    # string like edge-hit-ratio's totalAvg. tests/sdk flags that type on purpose.
    "bandwidth_saving_ratio": Shape(
        levels=(),
        series="savingBandwidthDatas",
        columns=(Column(field="savingBandwidth", quantity=Quantity.HIT_RATIO, decimals=RATIO),),
        summary=hit_ratio_summary,
        extra=(Quantity.FLOW, Quantity.HIT_FLOW),
    ),
    "p2p_share_ratio": _P2pShareShape(levels=(DOMAIN,), series="detailList", columns=()),
    "flow_byte": _FlowByteShape(levels=(), series="flowData", columns=()),
    "stream_detail": _StreamShape(levels=(DOMAIN,), series="domainOfStreamList", columns=()),
    "request_hit_ratio": _RequestHitRatioShape(levels=(), series="hitRatioDatas", columns=()),
}
