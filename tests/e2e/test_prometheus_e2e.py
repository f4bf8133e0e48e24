"""End to end on loopback: the demo exporter, a real Prometheus with the repo's rules, and a
real Alertmanager with the repo's routing that notifies a local webhook.

Needs the Debian `prometheus` (prometheus, promtool) and `prometheus-alertmanager` packages;
skips with the reason when they are missing. Every wait is bounded; the whole module takes
about 10-15 s and never more than DEADLINE seconds.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.processes import (
    Budget,
    alertmanager_command,
    free_port,
    get,
    popen,
    prometheus_api,
    prometheus_command,
    stop,
    wait_for,
)

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "prometheus" / "rules" / "cdn-exporter.rules.yml"
ALERTMANAGER_YML = REPO / "deploy" / "alertmanager" / "alertmanager.yml"
PROMETHEUS_YML = REPO / "deploy" / "prometheus" / "prometheus.yml"
DEADLINE = 55.0  # seconds for the whole module, setup included
FORCED_ALERT = "CdnBandwidthPeak"
DEMO_PROVIDERS = {"wangsu", "cdnetworks", "volcengine"}


@dataclass
class Webhook:
    """A loopback HTTP server that records Alertmanager's webhook payloads."""

    server: ThreadingHTTPServer
    payloads: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/alerts"


@dataclass
class Stack:
    exporter_url: str
    prometheus_url: str
    alertmanager_url: str
    webhook: Webhook
    metrics_body: bytes
    budget: Budget
    logs: dict[str, Path]

    def tail_logs(self) -> str:
        parts = []
        for name, path in self.logs.items():
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            parts.append(f"--- {name} (last 2000 chars) ---\n{text[-2000:]}")
        return "\n".join(parts)


def _start_webhook() -> Webhook:
    holder: list[Webhook] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            holder[0].payloads.append(payload)
            holder[0].arrived.set()
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    hook = Webhook(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    holder.append(hook)
    threading.Thread(target=hook.server.serve_forever, daemon=True).start()
    return hook


def _exporter_command(port: int) -> list[str]:
    script = shutil.which("cdn-exporter")
    base = [script] if script else [sys.executable, "-m", "collector"]
    return [*base, "--demo", "--web.listen-address", f"127.0.0.1:{port}"]


def _shipped_prometheus_config(rules: Path, alertmanager: str, target: str) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with 1 s intervals, `rules` as its rule file and
    this run's Alertmanager and exporter as its targets."""
    config: dict[str, Any] = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
    config["global"] |= {
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "evaluation_interval": "1s",
    }
    config["rule_files"] = [str(rules)]
    (manager,) = config["alerting"]["alertmanagers"]
    manager["static_configs"] = [{"targets": [alertmanager]}]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "cdn-exporter"]
    job["static_configs"] = [{"targets": [target]}]
    job.pop("scrape_interval", None)
    job.pop("scrape_timeout", None)
    config["scrape_configs"] = [job]  # the alerts match on its job name
    return config


def _test_rules() -> dict[str, Any]:
    """The repo's rules with FORCED_ALERT's threshold at 0 and no `for`, so it fires now."""
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    forced = [r for g in doc["groups"] for r in g["rules"] if r.get("alert") == FORCED_ALERT]
    assert len(forced) == 1, f"{FORCED_ALERT} not in {RULES}"
    rule = forced[0]
    expr, count = re.subn(r">\s*[0-9.e+]+\s*$", "> 0", rule["expr"].strip())
    assert count == 1, f"cannot lower the threshold of {rule['expr']!r}"
    rule["expr"] = expr
    rule["for"] = "0s"
    return dict(doc)


