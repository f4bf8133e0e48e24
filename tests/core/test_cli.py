"""The command line as a user runs it: the README's example check, the emulator's stop."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parent.parent.parent
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def readme_command(fragment: str) -> list[str]:
    """The README's shell line containing `fragment`, continuation lines joined."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(lines) if fragment in line)
    start = end
    while start > 0 and lines[start - 1].endswith("\\"):
        start -= 1
    text = " ".join(line.removesuffix("\\") for line in lines[start : end + 1])
    return shlex.split(text, comments=True)


def run_as_the_shell_would(words: list[str]) -> subprocess.CompletedProcess[str]:
    """`NAME=value ... cdn-exporter ARGS` in a clean environment (no CDN_EXPORTER_* and
    nothing the example reads unless the line sets it), from the repository root."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CDN_EXPORTER_", "WANGSU_", "CDNETWORKS_", "VOLC_"))
    }
    while (match := ASSIGNMENT.fullmatch(words[0])) is not None:
        env[match[1]] = match[2]
        words = words[1:]
    assert words[0] == "cdn-exporter", words
    return subprocess.run(
        [sys.executable, "-m", "collector", *words[1:]],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_readme_example_check_exits_0_as_written() -> None:
    words = readme_command("--config config/example.yaml --check-config")
    result = run_as_the_shell_would(words)
    assert result.returncode == 0, result.stderr
    assert "configuration is valid: 3 account(s)" in result.stdout


def test_the_example_check_without_its_variables_names_every_missing_one() -> None:
    words = readme_command("--config config/example.yaml --check-config")
    while ASSIGNMENT.fullmatch(words[0]):
        words = words[1:]
    result = run_as_the_shell_would(words)
    assert result.returncode == 2
    names = ["WANGSU_ACCESS_KEY", "WANGSU_SECRET_KEY", "CDNETWORKS_API_KEY", "VOLC_ACCESS_KEY"]
    for name in [*names, "VOLC_SECRET_KEY"]:
        assert f"environment variable {name} is not set or empty" in result.stderr


def test_the_emulator_stops_cleanly_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "collector", "emulator", "--listen", "127.0.0.1:0"],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        # Blocks until the server is up: the line comes after the port is bound.
        for line in process.stderr:
            if "emulator listening on" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    assert "received SIGTERM, shutting down" in errors
    assert "emulator stopped" in errors
    assert "Traceback" not in errors


def test_the_emulator_says_when_it_cannot_listen() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "collector", "emulator", "--listen", f"127.0.0.1:{port}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
