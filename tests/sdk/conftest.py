"""Fixtures: the emulator on a fixed clock over loopback HTTP, and the official SDKs aimed
at it without leaving loopback.

Clock. The emulator runs on a `FakeClock` fixed at NOW (13:00 +08:00), so its data and
every answer are deterministic. Both SDKs stamp their signatures with the real time
(Wangsu: `int(time.time())` in `wangsu.common.auth.AkSkAuth`, checked within 300 s;
Volcengine: `SignerV4.get_current_format_date()`, checked within 900 s). The fixtures
replace only those clock readings with the emulator's clock (`sdk_clock`); the signing
algorithms run unchanged. One test per SDK leaves the SDK clock alone and sets the
emulator clock to the real time instead (`real_time`), so the unpatched path is covered
too; a signature is then 300 s away from going stale, which no load makes a race.

Network. Both SDKs use `requests`, which honours proxy variables and the Volcengine SDK
reads credentials from `VOLC_ACCESSKEY`/`VOLC_SECRETKEY` and `~/.volc/`: every test here
runs with those variables removed, `NO_PROXY` covering loopback and `HOME` in a
temporary directory. The SDKs are synchronous; each call runs in a worker thread
(`asyncio.to_thread`) while the emulator serves in the test's event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from collector.clock import FakeClock
from collector.emulator import EmulatedAccount, Emulator, RunningEmulator, demo_accounts, start

# 2023-11-15 13:00:00 +08:00: an hour boundary, as in the emulator's own tests.
NOW = 1_700_024_400
CST = 8 * 3600
# Real seconds an SDK call may take before the test gives up (never hit when healthy).
SDK_TIMEOUT = 30.0

_PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "VOLC_ACCESSKEY",
    "VOLC_SECRETKEY",
)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxy, no ambient credentials: the SDKs can only reach the emulator."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    # Fields documented as "not returned by default" are served (an account that has
    # them enabled): the SDK's validate() still requires them (hitFlow), although its
    # doc says they are not returned by default. Their absence is tested on the parser.
    return Emulator(demo_accounts(), clock=clock, on_request_fields=True)


@pytest.fixture
async def running(emulator: Emulator) -> AsyncIterator[RunningEmulator]:
    async with await start(emulator) as server:
        assert server.host == "127.0.0.1"
        yield server


# -- Wangsu/CDNetworks: AkSkAuth.invoke -----------------------------------------------


@dataclass
class WangsuReply:
    """What `AkSkAuth.invoke` returned, and the HTTP status its transport saw."""

    status: int
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class WangsuSdk:
    """Calls through `AkSkAuth.invoke`, the SDK's documented entry point (README).

    Two things differ from production use, both outside the signer: the URL scheme
    (`Constant.HTTPS_REQUEST_PREFIX`, which the SDK hard-codes to `https://` and offers
    no setting for, is `http://` here, the counterpart of Volcengine's `set_scheme`),
    and the transport's `requests.post` is wrapped to record the HTTP status, which
    `invoke` swallows (it returns the body text for 4xx/5xx too). Host and Content-Type
    are signed as the SDK signs them: `host` is `end_point`, i.e. 127.0.0.1:PORT.
    """

    running: RunningEmulator
    statuses: list[int] = field(default_factory=list)

    async def call(
        self,
        path: str,
        json_body: str,
        account: EmulatedAccount,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        method: str = "POST",
    ) -> WangsuReply:
        from wangsu.common.auth.AkSkAuth import AkSkAuth
        from wangsu.common.auth.AkSkConfig import AkSkConfig

        config = AkSkConfig()
        config.access_key = access_key or account.access_key
        config.secret_key = secret_key or account.secret_key
        config.end_point = f"127.0.0.1:{self.running.port}"
        config.uri = path  # may carry a query string: the SDK signs it for GET only
        config.method = method
        before = len(self.statuses)
        text = await asyncio.to_thread(AkSkAuth.invoke, config, json_body)
        assert len(self.statuses) == before + 1, "the SDK made no (or several) HTTP calls"
        assert isinstance(text, str)
        return WangsuReply(self.statuses[-1], text)


def _frozen_time(clock: FakeClock) -> SimpleNamespace:
    """Stands in for the `time` module inside AkSkAuth: only `time()` is used there."""
    return SimpleNamespace(time=clock.time)


@pytest.fixture
def sdk_clock() -> bool:
    """True: the SDKs read the emulator's clock; a test overrides this to use real time."""
    return True


@pytest.fixture
def wangsu(
    monkeypatch: pytest.MonkeyPatch, running: RunningEmulator, clock: FakeClock, sdk_clock: bool
) -> WangsuSdk:
    from wangsu.common.Constant.Constant import Constant

    auth_module = importlib.import_module("wangsu.common.auth.AkSkAuth")
    http_module = importlib.import_module("wangsu.common.util.HttpUtils")
    sdk = WangsuSdk(running)

    real_post = requests.post

    def recording_post(url: str, **kwargs: Any) -> requests.Response:
        assert url.startswith(running.base_url + "/"), f"the SDK left loopback: {url}"
        kwargs.setdefault("timeout", SDK_TIMEOUT)  # the SDK sets none; a hang should fail
        response = real_post(url, **kwargs)
        sdk.statuses.append(response.status_code)
        return response

    monkeypatch.setattr(Constant, "HTTPS_REQUEST_PREFIX", "http://")

    def recording_get(url: str, **kwargs: Any) -> requests.Response:
        assert url.startswith(running.base_url + "/"), f"the SDK left loopback: {url}"
        kwargs.setdefault("timeout", SDK_TIMEOUT)
        response = requests.get(url, **kwargs)
        sdk.statuses.append(response.status_code)
        return response

    monkeypatch.setattr(
        http_module, "requests", SimpleNamespace(post=recording_post, get=recording_get)
    )
    if sdk_clock:
        monkeypatch.setattr(auth_module, "time", _frozen_time(clock))
    return sdk


# -- Volcengine: LiveService ----------------------------------------------------------


@dataclass
class Volcengine:
    """A `LiveService` aimed at the emulator with `set_scheme('http')` and `set_host`."""

    service: Any  # volcengine.live.v20230101.live_service.LiveService

    async def call(self, method: str, body: dict[str, Any]) -> Any:
        return await asyncio.to_thread(getattr(self.service, method), body)


def _x_date(clock: FakeClock) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock.time()))


@pytest.fixture
def volcengine(
    monkeypatch: pytest.MonkeyPatch, running: RunningEmulator, clock: FakeClock, sdk_clock: bool
) -> Iterator[Volcengine]:
    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.live.v20230101.live_service import LiveService

    account = next(a for a in demo_accounts() if a.provider == "volcengine")
    service = LiveService()
    # The SDK shares one ServiceInfo per region across every LiveService (reference §6):
    # restore what the tests change so nothing leaks into other tests.
    info = service.service_info
    saved = (info.host, info.scheme, info.credentials.ak, info.credentials.sk)
    service.set_scheme("http")
    service.set_host(f"127.0.0.1:{running.port}")
    service.set_ak(account.access_key)
    service.set_sk(account.secret_key)
    if sdk_clock:
        monkeypatch.setattr(
            SignerV4, "get_current_format_date", staticmethod(lambda: _x_date(clock))
        )
    try:
        yield Volcengine(service)
    finally:
        info.host, info.scheme, info.credentials.ak, info.credentials.sk = saved
        service.session.close()
