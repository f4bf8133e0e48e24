"""The rate-budget planner: how many calls a poll needs and the interval a limit allows."""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector.model import RateLimit
from collector.ratelimit import RETURN_MARGIN


@dataclass(frozen=True, slots=True)
class Plan:
    """The poll plan of one (account, endpoint)."""

    account: str
    endpoint: str
    interval: int
    calls_per_cycle: int
    budget_share: float  # share of the rate limit one cycle per interval uses
    requested_interval: int  # what config or the default asked for
    # The fewest calls that could cover a cycle: the domains in batches of the API's
    # published cap, times the window pieces (more: a lower configured cap).
    minimum_calls: int

    @property
    def raised(self) -> bool:
        return self.interval > self.requested_interval


def windows_per_poll(window_seconds: int, max_span: int, slice_seconds: int) -> int:
    """Calls needed to cover a window when one call spans at most `max_span`."""
    step = max(slice_seconds, max_span - max_span % slice_seconds)
    return max(1, math.ceil(window_seconds / step))


def plan_endpoint(
    *,
    account: str,
    endpoint: str,
    interval: int,
    calls_per_cycle: int,
    limit: RateLimit,
    granularity: int,
    minimum_calls: int | None = None,
) -> Plan:
    """Keep `interval` if the limit can carry it, else raise it to the smallest
    feasible multiple of the slice length."""
    effective_period = limit.period * RETURN_MARGIN
    needed = calls_per_cycle * effective_period / limit.calls
    chosen = interval
    if needed > interval:
        step = max(1, granularity)
        chosen = max(interval, math.ceil(needed / step) * step)
    share = calls_per_cycle * effective_period / limit.calls / chosen
    return Plan(
        account=account,
        endpoint=endpoint,
        interval=chosen,
        calls_per_cycle=calls_per_cycle,
        budget_share=share,
        requested_interval=interval,
        minimum_calls=calls_per_cycle if minimum_calls is None else minimum_calls,
    )
