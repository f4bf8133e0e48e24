"""Serving: in-process start/stop, the standalone coroutine, and the clock it is given."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from collector.clock import FakeClock
from collector.emulator import Emulator, demo_accounts, serve_forever, start

from .conftest import NOW, ApiClient, iso


async def test_new_slices_appear_as_its_clock_advances() -> None:
    clock = FakeClock(NOW)
    emulator = Emulator(demo_accounts(), clock=clock)
    body = {"dateFrom": iso(NOW - 3600), "dateTo": iso(NOW + 3600), "domain": ["img.example.com"]}
    async with await start(emulator) as running, aiohttp.ClientSession() as session:
        assert running.base_url == f"http://127.0.0.1:{running.port}"
        client = ApiClient(session, running, clock, emulator.account("demo-wangsu"))
        first = await client.call("flow_request", body)
        clock.advance(600)  # two more 5-minute slices
        second = await client.call("flow_request", body)
    count = [len(r.json["result"][0]["flowRequestData"]) for r in (first, second)]
    assert count[1] == count[0] + 2


async def test_serve_forever_runs_until_cancelled() -> None:
    task = asyncio.create_task(serve_forever("127.0.0.1", 0))
    await asyncio.sleep(0.05)
    assert not task.done()
    started = time.monotonic()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert time.monotonic() - started < 2
