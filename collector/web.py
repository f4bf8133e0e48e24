"""The HTTP server: cached /metrics, health, readiness and a landing page."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Iterable
from itertools import chain

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

from collector import __version__
from collector.app import Exporter
from collector.exposition import CONTENT_TYPE, RenderedMetrics, openmetrics_from_text
from collector.gzipjoin import Piece
from collector.negotiate import Coding, Format, negotiate_coding, negotiate_format
from collector.planner import Plan
from collector.poller import EndpointPoller
from collector.webconfig import LiveWebConfig

EXPORTER_KEY: web.AppKey[Exporter] = web.AppKey("exporter", Exporter)
LIFECYCLE_KEY: web.AppKey[bool] = web.AppKey("lifecycle", bool)

_LANDING = """<!doctype html>
<html><head><meta charset="utf-8"><title>cdn-exporter</title></head>
<body><h1>cdn-exporter {version}</h1>
<p>Prometheus metrics from CDN reporting APIs (Wangsu/CDNetworks, Volcengine Live).</p>
<ul><li><a href="metrics">/metrics</a></li>
<li><a href="metrics/slices">/metrics/slices</a> (timestamped slices, when enabled)</li>
<li><a href="-/healthy">/-/healthy</a></li>
<li><a href="-/ready">/-/ready</a></li></ul>
<p>{shard}</p>
<h2>Endpoints</h2><table border="1" cellpadding="4">
<tr><th>account</th><th>endpoint</th><th>every</th><th>calls/poll</th><th>budget</th>
<th>polls</th><th>status</th><th>last success</th><th>data age / expected</th>
<th>next poll</th><th>last error</th></tr>
{rows}
</table>{discovery}</body></html>
"""

_DISCOVERY = """
<h2>Domain discovery</h2><table border="1" cellpadding="4">
<tr><th>account</th><th>every</th><th>domains</th><th>listings</th><th>last success</th>
<th>last error</th></tr>
{rows}
</table>"""


def _status(up: bool | None) -> str:
    return {None: "not polled yet", True: "up", False: "failing"}[up]


def _ago(now: float, then: float | None) -> str:
    return "never" if then is None else f"{now - then:.0f}s ago"


def _next_run(exporter: Exporter, poller: EndpointPoller, now: float) -> str:
    """When the job runs next, and why if it is a retry or an auth pause."""
    due = exporter.scheduler.next_runs.get(poller.name) if exporter.scheduler else None
    if due is None:
        return "running" if exporter.scheduler else "not started"
    when = "now" if due <= now else f"in {due - now:.0f}s"
    retry = poller.retry
    if retry is not None and retry.hold:
        return f"{when} (paused: credentials rejected)"
    return f"{when} (retry)" if retry is not None else when


def _row(exporter: Exporter, poller: EndpointPoller, plan: Plan) -> str:
    now = exporter.clock.time()
    settings = poller.settings
    expected = settings.settle_delay + settings.granularity + plan.interval
    newest = poller.store.newest_settled_end
    age = "no data" if newest is None else f"{now - newest:.0f}s"
    cells = (
        poller.account.name,
        settings.spec.name
        + (f" (chosen over {settings.chosen_over})" if settings.chosen_over else ""),
        f"{plan.interval}s",
        f"{plan.calls_per_cycle} (fewest {plan.minimum_calls})",
        f"{plan.budget_share:.1%}",
        str(poller.polls),
        _status(poller.up),
        _ago(now, poller.last_success),
        f"{age} / {expected}s",
        _next_run(exporter, poller, now),
        poller.last_error or "",
    )
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"


class _OpenMetricsCache:
    """The OpenMetrics form of the cached body, converted at the first scrape that asks
    for it after each render (a scraper sticks to one format)."""

    def __init__(self) -> None:
        self.source: RenderedMetrics | None = None
        self.converted = RenderedMetrics.of(b"")

    async def get(self, rendered: RenderedMetrics) -> RenderedMetrics:
        if self.source is not rendered:
            join = rendered.openmetrics
            if join is not None:  # assembled from chunks: only the family heads differ
                converted = await asyncio.to_thread(join)
            else:
                converted = await asyncio.to_thread(
                    lambda: RenderedMetrics.of(openmetrics_from_text(rendered.plain))
                )
            self.source, self.converted = rendered, converted
        return self.converted


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


class _Parts(Payload):
    """A body written as pieces one after the other (the cached gzip stream, or its
    text inflated piece by piece, then the fresh self-metrics): no copy of the whole
    body per scrape, and the event loop runs between pieces."""

    def __init__(self, pieces: Callable[[], Iterable[bytes]], size: int, content_type: str) -> None:
        super().__init__(pieces, content_type=content_type)
        self._pieces = pieces
        self._size = self._length = size  # Payload.size: the Content-Length

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return b"".join(self._pieces()).decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        for piece in self._pieces():
            await writer.write(piece)
            await asyncio.sleep(0)  # a write yields only when the socket is full

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        left = self._length if content_length is None else content_length
        for piece in self._pieces():
            if left <= 0:
                break
            await writer.write(piece[:left] if len(piece) > left else piece)
            await asyncio.sleep(0)
            left -= len(piece)


def _not_acceptable(vary: str) -> web.Response:
    return web.Response(
        status=406, text="Neither gzip nor identity is acceptable\n", headers={"Vary": vary}
    )


def _answer(
    rendered: RenderedMetrics,
    coding: Coding,
    content_type: str,
    vary: str,
    *extra: tuple[bytes, Piece],
) -> web.Response:
    """`rendered` then each `(text, its deflate piece)` of `extra`, in `coding`. A gzip
    body is one gzip stream (the cached pieces joined once per render, then the extra
    pieces and the trailer): one large write per scrape, not one per chunk."""
    headers = {"Content-Type": content_type, "Vary": vary}
    if coding is Coding.GZIP:
        headers["Content-Encoding"] = "gzip"
        gzipped = rendered.gzip_parts(*(piece for _, piece in extra))
        body = _Parts(lambda: gzipped, sum(map(len, gzipped)), content_type)
    else:
        texts = [text for text, _ in extra]
        size = rendered.size + sum(map(len, texts))
        body = _Parts(lambda: chain(rendered.plain_parts(), texts), size, content_type)
    return web.Response(body=body, headers=headers)


async def metrics(request: web.Request) -> web.Response:
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
    return _answer(rendered, coding, fmt.value, "Accept, Accept-Encoding", fresh)


async def slices(request: web.Request) -> web.Response:
    """The timestamped slices of the endpoints with `slices: true`: text format 0.0.4
    only (OpenMetrics stamps samples in seconds, not milliseconds), gzip or identity, no
    self-metrics (two replicas' bodies must hold the same samples). 404 while no
    endpoint asks for slices, so a scrape job pointed here by mistake is down, not empty."""
    exporter = request.app[EXPORTER_KEY]
    if not any(p.settings.slices for p in exporter.pollers):
        return web.Response(
            status=404, text="No endpoint exports slices (set `slices: true` on one)\n"
        )
    coding = negotiate_coding(request.headers.get("Accept-Encoding"))
    if coding is None:
        return _not_acceptable("Accept-Encoding")
    return _answer(exporter.rendered_slices, coding, CONTENT_TYPE, "Accept-Encoding")


def _shard_line(exporter: Exporter) -> str:
    """`Shard 1 of 3 (ordinals 0-2): 2 of 7 account(s): a, b`; `Not sharded` for one."""
    sharding = exporter.sharding
    if not sharding.sharded:
        return f"Not sharded (--total-shards 1): every account ({len(exporter.settings.accounts)})"
    owned = ", ".join(exporter.owned_accounts) or "none"
    text = sharding.describe(exporter.settings)
    return f"{text[0].upper()}{text[1:]}: {owned}"


async def healthy(request: web.Request) -> web.Response:
    if request.app[EXPORTER_KEY].healthy:
        return web.Response(text="OK\n")
    return web.Response(status=503, text="The poll loop has stalled\n")


async def ready(request: web.Request) -> web.Response:
    """503 until every endpoint has succeeded once or the grace passed; the body says
    which endpoints are still waiting and why."""
    exporter = request.app[EXPORTER_KEY]
    waiting = exporter.waiting()
    lines = [f"{p.name}: {p.last_error or 'first poll not finished'}" for p in waiting]
    shard = f"{_shard_line(exporter)}\n" if exporter.sharding.sharded else ""
    if exporter.ready:
        extra = "".join(f"  still failing: {line}\n" for line in lines)
        return web.Response(text="Ready\n" + shard + extra)
    text = f"{shard}Waiting for a first successful poll of {len(waiting)} endpoint(s):\n"
    return web.Response(status=503, text=text + "".join(f"  {line}\n" for line in lines))


async def landing(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    rows = "\n".join(
        _row(exporter, p, plan) for p, plan in zip(exporter.pollers, exporter.plans, strict=True)
    )
    now = exporter.clock.time()
    found = [
        (
            d.account.name,
            f"{d.settings.refresh}s",
            "not listed yet" if d.domains is None else str(len(d.domains)),
            str(d.runs),
            _ago(now, d.last_success),
            d.last_error or "",
        )
        for d in exporter.discoverers.values()
    ]
    discovery = ""
    if found:
        lines = (
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
            for cells in found
        )
        discovery = _DISCOVERY.format(rows="\n".join(lines))
    body = _LANDING.format(
        version=__version__,
        rows=rows,
        shard=html.escape(_shard_line(exporter)),
        discovery=discovery,
    )
    return web.Response(text=body, content_type="text/html")


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
    lines = "".join(f"  {problem}\n" for problem in result.problems)
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
