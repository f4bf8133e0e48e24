"""The exporter and the emulator in one process on a VirtualClock paced at PACE virtual
seconds per real second, serving /metrics and the emulator on loopback ports: for e2e
tests whose windows are hours long (tests/e2e/test_error_budget_e2e.py).

`python -m tests.e2e.paced_exporter --port P --emulator-port E --pace N` polls the demo
Wangsu account's edge status codes (`status_codes`) every 5 virtual minutes, settled 2
virtual minutes after each slice ends (the emulator's data is final 90 s after a slice
ends). Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time

from aiohttp import web

from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import Emulator, demo_accounts, start
from collector.providers.wangsu.catalog import CATALOG
from collector.web import build_web_app

ACCOUNT = "demo-wangsu"
# 2023-11-15 00:10 +08:00: any fixed start; the day's traffic curve is deterministic.
START = 1_699_978_200
ENDPOINTS = {name: {"enabled": name == "status_codes"} for name in CATALOG}
ENDPOINTS["status_codes"] = {"enabled": True, "interval": 300, "delay": 120}
TICK = 0.05  # real seconds between steps of the virtual clock


async def run(port: int, emulator_port: int, pace: float) -> None:
    clock = VirtualClock(START)
    [account] = [a for a in demo_accounts() if a.name == ACCOUNT]
    emulator = Emulator([account], clock=clock, visible_after=30, final_after=90)
    server = await start(emulator, port=emulator_port)
    settings = validate(
        {
            "account_jitter": 0,
            "accounts": [account_config(account, server.base_url, ENDPOINTS)],
        }
    )
    exporter = Exporter(settings, clock)
    runner = web.AppRunner(build_web_app(exporter), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    exporter.start()
    began, real = clock.time(), time.monotonic()
    try:
        while not stop.is_set():
            await clock.run_until(began + pace * (time.monotonic() - real))
            await asyncio.sleep(TICK)
    finally:
        await exporter.close()
        await runner.cleanup()
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--emulator-port", type=int, required=True)
    parser.add_argument("--pace", type=float, required=True)
    args = parser.parse_args()
    asyncio.run(run(args.port, args.emulator_port, args.pace))


if __name__ == "__main__":
    main()
