"""The planner's alternative source against the emulator over loopback: an account of 100
domains gets per-domain hit ratio from isp-province/hit-rate/total (20 domains a call), the
same values edge-hit-ratio/total gives one domain a call, in a twentieth of the calls; an
account whose 100 domains are discovered switches to it once they are listed."""

from __future__ import annotations

import dataclasses
from typing import Any

from collector.app import Exporter
from collector.clock import FakeClock, VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator.core import Emulator
from collector.emulator.server import start
from collector.families import CACHE_HIT_RATIO
from tests.integration.conftest import HEALTH_OFF, WANGSU, running

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
MANY = dataclasses.replace(WANGSU, domains=tuple(f"d{i:03d}.example.com" for i in range(100)))


def hit_ratios(exporter: Exporter) -> dict[tuple[str, ...], tuple[int, float]]:
    found = {}
    for poller in exporter.pollers:
        for (family, labels), shown in poller.store.gauges.items():
            if family is CACHE_HIT_RATIO:
                found[labels] = shown
    return found


async def test_many_domains_take_the_batched_source_with_the_same_values() -> None:
    clock = FakeClock(START)
    server = await start(Emulator([MANY], clock=clock))
    only_hit_ratio = {
        "flow_request": {"enabled": False},
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
    }
    auto = validate({"accounts": [account_config(MANY, server.base_url, only_hit_ratio)]})
    forced = {**only_hit_ratio, "edge_hit_ratio": {"enabled": True}}
    single = validate({"accounts": [account_config(MANY, server.base_url, forced)]})
    batched, per_domain = Exporter(auto, clock), Exporter(single, clock)
    try:
        (poller,) = batched.pollers
        assert poller.settings.spec.name == "edge_hit_ratio_batched"
        assert "edge_hit_ratio for 100 domains" in poller.settings.chosen_over
        await batched.poll_and_render(poller)
        batched_calls = server.emulator.totals().total
        (other,) = per_domain.pollers
        assert other.settings.spec.name == "edge_hit_ratio"
        await per_domain.poll_and_render(other)
        per_domain_calls = server.emulator.totals().total - batched_calls
        assert batched_calls == 5  # ceil(100 / 20), one window piece
        assert per_domain_calls == 100
        assert server.emulator.totals().throttled == 0
        got, expected = hit_ratios(batched), hit_ratios(per_domain)
        assert len(got) == 100
        assert got == expected
        assert all(0.0 <= value <= 1.0 for _, value in got.values())
        assert b'cdn_cache_hit_ratio{provider="wangsu",account="it-wangsu",domain="d000.' in (
            batched.rendered.plain
        )
    finally:
        await batched.close()
        await per_domain.close()
        await server.close()


async def test_discovered_domains_switch_to_the_batched_source_once_listed() -> None:
    clock = VirtualClock(START)
    only_hit_ratio = {
        "flow_request": {"enabled": False},
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
    }

    def configure(base_url: str) -> list[dict[str, Any]]:
        return [account_config(MANY, base_url, only_hit_ratio, domains="auto")]

    async with running(clock, [MANY], configure) as (server, exporter):
        # Before the first listing the declared source waits for domains.
        assert [p.settings.spec.name for p in exporter.pollers] == ["edge_hit_ratio"]
        assert not exporter.pollers[0].settings.chosen_over
        await clock.run_until(START + 600)
        (poller,) = exporter.pollers
        assert poller.settings.spec.name == "edge_hit_ratio_batched"
        assert "edge_hit_ratio for 100 domains" in poller.settings.chosen_over
        assert poller.polls >= 1
        assert len(hit_ratios(exporter)) == 100
        # The emulator's own names: the listing and isp-province/hit-rate, never the
        # one-domain-a-call edge-hit-ratio report.
        assert {key.endpoint for key in server.emulator.calls} == {
            "domain_list",
            "isp_province_hit_rate_total",
        }
        assert server.emulator.totals().throttled == 0
