"""The state file's keeper: another config's state kept where it matches, what is
beyond the backfill said, a write only after a poll that changed the state."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector import state
from collector.app import Exporter
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.families import REQUESTS, TRAFFIC
from collector.state import EndpointState, SeriesState
from tests.core.test_state import STATE, T0


def config(tmp_path: Path, granularity: str = "5m", offset: str = "+08:00") -> object:
    return validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "wangsu",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": ["a.example.com"],
                    "time_offset": offset,
                    "endpoints": {
                        "flow_request_origin": {"granularity": granularity},
                        "edge_hit_ratio": {"enabled": False},
                    },
                }
            ],
            "state_file": str(tmp_path / "state.json"),
        }
    )


def test_a_state_file_from_another_config_keeps_what_matches(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    origin = EndpointState(
        "wangsu", "main", "flow_request_origin", 300, 28800, T0, (STATE.series[1],)
    )
    gone = EndpointState("wangsu", "old-account", "flow_request", 300, 28800, T0, STATE.series)
    foreign = SeriesState("cdn_not_a_family_total", ("x",), 1.0)
    flow = EndpointState("wangsu", "main", "flow_request", 300, 28800, T0, (*STATE.series, foreign))
    (tmp_path / "state.json").write_bytes(state.encode([flow, origin, gone], T0))
    caplog.set_level(logging.INFO, logger="collector")
    exporter = Exporter(config(tmp_path, granularity="1m"), FakeClock(T0 + 600))  # type: ignore[arg-type]
    pollers = {p.settings.spec.name: p for p in exporter.pollers}
    assert pollers["flow_request"].store.counters == {
        (TRAFFIC, ("a.example.com", "down")): 0.1 + 0.2,
        (REQUESTS, ("a.example.com",)): 12.0,
    }
    assert pollers["flow_request"].complete_through == T0
    assert pollers["flow_request_origin"].store.counters == {}  # 1m slices now, not 5m
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("flow_request: dropped 1 series: cdn_not_a_family_total" in m for m in warnings)
    assert any("flow_request_origin: dropped all of it: slices of 300s" in m for m in warnings)
    assert any("dropped wangsu/old-account/flow_request" in m for m in warnings)


async def test_the_file_is_written_after_a_poll_that_changed_it_only(tmp_path: Path) -> None:
    exporter = Exporter(config(tmp_path), FakeClock(T0))  # type: ignore[arg-type]
    path = tmp_path / "state.json"
    for poller in exporter.pollers:
        poller.store.ingest([], T0 - 900)
    assert exporter.state_keeper is not None
    await exporter.state_keeper.save()
    written = path.stat().st_mtime_ns
    first = path.read_bytes()
    await exporter.state_keeper.save()  # nothing changed: no write
    assert path.stat().st_mtime_ns == written
    assert {e.key for e in state.decode(first)} == {p.state_key for p in exporter.pollers}


def test_a_state_older_than_the_backfill_says_what_is_not_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "state.json").write_bytes(state.encode([STATE], T0))
    exporter = Exporter(config(tmp_path), FakeClock(T0 + 2 * 86400))  # type: ignore[arg-type]
    [flow] = [p for p in exporter.pollers if p.settings.spec.name == "flow_request"]
    assert flow.complete_through == T0  # counters continue; the gap beyond reach is lost
    [queries_start] = {q.window.start for q in flow.queries(T0 + 2 * 86400)[:1]}
    assert queries_start >= T0 + 2 * 86400 - 900 - flow.settings.backfill - 300
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("beyond the 21600s backfill" in m for m in warnings), warnings


async def test_a_failing_write_is_logged_once_and_retried_after_the_next_poll(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = Exporter(config(tmp_path), FakeClock(T0))  # type: ignore[arg-type]
    keeper = exporter.state_keeper
    assert keeper is not None
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    keeper.path = blocker / "state.json"  # a file where its directory should be: writes fail
    caplog.set_level(logging.INFO, logger="collector.statekeeper")
    for step in range(3):  # three polls that changed the state
        for poller in exporter.pollers:
            poller.store.ingest([], T0 - 900 + 300 * step)
        await keeper.save()
    failures = [r for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(failures) == 1
    keeper.path = tmp_path / "state.json"
    await keeper.save()  # no poll since, but the last change is not on disk yet
    assert keeper.path.exists()
    assert any(r.getMessage().endswith("written again") for r in caplog.records)


def test_a_horizon_in_the_future_is_refused_and_that_endpoint_starts_fresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ahead = EndpointState(
        "wangsu", "main", "flow_request_origin", 300, 28800, T0 + 3600, (STATE.series[1],)
    )
    (tmp_path / "state.json").write_bytes(state.encode([STATE, ahead], T0 + 3600))
    exporter = Exporter(config(tmp_path), FakeClock(T0 + 30))  # type: ignore[arg-type]
    pollers = {p.settings.spec.name: p for p in exporter.pollers}
    assert pollers["flow_request_origin"].store.counters == {}
    assert pollers["flow_request_origin"].complete_through is None
    assert pollers["flow_request"].complete_through == T0  # within reach: continues
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    future = [m for m in warnings if "past this clock's now" in m]
    assert len(future) == 1
    assert "wangsu/main/flow_request_origin is complete through" in future[0]
    # A small difference between two hosts' clocks is tolerated.
    assert state.future_horizons([ahead], T0 + 3600 - state.FUTURE_TOLERANCE) == ([ahead], [])
