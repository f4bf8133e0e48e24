"""Settled slices, exactly once: gauges show the newest, counters add each one once."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from collector.model import Family, Kind, Point

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


class SliceStore:
    """The state of one (account, endpoint): what each series has settled.

    A slice is settled once its end is at or before the horizon (now minus the
    settle delay). Each settled slice of a counter family is added exactly once;
    a later, different reading is a revision: reported, never added again.
    Slices already settled at the first poll form the baseline: they set gauges
    but are not added to counters, so counters count from start-up and a
    restart never adds history twice.
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
        self._seen: dict[SeriesKey, int] = {}  # series -> the ingest that last reported it
        self.newest_settled_end: int | None = None
        self.counters: dict[SeriesKey, float] = {}
        self.gauges: dict[SeriesKey, tuple[int, float]] = {}
        self._committed: dict[SeriesKey, dict[int, float]] = {}
        self.changes = 0  # bumped whenever a counter adds a slice (persisted state is stale)

    def ingest(self, points: Iterable[Point], horizon: float) -> IngestResult:
        """Take one poll's points; commit those settled at `horizon`."""
        if self.baseline is None:
            self.baseline = horizon
        result = IngestResult()
        self._ingests += 1
        for point in points:
            key = (point.family, point.labels)
            if key not in self._seen and not self._admit(result):
                continue
            self._seen[key] = self._ingests
            if point.end > horizon:
                result.pending += 1
                continue
            slices = self._committed.setdefault(key, {})
            previous = slices.get(point.end)
            if previous is not None:
                if not _same(previous, point.value):
                    result.revisions.append(
                        Revision(point.family.name, point.labels, point.end, previous, point.value)
                    )
                    slices[point.end] = point.value
                    self._update_gauge(key, point)
                continue
            slices[point.end] = point.value
            result.committed += 1
            if point.family.kind is Kind.COUNTER:
                total = self.counters.get(key, 0.0)
                if point.end > self.baseline:
                    total += point.value
                self.counters[key] = total
                self.changes += 1
            else:
                self._update_gauge(key, point)
            if self.newest_settled_end is None or point.end > self.newest_settled_end:
                self.newest_settled_end = point.end
        self._prune(horizon)
        return result

    def _admit(self, result: IngestResult) -> bool:
        """Room for one more series under the endpoint's cap and the global one?"""
        reason = None
        if self.max_series and len(self._seen) >= self.max_series:
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
        gone = [key for key, seen in self._seen.items() if seen <= oldest]
        for key in gone:
            del self._seen[key]
            self.counters.pop(key, None)
            self.gauges.pop(key, None)
            self._committed.pop(key, None)
        self.budget.give_back(len(gone))
        return len(gone)

    def counted_after(self, horizon: float) -> list[tuple[SeriesKey, float, dict[int, float]]]:
        """Every counter series: its total and the slices after `horizon` it has added
        (what a restart that re-reads from `horizon` must not add again)."""
        return [
            (key, total, {e: v for e, v in self._committed.get(key, {}).items() if e > horizon})
            for key, total in self.counters.items()
        ]

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
        for key, total, slices in series:
            if key in self._seen:
                continue
            if not self._admit(refused):
                continue
            self._seen[key] = self._ingests
            self.counters[key] = total
            self._committed[key] = dict(slices)
        return sum(refused.dropped.values())

    def forget_all(self) -> None:
        """Drop every series (the endpoint left the config): their budget comes back."""
        self.expire(after_ingests=-1)

    def _update_gauge(self, key: SeriesKey, point: Point) -> None:
        if point.family.kind is not Kind.GAUGE:
            return
        current = self.gauges.get(key)
        if current is None or point.end >= current[0]:
            self.gauges[key] = (point.end, point.value)

    def _prune(self, horizon: float) -> None:
        cutoff = horizon - self.retention
        for slices in self._committed.values():
            stale = [end for end in slices if end < cutoff]
            for end in stale:
                del slices[end]

    def series(self) -> Iterable[tuple[Family, tuple[str, ...], float]]:
        """Every exported sample: counter totals and the newest gauge values."""
        for (family, labels), total in self.counters.items():
            yield family, labels, total
        for (family, labels), (_, value) in self.gauges.items():
            yield family, labels, value


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_SAME, abs_tol=1e-9)
