"""The HTTP server: cached /metrics, health, readiness and a landing page."""

from __future__ import annotations

import gzip

from aiohttp import web

from collector import __version__
from collector.app import Exporter
from collector.exposition import CONTENT_TYPE

EXPORTER_KEY: web.AppKey[Exporter] = web.AppKey("exporter", Exporter)

_LANDING = """<!doctype html>
<html><head><meta charset="utf-8"><title>cdn-exporter</title></head>
<body><h1>cdn-exporter {version}</h1>
<p>Prometheus metrics from CDN reporting APIs (Wangsu/CDNetworks, Volcengine Live).</p>
<ul><li><a href="metrics">/metrics</a></li><li><a href="-/healthy">/-/healthy</a></li>
<li><a href="-/ready">/-/ready</a></li></ul>
<h2>Endpoints</h2><table border="1" cellpadding="4">
<tr><th>account</th><th>endpoint</th><th>every</th><th>calls/poll</th><th>budget</th>
<th>polls</th><th>up</th></tr>
{rows}
</table></body></html>
"""


async def metrics(request: web.Request) -> web.Response:
    """The cached CDN body, then the self-metrics rendered now: API calls, waits and
    durations are fresh even while a long poll runs. A gzip answer is two gzip members
    (the cached one and a fresh one), which every HTTP client and Prometheus read as one
    stream."""
    exporter = request.app[EXPORTER_KEY]
    rendered = exporter.rendered
    fresh = exporter.metrics.render()
    headers = {"Content-Type": CONTENT_TYPE}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = rendered.gzipped + gzip.compress(fresh, compresslevel=1)
        return web.Response(body=body, headers=headers)
    return web.Response(body=rendered.plain + fresh, headers=headers)


async def healthy(request: web.Request) -> web.Response:
    return web.Response(text="OK\n")


async def ready(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    if exporter.ready:
        return web.Response(text="Ready\n")
    waiting = sum(1 for p in exporter.pollers if p.polls == 0)
    return web.Response(status=503, text=f"Waiting for the first poll of {waiting} endpoint(s)\n")


async def landing(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    rows = "\n".join(
        f"<tr><td>{p.account.name}</td><td>{p.settings.spec.name}</td>"
        f"<td>{plan.interval}s</td><td>{plan.calls_per_cycle}</td>"
        f"<td>{plan.budget_share:.1%}</td><td>{p.polls}</td><td>{p.up}</td></tr>"
        for p, plan in zip(exporter.pollers, exporter.plans, strict=True)
    )
    body = _LANDING.format(version=__version__, rows=rows)
    return web.Response(text=body, content_type="text/html")


def build_web_app(exporter: Exporter) -> web.Application:
    app = web.Application()
    app[EXPORTER_KEY] = exporter
    app.router.add_get("/", landing)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", ready)
    return app
