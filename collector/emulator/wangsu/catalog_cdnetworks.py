"""The emulated CDNetworks-only spellings: the renamed routes and CDNetworks' own reports.

Written from `shared/reference/cdnetworks-brand-api.md` (section numbers below are its):
the SDK renamed eight Wangsu routes in November 2025 (§0, §6). A renamed route keeps
its Wangsu twin's facts (§6 lists span, history and envelope as "same") except the
path, the domain cap, and `granularity` for `dataInterval`/`type`; its answer is the
twin's with the keys §6.1-§6.8 list renamed. The DWA variants keep the Wangsu names and
keys (§7); static/dynamic and per-PoP traffic, the daily channel report (§7) and the
`reportbandwidth` routes (§8) are CDNetworks' own. Both spellings are served side by
side, to either brand's accounts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from collector.emulator.traffic import Member, Quantity, decimal, unit_hash
from collector.emulator.wangsu import (
    catalog_code_data,
    catalog_core,
    catalog_isp_province,
    catalog_legacy,
    catalog_result,
)
from collector.emulator.wangsu.facts import (
    DATE_FORMAT,
    DAY,
    HOUR,
    MINUTE,
    TIME_ZONE_INVALID,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    DOMAIN,
    MBPS,
    Column,
    Level,
    RouteBody,
    Shape,
)
from collector.emulator.wangsu.validation import Call, Row, bad
from collector.model import RateLimit
from collector.timeslices import format_local

# [I] No limit is published for these routes: CDNetworks' API overview recommends at
# most 30 calls per 5 minutes to a single API (§10).
ASSUMED_30 = RateLimit(calls=30, period=300)
GRANULARITY = "granularity"

_WANGSU: Mapping[str, RouteFacts] = {
    route.name: route
    for module in (
        catalog_core,
        catalog_isp_province,
        catalog_result,
        catalog_code_data,
        catalog_legacy,
    )
    for route in module.ROUTES
}
_WANGSU_SHAPES: Mapping[str, Shape] = {
    name: shape
    for module in (
        catalog_core,
        catalog_isp_province,
        catalog_result,
        catalog_code_data,
        catalog_legacy,
    )
    for name, shape in module.SHAPES.items()
}

# -- renamed answers ------------------------------------------------------------------


def _respell(value: Any, keys: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {keys.get(k, k): _respell(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_respell(v, keys) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Respelled(RouteBody):
    """The Wangsu twin's answer (`twin`) with its keys renamed as CDNetworks spells them."""

    twin: Shape
    keys: Mapping[str, str] = field(default_factory=dict, hash=False)

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        if not isinstance(self.twin, RouteBody):
            return payload, self
        checked, answer = self.twin.bind(payload)
        return checked, replace(self, twin=answer)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = _respell(self.twin.build(call, omit), self.keys)
        return items


# §6.1, §6.2: totals, peaks and the series of traffic-request and its origin twin.
_TRAFFIC_REQUEST = {
    "totalFlow": "totalTraffic",
    "totalRequest": "totalRequests",
    "peakTime": "peakBandwidthTimestamp",
    "peakBandwidthTime": "peakBandwidthTimestamp",
    "peakRequest": "peakRequests",
    "peakRequestTime": "peakRequestsTimestamp",
    "flowRequestData": "dataSeries",
    "flowRequestOriginData": "dataSeries",
    "flow": "traffic",
    "request": "requests",
}
# §6.5, §6.6: the hyphenated legacy answers.
_TOTAL_TRAFFIC = {"flow-summary": "totalTraffic", "flow-data": "dataSeries", "flow": "traffic"}

