"""Volcengine Live result parsers: pure functions from a decoded `Result` to points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.families import BANDWIDTH, TRAFFIC
from collector.model import GIBIBYTE, GIGABYTE, MEGABIT_PER_SECOND, Family, Kind, Point
from collector.providers.base import MalformedResponse, Query, field_of, list_of, number
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
from collector.timeslices import TimestampError, parse_start_labelled

# Query.options keys: the field names of config `filters` (LiveFilters), so
# `account.filters.model_dump()` is a valid options mapping as it stands.
OPT_PROTOCOLS = "protocols"  # list[str] -> ProtocolList
OPT_ISPS = "isps"  # list[str] -> ISPList
OPT_REGIONS = "regions"  # list[{"area", "country"?, "province"?}] -> RegionList
OPT_USER_REGIONS = "user_regions"  # same shape -> UserRegionList
OPT_GROUPS = "pull_to_push_groups"  # list[str] -> GroupList
OPT_VHOSTS = "time_shift_vhosts"  # list[str] -> Vhosts
OPT_RESOLUTIONS = "transcode_resolutions"  # list[str] -> Resolution
OPT_TRANSCODE_TYPES = "transcode_types"  # list[str] -> TranscodeType

ALL = "*"
"""Label value for a call that filtered nothing: the total over every domain/group/vhost."""

UNKNOWN = "unknown"
"""Label value for a transcode entry that does not name its resolution or type."""

MINUTE_SECONDS = 60.0


def option_list(query: Query, key: str) -> list[Any]:
    """`query.options[key]` as a list; absent or None reads as empty."""
    value = query.options.get(key)
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"option {key!r} must be a list, got {type(value).__name__}")
    return list(value)


def scope_label(values: Sequence[str]) -> str:
    """The label for a call whose result is not split: the one value it asked for,
    `*` when it asked for everything, or the comma-joined set it asked for."""
    if not values:
        return ALL
    return ",".join(values)


def _require_object(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise MalformedResponse(f"Result: expected an object, got {type(payload).__name__}")


def _end(item: Any, where: str, slice_seconds: int) -> int:
    try:
        return parse_start_labelled(field_of(item, "TimeStamp", where), slice_seconds)
    except TimestampError as exc:
        raise MalformedResponse(f"{where}.TimeStamp: {exc}") from None


def _in_window(query: Query, end: int) -> bool:
    # A bucket reaching past either end of the window covers time we did not ask for,
    # so it can only be partial (e.g. an inclusive EndTime returning one bucket more).
    window = query.window
    return end - window.slice_seconds >= window.start and end <= window.end


@dataclass(frozen=True, slots=True)
class Value:
    """One number in a series item: which field, which family, extra labels, scale."""

    key: str
    family: Family
    extra_labels: tuple[str, ...]
    scale: float


@dataclass(frozen=True, slots=True)
class SeriesShape:
    """The shape most Live usage APIs share: a top-level series and an optional split.

    `Result.<series>` is the total; `Result.<details>[i]` carries the split dimension
    (`Domain` or `Group`) and its own `<series>`. The split comes back only when the
    dimension's filter list has two or more values.
    """

    series: str
    details: tuple[str, ...]  # accepted names of the split list, preferred first
    dimension: str  # "Domain" or "Group"
    values: tuple[Value, ...]


def split_values(query: Query, dimension: str) -> tuple[str, ...]:
    """What the call filtered its split dimension on: domains or pull-to-push groups."""
    if dimension == "Domain":
        return query.domains
    return tuple(str(v) for v in option_list(query, OPT_GROUPS))


def _series_points(
    shape: SeriesShape, series: Sequence[Any], label: str, query: Query, where: str
) -> list[Point]:
    points = []
    for index, item in enumerate(series):
        item_where = f"{where}[{index}]"
        end = _end(item, item_where, query.window.slice_seconds)
        if not _in_window(query, end):
            continue
        for value in shape.values:
            raw = number(field_of(item, value.key, item_where), f"{item_where}.{value.key}")
            points.append(Point(value.family, (label, *value.extra_labels), end, raw * value.scale))
    return points


def parse_series(shape: SeriesShape, payload: Any, query: Query) -> list[Point]:
    """Walk a series-with-optional-split result.

    Two or more filter values: read the split list, one series per dimension value.
    One value: the top-level series is that value's. None: the top-level series is
    the account total, labelled `*`.
    """
    _require_object(payload)
    requested = split_values(query, shape.dimension)
    if len(requested) < 2:
        series = list_of(payload, shape.series, "Result", optional=True)
        return _series_points(
            shape, series, scope_label(requested), query, f"Result.{shape.series}"
        )
    details_key = next((k for k in shape.details if k in payload), shape.details[0])
    details = list_of(payload, details_key, "Result", optional=True)
    if not details and list_of(payload, shape.series, "Result", optional=True):
        raise MalformedResponse(
            f"Result.{shape.details[0]}: missing although {len(requested)} "
            f"{shape.dimension} values were asked for and Result.{shape.series} has data"
        )
    points = []
    for index, entry in enumerate(details):
        where = f"Result.{details_key}[{index}]"
        label = field_of(entry, shape.dimension, where)
        if not isinstance(label, str) or not label:
            raise MalformedResponse(f"{where}.{shape.dimension}: expected a name, got {label!r}")
        series = list_of(entry, shape.series, where, optional=True)
        points.extend(_series_points(shape, series, label, query, f"{where}.{shape.series}"))
    return points


def _down_up(family: Family, down: str, up: str, scale: float) -> tuple[Value, ...]:
    return (Value(down, family, ("down",), scale), Value(up, family, ("up",), scale))


BANDWIDTH_SHAPE = SeriesShape(
    "BandwidthDataList",
    ("BandwidthDetailDataList",),
    "Domain",
    _down_up(BANDWIDTH, "DownBandwidth", "UpBandwidth", MEGABIT_PER_SECOND),
)
TRAFFIC_SHAPE = SeriesShape(
    "TrafficDataList",
    ("TrafficDetailDataList",),
    "Domain",
    _down_up(TRAFFIC, "DownTraffic", "UpTraffic", GIGABYTE),
)
PULL_TO_PUSH_BANDWIDTH_SHAPE = SeriesShape(
    "BandwidthDataList",
    ("BandwidthDetailDataList",),
    "Group",
    (Value("UpBandwidth", PULL_TO_PUSH_BANDWIDTH, (), MEGABIT_PER_SECOND),),
)
PULL_TO_PUSH_SHAPE = SeriesShape(
    "PullToPushDataList",
    ("PullToPushDetailDataList",),
    "Group",
    (Value("Value", PULL_TO_PUSH_DURATION, (), MINUTE_SECONDS),),
)
RECORD_SHAPE = SeriesShape(
    "RecordDataList",
    ("RecordDetailDataList",),
    "Domain",
    (Value("Value", RECORDING_CONCURRENT, (), 1.0),),
)
# The split list is `SnapshotDetailData` (sic, no `List`); the regular name is accepted
# too in case the service is ever made consistent.
SNAPSHOT_SHAPE = SeriesShape(
    "SnapshotDataList",
    ("SnapshotDetailData", "SnapshotDetailDataList"),
    "Domain",
    (Value("Value", SNAPSHOTS, (), 1.0),),
)
AUDIT_SHAPE = SeriesShape(
    "AuditDataList",
    ("AuditDetailDataList",),
    "Domain",
    (Value("Count", AUDIT_IMAGES, (), 1.0),),
)


def parse_bandwidth(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveBandwidthData: Down/UpBandwidth (Mbps, bucket peak) per domain."""
    return parse_series(BANDWIDTH_SHAPE, payload, query)


