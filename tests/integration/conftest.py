"""Integration fixtures: the emulator and the exporter on one virtual clock the test drives."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.emulator.core import EmulatedAccount, Emulator
from collector.emulator.server import RunningEmulator, start

# The Wangsu health reports are on by default: off where a test follows the traffic ones.
HEALTH_OFF: dict[str, dict[str, Any]] = {
    name: {"enabled": False}
    for name in ("status_codes", "origin_status_codes", "origin_response_time", "certificates")
}

WANGSU = EmulatedAccount(
    provider="wangsu",
    name="it-wangsu",
    access_key="IT_AK",
    secret_key="IT_SK_0123456789",
    username="it-wangsu",
    api_key="IT_APIKEY",
    domains=("www.example.com", "img.example.com"),
)
CDNETWORKS = EmulatedAccount(
    provider="cdnetworks",
    name="it-cdnetworks",
    access_key="IT_CDN_AK",
    secret_key="IT_CDN_SK_0123456789",
    username="it-cdnetworks",
    api_key="IT_CDN_APIKEY",
    domains=("video.example.net", "dl.example.net"),
)


@asynccontextmanager
async def running(
    clock: VirtualClock,
    accounts: list[EmulatedAccount],
    configure: Callable[[str], list[dict[str, Any]]],
    **emulator_options: Any,
) -> AsyncIterator[tuple[RunningEmulator, Exporter]]:
    """The emulator on a loopback port and an exporter polling it, both on `clock`.

    Nothing moves until the test drives `clock`; each step waits for the loopback
    HTTP in real time while virtual time stands still.
    """
    server = await start(Emulator(accounts, clock=clock, **emulator_options))
    exporter = Exporter(validate({"accounts": configure(server.base_url)}), clock)
    try:
        exporter.start()
        yield server, exporter
    finally:
        await exporter.close()
        await server.close()
