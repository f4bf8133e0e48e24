"""End to end on loopback: every query of both Grafana dashboards returns data against the
demo on a real Prometheus.

`cdn-exporter --demo` is scraped by a real Prometheus (Debian's 2.42) running the shipped
deploy/prometheus/prometheus-ha.yml, which scrapes /metrics and /metrics/slices and loads
both rules files (and cdn-errors.rules.yml, which deployments add themselves), with the
demo as its one target, 1 s intervals (rule groups included, so the 5m/1h recording rules
have values within seconds) and an out-of-order window wide enough for the demo's daily
slices. Each template variable is resolved the way Grafana resolves "All": the values its
label_values() query finds, as a regex. Then every target of every panel of
cdn-overview.json and cdn-slices.json must return data, and the data-age stats of both must
be green on the healthy demo. (That the overview's turns red when an endpoint is late is
checked on promtool series in tests/deploy/test_dashboards.py: here the demo runs on the
real clock, and a late endpoint takes its expected age to show.)

Needs the Debian `prometheus` package; skips without it. Every wait is bounded; the
module takes about 10-20 s and never more than DEADLINE seconds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.processes import Budget, free_port, get, popen, prometheus_api, query, stop, wait_for

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
HA_CONFIG = REPO / "deploy" / "prometheus" / "prometheus-ha.yml"
DASHBOARD_DIR = REPO / "deploy" / "grafana" / "dashboards"
DASHBOARDS = sorted(DASHBOARD_DIR.glob("*.json"))
HEADLINE_AGE_STAT = "Data age vs expected (worst endpoint)"
DEADLINE = 90.0  # seconds for the whole module, setup included
# The demo's daily Volcengine slices (transcode, audit, time_shift) are up to a day plus
# their settle delay plus the two-day re-read old: prometheus-ha.yml's comment says to
# widen the window for daily slices, which the demo turns on.
OUT_OF_ORDER_WINDOW = "3d"
# Grafana's built-ins, for 1 s scrapes: $__rate_interval is at least four scrapes.
GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_LABEL_VALUES = re.compile(r"^label_values\((.*),\s*(\w+)\s*\)$", re.DOTALL)

Panel = dict[str, Any]


def _panels(dashboard: dict[str, Any]) -> Iterator[Panel]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _substitute(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        assert name in values, f"undefined variable ${name} in {text!r}"
        return values[name]

    return _VARIABLE.sub(value, text)


def _regex_literal(value: str) -> str:
    """`value` as a literal inside a PromQL regex string, escaped as Grafana does it (the
    backslash itself doubled for the string)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\\\1", value)


def _variable_values(dashboard: dict[str, Any], prometheus_url: str) -> dict[str, str]:
    """Each variable as Grafana sends it with "All" selected: query variables become the
    regex of the values their label_values() finds (which must not be empty)."""
    values = dict(GRAFANA_BUILTINS)
    for variable in dashboard["templating"]["list"]:
        name, kind = variable["name"], variable["type"]
        if kind in {"textbox", "constant"}:
            values[name] = str(variable["query"])
        elif kind == "query":
            raw = variable["query"]
            text = raw["query"] if isinstance(raw, dict) else raw
            found = _LABEL_VALUES.match(text.strip())
            assert found, f"variable {name}: {text!r} is not label_values(selector, label)"
            selector, label = _substitute(found.group(1), values), found.group(2)
            series = prometheus_api(prometheus_url, "/api/v1/series", **{"match[]": selector})
            options = sorted({s[label] for s in series if label in s})
            assert options, f"variable {name}: no {label} values for {selector}"
            values[name] = "(" + "|".join(_regex_literal(o) for o in options) + ")"
    return values


def _targets(dashboard: dict[str, Any], values: dict[str, str]) -> list[tuple[str, str]]:
    """(panel title, expr) of every target of every panel, variables resolved."""
    return [
        (panel["title"], _substitute(target["expr"], values))
        for panel in _panels(dashboard)
        for target in panel.get("targets", [])
    ]


