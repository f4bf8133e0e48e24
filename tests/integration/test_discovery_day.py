"""Domain discovery over a simulated day against the emulator, on the virtual clock.

The emulated accounts have domains that the listing APIs show only part of the day
(`DomainSpan`). The exporter lists them every hour (the default refresh): a domain that
appears is polled within one refresh interval (listed at the next discovery, which
polls the account's endpoints at once); one that disappears is no longer polled from
the first poll after the next listing (within one refresh plus one poll interval) and
its series expire `expire_after_polls` polls later.
Listing calls stay inside their client-side limit and the emulator throttles none.
"""

from __future__ import annotations

from typing import Any

import pytest

from collector import health
from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.discovery import DomainDiscoverer
from collector.emulator import DomainSpan, FaultKind
from collector.emulator.core import EmulatedAccount
from collector.http import HttpRequest
from collector.poller import EndpointPoller
from collector.providers import get_provider
from collector.providers.volcengine import discovery as volcengine_discovery
from tests.integration.conftest import running

pytestmark = pytest.mark.slow

DAY = 86400
HOUR = 3600
REFRESH = HOUR
POLL = 300
EXPIRE_AFTER = 10  # expire_after_polls default
# 00:16 +08:00: a day boundary plus the settle delay plus a minute.
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60


def at(hour: float) -> int:
    """The virtual time `hour` hours into the test day (+08:00)."""
    return START - 960 + int(hour * HOUR)


SPANS = (
    DomainSpan("new.example.com", 6 * HOUR, 18 * HOUR),  # joins at 06:00, leaves at 18:00
    DomainSpan("night.example.com", 20 * HOUR, 4 * HOUR),  # listed at start, leaves, returns
)
WANGSU = EmulatedAccount(
    provider="wangsu",
    name="it-discover",
    access_key="IT_DISCOVER_AK",
    secret_key="IT_DISCOVER_SK_0123456789",
    username="it-discover",
    api_key="IT_DISCOVER_APIKEY",
    domains=(
        "www.example.com",
        "new.example.com",
        "night.example.com",
        "cache.internal.example.com",  # always listed, left out by an exclude pattern
    ),
    churn=SPANS,
)
LIVE = EmulatedAccount(
    provider="volcengine",
    name="it-discover-live",
    access_key="AKLTITDISCOVER0000",
    secret_key="IT_DISCOVER_LIVE_SK_0123",
    username="",
    api_key="",
    domains=("play.live.example.com", "pull.live.example.com", "new.live.example.com"),
    churn=(DomainSpan("new.live.example.com", 6 * HOUR, 18 * HOUR),),
)


def only(provider: str, keep: str) -> dict[str, Any]:
    """Every default-on endpoint of `provider` off except `keep`."""
    catalog = get_provider(provider).catalog
    return {
        name: {"enabled": False} for name, s in catalog.items() if not s.opt_in and name != keep
    }


