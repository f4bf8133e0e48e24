"""The state file: exact round trips, corrupt files refused, another config's state
kept where it matches, atomic writes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector import state
from collector.app import Exporter
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.families import REQUESTS, TRAFFIC
from collector.model import Point
from collector.state import EndpointState, SeriesState, StateError
from collector.store import SliceStore

T0 = 1_700_000_100.0
STATE = EndpointState(
    provider="wangsu",
    account="main",
    endpoint="flow_request",
    granularity=300,
    offset_seconds=28800,
    horizon=T0,
    series=(
        SeriesState(TRAFFIC.name, ("a.example.com", "down"), 0.1 + 0.2, ((1_700_000_400, 5.5),)),
        SeriesState(REQUESTS.name, ("a.example.com",), 12.0),
    ),
)


def test_round_trip_is_exact() -> None:
    [back] = state.decode(state.encode([STATE], T0))
    assert back == STATE
    assert back.series[0].total == 0.1 + 0.2  # not 0.3: floats survive bit for bit


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff garbage",
        b"[]",
        b'{"format": "something else", "version": 1, "endpoints": []}',
        b'{"format": "cdn-exporter state", "version": 99, "endpoints": []}',
        state.encode([STATE], T0)[:-40],  # truncated
        state.encode([STATE], T0).replace(b"28800", b'"x"'),
        state.encode([STATE], T0).replace(b"12.0", b"-12.0"),
        state.encode([STATE, STATE], T0),  # one endpoint twice
    ],
)
def test_corrupt_or_foreign_files_are_refused(data: bytes) -> None:
    with pytest.raises(StateError):
        state.decode(data)


def test_load_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert state.load(tmp_path / "missing.json") == []
    assert state.load(tmp_path) == []  # a directory: unreadable
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{")
    assert state.load(bad) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    assert "unreadable" in warnings[0]
    assert "corrupt" in warnings[1]


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state.write_atomic(path, b"one")
    state.write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_restored_store_adds_only_slices_it_has_not_added() -> None:
    first = SliceStore(retention=86400)
    key = (TRAFFIC, ("a.example.com", "down"))
    first.ingest([], horizon=1000)  # baseline
    first.ingest([Point(TRAFFIC, key[1], 1300, 1.0), Point(TRAFFIC, key[1], 1600, 2.0)], 1600)
    # The endpoint was complete only up to 1300; the 1600 slice came from a partial poll.
    [(got_key, total, counted)] = first.counted_after(1300)
    assert (got_key, total, counted) == (key, 3.0, {1600: 2.0})

    second = SliceStore(retention=86400)
    assert second.restore(1300, [(key, total, counted)]) == 0
    # Re-read from the horizon: 1300 and 1600 are not added again, 1900 is.
    points = [Point(TRAFFIC, key[1], end, 1.0 + i) for i, end in enumerate((1300, 1600, 1900))]
    second.ingest(points, 2000)
    assert second.counters[key] == 3.0 + 3.0


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
    await exporter.save_state()
    written = path.stat().st_mtime_ns
    first = path.read_bytes()
    await exporter.save_state()  # nothing changed: no write
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
