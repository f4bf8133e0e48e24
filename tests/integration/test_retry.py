"""A failed poll is retried on its backoff, not at the next interval (virtual clock)."""

from __future__ import annotations

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import FaultKind
from tests.integration.conftest import HEALTH_OFF, WANGSU, running

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
ONLY_FLOW = {
    "flow_request_origin": {"enabled": False},
    **HEALTH_OFF,
    "edge_hit_ratio": {"enabled": False},
}


async def test_a_failing_first_poll_has_data_within_a_minute_of_the_fault_clearing() -> None:
    clock = VirtualClock(START)

    def configure(base_url: str) -> list[dict[str, object]]:
        return [account_config(WANGSU, base_url, ONLY_FLOW, timeout=1)]

    async with running(clock, [WANGSU], configure) as (server, exporter):
        [poller] = exporter.pollers
        server.emulator.inject("flow_request", FaultKind.SERVER_ERROR, count=10_000)
        # Two minutes of a failing API from the very first poll: well before the next
        # regular poll (4 min 35 s away), the poll has been tried again several times.
        await clock.run_until(START + 120)
        assert poller.up is False
        assert poller.last_success is None
        assert poller.polls >= 3
        calls = server.emulator.totals()
        assert calls.faults >= 3 * poller.polls  # each poll: one call, two quick retries
        cleared = clock.time()
        server.emulator.clear_faults()
        await clock.run_until(cleared + 60)
        assert poller.up is True
        assert poller.last_success is not None
        assert poller.last_success - cleared <= 60
        assert poller.store.newest_settled_end is not None
        assert any(f.name == "cdn_traffic_bytes_total" for f, _, _ in poller.store.series())
        assert server.emulator.totals().throttled == 0
