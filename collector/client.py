"""The one I/O seam to provider APIs: send a signed request, get bytes back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp

from collector import __version__
from collector.http import HttpRequest, HttpResponse

USER_AGENT = f"cdn-exporter/{__version__}"
# A provider's answer is a few megabytes at the most; one far larger is not data to hold
# in memory (the body is read in chunks and abandoned past the cap).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
# Open connections per account (one pool each): room for its pollers' and discovery's
# calls in flight at once, few enough to stay polite to the provider.
MAX_CONNECTIONS = 8
# How long a provider's resolved address is reused: its API host moves rarely.
DNS_CACHE_SECONDS = 300


class TransportError(Exception):
    """The request never got an HTTP response (connection refused, reset, DNS...)."""


class TransportTimeout(TransportError):
    """No complete response within the timeout."""


class ResponseTooLarge(TransportError):
    """The body is over the transport's cap and was not read past it: a malformed answer
    (the same one would come back), not a network failure."""


class Transport(Protocol):
    """Sends one request; raises TransportError or TransportTimeout on failure."""

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    """One aiohttp session (connection pool) per account; bodies over
    `max_response_bytes` (after decompression) raise ResponseTooLarge."""

    def __init__(self, max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.max_response_bytes = max_response_bytes

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # auto_decompress stays on; the signature covers the request, not the response.
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": USER_AGENT},
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS, ttl_dns_cache=DNS_CACHE_SECONDS
                ),
            )
        return self._session

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        session = self._get_session()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body or None,
                headers=dict(request.headers),
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                body = await read_capped(response, self.max_response_bytes)
                headers = {k.lower(): v for k, v in response.headers.items()}
                return HttpResponse(status=response.status, headers=headers, body=body)
        except TimeoutError as exc:
            raise TransportTimeout(f"no response within {timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """The whole body if it is at most `cap` bytes; ResponseTooLarge as soon as it is
    known to be larger (a declared length, or the chunk that crosses it), so at most
    `cap` plus one chunk is ever held. The connection is then closed, not drained."""
    declared = response.content_length
    if declared is not None and declared > cap:
        raise ResponseTooLarge(f"the answer declares {declared} bytes, over the {cap}-byte cap")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > cap:
            raise ResponseTooLarge(f"the answer is over the {cap}-byte cap: not read further")
        chunks.append(chunk)
    return b"".join(chunks)


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class MockTransport:
    """A transport that hands every request to a function: for tests without a network."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[HttpRequest] = []

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        self.requests.append(request)
        try:
            return await asyncio.wait_for(self.handler(request), timeout)
        except TimeoutError as exc:
            raise TransportTimeout(f"no response within {timeout:g}s") from exc

    async def close(self) -> None:
        return None
