"""The Volcengine Live wire: units, the split-series walker and the shapes it cannot cover."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.model import GIBIBYTE, GIGABYTE, MEGABIT_PER_SECOND, Kind, Point
from collector.providers._json import field_of, list_of, number
from collector.providers.endpoint import (
    MalformedResponse,
    Measure,
    Query,
    Reason,
    Unit,
    checked,
)
from collector.providers.volcengine.timestamps import parse_start_labelled
from collector.statuscodes import CLASSES, class_of_code, class_of_row, is_total_row
from collector.timeslices import TimestampError, parse_rfc3339

MBPS = Unit(MEGABIT_PER_SECOND, "Mbps read as 10^6 bit/s, divided by 8")
GB = Unit(GIGABYTE, "GB read as 10^9 bytes")
GIB = Unit(GIBIBYTE, "GB read as 2^30 bytes")
MINUTES = Unit(60.0, "minutes times 60")
COUNT = Unit(1.0, "a count")

ALL = "*"
"""Label value for a call that filtered nothing: the total over every domain/group/vhost."""

UNKNOWN = "unknown"
"""Label value for a transcode entry that does not name its resolution or type."""


def scope_label(values: Sequence[str]) -> str:
    """The label for a call whose result is not split: the one value it asked for,
    `*` when it asked for everything, or the comma-joined set it asked for."""
    if not values:
        return ALL
    return ",".join(values)


def _require_object(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise MalformedResponse(
            f"Result: expected an object, got {type(payload).__name__}", Reason.WRONG_TYPE
        )


def _end(item: Any, where: str, slice_seconds: int) -> int:
    try:
        return parse_start_labelled(field_of(item, "TimeStamp", where), slice_seconds)
    except TimestampError as exc:
        raise MalformedResponse(f"{where}.TimeStamp: {exc}", Reason.BAD_TIMESTAMP) from None


def _in_window(query: Query, end: int) -> bool:
    # A bucket reaching past either end of the window covers time we did not ask for,
    # so it can only be partial (e.g. an inclusive EndTime returning one bucket more).
    window = query.window
    return end - window.slice_seconds >= window.start and end <= window.end


def _value(item: Any, measure: Measure, where: str) -> float:
    raw = number(field_of(item, measure.field, where), f"{where}.{measure.field}")
    return measure.unit.convert(raw, f"{where}.{measure.field}")


def split_values(query: Query, dimension: str) -> tuple[str, ...]:
    """What the call filtered its split dimension on: domains or pull-to-push groups."""
    return query.domains if dimension == "Domain" else query.scope


def _split_entries(
    payload: Any, requested: Sequence[str], series: str, details: tuple[str, ...], dimension: str
) -> list[tuple[str, Sequence[Any], str]]:
    """(label, series, where) per series of an answer split by `dimension`: the split list
    (its accepted names in `details`) for two or more requested values, else the
    top-level series, labelled with the one value asked for or `*`."""
    if len(requested) < 2:
        found = list_of(payload, series, "Result", optional=True)
        return [(scope_label(requested), found, f"Result.{series}")]
    details_key = next((k for k in details if k in payload), details[0])
    entries = list_of(payload, details_key, "Result", optional=True)
    if not entries and list_of(payload, series, "Result", optional=True):
        raise MalformedResponse(
            f"Result.{details[0]}: missing although {len(requested)} "
            f"{dimension} values were asked for and Result.{series} has data"
        )
    out = []
    for index, entry in enumerate(entries):
        where = f"Result.{details_key}[{index}]"
        label = field_of(entry, dimension, where)
        if not isinstance(label, str) or not label:
            raise MalformedResponse(f"{where}.{dimension}: expected a name, got {label!r}")
        out.append((label, list_of(entry, series, where, optional=True), f"{where}.{series}"))
    return out


@dataclass(frozen=True, slots=True)
class SplitSeries:
    """The shape most Live usage APIs share: a top-level series and an optional split.

    `Result.<series>` is the total; `Result.<details>[i]` carries the split dimension
    (`Domain` or `Group`) and its own `<series>`. The split comes back only when the
    dimension's filter list has two or more values.
    """

    series: str
    details: tuple[str, ...]  # accepted names of the split list, preferred first
    dimension: str  # "Domain" or "Group"
    measures: tuple[Measure, ...]
    envelope: str = "volcengine"

    def source(self, measure: Measure) -> str:
        return f"Result.{self.series}[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        """Two or more filter values: read the split list, one series per value.
        One value: the top-level series is that value's. None: the account total `*`."""
        _require_object(payload)
        requested = split_values(query, self.dimension)
        points = []
        for label, series, where in _split_entries(
            payload, requested, self.series, self.details, self.dimension
        ):
            points.extend(self._points(series, label, query, where))
        return points

    def _points(self, series: Sequence[Any], label: str, query: Query, where: str) -> list[Point]:
        points = []
        for index, item in enumerate(series):
            item_where = f"{where}[{index}]"
            end = _end(item, item_where, query.window.slice_seconds)
            if not _in_window(query, end):
                continue
            for measure in self.measures:
                value = _value(item, measure, item_where)
                points.append(Point(measure.family, (label, *measure.labels), end, value))
        return points


