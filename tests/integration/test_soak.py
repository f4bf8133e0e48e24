"""Soak: a simulated day against an emulator failing a third of all calls, then exact."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import Emulator, FaultKind, start
from collector.emulator import truth as ground
from collector.families import REQUESTS, TRAFFIC
from collector.poller import EndpointPoller
from tests.integration.conftest import CDNETWORKS, HEALTH_OFF, WANGSU

pytestmark = pytest.mark.slow

DAY = 86400
SETTLE = 900
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + SETTLE + 60
ONLY_FLOW = {
    "flow_request_origin": {"enabled": False},
    **HEALTH_OFF,
    "edge_hit_ratio": {"enabled": False},
}
RATES = {
    FaultKind.SERVER_ERROR: 0.20,
    FaultKind.THROTTLE: 0.05,
    FaultKind.TIMEOUT: 0.05,
    FaultKind.MALFORMED: 0.02,  # a truncated body
    FaultKind.RESET: 0.01,
}


def counter(poller: EndpointPoller, family_name: str, domain: str) -> float:
    return sum(
        value
        for family, labels, value in poller.store.series()
        if family.name == family_name and labels[0] == domain
    )


async def test_a_day_of_one_third_failed_calls_ends_exact_with_no_call_over_a_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unhandled: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: unhandled.append(context))
    caplog.set_level(logging.WARNING)
    clock = VirtualClock(START)
    # A timeout fault holds its answer back 1.2 real seconds against a 1 s timeout.
    server = await start(Emulator([WANGSU, CDNETWORKS], clock=clock, fault_delay=1.2))
    server.emulator.set_fault_rates(RATES, seed=8)
    exporter = Exporter(
        validate(
            {
                "accounts": [
                    account_config(WANGSU, server.base_url, ONLY_FLOW, timeout=1),
                    account_config(
                        CDNETWORKS, server.base_url, ONLY_FLOW, timeout=1, time_offset="-05:00"
                    ),
                ],
                # Both accounts poll at the same virtual instant: their real timeouts overlap.
                "account_jitter": 0,
            }
        ),
        clock,
    )
    try:
        exporter.start()
        await clock.run_until(START + DAY)
        faulted = server.emulator.totals()
        server.emulator.set_fault_rates({})
        # The faults stop; after the settle delay (and a poll or two) all is settled.
        await clock.run_until(START + DAY + SETTLE + 600)

        assert faulted.faults >= 0.27 * faulted.total, faulted  # 33% asked for
        assert faulted.ok >= 2 * 288 * 0.6, faulted
        calls = server.emulator.totals()
        assert calls.throttled == 0, calls  # not one call over the published limit
        assert calls.bad_requests == 0, calls
        assert calls.auth_failures == 0, calls
        assert unhandled == []
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert errors == [], [r.getMessage() for r in errors]
        assert exporter.scheduler is not None
        assert exporter.scheduler.running
        for account in (WANGSU, CDNETWORKS):
            poller = next(p for p in exporter.pollers if p.account.name == account.name)
            assert poller.up is True
            begin, end = poller.store.baseline, poller.store.newest_settled_end
            assert begin is not None
            assert end is not None
            assert end >= begin + DAY
            for domain in account.domains:
                truth = ground.wangsu_traffic_bytes(
                    server.emulator, account.name, domain, begin, end
                )
                got = counter(poller, TRAFFIC.name, domain)
                assert got == pytest.approx(truth, rel=1e-12), (account.name, domain)
                requests = ground.wangsu_requests(server.emulator, account.name, domain, begin, end)
                assert counter(poller, REQUESTS.name, domain) == requests, (account.name, domain)
            labels = (account.provider, account.name, "flow_request")
            assert exporter.metrics.revisions.labels(*labels)._value.get() == 0
            for result in ("server_error", "throttled", "timeout", "malformed", "transport_error"):
                assert exporter.metrics.api_requests.labels(*labels, result)._value.get() > 0
    finally:
        await exporter.close()
        await server.close()
