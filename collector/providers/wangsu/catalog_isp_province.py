"""Wangsu/CDNetworks ISP x province reports beyond the first two: origin, bytes, hit rates.

Every family here is the endpoint's own: the exposition carries no `endpoint` label, so
two reports of the same quantity (MB and Bytes, serving-node and visitor attribution,
per-cell and per-domain totals) would otherwise print the same series twice. The SDK's
descriptions name the attribution: the `/byte` reports by the ISP and province of the
serving node (服务节点归属), `shorttime` by those of the visitor's IP (访客IP归属).
"""

from __future__ import annotations

from collector.model import Family, Kind
from collector.providers.endpoint import Endpoint, FanOut, Measure
from collector.providers.wangsu.declare import (
    ASSUMED_300,
    DOMAINS,
    INTERVAL,
    ISP_GROUP_BY,
    ISP_LEVELS,
    Body,
    slices,
)
from collector.providers.wangsu.wire import BYTES, HIT_RATIO, MB, MBPS, Nested
from collector.timeslices import DAY, HOUR, MINUTE

_ISP_LABELS = ("domain", "isp", "province")
_DOMAIN_LABELS = ("domain",)


# -- families ------------------------------------------------------------------------

ORIGIN_ISP_PROVINCE_TRAFFIC = Family(
    "cdn_origin_isp_province_traffic_bytes_total",
    Kind.COUNTER,
    "Back-to-origin traffic in bytes by ISP and province",
    _ISP_LABELS,
)
ORIGIN_ISP_PROVINCE_BANDWIDTH = Family(
    "cdn_origin_isp_province_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Back-to-origin bandwidth in bytes per second by ISP and province",
    _ISP_LABELS,
)
ISP_PROVINCE_NODE_TRAFFIC = Family(
    "cdn_isp_province_node_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by the ISP and province of the serving node (byte report)",
    _ISP_LABELS,
)
ORIGIN_ISP_PROVINCE_NODE_TRAFFIC = Family(
    "cdn_origin_isp_province_node_traffic_bytes_total",
    Kind.COUNTER,
    "Back-to-origin traffic in bytes by the ISP and province of the serving node (byte report)",
    _ISP_LABELS,
)
ISP_PROVINCE_NODE_CACHE_HIT_RATIO = Family(
    "cdn_isp_province_node_cache_hit_ratio",
    Kind.GAUGE,
    "Edge byte hit ratio (0 to 1) by the ISP and province of the serving node (byte report)",
    _ISP_LABELS,
)
ISP_PROVINCE_NODE_CACHE_HIT_TRAFFIC = Family(
    "cdn_isp_province_node_cache_hit_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic served from cache in bytes by the ISP and province of the serving node "
    "(byte report)",
    _ISP_LABELS,
)
ISP_PROVINCE_VISITOR_TRAFFIC = Family(
    "cdn_isp_province_visitor_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by the ISP and province of the visitor's IP (short-time report)",
    _ISP_LABELS,
)
ISP_PROVINCE_VISITOR_BANDWIDTH = Family(
    "cdn_isp_province_visitor_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by the ISP and province of the visitor's IP "
    "(short-time report)",
    _ISP_LABELS,
)
ISP_PROVINCE_TOTAL_TRAFFIC = Family(
    "cdn_isp_province_total_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes per domain over every ISP and province (minute-level total)",
    _DOMAIN_LABELS,
)
ISP_PROVINCE_TOTAL_CACHE_HIT_TRAFFIC = Family(
    "cdn_isp_province_total_cache_hit_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic served from cache in bytes per domain over every ISP and province "
    "(minute-level total)",
    _DOMAIN_LABELS,
)
ISP_PROVINCE_TOTAL_CACHE_HIT_RATIO = Family(
    "cdn_isp_province_total_cache_hit_ratio",
    Kind.GAUGE,
    "Edge byte hit ratio (0 to 1) per domain over every ISP and province (minute-level total)",
    _DOMAIN_LABELS,
)
ISP_PROVINCE_DETAIL_CACHE_HIT_TRAFFIC = Family(
    "cdn_isp_province_detail_cache_hit_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic served from cache in bytes by ISP and province (minute-level detail)",
    _ISP_LABELS,
)
ISP_PROVINCE_DETAIL_CACHE_HIT_RATIO = Family(
    "cdn_isp_province_detail_cache_hit_ratio",
    Kind.GAUGE,
    "Edge byte hit ratio (0 to 1) by ISP and province (minute-level detail)",
    _ISP_LABELS,
)


