"""The simulated day both providers' status-code tests run: status counters per class and
per code against the emulator's ground truth for the settled day, in one run or killed and
restarted from the state file, and the certificate snapshot against the emulator's list."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import Emulator, start
from collector.emulator.core import EmulatedAccount
from collector.emulator.volcengine.certificates import certificates
from collector.families import (
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_HTTP_RESPONSES,
)
from collector.poller import EndpointPoller
from collector.providers.endpoint import Endpoint
from tests.integration.test_restart import kill

DAY = 86400
DOWN = 1800  # how long a killed exporter stays down
# Just after a settle delay past local midnight (+08:00): the day's slices all settle.
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60
POLLED = ("status_codes", "status_codes_by_code", "origin_status_codes", "certificates")

# (account, domain, kind, begin, end) -> the emulator's count per status code.
StatusTruth = Callable[[Emulator, str, str, str, float, float], Mapping[int, float]]


def endpoints(catalog: Mapping[str, Endpoint]) -> dict[str, dict[str, Any]]:
    """Only the endpoints under test: the others have their own simulated day. A code that
    comes back less often than every `expire_after_polls` polls would expire (and restart
    from 0, which rate() reads as a reset); kept here, so the per-code counters add up."""
    chosen: dict[str, dict[str, Any]] = {name: {"enabled": name in POLLED} for name in catalog}
    chosen["status_codes_by_code"]["expire_after_polls"] = 1000
    return chosen


def counters(poller: EndpointPoller, family_name: str) -> dict[tuple[str, ...], float]:
    return {
        labels: value
        for family, labels, value in poller.store.series()
        if family.name == family_name
    }


def truth_of(
    status_truth: StatusTruth,
    emulator: Emulator,
    account: EmulatedAccount,
    kind: str,
    begin: float,
    end: float,
    *,
    by_code: bool,
) -> dict[tuple[str, ...], float]:
    expected: dict[tuple[str, ...], float] = defaultdict(float)
    for domain in account.domains:
        if not by_code:  # every class is exported, 0 when none of its codes came back
            expected.update({(domain, c): 0.0 for c in ("1xx", "3xx", "4xx", "other")})
        counts = status_truth(emulator, account.name, domain, kind, begin, end)
        for code, value in counts.items():
            if value:
                label = str(code) if by_code else f"{code // 100}xx"
                expected[(domain, label)] += value
    return dict(expected)


async def check_status_day(
    tmp_path: Path,
    restart: bool,
    emulator: Emulator,
    account: EmulatedAccount,
    catalog: Mapping[str, Endpoint],
    status_truth: StatusTruth,
    kinds: tuple[str, str],
) -> None:
    """Poll the status-code and certificate endpoints of `account` for a simulated day
    (killed and restarted at a random, repeatable moment when `restart`) and check every
    status counter against `status_truth` for the settled day. `kinds` names the edge
    and origin kinds as the provider does (`edge`/`origin`, `Access`/`Source`)."""
    seed = int(os.environ.get("RESTART_SEED", random.randrange(2**32)))
    killed_at = START + random.Random(seed).randrange(600, DAY - DOWN - 600)
    why = f"seed {seed} (RESTART_SEED={seed} repeats it): killed at START+{killed_at - START}s"
    path = tmp_path / "state.json"
    clock = emulator.clock
    assert isinstance(clock, VirtualClock)
    server = await start(emulator)
    config = validate(
        {
            "accounts": [account_config(account, server.base_url, endpoints(catalog))],
            "state_file": str(path),
        }
    )
    exporter = Exporter(config, clock)
    try:
        exporter.start()
        await clock.run_until(START + 600)  # the first polls set each baseline
        baselines = {p.settings.spec.name: p.store.baseline for p in exporter.pollers}
        if restart:
            await clock.run_until(killed_at)
            await kill(exporter)
            assert path.exists(), why
            await clock.run_until(killed_at + DOWN)
            exporter = Exporter(config, clock)
            exporter.start()
        await clock.run_until(START + DAY + 300)

        pollers = {p.settings.spec.name: p for p in exporter.pollers}
        assert set(pollers) == set(POLLED)
        edge, origin = kinds
        checks = (
            ("status_codes", HTTP_RESPONSES, edge, False),
            ("status_codes_by_code", HTTP_RESPONSES_BY_CODE, edge, True),
            ("origin_status_codes", ORIGIN_HTTP_RESPONSES, origin, False),
        )
        for name, family, kind, by_code in checks:
            poller = pollers[name]
            begin, end = baselines[name], poller.store.newest_settled_end
            assert begin is not None, why
            assert end is not None, why
            assert end >= begin + DAY - 300, why
            expected = truth_of(status_truth, emulator, account, kind, begin, end, by_code=by_code)
            assert expected[(account.domains[0], "5xx" if not by_code else "502")] > 0
            assert counters(poller, family.name) == expected, (why, name)
            assert poller.up, (why, name)
        # Certificates: the newest hourly snapshot is what the list answers now.
        certs = counters(pollers["certificates"], CERTIFICATE_NOT_AFTER.name)
        assert certs == {(c.name,): float(c.not_after) for c in certificates(account, clock.time())}
        assert emulator.totals().throttled == 0, why
    finally:
        await exporter.close()
        await server.close()