class Recording:
    """A lister that notes the virtual time of every listing call it builds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.listing_limit = inner.listing_limit
        self.times: list[float] = []

    def build_listing_request(self, account: Any, page: int, now: float) -> HttpRequest:
        self.times.append(now)
        request: HttpRequest = self.inner.build_listing_request(account, page, now)
        return request

    def classify_listing(self, response: Any) -> Any:
        return self.inner.classify_listing(response)

    def parse_listing(self, payload: Any) -> Any:
        return self.inner.parse_listing(payload)


def record(exporter: Exporter, account: str) -> Recording:
    discoverer: DomainDiscoverer = exporter.discoverers[account]
    recording = Recording(discoverer.provider)
    discoverer.provider = recording
    return recording


def max_in_window(times: list[float], period: float) -> int:
    return max((sum(1 for u in times if t <= u < t + period) for t in times), default=0)


def domains_with_series(poller: EndpointPoller) -> set[str]:
    return {labels[0] for _, labels, _ in poller.store.series()}


async def follow(
    clock: VirtualClock, poller: EndpointPoller, until: float, step: float = 60
) -> dict[str, list[tuple[float, float | None]]]:
    """Drive the clock to `until`; per domain, the spans of time its poller carried it,
    as (first seen, last seen) pairs."""
    carried: dict[str, list[tuple[float, float | None]]] = {}
    now = clock.time()
    while now < until:
        now = min(now + step, until)
        await clock.run_until(now)
        current = set(poller.domains or ())
        for domain in current:
            runs = carried.setdefault(domain, [])
            if not runs or runs[-1][1] is not None:
                runs.append((now, None))
        for domain, runs in carried.items():
            if domain not in current and runs[-1][1] is None:
                runs[-1] = (runs[-1][0], now)
    return carried


async def test_discovered_wangsu_domains_join_and_leave_over_a_day() -> None:
    clock = VirtualClock(START)

    def configure(base_url: str) -> list[dict[str, Any]]:
        entry = account_config(WANGSU, base_url, only("wangsu", "flow_request"))
        entry["domains"] = "auto"
        entry["discovery"] = {"exclude": ["*.internal.example.com"]}
        return [entry]

    async with running(clock, [WANGSU], configure) as (server, exporter):
        recording = record(exporter, WANGSU.name)
        [poller] = exporter.pollers
        carried = await follow(clock, poller, START + DAY)

        # Never the excluded domain; the stable one all day.
        assert "cache.internal.example.com" not in carried
        assert carried["www.example.com"] == [(START + 60, None)]
        # new.example.com joins at 06:00 and leaves at 18:00.
        [(joined, left)] = carried["new.example.com"]
        assert at(6) < joined <= at(6) + REFRESH
        # Polled right after the listing that showed it, not at the next regular poll.
        listed = min(t for t in recording.times if t > at(6))
        assert listed <= joined <= listed + 60
        assert left is not None
        assert at(18) < left <= at(18) + REFRESH + POLL
        # night.example.com is there from the start, leaves at 04:00, returns at 20:00.
        first, second = carried["night.example.com"]
        assert first[0] == START + 60
        assert first[1] is not None
        assert at(4) < first[1] <= at(4) + REFRESH + POLL
        assert at(20) < second[0] <= at(20) + REFRESH
        assert second[1] is None

        # The series of a domain that left expire after `expire_after_polls` polls.
        series = domains_with_series(poller)
        assert "www.example.com" in series
        assert "night.example.com" in series
        assert "new.example.com" not in series
        assert left + (EXPIRE_AFTER + 1) * POLL < START + DAY

        # One listing call an hour (one page), inside the client limit, none throttled.
        limit = exporter.discoverers[WANGSU.name].settings.rate_limit
        assert 24 <= len(recording.times) <= 26
        assert max_in_window(recording.times, limit.period) <= limit.calls
        listing = server.emulator.calls[("wangsu", WANGSU.name, "domain_list")]
        assert listing.total == listing.ok == len(recording.times)
        assert server.emulator.totals("wangsu").throttled == 0

        text = exporter.metrics.render().decode()
        assert (
            'cdn_exporter_discovered_domains{account="it-discover",provider="wangsu"} 2.0' in text
        )
        assert "cdn_exporter_discovery_last_success_timestamp_seconds{" in text
        assert poller.up


async def test_discovered_volcengine_domains_over_a_day_in_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two domains a page: a listing takes two calls, both within the limit.
    monkeypatch.setattr(volcengine_discovery, "PAGE_SIZE", 2)
    clock = VirtualClock(START)

    def configure(base_url: str) -> list[dict[str, Any]]:
        entry = account_config(LIVE, base_url, only("volcengine", "traffic"))
        entry["domains"] = "auto"
        entry["discovery"] = {"rate_limit": {"calls": 2, "period": "10m"}}
        return [entry]

    async with running(clock, [LIVE], configure) as (server, exporter):
        recording = record(exporter, LIVE.name)
        [poller] = exporter.pollers
        carried = await follow(clock, poller, START + DAY)
        [(joined, left)] = carried["new.live.example.com"]
        assert at(6) < joined <= at(6) + REFRESH
        assert left is not None
        assert at(18) < left <= at(18) + REFRESH + POLL
        assert carried["play.live.example.com"] == [(START + 60, None)]
        assert "new.live.example.com" not in domains_with_series(poller)
        assert "play.live.example.com" in domains_with_series(poller)
        # Two pages while three domains are listed, one page otherwise.
        assert 24 <= len(recording.times) <= 2 * 26
        assert max_in_window(recording.times, 600) <= 2
        assert server.emulator.totals("volcengine").throttled == 0
        assert poller.up


async def test_pollers_wait_for_the_first_listing_and_keep_the_last_good_list() -> None:
    clock = VirtualClock(START)

    def configure(base_url: str) -> list[dict[str, Any]]:
        entry = account_config(WANGSU, base_url, only("wangsu", "flow_request"))
        entry["domains"] = "auto"
        return [entry]

    async with running(clock, [WANGSU], configure) as (server, exporter):
        # The first listings fail (three tries each run): nothing is polled, not ready.
        server.emulator.inject("domain_list", FaultKind.SERVER_ERROR, 6)
        await clock.run_until(START + 30)
        [poller] = exporter.pollers
        assert poller.domains is None
        assert poller.last_error == "waiting for the first domain discovery"
        assert health.waiting(exporter) == [poller]
        assert server.emulator.calls.get(("wangsu", WANGSU.name, "flow_request")) is None
        # The retry succeeds; the next poll carries the listed domains.
        await clock.run_until(START + 600)
        assert poller.domains == (
            "cache.internal.example.com",
            "night.example.com",
            "www.example.com",
        )
        assert health.waiting(exporter) == []
        listed = poller.domains
        # A later listing that fails keeps the last good list.
        server.emulator.inject("domain_list", FaultKind.SERVER_ERROR, 1000)
        await clock.run_until(START + 3 * HOUR)
        assert poller.domains == listed
        assert exporter.discoverers[WANGSU.name].last_error is not None
        assert poller.up


async def test_a_reload_keeps_the_discovered_list_unless_discovery_changes() -> None:
    clock = VirtualClock(START)
    base: list[str] = []

    def entry(**extra: Any) -> dict[str, Any]:
        config = account_config(WANGSU, base[0], only("wangsu", "flow_request"))
        config["domains"] = "auto"
        config.update(extra)
        return config

    def configure(base_url: str) -> list[dict[str, Any]]:
        base.append(base_url)
        return [entry()]

    async with running(clock, [WANGSU], configure) as (server, exporter):
        await clock.run_until(START + 600)
        found = exporter.discoverers[WANGSU.name]
        [poller] = exporter.pollers
        assert poller.domains is not None
        assert "cache.internal.example.com" in poller.domains

        # Another endpoint switched on: the discoverer and the poller are kept.
        endpoints = only("wangsu", "flow_request")
        endpoints["flow_request_origin"] = {"enabled": True}
        await exporter.apply(validate({"accounts": [entry(endpoints=endpoints)]}))
        assert exporter.discoverers[WANGSU.name] is found
        assert poller in exporter.pollers
        # The listing calls' self-metrics survive the reload and go on counting.
        labels = {
            "provider": "wangsu",
            "account": WANGSU.name,
            "endpoint": "discovery",
            "result": "success",
        }
        sample = exporter.metrics.registry.get_sample_value
        before = sample("cdn_exporter_api_requests_total", labels)
        assert before == 1
        await clock.run_until(START + HOUR + 600)
        assert sample("cdn_exporter_api_requests_total", labels) == 2
        assert all(p.domains == poller.domains for p in exporter.pollers)
        assert all(p.up for p in exporter.pollers)

        # A changed discovery block: listed afresh, its endpoints rebuilt.
        changed = entry(discovery={"exclude": ["*.internal.example.com"]})
        await exporter.apply(validate({"accounts": [changed]}))
        assert exporter.discoverers[WANGSU.name] is not found
        await clock.run_until(START + HOUR + 1800)
        [rebuilt] = exporter.pollers
        assert rebuilt is not poller
        assert rebuilt.domains == ("night.example.com", "www.example.com")

        # Back to a domain list: no discovery, its self-metrics gone.
        listed = account_config(WANGSU, base[0], only("wangsu", "flow_request"))
        await exporter.apply(validate({"accounts": [listed]}))
        assert exporter.discoverers == {}
        assert "cdn_exporter_discovered_domains{" not in exporter.metrics.render().decode()
        assert server.emulator.totals("wangsu").throttled == 0
