"""Core value types shared by providers, the slice store and the renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

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
    """One slice of one series, in base units. `end` is the slice end (UTC epoch).

    A named tuple: parsers make one per value, and a tuple is built several times
    faster than a frozen dataclass."""

    family: Family
    labels: tuple[str, ...]
    end: int
    value: float


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
