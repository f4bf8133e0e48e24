"""Sliding-window rate limits and injected faults: each fires exactly as configured."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
import pytest

from collector.clock import FakeClock
from collector.emulator import CallKey, Emulator, FaultKind, RunningEmulator, start
from collector.model import RateLimit

from .conftest import NOW, ApiClient, iso

BODY: dict[str, Any] = {
    "dateFrom": iso(NOW - 3600),
    "dateTo": iso(NOW),
    "domain": ["www.example.com"],
    "groupBy": ["domain"],
}
KEY = CallKey("wangsu", "demo-wangsu", "flow_request")


async def test_the_catalog_limit_throttles_the_extra_call(
    client: ApiClient, emulator: Emulator, clock: FakeClock
) -> None:
    # hit_rate_isp_province allows 30 calls per 300 s.
    for _ in range(30):
        assert (await client.call("hit_rate_isp_province", BODY)).status == 200
        clock.advance(1)
    reply = await client.call("hit_rate_isp_province", BODY)
    assert reply.status == 429
    assert reply.json["code"] == "RequestLimitExceeded"
    counts = emulator.calls[CallKey("wangsu", "demo-wangsu", "hit_rate_isp_province")]
    assert (counts.total, counts.ok, counts.throttled) == (31, 30, 1)
    # Other endpoints have their own windows.
    assert (await client.call("isp_province", BODY)).status == 200
    # The first call leaves the window 300 s after it was made (at NOW).
    clock.set(NOW + 300)
    assert (await client.call("hit_rate_isp_province", BODY)).status == 200


async def test_the_window_slides(clock: FakeClock) -> None:
    emulator = Emulator(clock=clock, rate_limits={"flow_request": RateLimit(3, 60)})
    async with await start(emulator) as running, aiohttp.ClientSession() as session:
        client = ApiClient(session, running, clock, emulator.account("demo-wangsu"))
        statuses = []
        for step in (0, 10, 20, 30, 59, 60, 61, 70, 71):
            clock.set(NOW + step)
            statuses.append((await client.call("flow_request", BODY)).status)
    # Admitted at 0, 10, 20; 30 and 59 are over; 60 and 70 replace 0 and 10; 61 and 71 not.
    assert statuses == [200, 200, 200, 429, 429, 200, 429, 200, 429]
    assert emulator.calls[KEY].throttled == 4
    assert emulator.totals().ok == 5


async def test_accounts_have_separate_windows(clock: FakeClock) -> None:
    emulator = Emulator(clock=clock, rate_limits={"flow_request": RateLimit(1, 60)})
    async with await start(emulator) as running, aiohttp.ClientSession() as session:
        client = ApiClient(session, running, clock, emulator.account("demo-wangsu"))
        assert (await client.call("flow_request", BODY)).status == 200
        other = emulator.account("demo-cdnetworks")
        body = {**BODY, "domain": ["dl.example.net"]}
        assert (await client.call("flow_request", body, account=other)).status == 200
        # The apikey scheme of the same user shares the user's window.
        assert (await client.call("flow_request", BODY, scheme="apikey")).status == 429


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (FaultKind.SERVER_ERROR, 500),
        (FaultKind.THROTTLE, 429),
        (FaultKind.ERROR_CODE, 200),
        (FaultKind.MALFORMED, 200),
        (FaultKind.NOT_FINITE, 200),
        (FaultKind.TOO_LARGE, 200),
        (FaultKind.DEEP_XML, 200),
    ],
)
async def test_faults_fire_exactly_count_times(
    client: ApiClient, emulator: Emulator, kind: FaultKind, status: int
) -> None:
    emulator.oversize_bytes = 100_000  # not the 64 MiB default here
    emulator.inject("flow_request", kind, count=2)
    replies = [await client.call("flow_request", BODY) for _ in range(3)]
    assert [r.status for r in replies] == [status, status, 200]
    good = replies[2].json
    assert "result" in good
    if kind is FaultKind.ERROR_CODE:
        assert replies[0].json == {"code": "24102500", "message": "System error"}
    if kind is FaultKind.MALFORMED:
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(replies[0].body)
    if kind is FaultKind.NOT_FINITE:
        # The same answer, every series value "NaN"; the domain and timestamps stay.
        hostile = orjson.loads(replies[0].body)
        [entry] = hostile["result"]
        assert entry["domain"] == "www.example.com"
        items = entry["flowRequestData"]
        assert len(items) == len(good["result"][0]["flowRequestData"]) > 0
        assert {item["flow"] for item in items} == {"NaN"}
        assert all(item["timestamp"][:2] == "20" for item in items), items[0]
    if kind is FaultKind.TOO_LARGE:
        assert len(replies[0].body) == emulator.oversize_bytes
        assert orjson.loads(replies[0].body) == good  # still valid JSON, just huge
    if kind is FaultKind.DEEP_XML:
        assert replies[0].body.startswith(b"<a><a><a>")
    counts = emulator.calls[KEY]
    assert (counts.faults, counts.ok, counts.throttled) == (2, 1, 0)
    assert emulator.pending_faults == []


async def test_faults_match_endpoint_and_account(client: ApiClient, emulator: Emulator) -> None:
    emulator.inject("isp_province", "server_error", account="demo-wangsu")
    emulator.inject(None, "server_error", account="demo-cdnetworks")
    assert (await client.call("flow_request", BODY)).status == 200
    cdn = emulator.account("demo-cdnetworks")
    body = {**BODY, "domain": ["dl.example.net"]}
    assert (await client.call("flow_request", body, account=cdn)).status == 500
    assert (await client.call("flow_request", body, account=cdn)).status == 200
    assert (await client.call("isp_province", BODY)).status == 500
    assert emulator.pending_faults == []


async def test_timeout_holds_the_answer_back(client: ApiClient, emulator: Emulator) -> None:
    emulator.inject("flow_request", FaultKind.TIMEOUT)
    with pytest.raises(asyncio.TimeoutError):
        await client.call("flow_request", BODY, timeout=0.1)
    assert (await client.call("flow_request", BODY, timeout=5)).status == 200
    assert emulator.calls[KEY].faults == 1


async def test_a_reset_fault_drops_the_connection(client: ApiClient, emulator: Emulator) -> None:
    emulator.inject("flow_request", FaultKind.RESET)
    with pytest.raises(aiohttp.ClientError):
        await client.call("flow_request", BODY)
    assert (await client.call("flow_request", BODY)).status == 200
    assert emulator.calls[KEY].faults == 1


async def test_fault_rates_fail_that_share_of_calls(
    client: ApiClient, emulator: Emulator, clock: FakeClock
) -> None:
    emulator.set_fault_rates({"server_error": 0.3, FaultKind.MALFORMED: 0.1}, seed=1)
    statuses = []
    for _ in range(200):
        statuses.append((await client.call("flow_request", BODY)).status)
        clock.advance(1)  # stay under 300 calls per 5 minutes
    counts = emulator.calls[KEY]
    assert 0.3 < counts.faults / counts.total < 0.5
    assert 40 < statuses.count(500) < 80
    emulator.set_fault_rates({})
    assert (await client.call("flow_request", BODY)).status == 200
    with pytest.raises(ValueError, match="sum to at most 1"):
        emulator.set_fault_rates({"server_error": 0.7, "timeout": 0.5})


async def test_faulted_calls_use_rate_limit_budget(clock: FakeClock) -> None:
    emulator = Emulator(clock=clock, rate_limits={"flow_request": RateLimit(2, 60)})
    emulator.inject("flow_request", "server_error")
    async with await start(emulator) as running, aiohttp.ClientSession() as session:
        client = ApiClient(session, running, clock, emulator.account("demo-wangsu"))
        statuses = [(await client.call("flow_request", BODY)).status for _ in range(3)]
    assert statuses == [500, 200, 429]


async def test_admin_routes(running: RunningEmulator, client: ApiClient) -> None:
    base = running.base_url + "/_emulator"
    async with aiohttp.ClientSession() as session:
        fault = {"endpoint": "flow_request", "kind": "error_code", "count": 1}
        async with session.post(base + "/faults", json=fault) as response:
            assert response.status == 200
            assert (await response.json())["pending"][0]["kind"] == "error_code"
        async with session.post(base + "/faults", json={"kind": "nonsense"}) as response:
            assert response.status == 400
        assert (await client.call("flow_request", BODY)).json["code"] == "24102500"
        assert (await client.call("flow_request", BODY)).status == 200
        async with session.get(base + "/calls") as response:
            calls = await response.json()
        assert calls["totals"]["total"] == 2
        assert calls["calls"] == [
            {
                "provider": "wangsu",
                "account": "demo-wangsu",
                "endpoint": "flow_request",
                "total": 2,
                "ok": 1,
                "throttled": 0,
                "auth_failures": 0,
                "bad_requests": 0,
                "faults": 1,
            }
        ]
        async with session.delete(base + "/faults") as response:
            assert (await response.json())["pending"] == []
