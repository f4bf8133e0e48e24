"""A simulated day of Wangsu status codes (edge and origin, with a burst of 5xx) and
certificates against the emulator: the status counters per class and per code equal the
emulator's ground truth for the settled day, also when the exporter is killed and
restarted from its state file."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import Emulator, start
from collector.emulator import truth as ground
from collector.emulator.core import EmulatedAccount
from collector.emulator.volcengine.certificates import certificates
from collector.families import (
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_HTTP_RESPONSES,
)
from collector.poller import EndpointPoller
from collector.providers.wangsu.catalog import CATALOG
from tests.integration.test_restart import kill

pytestmark = pytest.mark.slow

DAY = 86400
DOWN = 1800
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60
LIVE = EmulatedAccount(
    provider="wangsu",
    name="it-wangsu-health",
    access_key="IT_WANGSU_HEALTH_AK",
    secret_key="IT_WANGSU_HEALTH_SK_0123456789",
    username="it-wangsu-health",
    api_key="IT_WANGSU_HEALTH_APIKEY",
    domains=("www.example.com", "img.example.com", "static.example.net"),
)
POLLED = ("status_codes", "status_codes_by_code", "origin_status_codes", "certificates")
# Only the endpoints under test: the others have their own simulated day. A code that
# comes back less often than every `expire_after_polls` polls would expire (and restart
# from 0, which rate() reads as a reset); kept here, so the per-code counters must add up.
ENDPOINTS: dict[str, dict[str, Any]] = {name: {"enabled": name in POLLED} for name in CATALOG}
ENDPOINTS["status_codes_by_code"]["expire_after_polls"] = 1000


def settings(base_url: str, state_file: Path) -> Any:
    return validate(
        {"accounts": [account_config(LIVE, base_url, ENDPOINTS)], "state_file": str(state_file)}
    )


def counters(poller: EndpointPoller, family_name: str) -> dict[tuple[str, ...], float]:
    return {
        labels: value
        for family, labels, value in poller.store.series()
        if family.name == family_name
    }


def truth_of(
    emulator: Emulator, kind: str, begin: float, end: float, *, by_code: bool
) -> dict[tuple[str, ...], float]:
    expected: dict[tuple[str, ...], float] = defaultdict(float)
    for domain in LIVE.domains:
        if not by_code:  # every class is exported, 0 when none of its codes came back
            expected.update({(domain, c): 0.0 for c in ("1xx", "3xx", "4xx", "other")})
        counts = ground.wangsu_status_counts(emulator, LIVE.name, domain, kind, begin, end)
        for code, value in counts.items():
            if value:
                label = str(code) if by_code else f"{code // 100}xx"
                expected[(domain, label)] += value
    return dict(expected)


@pytest.mark.parametrize("restart", [False, True], ids=["one run", "killed and restarted"])
async def test_status_counters_equal_the_settled_day(tmp_path: Path, restart: bool) -> None:
    seed = int(os.environ.get("RESTART_SEED", random.randrange(2**32)))
    killed_at = START + random.Random(seed).randrange(600, DAY - DOWN - 600)
    why = f"seed {seed} (RESTART_SEED={seed} repeats it): killed at START+{killed_at - START}s"
    path = tmp_path / "state.json"
    clock = VirtualClock(START)
    emulator = Emulator([LIVE], clock=clock)
    # A burst of 5xx on one domain for 20 minutes mid-day: counted once, like the rest.
    emulator.add_error_burst(1200, 0.4, LIVE.name, LIVE.domains[0], START + DAY // 2)
    server = await start(emulator)
    exporter = Exporter(settings(server.base_url, path), clock)
    try:
        exporter.start()
        await clock.run_until(START + 600)  # the first polls set each baseline
        baselines = {p.settings.spec.name: p.store.baseline for p in exporter.pollers}
        if restart:
            await clock.run_until(killed_at)
            await kill(exporter)
            assert path.exists(), why
            await clock.run_until(killed_at + DOWN)
            exporter = Exporter(settings(server.base_url, path), clock)
            exporter.start()
        await clock.run_until(START + DAY + 300)

        pollers = {p.settings.spec.name: p for p in exporter.pollers}
        assert set(pollers) == set(POLLED)
        checks = (
            ("status_codes", HTTP_RESPONSES, "edge", False),
            ("status_codes_by_code", HTTP_RESPONSES_BY_CODE, "edge", True),
            ("origin_status_codes", ORIGIN_HTTP_RESPONSES, "origin", False),
        )
        for name, family, kind, by_code in checks:
            poller = pollers[name]
            begin, end = baselines[name], poller.store.newest_settled_end
            assert begin is not None, why
            assert end is not None, why
            assert end >= begin + DAY - 300, why
            expected = truth_of(emulator, kind, begin, end, by_code=by_code)
            assert expected[(LIVE.domains[0], "5xx" if not by_code else "502")] > 0
            assert counters(poller, family.name) == expected, (why, name)
            assert poller.up, (why, name)
        burst = ground.wangsu_status_counts(
            emulator, LIVE.name, LIVE.domains[0], "edge", START + DAY // 2, START + DAY // 2 + 1200
        )
        assert burst[503] >= 0.4 * sum(burst.values()) - 4, why
        # Certificates: the newest hourly snapshot is what the list answers now.
        certs = counters(pollers["certificates"], CERTIFICATE_NOT_AFTER.name)
        now = clock.time()
        assert certs == {(c.name,): float(c.not_after) for c in certificates(LIVE, now)}
        assert emulator.totals().throttled == 0, why
    finally:
        await exporter.close()
        await server.close()
