"""A simulated day against the emulator over loopback: exact daily totals, no throttling."""

from __future__ import annotations

import pytest

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import truth as ground
from collector.families import REQUESTS, TRAFFIC
from collector.poller import EndpointPoller
from tests.integration.conftest import CDNETWORKS, HEALTH_OFF, WANGSU, running

pytestmark = pytest.mark.slow

DAY = 86400
# Midnight in +08:00 plus the settle delay, plus a little: the first poll's horizon lands
# just after a local midnight, so the counted day is one calendar day of slices.
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60


def counter(poller: EndpointPoller, family_name: str, domain: str) -> float:
    return sum(
        value
        for family, labels, value in poller.store.series()
        if family.name == family_name and labels[0] == domain
    )


async def test_a_day_of_traffic_matches_the_emulator_ground_truth() -> None:
    clock = VirtualClock(START)
    only_flow = {
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
        "edge_hit_ratio": {"enabled": False},
    }

    def configure(base_url: str) -> list[dict[str, object]]:
        return [
            account_config(WANGSU, base_url, only_flow),
            account_config(CDNETWORKS, base_url, only_flow, time_offset="-05:00"),
        ]

    async with running(clock, [WANGSU, CDNETWORKS], configure) as (server, exporter):
        pollers = {p.account.name: p for p in exporter.pollers}
        # A day and one more 5-minute poll: every account has settled a whole day.
        await clock.run_until(START + DAY + 300)
        for poller in pollers.values():
            assert poller.store.baseline is not None
            assert poller.store.newest_settled_end is not None
            assert poller.store.newest_settled_end >= poller.store.baseline + DAY
        emulator = server.emulator
        for account in (WANGSU, CDNETWORKS):
            poller = pollers[account.name]
            start, end = poller.store.baseline, poller.store.newest_settled_end
            assert start is not None
            assert end is not None
            for domain in account.domains:
                truth = ground.wangsu_traffic_bytes(emulator, account.name, domain, start, end)
                got = counter(poller, TRAFFIC.name, domain)
                assert truth > 0
                assert got == pytest.approx(truth, rel=1e-12), (account.name, domain)
                requests = ground.wangsu_requests(emulator, account.name, domain, start, end)
                assert counter(poller, REQUESTS.name, domain) == requests
            # Revisions happened before settlement (the emulator revises young slices),
            # yet no settled slice changed: every slice was counted once, final.
            revisions = exporter.metrics.revisions.labels(
                account.provider, account.name, "flow_request"
            )
            assert revisions._value.get() == 0
            assert poller.up is True
        totals = emulator.totals()
        assert totals.throttled == 0
        assert totals.ok >= 2 * 288  # a poll per 5-minute slice per account, at least


async def test_a_settle_delay_shorter_than_the_data_delay_reports_revisions() -> None:
    """With a 5-minute delay the exporter settles slices the provider still revises:
    the revisions are counted, and the counter keeps the first settled values."""
    clock = VirtualClock(START)
    endpoints = {
        "flow_request": {"delay": "5m"},
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
        "edge_hit_ratio": {"enabled": False},
    }

    def configure(base_url: str) -> list[dict[str, object]]:
        return [account_config(WANGSU, base_url, endpoints)]

    async with running(clock, [WANGSU], configure) as (server, exporter):
        [poller] = exporter.pollers
        revisions = exporter.metrics.revisions.labels("wangsu", WANGSU.name, "flow_request")
        # Half an hour of polls, each re-reading slices the provider revised since.
        await clock.run_until(START + 1800)
        assert revisions._value.get() >= 3
        start, end = poller.store.baseline, poller.store.newest_settled_end
        assert start is not None
        assert end is not None
        domain = WANGSU.domains[0]
        truth = ground.wangsu_traffic_bytes(server.emulator, WANGSU.name, domain, start, end)
        # Partial first readings were counted, never the revision on top of them.
        assert 0 < counter(poller, TRAFFIC.name, domain) < truth
