"""The core metric families every provider feeds; their names are the public interface."""

from __future__ import annotations

from collector.model import Family, Kind

BANDWIDTH = Family(
    "cdn_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second",
    ("domain", "direction"),
)
TRAFFIC = Family(
    "cdn_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes",
    ("domain", "direction"),
)
REQUESTS = Family("cdn_requests_total", Kind.COUNTER, "Edge requests")
ORIGIN_BANDWIDTH = Family(
    "cdn_origin_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Back-to-origin bandwidth in bytes per second",
)
ORIGIN_TRAFFIC = Family(
    "cdn_origin_traffic_bytes_total", Kind.COUNTER, "Back-to-origin traffic in bytes"
)
ORIGIN_REQUESTS = Family("cdn_origin_requests_total", Kind.COUNTER, "Back-to-origin requests")
CACHE_HIT_RATIO = Family("cdn_cache_hit_ratio", Kind.GAUGE, "Edge byte hit ratio (0 to 1)")

CORE_FAMILIES: tuple[Family, ...] = (
    BANDWIDTH,
    TRAFFIC,
    REQUESTS,
    ORIGIN_BANDWIDTH,
    ORIGIN_TRAFFIC,
    ORIGIN_REQUESTS,
    CACHE_HIT_RATIO,
)

# Health families every provider feeds from its status-code and certificate APIs; not in
# CORE_FAMILIES (every dashboard shows those), and the rules in cdn-errors.rules.yml read them.
HTTP_RESPONSES = Family(
    "cdn_http_responses_total",
    Kind.COUNTER,
    "Edge responses by status class (1xx to 5xx, other)",
    ("domain", "status_class"),
)
HTTP_RESPONSES_BY_CODE = Family(
    "cdn_http_responses_by_code_total",
    Kind.COUNTER,
    "Edge responses by HTTP status code",
    ("domain", "status_code"),
)
ORIGIN_HTTP_RESPONSES = Family(
    "cdn_origin_http_responses_total",
    Kind.COUNTER,
    "Back-to-origin responses by status class (1xx to 5xx, other)",
    ("domain", "status_class"),
)
# Declared here for the Wangsu/CDNetworks origin response-time reports to feed (the rules'
# CdnOriginSlow reads it); Volcengine Live documents no origin latency.
ORIGIN_RESPONSE_TIME = Family(
    "cdn_origin_response_time_seconds",
    Kind.GAUGE,
    "Average back-to-origin response time in seconds",
)
CERTIFICATE_NOT_AFTER = Family(
    "cdn_certificate_not_after_timestamp_seconds",
    Kind.GAUGE,
    "When a certificate expires, as Unix seconds (an hourly snapshot of the list)",
    ("certificate",),
)
CERTIFICATE_DOMAIN = Family(
    "cdn_certificate_domain_info",
    Kind.GAUGE,
    "1 for each domain a certificate lists",
    ("certificate", "domain"),
)

HEALTH_FAMILIES: tuple[Family, ...] = (
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_HTTP_RESPONSES,
    ORIGIN_RESPONSE_TIME,
    CERTIFICATE_NOT_AFTER,
    CERTIFICATE_DOMAIN,
)


# Live audience, fed by Volcengine's stream session APIs and Wangsu/CDNetworks' stream
# report (`onlineUser`): one name for both, so a dashboard panel shows every provider.
# How each provider counts (a peak within the slice, or the count at its minute) is in
# the HELP text's per-source part.
ONLINE_USERS = Family(
    "cdn_live_online_users",
    Kind.GAUGE,
    "Online users (concurrent play sessions) of a domain",
)
STREAM_ONLINE_USERS = Family(
    "cdn_live_stream_online_users",
    Kind.GAUGE,
    "Online users (concurrent play sessions) of one stream (`app` is its publishing point)",
    ("domain", "app", "stream"),
)

# Opt-in timestamped slices (`slices: true`): one family per measure, sample per slice.
SLICE_PREFIX = "cdn_slice_"


def slice_family(family: Family) -> Family:
    """The timestamped-slice family of `family`: `cdn_traffic_bytes_total` becomes
    `cdn_slice_traffic_bytes`, a gauge whose samples carry each slice's own value and end
    time, so Prometheus (not a counter) sums them and two replicas' samples coincide."""
    stem = family.name.removeprefix("cdn_").removesuffix("_total")
    return Family(SLICE_PREFIX + stem, Kind.GAUGE, family.meaning, family.labels)
