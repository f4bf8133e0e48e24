"""The first Wangsu/CDNetworks reports: traffic, origin, hit ratio, ISP x province, country."""

from __future__ import annotations

from dataclasses import replace

from collector import families as core
from collector.providers.endpoint import Endpoint, FanOut, Measure
from collector.providers.wangsu import catalog_isp_province
from collector.providers.wangsu import families as breakdown
from collector.providers.wangsu.declare import (
    ASSUMED_300,
    DOMAINS,
    DOWN,
    HISTORY,
    INTERVAL,
    ISP_GROUP_BY,
    ISP_LEVELS,
    PER_5MIN_30,
    PER_5MIN_300,
    Body,
    slices,
)
from collector.providers.wangsu.wire import COUNT, HIT_RATIO, MB, MBPS, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE

# Shared by flow/isp-province and flow/hit-rate/isp-province (identical bodies).
ISP_PROVINCE_BODY = Body(
    fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": ISP_GROUP_BY}
)

# edge_hit_ratio's alternative source: the isp-province/hit-rate/total API as declared
# there (path, limit, 20 domains a call, slices, body), read for `hitRate` only into the
# core family.
EDGE_HIT_RATIO_BATCHED = replace(
    catalog_isp_province.HIT_RATE_TOTAL,
    name="edge_hit_ratio_batched",
    shape=Nested(
        envelope="code-data",
        levels=(),
        series="detailList",
        measures=(Measure(field="hitRate", family=core.CACHE_HIT_RATIO, unit=HIT_RATIO),),
    ),
    description="Edge byte hit ratio per domain, 20 domains a call (edge_hit_ratio's "
    "alternative for many domains; chosen automatically).",
)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="flow_request",
        path="/api/report/flow-request",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=200,
        slices=slices(5 * MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        # No dataInterval (always 5m) and no dataPadding: zero-filled slices that are
        # merely late would be counted as real zeros.
        build_body=Body(fields={"domain": DOMAINS, "groupBy": ("domain",)}),
        shape=Nested(
            envelope="result",
            levels=(),
            series="flowRequestData",
            measures=(
                Measure(field="flow", family=core.TRAFFIC, unit=MB, labels=DOWN),
                Measure(field="bandwidth", family=core.BANDWIDTH, unit=MBPS, labels=DOWN),
                Measure(field="request", family=core.REQUESTS, unit=COUNT),
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
        build_body=Body(
            fields={"domain": DOMAINS, "groupBy": ("domain",), "dataInterval": INTERVAL}
        ),
        shape=Nested(
            envelope="result",
            levels=(),
            series="flowRequestOriginData",
            measures=(
                Measure(field="flow", family=core.ORIGIN_TRAFFIC, unit=MB),
                Measure(field="bandwidth", family=core.ORIGIN_BANDWIDTH, unit=MBPS),
                Measure(field="request", family=core.ORIGIN_REQUESTS, unit=COUNT),
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
        build_body=Body(fields={"domain": DOMAINS}),
        shape=Nested(
            envelope="result",
            levels=(),
            series="hitRatioDatas",
            measures=(Measure(field="edgeHitRatio", family=core.CACHE_HIT_RATIO, unit=HIT_RATIO),),
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
        build_body=ISP_PROVINCE_BODY,
        shape=Nested(
            envelope="result",
            levels=ISP_LEVELS,
            series="hitRateData",
            measures=(
                Measure(
                    field="value", family=breakdown.ISP_PROVINCE_CACHE_HIT_RATIO, unit=HIT_RATIO
                ),
                # The SDK: "not returned by default; ask support to enable it".
                Measure(
                    field="hitFlow",
                    family=breakdown.ISP_PROVINCE_CACHE_HIT_TRAFFIC,
                    unit=MB,
                    optional=True,
                ),
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
        build_body=ISP_PROVINCE_BODY,
        shape=Nested(
            envelope="result",
            levels=ISP_LEVELS,
            series="flowData",
            measures=(
                Measure(field="value", family=breakdown.ISP_PROVINCE_TRAFFIC, unit=MB),
                Measure(field="bandwidth", family=breakdown.ISP_PROVINCE_BANDWIDTH, unit=MBPS),
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
        # Omitting countryCode asks for every country.
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL}),
        shape=Nested(
            envelope="code-data",
            levels=(Level(key="countryData", label="countryCode"),),
            series="detailList",
            measures=(
                Measure(field="value", family=breakdown.SERVER_COUNTRY_BANDWIDTH, unit=MBPS),
                Measure(field="flow", family=breakdown.SERVER_COUNTRY_TRAFFIC, unit=MB),
            ),
        ),
        opt_in=True,
        sdk_model="reportbandwidth.ReportCountryServerBandwidthService",
        description="Edge bandwidth and traffic by the country of the serving IP.",
    ),
)
