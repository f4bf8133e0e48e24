"""`cdn-exporter --demo` as a user runs it: ready within seconds, every core family."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from collector.providers.volcengine.families import LIVE_FAMILIES

CORE = {
    "cdn_bandwidth_bytes_per_second",
    "cdn_traffic_bytes",  # the parser strips _total from counters
    "cdn_requests",
    "cdn_origin_bandwidth_bytes_per_second",
    "cdn_origin_traffic_bytes",
    "cdn_origin_requests",
    "cdn_cache_hit_ratio",
    "cdn_data_timestamp_seconds",
    "cdn_up",
    "cdn_exporter_api_requests",
    "cdn_exporter_api_request_duration_seconds",
    "cdn_exporter_last_success_timestamp_seconds",
    "cdn_exporter_build_info",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, **headers: str) -> tuple[int, bytes]:
    try:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_demo_is_ready_with_every_family_within_30_seconds() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "collector", "--demo", "--web.listen-address", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline:
            try:
                status, _ = get(f"http://127.0.0.1:{port}/-/ready")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, "demo not ready within 30 s"
        # Ready: every endpoint polled once. A first poll may still hold no series of a
        # family (a per-stream breakdown of a window not yet filled), so wait for them.
        live = {f.name.removesuffix("_total") for f in LIVE_FAMILIES}
        deadline = time.monotonic() + 30
        while True:
            _, body = get(f"http://127.0.0.1:{port}/metrics")
            families = {f.name: f for f in text_string_to_metric_families(body.decode())}
            if families.keys() >= CORE | live or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert families.keys() >= CORE, CORE - families.keys()
        assert families.keys() >= live, live - families.keys()
        directions = {
            (s.labels["provider"], s.labels["direction"])
            for s in families["cdn_traffic_bytes"].samples
        }
        assert {("volcengine", "down"), ("volcengine", "up"), ("wangsu", "down")} <= directions
        for name in ("cdn_bandwidth_bytes_per_second", "cdn_traffic_bytes", "cdn_cache_hit_ratio"):
            for provider in ("wangsu", "cdnetworks"):
                domains = {
                    s.labels["domain"]
                    for s in families[name].samples
                    if s.labels["provider"] == provider
                }
                assert len(domains) >= 2, (name, provider)
        # Health: edge and origin classes for every demo account, origin response time
        # (Wangsu/CDNetworks), live online users, certificate expiry for every account.
        accounts = {s.labels["account"] for s in families["cdn_up"].samples}
        for name in ("cdn_http_responses", "cdn_origin_http_responses"):
            assert {s.labels["account"] for s in families[name].samples} == accounts, name
        response_time = families["cdn_origin_response_time_seconds"].samples
        assert {s.labels["provider"] for s in response_time} == {"wangsu", "cdnetworks"}
        assert families["cdn_live_online_users"].samples
        expiry = families["cdn_certificate_not_after_timestamp_seconds"].samples
        assert {s.labels["account"] for s in expiry} == accounts
        down = {
            (s.labels["account"], s.labels["endpoint"])
            for s in families["cdn_up"].samples
            if s.value != 1.0
        }
        assert families["cdn_up"].samples
        assert not down, f"demo endpoints failing: {sorted(down)}"
        if shutil.which("promtool"):
            check = subprocess.run(
                ["promtool", "check", "metrics"], input=body, capture_output=True, check=False
            )
            assert check.returncode == 0, check.stderr.decode()
        # What Prometheus asks for: OpenMetrics, the same families, one `# EOF`.
        accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
        _, om = get(f"http://127.0.0.1:{port}/metrics", Accept=accept)
        assert om.endswith(b"# EOF\n")
        om_families = {f.name: f for f in openmetrics_families(om.decode())}
        # The same families, give or take one a poll added in between (families only
        # appear while the demo starts): between the text body before and one after.
        _, later = get(f"http://127.0.0.1:{port}/metrics")
        after = {f.name for f in text_string_to_metric_families(later.decode())}
        assert families.keys() <= om_families.keys() <= after
        assert om_families["cdn_traffic_bytes"].type == "counter"
    finally:
        process.terminate()
        try:
            _, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
    assert b"Traceback" not in err, err.decode()