# Wangsu route name -> (CDNetworks route name, path, answer keys, domain cap if raised).
RENAMED: Mapping[str, tuple[str, str, Mapping[str, str], int | None]] = {
    "flow_request": ("traffic_request", "/api/report/traffic-request", _TRAFFIC_REQUEST, 1000),
    "flow_request_origin": (
        "traffic_request_origin",
        "/api/report/traffic-request/origin",
        _TRAFFIC_REQUEST,
        None,
    ),
    "client_country": (
        "traffic_domain_country",
        "/api/report/traffic/domain-country",
        {
            "flowSum": "totalTraffic",
            "flowPercentage": "trafficPercentage",
            "flowData": "dataSeries",
            "value": "traffic",
        },
        None,
    ),
    "protocol": (
        "traffic_protocol",
        "/api/report/traffic/protocol",
        {"httpsFlowData": "dataSeries", "httpFlowData": "dataSeries", "value": "traffic"},
        None,
    ),
    "account_traffic": ("traffic", "/api/report/traffic", _TOTAL_TRAFFIC, None),
    "domainflow": ("domaintraffic", "/api/report/domaintraffic", _TOTAL_TRAFFIC, 1000),
    "bandwidth_saving_ratio": (
        "saving_bandwidth",
        "/api/report/bandwidth/saving-bandwidth/total",
        {
            "realDate": "queryTime",
            "totalAvg": "avgSavedBandwidthRatio",
            "savingBandwidthDatas": "dataSeries",
            "savingBandwidth": "savedBandwidthRatio",
        },
        None,
    ),
    "isp_province_hit_rate_total": (
        "traffic_isp_province_hit_rate_total",
        "/api/report/traffic/isp-province/hit-rate/total",
        {"detailList": "dataSeries"},
        None,
    ),
}


def _renamed_route(wangsu: str) -> RouteFacts:
    name, path, _, cap = RENAMED[wangsu]
    twin = _WANGSU[wangsu]
    return replace(
        twin,
        name=name,
        path=path,
        max_domains=cap or twin.max_domains,
        interval_key=GRANULARITY,
        source=f"cdnetworks-brand-api.md §6 ({twin.path} renamed)",
    )


def _dwa(wangsu: str, path: str, **changes: Any) -> RouteFacts:
    """A DWA variant: the Wangsu route's keys on its own path (§7), 30/5 min [I]."""
    twin = _WANGSU[wangsu]
    return replace(
        twin,
        name=f"{wangsu}_dwa",
        path=path,
        rate_limit=ASSUMED_30,
        source=f"cdnetworks-brand-api.md §7 (DWA twin of {twin.path})",
        **changes,
    )


# -- CDNetworks' own answers ----------------------------------------------------------


def _static_share(account: str, domain: str) -> float:
    """The static share of a domain's traffic ([?] ours: the data is made up)."""
    return 0.5 + 0.45 * unit_hash(account, domain, "static share")


_UPLOAD_SHARE = 0.03  # client-to-edge bytes per byte served ([?] ours)
POPS = ("sel", "tyo", "sin", "fra")


def _pop_share(account: str, domain: str, pop: str) -> float:
    weights = {p: 0.3 + unit_hash(account, domain, "pop", p) for p in POPS}
    return weights[pop] / sum(weights.values())


def _bytes(value_mb: float) -> str:
    return str(round(value_mb * 1e6))  # `dataUnit: Byte`: whole bytes


def _split(call: Call, domains: tuple[str, ...], share: Any, parents: bool) -> list[dict[str, str]]:
    """The domains' edge traffic (and parent traffic, if `parents`) split into static
    and dynamic, up and down, summed over the domains, times `share(domain)`."""
    quantities = [Quantity.FLOW, Quantity.ORIGIN_FLOW]
    sums: dict[int, dict[str, float]] = {}
    for domain in domains:
        static, part = _static_share(call.account.name, domain), share(domain)
        for end, values in call.rows([(domain, {})], quantities):
            flow, origin = values[Quantity.FLOW] * part, values[Quantity.ORIGIN_FLOW] * part
            cells = {
                "edgeStaticUp": flow * static * _UPLOAD_SHARE,
                "edgeStaticDown": flow * static,
                "edgeDynamicUp": flow * (1 - static) * _UPLOAD_SHARE,
                "edgeDynamicDown": flow * (1 - static),
            }
            if parents:
                # What parents send the edges is what the edges fetched ([?] ours).
                cells |= {
                    "parentStaticDown": origin * static,
                    "parentDynamicDown": origin * (1 - static),
                }
            into = sums.setdefault(end, dict.fromkeys(cells, 0.0))
            for key, value in cells.items():
                into[key] += value
    return [
        {"timestamp": call.label(end)} | {key: _bytes(mb) for key, mb in cells.items()}
        for end, cells in sorted(sums.items())
    ]


