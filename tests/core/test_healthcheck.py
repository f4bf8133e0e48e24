"""collector.healthcheck against real demo exporters on loopback: plain HTTP, and HTTPS with
basic auth from a web config, with the flags given or read from the running exporter's
/proc/PID/cmdline (as the container's HEALTHCHECK does)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
import yaml

from collector.healthcheck import (
    PASSWORD_FILE_ENV,
    PID_ENV,
    USER_ENV,
    HealthcheckError,
    check,
    exporter_argv,
)
from tests.core.certs import make_ca
from tests.e2e.processes import free_port, stop, wait_for

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "probe-password"


@dataclass
class Exporter:
    proc: subprocess.Popen[bytes]
    flags: list[str]
    tmp: Path


def _start(tmp: Path, *web_flags: str) -> Iterator[Exporter]:
    flags = ["--demo", "--web.listen-address", f"127.0.0.1:{free_port()}", *web_flags]
    with (tmp / "exporter.log").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "collector", *flags],
            cwd=tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    exporter = Exporter(proc, flags, tmp)
    try:
        yield exporter
    finally:
        stop(proc)


def _healthy(exporter: Exporter, environ: dict[str, str]) -> str:
    """Wait (bounded) until the check passes; the last reason if it never does."""

    def attempt() -> str | None:
        try:
            return check(exporter.flags, environ)
        except HealthcheckError as exc:
            if "Connection refused" in str(exc):  # still starting
                return None
            raise

    return wait_for("the exporter to listen", attempt, 30, [exporter.proc])


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    yield from _start(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    tmp = tmp_path_factory.mktemp("secure")
    ca = make_ca(tmp)
    server = ca.issue(tmp, "server")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    web_config = {
        "tls_server_config": {"cert_file": server.cert.name, "key_file": server.key.name},
        "basic_auth_users": {"probe": hashed, "prometheus": hashed},
    }
    (tmp / "web.yml").write_text(yaml.safe_dump(web_config), encoding="utf-8")
    (tmp / "password").write_text(PASSWORD + "\n", encoding="utf-8")
    (tmp / "wrong").write_text("not-the-password", encoding="utf-8")
    # A relative path, resolved against the exporter's working directory.
    yield from _start(tmp, "--web.config.file", "web.yml")


@pytest.mark.parametrize(
    ("cmdline", "flags"),
    [
        (b"/opt/venv/bin/python3\0/opt/venv/bin/cdn-exporter\0--demo\0", ["--demo"]),
        (b"/sbin/docker-init\0--\0cdn-exporter\0--config\0/c.yaml\0", ["--config", "/c.yaml"]),
        (b"python3\0-m\0collector\0--demo\0", ["--demo"]),
        (b"cdn-exporter\0", []),
        (b"/bin/sh\0-c\0sleep 1\0", None),
        (b"python3\0collector\0", None),
    ],
)
def test_the_exporters_flags_come_from_its_command_line(
    cmdline: bytes, flags: list[str] | None
) -> None:
    assert exporter_argv(cmdline) == flags


def test_a_plain_exporter_is_checked_over_http(plain: Exporter) -> None:
    port = plain.flags[2].rpartition(":")[2]
    assert _healthy(plain, {}) == f"http://127.0.0.1:{port}/-/healthy: healthy"


def test_https_with_the_probe_users_password(
    secure: Exporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {PASSWORD_FILE_ENV: str(secure.tmp / "password")}
    monkeypatch.chdir(secure.tmp)  # where the exporter resolves web.yml
    assert _healthy(secure, environ).startswith("https://127.0.0.1:")
    # Any user of the web config will do.
    assert check(secure.flags, environ | {USER_ENV: "prometheus"}).endswith("healthy")


def test_https_without_or_with_a_wrong_password_is_unhealthy(
    secure: Exporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(secure.tmp)
    _healthy(secure, {PASSWORD_FILE_ENV: str(secure.tmp / "password")})
    with pytest.raises(HealthcheckError, match=PASSWORD_FILE_ENV):
        check(secure.flags, {})
    with pytest.raises(HealthcheckError, match="HTTP 401"):
        check(secure.flags, {PASSWORD_FILE_ENV: str(secure.tmp / "wrong")})
    # Plain HTTP against the HTTPS port (what the old image's health check did) fails.
    http_only = [f for f in secure.flags if f not in {"--web.config.file", "web.yml"}]
    with pytest.raises(HealthcheckError):
        check(http_only, {})


def test_the_module_reads_the_running_exporters_flags(
    secure: Exporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the container: no arguments, the flags and working directory from /proc."""
    environ = {PASSWORD_FILE_ENV: str(secure.tmp / "password")}
    monkeypatch.chdir(secure.tmp)
    _healthy(secure, environ)
    run = subprocess.run(
        [sys.executable, "-m", "collector.healthcheck"],
        cwd=tmp_path,  # not the exporter's: the relative web.yml must come from /proc
        env=os.environ | environ | {PID_ENV: str(secure.proc.pid)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("https://127.0.0.1:")
    # The health check's own PID is not an exporter: unhealthy, saying why.
    run = subprocess.run(
        [sys.executable, "-m", "collector.healthcheck"],
        env=os.environ | {PID_ENV: "self"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 1
    assert "is not cdn-exporter" in run.stderr


def test_nothing_listening_is_unhealthy() -> None:
    with pytest.raises(HealthcheckError, match="refused"):
        check(["--demo", "--web.listen-address", f"127.0.0.1:{free_port()}"], {})


@pytest.mark.parametrize(("listen", "host"), [("0.0.0.0", "127.0.0.1"), ("[::]", "[::1]")])
def test_the_address_comes_from_the_config_and_a_wildcard_is_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listen: str, host: str
) -> None:
    port = free_port()
    demo = (REPO / "config" / "demo.yaml").read_text(encoding="utf-8")
    (tmp_path / "my.yaml").write_text(f"listen_address: '{listen}:{port}'\n{demo}", "utf-8")
    monkeypatch.chdir(tmp_path)  # a relative --config, as the exporter was given it
    with pytest.raises(HealthcheckError, match=rf"^http://{re.escape(host)}:{port}/-/healthy: "):
        check(["--config", "my.yaml"], {})
    with pytest.raises(HealthcheckError, match="neither --config nor --demo"):
        check(["--log.level", "debug"], {})
