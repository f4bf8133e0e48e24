"""Grafana dashboard and provisioning: structure, units, variables and every PromQL expr.

No Grafana server is installable here, so these are structural checks plus a parse of each
query with promql-parser; tests/e2e runs the same queries against a real Prometheus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.families import CORE_FAMILIES, slice_family
from collector.model import Family
from collector.providers import PROVIDER_NAMES, get_provider
from collector.selfmetrics import SelfMetrics
from tests.deploy.conftest import RunTool

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
DEPLOY_README = REPO / "deploy" / "README.md"
# The table of exported families that are on no dashboard, each with its reason.
OFF_DASHBOARD_HEADER = "| family | why it is on no dashboard |"
OVERVIEW = GRAFANA / "dashboards" / "cdn-overview.json"
HEADLINE_AGE_STAT = "Data age vs expected (worst endpoint)"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# The variant built from the timestamped slices (cdn_slice_*, /metrics/slices).
SLICES_DASHBOARD = "cdn-slices.json"
DATASOURCE_REF = {"${datasource}", "$datasource"}
UNITS = {
    "Bps",
    "decbytes",
    "bytes",
    "percentunit",
    "s",
    "dtdurations",
    "reqps",
    "ops",
    "short",
    "none",
}
# Values that stand in for template variables when parsing: plausible for each slot.
GRAFANA_BUILTINS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__interval_ms": "60000",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_LABEL_VALUES = re.compile(r"^label_values\((?:(.*),)?\s*(\w+)\s*\)$", re.DOTALL)


def _load(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def _variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}


def _substitute(text: str, variables: dict[str, dict[str, Any]]) -> str:
    """Replace Grafana variables by plausible values; unknown variables fail the test."""

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name in GRAFANA_BUILTINS:
            return GRAFANA_BUILTINS[name]
        assert name in variables, f"undefined template variable ${name} in {text!r}"
        variable = variables[name]
        if variable["type"] in {"textbox", "constant"}:
            return str(variable.get("query") or "0")
        if variable["type"] == "interval":
            return "5m"
        return ".*"  # query/custom variables are used inside =~ matchers

    return _VARIABLE.sub(value, text)


def _exprs(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(panel title, expr with variables substituted) for every Prometheus target."""
    variables = _variables(dashboard)
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            assert target.get("expr"), f"panel {panel.get('title')!r}: target without expr"
            yield panel["title"], _substitute(target["expr"], variables)


