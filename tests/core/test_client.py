"""The aiohttp transport's error paths, with aioresponses (happy paths use the emulator),
and its cap on an answer's size, against a loopback server."""

from __future__ import annotations

import tracemalloc
import unittest.mock
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses

from collector.app import Exporter
from collector.client import (
    MAX_RESPONSE_BYTES,
    READ_CHUNK_BYTES,
    AiohttpTransport,
    ResponseTooLarge,
    TransportError,
    TransportTimeout,
)
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.http import HttpRequest

URL = "https://open.chinanetcenter.com/api/report/flow-request"
REQUEST = HttpRequest("POST", URL, {"Content-Type": "application/json"}, b"{}")


class CompatClientResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 does not pass `stream_writer`, which aiohttp 3.14 requires
    (pnuckowski/aioresponses#289); default it to a stub."""

    def __init__(self, *args: Any, stream_writer: Any = None, **kwargs: Any) -> None:
        if stream_writer is None:
            stream_writer = unittest.mock.Mock(output_size=0)
        super().__init__(*args, stream_writer=stream_writer, **kwargs)


async def test_status_headers_and_body_come_back_unchanged() -> None:
    transport = AiohttpTransport()
    try:
        with aioresponses() as mocked:
            mocked.post(
                URL,
                status=429,
                body=b'{"code":"RequestLimitExceeded"}',
                headers={"Retry-After": "7"},
                response_class=CompatClientResponse,
            )
            response = await transport.send(REQUEST, timeout=5)
    finally:
        await transport.close()
    assert response.status == 429
    assert response.headers["retry-after"] == "7"  # names lower-cased for providers
    assert response.body == b'{"code":"RequestLimitExceeded"}'


async def test_connection_errors_become_transport_errors() -> None:
    transport = AiohttpTransport()
    try:
        with aioresponses() as mocked:
            mocked.post(URL, exception=aiohttp.ClientConnectionError("connection refused"))
            with pytest.raises(TransportError, match="connection refused"):
                await transport.send(REQUEST, timeout=5)
    finally:
        await transport.close()


async def test_timeouts_become_transport_timeouts() -> None:
    transport = AiohttpTransport()
    try:
        with aioresponses() as mocked:
            mocked.post(URL, exception=TimeoutError())
            with pytest.raises(TransportTimeout):
                await transport.send(REQUEST, timeout=5)
    finally:
        await transport.close()


# -- the cap on an answer's size -----------------------------------------------------------

CAP = 256 * 1024
PIECE = b"x" * (64 * 1024)
STREAMED = 16 * 1024 * 1024  # 64 times the cap


async def streamed(request: web.Request) -> web.StreamResponse:
    """A body of unknown length (chunked), far over the cap, written piece by piece."""
    response = web.StreamResponse()
    await response.prepare(request)
    try:
        for _ in range(STREAMED // len(PIECE)):
            await response.write(PIECE)
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        pass  # the client stopped reading at its cap and closed the connection
    return response


async def declared(request: web.Request) -> web.Response:
    return web.Response(body=b"y" * (CAP + 1))


async def at_the_cap(request: web.Request) -> web.Response:
    return web.Response(body=b"z" * CAP)


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_post("/streamed", streamed)
    app.router.add_post("/declared", declared)
    app.router.add_post("/at-the-cap", at_the_cap)
    async with TestServer(app, host="127.0.0.1") as running:
        yield running


def request_to(server: TestServer, path: str) -> HttpRequest:
    return HttpRequest("POST", str(server.make_url(path)), {}, b"{}")


async def test_a_body_over_the_cap_is_abandoned_with_bounded_memory(server: TestServer) -> None:
    transport = AiohttpTransport(max_response_bytes=CAP)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge, match=f"over the {CAP}-byte cap"):
            await transport.send(request_to(server, "/streamed"), timeout=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await transport.close()
    # Never the 16 MiB answer: the cap, a chunk, and aiohttp's own buffers.
    assert peak < CAP + READ_CHUNK_BYTES + 2 * 1024 * 1024, peak


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    server: TestServer,
) -> None:
    transport = AiohttpTransport(max_response_bytes=CAP)
    try:
        with pytest.raises(ResponseTooLarge, match=f"declares {CAP + 1} bytes"):
            await transport.send(request_to(server, "/declared"), timeout=30)
        answer = await transport.send(request_to(server, "/at-the-cap"), timeout=30)
    finally:
        await transport.close()
    assert answer.body == b"z" * CAP  # the cap itself is allowed, and the session goes on


def test_too_large_is_a_transport_error_of_its_own() -> None:
    # Callers that know only TransportError still count a failed call; the poller is
    # to count it as a malformed answer.
    assert issubclass(ResponseTooLarge, TransportError)
    assert not issubclass(ResponseTooLarge, TransportTimeout)


def test_the_daemon_reads_answers_up_to_the_configured_cap() -> None:
    """`max_response_bytes` reaches the transport every account's calls go through."""
    account = {
        "name": "main",
        "provider": "wangsu",
        "auth": {"access_key": "AK", "secret_key": "SK"},
        "domains": ["a.example.com"],
    }
    config = validate({"accounts": [account], "max_response_bytes": 2 * 1024 * 1024})
    transport = Exporter(config, FakeClock()).transport_factory()
    assert isinstance(transport, AiohttpTransport)
    assert transport.max_response_bytes == 2 * 1024 * 1024
    default = validate({"accounts": [account]})
    assert default.max_response_bytes == MAX_RESPONSE_BYTES
