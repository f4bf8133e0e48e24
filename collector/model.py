"""Core value types shared by providers, the slice store and the renderer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, overload

# Unit conversions to base units. The references say MB and Mbps without a base;
# we read them as decimal (10^6) and say so in every HELP text.
MEGABYTE = 1_000_000.0
GIGABYTE = 1_000_000_000.0
GIBIBYTE = 1024.0**3
MEGABIT_PER_SECOND = 125_000.0  # bytes per second in 1 Mbps


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A published limit: at most `calls` calls in any `period` seconds."""

    calls: int
    period: int
    # [I] Not published: the reference's "assume at most ..." applies.
    assumed: bool = field(default=False, compare=False)

    @property
    def per_second(self) -> float:
        return self.calls / self.period

    def share(self, fraction: float) -> RateLimit:
        """The part of this limit one of several replicas may use (at least one call):
        replicas polling the same account split its budget."""
        if fraction >= 1.0:
            return self
        return RateLimit(max(1, int(self.calls * fraction)), self.period, self.assumed)


class Kind(StrEnum):
    """How a family turns settled slices into samples."""

    GAUGE = "gauge"  # value of the newest settled slice
    COUNTER = "counter"  # sum of every settled slice, each added once


@dataclass(frozen=True, slots=True)
class Family:
    """One exported metric family. `labels` come after `provider` and `account`;
    `meaning` opens the HELP text, which the declarations feeding it complete."""

    name: str
    kind: Kind
    meaning: str
    labels: tuple[str, ...] = ("domain",)

    def __post_init__(self) -> None:
        if (self.kind is Kind.COUNTER) != self.name.endswith("_total"):
            raise ValueError(f"{self.name}: `_total` is for counters and only counters")


class Point(NamedTuple):
    """One slice of one series, in base units. `end` is the slice end (UTC epoch)."""

    family: Family
    labels: tuple[str, ...]
    end: int
    value: float


PointRow = tuple[Family, tuple[str, ...], int, float]


class PointColumns(Sequence[Point]):
    """Points as four parallel columns: what the Wangsu walker appends to and the store
    reads (`rows`), with no object built per point on that path. Anyone else reads it
    as a sequence of `Point`s (equal to a list of the same points)."""

    __slots__ = ("ends", "families", "labels", "values")

    def __init__(self) -> None:
        self.families: list[Family] = []
        self.labels: list[tuple[str, ...]] = []
        self.ends: list[int] = []
        self.values: list[float] = []

    def append(self, point: Point) -> None:
        family, labels, end, value = point
        self.families.append(family)
        self.labels.append(labels)
        self.ends.append(end)
        self.values.append(value)

    def extend(self, points: Iterable[Point]) -> None:
        if isinstance(points, PointColumns):
            self.families += points.families
            self.labels += points.labels
            self.ends += points.ends
            self.values += points.values
        else:
            for point in points:
                self.append(point)

    def rows(self) -> Iterator[PointRow]:
        """Each point's fields, without a `Point` built for it."""
        return zip(self.families, self.labels, self.ends, self.values, strict=True)

    @classmethod
    def _of(
        cls,
        families: list[Family],
        labels: list[tuple[str, ...]],
        ends: list[int],
        values: list[float],
    ) -> PointColumns:
        made = cls()
        made.families, made.labels, made.ends, made.values = families, labels, ends, values
        return made

    def select(self, keep: Callable[[tuple[str, ...]], bool]) -> PointColumns:
        """The points whose labels `keep` accepts."""
        rows = [i for i, labels in enumerate(self.labels) if keep(labels)]
        return self._of(
            [self.families[i] for i in rows],
            [self.labels[i] for i in rows],
            [self.ends[i] for i in rows],
            [self.values[i] for i in rows],
        )

    def truncate(self, length: int) -> None:
        """Drop every point from `length` on."""
        for column in (self.families, self.labels, self.ends, self.values):
            del column[length:]

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Point: ...
    @overload
    def __getitem__(self, index: slice) -> PointColumns: ...
    def __getitem__(self, index: int | slice) -> Point | PointColumns:
        if isinstance(index, slice):
            return self._of(
                self.families[index], self.labels[index], self.ends[index], self.values[index]
            )
        return Point(self.families[index], self.labels[index], self.ends[index], self.values[index])

    def __iter__(self) -> Iterator[Point]:
        return map(Point._make, self.rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list


class Outcome(StrEnum):
    """How one API call ended; the `result` label of the request counter."""

    SUCCESS = "success"
    THROTTLED = "throttled"
    AUTH_FAILURE = "auth_failure"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    MALFORMED = "malformed"
    TIMEOUT = "timeout"
    TRANSPORT_ERROR = "transport_error"
