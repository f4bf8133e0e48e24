"""Injected faults over loopback: counted by result, logged once, last good data kept."""

from __future__ import annotations

import logging
import math

import pytest

from collector.app import Exporter
from collector.client import AiohttpTransport
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import truth as ground
from collector.emulator.core import Emulator, FaultKind
from collector.emulator.server import start
from tests.integration.conftest import HEALTH_OFF, WANGSU

START = 1_700_000_000 - 1_700_000_000 % 300 + 30


def requests_by_result(exporter: Exporter, result: str) -> float:
    counter = exporter.metrics.api_requests.labels("wangsu", WANGSU.name, "flow_request", result)
    return float(counter._value.get())


@pytest.mark.parametrize(
    ("kind", "result", "attempts"),
    [
        (FaultKind.MALFORMED, "malformed", 3),  # a truncated body is retried like a 5xx
        (FaultKind.SERVER_ERROR, "server_error", 3),  # one call and two retries
        (FaultKind.ERROR_CODE, "server_error", 3),  # HTTP 200 with code 24102500
        (FaultKind.THROTTLE, "throttled", 3),
        (FaultKind.TIMEOUT, "timeout", 3),
    ],
)
async def test_a_fault_is_counted_and_the_last_good_data_stays(
    kind: FaultKind, result: str, attempts: int, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    server = await start(Emulator([WANGSU], clock=clock, fault_delay=1.5))
    only_flow = {
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
        "edge_hit_ratio": {"enabled": False},
    }
    settings = validate(
        {"accounts": [account_config(WANGSU, server.base_url, only_flow, timeout=1)]}
    )
    exporter = Exporter(settings, clock)
    [poller] = exporter.pollers
    try:
        await exporter.poll_and_render(poller)  # baseline
        clock.advance(600)
        await exporter.poll_and_render(poller)
        assert poller.up is True
        good = {(f.name, labels): v for f, labels, v in poller.store.series()}
        body_before = exporter.rendered.plain
        assert b'cdn_up{provider="wangsu",account="it-wangsu",endpoint="flow_request"} 1.0' in (
            body_before
        )

        # Two polls fail, each after all its attempts.
        server.emulator.inject("flow_request", kind, count=2 * attempts)
        caplog.set_level(logging.DEBUG, logger="collector.poller")
        for _ in range(2):
            clock.advance(300)
            await exporter.poll_and_render(poller)
            assert poller.up is False
        assert requests_by_result(exporter, result) == 2 * attempts
        assert server.emulator.pending_faults == []
        now = {(f.name, labels): v for f, labels, v in poller.store.series()}
        assert now == good  # nothing lost, nothing half-applied
        body = exporter.rendered.plain
        assert b'cdn_up{provider="wangsu",account="it-wangsu",endpoint="flow_request"} 0.0' in body
        assert b"cdn_traffic_bytes_total" in body
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]  # logged once

        clock.advance(300)
        await exporter.poll_and_render(poller)
        assert poller.up is True
        # The slices the failed polls missed are counted now, each once.
        end = poller.store.newest_settled_end
        baseline = poller.store.baseline
        assert end is not None
        assert baseline is not None
        for domain in WANGSU.domains:
            truth = ground.wangsu_traffic_bytes(server.emulator, WANGSU.name, domain, baseline, end)
            got = sum(
                v
                for f, labels, v in poller.store.series()
                if f.name == "cdn_traffic_bytes_total" and labels[0] == domain
            )
            assert got == pytest.approx(truth, rel=1e-12)
    finally:
        await exporter.close()
        await server.close()


CAP = 64 * 1024  # the transport's answer cap in the oversized-answer test


@pytest.mark.parametrize(
    ("kind", "endpoint", "reason", "attempts"),
    [
        # A ratio of "NaN" once slipped through the fast path's range checks.
        (FaultKind.NOT_FINITE, "edge_hit_ratio", "not_finite", 1),
        (FaultKind.NOT_FINITE, "flow_request", "not_finite", 1),
        (FaultKind.TOO_LARGE, "flow_request", "too_large", 1),
        (FaultKind.DEEP_XML, "flow_request", "not_json", 3),  # does not decode: retried
    ],
)
async def test_a_hostile_answer_is_malformed_and_the_last_good_data_stays(
    kind: FaultKind, endpoint: str, reason: str, attempts: int
) -> None:
    clock = FakeClock(START)
    server = await start(Emulator([WANGSU], clock=clock, oversize_bytes=CAP + 1))
    others = {"flow_request", "flow_request_origin", "edge_hit_ratio"} - {endpoint}
    settings = validate(
        {
            "accounts": [
                account_config(
                    WANGSU,
                    server.base_url,
                    {**HEALTH_OFF, **{name: {"enabled": False} for name in others}},
                    timeout=1,
                )
            ]
        }
    )
    exporter = Exporter(settings, clock, transport_factory=lambda: AiohttpTransport(CAP))
    [poller] = exporter.pollers
    up = f'cdn_up{{provider="wangsu",account="it-wangsu",endpoint="{endpoint}"}}'.encode()
    errors = exporter.metrics.parse_errors.labels("wangsu", WANGSU.name, endpoint, reason)
    malformed = exporter.metrics.api_requests.labels("wangsu", WANGSU.name, endpoint, "malformed")
    try:
        await exporter.poll_and_render(poller)
        clock.advance(600)
        await exporter.poll_and_render(poller)
        assert up + b" 1.0" in exporter.rendered.plain
        good = {(f.name, labels): v for f, labels, v in poller.store.series()}
        assert good

        server.emulator.inject(endpoint, kind, count=attempts)
        clock.advance(300)
        await exporter.poll_and_render(poller)
        assert up + b" 0.0" in exporter.rendered.plain
        assert malformed._value.get() == attempts
        assert errors._value.get() == attempts
        assert server.emulator.pending_faults == []
        now = {(f.name, labels): v for f, labels, v in poller.store.series()}
        # Every series kept (calls for other domains may have refreshed their gauges).
        assert now.keys() == good.keys()
        assert all(math.isfinite(v) for v in now.values())
        assert b"NaN" not in exporter.rendered.plain
    finally:
        await exporter.close()
        await server.close()
