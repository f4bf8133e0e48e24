"""Reload of a real `python -m collector` process: SIGHUP, and POST /-/reload with
--web.enable-lifecycle (403 without); a bad config keeps the running one."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.demo import account_config
from tests.integration.conftest import HEALTH_OFF
from tests.integration.daemon import (
    Daemon,
    config_for,
    daemon,
    demo_account,
    emulator,
    wait_for,
    write_config,
)

OFF = {"enabled": False}
FIRST = {"flow_request_origin": {}, "edge_hit_ratio": OFF, **HEALTH_OFF}
SECOND = {"flow_request_origin": OFF, "edge_hit_ratio": {}, **HEALTH_OFF}
BAD = {"flow_request": {"interval": "soon"}, "edge_hit_ratio": {}, **HEALTH_OFF}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def up(endpoint: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"provider": "wangsu", "account": "demo-wangsu", "endpoint": endpoint}
    return ("cdn_up", tuple(sorted(labels.items())))


def traffic(metrics: Samples) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (name, labels), v in metrics.items() if name == "cdn_traffic_bytes_total"}


async def until_up(running: Daemon, *endpoints: str) -> Samples:
    found: Samples = {}

    async def all_up() -> bool:
        found.update(samples(await running.metrics()))
        return all(found.get(up(e)) == 1.0 for e in endpoints)

    await wait_for(all_up, f"{endpoints} up")
    return samples(await running.metrics())


async def test_sighup_reloads_and_a_bad_config_keeps_the_running_one(tmp_path: Path) -> None:
    async with emulator() as server:
        path = tmp_path / "config.yaml"
        write_config(path, config_for(server.base_url, FIRST))
        async with daemon(path, tmp_path) as running:
            before = await until_up(running, "flow_request", "flow_request_origin")
            assert traffic(before)
            status, text = await running.post("/-/reload")
            assert status == 403, text

            write_config(path, config_for(server.base_url, SECOND))
            running.send(signal.SIGHUP)

            async def reloaded() -> bool:
                text = await running.metrics()
                return 'endpoint="flow_request_origin"' not in text and (
                    samples(text).get(up("edge_hit_ratio")) == 1.0
                )

            await wait_for(reloaded, "the SIGHUP reload took effect")
            after = samples(await running.metrics())
            assert after[up("flow_request")] == 1.0
            assert after[("cdn_exporter_config_last_reload_successful", ())] == 1.0
            # The kept endpoint's counters went on (no reset to a new baseline).
            for labels, value in traffic(before).items():
                assert traffic(after)[labels] >= value
            assert "config reloaded: 1 kept, 0 rebuilt, 1 removed, 1 added" in running.log()

            write_config(path, config_for(server.base_url, BAD))
            running.send(signal.SIGHUP)

            async def refused() -> bool:
                return "config reload failed: accounts.0.endpoints.flow_request.interval" in (
                    running.log()
                )

            await wait_for(refused, "the bad config is refused and logged")
            still = samples(await running.metrics())
            assert still[("cdn_exporter_config_last_reload_successful", ())] == 0.0
            assert still[up("flow_request")] == 1.0
            assert still[up("edge_hit_ratio")] == 1.0
            code, _ = await running.stop()
            log = running.log()
    assert code == 0, log
    assert "Traceback" not in log, log


async def test_post_reload_with_the_lifecycle_flag(tmp_path: Path) -> None:
    async with emulator() as server:
        path = tmp_path / "config.yaml"
        write_config(path, config_for(server.base_url, FIRST))
        async with daemon(path, tmp_path, "--web.enable-lifecycle") as running:
            await until_up(running, "flow_request", "flow_request_origin")

            write_config(path, config_for(server.base_url, SECOND))
            status, text = await running.post("/-/reload")
            assert status == 200, text
            assert text == "configuration reloaded: 1 kept, 0 rebuilt, 1 removed, 1 added\n"
            # The answer comes after the switch: the removed endpoint is gone already.
            assert 'endpoint="flow_request_origin"' not in await running.metrics()
            await until_up(running, "flow_request", "edge_hit_ratio")

            write_config(path, config_for(server.base_url, BAD))
            status, text = await running.post("/-/reload")
            assert status == 500
            assert "accounts.0.endpoints.flow_request.interval: not a duration" in text
            after = samples(await running.metrics())
            assert after[("cdn_exporter_config_last_reload_successful", ())] == 0.0
            assert after[up("edge_hit_ratio")] == 1.0
            code, _ = await running.stop()
            log = running.log()
    assert code == 0, log
    assert "Traceback" not in log, log


async def test_sighup_applies_the_shard_filter_of_shard_auto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--shard auto` from $POD_NAME: shard 1 of 2 polls demo-wangsu (its hash); after
    SIGHUP with explicit shards it polls demo-cdnetworks instead; a shard it does not have
    is refused."""
    monkeypatch.setenv("POD_NAME", "cdn-exporter-1")
    endpoints = {"flow_request_origin": OFF, "edge_hit_ratio": OFF, **HEALTH_OFF}

    def config(base_url: str, shards: dict[str, int | None]) -> dict[str, Any]:
        entries = []
        for name, shard in shards.items():
            entry = account_config(demo_account(name), base_url, endpoints)
            if shard is not None:
                entry["shard"] = shard
            entries.append(entry)
        return {"account_jitter": 0, "accounts": entries}

    def accounts(text: str) -> set[str]:
        return {dict(labels)["account"] for (name, labels) in samples(text) if name == "cdn_up"}

    async with emulator() as server:
        path = tmp_path / "config.yaml"
        write_config(path, config(server.base_url, {"demo-wangsu": None, "demo-cdnetworks": None}))
        async with daemon(path, tmp_path, "--shard", "auto", "--total-shards", "2") as running:
            await wait_for(
                lambda: _polls(running, {"demo-wangsu"}, accounts), "shard 1 polls demo-wangsu"
            )
            first = samples(await running.metrics())
            assert first[("cdn_exporter_shard_ordinal", ())] == 1.0
            assert first[("cdn_exporter_total_shards", ())] == 2.0

            moved = {"demo-wangsu": 0, "demo-cdnetworks": 1}
            write_config(path, config(server.base_url, moved))
            running.send(signal.SIGHUP)
            await wait_for(
                lambda: _polls(running, {"demo-cdnetworks"}, accounts),
                "after SIGHUP shard 1 polls demo-cdnetworks only",
            )
            assert "config reloaded: 0 kept, 0 rebuilt, 1 removed, 1 added" in running.log()

            write_config(path, config(server.base_url, {"demo-wangsu": 2}))
            running.send(signal.SIGHUP)

            async def refused() -> bool:
                return "config reload failed: accounts.0.shard: 2 is not below" in running.log()

            await wait_for(refused, "a shard beyond --total-shards is refused")
            assert accounts(await running.metrics()) == {"demo-cdnetworks"}
            code, _ = await running.stop()
            log = running.log()
    assert code == 0, log
    assert "Traceback" not in log, log


async def _polls(running: Daemon, expected: set[str], accounts: Any) -> bool:
    """True once cdn_up names exactly `expected`, each up."""
    text = await running.metrics()
    ups = [v for (name, _), v in samples(text).items() if name == "cdn_up"]
    return bool(accounts(text) == expected and ups and all(v == 1.0 for v in ups))
