"""Volcengine Live metric families beyond the core bandwidth and traffic families."""

from __future__ import annotations

from collector.model import Family, Kind

_MBPS = "Mbps read as 10^6 bit/s, divided by 8"

P95_PEAK_BANDWIDTH = Family(
    "cdn_live_p95_peak_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "95th-percentile peak bandwidth (up and down combined) in bytes per second over the "
    "billing month to date in +08:00, as of the sample's query end "
    f"(Volcengine DescribeLiveP95PeakBandwidthData P95PeakBandwidth over 5m samples, {_MBPS}).",
    ("domain",),
)
PULL_TO_PUSH_BANDWIDTH = Family(
    "cdn_live_pull_to_push_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Pull-to-push (relay) upstream bandwidth in bytes per second, peak of the newest settled "
    "bucket (Volcengine DescribeLivePullToPushBandwidthData BandwidthDataList[].UpBandwidth, "
    f"5m buckets by default, {_MBPS}).",
    ("group",),
)
PULL_TO_PUSH_DURATION = Family(
    "cdn_live_pull_to_push_duration_seconds_total",
    Kind.COUNTER,
    "Pull-to-push task duration in seconds, each settled bucket added once "
    "(Volcengine DescribeLivePullToPushData PullToPushDataList[].Value, "
    "1m buckets by default, minutes times 60).",
    ("group",),
)
RECORDING_CONCURRENT = Family(
    "cdn_live_recording_concurrent",
    Kind.GAUGE,
    "Peak number of concurrent recordings in the newest settled bucket "
    "(Volcengine DescribeLiveRecordData RecordDataList[].Value, 5m buckets by default, "
    "a count; data settles after 7h).",
)
TRANSCODE_DURATION = Family(
    "cdn_live_transcode_duration_seconds_total",
    Kind.COUNTER,
    "Transcoding duration in seconds by output resolution and transcode type, each settled "
    "bucket added once (Volcengine DescribeLiveTranscodeData TranscodeDataList[].Duration "
    "with its Resolution and TranscodeType, 1d buckets in +08:00, minutes times 60).",
    ("domain", "resolution", "codec"),
)
SNAPSHOTS = Family(
    "cdn_live_snapshots_total",
    Kind.COUNTER,
    "Snapshots taken, each settled bucket added once "
    "(Volcengine DescribeLiveSnapshotData SnapshotDataList[].Value, 5m buckets by default, "
    "a count).",
)
AUDIT_IMAGES = Family(
    "cdn_live_audit_images_total",
    Kind.COUNTER,
    "Snapshot images sent to content audit, each settled bucket added once "
    "(Volcengine DescribeLiveAuditData AuditDataList[].Count, 1d buckets in +08:00, a count).",
)
TIME_SHIFT_STORAGE = Family(
    "cdn_live_time_shift_storage_bytes",
    Kind.GAUGE,
    "Time-shift storage in bytes for the newest settled day "
    "(Volcengine DescribeLiveTimeShiftData TimeShiftDataList[].Storage, 1d buckets in +08:00, "
    "GB read as 2^30 bytes; a day settles at 08:00 the next day).",
    ("vhost",),
)

LIVE_FAMILIES: tuple[Family, ...] = (
    P95_PEAK_BANDWIDTH,
    PULL_TO_PUSH_BANDWIDTH,
    PULL_TO_PUSH_DURATION,
    RECORDING_CONCURRENT,
    TRANSCODE_DURATION,
    SNAPSHOTS,
    AUDIT_IMAGES,
    TIME_SHIFT_STORAGE,
)
