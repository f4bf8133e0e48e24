"""Alertmanager config: amtool validation, severity routing, and the exporter-down inhibition."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.processes import free_port, stop, wait_for

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


def _inhibited(target: dict[str, str], firing: list[dict[str, str]]) -> bool:
    """Whether Alertmanager's inhibit rules mute `target` while `firing` alerts fire: a rule
    applies when a firing alert (not the target itself) matches its source matchers, the
    target its target matchers, and both have the same value (or both none) for every
    `equal` label."""
    for rule in _config().get("inhibit_rules", []):
        if not _matches(rule.get("target_matchers", []), target):
            continue
        for source in firing:
            if source == target or not _matches(rule.get("source_matchers", []), source):
                continue
            if all(source.get(n, "") == target.get(n, "") for n in rule.get("equal", [])):
                return True
    return False


def _down(instance: str, account: str) -> dict[str, str]:
    """CdnExporterDown of a target that served `account` (the rule's labels)."""
    return {
        "alertname": "CdnExporterDown",
        "severity": "critical",
        "job": "cdn-exporter",
        "instance": instance,
        "provider": "wangsu",
        "account": account,
    }


def _alert_labels(rule: dict[str, Any], account: str) -> dict[str, str]:
    """The labels an alert rule's alert has for `account`; job-wide alerts (whose texts
    name no account) have none."""
    labels = {"alertname": rule["alert"], **rule.get("labels", {}), "job": "cdn-exporter"}
    if "$labels.account" in str(rule["annotations"]):
        labels |= {"provider": "wangsu", "account": account}
    return labels


def test_every_inhibition_has_an_equal() -> None:
    rules = _config()["inhibit_rules"]
    assert rules
    for rule in rules:
        assert rule.get("equal"), "an inhibit rule without `equal` mutes every target"


def test_a_down_shard_mutes_its_own_accounts_only(all_rules: list[dict[str, Any]]) -> None:
    """Shard 1 (account b) is down: b's alerts are consequences, a's are not; the job-wide
    shard alerts are consequences too."""
    firing = [_down("cdn-exporter-1:10090", "b")]
    checked = 0
    for rule in all_rules:
        if "alert" not in rule or rule["alert"] == "CdnExporterDown":
            continue
        own, other = _alert_labels(rule, "b"), _alert_labels(rule, "a")
        assert _inhibited(own, firing), rule["alert"]
        if "account" in other:
            assert not _inhibited(other, firing), f"{rule['alert']} of another account muted"
            checked += 1
    assert checked >= 5
    # The down target's own alerts (one per account) are never muted.
    assert not _inhibited(firing[0], [*firing, _down("cdn-exporter-0:10090", "a")])


def test_a_down_target_of_unknown_accounts_mutes_no_account() -> None:
    """Down for over a day or never up: no account is known, so no account's alert is muted,
    only the job-wide ones."""
    firing = [{"alertname": "CdnExporterDown", "severity": "critical", "job": "cdn-exporter"}]
    failing = {"alertname": "CdnApiFailing", "severity": "warning", "provider": "wangsu"}
    assert not _inhibited(failing | {"account": "a", "job": "cdn-exporter"}, firing)
    shard_missing = {"alertname": "CdnExporterShardMissing", "job": "cdn-exporter"}
    assert _inhibited(shard_missing | {"severity": "critical"}, firing)
    assert not _inhibited(shard_missing | {"job": "other", "severity": "critical"}, firing)


def _post_alerts(url: str, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels} for labels in alerts]).encode()
    request = urllib.request.Request(
        f"{url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def _states(url: str) -> dict[tuple[str, str], str]:
    """(alertname, account) -> "unprocessed", "active" or "suppressed"."""
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as answer:
        alerts = json.loads(answer.read())
    states = {
        (a["labels"]["alertname"], a["labels"].get("account", "")): a["status"]["state"]
        for a in alerts
    }
    return states


def test_a_real_alertmanager_mutes_the_down_shards_accounts_only(
    tmp_path: Path, require_tool: Callable[[str, str], str]
) -> None:
    """The shipped config in a real Alertmanager on loopback (receivers pointed at a closed
    local port): shard 1 (account b) is down; b's alert and the job-wide one are suppressed,
    account a's alert stays active."""
    alertmanager = shutil.which("prometheus-alertmanager") or require_tool(
        "alertmanager", AMTOOL_HINT
    )
    config = _config()
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"http://127.0.0.1:{free_port()}/"
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "alertmanager.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                alertmanager,
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                f"--storage.path={tmp_path / 'data'}",
            ],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    expected = {
        ("CdnExporterDown", "b"): "active",
        ("CdnApiFailing", "b"): "suppressed",
        ("CdnApiFailing", "a"): "active",
        ("CdnExporterShardMissing", ""): "suppressed",
    }
    try:
        wait_for("alertmanager", lambda: urllib.request.urlopen(f"{url}/-/ready"), 20, [proc])
        failing = {"alertname": "CdnApiFailing", "severity": "warning", "provider": "wangsu"}
        missing = {"alertname": "CdnExporterShardMissing", "severity": "critical"}
        _post_alerts(
            url,
            [
                _down("cdn-exporter-1:10090", "b"),
                failing | {"account": "b", "job": "cdn-exporter"},
                failing | {"account": "a", "job": "cdn-exporter"},
                missing | {"job": "cdn-exporter"},
            ],
        )
        # The inhibitor takes in the source alert on its own schedule: poll (bounded) until
        # the states settle on what is expected, and compare the last ones if they never do.
        end = time.monotonic() + 15
        states = _states(url)
        while states != expected and time.monotonic() < end:
            assert proc.poll() is None, "alertmanager exited"
            time.sleep(0.2)
            states = _states(url)
    finally:
        stop(proc)
    assert states == expected
