"""A simulated day of Volcengine status codes and certificates against the emulator: the
status counters per class and per code equal the emulator's ground truth for the settled
day, also when the exporter is killed and restarted from its state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.clock import VirtualClock
from collector.emulator import Emulator
from collector.emulator import truth as ground
from collector.emulator.core import EmulatedAccount
from collector.providers.volcengine.catalog import CATALOG
from tests.integration.health_day import START, check_status_day

pytestmark = pytest.mark.slow

LIVE = EmulatedAccount(
    provider="volcengine",
    name="it-live-health",
    access_key="AKLTITHEALTH00",
    secret_key="IT_HEALTH_SK_0123456789",
    username="",
    api_key="",
    domains=("pull.live.example.com", "play.live.example.com", "hls.live.example.com"),
)


@pytest.mark.parametrize("restart", [False, True], ids=["one run", "killed and restarted"])
async def test_status_counters_equal_the_settled_day(tmp_path: Path, restart: bool) -> None:
    emulator = Emulator([LIVE], clock=VirtualClock(START))
    await check_status_day(
        tmp_path,
        restart,
        emulator,
        LIVE,
        CATALOG,
        ground.volcengine_status_counts,
        ("Access", "Source"),
    )
