"""Fixtures: an emulator on a FakeClock served on loopback, and a signing client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest

from collector.clock import Clock, FakeClock
from collector.emulator import EmulatedAccount, Emulator, RunningEmulator, demo_accounts, start
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.signing import sign_aksk, sign_apikey
from collector.timeslices import format_request_time

# 2023-11-15 13:00:00 +08:00: an hour boundary, so windows line up in every test.
NOW = 1_700_024_400
CST = 8 * 3600


def iso(epoch: int, offset: int = CST) -> str:
    return format_request_time(epoch, offset)


@dataclass
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class ApiClient:
    """Signs and sends Wangsu/CDNetworks calls the way the exporter does."""

    session: aiohttp.ClientSession
    running: RunningEmulator
    clock: Clock
    account: EmulatedAccount

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.running.port}"

    async def call(
        self,
        endpoint: str,
        body: Mapping[str, Any] | bytes | None = None,
        *,
        scheme: str = "aksk",
        account: EmulatedAccount | None = None,
        secret: str | None = None,
        timestamp: float | None = None,
        headers: Mapping[str, str] | None = None,
        sent_body: bytes | None = None,
        timeout: float | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        """POST `body` to `endpoint`; `sent_body` replaces the bytes after signing."""
        account = account or self.account
        path = CATALOG[endpoint].path
        data = body if isinstance(body, bytes) else orjson.dumps(body or {})
        base = {
            "Host": self.host,
            "Content-Type": content_type,
            "Accept": "application/json",
        }
        when = self.clock.time() if timestamp is None else timestamp
        if scheme == "aksk":
            auth = sign_aksk(
                "POST",
                self.running.base_url + path,
                base,
                data,
                account.access_key,
                secret or account.secret_key,
                int(when),
            )
        else:
            auth = sign_apikey(account.username, secret or account.api_key, when)
        all_headers = {**base, **auth, **(headers or {})}
        client_timeout = aiohttp.ClientTimeout(total=timeout) if timeout else None
        async with self.session.post(
            self.running.base_url + path,
            data=data if sent_body is None else sent_body,
            headers=all_headers,
            timeout=client_timeout or aiohttp.ClientTimeout(total=10),
        ) as response:
            return Reply(response.status, await response.read(), dict(response.headers))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(demo_accounts(), clock=clock, fault_delay=0.5)


@pytest.fixture
async def running(emulator: Emulator) -> AsyncIterator[RunningEmulator]:
    async with await start(emulator) as server:
        yield server


@pytest.fixture
async def client(
    running: RunningEmulator, clock: FakeClock, emulator: Emulator
) -> AsyncIterator[ApiClient]:
    async with aiohttp.ClientSession() as session:
        yield ApiClient(session, running, clock, emulator.account("demo-wangsu"))
