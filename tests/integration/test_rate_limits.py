"""The client-side budget holds against the emulator's enforced limits."""

from __future__ import annotations

import pytest

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator.core import EmulatedAccount
from collector.model import RateLimit
from tests.integration.conftest import HEALTH_OFF, running

pytestmark = pytest.mark.slow

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
MANY = EmulatedAccount(
    provider="wangsu",
    name="many-domains",
    access_key="MANY_AK",
    secret_key="MANY_SK_0123456789",
    username="many",
    api_key="MANY_APIKEY",
    domains=tuple(f"d{i}.example.com" for i in range(12)),
)


async def test_twelve_domains_one_call_each_never_exceed_five_per_minute() -> None:
    # edge_hit_ratio takes one domain per call: 12 calls a poll against 5 per minute.
    clock = VirtualClock(START)
    limit = {"calls": 5, "period": "60s"}
    endpoints = {
        "edge_hit_ratio": {"rate_limit": limit},
        "flow_request": {"enabled": False},
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
    }

    def configure(base_url: str) -> list[dict[str, object]]:
        return [account_config(MANY, base_url, endpoints)]

    async with running(
        clock, [MANY], configure, rate_limits={"edge_hit_ratio": RateLimit(5, 60)}
    ) as (server, exporter):
        [plan] = exporter.plans
        assert plan.raised  # 12 calls every minute cannot fit 5/min: the planner said so
        assert plan.interval == 180
        [poller] = exporter.pollers
        # A poll at start, then one per interval; each poll's 12 calls drain the bucket
        # and wait about two minutes for it to refill.
        await clock.run_until(START + 5 * plan.interval)
        assert poller.polls >= 4
        counts = server.emulator.totals()
        assert counts.throttled == 0
        assert counts.ok >= 4 * 12
        ratios = {labels[0] for f, labels, _ in poller.store.series() if f.name.endswith("ratio")}
        assert ratios == set(MANY.domains)
