"""The emulator's domain lists: signature checks, request checks from the SDK models,
paging, and domains that come and go over the day (DomainSpan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest

from collector.client import AiohttpTransport
from collector.clock import FakeClock
from collector.config.runtime import Account
from collector.emulator import DomainSpan, EmulatedAccount, Emulator, RunningEmulator, start
from collector.http import HttpRequest, HttpResponse
from collector.providers import get_lister
from collector.providers.volcengine.provider import VOLCENGINE
from collector.providers.wangsu.config import WangsuAccount
from collector.providers.wangsu.provider import WANGSU as WANGSU_PROVIDER
from tests.accounts import load_account

DAY = 86400
HOUR = 3600
MIDNIGHT = 1_700_000_000 - (1_700_000_000 + 8 * HOUR) % DAY  # 00:00 +08:00

WANGSU = EmulatedAccount(
    provider="wangsu",
    name="lists-wangsu",
    access_key="LISTS_AK",
    secret_key="LISTS_SK_0123456789",
    username="lists-wangsu",
    api_key="LISTS_APIKEY",
    domains=("a.example.com", "b.example.com", "c.example.com"),
    churn=(DomainSpan("b.example.com", 6 * HOUR, 18 * HOUR),),
)
LIVE = EmulatedAccount(
    provider="volcengine",
    name="lists-live",
    access_key="AKLTLISTS0000",
    secret_key="LISTS_LIVE_SK_0123456789",
    username="",
    api_key="",
    domains=("play.example.com", "push.example.com", "night.example.com"),
    churn=(DomainSpan("night.example.com", 20 * HOUR, 4 * HOUR),),
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MIDNIGHT + 12 * HOUR)


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    async with await start(Emulator((WANGSU, LIVE), clock=clock)) as running:
        yield running


def account(emulated: EmulatedAccount, base_url: str, **auth: str) -> Account:
    keys = {"access_key": emulated.access_key, "secret_key": emulated.secret_key, **auth}
    return load_account(
        {
            "name": emulated.name,
            "provider": emulated.provider,
            "auth": keys,
            "base_url": base_url,
            "domains": "auto",
        }
    )


async def send(request: HttpRequest) -> HttpResponse:
    transport = AiohttpTransport()
    try:
        return await transport.send(request, 10.0)
    finally:
        await transport.close()


async def listing(
    server: RunningEmulator, emulated: EmulatedAccount, now: float, body: Any = None, **auth: str
) -> tuple[int, Any]:
    acct = account(emulated, server.base_url, **auth)
    request = get_lister(emulated.provider).build_listing_request(acct, 1, now)
    if body is not None:
        # Another body, signed the same way (the providers' own signers).
        raw = orjson.dumps(body)
        if isinstance(acct, WangsuAccount):
            request = WANGSU_PROVIDER._signed(acct, "POST", request.url, raw, 0, now)
        else:
            request = VOLCENGINE._signed(acct, "POST", request.url, raw, now)
    response = await send(request)
    return response.status, orjson.loads(response.body)


def test_spans_wrap_past_midnight() -> None:
    span = DomainSpan("x.example.com", 20 * HOUR, 4 * HOUR)
    assert span.listed(MIDNIGHT + 21 * HOUR)
    assert span.listed(MIDNIGHT + DAY + 3 * HOUR)
    assert not span.listed(MIDNIGHT + 12 * HOUR)
    day = DomainSpan("y.example.com", 6 * HOUR, 18 * HOUR)
    assert day.listed(MIDNIGHT + 6 * HOUR)
    assert not day.listed(MIDNIGHT + 18 * HOUR)


def test_churn_domains_must_be_account_domains() -> None:
    with pytest.raises(ValueError, match="churn domains"):
        replace(WANGSU, churn=(DomainSpan("z.example.com", 0, 1),))


async def test_wangsu_lists_disabled_domains_outside_their_span(
    server: RunningEmulator, clock: FakeClock
) -> None:
    status, noon = await listing(server, WANGSU, clock.time())
    assert status == 200
    assert [(r["domainName"], r["enabled"]) for r in noon["resultList"]] == [
        ("a.example.com", "true"),
        ("b.example.com", "true"),
        ("c.example.com", "true"),
    ]
    clock.set(MIDNIGHT + 20 * HOUR)
    status, night = await listing(server, WANGSU, clock.time())
    assert [(r["domainName"], r["status"]) for r in night["resultList"]][1] == (
        "b.example.com",
        "disabled",
    )
    assert night["totalCount"] == 3


async def test_volcengine_leaves_deleted_domains_out(
    server: RunningEmulator, clock: FakeClock
) -> None:
    status, noon = await listing(server, LIVE, clock.time())
    assert status == 200
    result = noon["Result"]
    assert [d["Domain"] for d in result["DomainList"]] == ["play.example.com", "push.example.com"]
    assert [d["Type"] for d in result["DomainList"]] == ["pull", "push"]
    assert result["Total"] == 2
    clock.set(MIDNIGHT + 22 * HOUR)
    _, night = await listing(server, LIVE, clock.time())
    assert night["Result"]["Total"] == 3


@pytest.mark.parametrize(
    "body",
    [{"pageNumber": 1}, {"pageNumber": 0, "pageSize": 10}, {"status": "gone"}, {"page": 1}],
)
async def test_wangsu_refuses_what_the_sdk_model_forbids(
    server: RunningEmulator, clock: FakeClock, body: dict[str, Any]
) -> None:
    status, answer = await listing(server, WANGSU, clock.time(), body)
    assert status == 400, answer


@pytest.mark.parametrize(
    "body", [{"PageSize": 0}, {"PageNum": "1"}, {"DomainStatusList": ["0"]}, {"Page": 1}]
)
async def test_volcengine_refuses_what_the_sdk_model_forbids(
    server: RunningEmulator, clock: FakeClock, body: dict[str, Any]
) -> None:
    status, answer = await listing(server, LIVE, clock.time(), body)
    assert status == 400, answer
    assert answer["ResponseMetadata"]["Error"]["Code"] == "InvalidParameter"


async def test_wrong_secrets_are_rejected(server: RunningEmulator, clock: FakeClock) -> None:
    status, _ = await listing(server, WANGSU, clock.time(), secret_key="WRONG_SK_0123456789")
    assert status == 401
    status, answer = await listing(server, LIVE, clock.time(), secret_key="WRONG_SK_0123456789")
    assert answer["ResponseMetadata"]["Error"]["Code"] == "SignatureDoesNotMatch"
    counts = server.emulator.totals()
    assert counts.auth_failures == 2