def _variable_selectors(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    variables = _variables(dashboard)
    for name, variable in variables.items():
        if variable["type"] != "query":
            continue
        query = variable["query"]
        text = query["query"] if isinstance(query, dict) else query
        found = _LABEL_VALUES.match(text.strip())
        assert found, f"variable {name}: expected label_values(metric, label)"
        assert found.group(1), f"variable {name}: label_values() without a metric selector"
        yield name, _substitute(found.group(1), variables)


@pytest.fixture(params=DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def dashboard_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


@pytest.fixture
def dashboard(dashboard_path: Path) -> dict[str, Any]:
    return _load(dashboard_path)


def test_there_are_the_two_dashboards() -> None:
    assert [p.name for p in DASHBOARDS] == ["cdn-overview.json", SLICES_DASHBOARD]


def test_dashboard_uids_differ() -> None:
    uids = [_load(p)["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids)), uids


def test_dashboard_header(dashboard: dict[str, Any]) -> None:
    assert dashboard.get("title")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dashboard.get("uid", "")), "stable uid needed"
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert "id" not in dashboard or dashboard["id"] is None, "exported with an instance id"


def test_panel_ids_are_unique(dashboard: dict[str, Any]) -> None:
    ids = [panel.get("id") for panel in _panels(dashboard)]
    assert all(isinstance(i, int) for i in ids), ids
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {ids}"


def test_grid_positions_fit_24_columns_without_overlap(dashboard: dict[str, Any]) -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:  # top level: what is laid out on screen
        grid = panel["gridPos"]
        x, y, w, h = (grid[k] for k in ("x", "y", "w", "h"))
        assert all(isinstance(v, int) for v in (x, y, w, h)), panel["title"]
        assert min(x, y) >= 0, panel["title"]
        assert min(w, h) >= 1, panel["title"]
        assert x + w <= 24, f"{panel['title']!r} is wider than 24 columns"
        for cell in ((cx, cy) for cx in range(x, x + w) for cy in range(y, y + h)):
            assert cell not in taken, f"{panel['title']!r} overlaps {taken[cell]!r}"
            taken[cell] = panel["title"]


def test_datasource_variable_drives_every_query(dashboard: dict[str, Any]) -> None:
    variables = _variables(dashboard)
    ds = variables.get("datasource")
    assert ds is not None, "no `datasource` template variable"
    assert ds["type"] == "datasource"
    assert ds["query"] == "prometheus"
    for panel in _panels(dashboard):
        if panel["type"] == "row":
            continue
        refs = [panel.get("datasource")] + [t.get("datasource") for t in panel["targets"]]
        for ref in refs:
            uid = ref.get("uid") if isinstance(ref, dict) else None
            assert uid in DATASOURCE_REF, (
                f"panel {panel['title']!r} does not use the datasource variable: {ref}"
            )
    for name, variable in variables.items():
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] in DATASOURCE_REF, name


def test_filter_variables(dashboard: dict[str, Any]) -> None:
    variables = _variables(dashboard)
    for name in ("provider", "account", "domain"):
        assert name in variables, f"missing template variable {name}"
        assert variables[name]["type"] == "query"
        query = variables[name]["query"]
        text = query["query"] if isinstance(query, dict) else query
        assert text.startswith("label_values(")
        assert text.rstrip().endswith(f"{name})")


def test_units_are_known(dashboard: dict[str, Any]) -> None:
    for panel in _panels(dashboard):
        config = panel.get("fieldConfig", {})
        units = [config.get("defaults", {}).get("unit")]
        units += [
            prop["value"]
            for override in config.get("overrides", [])
            for prop in override.get("properties", [])
            if prop["id"] == "unit"
        ]
        for unit in filter(None, units):
            assert unit in UNITS, f"panel {panel['title']!r}: unit {unit!r} not in {UNITS}"


def test_every_stat_sets_its_thresholds(dashboard: dict[str, Any]) -> None:
    """Without thresholds Grafana colours a stat red from 80: every byte rate and age."""
    for panel in _panels(dashboard):
        if panel["type"] == "stat":
            steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps")
            assert steps, f"stat {panel['title']!r} sets no thresholds"
            assert steps[0] == {"color": "green", "value": None}, panel["title"]


def test_every_expr_parses(dashboard: dict[str, Any], selector_names: Any) -> None:
    exprs = list(_exprs(dashboard))
    assert exprs
    for title, expr in exprs:
        try:
            selector_names(expr)
        except ValueError as exc:
            pytest.fail(f"panel {title!r}: {expr!r} does not parse: {exc}")


def test_exprs_use_only_metrics_the_exporter_defines(
    dashboard: dict[str, Any], unknown_metrics: Callable[[str], set[str]]
) -> None:
    problems = {}
    for where, expr in [*_exprs(dashboard), *_variable_selectors(dashboard)]:
        unknown = unknown_metrics(expr)
        if unknown:
            problems[where] = sorted(unknown)
    assert not problems, f"dashboard uses metrics that collector/ does not define: {problems}"


def test_required_panels(
    dashboard: dict[str, Any], dashboard_path: Path, selector_names: Any
) -> None:
    panels = [p for p in _panels(dashboard) if p["type"] != "row"]
    exprs = [t["expr"] for p in panels for t in p["targets"]]

    def panels_using(metric: str) -> list[dict[str, Any]]:
        found = []
        for panel in panels:
            exprs = [_substitute(t["expr"], _variables(dashboard)) for t in panel["targets"]]
            if any(metric in selector_names(e) for e in exprs):
                found.append(panel)
        return found

    def unit(panel: dict[str, Any]) -> str:
        return str(panel["fieldConfig"]["defaults"].get("unit"))

    if dashboard_path.name == SLICES_DASHBOARD:
        _required_slice_panels(panels, exprs, panels_using, unit)
        return
    for family in CORE_FAMILIES:
        assert panels_using(family.name), f"no panel shows {family.name}"
    assert any(unit(p) == "Bps" for p in panels_using("cdn_bandwidth_bytes_per_second"))
    assert all(unit(p) == "percentunit" for p in panels_using("cdn_cache_hit_ratio"))
    assert any("time() - cdn_data_timestamp_seconds" in e for e in exprs), "no data-age panel"
    assert panels_using("cdn_exporter_api_requests_total")
    assert any(p["type"] == "table" for p in panels_using("cdn_up"))
    assert panels_using("account:cdn_bandwidth_bytes_per_second:p95_30d")
    assert any("increase(cdn_traffic_bytes_total" in e for e in exprs), (
        "no traffic-per-period panel"
    )
    live_rows = [p for p in dashboard["panels"] if p["type"] == "row" and "Live" in p["title"]]
    assert live_rows, "no Volcengine Live row"
    assert any(n.startswith("cdn_live_") for p in panels for n in _panel_metrics(p, dashboard))


def _required_slice_panels(
    panels: list[dict[str, Any]],
    exprs: list[str],
    panels_using: Callable[[str], list[dict[str, Any]]],
    unit: Callable[[dict[str, Any]], str],
) -> None:
    """The slices dashboard: every core family as a slice family, read the way slices must
    be read (they are 15-25 min old and arrive late)."""
    for family in CORE_FAMILIES:
        name = slice_family(family).name
        assert panels_using(name), f"no panel shows {name}"
    assert not any(re.search(r"\bcdn_(?!slice_)[a-z0-9_]+\{", e) for e in exprs), (
        "the slices dashboard mixes in regular families"
    )
    bandwidth = panels_using("cdn_slice_bandwidth_bytes_per_second")
    assert any(unit(p) == "Bps" for p in bandwidth)
    assert all(unit(p) == "percentunit" for p in panels_using("cdn_slice_cache_hit_ratio"))
    # Gauge-like slices ("now"): last_over_time, a plain selector's 5m lookback finds nothing.
    for name in ("cdn_slice_bandwidth_bytes_per_second", "cdn_slice_cache_hit_ratio"):
        for panel in panels_using(name):
            for target in panel["targets"]:
                if name in target["expr"]:
                    assert f"last_over_time({name}" in target["expr"], panel["title"]
    # Totals: sum_over_time over a window that ended before the late slices arrive.
    sums = [e for e in exprs if "sum_over_time(cdn_slice_" in e]
    assert any("sum_over_time(cdn_slice_traffic_bytes" in e for e in sums), "no traffic total"
    for expr in sums:
        assert re.search(r"\] offset 1h\)", expr), f"total without `offset 1h`: {expr}"
    traffic_panels = panels_using("cdn_slice_traffic_bytes")
    assert any(p["type"] == "table" and "domain" in p["targets"][0]["expr"] for p in traffic_panels)
    p95 = panels_using("account:cdn_slice_bandwidth_bytes_per_second:p95_30d")
    assert any("$commit" in t["expr"] for p in p95 for t in p["targets"]), "no P95 vs commit"
    # Data age: timestamp() must see the samples themselves (timestamp(last_over_time(...))
    # is the evaluation time, so that age would always be 0).
    assert any(
        "time() - max(max_over_time(timestamp(cdn_slice_traffic_bytes" in e for e in exprs
    ), "no data-age panel"
    assert not any("timestamp(last_over_time(" in e for e in exprs)


def _panel_metrics(panel: dict[str, Any], dashboard: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for target in panel.get("targets", []):
        names.update(re.findall(r"\bcdn_[a-z0-9_]+", target["expr"]))
    return names


def test_every_live_family_of_the_exporter_is_on_the_dashboard(
    dashboard: dict[str, Any], dashboard_path: Path, exporter_metric_names: frozenset[str]
) -> None:
    shown: set[str] = set()
    for panel in _panels(dashboard):
        shown |= _panel_metrics(panel, dashboard)
    # exporter_metric_names holds the slice families too (slice_family over the catalog).
    prefix = "cdn_slice_live_" if dashboard_path.name == SLICES_DASHBOARD else "cdn_live_"
    live = {n for n in exporter_metric_names if n.startswith(prefix)}
    assert live, "collector/ defines no cdn_live_* family yet"
    missing = live - shown - set(_off_dashboard())
    assert not missing, f"Live families missing from the dashboard: {sorted(missing)}"


def _off_dashboard() -> dict[str, str]:
    """deploy/README.md's table of exported families on no dashboard: family -> reason."""
    text = DEPLOY_README.read_text(encoding="utf-8")
    assert OFF_DASHBOARD_HEADER in text, f"{DEPLOY_README}: no {OFF_DASHBOARD_HEADER!r} table"
    table = text.split(OFF_DASHBOARD_HEADER, 1)[1].split("\n\n", 1)[0]
    reasons: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        names, reason = line.strip("|").split("|", 1)
        for name in re.findall(r"`([a-z0-9_]+)`", names):
            assert name not in reasons, f"{name} is in the table twice"
            reasons[name] = reason.strip()
    return reasons


def _exported_families() -> dict[str, Family | None]:
    """Every family the exporter exports: the families of every catalog declaration (what
    `cdn-exporter --list-endpoints` lists), by name, and the cdn_exporter_* self-metrics
    (None: they have no slice family)."""
    families: dict[str, Family | None] = {
        measure.family.name: measure.family
        for name in PROVIDER_NAMES
        for spec in get_provider(name).catalog.values()
        for measure in spec.shape.measures
    }
    for metric in SelfMetrics().registry.collect():
        if metric.name.startswith("cdn_exporter_"):
            suffix = "_total" if metric.type == "counter" else ""
            families[metric.name + suffix] = None
    return families


def _dashboard_selectors(selector_names: Callable[[str], set[str]]) -> set[str]:
    """The metric names every query and variable of both dashboards selects."""
    names: set[str] = set()
    for path in DASHBOARDS:
        dashboard = _load(path)
        for _, expr in [*_exprs(dashboard), *_variable_selectors(dashboard)]:
            names |= selector_names(expr)
    return names


def test_every_exported_family_is_on_a_dashboard_or_says_why_not(
    selector_names: Callable[[str], set[str]],
) -> None:
    """A family counts as shown when a dashboard query selects it (a histogram through its
    series, a family through its timestamped slices); otherwise deploy/README.md's table
    must say why it is on none. A new family needs a panel or a row there."""
    families = _exported_families()
    selected = _dashboard_selectors(selector_names)

    def shown(name: str, family: Family | None) -> bool:
        series = {name, *(name + suffix for suffix in ("_bucket", "_sum", "_count"))}
        return bool(series & selected) or (
            family is not None and slice_family(family).name in selected
        )

    off = _off_dashboard()
    missing = sorted(n for n, f in families.items() if not shown(n, f) and n not in off)
    assert not missing, (
        "exported families on no dashboard query and not in the table "
        f"{OFF_DASHBOARD_HEADER!r} of deploy/README.md: {missing}"
    )
    slices = {slice_family(f).name: f for f in families.values() if f is not None}
    for name in off:
        assert name in families or name in slices, f"the table lists {name}, not exported"
        assert not shown(name, families.get(name)), (
            f"{name} is on a dashboard: remove it from the table"
        )


_ALERT_NAME = re.compile(r"\bCdn[A-Z][A-Za-z0-9]+")
_NUMBER = r"(?<![\w.]){}(?![\w.])"


def test_descriptions_quote_the_rules_of_the_alerts_they_name(
    dashboard: dict[str, Any], every_rule: list[dict[str, Any]]
) -> None:
    """A description naming an alert quotes every number of its expression and its `for`,
    so a threshold changed in the rules cannot leave a stale one on the dashboard."""
    alerts = {rule["alert"]: rule for rule in every_rule if "alert" in rule}
    for panel in _panels(dashboard):
        description = panel.get("description", "")
        for name in set(_ALERT_NAME.findall(description)):
            assert name in alerts, f"{panel['title']!r} names {name}, which is no alert"
            rule = alerts[name]
            expr = re.sub(r"#.*", "", rule["expr"])  # TUNE: comments
            numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])", expr))
            quoted = {n for n in numbers if re.search(_NUMBER.format(re.escape(n)), description)}
            assert quoted == numbers, (
                f"{panel['title']!r} names {name} without its numbers {sorted(numbers - quoted)}"
            )
            assert "for" not in rule or rule["for"] in description, (
                f"{panel['title']!r} names {name} without its `for: {rule['for']}`"
            )


def _data_stale_factor(all_rules: list[dict[str, Any]]) -> float:
    (rule,) = [r for r in all_rules if r.get("alert") == "CdnDataStale"]
    found = re.search(r"\(\s*([0-9.]+)\s*\*\s*cdn_exporter_expected_data_age_seconds", rule["expr"])
    assert found, f"CdnDataStale no longer multiplies the expected age: {rule['expr']!r}"
    return float(found.group(1))


def _headline_age_stat() -> dict[str, Any]:
    (stat,) = [p for p in _panels(_load(OVERVIEW)) if p["title"] == HEADLINE_AGE_STAT]
    return stat


def test_headline_data_age_stat_is_green_below_1_and_red_at_the_alert_factor(
    all_rules: list[dict[str, Any]], selector_names: Callable[[str], set[str]]
) -> None:
    stat = _headline_age_stat()
    assert stat["type"] == "stat"
    steps = stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[0] == {"color": "green", "value": None}
    assert steps[1]["value"] == 1, "green must end where the age reaches its expected age"
    assert steps[-1] == {"color": "red", "value": _data_stale_factor(all_rules)}
    (target,) = stat["targets"]
    assert selector_names(_substitute(target["expr"], _variables(_load(OVERVIEW)))) == {
        "cdn_data_timestamp_seconds",
        "cdn_exporter_expected_data_age_seconds",
    }


def _age_series(endpoint: str, instance: str, age: int, expected: int, now: int) -> list[Any]:
    labels = f'provider="wangsu", account="a", endpoint="{endpoint}", instance="{instance}"'
    return [
        {"series": f"cdn_data_timestamp_seconds{{{labels}}}", "values": f"{now - age}x130"},
        {
            "series": f"cdn_exporter_expected_data_age_seconds{{{labels}}}",
            "values": f"{expected}x130",
        },
    ]


@pytest.mark.parametrize(
    ("flow_request_age", "ratio", "color"),
    [(1200, 0.8, "green"), (4500, 3.0, "red")],
    ids=["healthy", "late"],
)
def test_headline_data_age_stat_on_promtool_series(
    tmp_path: Path,
    require_tool: Callable[[str, str], str],
    run_tool: RunTool,
    all_rules: list[dict[str, Any]],
    flow_request_age: int,
    ratio: float,
    color: str,
) -> None:
    """The stat's own query over two replicas' series of a 5-minute and a daily endpoint,
    evaluated by promtool: the worst ratio, green when healthy, red when one is late (late
    enough that CdnDataStale's condition holds too)."""
    promtool = require_tool("promtool", "apt-get install prometheus")
    now = 7200
    stat = _headline_age_stat()
    expr = _substitute(stat["targets"][0]["expr"], _variables(_load(OVERVIEW)))
    series = []
    for instance in ("a:10090", "b:10090"):
        series += _age_series("flow_request", instance, flow_request_age, 1500, now)
        series += _age_series("client_country", instance, 30000, 90000, now)
    tests = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        "expr": expr,
                        "eval_time": f"{now}s",
                        "exp_samples": [{"labels": "{}", "value": ratio}],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "stat.test.yml"
    path.write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = run_tool([promtool, "test", "rules", str(path)], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    shown = [step["color"] for step in steps if step["value"] is None or ratio >= step["value"]]
    assert shown[-1] == color
    stale = flow_request_age > _data_stale_factor(all_rules) * 1500 + 900
    assert stale == (color == "red")


def test_provisioning_files() -> None:
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "cdn-exporter.yaml").read_text("utf-8")
    )
    assert datasources["apiVersion"] == 1
    assert [d["type"] for d in datasources["datasources"]] == ["prometheus"]
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "cdn-exporter.yaml").read_text("utf-8")
    )
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")
