"""The HTTP edge: cached /metrics (plain and gzip), health, readiness, landing page."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import threading

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import Exporter
from collector.client import Handler, MockTransport
from collector.clock import FakeClock, VirtualClock
from collector.config.loading import ConfigError, validate
from collector.config.runtime import Config
from collector.http import HttpRequest, HttpResponse
from collector.negotiate import Format
from collector.web import FRESH_KEY, build_web_app

# Only flow_request: the health reports (status codes, origin response time,
# certificates) answer in other envelopes than these tests' `{"result": []}`.
ONLY_FLOW_REQUEST = {
    name: {"enabled": False}
    for name in (
        "flow_request_origin",
        "status_codes",
        "origin_status_codes",
        "origin_response_time",
        "certificates",
    )
}


async def empty_answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, {}, b'{"result": []}')


def exporter(clock: FakeClock | None = None, answer: Handler = empty_answer) -> Exporter:
    settings = validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "wangsu",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": ["www.example.com"],
                    "endpoints": ONLY_FLOW_REQUEST,
                }
            ]
        }
    )
    return Exporter(settings, clock or FakeClock(), transport_factory=lambda: MockTransport(answer))


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
        # The text is inflated from the cached deflate pieces: its length is still known.
        assert int(plain.headers["Content-Length"]) == len(body)
        assert b'cdn_up{provider="wangsu",account="main",endpoint="flow_request"} 1.0' in body
        assert b"cdn_exporter_build_info" in body
        # The CDN part is the cache: it does not change between polls.
        cached = exp.rendered.plain
        assert body.startswith(cached)
        assert (await (await client.get("/metrics")).read()).startswith(cached)

        zipped = await client.get(
            "/metrics", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
        )
        assert zipped.headers["Content-Encoding"] == "gzip"
        # One gzip stream: the cached body, then the fresh self-metrics.
        unzipped = gzip.decompress(await zipped.read())
        assert unzipped.startswith(cached)
        assert b"cdn_exporter_build_info" in unzipped[len(cached) :]

        landing = await client.get("/")
        text = await landing.text()
        assert "flow_request" in text
        assert 'href="metrics"' in text


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_compressed_gets_the_whole_body() -> None:
    # curl decodes only the first gzip member of a body: the body must be one stream.
    exp = exporter()
    async with TestClient(TestServer(build_web_app(exp))) as client:
        await exp.poll_and_render(exp.pollers[0])
        await exp.poll_and_render(exp.pollers[1])
        url = str(client.make_url("/metrics"))
        curl = await asyncio.create_subprocess_exec(
            "curl", "-sS", "--compressed", url, stdout=asyncio.subprocess.PIPE
        )
        body, _ = await curl.communicate()
        plain = await (await client.get("/metrics", headers={"Accept-Encoding": "identity"})).read()
    assert curl.returncode == 0
    assert body.startswith(exp.rendered.plain)
    assert b"cdn_exporter_build_info" in body  # the fresh part at the end is there too
    assert len(body) > len(plain) // 2


async def test_self_metrics_are_fresh_at_every_scrape_without_a_render() -> None:
    exp = exporter()
    async with TestClient(TestServer(build_web_app(exp))) as client:
        await exp.poll_and_render(exp.pollers[0])
        labels = ("wangsu", "main", "flow_request", "client_error")
        line = (
            b'cdn_exporter_api_requests_total{account="main",endpoint="flow_request",'
            b'provider="wangsu",result="client_error"} '
        )
        assert line + b"0.0" in await (await client.get("/metrics")).read()
        # Calls counted mid-poll show at once: no poll has to finish first.
        exp.metrics.api_requests.labels(*labels).inc(300)
        assert line + b"300.0" in await (await client.get("/metrics")).read()
        zipped = await client.get("/metrics", headers={"Accept-Encoding": "gzip"})
        assert line + b"300.0" in await zipped.read()


async def auth_failure(request: HttpRequest) -> HttpResponse:
    return HttpResponse(401, {}, b'{"code": "AuthFailure", "message": "bad signature"}')


async def test_broken_credentials_are_not_ready_during_the_grace_then_ready() -> None:
    clock = FakeClock()
    exp = exporter(clock, auth_failure)
    async with TestClient(TestServer(build_web_app(exp))) as client:
        for poller in exp.pollers:
            await exp.poll_and_render(poller)
        response = await client.get("/-/ready")
        assert response.status == 503
        text = await response.text()
        assert "main/flow_request: auth_failure: HTTP 401" in text
        clock.advance(120)
        response = await client.get("/-/ready")
        assert response.status == 200
        assert "still failing: main/flow_request" in await response.text()
        body = await (await client.get("/metrics")).read()
        assert b'cdn_up{provider="wangsu",account="main",endpoint="flow_request"} 0.0' in body
        page = await (await client.get("/")).text()
        assert "failing" in page
        assert "auth_failure" in page
        assert "None" not in page
        assert "True" not in page
        assert "not started" in page  # no scheduler in this test: no next poll yet


async def hostile_auth_failure(request: HttpRequest) -> HttpResponse:
    message = "bad\nmain/flow_request: ok\r\x1b[31m\u202e"
    return HttpResponse(401, {}, json.dumps({"code": "AuthFailure", "message": message}).encode())


async def test_control_characters_from_a_provider_cannot_split_ready_lines() -> None:
    exp = exporter(FakeClock(), hostile_auth_failure)
    async with TestClient(TestServer(build_web_app(exp))) as client:
        for poller in exp.pollers:
            await exp.poll_and_render(poller)
        text = await (await client.get("/-/ready")).text()
        lines = text.splitlines()
        assert len(lines) == 3, lines  # the heading and one line per waiting endpoint
        assert "bad\\nmain/flow_request: ok\\r\\x1b[31m\\u202e" in lines[1]


async def test_the_status_page_says_when_each_endpoint_polls_next() -> None:
    clock = VirtualClock(1_700_000_000)
    exp = exporter(clock, auth_failure)
    exp.start()
    try:
        async with TestClient(TestServer(build_web_app(exp))) as client:
            await clock.advance(60)  # the first polls ran and failed on the credentials
            page = await (await client.get("/")).text()
            assert "(paused: credentials rejected)" in page
            assert "<th>next poll</th>" in page
    finally:
        await exp.close()


async def test_a_stalled_poll_loop_is_unhealthy() -> None:
    clock = FakeClock()
    exp = exporter(clock)
    async with TestClient(TestServer(build_web_app(exp))) as client:
        await exp.poll_and_render(exp.pollers[0])
        clock.advance(3 * 300 + 60)  # the longest interval is flow_request's 5 minutes
        assert (await client.get("/-/healthy")).status == 200
        clock.advance(1)
        assert (await client.get("/-/healthy")).status == 503
        await exp.poll_and_render(exp.pollers[0])
        assert (await client.get("/-/healthy")).status == 200


async def test_reload_needs_the_lifecycle_flag_and_reports_the_outcome() -> None:
    settings = exporter().settings
    loads: list[Config | ConfigError] = [settings]

    def loader() -> Config:
        outcome = loads[-1]
        if isinstance(outcome, ConfigError):
            raise outcome
        return outcome

    exp = Exporter(
        settings,
        FakeClock(),
        transport_factory=lambda: MockTransport(empty_answer),
        config_loader=loader,
    )
    async with TestClient(TestServer(build_web_app(exp))) as client:
        response = await client.post("/-/reload")
        assert response.status == 403
        assert "--web.enable-lifecycle" in await response.text()
    async with TestClient(TestServer(build_web_app(exp, enable_lifecycle=True))) as client:
        assert (await client.get("/-/reload")).status == 405
        response = await client.post("/-/reload")
        assert response.status == 200
        assert await response.text() == (
            "configuration reloaded: 2 kept, 0 rebuilt, 0 removed, 0 added\n"
        )
        loads.append(ConfigError(["accounts.0.domains: Field required"]))
        response = await client.put("/-/reload")
        assert response.status == 500
        assert "  accounts.0.domains: Field required\n" in await response.text()
        loads.append(ConfigError(["accounts.0.name: 'a\nb\x1b[0m' is not valid"]))
        response = await client.post("/-/reload")
        assert "  accounts.0.name: 'a\\nb\\x1b[0m' is not valid\n" in await response.text()
        metrics = await (await client.get("/metrics")).text()
        assert "cdn_exporter_config_last_reload_successful 0.0" in metrics


async def test_reload_without_a_config_file_says_so() -> None:
    async with TestClient(TestServer(build_web_app(exporter(), enable_lifecycle=True))) as client:
        response = await client.post("/-/reload")
        assert response.status == 500
        assert "no --config file" in await response.text()


async def test_discovering_account_waits_on_ready_and_shows_on_the_landing_page() -> None:
    async def answer(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/domain/list"):
            body = (
                b'{"totalCount": 1, "totalPageNumber": 1, "pageNumber": 1, "pageSize": 100,'
                b' "resultList": [{"domainName": "www.example.com", "enabled": "true"}]}'
            )
            return HttpResponse(200, {}, body)
        return HttpResponse(200, {}, b'{"result": []}')

    settings = validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "wangsu",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": "auto",
                    "endpoints": ONLY_FLOW_REQUEST,
                }
            ]
        }
    )
    exp = Exporter(settings, FakeClock(), transport_factory=lambda: MockTransport(answer))
    async with TestClient(TestServer(build_web_app(exp))) as client:
        for poller in exp.pollers:
            await exp.poll_and_render(poller)
        response = await client.get("/-/ready")
        assert response.status == 503
        assert "waiting for the first domain discovery" in await response.text()
        page = await (await client.get("/")).text()
        assert "Domain discovery" in page
        assert "not listed yet" in page
        assert await exp.discoverers["main"].run() is None
        for poller in exp.pollers:
            await exp.poll_and_render(poller)
        assert (await client.get("/-/ready")).status == 200
        page = await (await client.get("/")).text()
        row = page[page.index("Domain discovery") :]
        assert (
            '<b>main</b></td><td data-label="every">1 h</td><td data-label="domains">1</td>' in row
        )


async def test_concurrent_scrapes_share_one_self_metrics_render() -> None:
    exp = exporter()
    renders = 0
    gate = threading.Event()
    original = exp.metrics.render

    def counting() -> bytes:
        nonlocal renders
        renders += 1
        gate.wait(10)  # held until every scrape has asked
        return original()

    exp.metrics.render = counting  # type: ignore[method-assign]
    fresh = build_web_app(exp)[FRESH_KEY]
    asked = [asyncio.create_task(fresh.get(Format.TEXT)) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    gate.set()
    answers = await asyncio.gather(*asked)
    assert renders == 1
    assert len({a for a in answers}) == 1
    await fresh.get(Format.TEXT)
    assert renders == 2  # a later scrape renders afresh (max_age 0)


async def test_a_shared_self_metrics_render_is_reused_until_a_poll_ends() -> None:
    exp = exporter()
    renders = 0
    original = exp.metrics.render

    def counting() -> bytes:
        nonlocal renders
        renders += 1
        return original()

    exp.metrics.render = counting  # type: ignore[method-assign]
    fresh = build_web_app(exp, self_metrics_max_age=3600)[FRESH_KEY]
    first = await fresh.get(Format.TEXT)
    assert await fresh.get(Format.TEXT) is first  # within max_age: the same render
    assert renders == 1
    await exp.poll_and_render(exp.pollers[0])
    assert await fresh.get(Format.TEXT) is not first  # a poll ended: rendered again
    assert renders == 2


async def test_the_first_body_is_served_in_both_formats_before_any_poll() -> None:
    exp = exporter()
    async with TestClient(TestServer(build_web_app(exp))) as client:
        om = await client.get(
            "/metrics",
            headers={"Accept": "application/openmetrics-text", "Accept-Encoding": "identity"},
        )
        body = await om.read()
        assert om.headers["Content-Type"].startswith("application/openmetrics-text")
        assert int(om.headers["Content-Length"]) == len(body)
        assert body.endswith(b"# EOF\n")
        assert b"cdn_exporter_build_info" in body
        assert b"cdn_up" not in body  # nothing polled yet: no CDN family


@pytest.mark.parametrize("coding", ["identity", "gzip"])
async def test_a_streamed_body_has_its_exact_length_and_head_has_none(coding: str) -> None:
    exp = exporter()
    async with TestClient(TestServer(build_web_app(exp))) as client:
        for poller in exp.pollers:
            await exp.poll_and_render(poller)
        headers = {"Accept-Encoding": coding}
        got = await client.get("/metrics", headers=headers, auto_decompress=False)
        body = await got.read()
        assert int(got.headers["Content-Length"]) == len(body)
        assert got.headers["Vary"] == "Accept, Accept-Encoding"
        plain = gzip.decompress(body) if coding == "gzip" else body
        assert plain.startswith(exp.rendered.plain)
        head = await client.head("/metrics", headers=headers)
        assert head.status == 200
        assert int(head.headers["Content-Length"]) > 0
        assert await head.read() == b""
        again = await client.get("/metrics", headers=headers)  # the connection is still sound
        assert again.status == 200
