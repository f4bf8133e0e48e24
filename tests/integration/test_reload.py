"""Reload on the virtual clock against the emulator: unchanged endpoints keep their
state and counters (still exactly once), changed ones start afresh, removed ones and
their series go, new ones start; an invalid config keeps the running one."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from collector.app import Exporter
from collector.clock import VirtualClock
from collector.config.loading import load_config
from collector.demo import account_config
from collector.emulator import Emulator, RunningEmulator, demo_accounts, start
from collector.emulator import truth as ground
from collector.families import TRAFFIC
from collector.poller import EndpointPoller
from tests.integration.conftest import HEALTH_OFF
from tests.integration.daemon import write_config

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
HOUR = 3600
WANGSU, CDNETWORKS = "demo-wangsu", "demo-cdnetworks"
OFF = {"enabled": False}


def config(base_url: str, wangsu: dict[str, Any], cdnetworks: dict[str, Any] | None) -> Any:
    accounts = {a.name: a for a in demo_accounts()}
    entries = [account_config(accounts[WANGSU], base_url, wangsu)]
    if cdnetworks is not None:
        entries.append(account_config(accounts[CDNETWORKS], base_url, cdnetworks))
    return {"account_jitter": "2s", "accounts": entries}


FIRST = {"flow_request_origin": {}, "edge_hit_ratio": OFF, **HEALTH_OFF}
ONLY_FLOW = {"flow_request_origin": OFF, "edge_hit_ratio": OFF, **HEALTH_OFF}


@asynccontextmanager
async def exporter_on(
    clock: VirtualClock, path: Path
) -> AsyncIterator[tuple[RunningEmulator, Exporter]]:
    server = await start(Emulator(demo_accounts(), clock=clock))
    write_config(path, config(server.base_url, FIRST, ONLY_FLOW))
    exporter = Exporter(
        load_config(path), clock, config_loader=functools.partial(load_config, path)
    )
    try:
        exporter.start()
        yield server, exporter
    finally:
        await exporter.close()
        await server.close()


def poller(exporter: Exporter, account: str, endpoint: str) -> EndpointPoller:
    return exporter.jobs[(account, endpoint)].poller


def traffic(p: EndpointPoller, domain: str) -> float:
    return sum(
        v for f, labels, v in p.store.series() if f.name == TRAFFIC.name and labels[0] == domain
    )


def body(exporter: Exporter) -> str:
    return (exporter.rendered.plain + exporter.metrics.render()).decode()


def gauge(exporter: Exporter, name: str) -> float:
    value = exporter.metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


async def test_a_valid_change_keeps_unchanged_endpoints_and_their_counters(
    tmp_path: Path,
) -> None:
    clock = VirtualClock(START)
    path = tmp_path / "config.yaml"
    async with exporter_on(clock, path) as (server, exporter):
        await clock.run_until(START + HOUR)
        kept = poller(exporter, WANGSU, "flow_request")
        rebuilt = poller(exporter, WANGSU, "flow_request_origin")
        assert kept.up is True
        assert poller(exporter, CDNETWORKS, "flow_request").up is True
        series_before = sorted(kept.store.series(), key=repr)
        polls_before = kept.polls
        calls = exporter.metrics.api_requests.labels("wangsu", WANGSU, "flow_request", "success")
        calls_before = calls._value.get()
        assert 'account="demo-cdnetworks"' in body(exporter)

        # flow_request unchanged; flow_request_origin changed; edge_hit_ratio added;
        # the CDNetworks account removed.
        changed = {"flow_request_origin": {"delay": "20m"}, "edge_hit_ratio": {}, **HEALTH_OFF}
        write_config(path, config(server.base_url, changed, None))
        result = await exporter.reload()

        assert result.ok, result.problems
        assert result.plan is not None
        assert result.plan.keep == ((WANGSU, "flow_request"),)
        assert result.plan.rebuild == ((WANGSU, "flow_request_origin"),)
        assert result.plan.add == ((WANGSU, "edge_hit_ratio"),)
        assert result.plan.remove == ((CDNETWORKS, "flow_request"),)
        assert poller(exporter, WANGSU, "flow_request") is kept
        assert sorted(kept.store.series(), key=repr) == series_before
        assert kept.polls == polls_before
        assert calls._value.get() == calls_before
        new_origin = poller(exporter, WANGSU, "flow_request_origin")
        assert new_origin is not rebuilt
        assert new_origin.settings.settle_delay == 1200
        # The removed account's series left /metrics: CDN families and self-metrics.
        assert "demo-cdnetworks" not in body(exporter)
        assert (CDNETWORKS, "flow_request") not in exporter.jobs
        assert gauge(exporter, "cdn_exporter_config_last_reload_successful") == 1
        assert (
            gauge(exporter, "cdn_exporter_config_last_reload_success_timestamp_seconds")
            == clock.time()
        )

        await clock.run_until(START + 2 * HOUR)
        # The kept poller went on polling and counting from its first baseline:
        # every slice since start-up exactly once, across the reload.
        assert kept.polls > polls_before
        start_, end = kept.store.baseline, kept.store.newest_settled_end
        assert start_ is not None
        assert end is not None
        assert start_ < START
        for domain in ("www.example.com", "img.example.com"):
            truth = ground.wangsu_traffic_bytes(server.emulator, WANGSU, domain, start_, end)
            assert truth > 0
            assert traffic(kept, domain) == pytest.approx(truth, rel=1e-12)
        # The rebuilt and the new endpoint poll (from a baseline of their own).
        assert new_origin.up is True
        assert new_origin.store.baseline is not None
        assert new_origin.store.baseline > START
        assert poller(exporter, WANGSU, "edge_hit_ratio").up is True
        assert 'endpoint="edge_hit_ratio"' in body(exporter)
        assert "demo-cdnetworks" not in body(exporter)
        assert server.emulator.totals().throttled == 0


async def test_an_invalid_change_keeps_the_running_config_and_logs_each_problem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = VirtualClock(START)
    path = tmp_path / "config.yaml"
    async with exporter_on(clock, path) as (server, exporter):
        await clock.run_until(START + 1800)
        jobs_before = dict(exporter.jobs)
        loaded_at = gauge(exporter, "cdn_exporter_config_last_reload_success_timestamp_seconds")
        assert loaded_at == START

        bad = config(server.base_url, {"flow_request": {"interval": "soon"}}, ONLY_FLOW)
        bad["accounts"][1]["domains"] = ["https://video.example.net/"]
        write_config(path, bad)
        caplog.set_level(logging.INFO, logger="collector.reloading")
        result = await exporter.reload()

        assert not result.ok
        assert len(result.problems) == 2, result.problems
        interval, domain = result.problems
        assert interval.startswith("accounts.0.endpoints.flow_request.interval: not a duration")
        assert domain.startswith("accounts.1.domains")
        assert "is not a host name" in domain
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        for problem in result.problems:
            assert f"config reload failed: {problem}" in logged
        assert exporter.jobs == jobs_before
        assert gauge(exporter, "cdn_exporter_config_last_reload_successful") == 0
        assert (
            gauge(exporter, "cdn_exporter_config_last_reload_success_timestamp_seconds")
            == loaded_at
        )
        # The running config goes on polling.
        cdn = poller(exporter, CDNETWORKS, "flow_request")
        polls = cdn.polls
        await clock.run_until(START + HOUR)
        assert cdn.polls > polls
        assert cdn.up is True

        # A broken file (not YAML at all) is refused the same way.
        write_config(path, "accounts: [unclosed\n")
        result = await exporter.reload()
        assert not result.ok
        assert result.problems[0].startswith(f"{path}: invalid YAML at line 2")

        # Fixed again: the reload succeeds and keeps every poller.
        write_config(path, config(server.base_url, FIRST, ONLY_FLOW))
        result = await exporter.reload()
        assert result.ok
        assert result.plan is not None
        assert not result.plan.changed
        assert exporter.jobs.keys() == jobs_before.keys()
        assert all(exporter.jobs[k].poller is jobs_before[k].poller for k in jobs_before)
        assert gauge(exporter, "cdn_exporter_config_last_reload_successful") == 1
