"""The emulated first Wangsu reports: traffic, origin, hit ratio, ISP x province, country."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.emulator.traffic import Quantity, decimal
from collector.emulator.wangsu.facts import (
    ASSUMED_300,
    DAY,
    HOUR,
    MINUTE,
    PER_5MIN_30,
    PER_5MIN_300,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    COUNT,
    DOMAIN,
    ISP_LEVELS,
    MB,
    MBPS,
    RATIO,
    Column,
    Level,
    Shape,
    Summary,
    hit_ratio_summary,
)
from collector.emulator.wangsu.validation import Call, Row

# -- facts ----------------------------------------------------------------------------

ROUTES: tuple[RouteFacts, ...] = (
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

# -- answers --------------------------------------------------------------------------


def _flow_summary(
    flow: Quantity, bandwidth: Quantity, requests: Quantity, names: tuple[str, ...]
) -> Summary:
    """Totals and peaks of flow-request style items; `names` are the six field names."""

    def summary(call: Call, rows: list[Row]) -> dict[str, Any]:
        def peak(quantity: Quantity, places: int) -> tuple[str, str]:
            if not rows:
                # [?] Empty-window peaks are undocumented; the SDK models the times as
                # required strings, so an empty one, never null.
                return decimal(0.0, places), ""
            end, values = max(rows, key=lambda row: row[1][quantity])
            return decimal(values[quantity], places), call.label(end)

        total_flow = sum(values[flow] for _, values in rows)
        total_requests = sum(values[requests] for _, values in rows)
        values = (
            decimal(total_flow, 2),
            decimal(total_requests, 0),
            *peak(bandwidth, 2),
            *peak(requests, 0),
        )
        return dict(zip(names, values, strict=True))

    return summary


SHAPES: Mapping[str, Shape] = {
    "flow_request": Shape(
        levels=(DOMAIN,),
        series="flowRequestData",
        columns=(
            Column(field="flow", quantity=Quantity.FLOW, decimals=MB),
            Column(field="bandwidth", quantity=Quantity.BANDWIDTH, decimals=MBPS),
            Column(field="request", quantity=Quantity.REQUESTS, decimals=COUNT),
        ),
        summary=_flow_summary(
            Quantity.FLOW,
            Quantity.BANDWIDTH,
            Quantity.REQUESTS,
            (
                "totalFlow",
                "totalRequest",
                "peakBandwidth",
                "peakTime",
                "peakRequest",
                "peakRequestTime",
            ),
        ),
    ),
    "flow_request_origin": Shape(
        levels=(DOMAIN,),
        series="flowRequestOriginData",
        columns=(
            Column(field="flow", quantity=Quantity.ORIGIN_FLOW, decimals=MB),
            Column(field="bandwidth", quantity=Quantity.ORIGIN_BANDWIDTH, decimals=MBPS),
            Column(field="request", quantity=Quantity.ORIGIN_REQUESTS, decimals=COUNT),
        ),
        summary=_flow_summary(
            Quantity.ORIGIN_FLOW,
            Quantity.ORIGIN_BANDWIDTH,
            Quantity.ORIGIN_REQUESTS,
            (
                "totalFlow",
                "totalRequest",
                "peakBandwidth",
                "peakBandwidthTime",
                "peakRequest",
                "peakRequestTime",
            ),
        ),
    ),
    # One series aggregated over every requested domain; the body has no groupBy.
    "edge_hit_ratio": Shape(
        levels=(),
        series="hitRatioDatas",
        columns=(Column(field="edgeHitRatio", quantity=Quantity.HIT_RATIO, decimals=RATIO),),
        summary=hit_ratio_summary,
        extra=(Quantity.FLOW, Quantity.HIT_FLOW),
    ),
    "hit_rate_isp_province": Shape(
        levels=ISP_LEVELS,
        series="hitRateData",
        columns=(
            Column(field="value", quantity=Quantity.HIT_RATIO, decimals=RATIO),
            Column(field="hitFlow", quantity=Quantity.HIT_FLOW, decimals=MB),
        ),
    ),
    "isp_province": Shape(
        levels=ISP_LEVELS,
        series="flowData",
        columns=(
            Column(field="value", quantity=Quantity.FLOW, decimals=MB),
            Column(field="bandwidth", quantity=Quantity.BANDWIDTH, decimals=MBPS),
        ),
    ),
    # No groupBy here: always per domain and per country (CDNetworks doc example).
    "country_bandwidth": Shape(
        levels=(
            DOMAIN,
            Level(dimension="country", label_key="countryCode", list_key="countryData"),
        ),
        series="detailList",
        columns=(
            Column(field="value", quantity=Quantity.BANDWIDTH, decimals=MBPS),
            Column(field="flow", quantity=Quantity.FLOW, decimals=MB),
        ),
    ),
}
