"""Settled slices, exactly once: gauges show the newest, counters add each one once."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from collector.model import Family, Kind, Point, PointColumns

SeriesKey = tuple[Family, tuple[str, ...]]

# Relative difference below which two readings of a slice are the same number:
# providers print 2 decimals, so anything smaller is float noise.
_SAME = 1e-9


@dataclass(slots=True)
class Revision:
    """A settled slice whose value changed after it was counted."""

    family: str
    labels: tuple[str, ...]
    end: int
    counted: float
    now_reported: float
    counter: bool = True  # a counter keeps the counted value; a gauge shows the new one


@dataclass(slots=True)
class IngestResult:
    committed: int = 0
    pending: int = 0
    revisions: list[Revision] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # new series refused, by reason


class SeriesBudget:
    """A cap on series shared by every store of the process (the global cap)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: no cap
        self.used = 0

    def take(self) -> bool:
        if self.limit and self.used >= self.limit:
            return False
        self.used += 1
        return True

    def give_back(self, count: int) -> None:
        self.used -= count


ENDPOINT_CAP = "endpoint_cap"
GLOBAL_CAP = "global_cap"


NO_END = _NONE = -(2**62)  # "no slice yet" in the int64 columns


class Rows(NamedTuple):
    """One family's series in a store: row r is `labels[r]` with `value[r]`, exported
    once `end[r]` is not NO_END; `version` changes when rows come or go."""

    family: Family
    labels: list[tuple[str, ...]]
    value: array[float]
    end: array[int]
    size: int  # rows at the time of the view
    version: int


class SliceRows(NamedTuple):
    """One family's retained slices in a store: `columns[i][r]` is row r's value of the
    slice ending at `ends[i]` (NaN: not reported); ends ascend."""

    family: Family
    labels: list[tuple[str, ...]]
    ends: tuple[int, ...]
    columns: tuple[array[float], ...]
    size: int
    version: int


_NAN = math.nan


class _Column:
    """One family's series in one store, one row each, in flat arrays.

    `value` is a counter's total or a gauge's shown value, `end` the newest settled slice
    a row has (_NONE until one settled: the row is not exported yet), `seen` the ingest
    that last reported it, `through` the horizon up to which its slices are all counted.
    `slices` holds, per settled slice end still inside the re-read window, every row's
    value of that slice (NaN: not reported): what revision detection and exactly-once
    need, and nothing older.
    """

    __slots__ = (
        "counter",
        "end",
        "family",
        "index",
        "labels",
        "seen",
        "slices",
        "through",
        "value",
        "version",
    )

    def __init__(self, family: Family) -> None:
        self.family = family
        self.counter = family.kind is Kind.COUNTER
        self.index: dict[tuple[str, ...], int] = {}
        self.labels: list[tuple[str, ...]] = []
        self.value = array("d")
        self.end = array("q")
        self.seen = array("q")
        self.through = array("d")
        self.slices: dict[int, array[float]] = {}
        self.version = 0  # bumped when rows are added or removed (a renderer's cache key)

    def add_row(self, labels: tuple[str, ...], ingest: int) -> int:
        row = len(self.labels)
        self.version += 1
        self.index[labels] = row
        self.labels.append(labels)
        self.value.append(0.0 if self.counter else _NAN)
        self.end.append(_NONE)
        self.seen.append(ingest)
        self.through.append(-math.inf)
        for values in self.slices.values():
            values.append(_NAN)
        return row

    def slice(self, end: int) -> array[float]:
        values = self.slices.get(end)
        if values is None:
            values = self.slices[end] = array("d", [_NAN]) * len(self.labels)
        return values

    def keep_rows(self, keep: list[int]) -> None:
        """Keep only the rows `keep` (in order); the index is rebuilt. New objects
        throughout: a `rows` view taken before stays consistent."""
        self.version += 1
        self.labels = [self.labels[r] for r in keep]
        self.index = {labels: row for row, labels in enumerate(self.labels)}
        for name in ("value", "end", "seen", "through"):
            old: array[Any] = getattr(self, name)
            setattr(self, name, array(old.typecode, [old[r] for r in keep]))
        for end, values in list(self.slices.items()):
            self.slices[end] = array("d", [values[r] for r in keep])