class _StaticDynamicShape(Shape):
    """flow/static-dynamic: edge up/down and parent down, static and dynamic, per domain."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        domains = picked.get("domain", call.selected["domain"])
        return {"flowData": _split(call, domains, lambda _domain: 1.0, parents=True)}


class _PopShape(Shape):
    """flow/pop: each domain's edge traffic per PoP, static and dynamic, up and down."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        domains = picked.get("domain", call.selected["domain"])
        account = call.account.name
        return {
            "popData": [
                {
                    "pop": pop,
                    "flowData": _split(
                        call,
                        domains,
                        lambda domain, pop=pop: _pop_share(account, domain, pop),
                        parents=False,
                    ),
                }
                for pop in POPS
            ]
        }


def _peak_summary(quantity: Quantity, flow: Quantity) -> Any:
    def summary(call: Call, rows: list[Row]) -> dict[str, Any]:
        if not rows:
            return {"peakValue": decimal(0.0, MBPS), "peakTime": "", "total": decimal(0.0, 2)}
        end, values = max(rows, key=lambda row: row[1][quantity])
        return {
            "peakValue": decimal(values[quantity], MBPS),
            "peakTime": call.label(end),
            "total": decimal(sum(v[flow] for _, v in rows), 2),
        }

    return summary


class _DomainBandwidthShape(Shape):
    """domainbandwidth: `bandwidthReport[] {timestamp, bandwidth}` of the listed domains
    together, Mbps with four decimals (§8)."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        rows = call.rows(call.members({}), [Quantity.BANDWIDTH])
        series = [
            {"timestamp": call.label(end), "bandwidth": decimal(values[Quantity.BANDWIDTH], 4)}
            for end, values in rows
        ]
        return [{"bandwidthReport": series}]


@dataclass(frozen=True)
class _KeywordAquanShape(RouteBody):
    """CdnwEdgeReportForKeywordAquan: `data[] {name, contract, peakValue, peakAvg,
    totalFlow}` per channel over the days asked. The route answers JSON (its SDK model),
    not the myview family's XML default. [?] Units are unstated: MB and Mbps here, and
    `peakAvg` the mean of the days' peaks (ours)."""

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        return {**payload, "dataformat": "json"}, self

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        traffic = call.emulator.traffic
        items = []
        for domain in call.selected["domain"]:
            member: list[Member] = [(domain, {})]
            flow, peaks = 0.0, []
            for end, factor in call.slices:
                flow += factor * traffic.aggregate(
                    call.account.name, member, Quantity.FLOW, end - DAY, DAY
                )
                peaks.append(
                    factor
                    * max(
                        traffic.aggregate(call.account.name, member, Quantity.BANDWIDTH, t, 300)
                        for t in range(end - DAY, end, 300)
                    )
                )
            items.append(
                {
                    "name": domain,
                    "contract": "",
                    "peakValue": decimal(max(peaks, default=0.0), MBPS),
                    "peakAvg": decimal(sum(peaks) / len(peaks) if peaks else 0.0, MBPS),
                    "totalFlow": decimal(flow, 2),
                }
            )
        return items


_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ZONE_RE = re.compile(r"GMT[+-]\d{2}:\d{2}")


