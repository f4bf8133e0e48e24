"""End to end on loopback: lossless high availability with the TSDB doing the merge.

Two exporter processes with one configuration (`slices: true` on flow_request,
`rate_budget_share: 0.5`) poll one emulator; a real Prometheus with an out-of-order window
scrapes their /metrics/slices under one shared instance label, with the shipped
deploy/prometheus/prometheus-ha.yml (targets, rule paths and intervals swapped).
Replica A is killed with SIGKILL mid-run and started again. Afterwards, per domain:

* the stored samples of `cdn_slice_traffic_bytes` are one per 5-minute slice, contiguous,
  and exactly the slices the replicas exposed;
* `sum_over_time` over them equals the emulator's ground truth;
* Prometheus counted no duplicate, out-of-order or out-of-bounds sample and logged none;
* the emulator answered exactly the calls the three process lives made, none throttled,
  and each replica planned with half of every limit.

Needs Debian's `prometheus` (2.39 or later: the out-of-order window); skips without it.
Every wait is a bounded condition wait; the module takes about 20-30 s.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.clock import SystemClock
from collector.demo import account_config
from collector.emulator.core import EmulatedAccount, Emulator
from collector.emulator.truth import wangsu_traffic_bytes
from tests.e2e.processes import Budget, free_port, get, popen, prometheus_api, query, stop, wait_for
from tests.integration.conftest import HEALTH_OFF

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
HA_CONFIG = REPO / "deploy" / "prometheus" / "prometheus-ha.yml"
DEADLINE = 75.0  # seconds for the whole test, setup included
SLICES_JOB = "cdn-exporter-slices"
SHARED_INSTANCE = "cdn-exporter-ha"
ACCOUNT = EmulatedAccount(
    provider="wangsu",
    name="ha-wangsu",
    access_key="HA_AK",
    secret_key="HA_SK_0123456789",
    username="ha-wangsu",
    api_key="HA_APIKEY",
    domains=("www.example.com", "img.example.com", "dl.example.com"),
)
EMULATOR = """
import asyncio, json, sys
from collector.clock import SystemClock
from collector.emulator.core import EmulatedAccount, Emulator
from collector.emulator.server import serve_forever
a = json.loads(sys.argv[2])
account = EmulatedAccount(**{**a, "domains": tuple(a["domains"])})
asyncio.run(serve_forever("127.0.0.1", int(sys.argv[1]), Emulator([account], clock=SystemClock())))
"""
# What Prometheus must never have counted (its own /metrics) nor logged.
REJECTED = (
    "prometheus_target_scrapes_sample_duplicate_timestamp_total",
    "prometheus_target_scrapes_sample_out_of_order_total",
    "prometheus_target_scrapes_sample_out_of_bounds_total",
    "prometheus_tsdb_out_of_order_samples_total",
)
BAD_LOG = re.compile(
    r"out of order|out-of-order|duplicate sample|out of bounds|level=error", re.IGNORECASE
)


def _config(base_url: str) -> dict[str, Any]:
    endpoints = {
        "flow_request": {"slices": True},
        "flow_request_origin": {"enabled": False},
        **HEALTH_OFF,
        "edge_hit_ratio": {"enabled": False},
    }
    return {
        "account_jitter": "0s",
        "readiness_grace": "5m",
        "rate_budget_share": 0.5,
        "accounts": [account_config(ACCOUNT, base_url, endpoints)],
    }


def _prometheus_config(replicas: list[str]) -> dict[str, Any]:
    """deploy/prometheus/prometheus-ha.yml as shipped, with the test's targets, rule paths
    and a 1 s scrape interval."""
    doc: dict[str, Any] = yaml.safe_load(HA_CONFIG.read_text(encoding="utf-8"))
    doc["global"] |= {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
    doc["rule_files"] = [str(HA_CONFIG.parent / path) for path in doc["rule_files"]]
    doc.pop("alerting", None)
    for job in doc["scrape_configs"]:
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        job["static_configs"] = [{"targets": replicas}]
    jobs = {job["job_name"]: job for job in doc["scrape_configs"]}
    assert set(jobs) == {"cdn-exporter", SLICES_JOB}
    relabel = jobs[SLICES_JOB]["metric_relabel_configs"]
    assert {"target_label": "instance", "replacement": SHARED_INSTANCE} in relabel
    return doc


def _metric(body: str, name: str) -> float:
    """Sum of every sample of `name` in a text body (0 when absent)."""
    pattern = re.compile(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(body))


def _calls(body: str) -> float:
    return _metric(body, "cdn_exporter_api_requests_total")


def _slice_ends(body: bytes) -> set[int]:
    """Slice ends (s) of cdn_slice_traffic_bytes in a /metrics/slices body."""
    found = re.findall(rb"^cdn_slice_traffic_bytes\{[^}]*\} \S+ (\d+)$", body, re.MULTILINE)
    return {int(ms) // 1000 for ms in found}


def test_two_replicas_one_killed_store_every_slice_once_and_sum_to_the_truth(
    tmp_path: Path,
) -> None:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("needs prometheus on PATH (apt-get install prometheus)")
    budget = Budget(DEADLINE)
    emulator_port, prom_port = free_port(), free_port()
    ports = {"a": free_port(), "b": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    prometheus_url = f"http://127.0.0.1:{prom_port}"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_config(emulator_url)), encoding="utf-8")
    replicas = [f"127.0.0.1:{port}" for port in ports.values()]
    (tmp_path / "prometheus.yml").write_text(
        yaml.safe_dump(_prometheus_config(replicas)), encoding="utf-8"
    )
    account = {k: getattr(ACCOUNT, k) for k in ("provider", "name", "access_key", "secret_key")}
    account |= {"username": ACCOUNT.username, "api_key": ACCOUNT.api_key}
    account["domains"] = list(ACCOUNT.domains)
    logs = {name: tmp_path / f"{name}.log" for name in ("emulator", "a", "b", "prometheus")}
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def exporter(name: str) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "collector", "--config", str(config),
                "--web.listen-address", f"127.0.0.1:{ports[name]}"]  # fmt: skip
        return popen(args, logs[name])

    def wait(what: str, check: Any, seconds: float) -> Any:
        return wait_for(what, check, budget.cap(seconds), procs)

    try:
        procs["emulator"] = popen(
            [sys.executable, "-c", EMULATOR, str(emulator_port), json.dumps(account)],
            logs["emulator"],
        )
        procs["a"], procs["b"] = exporter("a"), exporter("b")
        procs["prometheus"] = popen(
            [
                prometheus,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                "--storage.tsdb.retention.time=1d",
            ],
            logs["prometheus"],
        )
        for name, url in urls.items():
            wait(f"replica {name} ready", lambda url=url: get(f"{url}/-/ready"), 30)
        exposed: set[int] = set()
        for url in urls.values():
            exposed |= _slice_ends(get(f"{url}/metrics/slices"))
        assert exposed, "no slices exposed"
        wait("prometheus ready", lambda: get(f"{prometheus_url}/-/ready"), 20)

        def stored() -> dict[str, list[tuple[float, float]]]:
            """Per domain, the stored (timestamp, value) samples of the slice traffic."""
            result = query(prometheus_url, "cdn_slice_traffic_bytes[3h]")
            return {
                r["metric"]["domain"]: [(float(t), float(v)) for t, v in r["values"]]
                for r in result
            }

        def has_all(ends: set[int]) -> bool | None:
            by_domain = stored()
            complete = set(by_domain) == set(ACCOUNT.domains) and all(
                {int(t) for t, _ in samples} >= ends for samples in by_domain.values()
            )
            return True if complete else None

        wait("prometheus to store the exposed slices", lambda: has_all(exposed), 30)
        calls_before_kill = _calls(get(f"{urls['a']}/metrics").decode())

        procs["a"].send_signal(signal.SIGKILL)
        procs["a"].wait(timeout=5)
        procs["stopped:a"] = procs.pop("a")

        def a_down() -> bool | None:
            up = query(prometheus_url, f'up{{job="{SLICES_JOB}",instance="{replicas[0]}"}} == 0')
            return True if up else None

        wait("prometheus to see replica a down", a_down, 15)
        procs["a"] = exporter("a")
        wait("replica a ready again", lambda: get(f"{urls['a']}/-/ready"), 30)
        restarted = _slice_ends(get(f"{urls['a']}/metrics/slices"))
        assert restarted, "the restarted replica exposes no slices"
        exposed |= restarted

        def scraped_twice() -> bool | None:
            # Every scrape of the last 3 s of both replicas succeeded.
            ok = query(prometheus_url, f'min_over_time(up{{job="{SLICES_JOB}"}}[3s]) == 1')
            return True if len(ok) == 2 else None

        wait("prometheus to scrape the restarted replica", scraped_twice, 20)
        for url in urls.values():
            exposed |= _slice_ends(get(f"{url}/metrics/slices"))
        wait("prometheus to store every exposed slice", lambda: has_all(exposed), 20)

        # One sample per slice, contiguous, exactly the exposed ones, summing to the truth.
        ends = sorted(exposed)
        assert ends == list(range(ends[0], ends[-1] + 1, 300)), ends
        truth_model = Emulator([ACCOUNT], clock=SystemClock())
        by_domain = stored()
        for domain in ACCOUNT.domains:
            samples = by_domain[domain]
            assert [int(t) for t, _ in samples] == ends, domain
            truth = wangsu_traffic_bytes(truth_model, ACCOUNT.name, domain, ends[0] - 300, ends[-1])
            total = sum(v for _, v in samples)
            assert math.isclose(total, truth, rel_tol=1e-12), (domain, total, truth)
            (summed,) = query(
                prometheus_url,
                f'sum_over_time(cdn_slice_traffic_bytes{{domain="{domain}"}}[3h])',
            )
            assert math.isclose(float(summed["value"][1]), truth, rel_tol=1e-12)
            assert summed["metric"]["instance"] == SHARED_INSTANCE

        own = get(f"{prometheus_url}/metrics").decode()
        for name in REJECTED:
            assert _metric(own, name) == 0, f"{name}: {_metric(own, name)}"
        bad = [line for line in logs["prometheus"].read_text().splitlines() if BAD_LOG.search(line)]
        assert not bad, bad

        # The emulator answered the three process lives' calls, and throttled none.
        bodies = {name: get(f"{url}/metrics").decode() for name, url in urls.items()}
        for body in bodies.values():
            assert "cdn_exporter_rate_budget_share 0.5" in body

        def calls_agree() -> bool | None:
            rows = json.loads(get(f"{emulator_url}/_emulator/calls"))["calls"]
            totals: dict[str, int] = defaultdict(int)
            for row in rows:
                totals["total"] += row["total"]
                totals["throttled"] += row["throttled"]
            assert totals["throttled"] == 0, rows
            lives = calls_before_kill + sum(
                _calls(get(f"{u}/metrics").decode()) for u in urls.values()
            )
            return True if totals["total"] == lives else None

        wait("the emulator's calls to equal the replicas'", calls_agree, 10)
        # Replica b made what one replica makes; with a's two lives the emulator saw more.
        assert _calls(bodies["b"]) >= 1
        settled = prometheus_api(prometheus_url, "/api/v1/targets")["activeTargets"]
        assert {t["health"] for t in settled} == {"up"}
    except BaseException:
        for name, path in logs.items():
            if path.exists():
                sys.stderr.write(
                    f"--- {name} log ---\n{path.read_text(errors='replace')[-2500:]}\n"
                )
        raise
    finally:
        for proc in procs.values():
            stop(proc)
