"""A simulated day of Volcengine Live against the emulator: exact downstream totals,
never more than 30 calls per second per API."""

from __future__ import annotations

import pytest

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import truth as ground
from collector.emulator.core import EmulatedAccount
from collector.families import TRAFFIC
from tests.integration.conftest import running

pytestmark = pytest.mark.slow

DAY = 86400
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60
LIVE = EmulatedAccount(
    provider="volcengine",
    name="it-live",
    access_key="AKLTITLIVE0000",
    secret_key="IT_LIVE_SK_0123456789",
    username="",
    api_key="",
    domains=("pull.live.example.com", "play.live.example.com", "hls.live.example.com"),
)


async def test_a_day_of_live_downstream_traffic_matches_the_emulator() -> None:
    clock = VirtualClock(START)
    # Every API stays on, so all ten compete for the same account's budget all day.
    endpoints = {"pull_to_push": {"granularity": "1h"}}

    def configure(base_url: str) -> list[dict[str, object]]:
        return [account_config(LIVE, base_url, endpoints)]

    async with running(clock, [LIVE], configure) as (server, exporter):
        traffic = next(p for p in exporter.pollers if p.settings.spec.name == "traffic")
        # A day and one more 5-minute poll: the traffic endpoint has settled a whole day.
        await clock.run_until(START + DAY + 300)
        start, end = traffic.store.baseline, traffic.store.newest_settled_end
        assert start is not None
        assert end is not None
        assert end >= start + DAY
        for domain in LIVE.domains:
            truth = ground.volcengine_down_traffic_bytes(
                server.emulator, LIVE.name, domain, start, end
            )
            got = sum(
                value
                for family, labels, value in traffic.store.series()
                if family is TRAFFIC and labels == (domain, "down")
            )
            assert truth > 0
            assert got == pytest.approx(truth, rel=1e-12), domain
        counts = server.emulator.totals("volcengine")
        assert counts.throttled == 0
        assert counts.ok >= 288
        assert all(p.up for p in exporter.pollers), [p.name for p in exporter.pollers if not p.up]