@dataclass(frozen=True)
class _RelayShape(RouteBody):
    """/cdn/traffic/relay (§8): `dateFrom`/`dateTo` are days (`yyyy-MM-dd`, inclusive)
    in `timezone` (default GMT+08:00), `domain` a `;`-separated string ([?] ours);
    `data {report {type, dateFrom, dateTo, timezone, groups[] {domain,
    totalRelayTraffic (GB, 3 dp), peakBandwidth, peakTime, item[] {time, relayTraffic}}}}`.
    `time` is the slice's end at 5 minutes, its start at an hour, its day at a day (the
    field doc). The relayed traffic is what parents send the edges ([?] ours)."""

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        zone = payload.get("timezone", "GMT+08:00")
        if not isinstance(zone, str) or not _ZONE_RE.fullmatch(zone):
            raise bad(TIME_ZONE_INVALID)
        offset = zone.removeprefix("GMT")
        checked = {k: v for k, v in payload.items() if k not in ("timezone", "groupBy")}
        first, last = payload.get("dateFrom"), payload.get("dateTo")
        if first is not None or last is not None:
            if not all(isinstance(d, str) and _DAY_RE.fullmatch(d) for d in (first, last)):
                raise bad(DATE_FORMAT, "dateFrom and dateTo are yyyy-MM-dd.")
            checked["dateFrom"] = f"{first}T00:00:00{offset}"
            after = (date.fromisoformat(str(last)) + timedelta(days=1)).isoformat()
            checked["dateTo"] = f"{after}T00:00:00{offset}"
        domain = payload.get("domain")
        if isinstance(domain, str):
            checked["domain"] = [d for d in domain.split(";") if d]
        return checked, self

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        seconds = call.slice_seconds
        groups = []
        for domain in call.selected["domain"]:
            rows = call.rows([(domain, {})], [Quantity.ORIGIN_FLOW, Quantity.ORIGIN_BANDWIDTH])
            items = []
            for end, values in rows:
                if seconds >= DAY:
                    time = format_local(end - DAY, call.offset, "%Y-%m-%d")
                elif seconds >= HOUR:
                    time = format_local(end - seconds, call.offset, "%Y-%m-%d %H:%M")
                else:
                    time = format_local(end, call.offset, "%Y-%m-%d %H:%M")
                gb = decimal(values[Quantity.ORIGIN_FLOW] / 1000, 3)
                items.append({"time": time, "relayTraffic": gb})
            peak = max(rows, key=lambda row: row[1][Quantity.ORIGIN_BANDWIDTH], default=None)
            groups.append(
                {
                    "domain": domain,
                    "totalRelayTraffic": decimal(
                        sum(float(item["relayTraffic"]) for item in items), 3
                    ),
                    "peakBandwidth": decimal(
                        peak[1][Quantity.ORIGIN_BANDWIDTH] if peak else 0.0, MBPS
                    ),
                    "peakTime": call.label(peak[0]) if peak else "",
                    "item": items,
                }
            )
        return [{"report": {"type": "relay", "groups": groups}}]


_DOMAIN_BANDWIDTH = RouteFacts(
    name="domainbandwidth",
    path="/api/report/domainbandwidth",
    method="POST",
    rate_limit=ASSUMED_30,  # [I]
    max_span=31 * DAY,
    max_domains=1000,
    intervals=(DAY, 5 * MINUTE, HOUR),  # `type`, [I] daily by default like domainflow
    envelope=Envelope.FLOW_DATA,
    domain_required=True,
    params="query",
    domain_key="domain-list",
    source="§8 Querydomainbandwidth",
)

