"""What the end-to-end tests share: free loopback ports, starting processes (Prometheus and
Alertmanager on loopback), HTTP and Prometheus API reads, condition waits that watch the
processes they depend on, and stopping them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")
Procs = Mapping[str, "subprocess.Popen[bytes]"] | Iterable["subprocess.Popen[bytes]"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def popen(args: list[str], log: Path, cwd: Path = REPO) -> subprocess.Popen[bytes]:
    """Start `args` with its output appended to `log`, this checkout's package first on
    the path and no pod name (which `--shard auto` would read)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("POD_NAME", None)
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)


def prometheus_command(binary: str, config: Path, port: int, data: Path) -> list[str]:
    """Prometheus on loopback with `config`, its TSDB in `data`, an hour kept."""
    return [
        binary,
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=1h",
    ]


def alertmanager_command(binary: str, config: Path, port: int, data: Path) -> list[str]:
    """Alertmanager on loopback with `config`, alone (no cluster), its state in `data`."""
    return [
        binary,
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        f"--storage.path={data}",
    ]


def get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def prometheus_api(base: str, path: str, **params: str) -> Any:
    """GET a Prometheus HTTP API path; its `data`, or AssertionError naming the error."""
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    try:
        doc = json.loads(get(url))
    except urllib.error.HTTPError as exc:  # 400 bad_data, 422 execution errors
        doc = json.loads(exc.read() or b"{}")
    assert doc.get("status") == "success", f"{path} {params}: {doc}"
    return doc["data"]


def query(base: str, expr: str) -> list[dict[str, Any]]:
    """An instant query's result vector."""
    result: list[dict[str, Any]] = prometheus_api(base, "/api/v1/query", query=expr)["result"]
    return result


class Budget:
    """The time left of a module's deadline."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def cap(self, seconds: float) -> float:
        """`seconds`, or less if the deadline comes first."""
        return min(seconds, self.left())


def wait_for(what: str, check: Callable[[], T | None], seconds: float, procs: Procs) -> T:
    """Poll `check` until it returns a value; fail on timeout, or as soon as one of
    `procs` has died (names starting with "stopped:" are expected to be gone)."""
    named = (
        list(procs.items()) if isinstance(procs, Mapping) else [(str(p.args[0]), p) for p in procs]
    )
    end = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < end:
        for name, proc in named:
            if proc.poll() is not None and not name.startswith("stopped:"):
                pytest.fail(f"{name} exited with {proc.returncode} while waiting for {what}")
        try:
            value = check()
        except (OSError, AssertionError, ValueError, KeyError) as exc:
            last, value = exc, None
        else:
            last = last if value is not None else "condition not met yet"
        if value is not None:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not end within 5 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
