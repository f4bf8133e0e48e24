"""Counter continuity: killed at a random point of a day, down 30 minutes, restarted
from the state file, the day's counters still equal the emulator's ground truth."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path
from typing import Any

import pytest

from collector import state
from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import EmulatedAccount, Emulator, start
from collector.emulator import truth as ground
from collector.families import REQUESTS, TRAFFIC
from collector.poller import EndpointPoller
from tests.integration.conftest import CDNETWORKS, HEALTH_OFF, WANGSU

DAY = 86400
DOWN = 1800
# Just after a local midnight (+08:00) plus the settle delay, as in test_simulated_day.
START = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % DAY + 900 + 60
ONLY_FLOW = {
    "flow_request_origin": {"enabled": False},
    **HEALTH_OFF,
    "edge_hit_ratio": {"enabled": False},
}
ACCOUNTS = (WANGSU, CDNETWORKS)


def settings(base_url: str, state_file: Path) -> Any:
    return validate(
        {
            "accounts": [
                account_config(WANGSU, base_url, ONLY_FLOW),
                account_config(CDNETWORKS, base_url, ONLY_FLOW, time_offset="-05:00"),
            ],
            "state_file": str(state_file),
        }
    )


def counter(poller: EndpointPoller, family_name: str, domain: str) -> float:
    return sum(
        value
        for family, labels, value in poller.store.series()
        if family.name == family_name and labels[0] == domain
    )


async def kill(exporter: Exporter) -> None:
    """SIGKILL, as far as one event loop can: every job stops where it is, no shutdown
    code of the exporter runs, the state file stays as last written. (The sockets are
    closed only so the test leaks none.)"""
    assert exporter.scheduler is not None
    for task in exporter.scheduler._tasks.values():
        task.cancel()
    for transport in exporter.transports.values():
        await transport.close()


@pytest.mark.slow
async def test_a_killed_exporter_restarted_from_its_state_file_loses_and_doubles_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed = int(os.environ.get("RESTART_SEED", random.randrange(2**32)))
    killed_at = START + random.Random(seed).randrange(600, DAY - DOWN - 600)
    why = f"seed {seed} (RESTART_SEED={seed} repeats it): killed at START+{killed_at - START}s"
    caplog.set_level(logging.INFO, logger="collector")
    path = tmp_path / "state.json"
    clock = VirtualClock(START)
    server = await start(Emulator(list(ACCOUNTS), clock=clock))
    first = Exporter(settings(server.base_url, path), clock)
    second: Exporter | None = None
    try:
        first.start()
        await clock.run_until(killed_at)
        baselines = {p.account.name: p.store.baseline for p in first.pollers}
        await kill(first)
        assert path.exists(), why
        await clock.run_until(killed_at + DOWN)

        second = Exporter(settings(server.base_url, path), clock)
        restored = [r.getMessage() for r in caplog.records if "continues" in r.getMessage()]
        assert len(restored) == 2, (why, restored)
        second.start()
        await clock.run_until(START + DAY + 300)

        emulator = server.emulator
        for account in ACCOUNTS:
            poller = next(p for p in second.pollers if p.account.name == account.name)
            begin, end = baselines[account.name], poller.store.newest_settled_end
            assert begin is not None, why
            assert end is not None, why
            assert end >= begin + DAY - 300, why
            for domain in account.domains:
                truth = ground.wangsu_traffic_bytes(emulator, account.name, domain, begin, end)
                got = counter(poller, TRAFFIC.name, domain)
                assert truth > 0
                assert got == pytest.approx(truth, rel=1e-12), (why, account.name, domain)
                requests = ground.wangsu_requests(emulator, account.name, domain, begin, end)
                assert counter(poller, REQUESTS.name, domain) == requests, (why, domain)
            revisions = second.metrics.revisions.labels(
                account.provider, account.name, "flow_request"
            )
            assert revisions._value.get() == 0, why
            assert poller.up is True, why
        assert emulator.totals().throttled == 0, why
        # The file holds what the second run counted.
        persisted = {e.key: e for e in state.decode(path.read_bytes())}
        assert set(persisted) == {p.state_key for p in second.pollers}
    finally:
        if second is not None:
            await second.close()
        await server.close()


async def test_a_corrupt_state_file_is_logged_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b'{"format": "cdn-exporter state", "version": 1, "endpoints": [{"prov')
    clock = VirtualClock(START)
    account: EmulatedAccount = WANGSU
    server = await start(Emulator([account], clock=clock))
    exporter = Exporter(
        validate(
            {
                "accounts": [account_config(account, server.base_url, ONLY_FLOW)],
                "state_file": str(path),
            }
        ),
        clock,
    )
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("is corrupt" in m and "ignored" in m for m in warnings), warnings
        exporter.start()
        await clock.run_until(START + 600)
        [poller] = exporter.pollers
        assert poller.up is True
        # The first successful poll replaced the corrupt file with a good one.
        [saved] = state.decode(path.read_bytes())
        assert saved.key == poller.state_key
    finally:
        await exporter.close()
        await server.close()
