"""Alertmanager config: amtool validation, severity routing, and the exporter-down inhibition."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ALERTMANAGER_YML = REPO / "deploy" / "alertmanager" / "alertmanager.yml"
AMTOOL_HINT = "apt-get install prometheus-alertmanager (Debian ships amtool with it)"
_MATCHER = re.compile(r'^\s*(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _config() -> dict[str, Any]:
    doc = yaml.safe_load(ALERTMANAGER_YML.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    """Evaluate Alertmanager matcher strings (`name="v"`, `name=~"re"`, ...) on labels."""
    for text in matchers:
        found = _MATCHER.match(text)
        assert found, f"cannot read matcher {text!r}"
        name, op, value = found.groups()
        actual = labels.get(name, "")
        ok = {
            "=": actual == value,
            "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None,
            "!~": re.fullmatch(value, actual) is None,
        }[op]
        if not ok:
            return False
    return True


def test_amtool_check_config(require_tool: Callable[[str, str], str], run_tool: Any) -> None:
    amtool = require_tool("amtool", AMTOOL_HINT)
    result = run_tool([amtool, "check-config", str(ALERTMANAGER_YML)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("severity", "receiver"), [("critical", "cdn-critical"), ("warning", "cdn-warning")]
)
def test_routes_by_severity(
    require_tool: Callable[[str, str], str], run_tool: Any, severity: str, receiver: str
) -> None:
    amtool = require_tool("amtool", AMTOOL_HINT)
    result = run_tool(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER_YML}",
            "alertname=CdnApiFailing",
            f"severity={severity}",
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [receiver]


def test_every_rule_severity_has_a_route(all_rules: list[dict[str, Any]]) -> None:
    routed = set()
    for route in _config()["route"].get("routes", []):
        for matcher in route.get("matchers", []):
            found = _MATCHER.match(matcher)
            if found and found.group(1) == "severity" and found.group(2) == "=":
                routed.add(found.group(3))
    used = {rule["labels"]["severity"] for rule in all_rules if "alert" in rule}
    assert used <= routed, f"severities without a route: {sorted(used - routed)}"


def test_webhook_receivers_are_placeholders() -> None:
    urls = [
        hook["url"]
        for receiver in _config()["receivers"]
        for hook in receiver.get("webhook_configs", [])
    ]
    assert urls
    # The reserved .invalid TLD never resolves: nothing is sent before someone edits it.
    assert all(".invalid/" in url for url in urls), urls


def test_exporter_down_inhibits_every_other_alert(all_rules: list[dict[str, Any]]) -> None:
    rules = [
        rule
        for rule in _config().get("inhibit_rules", [])
        if _matches(rule.get("source_matchers", []), {"alertname": "CdnExporterDown"})
    ]
    assert len(rules) == 1, "expected one inhibit rule with CdnExporterDown as its source"
    targets = rules[0]["target_matchers"]
    for rule in all_rules:
        if "alert" not in rule:
            continue
        labels = {"alertname": rule["alert"], **rule.get("labels", {})}
        inhibited = _matches(targets, labels)
        assert inhibited == (rule["alert"] != "CdnExporterDown"), rule["alert"]
