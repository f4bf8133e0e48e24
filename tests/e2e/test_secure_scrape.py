"""A real Prometheus scrapes the demo exporter over HTTPS with basic auth, on loopback: the
hardened setup of the README works with Prometheus' own TLS and auth client. A job with
the wrong password is refused (401) and a job without the CA fails the handshake.

Needs the Debian `prometheus` package; skips when it is missing. Every wait is bounded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from tests.core.certs import make_ca
from tests.e2e.processes import free_port, query

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "scrape-password"


def _targets(prometheus: str) -> dict[str, dict[str, Any]]:
    with urllib.request.urlopen(f"{prometheus}/api/v1/targets", timeout=3) as response:
        doc = json.loads(response.read())
    return {t["labels"]["job"]: t for t in doc["data"]["activeTargets"]}


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("needs prometheus on PATH (apt-get install prometheus)")
    tmp = tmp_path_factory.mktemp("secure")
    ca = make_ca(tmp)
    server = ca.issue(tmp, "server")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    web_config = {
        "tls_server_config": {"cert_file": server.cert.name, "key_file": server.key.name},
        "basic_auth_users": {"prometheus": hashed},
    }
    (tmp / "web.yml").write_text(yaml.safe_dump(web_config), encoding="utf-8")
    (tmp / "password").write_text(PASSWORD, encoding="utf-8")
    (tmp / "wrong").write_text("not-the-password", encoding="utf-8")
    exporter_port, prom_port = free_port(), free_port()
    target = {"targets": [f"127.0.0.1:{exporter_port}"]}
    tls = {"ca_file": str(ca.path)}

    def job(name: str, **extra: Any) -> dict[str, Any]:
        return {"job_name": name, "scheme": "https", "static_configs": [target], **extra}

    config = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [
            job(
                "secure",
                tls_config=tls,
                basic_auth={"username": "prometheus", "password_file": str(tmp / "password")},
            ),
            job(
                "wrong-password",
                tls_config=tls,
                basic_auth={"username": "prometheus", "password_file": str(tmp / "wrong")},
            ),
            job(
                "untrusted",
                basic_auth={"username": "prometheus", "password_file": str(tmp / "password")},
            ),
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    logs = [tmp / "exporter.log", tmp / "prometheus.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with logs[0].open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "collector", "--demo", "--web.config.file",
                     str(tmp / "web.yml"), "--web.listen-address", f"127.0.0.1:{exporter_port}"],
                    cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        with logs[1].open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [prometheus, f"--config.file={tmp / 'prometheus.yml'}",
                     f"--web.listen-address=127.0.0.1:{prom_port}",
                     f"--storage.tsdb.path={tmp / 'data'}", "--storage.tsdb.retention.time=1h"],
                    cwd=tmp, stdout=out, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        url = f"http://127.0.0.1:{prom_port}"
        end = time.monotonic() + 40
        last: object = None
        while time.monotonic() < end:
            for proc in procs:
                if proc.poll() is not None:
                    pytest.fail(f"{proc.args[0]} exited with {proc.returncode}")
            try:
                found = _targets(url)
                last = found
                settled = len(found) == 3 and all(t["health"] != "unknown" for t in found.values())
                up = settled and found["secure"]["health"] == "up"
                if up and query(url, 'cdn_up{job="secure"}'):
                    yield found
                    return
            except (OSError, ValueError, KeyError) as exc:
                last = exc
            time.sleep(0.2)
        pytest.fail(f"the secure job did not come up with data: {last!r}")
    except BaseException:
        for path in logs:
            if path.exists():
                sys.stderr.write(
                    f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}\n"
                )
        raise
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def test_prometheus_scrapes_over_https_with_basic_auth(targets: dict[str, dict[str, Any]]) -> None:
    assert targets["secure"]["health"] == "up", targets["secure"]["lastError"]


def test_a_wrong_password_is_refused(targets: dict[str, dict[str, Any]]) -> None:
    assert targets["wrong-password"]["health"] == "down"
    assert "401" in targets["wrong-password"]["lastError"]


def test_a_scraper_without_the_ca_fails_the_handshake(targets: dict[str, dict[str, Any]]) -> None:
    assert targets["untrusted"]["health"] == "down"
    assert "certificate" in targets["untrusted"]["lastError"]
