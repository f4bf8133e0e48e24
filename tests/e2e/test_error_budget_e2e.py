"""End to end on loopback: a burst of 5xx injected into the emulator's status-code data
makes `CdnErrorBudgetBurn` (page) fire on a real Prometheus running
deploy/prometheus/rules/cdn-errors.rules.yml, reach a real Alertmanager (its API and its
webhook), and resolve once the burst is over.

What is scaled, and nothing else: time. The exporter and the emulator run on a virtual
clock paced at PACE (60) virtual seconds per real second (tests/e2e/paced_exporter.py:
one 5-minute status slice every 5 real seconds, settled 2 virtual minutes after it
ends). The rules are the repo's file with every range window (`[5m]`, `[1h]`, ... `[3d]`)
and every `for:` divided by the same PACE (`[5m]` -> `[5s]`, `[1h]` -> `[60s]`); the
expressions, thresholds, burn-rate factors and the SLO objective are unchanged. The burst
is one 5-minute slice (5 real seconds) at 50 % 503s on one domain: the 1h/5m and 6h/30m
page conditions hold, and the alert resolves when the scaled 30m window (30 s) no longer
holds the burst.

Needs the Debian `prometheus` and `prometheus-alertmanager` packages; skips without them.
Every wait is bounded; the module takes about a minute and never more than DEADLINE.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_dashboards import OVERVIEW, _exprs, _load
from tests.e2e.processes import (
    Budget,
    alertmanager_command,
    free_port,
    get,
    popen,
    prometheus_command,
    query,
    stop,
    wait_for,
)
from tests.e2e.test_prometheus_e2e import (
    Webhook,
    _alertmanager_config,
    _start_webhook,
)

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "prometheus" / "rules" / "cdn-errors.rules.yml"
ROW = "Errors and origin"
# The row's panels this stack fills (it polls edge status codes only); the others must run.
FILLED = {"Edge 5xx ratio by domain", "Edge 5xx ratio by account", "Edge responses by status class"}
DEADLINE = 90.0
PACE = 60  # virtual seconds per real second, in the exporter and in the rules
DOMAIN = "www.example.com"
ALERT = "CdnErrorBudgetBurn"
PAGE = f'ALERTS{{alertname="{ALERT}", severity="critical", domain="{DOMAIN}"}}'
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW = re.compile(r"\[(\d+)([smhd])\]")


def scaled(duration: str) -> str:
    """A Prometheus duration (`5m`, `3d`) divided by PACE, in whole seconds (at least 1)."""
    found = re.fullmatch(r"(\d+)([smhd])", duration)
    assert found, duration
    return f"{max(1, int(found[1]) * _UNIT[found[2]] // PACE)}s"


def scaled_rules() -> dict[str, Any]:
    """The repo's error rules with every range window and `for:` divided by PACE."""
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    count = 0
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule["expr"], n = _WINDOW.subn(lambda m: f"[{scaled(m[1] + m[2])}]", str(rule["expr"]))
            count += n
            if "for" in rule:
                rule["for"] = scaled(rule["for"])
    assert count >= 16, "the burn-rate windows were not found"
    return dict(doc)


@dataclass
class Stack:
    exporter_url: str
    emulator_url: str
    prometheus_url: str
    alertmanager_url: str
    webhook: Webhook
    budget: Budget
    procs: dict[str, subprocess.Popen[bytes]]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus = shutil.which("prometheus")
    alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not (prometheus and alertmanager):
        pytest.skip("needs prometheus and alertmanager (apt-get install prometheus "
                    "prometheus-alertmanager)")  # fmt: skip
    budget = Budget(DEADLINE)
    tmp = tmp_path_factory.mktemp("burn")
    exporter_port, emulator_port, prom_port, am_port = (free_port() for _ in range(4))
    webhook = _start_webhook()
    (tmp / "rules.yml").write_text(yaml.safe_dump(scaled_rules()), encoding="utf-8")
    (tmp / "alertmanager.yml").write_text(
        yaml.safe_dump(_alertmanager_config(webhook.url)), encoding="utf-8"
    )
    prometheus_config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp / "rules.yml")],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]
        },
        "scrape_configs": [
            {
                "job_name": "cdn-exporter",
                "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
            }
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config), encoding="utf-8")
    logs = {name: tmp / f"{name}.log" for name in ("exporter", "prometheus", "alertmanager")}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["exporter"] = popen(
            [sys.executable, "-m", "tests.e2e.paced_exporter", "--port", str(exporter_port),
             "--emulator-port", str(emulator_port), "--pace", str(PACE)],
            logs["exporter"],
            REPO,
        )  # fmt: skip
        procs["alertmanager"] = popen(
            alertmanager_command(alertmanager, tmp / "alertmanager.yml", am_port, tmp / "am-data"),
            logs["alertmanager"],
            tmp,
        )
        procs["prometheus"] = popen(
            prometheus_command(prometheus, tmp / "prometheus.yml", prom_port, tmp / "prom-data"),
            logs["prometheus"],
            tmp,
        )
        stack = Stack(
            exporter_url=f"http://127.0.0.1:{exporter_port}",
            emulator_url=f"http://127.0.0.1:{emulator_port}",
            prometheus_url=f"http://127.0.0.1:{prom_port}",
            alertmanager_url=f"http://127.0.0.1:{am_port}",
            webhook=webhook,
            budget=budget,
            procs=procs,
        )
        for name, url in (
            ("exporter", stack.exporter_url),
            ("prometheus", stack.prometheus_url),
            ("alertmanager", stack.alertmanager_url),
        ):
            ready = f"{url}/-/ready"
            wait_for(f"{name} /-/ready", functools.partial(get, ready), budget.cap(20), procs)
        yield stack
    except BaseException:
        for name, path in logs.items():
            if path.exists():
                sys.stderr.write(
                    f"--- {name} log ---\n{path.read_text(errors='replace')[-3000:]}\n"
                )
        raise
    finally:
        for proc in procs.values():
            stop(proc)
        webhook.server.shutdown()
        webhook.server.server_close()