class SliceStore:
    """The state of one (account, endpoint): what each series has settled.

    A slice is settled once its end is at or before the horizon (now minus the
    settle delay). Each settled slice of a counter family is added exactly once;
    a later, different reading is a revision: reported, never added again.
    Slices already settled at the first poll form the baseline: they set gauges
    but are not added to counters, so counters count from start-up and a
    restart never adds history twice.

    Only the slices ending within `retention` of the horizon (the re-read window) keep
    their values, in one array per slice end across the series; older ones are dropped
    whole, so pruning costs what it removes. A series also remembers the horizon up to
    which its slices are all counted: an older slice read again (an outage's catch-up
    re-reads from the last complete poll) is known as counted without its value.
    """

    def __init__(
        self,
        retention: int,
        *,
        max_series: int = 0,
        budget: SeriesBudget | None = None,
    ) -> None:
        self.retention = retention  # how long committed slice values are remembered
        self.max_series = max_series  # this endpoint's cap on series; 0: none
        self.budget = budget or SeriesBudget(0)
        self.baseline: float | None = None
        self._ingests = 0
        self._columns: dict[str, _Column] = {}
        self._rows = 0  # series in every column
        self._floor = -math.inf  # slices ending before it have no values kept
        self.newest_settled_end: int | None = None
        self.changes = 0  # bumped whenever a counter adds a slice (persisted state is stale)

    def ingest(self, points: Iterable[Point], horizon: float) -> IngestResult:
        """Take one poll's points; commit those settled at `horizon`."""
        result = self.begin(horizon)
        self.add(points, horizon, result)
        self.finish(horizon)
        return result

    def begin(self, horizon: float) -> IngestResult:
        """Start one poll's ingest; `add` its points (in as many steps as wanted), then
        `finish`."""
        if self.baseline is None:
            self.baseline = horizon
        self._ingests += 1
        return IngestResult()

    def add(self, points: Iterable[Point], horizon: float, result: IngestResult) -> None:
        """Take some of the current ingest's points."""
        assert self.baseline is not None, "begin first"
        baseline, ingest, floor = self.baseline, self._ingests, self._floor
        columns = self._columns
        family: Family | None = None
        col: _Column | None = None
        newest = self.newest_settled_end
        committed = pending = changes = 0
        rows = points.rows() if isinstance(points, PointColumns) else points
        for point_family, labels, end, value in rows:
            if point_family is not family:
                family = point_family
                col = columns.get(family.name)
                if col is None:
                    col = columns[family.name] = _Column(family)
            assert col is not None
            row = col.index.get(labels)
            if row is None:
                if not self._admit(result):
                    continue
                row = col.add_row(labels, ingest)
                self._rows += 1
            else:
                col.seen[row] = ingest
            if end > horizon:
                pending += 1
                continue
            values = col.slices.get(end)
            if values is not None:
                previous = values[row]
                if previous == previous:  # not NaN: this slice was committed before
                    if not _same(previous, value):
                        result.revisions.append(
                            Revision(family.name, labels, end, previous, value, col.counter)
                        )
                        values[row] = value
                        if not col.counter and end >= col.end[row]:
                            col.end[row] = end
                            col.value[row] = value
                    continue
            elif end < floor:
                if end <= col.through[row]:
                    continue  # counted before its value was dropped
            else:
                values = col.slice(end)
            if values is not None:
                values[row] = value
            committed += 1
            if col.counter:
                if end > baseline:
                    col.value[row] += value
                if end > col.end[row]:
                    col.end[row] = end
                changes += 1
            elif end >= col.end[row]:
                col.end[row] = end
                col.value[row] = value
            if newest is None or end > newest:
                newest = end
        self.newest_settled_end = newest
        result.committed += committed
        result.pending += pending
        self.changes += changes

    def finish(self, horizon: float) -> None:
        """End the current ingest: every series it reported is counted through
        `horizon`; slice values older than the re-read window go."""
        ingest = self._ingests
        for col in self._columns.values():
            seen, through = col.seen, col.through
            for row in range(len(seen)):
                if seen[row] == ingest and through[row] < horizon:
                    through[row] = horizon
        self._prune(horizon)

    def _admit(self, result: IngestResult) -> bool:
        """Room for one more series under the endpoint's cap and the global one?"""
        reason = None
        if self.max_series and self._rows >= self.max_series:
            reason = ENDPOINT_CAP
        elif not self.budget.take():
            reason = GLOBAL_CAP
        if reason is None:
            return True
        result.dropped[reason] = result.dropped.get(reason, 0) + 1
        return False

    def expire(self, after_ingests: int) -> int:
        """Forget series no ingest has reported in the last `after_ingests`; return how
        many went. Call it after a successful poll only: a failing API must not make
        the last good data disappear."""
        oldest = self._ingests - after_ingests
        gone = 0
        for name, col in list(self._columns.items()):
            keep = [row for row, seen in enumerate(col.seen) if seen > oldest]
            if len(keep) == len(col.labels):
                continue
            gone += len(col.labels) - len(keep)
            if keep:
                col.keep_rows(keep)
            else:
                del self._columns[name]
        self._rows -= gone
        self.budget.give_back(gone)
        return gone

    def counted_after(self, horizon: float) -> list[tuple[SeriesKey, float, dict[int, float]]]:
        """Every counter series: its total and the slices after `horizon` it has added
        (what a restart that re-reads from `horizon` must not add again)."""
        result = []
        for col in self._columns.values():
            if not col.counter:
                continue
            later = sorted((e, v) for e, v in col.slices.items() if e > horizon)
            for row, labels in enumerate(col.labels):
                if col.end[row] == _NONE:
                    continue
                counted = {e: v[row] for e, v in later if v[row] == v[row]}
                result.append(((col.family, labels), col.value[row], counted))
        return result

    def restore(
        self, baseline: float, series: Iterable[tuple[SeriesKey, float, dict[int, float]]]
    ) -> int:
        """Continue from persisted state, before the first ingest: counters keep their
        totals, the given slices count as added, and only slices ending after
        `baseline` that are not among them are added from now on. Returns how many
        series the caps refused."""
        if self.baseline is not None:
            raise RuntimeError("restore before the first ingest")
        self.baseline = baseline
        refused = IngestResult()
        for (family, labels), total, slices in series:
            col = self._columns.get(family.name)
            if col is None:
                col = self._columns[family.name] = _Column(family)
            if labels in col.index:
                continue
            if not self._admit(refused):
                continue
            row = col.add_row(labels, self._ingests)
            self._rows += 1
            col.value[row] = total
            col.end[row] = max(slices, default=int(baseline))
            col.through[row] = max(slices, default=-math.inf)
            for end, value in slices.items():
                col.slice(end)[row] = value
        return sum(refused.dropped.values())

    def forget_all(self) -> None:
        """Drop every series (the endpoint left the config): their budget comes back."""
        self.expire(after_ingests=-1)

    def _prune(self, horizon: float) -> None:
        cutoff = horizon - self.retention
        if cutoff <= self._floor:
            return
        self._floor = cutoff
        for col in self._columns.values():
            for end in [e for e in col.slices if e < cutoff]:
                del col.slices[end]

    def series(self) -> Iterable[tuple[Family, tuple[str, ...], float]]:
        """Every exported sample: counter totals and the newest gauge values."""
        for col in self._columns.values():
            family, ends, values = col.family, col.end, col.value
            for row, labels in enumerate(col.labels):
                if ends[row] != _NONE:
                    yield family, labels, values[row]

    def rows(self) -> list[Rows]:
        """A view of every family's rows for rendering: references, not copies. Rows
        added later are beyond its `count`; removing rows replaces the arrays."""
        return [
            Rows(col.family, col.labels, col.value, col.end, len(col.labels), col.version)
            for col in self._columns.values()
        ]

    def slice_rows(self, after: float = -math.inf) -> list[SliceRows]:
        """A view of every family's retained slices ending after `after`, oldest first, for
        the timestamped-slice families: references to the store's arrays, not copies."""
        result = []
        for col in self._columns.values():
            ends = sorted(end for end in col.slices if end > after)
            result.append(
                SliceRows(
                    col.family,
                    col.labels,
                    tuple(ends),
                    tuple(col.slices[end] for end in ends),
                    len(col.labels),
                    col.version,
                )
            )
        return result

    def retained_slices(self) -> int:
        """How many slice ends keep their values (per family; for tests and benchmarks)."""
        return max((len(col.slices) for col in self._columns.values()), default=0)

    @property
    def counters(self) -> dict[SeriesKey, float]:
        """Counter totals by series (a copy, for inspection)."""
        return {(f, labels): v for f, labels, v in self.series() if f.kind is Kind.COUNTER}

    @property
    def gauges(self) -> dict[SeriesKey, tuple[int, float]]:
        """Gauges by series: (end of the slice shown, its value) (a copy)."""
        result = {}
        for col in self._columns.values():
            if col.counter:
                continue
            for row, labels in enumerate(col.labels):
                if col.end[row] != _NONE:
                    result[(col.family, labels)] = (col.end[row], col.value[row])
        return result


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_SAME, abs_tol=1e-9)
