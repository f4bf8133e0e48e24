"""prometheus-ha.yml: the config for an HA pair of exporters with timestamped slices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
HA_YML = PROMETHEUS / "prometheus-ha.yml"
RULE_FILES = [
    PROMETHEUS / "rules" / n
    for n in (
        "cdn-exporter.rules.yml",
        "cdn-errors.rules.yml",
        "cdn-billing.rules.yml",
        "cdn-slices.rules.yml",
    )
]
TARGETS = ["cdn-exporter-a:10090", "cdn-exporter-b:10090"]
PROMTOOL_HINT = "apt-get install prometheus (Debian ships promtool with it)"


def _config() -> dict[str, Any]:
    doc = yaml.safe_load(HA_YML.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _jobs() -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in _config()["scrape_configs"]}


def _targets(job: dict[str, Any]) -> list[str]:
    return [t for sc in job["static_configs"] for t in sc["targets"]]


@pytest.mark.parametrize("cwd", ["repo root", "elsewhere"])
def test_promtool_check_config(
    require_tool: Callable[[str, str], str], run_tool: Any, cwd: str, tmp_path: Path
) -> None:
    """Valid for promtool (out_of_order_time_window included); rule files resolve relative
    to the config file, whatever the working directory."""
    promtool = require_tool("promtool", PROMTOOL_HINT)
    result = run_tool(
        [promtool, "check", "config", str(HA_YML)], cwd=REPO if cwd == "repo root" else tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 rule files found" in result.stdout + result.stderr


def test_out_of_order_window_covers_the_late_slices() -> None:
    # Slices arrive up to settle delay + re-read + a slice late (~30 min for 5-minute data).
    assert _config()["storage"]["tsdb"]["out_of_order_time_window"] == "2h"


def test_rule_files_are_every_rules_file() -> None:
    files = [(HA_YML.parent / f).resolve() for f in _config()["rule_files"]]
    assert files == [f.resolve() for f in RULE_FILES]


def test_regular_job_scrapes_each_replica_as_its_own_instance() -> None:
    job = _jobs()["cdn-exporter"]  # the alerts match job="cdn-exporter"
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert _targets(job) == TARGETS
    assert not job.get("metric_relabel_configs"), "the regular job keeps per-replica instances"
    assert not job.get("honor_labels")


def test_slices_job_stores_both_replicas_once() -> None:
    job = _jobs()["cdn-exporter-slices"]
    assert job["metrics_path"] == "/metrics/slices"
    assert _targets(job) == TARGETS
    assert job["honor_labels"] is True
    assert job.get("honor_timestamps", True) is True
    (rule,) = job["metric_relabel_configs"]
    assert rule.get("action", "replace") == "replace"
    assert rule["target_label"] == "instance"
    assert rule["replacement"] == "cdn-exporter-ha"
    # No source_labels: the default regex (.*) matches every sample.
    assert not rule.get("source_labels")
    assert not job.get("relabel_configs"), "target relabelling would change `up` too"
