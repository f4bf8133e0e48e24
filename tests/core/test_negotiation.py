"""Content negotiation on /metrics: Accept-Encoding as RFC 9110 reads it, and OpenMetrics
1.0.0 when the scraper asks for it. The text answer is checked by `promtool check metrics`,
the OpenMetrics one by prometheus_client's strict OpenMetrics parser (promtool 2.42 reads
only the text format)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

from collector.app import Exporter
from collector.client import MockTransport
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.exposition import FamilySamples
from collector.http import HttpRequest, HttpResponse
from collector.negotiate import Coding, Format, negotiate_coding, negotiate_format
from collector.web import build_web_app
from tests.core.rendering import openmetrics_from_text, render_families

# What Prometheus 2.x sends.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        (None, Coding.IDENTITY),
        ("", Coding.IDENTITY),
        ("gzip", Coding.GZIP),
        ("GZIP", Coding.GZIP),
        ("x-gzip", Coding.GZIP),
        ("gzip, deflate, br", Coding.GZIP),
        ("gzip;q=0", Coding.IDENTITY),
        ("gzip; q=0.000", Coding.IDENTITY),
        ("gzip;q=0, *", Coding.IDENTITY),  # the explicit entry wins over `*`
        ("br", Coding.IDENTITY),
        ("deflate", Coding.IDENTITY),
        ("*", Coding.GZIP),
        ("*;q=0.5", Coding.GZIP),
        ("identity", Coding.IDENTITY),
        ("identity;q=0, gzip", Coding.GZIP),
        ("identity;q=0, *", Coding.GZIP),
        ("*;q=0, gzip", Coding.GZIP),
        ("*;q=0, identity", Coding.IDENTITY),
        ("gzip;q=0.5, identity", Coding.IDENTITY),  # identity preferred
        ("gzip;q=0.5, identity;q=0.5", Coding.GZIP),  # a tie: gzip
        ("gzip;q=1.5", Coding.IDENTITY),  # a malformed qvalue drops its element
        ("gzip;q=abc", Coding.IDENTITY),
        ("identity;q=0", None),  # gzip is not listed either
        ("*;q=0", None),
        ("gzip;q=0, identity;q=0", None),
        ("gzip;q=0, *;q=0", None),
    ],
)
def test_accept_encoding(header: str | None, coding: Coding | None) -> None:
    assert negotiate_coding(header) is coding


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (None, Format.TEXT),
        ("", Format.TEXT),
        ("*/*", Format.TEXT),
        ("text/plain", Format.TEXT),
        ("text/plain;version=0.0.4", Format.TEXT),
        ("application/json", Format.TEXT),  # nothing we offer: the default, as client_golang
        (PROMETHEUS_ACCEPT, Format.OPENMETRICS),
        ("application/openmetrics-text", Format.OPENMETRICS),
        ("application/openmetrics-text; version=1.0.0", Format.OPENMETRICS),
        ("application/openmetrics-text;version=0.0.1", Format.OPENMETRICS),
        ("Application/OpenMetrics-Text", Format.OPENMETRICS),
        ("application/openmetrics-text;version=2.0.0", Format.TEXT),  # a version we lack
        ("application/openmetrics-text;q=0, */*", Format.TEXT),
        ("application/openmetrics-text;q=0.4, text/plain;q=0.5", Format.TEXT),
        ("text/plain;q=0.5, application/openmetrics-text;q=0.6", Format.OPENMETRICS),
        ("application/openmetrics-text, text/plain", Format.OPENMETRICS),  # a tie: order
        ("text/plain, application/openmetrics-text", Format.TEXT),
        ("text/plain;q=0, */*", Format.OPENMETRICS),
        ("application/*", Format.OPENMETRICS),
    ],
)
def test_accept(header: str | None, fmt: Format) -> None:
    assert negotiate_format(header) is fmt


def test_openmetrics_headers_name_counters_without_total_and_escape_quotes() -> None:
    body = render_families(
        [
            FamilySamples(
                "cdn_traffic_bytes_total",
                "counter",
                'Bytes "delivered"\\ and\nmore',
                ("domain",),
                [(('a"b\\c\nd',), 12.0), (("x",), float("inf"))],
            ),
            FamilySamples("cdn_up", "gauge", "Up.", (), [((), 1.0)]),
            FamilySamples("odd_counter", "counter", "No suffix.", (), [((), 2.0)]),
            FamilySamples("cdn_empty", "gauge", "Nothing yet.", ("x",), []),
        ]
    )
    converted = openmetrics_from_text(body)
    assert b"# TYPE cdn_traffic_bytes counter\n# HELP cdn_traffic_bytes Bytes" in converted
    assert b"cdn_traffic_bytes_total{domain=" in converted
    assert b"# TYPE odd_counter unknown" in converted
    families = {f.name: f for f in openmetrics_families((converted + b"# EOF\n").decode())}
    assert families["cdn_traffic_bytes"].type == "counter"
    assert families["cdn_traffic_bytes"].documentation == 'Bytes "delivered"\\ and\nmore'
    samples = {s.labels["domain"]: s.value for s in families["cdn_traffic_bytes"].samples}
    assert samples == {'a"b\\c\nd': 12.0, "x": float("inf")}
    assert families["cdn_up"].samples[0].value == 1.0
    assert families["cdn_empty"].samples == []
    # The text form of the same body is unchanged by the conversion's existence.
    assert {f.name for f in text_families(body.decode())} >= {"cdn_traffic_bytes", "cdn_up"}


# FakeClock starts at 2023-11-15 06:13:20 +08:00: with the 15-minute settle delay, slices
# up to 05:55 are settled at the first poll (a baseline) and 06:00 at the second.
SLICES = ["2023-11-15 05:50", "2023-11-15 05:55", "2023-11-15 06:00"]


def flow_answer(slices: list[str]) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    async def answer(request: HttpRequest) -> HttpResponse:
        points = ",".join(
            f'{{"timestamp": "{t}", "flow": "12.5", "bandwidth": "0.33", "request": "15"}}'
            for t in slices
        )
        body = f'{{"result": [{{"domain": "www.example.com", "flowRequestData": [{points}]}}]}}'
        return HttpResponse(200, {}, body.encode())

    return answer


def exporter() -> tuple[Exporter, Callable[[], None]]:
    """An exporter polling canned flow-request answers, and a function moving it five
    minutes on, to where one more slice has settled."""
    settings = validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "wangsu",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": ["www.example.com"],
                    "endpoints": {
                        "flow_request_origin": {"enabled": False},
                        "edge_hit_ratio": {"enabled": False},
                    },
                }
            ]
        }
    )
    slices = SLICES[:2]
    clock = FakeClock()

    def transport() -> MockTransport:
        return MockTransport(lambda request: flow_answer(slices)(request))

    def later() -> None:
        slices.append(SLICES[2])
        clock.advance(300)

    return Exporter(settings, clock, transport_factory=transport), later


def promtool_check(body: bytes) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        return  # the parsers above still checked the body; scripts/test installs promtool
    result = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_metrics_in_both_formats_and_every_coding() -> None:
    exp, later = exporter()
    async with TestClient(TestServer(build_web_app(exp))) as client:
        await exp.poll_and_render(exp.pollers[0])
        later()
        await exp.poll_and_render(exp.pollers[0])

        text = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
        assert text.headers["Content-Type"] == Format.TEXT.value
        assert "Accept" in text.headers["Vary"]
        text_body = await text.read()
        assert b"# EOF" not in text_body
        promtool_check(text_body)

        om = await client.get(
            "/metrics", headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip;q=0"}
        )
        assert om.headers["Content-Type"] == Format.OPENMETRICS.value
        assert "Content-Encoding" not in om.headers
        om_body = await om.read()
        assert om_body.endswith(b"# EOF\n")
        assert om_body.count(b"# EOF") == 1
        families = {f.name: f for f in openmetrics_families(om_body.decode())}
        # CDN counters, gauges and the self-metrics, every one typed.
        assert families["cdn_requests"].type == "counter"
        assert families["cdn_requests"].samples[0].name == "cdn_requests_total"
        assert families["cdn_traffic_bytes"].type == "counter"
        assert families["cdn_up"].type == "gauge"
        assert families["cdn_exporter_api_requests"].type == "counter"
        assert families["cdn_exporter_api_request_duration_seconds"].type == "histogram"
        assert "cdn_exporter_build_info" in families
        # The same families and CDN samples as the text format.
        plain = {f.name: f for f in text_families(text_body.decode())}
        assert families.keys() == plain.keys()
        for name in ("cdn_requests", "cdn_traffic_bytes", "cdn_bandwidth_bytes_per_second"):
            om_samples = {
                (s.name, tuple(sorted(s.labels.items())), s.value) for s in families[name].samples
            }
            text_samples = {
                (s.name, tuple(sorted(s.labels.items())), s.value) for s in plain[name].samples
            }
            assert om_samples == text_samples, name
        # promtool 2.42 reads only the text format: on OpenMetrics it complains that
        # counters have no HELP (their HELP names the family without _total), so the
        # OpenMetrics body is checked by prometheus_client's strict parser above.

        zipped = await client.get(
            "/metrics",
            headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"},
            auto_decompress=False,
        )
        assert zipped.headers["Content-Encoding"] == "gzip"
        unzipped = gzip.decompress(await zipped.read())
        assert unzipped.endswith(b"# EOF\n")
        assert unzipped.startswith(om_body[: om_body.index(b"cdn_exporter")])

        for header in ("identity;q=0", "*;q=0", "gzip;q=0, identity;q=0"):
            refused = await client.get("/metrics", headers={"Accept-Encoding": header})
            assert refused.status == 406, header

        # A new render is converted again, not served stale.
        before = exp.rendered
        await exp.render()
        assert exp.rendered is not before
        again = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
        assert (await again.read()).endswith(b"# EOF\n")
