"""A real Prometheus scrapes the demo exporter in both formats, on loopback.

Prometheus 2.42 always asks for OpenMetrics first and cannot be told otherwise (its
`scrape_protocols` came later), so each job goes through a small recording proxy: one
passes Prometheus' Accept header on, the other rewrites it to the text format 0.0.4. Both
jobs must be up with the same CDN series, and the proxies must have seen each format.

Needs the Debian `prometheus` package; skips when it is missing. Every wait is bounded.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.processes import free_port, get, query, wait_for

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TEXT_ACCEPT = "text/plain;version=0.0.4"


@dataclass
class Proxy:
    """Forwards GET /metrics to the exporter, optionally replacing Accept, and records the
    Accept header it got and the Content-Type it returned."""

    upstream: str
    accept: str | None
    seen: list[tuple[str, str]] = field(default_factory=list)
    # (Accept-Encoding asked, Content-Encoding answered, gzip members in the body)
    codings: list[tuple[str, str, int]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def target(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                asked = self.headers.get("Accept", "")
                headers = {"Accept": proxy.accept or asked}
                if "Accept-Encoding" in self.headers:
                    headers["Accept-Encoding"] = self.headers["Accept-Encoding"]
                request = urllib.request.Request(proxy.upstream + self.path, headers=headers)
                with urllib.request.urlopen(request, timeout=10) as answer:
                    body = answer.read()
                    content_type = answer.headers.get("Content-Type", "")
                    encoding = answer.headers.get("Content-Encoding")
                proxy.seen.append((asked, content_type))
                proxy.codings.append(
                    (
                        self.headers.get("Accept-Encoding", ""),
                        encoding or "",
                        _gzip_members(body) if encoding == "gzip" else 0,
                    )
                )
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _gzip_members(data: bytes) -> int:
    """How many gzip members `data` is (each a complete stream; a bad one raises)."""
    count = 0
    while data:
        stream = zlib.decompressobj(wbits=31)
        stream.decompress(data)
        if not stream.eof:
            raise ValueError("a truncated gzip member")
        data = stream.unused_data
        count += 1
    return count


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Proxy, Proxy]]:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("needs prometheus on PATH (apt-get install prometheus)")
    tmp = tmp_path_factory.mktemp("formats")
    exporter_port, prom_port = free_port(), free_port()
    exporter_url = f"http://127.0.0.1:{exporter_port}"
    om, text = Proxy(exporter_url, None), Proxy(exporter_url, TEXT_ACCEPT)
    procs: list[subprocess.Popen[bytes]] = []
    logs = [tmp / "exporter.log", tmp / "prometheus.log"]
    try:
        om.start()
        text.start()
        config = {
            "global": {"scrape_interval": "1s"},
            "scrape_configs": [
                {"job_name": "openmetrics", "static_configs": [{"targets": [om.target]}]},
                {"job_name": "text", "static_configs": [{"targets": [text.target]}]},
            ],
        }
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        with logs[0].open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "collector", "--demo", "--web.listen-address",
                     f"127.0.0.1:{exporter_port}"],
                    cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        wait_for("exporter /-/ready", lambda: get(f"{exporter_url}/-/ready"), 30, procs)
        with logs[1].open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [prometheus, f"--config.file={tmp / 'prometheus.yml'}",
                     f"--web.listen-address=127.0.0.1:{prom_port}",
                     f"--storage.tsdb.path={tmp / 'data'}", "--storage.tsdb.retention.time=1h"],
                    cwd=tmp, stdout=out, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        prometheus_url = f"http://127.0.0.1:{prom_port}"

        def both_scraped() -> bool | None:
            result = query(prometheus_url, "count by (job) (cdn_traffic_bytes_total)")
            return True if len(result) == 2 else None

        wait_for("both jobs to have scraped the CDN families", both_scraped, 30, procs)
        yield prometheus_url, om, text
    except BaseException:
        for path in logs:
            if path.exists():
                sys.stderr.write(
                    f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}\n"
                )
        raise
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        om.stop()
        text.stop()


def test_prometheus_negotiates_openmetrics(scraped: tuple[str, Proxy, Proxy]) -> None:
    _, om, _ = scraped
    asked, content_type = om.seen[-1]
    assert asked.startswith("application/openmetrics-text")
    assert content_type.startswith("application/openmetrics-text; version=1.0.0")


def test_the_text_format_is_served_when_asked(scraped: tuple[str, Proxy, Proxy]) -> None:
    _, _, text = scraped
    assert text.seen[-1][1].startswith("text/plain; version=0.0.4")


def test_both_formats_give_prometheus_the_same_series(scraped: tuple[str, Proxy, Proxy]) -> None:
    prometheus_url, _, _ = scraped
    for job in ("openmetrics", "text"):
        (up,) = query(prometheus_url, f'up{{job="{job}"}}')
        assert up["value"][1] == "1", job
    for family in (
        "cdn_traffic_bytes_total",
        "cdn_bandwidth_bytes_per_second",
        "cdn_up",
        "cdn_exporter_api_requests_total",
        "cdn_exporter_api_request_duration_seconds_bucket",
    ):
        series = {}
        for job in ("openmetrics", "text"):
            result = query(prometheus_url, f'{family}{{job="{job}"}}')
            series[job] = {
                tuple(
                    sorted((k, v) for k, v in r["metric"].items() if k not in ("job", "instance"))
                )
                for r in result
            }
            assert series[job], (family, job)
        assert series["openmetrics"] == series["text"], family


def test_prometheus_reads_the_gzip_stream_joined_from_cached_pieces(
    scraped: tuple[str, Proxy, Proxy],
) -> None:
    """The body is joined from cached per-chunk deflate pieces (a head per family, a chunk
    per family and endpoint, the fresh self-metrics) into one gzip member: Prometheus
    decodes it, as curl and browsers (which read only a first member) do."""
    prometheus_url, om, text = scraped
    for proxy in (om, text):
        asked, answered, count = proxy.codings[-1]
        assert "gzip" in asked
        assert answered == "gzip"
        assert count == 1, count
    for job in ("openmetrics", "text"):
        (up,) = query(prometheus_url, f'up{{job="{job}"}}')
        assert up["value"][1] == "1", job
        (samples,) = query(prometheus_url, f'scrape_samples_scraped{{job="{job}"}}')
        assert float(samples["value"][1]) > 100, job
