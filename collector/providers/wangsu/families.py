"""Wangsu/CDNetworks families fed by more than one report (only one may be on at a time)
and the first breakdowns: ISP x province and server-IP country."""

from __future__ import annotations

from collector.model import Family, Kind

_ISP_LABELS = ("domain", "isp", "province")
_COUNTRY_LABELS = ("domain", "country")

ISP_PROVINCE_BANDWIDTH = Family(
    "cdn_isp_province_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by ISP and province",
    _ISP_LABELS,
)
ISP_PROVINCE_TRAFFIC = Family(
    "cdn_isp_province_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by ISP and province",
    _ISP_LABELS,
)
ISP_PROVINCE_CACHE_HIT_RATIO = Family(
    "cdn_isp_province_cache_hit_ratio",
    Kind.GAUGE,
    "Edge byte hit ratio (0 to 1) by ISP and province",
    _ISP_LABELS,
)
ISP_PROVINCE_CACHE_HIT_TRAFFIC = Family(
    "cdn_isp_province_cache_hit_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic served from cache in bytes by ISP and province",
    _ISP_LABELS,
)
SERVER_COUNTRY_BANDWIDTH = Family(
    "cdn_server_country_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by the country of the serving IP",
    _COUNTRY_LABELS,
)
SERVER_COUNTRY_TRAFFIC = Family(
    "cdn_server_country_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by the country of the serving IP",
    _COUNTRY_LABELS,
)
# Every domain of the account in one series (flow/byte, or GET /api/report/flow): its
# own family, never beside the per-domain cdn_traffic_bytes_total.
ACCOUNT_TRAFFIC = Family(
    "cdn_account_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes summed over every domain of the account",
    (),
)
# flow/stream/detail or flow-bandwidth/stream/detail.
STREAM_TRAFFIC = Family(
    "cdn_stream_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by stream",
    ("domain", "stream"),
)