def _post(url: str, payload: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _firing(stack: Stack) -> bool:
    return any(s["metric"].get("alertstate") == "firing" for s in query(stack.prometheus_url, PAGE))


def _in_alertmanager(stack: Stack) -> list[dict[str, Any]]:
    alerts = json.loads(get(f"{stack.alertmanager_url}/api/v2/alerts"))
    return [
        a
        for a in alerts
        if a["labels"].get("alertname") == ALERT
        and a["labels"].get("severity") == "critical"
        and a["labels"].get("domain") == DOMAIN
        and a["status"]["state"] == "active"
    ]


def _delivered(stack: Stack, status: str) -> bool:
    return any(
        alert["status"] == status
        and alert["labels"].get("alertname") == ALERT
        and alert["labels"].get("domain") == DOMAIN
        for payload in stack.webhook.payloads
        for alert in payload.get("alerts", [])
    )


def test_a_5xx_burst_fires_the_page_alert_and_it_resolves(stack: Stack) -> None:
    budget, procs = stack.budget, stack.procs

    def ratios() -> bool | None:
        found = query(stack.prometheus_url, "domain:cdn_http_responses_5xx:ratio_rate1h")
        return True if found else None

    wait_for("the 5xx ratio recording rule to have data", ratios, budget.cap(30), procs)
    assert not _firing(stack), "the page alert fires before any burst"

    burst = _post(f"{stack.emulator_url}/_emulator/error-bursts",
                  {"seconds": 300, "share": 0.5, "domain": DOMAIN})  # fmt: skip
    assert burst["bursts"], burst

    wait_for("CdnErrorBudgetBurn (page) to fire in Prometheus",
             lambda: _firing(stack) or None, budget.cap(30), procs)  # fmt: skip
    wait_for("Alertmanager to hold it", lambda: _in_alertmanager(stack) or None,
             budget.cap(10), procs)  # fmt: skip
    wait_for("the page webhook to receive it", lambda: _delivered(stack, "firing") or None,
             budget.cap(10), procs)  # fmt: skip
    # The other domain had no burst: no page for it.
    other = query(stack.prometheus_url, f'ALERTS{{alertname="{ALERT}", domain!="{DOMAIN}"}}')
    assert other == [], other

    wait_for("CdnErrorBudgetBurn (page) to resolve in Prometheus",
             lambda: (not _firing(stack)) or None, budget.cap(45), procs)  # fmt: skip
    wait_for("Alertmanager to see it resolved", lambda: (not _in_alertmanager(stack)) or None,
             budget.cap(10), procs)  # fmt: skip
    wait_for("the webhook to receive the resolution",
             lambda: _delivered(stack, "resolved") or None, budget.cap(10), procs)  # fmt: skip


def _row_titles() -> set[str]:
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/cdn-overview.json").read_text())
    titles: set[str] = set()
    inside = False
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            inside = panel["title"] == ROW
        elif inside:
            titles.add(panel["title"])
    return titles


def test_every_query_of_the_errors_row_runs(stack: Stack) -> None:
    """The "Errors and origin" row's queries on this Prometheus (the error rules loaded,
    windows scaled): each runs, and those over the edge status counters have data."""
    titles = _row_titles()
    assert titles > FILLED, titles
    exprs = [(title, expr) for title, expr in _exprs(_load(OVERVIEW)) if title in titles]
    assert len(exprs) >= len(titles)
    filled = [(title, expr) for title, expr in exprs if title in FILLED]

    def all_filled() -> bool | None:
        # A recording rule's newest sample may trail a loaded machine by a few seconds.
        empty = [f"{t}: {e}" for t, e in filled if not query(stack.prometheus_url, e)]
        assert not empty, empty
        return True

    wait_for("the edge status queries to have data", all_filled, stack.budget.cap(20), stack.procs)
    for _, expr in exprs:
        query(stack.prometheus_url, expr)  # every other query of the row runs
