"""Volcengine Live metric families beyond the core bandwidth and traffic families."""

from __future__ import annotations

from collector.families import ONLINE_USERS, STREAM_ONLINE_USERS
from collector.model import Family, Kind

# The P95 figure is not a slice value: a gauge whose "slice" is the billing month to date.
P95_PEAK_BANDWIDTH = Family(
    "cdn_live_p95_peak_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "95th-percentile peak bandwidth (up and down combined) in bytes per second over the "
    "billing month to date in the account's offset, as of the query end",
    ("domain",),
)
PULL_TO_PUSH_BANDWIDTH = Family(
    "cdn_live_pull_to_push_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Pull-to-push (relay) upstream bandwidth in bytes per second, bucket peak",
    ("group",),
)
PULL_TO_PUSH_DURATION = Family(
    "cdn_live_pull_to_push_duration_seconds_total",
    Kind.COUNTER,
    "Pull-to-push task duration in seconds",
    ("group",),
)
RECORDING_CONCURRENT = Family(
    "cdn_live_recording_concurrent",
    Kind.GAUGE,
    "Peak number of concurrent recordings (data settles after 7h)",
)
TRANSCODE_DURATION = Family(
    "cdn_live_transcode_duration_seconds_total",
    Kind.COUNTER,
    "Transcoding duration in seconds by output resolution and transcode type",
    ("domain", "resolution", "codec"),
)
SNAPSHOTS = Family("cdn_live_snapshots_total", Kind.COUNTER, "Snapshots taken")
AUDIT_IMAGES = Family(
    "cdn_live_audit_images_total", Kind.COUNTER, "Snapshot images sent to content audit"
)
TIME_SHIFT_STORAGE = Family(
    "cdn_live_time_shift_storage_bytes",
    Kind.GAUGE,
    "Time-shift storage in bytes for a day (a day settles at 08:00 the next day)",
    ("vhost",),
)

# The live audience families (online users per domain and per stream) are shared with
# Wangsu/CDNetworks: declared in collector.families, listed here with the others.
LIVE_FAMILIES: tuple[Family, ...] = (
    P95_PEAK_BANDWIDTH,
    PULL_TO_PUSH_BANDWIDTH,
    PULL_TO_PUSH_DURATION,
    RECORDING_CONCURRENT,
    TRANSCODE_DURATION,
    SNAPSHOTS,
    AUDIT_IMAGES,
    TIME_SHIFT_STORAGE,
    ONLINE_USERS,
    STREAM_ONLINE_USERS,
)
