"""The one I/O seam to provider APIs: send a signed request, get bytes back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp

from collector import __version__
from collector.http import HttpRequest, HttpResponse

USER_AGENT = f"cdn-exporter/{__version__}"
# Open connections per account (one pool each): room for its pollers' and discovery's
# calls in flight at once, few enough to stay polite to the provider.
MAX_CONNECTIONS = 8
# How long a provider's resolved address is reused: its API host moves rarely.
DNS_CACHE_SECONDS = 300


class TransportError(Exception):
    """The request never got an HTTP response (connection refused, reset, DNS...)."""


class TransportTimeout(TransportError):
    """No complete response within the timeout."""


class Transport(Protocol):
    """Sends one request; raises TransportError or TransportTimeout on failure."""

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    """One aiohttp session (connection pool) per account."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

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
                body = await response.read()
                headers = {k.lower(): v for k, v in response.headers.items()}
                return HttpResponse(status=response.status, headers=headers, body=body)
        except TimeoutError as exc:
            raise TransportTimeout(f"no response within {timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


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