# -- bodies --------------------------------------------------------------------------

# Per domain, ISP and province cell (no isp/province filter: every value).
CELLS_BODY = Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": ISP_GROUP_BY})
# groupBy is one string here: "domain" (not "all") for one detailList per domain.
# queryBy flow: values are traffic in MB.
TOTAL_BODY = Body(
    fields={"domain": DOMAINS, "dataInterval": INTERVAL, "queryBy": "flow", "groupBy": "domain"}
)


def _cells(
    *,
    name: str,
    path: str,
    series: str,
    measures: tuple[Measure, ...],
    granularities: tuple[int, ...],
    span: int,
    sdk_model: str,
    description: str,
) -> Endpoint:
    """A per-cell report: `domain` > `ispData[]` > `provinceData[]` > `series[]`."""
    return Endpoint(
        name=name,
        path=path,
        method="POST",
        rate_limit=ASSUMED_300,  # [I] no published limit
        max_domains_per_call=20,
        slices=slices(*granularities, span=span),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=CELLS_BODY,
        shape=Nested(envelope="result", levels=ISP_LEVELS, series=series, measures=measures),
        opt_in=True,
        sdk_model=sdk_model,
        description=description,
    )


# Per-domain hit ratio and hit traffic: named, because edge_hit_ratio_batched in catalog.py
# reads the same API for the core hit-ratio family.
HIT_RATE_TOTAL = Endpoint(
    name="isp_province_hit_rate_total",
    path="/api/report/flow/isp-province/hit-rate/total",
    method="POST",
    rate_limit=ASSUMED_300,  # [I]
    max_domains_per_call=20,
    slices=slices(MINUTE, 5 * MINUTE, span=DAY),
    fan_out=FanOut.DOMAIN_BATCHES,
    build_body=TOTAL_BODY,
    shape=Nested(
        envelope="code-data",
        levels=(),
        series="detailList",
        measures=(
            Measure(field="hitValue", family=ISP_PROVINCE_TOTAL_CACHE_HIT_TRAFFIC, unit=MB),
            Measure(field="hitRate", family=ISP_PROVINCE_TOTAL_CACHE_HIT_RATIO, unit=HIT_RATIO),
        ),
    ),
    opt_in=True,
    sdk_model="reportflow.QueryISPProvinceHitRate",
    description="Minute-level byte hit ratio and hit traffic per domain.",
)


