"""The rate-budget planner."""

from __future__ import annotations

from collector.planner import domain_batches, plan_endpoint, windows_per_poll
from collector.providers.base import RateLimit
from collector.ratelimit import RETURN_MARGIN


def test_batches_and_windows() -> None:
    assert domain_batches(0, 20) == 1
    assert domain_batches(20, 20) == 1
    assert domain_batches(21, 20) == 2
    assert domain_batches(500, 0) == 1  # endpoint without a domain list
    assert windows_per_poll(1800, 86400, 300) == 1
    assert windows_per_poll(2 * 86400 + 1, 86400, 300) == 3


def test_interval_kept_when_budget_allows() -> None:
    plan = plan_endpoint(
        account="a",
        endpoint="flow_request",
        interval=300,
        calls_per_cycle=3,
        limit=RateLimit(300, 300),
        granularity=300,
    )
    assert plan.interval == 300
    assert not plan.raised
    assert abs(plan.budget_share - 3 * RETURN_MARGIN / 300) < 1e-12


def test_interval_raised_to_smallest_feasible_multiple() -> None:
    # 35 calls every 5 minutes against 30/5min cannot work; 10 minutes can.
    plan = plan_endpoint(
        account="a",
        endpoint="hit_rate_isp_province",
        interval=300,
        calls_per_cycle=35,
        limit=RateLimit(30, 300),
        granularity=300,
    )
    assert plan.raised
    assert plan.interval == 600
    assert plan.budget_share <= 1.0
