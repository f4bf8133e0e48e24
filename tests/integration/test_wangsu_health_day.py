"""A simulated day of Wangsu status codes (edge and origin, with a burst of 5xx) and
certificates against the emulator: the status counters per class and per code equal the
emulator's ground truth for the settled day, also when the exporter is killed and
restarted from its state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.clock import VirtualClock
from collector.emulator import Emulator
from collector.emulator import truth as ground
from collector.emulator.core import EmulatedAccount
from collector.providers.wangsu.catalog import CATALOG
from tests.integration.health_day import DAY, START, check_status_day

pytestmark = pytest.mark.slow

ACCOUNT = EmulatedAccount(
    provider="wangsu",
    name="it-wangsu-health",
    access_key="IT_WANGSU_HEALTH_AK",
    secret_key="IT_WANGSU_HEALTH_SK_0123456789",
    username="it-wangsu-health",
    api_key="IT_WANGSU_HEALTH_APIKEY",
    domains=("www.example.com", "img.example.com", "static.example.net"),
)
BURST_START, BURST_SECONDS, BURST_SHARE = START + DAY // 2, 1200, 0.4


@pytest.mark.parametrize("restart", [False, True], ids=["one run", "killed and restarted"])
async def test_status_counters_equal_the_settled_day(tmp_path: Path, restart: bool) -> None:
    emulator = Emulator([ACCOUNT], clock=VirtualClock(START))
    # A burst of 5xx on one domain for 20 minutes mid-day: counted once, like the rest.
    domain = ACCOUNT.domains[0]
    emulator.add_error_burst(BURST_SECONDS, BURST_SHARE, ACCOUNT.name, domain, BURST_START)
    await check_status_day(
        tmp_path,
        restart,
        emulator,
        ACCOUNT,
        CATALOG,
        ground.wangsu_status_counts,
        ("edge", "origin"),
    )
    burst = ground.wangsu_status_counts(
        emulator, ACCOUNT.name, domain, "edge", BURST_START, BURST_START + BURST_SECONDS
    )
    assert burst[503] >= BURST_SHARE * sum(burst.values()) - 4