ENDPOINTS: tuple[Endpoint, ...] = (
    _cells(
        name="origin_isp_province",
        path="/api/report/flow/origin/isp-province",
        series="originFlowData",
        measures=(
            Measure(field="value", family=ORIGIN_ISP_PROVINCE_TRAFFIC, unit=MB),
            Measure(field="originBandwidth", family=ORIGIN_ISP_PROVINCE_BANDWIDTH, unit=MBPS),
        ),
        granularities=(5 * MINUTE, HOUR),
        span=7 * DAY,
        sdk_model="reportflow.ReportFlowOriginIspProvinceService",
        description="Back-to-origin traffic and bandwidth by ISP and province.",
    ),
    _cells(
        name="isp_province_byte",
        path="/api/report/flow/isp-province/byte",
        series="flowData",
        measures=(Measure(field="value", family=ISP_PROVINCE_NODE_TRAFFIC, unit=BYTES),),
        granularities=(5 * MINUTE, HOUR),
        span=7 * DAY,
        sdk_model="reportflow.ReportFlowIspProvinceByteService",
        description="Edge traffic in Bytes by the serving node's ISP and province.",
    ),
    _cells(
        name="origin_isp_province_byte",
        path="/api/report/flow/origin/isp-province/byte",
        series="originFlowData",
        measures=(Measure(field="value", family=ORIGIN_ISP_PROVINCE_NODE_TRAFFIC, unit=BYTES),),
        granularities=(5 * MINUTE, HOUR),
        span=7 * DAY,
        sdk_model="reportflow.ReportFlowOriginIspProvinceByteService",
        description="Back-to-origin traffic in Bytes by the serving node's ISP and province.",
    ),
    _cells(
        name="hit_rate_isp_province_byte",
        path="/api/report/flow/hit-rate/isp-province/byte",
        series="hitRateData",
        measures=(
            Measure(field="value", family=ISP_PROVINCE_NODE_CACHE_HIT_RATIO, unit=HIT_RATIO),
            # Required in this model (unlike the MB report's on-request hitFlow).
            Measure(field="hitFlow", family=ISP_PROVINCE_NODE_CACHE_HIT_TRAFFIC, unit=BYTES),
        ),
        granularities=(5 * MINUTE, HOUR),
        span=7 * DAY,
        sdk_model="reportflow.ReportFlowHitRateIspProvinceByteService",
        description="Byte hit ratio and hit traffic in Bytes by the serving node's ISP and "
        "province.",
    ),
    _cells(
        name="isp_province_shorttime",
        path="/api/report/flow/isp-province/shorttime",
        series="flowData",
        measures=(
            Measure(field="value", family=ISP_PROVINCE_VISITOR_TRAFFIC, unit=MB),
            Measure(field="bandwidth", family=ISP_PROVINCE_VISITOR_BANDWIDTH, unit=MBPS),
        ),
        granularities=(5 * MINUTE, MINUTE, HOUR),
        span=2 * HOUR,  # "允许查询最大间隔：2小时" (the English text also says 7 hours)
        sdk_model="reportflow.ReportFlowIspProvinceShortTimeService",
        description="Edge traffic and bandwidth by the visitor IP's ISP and province "
        "(short spans).",
    ),
    Endpoint(
        name="isp_province_total",
        path="/api/report/flow/isp-province/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(MINUTE, 5 * MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=TOTAL_BODY,
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="detailList",
            measures=(Measure(field="value", family=ISP_PROVINCE_TOTAL_TRAFFIC, unit=MB),),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowIspProvinceTotalService",
        description="Minute-level edge traffic per domain over every ISP and province.",
    ),
    HIT_RATE_TOTAL,
    Endpoint(
        name="isp_province_hit_rate_detail",
        path="/api/report/flow/isp-province/hit-rate/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        # "≤24 hours; if the dataInterval is 1m, ≤6 hours".
        slices=(*slices(5 * MINUTE, span=DAY), *slices(MINUTE, span=6 * HOUR)),
        fan_out=FanOut.DOMAIN_BATCHES,
        # queryBy flow: hitValue is hit traffic in MB (request would be hit requests).
        build_body=Body(
            fields={
                "domain": DOMAINS,
                "dataInterval": INTERVAL,
                "groupBy": ISP_GROUP_BY,
                "queryBy": "flow",
            }
        ),
        shape=Nested(
            envelope="code-data",
            levels=ISP_LEVELS,
            series="details",
            measures=(
                Measure(field="hitValue", family=ISP_PROVINCE_DETAIL_CACHE_HIT_TRAFFIC, unit=MB),
                Measure(
                    field="hitRate", family=ISP_PROVINCE_DETAIL_CACHE_HIT_RATIO, unit=HIT_RATIO
                ),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowIspProvinceHitRateDetailService",
        description="Minute-level byte hit ratio and hit traffic by ISP and province.",
    ),
)
