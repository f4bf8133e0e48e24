"""The Wangsu/CDNetworks report endpoints as data, with one body builder per endpoint."""

from __future__ import annotations

from typing import Any

from collector import families as core
from collector.model import RateLimit
from collector.providers.base import EndpointSpec, Query
from collector.providers.wangsu import families as breakdown
from collector.providers.wangsu import parsers
from collector.timeslices import DAY, format_request_time, granularity_name

# Default settle delay: the reference gives a 5-15 minute data delay for minute data.
DATA_DELAY = 900
PER_5MIN_300 = RateLimit(calls=300, period=300)
PER_5MIN_30 = RateLimit(calls=30, period=300)
# [I] Unverified: the endpoint publishes no limit; the reference's "assume <=300/5min"
# applies. Config `rate_limit` overrides may only lower it.
ASSUMED_300 = RateLimit(calls=300, period=300)

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
    body: dict[str, Any] = {
        **_dates(query),
        "domain": list(query.domains),
        "dataInterval": granularity_name(query.window.slice_seconds),
    }
    # Omitting countryCode asks for every country.
    countries = query.options.get("country_codes")
    if countries:
        body["countryCode"] = list(countries)
    return body


CATALOG: dict[str, EndpointSpec] = {
    spec.name: spec
    for spec in (
        EndpointSpec(
            name="flow_request",
            path="/api/report/flow-request",
            method="POST",
            rate_limit=ASSUMED_300,  # [I]
            max_domains_per_call=200,
            granularities=(300,),
            max_span=DAY,
            data_delay=DATA_DELAY,
            envelope="result",
            families=(core.BANDWIDTH, core.TRAFFIC, core.REQUESTS),
            build_body=body_flow_request,
            parse=parsers.parse_flow_request,
            description="Edge traffic, requests and bandwidth per domain (5m).",
        ),
        EndpointSpec(
            name="flow_request_origin",
            path="/api/report/flow-request/origin",
            method="POST",
            rate_limit=PER_5MIN_300,
            max_domains_per_call=200,
            granularities=(300, 60),
            max_span=DAY,
            data_delay=DATA_DELAY,
            envelope="result",
            families=(core.ORIGIN_BANDWIDTH, core.ORIGIN_TRAFFIC, core.ORIGIN_REQUESTS),
            build_body=body_flow_request_origin,
            parse=parsers.parse_flow_request_origin,
            description="Back-to-origin traffic, requests and bandwidth per domain.",
        ),
        EndpointSpec(
            name="edge_hit_ratio",
            path="/api/report/flow/edge-hit-ratio/total",
            method="POST",
            rate_limit=ASSUMED_300,  # [I]
            # The API takes up to 200 domains but answers one unlabelled series
            # aggregated over them, so one domain per call keeps series per domain.
            max_domains_per_call=1,
            granularities=(60,),
            max_span=7 * DAY,
            data_delay=DATA_DELAY,
            envelope="result",
            families=(core.CACHE_HIT_RATIO,),
            build_body=body_edge_hit_ratio,
            parse=parsers.parse_edge_hit_ratio,
            description="Edge byte hit ratio per domain (1m).",
        ),
        EndpointSpec(
            name="hit_rate_isp_province",
            path="/api/report/flow/hit-rate/isp-province",
            method="POST",
            rate_limit=PER_5MIN_30,
            max_domains_per_call=20,
            granularities=(300, 3600),
            max_span=7 * DAY,
            data_delay=DATA_DELAY,
            envelope="result",
            families=(
                breakdown.ISP_PROVINCE_CACHE_HIT_RATIO,
                breakdown.ISP_PROVINCE_CACHE_HIT_TRAFFIC,
            ),
            build_body=body_isp_province,
            parse=parsers.parse_hit_rate_isp_province,
            opt_in=True,
            description="Byte hit ratio and hit traffic by ISP and province.",
        ),
        EndpointSpec(
            name="isp_province",
            path="/api/report/flow/isp-province",
            method="POST",
            rate_limit=ASSUMED_300,  # [I]
            max_domains_per_call=20,
            granularities=(300, 3600),
            max_span=7 * DAY,
            data_delay=DATA_DELAY,
            envelope="result",
            families=(breakdown.ISP_PROVINCE_BANDWIDTH, breakdown.ISP_PROVINCE_TRAFFIC),
            build_body=body_isp_province,
            parse=parsers.parse_isp_province,
            opt_in=True,
            description="Edge bandwidth and traffic by ISP and province.",
        ),
        EndpointSpec(
            name="country_bandwidth",
            path="/api/report/server/country-bandwidth",
            method="POST",
            rate_limit=PER_5MIN_300,
            max_domains_per_call=20,
            granularities=(300, 3600),
            max_span=7 * DAY,
            data_delay=DATA_DELAY,
            envelope="code-data",
            families=(breakdown.SERVER_COUNTRY_BANDWIDTH, breakdown.SERVER_COUNTRY_TRAFFIC),
            build_body=body_country_bandwidth,
            parse=parsers.parse_country_bandwidth,
            opt_in=True,
            description="Edge bandwidth and traffic by the country of the serving IP.",
        ),
    )
}
