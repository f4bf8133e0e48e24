"""Wangsu/CDNetworks breakdown families: ISP x province and server-IP country."""

from __future__ import annotations

from collector.model import Family, Kind

_MB = "MB read as 10^6 bytes"
_MBPS = "Mbps read as 10^6 bit/s, divided by 8"
_ISP = "/api/report/flow/isp-province"
_HIT = "/api/report/flow/hit-rate/isp-province"
_COUNTRY = "/api/report/server/country-bandwidth"
_ISP_LABELS = ("domain", "isp", "province")
_COUNTRY_LABELS = ("domain", "country")

ISP_PROVINCE_BANDWIDTH = Family(
    "cdn_isp_province_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by ISP and province in the newest settled slice "
    f"(Wangsu/CDNetworks {_ISP} result[].ispData[].provinceData[].flowData[].bandwidth, "
    f"5m or 1h, {_MBPS}).",
    _ISP_LABELS,
)
ISP_PROVINCE_TRAFFIC = Family(
    "cdn_isp_province_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by ISP and province, each settled slice added once "
    f"(Wangsu/CDNetworks {_ISP} result[].ispData[].provinceData[].flowData[].value, "
    f"5m or 1h, {_MB}).",
    _ISP_LABELS,
)
ISP_PROVINCE_CACHE_HIT_RATIO = Family(
    "cdn_isp_province_cache_hit_ratio",
    Kind.GAUGE,
    "Edge byte hit ratio (0 to 1) by ISP and province in the newest settled slice "
    f"(Wangsu/CDNetworks {_HIT} result[].ispData[].provinceData[].hitRateData[].value, "
    "5m or 1h; a value above 1 is read as percent).",
    _ISP_LABELS,
)
ISP_PROVINCE_CACHE_HIT_TRAFFIC = Family(
    "cdn_isp_province_cache_hit_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic served from cache in bytes by ISP and province, each settled slice added "
    f"once (Wangsu/CDNetworks {_HIT} result[].ispData[].provinceData[].hitRateData[].hitFlow, "
    f"5m or 1h, {_MB}).",
    _ISP_LABELS,
)
SERVER_COUNTRY_BANDWIDTH = Family(
    "cdn_server_country_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by the country of the serving IP, newest settled "
    f"slice (Wangsu/CDNetworks {_COUNTRY} data[].countryData[].detailList[].value, "
    f"5m or 1h, {_MBPS}).",
    _COUNTRY_LABELS,
)
SERVER_COUNTRY_TRAFFIC = Family(
    "cdn_server_country_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by the country of the serving IP, each settled slice added once "
    f"(Wangsu/CDNetworks {_COUNTRY} data[].countryData[].detailList[].flow, 5m or 1h, {_MB}).",
    _COUNTRY_LABELS,
)

BREAKDOWN_FAMILIES: tuple[Family, ...] = (
    ISP_PROVINCE_BANDWIDTH,
    ISP_PROVINCE_TRAFFIC,
    ISP_PROVINCE_CACHE_HIT_RATIO,
    ISP_PROVINCE_CACHE_HIT_TRAFFIC,
    SERVER_COUNTRY_BANDWIDTH,
    SERVER_COUNTRY_TRAFFIC,
)
