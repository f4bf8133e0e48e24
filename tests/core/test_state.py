"""The state file: exact round trips, corrupt files refused, atomic writes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector import state
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