@dataclass(frozen=True, slots=True)
class RangeTotal:
    """DescribeLiveP95PeakBandwidthData: one number for the whole queried range.

    The range ends at the window's start (catalog.p95_range), and so does the point.
    The API has no split, so the label is the one domain asked for (or `*`).
    """

    measure: Measure
    envelope: str = "volcengine"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.measure,)

    def source(self, measure: Measure) -> str:
        return f"Result.{measure.field} (billing month to date)"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        _require_object(payload)
        raw = payload.get(self.measure.field)
        if raw is None:
            return []
        where = f"Result.{self.measure.field}"
        value = self.measure.unit.convert(number(raw, where), where)
        return [
            Point(self.measure.family, (scope_label(query.domains),), query.window.start, value)
        ]


def _label_field(item: Any, key: str, where: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if value is None or value == "":
        return UNKNOWN
    if not isinstance(value, str):
        raise MalformedResponse(
            f"{where}.{key}: expected a string, got {value!r}", Reason.WRONG_TYPE
        )
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
            total = checked(seen.value + point.value, f"{point.family.name} entries summed")
            merged[key] = Point(point.family, point.labels, point.end, total)
        else:
            merged[key] = Point(point.family, point.labels, point.end, max(seen.value, point.value))
    return list(merged.values())


@dataclass(frozen=True, slots=True)
class ScopedSeries:
    """A series with no split: the call's scope (its one domain or vhost) is the label,
    and `label_fields` of each item add labels (missing ones read `unknown`). Entries
    that repeat a (bucket, labels) are folded (counters add)."""

    series: str
    measure: Measure
    scope: str  # "domains" or "vhosts": which of the call's values labels the series
    label_fields: tuple[str, ...] = ()
    envelope: str = "volcengine"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.measure,)

    def source(self, measure: Measure) -> str:
        extra = f" with its {' and '.join(self.label_fields)}" if self.label_fields else ""
        return f"Result.{self.series}[].{measure.field}{extra}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        _require_object(payload)
        series = list_of(payload, self.series, "Result", optional=True)
        label = scope_label(query.domains if self.scope == "domains" else query.scope)
        points = []
        for index, item in enumerate(series):
            where = f"Result.{self.series}[{index}]"
            end = _end(item, where, query.window.slice_seconds)
            if not _in_window(query, end):
                continue
            labels = (label, *(_label_field(item, key, where) for key in self.label_fields))
            points.append(
                Point(self.measure.family, labels, end, _value(item, self.measure, where))
            )
        return _merge(points)


def _status_label(row: Any, where: str, *, by_code: bool) -> str | None:
    """A status row's label: its code, or its class (statuscodes); None for a total row."""
    code = field_of(row, "StatusCode", where)
    if isinstance(code, bool) or not isinstance(code, int | str) or code == "":
        raise MalformedResponse(
            f"{where}.StatusCode: expected a code, got {code!r}", Reason.WRONG_TYPE
        )
    if is_total_row(str(code)):
        return None
    if by_code:
        return str(code)
    return class_of_code(code) if isinstance(code, int) else class_of_row(code)


