"""The web server's connection hygiene: timeouts, a connection cap, quiet bad requests."""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)

# Descriptors kept free of the connection cap: provider sessions, the state file, logs.
RESERVED_DESCRIPTORS = 64
# Repeated refusals and accept failures are logged at most once in this many seconds.
LOG_EVERY = 10.0
# Pending connections the kernel queues; and how long to wait after a failed accept.
BACKLOG = 128
ACCEPT_RETRY = 1.0


IDLE_TIMEOUT = 30.0
MAX_CONNECTIONS = 512


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """`idle_timeout`: seconds a connection may sit without a complete request (before
    its first, between keep-alive requests, and while its headers trickle in: aiohttp's
    keep-alive timer covers all three) or in its TLS handshake. `max_connections`: open
    connections at most; a new one above it is closed at once."""

    idle_timeout: float = IDLE_TIMEOUT
    max_connections: int = MAX_CONNECTIONS


DEFAULT_LIMITS = ConnectionLimits()


def connection_cap(configured: int) -> int:
    """`configured`, but at most half of what the descriptor limit leaves after
    `RESERVED_DESCRIPTORS`: a cap near the limit would let idle clients exhaust the
    descriptors every other socket (provider calls, the state file) needs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(1, min(configured, (soft - RESERVED_DESCRIPTORS) // 2))


class BurstLog:
    """Logs the first of a burst of like events at once and the rest as one line with a
    count, at most once every `every` seconds: a flood writes a line, not a megabyte."""

    def __init__(self, what: str, every: float = LOG_EVERY) -> None:
        self.what = what
        self.every = every
        self._count = 0
        self._flush: asyncio.TimerHandle | None = None

    def add(self, detail: str) -> None:
        if self._flush is None:
            log.warning("%s: %s", self.what, detail)
            self._flush = asyncio.get_running_loop().call_later(self.every, self._report)
        else:
            self._count += 1

    def _report(self) -> None:
        self._flush = None
        if self._count:
            log.warning("%s: %d more time(s) in the last %gs", self.what, self._count, self.every)
            self._count = 0

    def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None


class CappedSite(web.BaseSite):
    """A TCP site with its own accept loop: a connection above the cap is closed as soon
    as it is accepted (asyncio's loop accepts a backlog's worth before any is looked
    at), a failed accept (descriptors exhausted) is logged once per burst and retried a
    second later, and TLS handshakes time out after `limits.idle_timeout`."""

    __slots__ = ("_accepting", "_cap", "_failures", "_host", "_limits", "_port", "_refusals")

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        limits: ConnectionLimits,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._host = host
        self._port = port
        self._limits = limits
        self._cap = connection_cap(limits.max_connections)
        self._refusals = BurstLog(f"open connections at the limit of {self._cap}; closing new ones")
        self._failures = BurstLog("accepting a connection failed (descriptors exhausted?)")
        self._accepting: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        listening = []
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                listening.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(BACKLOG)
                sock.setblocking(False)
        except OSError:
            for sock in listening:
                sock.close()
            raise
        for sock in listening:
            task = asyncio.create_task(self._accept(sock))
            self._accepting.add(task)

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None  # the runner is set up before its sites start
        pending: set[asyncio.Task[Any]] = set()
        handshake = self._limits.idle_timeout if self._ssl_context else None
        try:
            while True:
                try:
                    conn, _ = await loop.sock_accept(sock)
                except OSError as exc:  # EMFILE, ENFILE, ENOBUFS: wait for some to close
                    self._failures.add(str(exc))
                    await asyncio.sleep(ACCEPT_RETRY)
                    continue
                if len(server.connections) + len(pending) >= self._cap:
                    conn.close()
                    self._refusals.add("a client opened one more")
                    continue
                task = asyncio.create_task(
                    _connect(loop, server, conn, self._ssl_context, handshake)
                )
                pending.add(task)
                task.add_done_callback(pending.discard)
        finally:
            sock.close()
            for task in pending:
                task.cancel()

    async def stop(self) -> None:
        for task in self._accepting:
            task.cancel()
        await asyncio.gather(*self._accepting, return_exceptions=True)
        self._accepting.clear()
        self._refusals.close()
        self._failures.close()
        await super().stop()


async def _connect(
    loop: asyncio.AbstractEventLoop,
    server: Any,
    conn: socket.socket,
    ssl_context: ssl.SSLContext | None,
    handshake: float | None,
) -> None:
    """Hand an accepted socket to aiohttp (after its TLS handshake)."""
    try:
        await loop.connect_accepted_socket(
            server, conn, ssl=ssl_context, ssl_handshake_timeout=handshake
        )
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        # A client that fails its handshake or hangs up: its problem, at debug.
        log.debug("connection not established: %s", exc)
        conn.close()


def runner_options(limits: ConnectionLimits) -> dict[str, Any]:
    """The `web.AppRunner` keyword arguments for `limits` (no access log: as before)."""
    return {
        "access_log": None,
        "shutdown_timeout": 1.0,  # a scrape in progress gets a second, not a minute
        "keepalive_timeout": limits.idle_timeout,
    }


class _QuietBadRequests(logging.Filter):
    """aiohttp logs every request it cannot parse as an ERROR with a traceback: a port
    scanner's junk is not the exporter's error. Such records go to debug, one line, and
    are dropped unless debug is on (a filter runs after the level check)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.msg = f"{record.getMessage()}: bad request: {error.message}"
        record.args = None
        record.exc_info = record.exc_text = None
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_bad_requests() -> None:
    """Send aiohttp's errors for requests it cannot parse to debug, without a traceback."""
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _QuietBadRequests) for f in server_log.filters):
        server_log.addFilter(_QuietBadRequests())
