"""The state file: exact round trips, corrupt files refused, atomic writes; only ever a
regular file, locked, never read from or written over a device, FIFO or link; a horizon
in the future refused."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from collector import state
from collector.cli import main
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


def test_check_config_refuses_a_state_file_that_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    config = tmp_path / "config.yaml"
    config.write_text(
        "accounts:\n"
        "  - name: main\n"
        "    provider: wangsu\n"
        "    auth: {access_key: AK, secret_key: SK}\n"
        "    domains: [a.example.com]\n"
    )
    code = main(["--config", str(config), "--state.file", str(fifo), "--check-config"])
    assert code == 2
    assert f"state_file: {fifo}: is a FIFO" in capsys.readouterr().err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # left alone
