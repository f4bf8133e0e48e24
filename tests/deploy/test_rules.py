"""Prometheus config and rules: promtool checks, unit-test coverage, naming, metric names."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_YML = REPO / "deploy" / "prometheus" / "prometheus.yml"
RULES = REPO / "deploy" / "prometheus" / "rules" / "cdn-exporter.rules.yml"
RULES_TEST = RULES.with_name("cdn-exporter.rules.test.yml")
SLICE_RULES = RULES.with_name("cdn-slices.rules.yml")
ERROR_RULES = RULES.with_name("cdn-errors.rules.yml")
ERROR_RULES_TEST = RULES.with_name("cdn-errors.rules.test.yml")
# Every rules file and its promtool unit-test file: the checks below run on each pair.
RULE_FILES = {
    RULES.name: (RULES, RULES_TEST),
    SLICE_RULES.name: (SLICE_RULES, RULES.with_name("cdn-slices.rules.test.yml")),
    "cdn-billing.rules.yml": (
        RULES.with_name("cdn-billing.rules.yml"),
        RULES.with_name("cdn-billing.rules.test.yml"),
    ),
    ERROR_RULES.name: (ERROR_RULES, ERROR_RULES_TEST),
}
PROMTOOL_HINT = "apt-get install prometheus (Debian ships promtool with it)"
SEVERITIES = {"critical", "warning", "info"}
# level:metric:operations (prometheus docs/practices/rules.md)
RECORD_NAME = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z0-9_]+$")


@pytest.fixture(params=sorted(RULE_FILES), scope="module")
def rule_files(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    """(rules file, its unit-test file), once per rules file."""
    return RULE_FILES[request.param]


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path}: not a mapping"
    return doc


def _rules_of(path: Path) -> list[dict[str, Any]]:
    groups = _load(path).get("groups")
    assert groups, f"{path}: no rule groups"
    return [rule for group in groups for rule in group["rules"]]


def _alerts(all_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for rule in all_rules if "alert" in rule]


def _rule_tests(path: Path = RULES_TEST) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = _load(path)["tests"]
    return tests


def test_promtool_check_rules(
    require_tool: Callable[[str, str], str], run_tool: Any, rule_files: tuple[Path, Path]
) -> None:
    promtool = require_tool("promtool", PROMTOOL_HINT)
    result = run_tool([promtool, "check", "rules", str(rule_files[0])])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass(
    require_tool: Callable[[str, str], str], run_tool: Any, rule_files: tuple[Path, Path]
) -> None:
    promtool = require_tool("promtool", PROMTOOL_HINT)
    result = run_tool([promtool, "test", "rules", str(rule_files[1])])
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_load_the_real_rules_file(rule_files: tuple[Path, Path]) -> None:
    rules, rules_test = rule_files
    files = [(rules_test.parent / f).resolve() for f in _load(rules_test)["rule_files"]]
    assert files == [rules.resolve()]


def test_every_alert_has_a_firing_and_a_silent_test(all_rules: list[dict[str, Any]]) -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for case in _rule_tests():
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in _alerts(all_rules)}
    assert names, "no alerts in the rules file"
    assert not names - firing, f"alerts without a firing test: {sorted(names - firing)}"
    assert not names - silent, f"alerts without a not-firing test: {sorted(names - silent)}"
    assert not (firing | silent) - names, "tests for alerts that do not exist"


def test_every_recording_rule_has_an_expression_test(rule_files: tuple[Path, Path]) -> None:
    rules, rules_test = rule_files
    tested = " ".join(
        check["expr"]
        for case in _rule_tests(rules_test)
        for check in case.get("promql_expr_test", [])
    )
    records = {rule["record"] for rule in _rules_of(rules) if "record" in rule}
    assert records, f"{rules.name}: no recording rules"
    untested = {name for name in records if not re.search(rf"{re.escape(name)}\b", tested)}
    assert not untested, f"recording rules without a promql_expr_test: {sorted(untested)}"


def test_required_alerts_exist(all_rules: list[dict[str, Any]]) -> None:
    names = {rule["alert"] for rule in _alerts(all_rules)}
    required = {
        "CdnExporterDown",
        "CdnApiFailing",
        "CdnDataStale",
        "CdnApiThrottled",
        "CdnApiAuthFailure",
        "CdnBandwidthPeak",
        "CdnBilling95thPercentileHigh",
        "CdnCacheHitRatioLow",
        "CdnExporterShardCountMismatch",
        "CdnExporterShardMissing",
    }
    assert required <= names, f"missing alerts: {sorted(required - names)}"


def test_alerts_have_severity_and_templated_annotations(all_rules: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for rule in _alerts(all_rules):
        name = rule["alert"]
        assert name not in seen, f"duplicate alert {name}"
        seen.add(name)
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        assert {"summary", "description"} <= annotations.keys(), name
        assert "{{" in annotations["summary"] + annotations["description"], (
            f"{name}: annotations should name the affected target via {{{{ $labels.* }}}}"
        )


def test_recording_rule_names_follow_level_metric_operations(
    rule_files: tuple[Path, Path],
) -> None:
    bad = [rule["record"] for rule in _rules_of(rule_files[0]) if "record" in rule]
    bad = [name for name in bad if not RECORD_NAME.match(name)]
    assert not bad, f"recording rules not named level:metric:operations: {bad}"


def test_rules_reference_only_exporter_metrics(
    rule_files: tuple[Path, Path], unknown_metrics: Callable[[str], set[str]]
) -> None:
    problems = {}
    for rule in _rules_of(rule_files[0]):
        unknown = unknown_metrics(rule["expr"])
        if unknown:
            problems[rule.get("alert") or rule.get("record")] = sorted(unknown)
    assert not problems, f"rules use metrics that collector/ does not define: {problems}"


def test_p95_estimate_is_a_30d_quantile_of_a_5m_resampling(
    all_rules: list[dict[str, Any]], rules_doc: dict[str, Any]
) -> None:
    by_name = {rule.get("record"): rule for rule in all_rules}
    p95 = by_name["account:cdn_bandwidth_bytes_per_second:p95_30d"]["expr"]
    assert re.search(r"quantile_over_time\(\s*0\.95\s*,.*\[30d\]\)", p95), p95
    billing = next(
        g
        for g in rules_doc["groups"]
        if any(
            r.get("record") == "account:cdn_bandwidth_bytes_per_second:p95_30d" for r in g["rules"]
        )
    )
    assert billing.get("interval") == "5m"
    assert "CAVEAT" in RULES.read_text(encoding="utf-8")


@pytest.mark.parametrize("cwd", ["repo root", "elsewhere"])
def test_promtool_check_config(
    require_tool: Callable[[str, str], str], run_tool: Any, cwd: str, tmp_path: Path
) -> None:
    """Rule files resolve relative to prometheus.yml, whatever the working directory."""
    promtool = require_tool("promtool", PROMTOOL_HINT)
    where = REPO if cwd == "repo root" else tmp_path
    result = run_tool([promtool, "check", "config", str(PROMETHEUS_YML)], cwd=where)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 rule files found" in result.stdout + result.stderr


def test_prometheus_config_scrapes_the_exporter() -> None:
    config = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    # The alerts match job="cdn-exporter".
    assert "cdn-exporter" in jobs
    job = jobs["cdn-exporter"]
    assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "30s"
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    assert any(t.endswith(":10090") for t in targets), targets
    rule_files = [PROMETHEUS_YML.parent / f for f in config["rule_files"]]
    # Every alerting rules file; the slice rules only where /metrics/slices is scraped (HA).
    expected = [RULES, ERROR_RULES, RULES.with_name("cdn-billing.rules.yml")]
    assert [f.resolve() for f in rule_files] == [f.resolve() for f in expected]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert 'job="cdn-exporter"' in RULES.read_text(encoding="utf-8")


def test_slice_sums_look_back_past_the_late_slices() -> None:
    """Slices arrive settle delay + re-read (< 1h) late, but rules evaluate at "now": a sum
    or quantile over them must end an hour back, and its range must not count a boundary
    slice twice (Prometheus 2.x ranges include both ends)."""
    by_name = {rule["record"]: rule["expr"] for rule in _rules_of(SLICE_RULES)}
    for name, expr in by_name.items():
        if re.search(r"\b(sum|quantile)_over_time\(", expr):
            assert re.search(r"\boffset 1h\b", expr), f"{name}: no `offset 1h`: {expr}"
        if "sum_over_time(" in expr:
            assert "[59m59s999ms]" in expr, f"{name}: range would count a slice twice: {expr}"
    p95 = by_name["account:cdn_slice_bandwidth_bytes_per_second:p95_30d"]
    assert re.search(r"quantile_over_time\(\s*0\.95\s*,.*\[30d:5m\]", p95, re.DOTALL), p95
    (billing,) = (
        group
        for group in _load(SLICE_RULES)["groups"]
        if any(rule.get("record", "").endswith(":p95_30d") for rule in group["rules"])
    )
    assert billing.get("interval") == "1h"


def test_error_rules_alerts_are_tested_firing_and_silent() -> None:
    """cdn-errors.rules.yml: each alert (a name may come twice, once per severity, like
    the page and ticket burn-rate alerts) has a firing and a not-firing test, a severity
    and templated annotations."""
    alerts = _alerts(_rules_of(ERROR_RULES))
    tiers = [(rule["alert"], rule.get("labels", {}).get("severity")) for rule in alerts]
    assert len(set(tiers)) == len(tiers), f"an alert repeats a severity: {tiers}"
    for rule in alerts:
        assert rule.get("labels", {}).get("severity") in SEVERITIES, rule["alert"]
        annotations = rule.get("annotations", {})
        assert {"summary", "description"} <= annotations.keys(), rule["alert"]
        assert "{{ $labels." in annotations["summary"], rule["alert"]
    firing: set[tuple[str, str]] = set()
    silent: set[str] = set()
    for case in _rule_tests(ERROR_RULES_TEST):
        for check in case.get("alert_rule_test", []):
            expected = check.get("exp_alerts")
            if not expected:
                silent.add(check["alertname"])
            for alert in expected or []:
                firing.add((check["alertname"], alert["exp_labels"]["severity"]))
    assert set(tiers) <= firing, f"untested tiers: {sorted(set(tiers) - firing)}"
    assert {name for name, _ in tiers} <= silent
    names = {name for name, _ in tiers}
    assert names == {
        "CdnErrorBudgetBurn",
        "CdnOriginFailing",
        "CdnOriginSlow",
        "CdnCertificateExpiring",
    }


def test_burn_rate_alerts_read_the_one_slo_objective() -> None:
    """The objective is set once (a recording rule); the page and ticket alerts use the
    SRE workbook's window pairs and burn rates against it, never a literal ratio."""
    rules = _rules_of(ERROR_RULES)
    objective = [r for r in rules if r.get("record") == "cdn:slo_objective:ratio"]
    assert len(objective) == 1
    assert re.fullmatch(r"vector\(0\.999\)", objective[0]["expr"].strip())
    burns = {
        rule["labels"]["urgency"]: rule["expr"]
        for rule in rules
        if rule.get("alert") == "CdnErrorBudgetBurn"
    }
    pairs = {"page": [("1h", "5m", "14.4"), ("6h", "30m", "6")],
             "ticket": [("1d", "2h", "3"), ("3d", "6h", "1")]}  # fmt: skip
    for urgency, windows in pairs.items():
        expr = burns[urgency]
        for long, short, rate in windows:
            for window in (long, short):
                threshold = rf"{re.escape(rate)} \* \(1 - scalar\(cdn:slo_objective:ratio\)\)"
                assert re.search(rf"ratio_rate{window} > {threshold}", expr), (urgency, window)
        assert "0.999" not in expr
