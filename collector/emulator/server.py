"""The emulator's HTTP server: one aiohttp app for every provider, in-process or standalone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import orjson
from aiohttp import web

from collector.clock import SystemClock
from collector.emulator import volcengine, wangsu
from collector.emulator.core import Emulator, demo_accounts
from collector.emulator.faults import burst_from_json, fault_from_json

log = logging.getLogger(__name__)

EMULATOR_KEY = web.AppKey("emulator", Emulator)
ADMIN_PREFIX = "/_emulator"
# In-flight handlers get this long to finish when the server stops; a `timeout` fault's
# handler is cancelled when its client gives up, so this only bounds odd cases.
SHUTDOWN_TIMEOUT = 1.0
# The standalone emulator stops cleanly (exit 0) on these, as the exporter does.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        log.debug(
            "emulator %s %s %s %.1fms host=%s",
            request.method,
            request.path_qs,
            status,
            (time.monotonic() - started) * 1000,
            request.host,
        )


def _json(payload: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


def _faults_json(emulator: Emulator) -> dict[str, object]:
    return {
        "pending": [
            {
                "endpoint": f.endpoint,
                "kind": f.kind.value,
                "remaining": f.remaining,
                "account": f.account,
            }
            for f in emulator.pending_faults
        ]
    }


async def _post_fault(request: web.Request) -> web.Response:
    """`POST /_emulator/faults {"endpoint", "kind", "count", "account"}`: no signature."""
    emulator = request.app[EMULATOR_KEY]
    try:
        endpoint, kind, count, account = fault_from_json(orjson.loads(await request.read()))
    except (orjson.JSONDecodeError, ValueError) as exc:
        return _json({"code": "InvalidFault", "message": str(exc)}, 400)
    emulator.inject(endpoint, kind, count, account)
    return _json(_faults_json(emulator))


async def _get_faults(request: web.Request) -> web.Response:
    return _json(_faults_json(request.app[EMULATOR_KEY]))


async def _delete_faults(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR_KEY]
    emulator.clear_faults()
    return _json(_faults_json(emulator))


def _bursts_json(emulator: Emulator) -> dict[str, object]:
    return {
        "bursts": [
            {"start": b.start, "end": b.end, "share": b.share}
            | {"account": b.account, "domain": b.domain}
            for b in emulator.error_bursts
        ]
    }


async def _post_burst(request: web.Request) -> web.Response:
    """`POST /_emulator/error-bursts {"seconds", "share", "account"?, "domain"?, "start"?}`."""
    emulator = request.app[EMULATOR_KEY]
    try:
        emulator.add_error_burst(**burst_from_json(orjson.loads(await request.read())))
    except (orjson.JSONDecodeError, ValueError) as exc:
        return _json({"code": "InvalidBurst", "message": str(exc)}, 400)
    return _json(_bursts_json(emulator))


async def _get_bursts(request: web.Request) -> web.Response:
    return _json(_bursts_json(request.app[EMULATOR_KEY]))


async def _delete_bursts(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR_KEY]
    emulator.clear_error_bursts()
    return _json(_bursts_json(emulator))


async def _get_calls(request: web.Request) -> web.Response:
    return _json(request.app[EMULATOR_KEY].calls_json())


def build_app(emulator: Emulator) -> web.Application:
    """The app for every provider: Wangsu/CDNetworks paths, Volcengine on `POST /`,
    unsigned admin routes under `/_emulator/`."""
    app = web.Application(middlewares=[_log_requests])
    app[EMULATOR_KEY] = emulator
    app.router.add_post(f"{ADMIN_PREFIX}/faults", _post_fault)
    app.router.add_get(f"{ADMIN_PREFIX}/faults", _get_faults)
    app.router.add_delete(f"{ADMIN_PREFIX}/faults", _delete_faults)
    app.router.add_get(f"{ADMIN_PREFIX}/calls", _get_calls)
    app.router.add_post(f"{ADMIN_PREFIX}/error-bursts", _post_burst)
    app.router.add_get(f"{ADMIN_PREFIX}/error-bursts", _get_bursts)
    app.router.add_delete(f"{ADMIN_PREFIX}/error-bursts", _delete_bursts)
    wangsu.register(app, emulator)
    volcengine.register(app, emulator)
    return app


@dataclass
class RunningEmulator:
    """An emulator serving on a loopback port; `async with` or `close()` stops it."""

    emulator: Emulator
    host: str
    port: int
    _runner: web.AppRunner

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningEmulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def start(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Serve `emulator` on host:port (0: any free port) in this event loop."""
    runner = web.AppRunner(
        build_app(emulator),
        access_log=None,  # _log_requests logs one line per request instead
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = int(runner.addresses[0][1])
    return RunningEmulator(emulator=emulator, host=host, port=bound_port, _runner=runner)


async def serve_forever(
    host: str = "127.0.0.1", port: int = 8080, emulator: Emulator | None = None
) -> None:
    """Run the standalone emulator (`cdn-exporter emulator --listen HOST:PORT`) until
    SIGINT, SIGTERM or cancelled, then stop cleanly; by default the demo accounts on the
    real clock."""
    emulator = emulator or Emulator(demo_accounts(), clock=SystemClock())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    # Before the server starts: a signal as soon as it listens is a clean stop too.
    for sig in STOP_SIGNALS:
        # Not in a thread other than the main one, nor on Windows: cancellation only.
        with contextlib.suppress(NotImplementedError, ValueError, RuntimeError):
            loop.add_signal_handler(sig, _on_stop_signal, sig, stop)
            handled.append(sig)
    try:
        running = await start(emulator, host, port)
        log.info(
            "emulator listening on %s for accounts %s",
            running.base_url,
            ", ".join(f"{a.name} ({a.provider})" for a in emulator.accounts),
        )
        try:
            await stop.wait()
        finally:
            await running.close()
            log.info("emulator stopped")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def _on_stop_signal(sig: signal.Signals, stop: asyncio.Event) -> None:
    if not stop.is_set():
        log.info("emulator received %s, shutting down", sig.name)
    stop.set()