@dataclass(frozen=True, slots=True)
class StatusCodes:
    """DescribeLivePlayStatusCodeData: per bucket, `StatusSummaryDataList[]` of
    `{StatusCode, Value (a count), Percent (a share, not read)}`; split by Domain like
    SplitSeries. Counts are added up per class, every class present in every bucket (or
    kept per code); a total row never is."""

    measure: Measure
    by_code: bool = False
    envelope: str = "volcengine"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.measure,)

    def source(self, measure: Measure) -> str:
        how = "per status code" if self.by_code else "summed per status class"
        where = f"Result.StatusDataList[].StatusSummaryDataList[].{measure.field}"
        return f"{where} (counts; Percent is not read) {how}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        _require_object(payload)
        points: list[Point] = []
        found = _split_entries(
            payload, query.domains, "StatusDataList", ("StatusDetailDataList",), "Domain"
        )
        for domain, series, where in found:
            for index, item in enumerate(series):
                item_where = f"{where}[{index}]"
                end = _end(item, item_where, query.window.slice_seconds)
                if not _in_window(query, end):
                    continue
                # Every class in every bucket, 0 where no code of it came back: a class
                # that is rare (5xx) keeps its counter instead of expiring between errors.
                # Codes are open-ended, so the per-code family has only the codes seen.
                values: dict[str, float] = {} if self.by_code else dict.fromkeys(CLASSES, 0.0)
                rows = list_of(item, "StatusSummaryDataList", item_where, optional=True)
                for row_index, row in enumerate(rows):
                    row_where = f"{item_where}.StatusSummaryDataList[{row_index}]"
                    label = _status_label(row, row_where, by_code=self.by_code)
                    if label is not None:
                        value = _value(row, self.measure, row_where)
                        values[label] = values.get(label, 0.0) + value
                points.extend(
                    Point(self.measure.family, (domain, label), end, value)
                    for label, value in values.items()
                )
        return points


@dataclass(frozen=True, slots=True)
class Certificates:
    """ListCertV2: a snapshot, not a series. Each `CertList[]` entry's `NotAfter` (RFC 3339)
    and each name in its `CertDomainList`, stamped at the window's end (the hour it was
    read). A certificate is labelled by `CertName` (`CertID` when unnamed); two sharing a
    name keep the later NotAfter."""

    not_after: Measure
    domain: Measure
    envelope: str = "volcengine"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.not_after, self.domain)

    def source(self, measure: Measure) -> str:
        return f"Result.CertList[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        _require_object(payload)
        end = query.window.end
        points = []
        for index, cert in enumerate(list_of(payload, "CertList", "Result", optional=True)):
            where = f"Result.CertList[{index}]"
            name = cert.get("CertName") if isinstance(cert, dict) else None
            label = name if isinstance(name, str) and name else field_of(cert, "CertID", where)
            if not isinstance(label, str) or not label:
                raise MalformedResponse(f"{where}.CertID: expected a name, got {label!r}")
            raw = field_of(cert, self.not_after.field, where)
            try:
                expires = parse_rfc3339(raw)
            except (TimestampError, TypeError):
                raise MalformedResponse(
                    f"{where}.{self.not_after.field}: not RFC 3339: {raw!r}", Reason.BAD_TIMESTAMP
                ) from None
            value = self.not_after.unit.convert(float(expires), f"{where}.NotAfter")
            points.append(Point(self.not_after.family, (label,), end, value))
            domains = list_of(cert, self.domain.field, where, optional=True)
            for domain in domains:
                if not isinstance(domain, str) or not domain:
                    raise MalformedResponse(
                        f"{where}.{self.domain.field}: expected names, got {domain!r}",
                        Reason.WRONG_TYPE,
                    )
                points.append(Point(self.domain.family, (label, domain), end, 1.0))
        return _merge(points)


@dataclass(frozen=True, slots=True)
class StreamPeaks:
    """DescribeLiveBatchStreamSessionData: no series, one figure per stream for the whole
    range (`StreamInfoList[] {Domain, App, Stream, <field>}`). The catalog's span is one
    slice, so each call's figure is that slice's, stamped at the window's end. Only the
    first page is read (up to PageSize streams)."""

    measure: Measure
    envelope: str = "volcengine"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.measure,)

    def source(self, measure: Measure) -> str:
        return f"Result.StreamInfoList[].{measure.field} (first page)"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        _require_object(payload)
        window = query.window
        points = []
        for index, item in enumerate(list_of(payload, "StreamInfoList", "Result", optional=True)):
            where = f"Result.StreamInfoList[{index}]"
            labels = []
            for key in ("Domain", "App", "Stream"):
                value = field_of(item, key, where)
                if not isinstance(value, str) or not value:
                    raise MalformedResponse(
                        f"{where}.{key}: expected a name, got {value!r}", Reason.WRONG_TYPE
                    )
                labels.append(value)
            value = _value(item, self.measure, where)
            points.append(Point(self.measure.family, tuple(labels), window.end, value))
        return _merge(points)
