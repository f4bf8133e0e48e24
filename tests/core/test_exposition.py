"""The hand-rolled renderer: valid text format, escaping, gzip, promtool."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.exposition import FamilySamples, format_value
from tests.core.rendering import render_families, rendered_of

FAMILIES = [
    FamilySamples(
        "cdn_bandwidth_bytes_per_second",
        "gauge",
        "Edge bandwidth (flow-request bandwidth, Mbps/8).\nSecond line",
        ("provider", "account", "domain", "direction"),
        [
            (("wangsu", "main", 'we"ird\\dom\nain', "down"), 1.5e6),
            (("wangsu", "main", "a.example.com", "down"), 0.0),
        ],
    ),
    FamilySamples(
        "cdn_traffic_bytes_total",
        "counter",
        "Edge traffic.",
        ("provider", "account", "domain", "direction"),
        [(("wangsu", "main", "a.example.com", "down"), 19670000.0)],
    ),
]


def test_render_parses_back_with_escapes() -> None:
    body = render_families(FAMILIES).decode()
    parsed = {f.name: f for f in text_string_to_metric_families(body)}
    bandwidth = parsed["cdn_bandwidth_bytes_per_second"]
    assert (
        bandwidth.documentation == "Edge bandwidth (flow-request bandwidth, Mbps/8).\nSecond line"
    )
    values = {s.labels["domain"]: s.value for s in bandwidth.samples}
    assert values == {'we"ird\\dom\nain': 1.5e6, "a.example.com": 0.0}
    traffic = parsed["cdn_traffic_bytes"]  # the parser strips _total from counter names
    assert traffic.type == "counter"
    assert traffic.samples[0].value == 19670000.0


def test_values_format_like_prometheus() -> None:
    assert format_value(1.0) == "1.0"
    assert format_value(float("inf")) == "+Inf"
    assert format_value(float("nan")) == "NaN"
    assert format_value(1e20) == "1e+20"
    assert format_value(0.125) == "0.125"


def test_gzip_is_the_same_body() -> None:
    rendered = rendered_of(render_families(FAMILIES))
    assert gzip.decompress(rendered.gzipped) == rendered.plain


def test_a_large_body_is_kept_compressed_and_inflated_in_pieces() -> None:
    text = b"".join(b'cdn_x{domain="d%d.example.com"} %d.0\n' % (i, i) for i in range(200_000))
    rendered = rendered_of(text)
    assert rendered.size == len(text)
    assert sum(len(p.deflated) for p in rendered.pieces) < len(text) // 5  # only it is kept
    pieces = list(rendered.plain_parts())
    assert len(pieces) > 1
    assert max(map(len, pieces)) <= 1 << 18
    assert b"".join(pieces) == text == rendered.plain
    assert gzip.decompress(rendered.gzipped) == text


def test_an_empty_body_has_no_pieces() -> None:
    empty = rendered_of(b"")
    assert empty.pieces == ()
    assert empty.plain == b""
    assert empty.size == 0
    assert empty.gzipped
    assert gzip.decompress(empty.gzipped) == b""


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_output() -> None:
    body = render_families(FAMILIES)
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=body, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
