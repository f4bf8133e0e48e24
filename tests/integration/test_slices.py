"""Timestamped slices for high availability, against the emulator over loopback HTTP on a
fake clock: two replicas with one config expose identical samples on /metrics/slices, a
replica that restarts exposes the same ones again, every slice appears with one value,
and the per-domain sum of the samples is the emulator's ground truth."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from collector.app import Exporter
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator.core import Emulator
from collector.emulator.server import RunningEmulator, start
from collector.emulator.truth import wangsu_traffic_bytes
from collector.web import build_web_app
from tests.integration.conftest import HEALTH_OFF, WANGSU

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
ENDPOINTS = {
    "flow_request": {"slices": True},
    "flow_request_origin": {"enabled": False},
    **HEALTH_OFF,
}
Sample = tuple[str, tuple[tuple[str, str], ...], float]  # family, labels, timestamp


def settings(base_url: str, endpoints: dict[str, Any] = ENDPOINTS) -> Any:
    return validate(
        {
            "accounts": [account_config(WANGSU, base_url, endpoints)],
            "rate_budget_share": 0.5,
        }
    )


@asynccontextmanager
async def emulator(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    server = await start(Emulator([WANGSU], clock=clock))
    try:
        yield server
    finally:
        await server.close()


async def scrape_slices(exporter: Exporter) -> dict[Sample, float]:
    """/metrics/slices of `exporter` (gzip, as Prometheus asks), parsed."""
    async with TestClient(TestServer(build_web_app(exporter))) as client:
        response = await client.get("/metrics/slices", headers={"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        text = await response.text()
        # The identity body is the same text; a scraper that takes neither coding gets 406.
        plain = await client.get("/metrics/slices", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        assert await plain.text() == text
        refused = await client.get("/metrics/slices", headers={"Accept-Encoding": "identity;q=0"})
        assert refused.status == 406
    found: dict[Sample, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())), s.timestamp)
            assert key not in found, f"one slice twice in one scrape: {key}"
            found[key] = s.value
    return found


def promtool_accepts(body: bytes) -> None:
    if shutil.which("promtool") is None:
        pytest.skip("promtool not installed")
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=body, capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


async def poll(exporter: Exporter) -> None:
    for poller in exporter.pollers:
        await exporter.poll_and_render(poller)


async def test_two_replicas_and_a_restart_expose_the_same_samples_and_sum_to_the_truth() -> None:
    clock = FakeClock(START)
    async with emulator(clock) as server:
        replica_a = Exporter(settings(server.base_url), clock)
        replica_b = Exporter(settings(server.base_url), clock)
        # Each replica plans with half of the published 300 calls per 5 minutes.
        for job in replica_a.jobs.values():
            published = job.spec.settings.spec.rate_limit
            assert job.spec.settings.rate_limit.calls == published.calls // 2
        seen: dict[Sample, float] = {}  # what a TSDB would hold: first value per sample
        first_poll = clock.time()
        for step in range(10):
            if step == 4:  # replica A is killed and starts afresh, with no state
                await replica_a.close()
                replica_a = Exporter(settings(server.base_url), clock)
            await poll(replica_a)
            await poll(replica_b)
            a, b = await scrape_slices(replica_a), await scrape_slices(replica_b)
            # The same samples, right after A's restart too: it re-read the same window.
            assert a == b
            for key, value in [*a.items(), *b.items()]:
                assert seen.setdefault(key, value) == value, f"two values for {key}"
            clock.advance(300)
        await replica_a.close()
        await replica_b.close()

        traffic = {k: v for k, v in seen.items() if k[0] == "cdn_slice_traffic_bytes"}
        ends = sorted({int(k[2]) for k in traffic})
        # Contiguous 5-minute slices from the first poll's re-read window to the last.
        assert ends == list(range(ends[0], ends[-1] + 1, 300))
        assert ends[0] <= first_poll - 300
        emulated = server.emulator
        for domain in WANGSU.domains:
            total = sum(v for k, v in traffic.items() if ("domain", domain) in k[1])
            count = sum(1 for k in traffic if ("domain", domain) in k[1])
            assert count == len(ends)  # exactly one sample per slice
            truth = wangsu_traffic_bytes(emulated, WANGSU.name, domain, ends[0] - 300, ends[-1])
            assert math.isclose(total, truth, rel_tol=1e-12), (domain, total, truth)


async def test_slices_are_off_by_default_and_only_on_their_own_path() -> None:
    clock = FakeClock(START)
    async with emulator(clock) as server:
        plain = Exporter(
            settings(
                server.base_url,
                {
                    "flow_request_origin": {"enabled": False},
                    **HEALTH_OFF,
                },
            ),
            clock,
        )
        sliced = Exporter(settings(server.base_url), clock)
        try:
            await poll(plain)
            await poll(sliced)
            async with TestClient(TestServer(build_web_app(plain))) as client:
                response = await client.get("/metrics/slices")
                assert response.status == 404
                assert "slices: true" in await response.text()
            for exporter in (plain, sliced):
                # /metrics never mixes timestamped samples into the regular families.
                assert b"cdn_slice_" not in exporter.rendered.plain
            body = sliced.rendered_slices.plain
            assert body.count(b"# TYPE cdn_slice_traffic_bytes gauge") == 1
            assert b"# TYPE cdn_slice_requests gauge" in body
            assert b"cdn_exporter_" not in body  # no self-metrics: replicas must agree
            promtool_accepts(body)
        finally:
            await plain.close()
            await sliced.close()


async def test_a_reload_that_turns_slices_off_empties_the_slices_body() -> None:
    clock = FakeClock(START)
    async with emulator(clock) as server:
        exporter = Exporter(settings(server.base_url), clock)
        try:
            await poll(exporter)
            assert b"cdn_slice_traffic_bytes{" in exporter.rendered_slices.plain
            off = {
                "flow_request": {"slices": False},
                "flow_request_origin": {"enabled": False},
                **HEALTH_OFF,
            }
            await exporter.apply(settings(server.base_url, off))
            await poll(exporter)
            assert exporter.rendered_slices.plain == b""
            assert b"cdn_traffic_bytes_total{" in exporter.rendered.plain
            await exporter.apply(settings(server.base_url))
            await poll(exporter)
            assert b"cdn_slice_traffic_bytes{" in exporter.rendered_slices.plain
        finally:
            await exporter.close()
