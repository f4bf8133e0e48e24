"""Every Wangsu/CDNetworks endpoint at once, for 50 domains, over a simulated day, in
both spellings: Wangsu's catalog, and CDNetworks' (its renamed reports and its own).

Acceptance of the full catalog: no call beyond any endpoint's limit, every endpoint's
families on /metrics (which `promtool check metrics` accepts), and every counter's day
equal to the final answers: once the day is over and settled, each endpoint's whole
window is read again in one pass and parsed, and each counter series must equal the
sum of those final slices exactly, although the day's polls saw young slices, partial
values and revisions. (Each report's own ground truth, computed from the traffic model
without the exporter's parser, is checked in tests/emulator/test_wangsu_*.py.)

Some reports feed a family another report feeds too (stream_detail and stream,
flow_byte and account_traffic, the DWA variants and their twins, ...), and one account
may not enable two of them, so the reports are spread over as few accounts of the same
50 domains as keep every family fed once per account.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import aiohttp
import pytest

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import EmulatedAccount
from collector.http import HttpResponse
from collector.model import Kind
from collector.poller import EndpointPoller
from collector.providers import get_provider
from collector.providers.endpoint import Endpoint, Query
from collector.timeslices import Window, align_down, granularity_name, split_window
from tests.integration.conftest import running

pytestmark = pytest.mark.slow

DAY = 86400
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60  # after local midnight
DOMAINS = tuple(f"d{n:02d}.example.com" for n in range(50))


def _account(provider: str, index: int) -> EmulatedAccount:
    return EmulatedAccount(
        provider=provider,
        name=f"all-{provider}-{index}",
        access_key=f"{provider.upper()}{index}_AK",
        secret_key=f"{provider.upper()}{index}_SK_0123456789",
        username=f"all-{provider}-{index}",
        api_key=f"{provider.upper()}{index}_APIKEY",
        domains=DOMAINS,
    )


def groups(catalog: Mapping[str, Endpoint]) -> list[set[str]]:
    """The catalog's reports spread over accounts, first fit: no family fed twice in one."""
    out: list[tuple[set[str], set[str]]] = []  # (reports, families they feed)
    for name, spec in catalog.items():
        families = {f.name for f in spec.families}
        for reports, fed in out:
            if not families & fed:
                reports.add(name)
                fed |= families
                break
        else:
            out.append(({name}, set(families)))
    return [reports for reports, _ in out]


def _endpoints(catalog: Mapping[str, Endpoint], names: set[str]) -> dict[str, dict[str, Any]]:
    # Polls every 6 hours of the coarsest slices up to an hour keep the day's work small
    # (a poll reads everything settled since the last one); the
    # reports read 24 h or 5 h late (client country, exact domain) settle after an hour
    # here, as the emulator's data is final after 15 minutes whatever the route.
    out: dict[str, dict[str, Any]] = {}
    for name, spec in catalog.items():
        coarse = max((g for g in spec.granularities if g <= 3600), default=spec.granularities[0])
        settings: dict[str, Any] = {
            "enabled": name in names,
            "interval": "6h",
            "granularity": granularity_name(coarse),
        }
        if spec.data_delay > 3600:
            settings["delay"] = "1h"
        out[name] = settings
    return out


async def _reread(
    poller: EndpointPoller, start: float, end: float, clock: VirtualClock
) -> dict[tuple[str, tuple[str, ...]], float]:
    """Counter totals of the slices ending in (start, end], from one fresh read."""
    provider = get_provider(poller.account.provider)
    spec = poller.settings.spec
    seconds = poller.settings.granularity
    totals: dict[tuple[str, tuple[str, ...]], float] = defaultdict(float)
    offset = poller.account.offset_seconds
    window = Window(
        align_down(start, seconds, offset), align_down(end, seconds, offset) + seconds, seconds
    )
    async with aiohttp.ClientSession() as session:
        filters = provider.query_filters(poller.account)
        for piece in split_window(window, poller.settings.max_span):
            # Three calls' worth of domains per endpoint: every shape and batching is
            # covered, at a fraction of a second full read.
            for target in provider.call_targets(poller.account, poller.settings)[:3]:
                query = Query(
                    spec.name,
                    target.domains,
                    piece,
                    offset,
                    target.scope,
                    filters,
                    poller.account.units,
                )
                while True:
                    request = provider.build_request(poller.account, spec, query, clock.time())
                    async with session.request(
                        request.method, request.url, headers=request.headers, data=request.body
                    ) as answer:
                        response = HttpResponse(
                            answer.status,
                            {k.lower(): v for k, v in answer.headers.items()},
                            await answer.read(),
                        )
                    if response.status != 429:
                        break
                    await clock.advance(300)  # the re-read's own budget, not the day's
                classified = provider.classify(response)
                assert classified.payload is not None, (spec.name, classified.message)
                for point in spec.parse(classified.payload, query):
                    if point.family.kind is Kind.COUNTER and start < point.end <= end:
                        totals[(point.family.name, point.labels)] += point.value
    return totals


@pytest.mark.parametrize("provider", ["wangsu", "cdnetworks"])
async def test_every_endpoint_for_fifty_domains_over_a_day(provider: str) -> None:
    clock = VirtualClock(START)
    catalog = get_provider(provider).catalog
    spread = groups(catalog)
    accounts = [_account(provider, i) for i in range(len(spread))]

    def configure(base_url: str) -> list[dict[str, object]]:
        return [
            account_config(account, base_url, _endpoints(catalog, names))
            for account, names in zip(accounts, spread, strict=True)
        ]

    async with running(clock, accounts, configure, on_request_fields=True) as (
        server,
        exporter,
    ):
        assert {p.settings.spec.name for p in exporter.pollers} == set(catalog)
        # Each report on its own brand's path (the CDNetworks spelling where renamed).
        assert {(p.settings.spec.name, p.settings.spec.path) for p in exporter.pollers} == {
            (name, spec.path) for name, spec in catalog.items()
        }
        await clock.run_until(START + DAY + 7 * 3600)
        totals = server.emulator.totals()
        assert totals.throttled == 0, "a call went beyond a published limit"
        assert totals.bad_requests == 0
        await exporter.render()
        body = exporter.rendered.plain
        text = body.decode()
        for spec in catalog.values():
            for family in spec.families:
                assert f"\n{family.name}{{" in text or f"\n{family.name} " in text, (
                    spec.name,
                    family.name,
                )
        promtool = shutil.which("promtool")
        if promtool:
            check = await asyncio.to_thread(
                subprocess.run,
                [promtool, "check", "metrics"],
                input=body,
                capture_output=True,
                check=False,
            )
            assert check.returncode == 0, check.stderr.decode(errors="replace")
        pollers = list(exporter.pollers)
        await exporter.close()
        server.emulator.reset()
        checked = 0
        for poller in pollers:
            start, end = poller.store.baseline, poller.complete_through
            assert start is not None
            assert end is not None
            assert end >= start + DAY - 3600, poller.name
            expected = await _reread(poller, start, end, clock)
            got = {
                (family.name, labels): value
                for family, labels, value in poller.store.series()
                if family.kind is Kind.COUNTER
            }
            if any(f.kind is Kind.COUNTER for f in poller.settings.spec.families):
                assert expected, poller.name
            for key, value in expected.items():
                assert got.get(key) == pytest.approx(value, rel=1e-9), (poller.name, key)
                checked += 1
        assert checked > 500
