"""The aiohttp transport's error paths, with aioresponses (happy paths use the emulator)."""

from __future__ import annotations

import unittest.mock
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from collector.client import AiohttpTransport, TransportError, TransportTimeout
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