def _prometheus_config(target: str, rule_files: list[str]) -> dict[str, Any]:
    """The shipped HA configuration scraping the one demo exporter every second."""
    doc: dict[str, Any] = yaml.safe_load(HA_CONFIG.read_text(encoding="utf-8"))
    doc["global"] |= {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
    doc["storage"]["tsdb"]["out_of_order_time_window"] = OUT_OF_ORDER_WINDOW
    doc["rule_files"] = rule_files
    doc.pop("alerting", None)
    for job in doc["scrape_configs"]:
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        job["static_configs"] = [{"targets": [target]}]
    assert {job["job_name"] for job in doc["scrape_configs"]} == {
        "cdn-exporter",
        "cdn-exporter-slices",
    }
    return doc


def _fast_rules(path: Path) -> dict[str, Any]:
    """A shipped rules file with every group evaluated every second."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in doc["groups"]:
        group["interval"] = "1s"
    return doc


@pytest.fixture(scope="module")
def budget() -> Budget:
    return Budget(DEADLINE)


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory, budget: Budget) -> Iterator[str]:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("needs prometheus on PATH (apt-get install prometheus)")
    tmp = tmp_path_factory.mktemp("dashboards-e2e")
    exporter_port, prom_port = free_port(), free_port()
    rule_files = []
    config = yaml.safe_load(HA_CONFIG.read_text(encoding="utf-8"))
    # Every rules file the HA config loads (the overview's "Errors and origin" and
    # "Billing" rows read the error and billing recording rules).
    for relative in config["rule_files"]:
        copy = tmp / Path(relative).name
        copy.write_text(yaml.safe_dump(_fast_rules(HA_CONFIG.parent / relative)), "utf-8")
        rule_files.append(str(copy))
    prometheus_yml = _prometheus_config(f"127.0.0.1:{exporter_port}", rule_files)
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(prometheus_yml), encoding="utf-8")
    logs = {name: tmp / f"{name}.log" for name in ("exporter", "prometheus")}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    exporter = [sys.executable, "-m", "collector", "--demo"]
    try:
        procs["exporter"] = popen(
            [*exporter, "--web.listen-address", f"127.0.0.1:{exporter_port}"], logs["exporter"]
        )
        procs["prometheus"] = popen(
            [
                prometheus,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                f"--storage.tsdb.path={tmp / 'prom-data'}",
                "--storage.tsdb.retention.time=4d",
            ],
            logs["prometheus"],
        )
        url = f"http://127.0.0.1:{prom_port}"
        ready = f"http://127.0.0.1:{exporter_port}/-/ready"
        wait_for("exporter /-/ready", lambda: get(ready), budget.cap(30), procs)
        wait_for("prometheus /-/ready", lambda: get(f"{url}/-/ready"), budget.cap(15), procs)

        def both_jobs_scraped_thrice() -> bool | None:
            counts = query(url, "count_over_time(up[1m]) >= 3 and up == 1")
            return True if len(counts) == 2 else None

        # ~6 s: Prometheus throttles service-discovery updates to one per 5 s.
        wait_for("three good scrapes of both jobs", both_jobs_scraped_thrice, budget.cap(25), procs)
        yield url
    except BaseException:
        for name, path in logs.items():
            if path.exists():
                tail = path.read_text(errors="replace")[-3000:]
                sys.stderr.write(f"--- {name} log ---\n{tail}\n")
        raise
    finally:
        for proc in procs.values():
            stop(proc)


def _empty_targets(prometheus_url: str) -> list[str]:
    """The dashboards' targets (and variables) that return no data or that Prometheus
    rejects."""
    empty = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        try:
            values = _variable_values(dashboard, prometheus_url)
        except AssertionError as exc:
            empty.append(f"{path.name}: {exc}")
            continue
        for title, expr in _targets(dashboard, values):
            try:
                if not query(prometheus_url, expr):
                    empty.append(f"{path.name} / {title}: {expr}")
            except AssertionError as exc:
                empty.append(f"{path.name} / {title}: rejected: {exc}")
    return empty


def test_every_query_of_both_dashboards_returns_data(prometheus_url: str, budget: Budget) -> None:
    # The recording rules need two evaluations and rate() two scrapes: wait, bounded.
    last: list[list[str]] = []

    def all_have_data() -> bool | None:
        last[:] = [_empty_targets(prometheus_url)]
        return True if not last[0] else None

    try:
        wait_for("every dashboard query to return data", all_have_data, budget.cap(25), [])
    except pytest.fail.Exception:
        pytest.fail("queries without data:\n" + "\n".join(last[0] if last else ["(none ran)"]))


@pytest.mark.parametrize(
    ("dashboard_name", "title"),
    [("cdn-overview.json", HEADLINE_AGE_STAT), ("cdn-slices.json", "Data age")],
)
def test_data_age_stats_are_green_on_the_healthy_demo(
    prometheus_url: str, dashboard_name: str, title: str
) -> None:
    dashboard = json.loads((DASHBOARD_DIR / dashboard_name).read_text(encoding="utf-8"))
    (stat,) = [p for p in _panels(dashboard) if p["title"] == title]
    steps = stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[0]["color"] == "green"
    green_below = steps[1]["value"]
    values = _variable_values(dashboard, prometheus_url)
    ((_, expr),) = _targets({"panels": [stat]}, values)
    result = query(prometheus_url, expr)
    assert result, f"{title}: no data"
    value = float(result[0]["value"][1])
    assert 0 < value < green_below, f"{title} = {value}, not green (< {green_below})"
