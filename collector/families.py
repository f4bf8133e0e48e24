"""The core metric families every provider feeds; their names are the public interface."""

from __future__ import annotations

from collector.model import Family, Kind

_MB = "MB read as 10^6 bytes"
_MBPS = "Mbps read as 10^6 bit/s, divided by 8"

BANDWIDTH = Family(
    "cdn_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second in the newest settled slice "
    f"(Wangsu/CDNetworks flow-request flowRequestData[].bandwidth, 5m, {_MBPS}; "
    "Volcengine DescribeLiveBandwidthData DownBandwidth/UpBandwidth, bucket peak, Mbps).",
    ("domain", "direction"),
)
TRAFFIC = Family(
    "cdn_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes, each settled slice added once "
    f"(Wangsu/CDNetworks flow-request flowRequestData[].flow, 5m, {_MB}; "
    "Volcengine DescribeLiveTrafficData DownTraffic/UpTraffic, GB read as 10^9 bytes).",
    ("domain", "direction"),
)
REQUESTS = Family(
    "cdn_requests_total",
    Kind.COUNTER,
    "Edge requests, each settled slice added once "
    "(Wangsu/CDNetworks flow-request flowRequestData[].request, 5m slices).",
)
ORIGIN_BANDWIDTH = Family(
    "cdn_origin_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Back-to-origin bandwidth in bytes per second in the newest settled slice "
    "(Wangsu/CDNetworks flow-request/origin flowRequestOriginData[].bandwidth, 5m or 1m, "
    f"{_MBPS}).",
)
ORIGIN_TRAFFIC = Family(
    "cdn_origin_traffic_bytes_total",
    Kind.COUNTER,
    "Back-to-origin traffic in bytes, each settled slice added once "
    f"(Wangsu/CDNetworks flow-request/origin flowRequestOriginData[].flow, 5m or 1m, {_MB}).",
)
ORIGIN_REQUESTS = Family(
    "cdn_origin_requests_total",
    Kind.COUNTER,
    "Back-to-origin requests, each settled slice added once "
    "(Wangsu/CDNetworks flow-request/origin flowRequestOriginData[].request, 5m or 1m).",
)
CACHE_HIT_RATIO = Family(
    "cdn_cache_hit_ratio",
    Kind.GAUGE,
    "Edge byte hit ratio (0 to 1) in the newest settled slice "
    "(Wangsu/CDNetworks flow/edge-hit-ratio/total hitRatioDatas[].edgeHitRatio, 1m slices; "
    "a value above 1 is read as percent).",
)

CORE_FAMILIES: tuple[Family, ...] = (
    BANDWIDTH,
    TRAFFIC,
    REQUESTS,
    ORIGIN_BANDWIDTH,
    ORIGIN_TRAFFIC,
    ORIGIN_REQUESTS,
    CACHE_HIT_RATIO,
)
