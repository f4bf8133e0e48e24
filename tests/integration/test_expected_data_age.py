"""The expected data age (collector.jobs.expected_data_age) is right for every endpoint
of the catalog, at every granularity it offers, against the emulator: after the first
poll, the newest settled slice is never older than expected when the next poll ends,
and the expected age is at most one interval plus one slice above the worst seen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from collector.app import Exporter
from collector.backoff import Retry
from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import EmulatedAccount
from collector.emulator.core import demo_accounts
from collector.jobs import expected_data_age
from collector.poller import EndpointPoller
from collector.providers.endpoint import Endpoint
from collector.providers.volcengine.catalog import CATALOG as VOLCENGINE
from collector.providers.wangsu.catalog import CATALOG as WANGSU
from collector.timeslices import DAY, HOUR, MINUTE, granularity_name
from tests.integration.conftest import running

START = 1_700_000_000 - (1_700_000_000 + 8 * HOUR) % DAY + 900 + 60  # after local midnight
# Each feeds a family another Wangsu report feeds too: they run on a second account.
ALTERNATES = {"stream_detail", "flow_byte", "edge_hit_ratio_batched", "bandwidth_channel"}
[WANGSU_DEMO, _, VOLCENGINE_DEMO] = demo_accounts()
WANGSU_ALT = EmulatedAccount(
    provider="wangsu",
    name="alt-wangsu",
    access_key="ALT_AK",
    secret_key="ALT_SK_0123456789",
    username="alt-wangsu",
    api_key="ALT_APIKEY",
    domains=WANGSU_DEMO.domains,
)


def endpoints_at(
    catalog: dict[str, Endpoint], seconds: int, names: set[str]
) -> dict[str, dict[str, Any]]:
    """Those of `names` that offer `seconds` slices, at those slices and otherwise at
    their defaults; every other endpoint off."""
    return {
        name: (
            {"enabled": True, "granularity": granularity_name(seconds)}
            if name in names and seconds in spec.granularities
            else {"enabled": False}
        )
        for name, spec in catalog.items()
    }


def watch(exporter: Exporter, clock: VirtualClock) -> dict[str, list[float]]:
    """For every poll after an endpoint's first: the age of its newest settled slice
    when the poll ends, before the poll's own data counts (the oldest it gets)."""
    ages: dict[str, list[float]] = defaultdict(list)

    def watched(poller: EndpointPoller) -> Callable[[], Awaitable[Retry | None]]:
        poll = poller.poll

        async def run() -> Retry | None:
            before = poller.store.newest_settled_end
            result = await poll()
            if before is not None:
                ages[poller.name].append(clock.time() - before)
            return result

        return run

    for poller in exporter.pollers:
        poller.poll = watched(poller)  # type: ignore[method-assign]
    return ages


@pytest.mark.parametrize(
    "seconds",
    # Daily slices take a simulated day (and a few hours) to run through their cycle.
    [MINUTE, 300, HOUR, pytest.param(DAY, marks=pytest.mark.slow)],
    ids=granularity_name,
)
async def test_the_newest_slice_is_never_older_than_expected(seconds: int) -> None:
    clock = VirtualClock(START)

    def configure(base_url: str) -> list[dict[str, Any]]:
        return [
            account_config(
                WANGSU_DEMO, base_url, endpoints_at(WANGSU, seconds, set(WANGSU) - ALTERNATES)
            ),
            account_config(WANGSU_ALT, base_url, endpoints_at(WANGSU, seconds, ALTERNATES)),
            account_config(
                VOLCENGINE_DEMO, base_url, endpoints_at(VOLCENGINE, seconds, set(VOLCENGINE))
            ),
        ]

    accounts = [WANGSU_DEMO, WANGSU_ALT, VOLCENGINE_DEMO]
    async with running(clock, accounts, configure, on_request_fields=True) as (_, exporter):
        ages = watch(exporter, clock)
        jobs = list(exporter.jobs.values())
        offered = {
            name
            for catalog in (WANGSU, VOLCENGINE)
            for name, spec in catalog.items()
            if seconds in spec.granularities
        }
        assert {job.spec.settings.spec.name for job in jobs} == offered
        # A whole slice and three more polls: every endpoint's newest slice moves on
        # at least once, so its age runs through the whole cycle.
        longest = max(job.spec.plan.interval for job in jobs)
        await clock.run_until(START + seconds + 3 * longest + MINUTE)
        for job in jobs:
            poller = job.poller
            assert poller.up, (poller.name, poller.last_error)
            expected = expected_data_age(job.spec)
            worst = max(ages[poller.name])
            assert len(ages[poller.name]) >= 3, poller.name
            assert worst <= expected, (poller.name, worst, expected)
            slack = job.spec.plan.interval + seconds
            assert expected - worst <= slack, (poller.name, worst, expected)
