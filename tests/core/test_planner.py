"""The rate-budget planner."""

from __future__ import annotations

from collector.model import RateLimit
from collector.planner import plan_endpoint, windows_per_poll
from collector.providers.base import chunks
from collector.ratelimit import RETURN_MARGIN


def test_batches_and_windows() -> None:
    assert chunks([], 20) == [()]
    assert chunks(["a"] * 20, 20) == [("a",) * 20]
    assert [len(c) for c in chunks(["a"] * 450, 200)] == [200, 200, 50]
    assert chunks(["a", "b"], 0) == [()]  # endpoint without a domain list
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