def _alertmanager_config(webhook_url: str) -> dict[str, Any]:
    """The repo's routing and inhibition, with every receiver pointed at the local webhook."""
    config = yaml.safe_load(ALERTMANAGER_YML.read_text(encoding="utf-8"))
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook_url
    config["route"].update(group_wait="0s", group_interval="1s")
    return dict(config)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus = shutil.which("prometheus")
    promtool = shutil.which("promtool")
    alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not (prometheus and promtool and alertmanager):
        pytest.skip(
            "needs prometheus, promtool and alertmanager on PATH "
            "(apt-get install prometheus prometheus-alertmanager)"
        )
    if importlib.util.find_spec("collector.__main__") is None:
        pytest.skip("collector/__main__.py does not exist yet: no `python -m collector --demo`")

    budget = Budget(DEADLINE)
    tmp = tmp_path_factory.mktemp("e2e")
    exporter_port, prom_port, am_port = free_port(), free_port(), free_port()
    webhook = _start_webhook()

    (tmp / "rules.yml").write_text(yaml.safe_dump(_test_rules()), encoding="utf-8")
    (tmp / "alertmanager.yml").write_text(
        yaml.safe_dump(_alertmanager_config(webhook.url)), encoding="utf-8"
    )
    # The shipped prometheus.yml (deploy/compose runs it too), with only the intervals,
    # the rule file, the Alertmanager and the target swapped for this run's.
    prometheus_config = _shipped_prometheus_config(
        tmp / "rules.yml", f"127.0.0.1:{am_port}", f"127.0.0.1:{exporter_port}"
    )
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config), encoding="utf-8")

    logs = {name: tmp / f"{name}.log" for name in ("exporter", "prometheus", "alertmanager")}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["exporter"] = popen(_exporter_command(exporter_port), logs["exporter"], REPO)
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
        exporter_url = f"http://127.0.0.1:{exporter_port}"
        wait_for("exporter /-/ready", lambda: get(f"{exporter_url}/-/ready"), budget.cap(25), procs)
        body = get(f"{exporter_url}/metrics")
        stack = Stack(
            exporter_url=exporter_url,
            prometheus_url=f"http://127.0.0.1:{prom_port}",
            alertmanager_url=f"http://127.0.0.1:{am_port}",
            webhook=webhook,
            metrics_body=body,
            budget=budget,
            logs=logs,
        )
        for name, url in (
            ("prometheus", stack.prometheus_url),
            ("alertmanager", stack.alertmanager_url),
        ):
            ready = f"{url}/-/ready"
            wait_for(f"{name} /-/ready", functools.partial(get, ready), budget.cap(10), procs)

        def target_up() -> bool | None:
            data = prometheus_api(stack.prometheus_url, "/api/v1/targets")
            active = data["activeTargets"]
            return True if active and all(t["health"] == "up" for t in active) else None

        # ~6 s: Prometheus throttles service-discovery updates to one per 5 s.
        wait_for("the exporter target to be up", target_up, budget.cap(20), procs)

        def scraped_thrice() -> bool | None:
            result = prometheus_api(
                stack.prometheus_url,
                "/api/v1/query",
                query='count_over_time(up{job="cdn-exporter"}[1m])',
            )["result"]
            return True if result and float(result[0]["value"][1]) >= 3 else None

        wait_for("three scrapes (rate() needs two samples)", scraped_thrice, budget.cap(10), procs)
        yield stack
    except BaseException:
        for name, path in logs.items():
            if path.exists():
                tail = path.read_text(errors="replace")[-3000:]
                sys.stderr.write(f"--- {name} log ---\n{tail}\n")
        raise
    finally:
        for proc in procs.values():
            stop(proc)
        webhook.server.shutdown()
        webhook.server.server_close()


def test_metrics_pass_promtool_check_metrics(stack: Stack) -> None:
    promtool = shutil.which("promtool")
    assert promtool
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=stack.metrics_body,
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")


def test_metrics_cover_the_demo_accounts(stack: Stack) -> None:
    text = stack.metrics_body.decode()
    for family in ("cdn_bandwidth_bytes_per_second", "cdn_up", "cdn_exporter_build_info"):
        assert re.search(rf"^{family}[{{ ]", text, re.MULTILINE), f"{family} missing"
    for provider in DEMO_PROVIDERS:
        assert f'provider="{provider}"' in text, provider


def test_dashboard_variables_have_values(stack: Stack) -> None:
    providers = prometheus_api(
        stack.prometheus_url, "/api/v1/label/provider/values", **{"match[]": "cdn_up"}
    )
    assert set(providers) >= DEMO_PROVIDERS
    accounts = prometheus_api(
        stack.prometheus_url, "/api/v1/label/account/values", **{"match[]": "cdn_up"}
    )
    assert len(accounts) >= 3
    domains = prometheus_api(
        stack.prometheus_url,
        "/api/v1/label/domain/values",
        **{"match[]": "cdn_bandwidth_bytes_per_second"},
    )
    assert len(domains) >= 4, domains


def test_repo_rules_load_in_prometheus(stack: Stack) -> None:
    groups = prometheus_api(stack.prometheus_url, "/api/v1/rules")["groups"]
    names = {rule["name"] for group in groups for rule in group["rules"]}
    expected = {
        rule.get("alert") or rule.get("record")
        for group in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    }
    assert names == expected
    unhealthy = [
        (rule["name"], rule.get("lastError"))
        for group in groups
        for rule in group["rules"]
        if rule.get("health") == "err"
    ]
    assert not unhealthy


def test_forced_alert_reaches_the_webhook(stack: Stack) -> None:
    def delivered() -> dict[str, Any] | None:
        for payload in list(stack.webhook.payloads):
            for alert in payload.get("alerts", []):
                if alert["labels"].get("alertname") == FORCED_ALERT and alert["status"] == (
                    "firing"
                ):
                    return payload
        return None

    end = time.monotonic() + min(25.0, max(stack.budget.left(), 1.0))
    payload = None
    while payload is None and time.monotonic() < end:
        stack.webhook.arrived.wait(timeout=0.5)
        payload = delivered()
    if payload is None:
        with contextlib.suppress(OSError, AssertionError):
            alerts = prometheus_api(stack.prometheus_url, "/api/v1/alerts")
            pytest.fail(f"no {FORCED_ALERT} notification; Prometheus alerts: {alerts}")
        pytest.fail(f"no {FORCED_ALERT} notification\n{stack.tail_logs()}")
    # Routed by severity through the repo's alertmanager.yml.
    assert payload["receiver"] == "cdn-warning"
    alert = next(a for a in payload["alerts"] if a["labels"]["alertname"] == FORCED_ALERT)
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["provider"] in DEMO_PROVIDERS
    assert alert["labels"]["account"] in alert["annotations"]["summary"]
