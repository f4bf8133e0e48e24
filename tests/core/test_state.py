"""The state file: exact round trips, corrupt files refused, another config's state
kept where it matches, atomic writes; only ever a regular file, locked, never read from
or written over a device, FIFO or link; a horizon in the future refused."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from collector import state
from collector.app import Exporter
from collector.cli import main
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.families import REQUESTS, TRAFFIC
from collector.model import Point
from collector.state import EndpointState, SeriesState, StateError, StateFile, StateFileRefused
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
    assert state.load(tmp_path) == []  # a directory: not a state file
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{")
    assert state.load(bad) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    assert f"state_file: {tmp_path}: is a directory" in warnings[0]
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


# -- only ever a regular file the exporter owns -----------------------------------------


def run_main(argv: list[str]) -> int:
    """The command line, leaving the test's log capture as it was (main sets up logging)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return main(argv)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def zero_device(tmp_path: Path) -> Path:
    """A character device like /dev/zero (endless bytes), made inside `tmp_path`: the
    real /dev nodes are never pointed at."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = tmp_path / "zero"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    return node


def test_a_device_is_refused_at_start_up_and_never_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    device = zero_device(tmp_path)
    problems = state.check(device)
    assert problems == [
        f"state_file: {device}: is a character device, not a regular file "
        "(the exporter replaces its state file)"
    ]
    assert run_main(["--demo", "--state.file", str(device)]) == 2
    assert problems[0] in capsys.readouterr().err
    with pytest.raises(StateFileRefused):
        state.write_atomic(device, b"{}")
    assert stat.S_ISCHR(device.lstat().st_mode)  # still the device, not a file of JSON
    with pytest.raises(StateFileRefused, match="character device"):
        state.read_bounded(device)  # refused before a byte is read
    assert state.load(device) == []
    assert any("is a character device" in r.getMessage() for r in caplog.records)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zero"]  # no lock, no temporary


def test_a_fifo_neither_hangs_start_up_nor_is_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    # In a child process: a read that blocks on the FIFO would otherwise hang the tests.
    script = (
        "import pathlib, sys; from collector import state; "
        "p = pathlib.Path(sys.argv[1]); "
        "assert state.load(p) == []; "
        "print(state.check(p)[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(fifo)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"state_file: {fifo}: is a FIFO")
    with pytest.raises(StateFileRefused, match="FIFO"):
        StateFile.claim(fifo)
    with pytest.raises(StateFileRefused, match="FIFO"):
        state.write_atomic(fifo, b"{}")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_symlink_is_refused_and_its_target_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_bytes(state.encode([STATE], T0))
    link = tmp_path / "state.json"
    link.symlink_to(target)
    assert state.check(link) == [
        f"state_file: {link}: is a symbolic link, not a regular file "
        "(the exporter replaces its state file)"
    ]
    with pytest.raises(StateFileRefused, match="symbolic link"):
        StateFile.claim(link)
    assert state.load(link) == []  # not followed
    with pytest.raises(StateFileRefused, match="symbolic link"):
        state.write_atomic(link, b"new")
    assert link.is_symlink()
    assert state.decode(target.read_bytes()) == [STATE]


def test_a_lock_file_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    state.lock_path(tmp_path / "state.json").symlink_to(victim)
    with pytest.raises(StateFileRefused, match=r"lock file state\.json\.lock: is a symbolic link"):
        StateFile.claim(tmp_path / "state.json")
    assert victim.read_bytes() == b"keep"


def test_a_second_exporter_on_the_same_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.json"
    with StateFile.claim(path):
        with pytest.raises(
            StateFileRefused, match=f"in use by another exporter \\(process {os.getpid()}"
        ):
            StateFile.claim(path)
        assert run_main(["--demo", "--state.file", str(path)]) == 2
        assert f"state_file: {path}: in use by another exporter" in capsys.readouterr().err
        script = (
            "import pathlib, sys; from collector import state; "
            "state.StateFile.claim(pathlib.Path(sys.argv[1]))"
        )
        other = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=30
        )
        assert other.returncode != 0
        assert "in use by another exporter" in other.stderr
    StateFile.claim(path).close()  # released with the first claim


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
