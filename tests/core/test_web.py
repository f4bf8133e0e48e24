"""The HTTP edge: cached /metrics (plain and gzip), health, readiness, landing page."""

from __future__ import annotations

import gzip

from aiohttp.test_utils import TestClient, TestServer

from collector.app import Exporter
from collector.client import MockTransport
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.http import HttpRequest, HttpResponse
from collector.web import build_web_app


async def empty_answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, {}, b'{"result": []}')


def exporter() -> Exporter:
    settings = validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "wangsu",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": ["www.example.com"],
                    "endpoints": {"flow_request_origin": {"enabled": False}},
                }
            ]
        }
    )
    return Exporter(settings, FakeClock(), transport_factory=lambda: MockTransport(empty_answer))


async def test_ready_only_after_every_first_poll_and_metrics_are_cached() -> None:
    exp = exporter()
    async with TestClient(TestServer(build_web_app(exp))) as client:
        assert (await client.get("/-/healthy")).status == 200
        response = await client.get("/-/ready")
        assert response.status == 503
        assert "2 endpoint(s)" in await response.text()
        await exp.poll_and_render(exp.pollers[0])
        assert (await client.get("/-/ready")).status == 503  # one endpoint still waiting
        await exp.poll_and_render(exp.pollers[1])
        assert (await client.get("/-/ready")).status == 200

        plain = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
        assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        body = await plain.read()
        assert b'cdn_up{provider="wangsu",account="main",endpoint="flow_request"} 1.0' in body
        assert b"cdn_exporter_build_info" in body
        # The body is the cache: it does not change between polls.
        assert await (await client.get("/metrics")).read() == body

        zipped = await client.get(
            "/metrics", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
        )
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await zipped.read()) == body

        landing = await client.get("/")
        text = await landing.text()
        assert "flow_request" in text
        assert 'href="metrics"' in text
