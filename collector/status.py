"""The daemon's status as plain frozen values: what the status page and /-/ready show."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from collector.billing.ledger import Method


class NextPoll(Enum):
    """Whether and why a job runs again."""

    NOT_STARTED = "not started"  # no scheduler yet
    RUNNING = "running"  # a run is in progress: no next time yet
    DUE = "due"  # at `next_poll`
    RETRY = "retry"  # at `next_poll`, the last poll having failed
    AUTH_PAUSE = "auth pause"  # at `next_poll`, the credentials having been rejected


class PollResult(StrEnum):
    """How one poll ended: every call answered, or some failed (throttled: only by the
    provider's rate limit)."""

    OK = "ok"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class EndpointStatus:
    """One polled (account, endpoint), its plan and how its polls went."""

    account: str
    provider: str
    endpoint: str
    chosen_over: str  # the endpoint this one was chosen over ("" when not a choice)
    interval: int  # seconds between polls (the plan's)
    calls_per_poll: int
    fewest_calls: int  # the fewest calls a poll could take
    budget_share: float  # of the endpoint's rate limit
    polls: int
    up: bool | None  # None: not polled yet
    last_success: float | None  # clock time
    data_end: float | None  # end of the newest settled slice
    counting_from: float | None  # counters add the slices ending after it (the baseline)
    expected_data_age: int  # seconds (collector.jobs.expected_data_age)
    next_poll: float | None  # clock time (None unless DUE, RETRY or AUTH_PAUSE)
    next_kind: NextPoll
    last_error: str | None
    recent: tuple[PollResult, ...] = ()  # the last polls' results, oldest first

    @property
    def name(self) -> str:
        return f"{self.account}/{self.endpoint}"

    def data_age(self, now: float) -> float | None:
        """Seconds since the end of the newest settled slice (None: no data yet)."""
        return None if self.data_end is None else now - self.data_end

    def late(self, now: float) -> bool:
        """Its newest settled slice is older than expected."""
        age = self.data_age(now)
        return age is not None and age > self.expected_data_age

    def counting(self) -> bool:
        """Its counters have started: a slice ending after the baseline has settled."""
        return (
            self.data_end is not None
            and self.counting_from is not None
            and self.data_end > self.counting_from
        )


@dataclass(frozen=True, slots=True)
class DiscoveryStatus:
    """One account's domain listing (`domains: auto`)."""

    account: str
    refresh: int  # seconds between listings
    domains: int | None  # None: no successful listing yet
    listings: int
    last_success: float | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class BillingStatus:
    """One billing group's current month at a glance: its figures against its commit, and
    how complete the month is. Amounts in bytes per second (bytes for `traffic`)."""

    account: str
    group: str
    month: str  # YYYY-MM in the group's time zone
    points: int  # 5-minute points held
    expected_points: int  # settled slices of the month so far
    backfilling: bool  # the month-to-date backfill is still reading the month
    method: Method
    billed: float  # the month-to-date figure of `method`
    forecast: float  # the month-end figure if the rest of the month repeats it
    commit: float | None  # None: no commit
    burst_points: int | None  # left before p95 passes the commit (p95 with a commit only)
    cost: float | None  # estimated month cost (None: no price)
    currency: str | None

    @property
    def traffic(self) -> bool:
        """Its amounts are bytes, not bytes per second."""
        return self.method is Method.TRAFFIC

    @property
    def over_commit(self) -> bool:
        """The month-end forecast passes the commit."""
        return self.commit is not None and self.forecast > self.commit

    @property
    def complete(self) -> float:
        """The share of the month so far that is held (1 before any slice settled)."""
        return self.points / self.expected_points if self.expected_points else 1.0


@dataclass(frozen=True, slots=True)
class Status:
    """A snapshot of the daemon at clock time `now`."""

    now: float
    endpoints: tuple[EndpointStatus, ...]
    discovery: tuple[DiscoveryStatus, ...]
    sharded: bool
    shard: str  # `Shard 1 of 3 (ordinals 0-2): 2 of 7 account(s): a, b`, or `Not sharded ...`
    ready: bool  # see collector.health.ready
    healthy: bool  # False: the poll loop has stalled
    billing: tuple[BillingStatus, ...] = ()  # each billing group's month at a glance

    @property
    def waiting(self) -> tuple[EndpointStatus, ...]:
        """Endpoints that have not had a successful poll yet."""
        return tuple(e for e in self.endpoints if e.last_success is None)
