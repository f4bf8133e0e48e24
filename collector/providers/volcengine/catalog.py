"""The Volcengine Live usage and health APIs, each declared once: Action, limits, body,
shape (usage here, health in catalog_health.py, shared pieces in declare.py)."""

from __future__ import annotations

from collector.families import (
    BANDWIDTH,
    TRAFFIC,
)
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    Granularity,
    Measure,
)
from collector.providers.volcengine.catalog_health import HEALTH
from collector.providers.volcengine.declare import (
    DAILY,
    MAX_DOMAINS,
    P95_AGGREGATION,
    USUAL_DELAY,
    build_domain_body,
    build_edge_body,
    build_group_body,
    build_p95_body,
    build_time_shift_body,
    build_transcode_body,
    live_endpoint,
    live_slices,
)
from collector.providers.volcengine.families import (
    AUDIT_IMAGES,
    P95_PEAK_BANDWIDTH,
    PULL_TO_PUSH_BANDWIDTH,
    PULL_TO_PUSH_DURATION,
    RECORDING_CONCURRENT,
    SNAPSHOTS,
    TIME_SHIFT_STORAGE,
    TRANSCODE_DURATION,
)
from collector.providers.volcengine.wire import (
    COUNT,
    GB,
    GIB,
    MBPS,
    MINUTES,
    RangeTotal,
    ScopedSeries,
    SplitSeries,
)
from collector.timeslices import DAY, HOUR, MINUTE

