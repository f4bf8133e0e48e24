"""The exporter as a real process (`python -m collector --config ...`) against an
in-process emulator on loopback: for signal and lifecycle tests.

Subprocess tests wait for conditions with generous real-time deadlines (the CI
machine is loaded) and never assert on how fast anything but shutdown is.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from collector.demo import account_config
from collector.emulator import Emulator, RunningEmulator, demo_accounts, start

WAIT = 30.0  # real seconds any condition may take to come true on a loaded machine
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_account(name: str) -> Any:
    [account] = [a for a in demo_accounts() if a.name == name]
    return account


def config_for(base_url: str, endpoints: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A config polling the demo Wangsu account: `endpoints` as in the YAML."""
    entry = account_config(demo_account("demo-wangsu"), base_url, endpoints)
    return {"account_jitter": 0, "accounts": [entry]}


def write_config(path: Path, config: dict[str, Any] | str) -> None:
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    path.write_text(text)


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout:g}s: {what}")


@dataclass
class Daemon:
    """A running `python -m collector` and where to reach it."""

    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    session: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def get(self, path: str) -> tuple[int, str]:
        try:
            async with self.session.get(self.url + path) as response:
                return response.status, await response.text()
        except aiohttp.ClientError:
            return 0, ""

    async def post(self, path: str) -> tuple[int, str]:
        async with self.session.post(self.url + path) as response:
            return response.status, await response.text()

    async def metrics(self) -> str:
        status, body = await self.get("/metrics")
        assert status == 200, status
        return body

    def send(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> tuple[int, float]:
        """Signal the process; its exit code and the real seconds from signal to exit."""
        sent = time.monotonic()
        self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), WAIT)
        return code, time.monotonic() - sent


@asynccontextmanager
async def emulator(**options: Any) -> AsyncIterator[RunningEmulator]:
    server = await start(Emulator(demo_accounts(), **options))
    try:
        yield server
    finally:
        await server.close()


@asynccontextmanager
async def daemon(config: Path, tmp_path: Path, *args: str) -> AsyncIterator[Daemon]:
    """Start `python -m collector --config config` on a free loopback port; wait until
    it answers; kill it on the way out if the test did not stop it."""
    port = free_port()
    log_path = tmp_path / f"daemon-{port}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CDN_EXPORTER_ACCOUNTS", None)
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "collector",
            "--config",
            str(config),
            "--web.listen-address",
            f"127.0.0.1:{port}",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            env=env,
            cwd=str(tmp_path),
        )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        running = Daemon(process, port, log_path, session)
        try:

            async def answers() -> bool:
                if process.returncode is not None:
                    raise AssertionError(f"daemon exited {process.returncode}:\n{running.log()}")
                return (await running.get("/-/healthy"))[0] == 200

            await wait_for(answers, "the daemon answers /-/healthy")
            yield running
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
