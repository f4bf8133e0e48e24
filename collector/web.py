"""The HTTP server: cached /metrics, health, readiness and the status page."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from itertools import chain

from aiohttp import hdrs, web

from collector import __version__, health, statuspage
from collector.app import Exporter
from collector.exposition import CONTENT_TYPE, RenderedMetrics
from collector.gzipjoin import Piece
from collector.logs import printable
from collector.negotiate import Coding, Format, negotiate_coding, negotiate_format
from collector.webconfig import LiveWebConfig

EXPORTER_KEY: web.AppKey[Exporter] = web.AppKey("exporter", Exporter)
LIFECYCLE_KEY: web.AppKey[bool] = web.AppKey("lifecycle", bool)


class _OpenMetricsCache:
    """The OpenMetrics form of the cached body, converted at the first scrape that asks
    for it after each render (a scraper sticks to one format)."""

    def __init__(self) -> None:
        self._last: tuple[RenderedMetrics, RenderedMetrics] | None = None  # (source, it)

    async def get(self, rendered: RenderedMetrics) -> RenderedMetrics:
        last = self._last
        if last is None or last[0] is not rendered:
            # Every body is assembled from chunks: only the family heads differ.
            join = rendered.openmetrics
            assert join is not None, "the daemon's bodies are assembled"
            last = self._last = (rendered, await asyncio.to_thread(join))
        return last[1]


OPENMETRICS_KEY: web.AppKey[_OpenMetricsCache] = web.AppKey("openmetrics", _OpenMetricsCache)


class _FreshSelfMetrics:
    """The self-metrics of a scrape, rendered (with their deflate piece) in a worker
    thread: with a hundred endpoints they take tens of milliseconds, too long for the
    event loop at every scrape. Scrapes that arrive while a render runs share it, so
    concurrent scrapers cost one render, and each scrape's part is at most one render
    old; with `max_age` (seconds of the event loop's clock) a finished render is reused
    that long (0: never), unless a poll or reload has ended since it started."""

    def __init__(self, exporter: Exporter, max_age: float = 0.0) -> None:
        self.exporter = exporter
        self.max_age = max_age
        self._running: dict[tuple[Format, int], asyncio.Task[tuple[bytes, Piece]]] = {}
        self._done: dict[Format, tuple[float, int, tuple[bytes, Piece]]] = {}

    def _render(self, fmt: Format) -> tuple[bytes, Piece]:
        metrics = self.exporter.metrics
        body = metrics.render_openmetrics() if fmt is Format.OPENMETRICS else metrics.render()
        return body, Piece.of(body)

    async def get(self, fmt: Format) -> tuple[bytes, Piece]:
        now = asyncio.get_running_loop().time()
        epoch = self.exporter.self_metrics_epoch
        done = self._done.get(fmt)
        if done is not None and now - done[0] < self.max_age and done[1] == epoch:
            return done[2]
        key = (fmt, epoch)  # a render started before a poll or reload ended is not joined
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(self._render, fmt))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        result = await asyncio.shield(task)
        if self.max_age:
            self._done[fmt] = (now, epoch, result)
        return result


FRESH_KEY: web.AppKey[_FreshSelfMetrics] = web.AppKey("fresh", _FreshSelfMetrics)


def _not_acceptable(vary: str) -> web.Response:
    return web.Response(
        status=406, text="Neither gzip nor identity is acceptable\n", headers={"Vary": vary}
    )


async def _answer(
    request: web.Request,
    rendered: RenderedMetrics,
    coding: Coding,
    content_type: str,
    vary: str,
    *extra: tuple[bytes, Piece],
) -> web.StreamResponse:
    """`rendered` then each `(text, its deflate piece)` of `extra`, in `coding`, streamed
    piece by piece: no copy of the whole body per scrape, and the event loop runs between
    pieces. A gzip body is one gzip stream (the cached pieces joined once per render, then
    the extra pieces and the trailer); an identity body is the text inflated piece by
    piece. Either way its length is known up front: the Content-Length is exact."""
    response = web.StreamResponse(headers={"Content-Type": content_type, "Vary": vary})
    pieces: Iterable[bytes]
    if coding is Coding.GZIP:
        response.headers["Content-Encoding"] = "gzip"
        gzipped = rendered.gzip_parts(*(piece for _, piece in extra))
        pieces, response.content_length = gzipped, sum(map(len, gzipped))
    else:
        texts = [text for text, _ in extra]
        pieces = chain(rendered.plain_parts(), texts)
        response.content_length = rendered.size + sum(map(len, texts))
    await response.prepare(request)
    if request.method != hdrs.METH_HEAD:  # a HEAD answer has the headers only
        for piece in pieces:
            await response.write(piece)
            await asyncio.sleep(0)  # a write yields only when the socket is full
    await response.write_eof()
    return response


async def metrics(request: web.Request) -> web.StreamResponse:
    """The cached CDN body, then the self-metrics rendered now: API calls, waits and
    durations are fresh even while a long poll runs. The format follows `Accept` (text
    0.0.4, or OpenMetrics 1.0.0 ending with `# EOF`), the coding `Accept-Encoding`. A gzip
    answer is one gzip stream: the cached pieces, then the fresh part's."""
    exporter = request.app[EXPORTER_KEY]
    coding = negotiate_coding(request.headers.get("Accept-Encoding"))
    if coding is None:
        return _not_acceptable("Accept, Accept-Encoding")
    fmt = negotiate_format(request.headers.get("Accept"))
    rendered = exporter.rendered
    if fmt is Format.OPENMETRICS:
        rendered = await request.app[OPENMETRICS_KEY].get(rendered)
    fresh = await request.app[FRESH_KEY].get(fmt)
    return await _answer(request, rendered, coding, fmt.value, "Accept, Accept-Encoding", fresh)


async def slices(request: web.Request) -> web.StreamResponse:
    """The timestamped slices of the endpoints with `slices: true`: text format 0.0.4
    only (OpenMetrics stamps samples in seconds, not milliseconds), gzip or identity, no
    self-metrics (two replicas' bodies must hold the same samples). 404 while no
    endpoint asks for slices, so a scrape job pointed here by mistake is down, not empty."""
    exporter = request.app[EXPORTER_KEY]
    if not exporter.exports_slices:
        return web.Response(
            status=404, text="No endpoint exports slices (set `slices: true` on one)\n"
        )
    coding = negotiate_coding(request.headers.get("Accept-Encoding"))
    if coding is None:
        return _not_acceptable("Accept-Encoding")
    return await _answer(request, exporter.rendered_slices, coding, CONTENT_TYPE, "Accept-Encoding")


async def healthy(request: web.Request) -> web.Response:
    if health.status(request.app[EXPORTER_KEY]).healthy:
        return web.Response(text="OK\n")
    return web.Response(status=503, text="The poll loop has stalled\n")


async def ready(request: web.Request) -> web.Response:
    """503 until every endpoint has succeeded once or the grace passed; the body says
    which endpoints are still waiting and why."""
    status = health.status(request.app[EXPORTER_KEY])
    waiting = status.waiting
    # A provider's error text is untrusted: escaped, it cannot split or forge a line.
    lines = [printable(f"{e.name}: {e.last_error or 'first poll not finished'}") for e in waiting]
    shard = f"{status.shard}\n" if status.sharded else ""
    if status.ready:
        extra = "".join(f"  still failing: {line}\n" for line in lines)
        return web.Response(text="Ready\n" + shard + extra)
    text = f"{shard}Waiting for a first successful poll of {len(waiting)} endpoint(s):\n"
    return web.Response(status=503, text=text + "".join(f"  {line}\n" for line in lines))


async def landing(request: web.Request) -> web.Response:
    """The status page (collector.statuspage)."""
    status = health.status(request.app[EXPORTER_KEY])
    return web.Response(text=statuspage.render(status, __version__), content_type="text/html")


async def reload(request: web.Request) -> web.Response:
    """`POST /-/reload` (or PUT): reload the configuration file, as SIGHUP does; only
    with --web.enable-lifecycle, as in Prometheus. 500 with every problem on failure."""
    if not request.app[LIFECYCLE_KEY]:
        return web.Response(
            status=403, text="Lifecycle API is not enabled (start with --web.enable-lifecycle)\n"
        )
    result = await request.app[EXPORTER_KEY].reload()
    if result.ok:
        summary = result.plan.summary() if result.plan is not None else ""
        return web.Response(text=f"configuration reloaded: {summary}\n")
    lines = "".join(f"  {printable(problem)}\n" for problem in result.problems)
    text = f"failed to reload the configuration; the running one stays:\n{lines}"
    return web.Response(status=500, text=text)


def build_web_app(
    exporter: Exporter,
    *,
    enable_lifecycle: bool = False,
    web_config: LiveWebConfig | None = None,
    self_metrics_max_age: float = 0.0,
) -> web.Application:
    """The routes; a `--web.config.file` adds its headers and basic auth to every one.
    `self_metrics_max_age`: how long (s) scrapes may share one self-metrics render."""
    app = web.Application(middlewares=[web_config.middleware] if web_config else ())
    if web_config is not None:
        live = web_config

        async def configured_headers(request: web.Request, response: web.StreamResponse) -> None:
            # A streamed answer sends its headers before the middleware sees it.
            response.headers.update(live.config.headers)

        app.on_response_prepare.append(configured_headers)
    app[EXPORTER_KEY] = exporter
    app[LIFECYCLE_KEY] = enable_lifecycle
    app[OPENMETRICS_KEY] = _OpenMetricsCache()
    app[FRESH_KEY] = _FreshSelfMetrics(exporter, self_metrics_max_age)
    app.router.add_post("/-/reload", reload)
    app.router.add_put("/-/reload", reload)
    app.router.add_get("/", landing)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/metrics/slices", slices)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", ready)
    return app