CATALOG: dict[str, Endpoint] = {
    spec.name: spec
    for spec in (
        live_endpoint(
            "bandwidth",
            "DescribeLiveBandwidthData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=live_slices(300, HOUR, DAY),
            build_body=build_edge_body,
            shape=SplitSeries(
                "BandwidthDataList",
                ("BandwidthDetailDataList",),
                "Domain",
                (
                    Measure("DownBandwidth", BANDWIDTH, MBPS, ("down",)),
                    Measure("UpBandwidth", BANDWIDTH, MBPS, ("up",)),
                ),
            ),
            description="Edge bandwidth, down (pull) and up (push), peak per bucket.",
        ),
        live_endpoint(
            "traffic",
            "DescribeLiveTrafficData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=live_slices(300, HOUR, DAY),
            build_body=build_edge_body,
            shape=SplitSeries(
                "TrafficDataList",
                ("TrafficDetailDataList",),
                "Domain",
                (
                    Measure("DownTraffic", TRAFFIC, GB, ("down",)),
                    Measure("UpTraffic", TRAFFIC, GB, ("up",)),
                ),
            ),
            description="Edge traffic, down (pull) and up (push), total per bucket.",
        ),
        live_endpoint(
            "p95_peak_bandwidth",
            "DescribeLiveP95PeakBandwidthData",
            # No DetailField: a per-domain figure takes one call per domain.
            max_domains=1,
            fan_out=FanOut.PER_DOMAIN,
            slices=(Granularity(P95_AGGREGATION, 93 * DAY, USUAL_DELAY),),
            build_body=build_p95_body,
            shape=RangeTotal(Measure("P95PeakBandwidth", P95_PEAK_BANDWIDTH, MBPS)),
            description="95th-percentile peak bandwidth over the billing month to date.",
            point_at_window_start=True,  # p95_range ends at the window's start
        ),
        live_endpoint(
            "pull_to_push_bandwidth",
            "DescribeLivePullToPushBandwidthData",
            max_domains=0,  # takes GroupList, not domains
            fan_out=FanOut.GROUP_BATCHES,
            slices=live_slices(300, HOUR, DAY),
            build_body=build_group_body,
            shape=SplitSeries(
                "BandwidthDataList",
                ("BandwidthDetailDataList",),
                "Group",
                (Measure("UpBandwidth", PULL_TO_PUSH_BANDWIDTH, MBPS),),
            ),
            description="Pull-to-push (relay) upstream bandwidth per task group.",
        ),
        live_endpoint(
            "pull_to_push",
            "DescribeLivePullToPushData",
            max_domains=0,  # takes GroupList, not domains
            fan_out=FanOut.GROUP_BATCHES,
            # [I] Doc default is 86400; the finest (60 s, 1 d span) keeps the counter
            # fresh. The documented delay is 5 min at 60 s, 15 min at 3600/86400.
            slices=(*live_slices(MINUTE, delay=5 * MINUTE), *live_slices(HOUR, DAY)),
            build_body=build_group_body,
            shape=SplitSeries(
                "PullToPushDataList",
                ("PullToPushDetailDataList",),
                "Group",
                (Measure("Value", PULL_TO_PUSH_DURATION, MINUTES),),
            ),
            description="Pull-to-push task duration per task group.",
        ),
        live_endpoint(
            "record",
            "DescribeLiveRecordData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=live_slices(300, HOUR, DAY, delay=7 * HOUR),
            build_body=build_domain_body,
            shape=SplitSeries(
                "RecordDataList",
                ("RecordDetailDataList",),
                "Domain",
                (Measure("Value", RECORDING_CONCURRENT, COUNT),),
            ),
            description="Peak concurrent recordings per bucket.",
        ),
        live_endpoint(
            "transcode",
            "DescribeLiveTranscodeData",
            # No DetailField: a per-domain figure takes one call per domain.
            max_domains=1,
            fan_out=FanOut.PER_DOMAIN,
            slices=live_slices(DAY, delay=20 * MINUTE),
            build_body=build_transcode_body,
            shape=ScopedSeries(
                "TranscodeDataList",
                Measure("Duration", TRANSCODE_DURATION, MINUTES),
                "domains",
                ("Resolution", "TranscodeType"),
            ),
            description="Transcoding minutes per day by resolution and transcode type.",
        ),
        live_endpoint(
            "snapshot",
            "DescribeLiveSnapshotData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            # [I] Doc default is 86400; the finest (300 s) keeps the counter fresh.
            slices=live_slices(300, HOUR, DAY),
            build_body=build_domain_body,
            # The split list is `SnapshotDetailData` (sic, no `List`); the regular name
            # is accepted too in case the service is ever made consistent.
            shape=SplitSeries(
                "SnapshotDataList",
                ("SnapshotDetailData", "SnapshotDetailDataList"),
                "Domain",
                (Measure("Value", SNAPSHOTS, COUNT),),
            ),
            description="Snapshot count per bucket.",
        ),
        live_endpoint(
            "audit",
            "DescribeLiveAuditData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=DAILY,
            build_body=build_domain_body,
            shape=SplitSeries(
                "AuditDataList",
                ("AuditDetailDataList",),
                "Domain",
                (Measure("Count", AUDIT_IMAGES, COUNT),),
            ),
            description="Audited snapshot images per day.",
        ),
        live_endpoint(
            "time_shift",
            "DescribeLiveTimeShiftData",
            max_domains=0,  # takes Vhosts, not domains: one call per vhost (no split)
            fan_out=FanOut.PER_VHOST,
            # "Previous day's data available after 08:00" (+08:00): a day bucket ends at
            # local midnight, so it settles 8 h after its end. Buckets are read as
            # start-labelled like every other Live API (one older doc says end of day).
            slices=live_slices(DAY, delay=8 * HOUR),
            build_body=build_time_shift_body,
            shape=ScopedSeries(
                "TimeShiftDataList", Measure("Storage", TIME_SHIFT_STORAGE, GIB), "vhosts"
            ),
            description="Time-shift storage per day and vhost.",
        ),
    )
}
CATALOG.update((spec.name, spec) for spec in HEALTH)
# Which module declares each report (the README's "declared in" column).
DECLARED_IN: dict[str, str] = {
    name: "catalog_health" if spec in HEALTH else "catalog" for name, spec in CATALOG.items()
}


def max_span_for(name: str, granularity: int) -> int:
    """Longest window one call of endpoint `name` may ask for at `granularity` seconds."""
    return CATALOG[name].granularity(granularity).max_span


def data_delay_for(name: str, granularity: int) -> int:
    """Documented data delay of endpoint `name` at `granularity` seconds."""
    return CATALOG[name].granularity(granularity).data_delay
