"""Connection hygiene: idle clients and junk requests neither stop nor flood the exporter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from collector import webserver
from collector.webserver import (
    RESERVED_DESCRIPTORS,
    BurstLog,
    CappedSite,
    ConnectionLimits,
    connection_cap,
    runner_options,
)
from tests.integration.daemon import config_for, emulator, write_config

REPO = Path(__file__).resolve().parents[2]
WAIT = 60.0  # real seconds a condition may take on a loaded machine
DESCRIPTORS = 128
IDLE_TIMEOUT = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


async def _status(session: aiohttp.ClientSession, url: str) -> int:
    try:
        async with session.get(url) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def _until_ok(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if await _status(session, url) == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {WAIT:g}s")


async def _junk(port: int, payload: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        await asyncio.wait_for(reader.read(), WAIT)  # the 400, then the close
    except ConnectionResetError:
        pass  # closed with the request unread, or above the connection cap
    finally:
        writer.close()


async def test_idle_connections_and_junk_requests_against_few_descriptors(
    tmp_path: Path,
) -> None:
    async with emulator() as server:
        config = tmp_path / "config.yaml"
        write_config(config, config_for(server.base_url, {}))
        await _flood(config, tmp_path)


async def _flood(config: Path, tmp_path: Path) -> None:
    port = _free_port()
    log_path = tmp_path / "exporter.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "collector",
            "--config",
            str(config),
            "--web.listen-address",
            f"127.0.0.1:{port}",
            "--web.idle-timeout",
            str(IDLE_TIMEOUT),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=tmp_path,
            preexec_fn=_few_descriptors,
        )
    idle: list[socket.socket] = []
    url = f"http://127.0.0.1:{port}"
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await _until_ok(session, url + "/-/healthy")
            before = log_path.stat().st_size
            # 150 clients connect and say nothing: more than the descriptors allow.
            for _ in range(150):
                sock = socket.socket()
                sock.setblocking(False)
                with contextlib.suppress(BlockingIOError):  # connecting in the background
                    sock.connect(("127.0.0.1", port))
                idle.append(sock)
            await asyncio.sleep(IDLE_TIMEOUT / 2)
            # Answered once the idle ones time out at the latest.
            await _until_ok(session, url + "/metrics")
            await _until_ok(session, url + "/-/healthy")
            # 900 requests aiohttp cannot parse (a header line without a colon).
            junk = b"GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"
            for _ in range(900 // 10):
                await asyncio.gather(*(_junk(port, junk) for _burst in range(10)))
            assert await _status(session, url + "/metrics") == 200
    finally:
        for sock in idle:
            sock.close()
        process.terminate()
        await asyncio.wait_for(process.wait(), WAIT)
    text = log_path.read_text(errors="replace")
    flood = text[before:] if len(text) >= before else text
    assert "Traceback" not in text, text[-6000:]
    assert "level=error" not in text, flood[:2000]
    assert f"open connections at the limit of {(DESCRIPTORS - RESERVED_DESCRIPTORS) // 2}" in flood
    assert len(flood.encode()) < 8 * 1024, flood[:2000]


async def test_a_burst_is_logged_once_then_once_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    burst = BurstLog("accepting a connection failed")
    try:
        for _ in range(1000):
            burst.add("[Errno 24] Too many open files")
        lines = [r.getMessage() for r in caplog.records]
        assert lines == ["accepting a connection failed: [Errno 24] Too many open files"]
        burst._report()  # the window ends: one line with the count
        assert caplog.records[-1].getMessage().endswith("999 more time(s) in the last 10s")
        burst.add("again")  # a new burst
        assert caplog.records[-1].getMessage().endswith(": again")
    finally:
        burst.close()


def test_the_connection_cap_leaves_descriptors_free() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = connection_cap(10**9)
    if soft != resource.RLIM_INFINITY:
        assert cap <= (soft - RESERVED_DESCRIPTORS) // 2 or cap == 1
    assert connection_cap(3) == 3


async def test_failed_accepts_are_logged_once_and_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """asyncio's own accept loop logs every EMFILE with a traceback; this one logs the
    first of a burst and takes connections again once descriptors are free."""
    monkeypatch.setattr(webserver, "ACCEPT_RETRY", 0.01)
    loop = asyncio.get_running_loop()
    real = loop.sock_accept
    failures = [OSError(24, "Too many open files")] * 50

    async def accept(sock: socket.socket) -> tuple[socket.socket, Any]:
        if failures:
            raise failures.pop()
        return await real(sock)

    monkeypatch.setattr(loop, "sock_accept", accept)
    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello\n")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    site = CappedSite(runner, "127.0.0.1", port, limits=ConnectionLimits(idle_timeout=5))
    caplog.set_level(logging.DEBUG, logger="collector.webserver")
    try:
        await site.start()
        async with aiohttp.ClientSession() as session:
            await _until_ok(session, f"http://127.0.0.1:{port}/")
    finally:
        await runner.cleanup()
    assert failures == []
    lines = [r for r in caplog.records if "accepting a connection failed" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].exc_info is None


async def test_a_request_whose_headers_never_end_is_closed_after_the_idle_timeout() -> None:
    runner = web.AppRunner(web.Application(), **runner_options(ConnectionLimits(0.5)))
    await runner.setup()
    port = _free_port()
    site = CappedSite(runner, "127.0.0.1", port, limits=ConnectionLimits(0.5))
    try:
        await site.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        await writer.drain()
        # Closed by the server (EOF), well before the test's own deadline.
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        writer.close()
    finally:
        await runner.cleanup()