def parse_traffic(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveTrafficData: Down/UpTraffic (GB base 1000, bucket total) per domain."""
    return parse_series(TRAFFIC_SHAPE, payload, query)


def parse_pull_to_push_bandwidth(payload: Any, query: Query) -> list[Point]:
    """DescribeLivePullToPushBandwidthData: UpBandwidth (Mbps) per group."""
    return parse_series(PULL_TO_PUSH_BANDWIDTH_SHAPE, payload, query)


def parse_pull_to_push(payload: Any, query: Query) -> list[Point]:
    """DescribeLivePullToPushData: task minutes per group."""
    return parse_series(PULL_TO_PUSH_SHAPE, payload, query)


def parse_record(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveRecordData: peak concurrent recordings per domain."""
    return parse_series(RECORD_SHAPE, payload, query)


def parse_snapshot(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveSnapshotData: snapshot count per domain (split list `SnapshotDetailData`)."""
    return parse_series(SNAPSHOT_SHAPE, payload, query)


def parse_audit(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveAuditData: audited image count per domain."""
    return parse_series(AUDIT_SHAPE, payload, query)


def parse_p95_peak_bandwidth(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveP95PeakBandwidthData: one number for the whole queried range.

    The range ends at the window's start (catalog.p95_range), and so does the point.
    The API has no split, so the label is the one domain asked for (or `*`).
    """
    _require_object(payload)
    raw = payload.get("P95PeakBandwidth")
    if raw is None:
        return []
    value = number(raw, "Result.P95PeakBandwidth") * MEGABIT_PER_SECOND
    return [Point(P95_PEAK_BANDWIDTH, (scope_label(query.domains),), query.window.start, value)]


def _label_field(item: Any, key: str, where: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if value is None or value == "":
        return UNKNOWN
    if not isinstance(value, str):
        raise MalformedResponse(f"{where}.{key}: expected a string, got {value!r}")
    return value


def _merge(points: list[Point]) -> list[Point]:
    """Fold points that share family, labels and end: counters add, gauges keep the max."""
    merged: dict[tuple[str, tuple[str, ...], int], Point] = {}
    for point in points:
        key = (point.family.name, point.labels, point.end)
        seen = merged.get(key)
        if seen is None:
            merged[key] = point
        elif point.family.kind is Kind.COUNTER:
            merged[key] = Point(point.family, point.labels, point.end, seen.value + point.value)
        else:
            merged[key] = Point(point.family, point.labels, point.end, max(seen.value, point.value))
    return list(merged.values())


def parse_transcode(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveTranscodeData: minutes per day, one entry per resolution and type.

    No split exists, so the domain label is the call's scope (one call per domain).
    Entries that repeat a (day, resolution, type) are added up.
    """
    series = list_of(payload, "TranscodeDataList", "Result", optional=True)
    domain = scope_label(query.domains)
    points = []
    for index, item in enumerate(series):
        where = f"Result.TranscodeDataList[{index}]"
        end = _end(item, where, query.window.slice_seconds)
        if not _in_window(query, end):
            continue
        minutes = number(field_of(item, "Duration", where), f"{where}.Duration")
        labels = (
            domain,
            _label_field(item, "Resolution", where),
            _label_field(item, "TranscodeType", where),
        )
        points.append(Point(TRANSCODE_DURATION, labels, end, minutes * MINUTE_SECONDS))
    return _merge(points)


def parse_time_shift(payload: Any, query: Query) -> list[Point]:
    """DescribeLiveTimeShiftData: storage per day (GB base 1024) for the call's vhosts.

    Buckets are read as start-labelled like every other Live API (one older doc says
    end of day; the current model says start).
    """
    series = list_of(payload, "TimeShiftDataList", "Result", optional=True)
    vhost = scope_label([str(v) for v in option_list(query, OPT_VHOSTS)])
    points = []
    for index, item in enumerate(series):
        where = f"Result.TimeShiftDataList[{index}]"
        end = _end(item, where, query.window.slice_seconds)
        if not _in_window(query, end):
            continue
        storage = number(field_of(item, "Storage", where), f"{where}.Storage")
        points.append(Point(TIME_SHIFT_STORAGE, (vhost,), end, storage * GIBIBYTE))
    return points
