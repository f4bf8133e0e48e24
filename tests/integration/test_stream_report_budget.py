"""The three declarations reading Wangsu's stream report share its limit: over a
simulated day, all three on at once never make the emulator throttle the path."""

from __future__ import annotations

import pytest

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.model import RateLimit
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.declare import ASSUMED_300
from tests.integration.conftest import HEALTH_OFF, WANGSU, running

pytestmark = pytest.mark.slow

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
DAY = 86_400
PATH = "/api/report/flow-bandwidth/stream/detail"
READERS = sorted(name for name, spec in CATALOG.items() if spec.path == PATH)
# The declared limits scaled down 50 times (a day at the real ones would take thousands of
# calls): the path's assumed 300/5min as 6/5min in the emulator, each declaration's share
# as its configured limit. A share above its part would overrun the path here too.
SCALE = 50


async def test_the_stream_report_readers_together_stay_within_the_path_limit() -> None:
    assert READERS == ["stream_detail", "stream_online_users", "stream_online_users_by_stream"]
    shares = {name: CATALOG[name].rate_limit.calls // SCALE for name in READERS}
    path_limit = RateLimit(ASSUMED_300.calls // SCALE, ASSUMED_300.period)
    clock = VirtualClock(START)
    endpoints = {
        "flow_request": {"enabled": False},
        "flow_request_origin": {"enabled": False},
        "edge_hit_ratio": {"enabled": False},
        **HEALTH_OFF,
        **{
            name: {"enabled": True, "rate_limit": {"calls": calls, "period": "5m"}}
            for name, calls in shares.items()
        },
    }

    def configure(base_url: str) -> list[dict[str, object]]:
        return [account_config(WANGSU, base_url, endpoints)]

    # The emulator counts every call to the path under its one route, `stream_detail`.
    async with running(clock, [WANGSU], configure, rate_limits={"stream_detail": path_limit}) as (
        server,
        exporter,
    ):
        assert sorted(p.endpoint for p in exporter.plans) == READERS
        await clock.run_until(START + DAY)
        counts = server.emulator.totals()
        assert counts.throttled == 0, counts
        # The path was busy: most of the day's budget was used, so a share too large
        # would have shown.
        windows = DAY // path_limit.period
        assert counts.ok >= 0.5 * windows * path_limit.calls, counts
        assert counts.total == counts.ok, counts
        pollers = {p.settings.spec.name: p for p in exporter.pollers}
        for name in READERS[1:]:
            families = {f.name for f, _, _ in pollers[name].store.series()}
            assert families == {CATALOG[name].families[0].name}, name
