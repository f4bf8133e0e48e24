"""The Wangsu/CDNetworks report endpoints, each declared once: path, limits, body, wire shape."""

from __future__ import annotations

from typing import Any

from collector import families as core
from collector.model import RateLimit
from collector.providers.endpoint import Endpoint, FanOut, Granularity, Measure, Query
from collector.providers.wangsu import families as breakdown
from collector.providers.wangsu.wire import COUNT, HIT_RATIO, MB, MBPS, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE, format_request_time, granularity_name

# Default settle delay: the reference gives a 5-15 minute data delay for minute data.
DATA_DELAY = 900
PER_5MIN_300 = RateLimit(calls=300, period=300)
PER_5MIN_30 = RateLimit(calls=30, period=300)
# [I] Unverified: the endpoint publishes no limit; the reference's "assume <=300/5min"
# applies. Config `rate_limit` overrides may only lower it.
ASSUMED_300 = RateLimit(calls=300, period=300)
# Reports older than 183 days are refused ("Data older than 183 days cannot be queried").
HISTORY = 183 * DAY

# The isp/province endpoints aggregate every dimension left out of groupBy.
_ISP_GROUP_BY = ["domain", "province", "isp"]


def _dates(query: Query) -> dict[str, Any]:
    return {
        "dateFrom": format_request_time(query.window.start, query.offset_seconds),
        "dateTo": format_request_time(query.window.end, query.offset_seconds),
    }


def body_flow_request(query: Query) -> dict[str, Any]:
    # No dataInterval (always 5m) and no dataPadding: zero-filled slices that are
    # merely late would be counted as real zeros.
    return {**_dates(query), "domain": list(query.domains), "groupBy": ["domain"]}


def body_flow_request_origin(query: Query) -> dict[str, Any]:
    return {
        **_dates(query),
        "domain": list(query.domains),
        "groupBy": ["domain"],
        "dataInterval": granularity_name(query.window.slice_seconds),
    }


def body_edge_hit_ratio(query: Query) -> dict[str, Any]:
    return {**_dates(query), "domain": list(query.domains)}


def body_isp_province(query: Query) -> dict[str, Any]:
    """Shared by flow/isp-province and flow/hit-rate/isp-province (identical bodies)."""
    return {
        **_dates(query),
        "domain": list(query.domains),
        "dataInterval": granularity_name(query.window.slice_seconds),
        "groupBy": list(_ISP_GROUP_BY),
    }


def body_country_bandwidth(query: Query) -> dict[str, Any]:
    # Omitting countryCode asks for every country.
    return {
        **_dates(query),
        "domain": list(query.domains),
        "dataInterval": granularity_name(query.window.slice_seconds),
    }


# Wangsu edge figures are what the edge served to clients.
_DOWN = ("down",)
_ISP_LEVELS = (Level("ispData", "isp"), Level("provinceData", "province"))


def _slices(*seconds: int, span: int, delay: int = DATA_DELAY) -> tuple[Granularity, ...]:
    return tuple(Granularity(s, span, delay) for s in seconds)


CATALOG: dict[str, Endpoint] = {
    spec.name: spec
    for spec in (
        Endpoint(
            name="flow_request",
            path="/api/report/flow-request",
            method="POST",
            history=HISTORY,
            rate_limit=ASSUMED_300,  # [I]
            max_domains_per_call=200,
            slices=_slices(5 * MINUTE, span=DAY),
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
            description="Edge traffic, requests and bandwidth per domain (5m).",
        ),
        Endpoint(
            name="flow_request_origin",
            path="/api/report/flow-request/origin",
            method="POST",
            history=HISTORY,
            rate_limit=PER_5MIN_300,
            max_domains_per_call=200,
            slices=_slices(5 * MINUTE, MINUTE, span=DAY),
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
            slices=_slices(MINUTE, span=7 * DAY),
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
            description="Edge byte hit ratio per domain (1m).",
        ),
        Endpoint(
            name="hit_rate_isp_province",
            path="/api/report/flow/hit-rate/isp-province",
            method="POST",
            history=HISTORY,
            rate_limit=PER_5MIN_30,
            max_domains_per_call=20,
            slices=_slices(5 * MINUTE, HOUR, span=7 * DAY),
            fan_out=FanOut.DOMAIN_BATCHES,
            build_body=body_isp_province,
            shape=Nested(
                "result",
                _ISP_LEVELS,
                "hitRateData",
                (
                    Measure("value", breakdown.ISP_PROVINCE_CACHE_HIT_RATIO, HIT_RATIO),
                    Measure("hitFlow", breakdown.ISP_PROVINCE_CACHE_HIT_TRAFFIC, MB),
                ),
            ),
            opt_in=True,
            description="Byte hit ratio and hit traffic by ISP and province.",
        ),
        Endpoint(
            name="isp_province",
            path="/api/report/flow/isp-province",
            method="POST",
            history=HISTORY,
            rate_limit=ASSUMED_300,  # [I]
            max_domains_per_call=20,
            slices=_slices(5 * MINUTE, HOUR, span=7 * DAY),
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
            description="Edge bandwidth and traffic by ISP and province.",
        ),
        Endpoint(
            name="country_bandwidth",
            path="/api/report/server/country-bandwidth",
            method="POST",
            history=HISTORY,
            rate_limit=PER_5MIN_300,
            max_domains_per_call=20,
            slices=_slices(5 * MINUTE, HOUR, span=7 * DAY),
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
            description="Edge bandwidth and traffic by the country of the serving IP.",
        ),
    )
}
