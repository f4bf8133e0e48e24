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


# Opt-in timestamped slices (`slices: true`): one family per measure, sample per slice.
SLICE_PREFIX = "cdn_slice_"


def slice_family(family: Family) -> Family:
    """The timestamped-slice family of `family`: `cdn_traffic_bytes_total` becomes
    `cdn_slice_traffic_bytes`, a gauge whose samples carry each slice's own value and end
    time, so Prometheus (not a counter) sums them and two replicas' samples coincide."""
    stem = family.name.removeprefix("cdn_").removesuffix("_total")
    return Family(SLICE_PREFIX + stem, Kind.GAUGE, family.meaning, family.labels)
