"""The Wangsu/CDNetworks report endpoints, each declared once: path, limits, body, wire shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collector import families as core
from collector.providers.endpoint import Endpoint, FanOut, Measure, Query
from collector.providers.wangsu import (
    catalog_code_data,
    catalog_health,
    catalog_isp_province,
    catalog_legacy,
    catalog_result,
)
from collector.providers.wangsu import families as breakdown
from collector.providers.wangsu.declare import (
    ASSUMED_300,
    HISTORY,
    PER_5MIN_30,
    PER_5MIN_300,
    dates,
    slices,
)
from collector.providers.wangsu.wire import COUNT, HIT_RATIO, MB, MBPS, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE, granularity_name

# The isp/province endpoints aggregate every dimension left out of groupBy.
_ISP_GROUP_BY = ["domain", "province", "isp"]


def body_flow_request(query: Query) -> dict[str, Any]:
    # No dataInterval (always 5m) and no dataPadding: zero-filled slices that are
    # merely late would be counted as real zeros.
    return {**dates(query), "domain": list(query.domains), "groupBy": ["domain"]}


def body_flow_request_origin(query: Query) -> dict[str, Any]:
    return {
        **dates(query),
        "domain": list(query.domains),
        "groupBy": ["domain"],
        "dataInterval": granularity_name(query.window.slice_seconds),
    }


def body_edge_hit_ratio(query: Query) -> dict[str, Any]:
    return {**dates(query), "domain": list(query.domains)}


def body_isp_province(query: Query) -> dict[str, Any]:
    """Shared by flow/isp-province and flow/hit-rate/isp-province (identical bodies)."""
    return {
        **dates(query),
        "domain": list(query.domains),
        "dataInterval": granularity_name(query.window.slice_seconds),
        "groupBy": list(_ISP_GROUP_BY),
    }


def body_country_bandwidth(query: Query) -> dict[str, Any]:
    # Omitting countryCode asks for every country.
    return {
        **dates(query),
        "domain": list(query.domains),
        "dataInterval": granularity_name(query.window.slice_seconds),
    }


# Wangsu edge figures are what the edge served to clients.
_DOWN = ("down",)
# ISP and province labels as codes, whichever language the answer is in (names.py).
_ISP_LEVELS = catalog_isp_province.ISP_LEVELS


# edge_hit_ratio's alternative source: the isp-province/hit-rate/total API as declared
# there (path, limit, 20 domains a call, slices, body), read for `hitRate` only into the
# core family.
EDGE_HIT_RATIO_BATCHED = replace(
    catalog_isp_province.HIT_RATE_TOTAL,
    name="edge_hit_ratio_batched",
    shape=Nested(
        "code-data", (), "detailList", (Measure("hitRate", core.CACHE_HIT_RATIO, HIT_RATIO),)
    ),
    description="Edge byte hit ratio per domain, 20 domains a call (edge_hit_ratio's "
    "alternative for many domains; chosen automatically).",
)


CORE: tuple[Endpoint, ...] = (
    Endpoint(
        name="flow_request",
        path="/api/report/flow-request",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=200,
        slices=slices(5 * MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_flow_request,
        shape=Nested(
            "result",
            (),
            "flowRequestData",
            (
                Measure("flow", core.TRAFFIC, MB, _DOWN),
                Measure("bandwidth", core.BANDWIDTH, MBPS, _DOWN),
                Measure("request", core.REQUESTS, COUNT),
            ),
        ),
        sdk_model="reportflow.QueryTrafficRequestInTotalAndPeakValue",
        description="Edge traffic, requests and bandwidth per domain (5m).",
    ),
    Endpoint(
        name="flow_request_origin",
        path="/api/report/flow-request/origin",
        method="POST",
        history=HISTORY,
        rate_limit=PER_5MIN_300,
        max_domains_per_call=200,
        slices=slices(5 * MINUTE, MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_flow_request_origin,
        shape=Nested(
            "result",
            (),
            "flowRequestOriginData",
            (
                Measure("flow", core.ORIGIN_TRAFFIC, MB),
                Measure("bandwidth", core.ORIGIN_BANDWIDTH, MBPS),
                Measure("request", core.ORIGIN_REQUESTS, COUNT),
            ),
        ),
        sdk_model="reportflow.QueryBacktoOriginTrafficAndRequest",
        description="Back-to-origin traffic, requests and bandwidth per domain.",
    ),
    Endpoint(
        name="edge_hit_ratio",
        path="/api/report/flow/edge-hit-ratio/total",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_300,  # [I]
        # The API takes up to 200 domains but answers one unlabelled series
        # aggregated over them, so one domain per call keeps series per domain.
        max_domains_per_call=1,
        slices=slices(MINUTE, span=7 * DAY),
        fan_out=FanOut.PER_DOMAIN,
        build_body=body_edge_hit_ratio,
        shape=Nested(
            "result",
            (),
            "hitRatioDatas",
            (Measure("edgeHitRatio", core.CACHE_HIT_RATIO, HIT_RATIO),),
            top_label=None,
            call_label=True,
        ),
        sdk_model="reportflow.QueryEdgeByteHitRatioService",
        # The same ratio per domain, 20 domains a call, for accounts with many domains.
        alternatives=("edge_hit_ratio_batched",),
        description="Edge byte hit ratio per domain (1m).",
    ),
    EDGE_HIT_RATIO_BATCHED,
    Endpoint(
        name="hit_rate_isp_province",
        path="/api/report/flow/hit-rate/isp-province",
        method="POST",
        history=HISTORY,
        rate_limit=PER_5MIN_30,
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, HOUR, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_isp_province,
        shape=Nested(
            "result",
            _ISP_LEVELS,
            "hitRateData",
            (
                Measure("value", breakdown.ISP_PROVINCE_CACHE_HIT_RATIO, HIT_RATIO),
                # The SDK: "not returned by default; ask support to enable it".
                Measure("hitFlow", breakdown.ISP_PROVINCE_CACHE_HIT_TRAFFIC, MB, optional=True),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowHitRateIspProvinceService",
        description="Byte hit ratio and hit traffic by ISP and province.",
    ),
    Endpoint(
        name="isp_province",
        path="/api/report/flow/isp-province",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, HOUR, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_isp_province,
        shape=Nested(
            "result",
            _ISP_LEVELS,
            "flowData",
            (
                Measure("value", breakdown.ISP_PROVINCE_TRAFFIC, MB),
                Measure("bandwidth", breakdown.ISP_PROVINCE_BANDWIDTH, MBPS),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowIspProvinceService",
        description="Edge bandwidth and traffic by ISP and province.",
    ),
    Endpoint(
        name="country_bandwidth",
        path="/api/report/server/country-bandwidth",
        method="POST",
        history=HISTORY,
        rate_limit=PER_5MIN_300,
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, HOUR, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_country_bandwidth,
        shape=Nested(
            "code-data",
            (Level("countryData", "countryCode"),),
            "detailList",
            (
                Measure("value", breakdown.SERVER_COUNTRY_BANDWIDTH, MBPS),
                Measure("flow", breakdown.SERVER_COUNTRY_TRAFFIC, MB),
            ),
        ),
        opt_in=True,
        sdk_model="reportbandwidth.ReportCountryServerBandwidthService",
        description="Edge bandwidth and traffic by the country of the serving IP.",
    ),
)

# Every endpoint, by config key. The other modules hold the rest, by family: the ISP x
# province reports (catalog_isp_province), the other `result` reports (catalog_result),
# the other `code`/`message`/`data` reports (catalog_code_data), and the legacy
# `flow-data` and `myview` reports (catalog_legacy), and the status-code, origin
# response-time and certificate reports (catalog_health).
CATALOG: dict[str, Endpoint] = {
    spec.name: spec
    for spec in (
        *CORE,
        *catalog_isp_province.ENDPOINTS,
        *catalog_result.ENDPOINTS,
        *catalog_code_data.ENDPOINTS,
        *catalog_legacy.ENDPOINTS,
        *catalog_health.ENDPOINTS,
    )
}