ROUTES: tuple[RouteFacts, ...] = (
    *(_renamed_route(name) for name in RENAMED),
    _dwa("flow_request", "/api/report/flow-request/dwa"),
    _dwa("domainflow", "/api/report/domainflow/dwa", params="query-lower", max_domains=1000),
    _dwa("account_traffic", "/api/report/flow/dwa"),
    _dwa("flow_byte", "/api/report/flow/byte/dwa"),
    _dwa("settlement_area", "/api/report/flow/area/dwa"),
    RouteFacts(
        name="static_dynamic",
        path="/api/report/flow/static-dynamic",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=DAY,
        max_domains=250,
        intervals=(5 * MINUTE,),  # "dataInterval 5m"
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain"}),
        source="§7 Querystaticdynamictrafficbyprotocol",
    ),
    RouteFacts(
        name="pop_traffic",
        path="/api/report/flow/pop",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=DAY,
        max_domains=200,
        intervals=(5 * MINUTE,),  # [I] the values are not documented
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain"}),
        source="§7 Queryspecificpoptraffic",
    ),
    RouteFacts(
        name="daily_edge_report",
        path="/myview/CdnwEdgeReportForKeywordAquan",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=DAY,  # "≤1 d"
        max_domains=500,  # channel: `;`-separated, at most 500
        intervals=(DAY,),  # startdate/enddate are days
        interval_param=False,
        envelope=Envelope.CODE_DATA,
        params="myview",
        domain_key="channel",
        source="§7 QueryKeywordaquanEdgereport",
    ),
    RouteFacts(
        name="relay_traffic",
        path="/cdn/traffic/relay",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=31 * DAY,  # [I] no span is documented; 730 days of history
        max_domains=2000,
        intervals=(DAY, 5 * MINUTE, HOUR),  # granularity, "default 1d"
        envelope=Envelope.CODE_REPORT,
        interval_key=GRANULARITY,
        source="§8 Getcdnrelaytraffic",
    ),
    RouteFacts(
        name="realtime_bandwidth",
        path="/api/report/bandwidth/multi-domain/real-time/edge",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=HOUR,  # "max 1 h"
        max_domains=20,
        intervals=(MINUTE, 5 * MINUTE),  # 1m default
        envelope=Envelope.CODE_DATA,
        domain_required=True,
        # groupBy is one string ("domain"): per domain, as asked.
        source="§8 Queryrealtimebandwidthformultidomain",
    ),
    RouteFacts(
        name="realtime_origin_bandwidth",
        path="/api/report/bandwidth/multi-domain/real-time/origin",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=7 * DAY,
        max_domains=50,
        intervals=(5 * MINUTE, MINUTE, HOUR),  # 5m default
        envelope=Envelope.CODE_DATA,
        source="§8 Querybandwidthoforiginminutely",
    ),
    _DOMAIN_BANDWIDTH,
    replace(
        _DOMAIN_BANDWIDTH,
        name="domainbandwidth_dwa",
        path="/api/report/domainbandwidth/dwa",
        params="query-lower",
        source="§8 Querybandwidthformultidomain",
    ),
)

_GROUPED = (DOMAIN,)

SHAPES: Mapping[str, Shape] = {
    **{
        cdn_name: Respelled(
            levels=_WANGSU_SHAPES[name].levels,
            series="",
            columns=(),
            twin=_WANGSU_SHAPES[name],
            keys=keys,
        )
        for name, (cdn_name, _, keys, _) in RENAMED.items()
    },
    **{
        f"{name}_dwa": _WANGSU_SHAPES[name]
        for name in (
            "flow_request",
            "domainflow",
            "account_traffic",
            "flow_byte",
            "settlement_area",
        )
    },
    "relay_traffic": _RelayShape(levels=(), series="item", columns=()),
    "daily_edge_report": _KeywordAquanShape(levels=(), series="data", columns=()),
    "static_dynamic": _StaticDynamicShape(levels=_GROUPED, series="flowData", columns=()),
    "pop_traffic": _PopShape(levels=_GROUPED, series="popData", columns=()),
    "realtime_bandwidth": Shape(
        levels=_GROUPED,
        series="bandwidthData",
        columns=(Column(field="value", quantity=Quantity.BANDWIDTH, decimals=MBPS),),
        summary=_peak_summary(Quantity.BANDWIDTH, Quantity.FLOW),
        extra=(Quantity.FLOW,),
    ),
    "realtime_origin_bandwidth": Shape(
        levels=_GROUPED,
        series="originBandwidthData",
        columns=(Column(field="value", quantity=Quantity.ORIGIN_BANDWIDTH, decimals=MBPS),),
        summary=_peak_summary(Quantity.ORIGIN_BANDWIDTH, Quantity.ORIGIN_FLOW),
        extra=(Quantity.ORIGIN_FLOW,),
    ),
    "domainbandwidth": _DomainBandwidthShape(levels=(), series="bandwidthReport", columns=()),
    "domainbandwidth_dwa": _DomainBandwidthShape(levels=(), series="bandwidthReport", columns=()),
}
