"""deploy/kubernetes/ha: the kustomize Component that runs two replicas of the Deployment for
high availability. Replicas times the budget share they plan with must stay within the
published limits, also during a rollout; the slices ServiceMonitor must scrape
/metrics/slices under one shared instance and a job of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"
HA = K8S / "ha"
OPERATOR_HA = K8S / "prometheus-operator" / "ha"


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_the_component_lists_its_files() -> None:
    component = _load(HA / "kustomization.yaml")
    assert component["kind"] == "Component"
    listed = set(component["resources"]) | {p["path"] for p in component["patches"]}
    assert listed == {p.name for p in HA.glob("*.yaml")} - {"kustomization.yaml"}
    # The guard that fails a build with ../sharded (tests/deploy/test_kustomize.py runs it).
    guard = yaml.safe_load((HA / "deployment-only.yaml").read_text(encoding="utf-8"))
    assert guard == [{"op": "test", "path": "/kind", "value": "Deployment"}]
    operator = _load(OPERATOR_HA / "kustomization.yaml")
    assert set(operator["resources"]) == {p.name for p in OPERATOR_HA.glob("*.yaml")} - {
        "kustomization.yaml"
    }


def test_replicas_times_the_budget_share_never_exceed_the_limit() -> None:
    patch = _load(HA / "deployment-patch.yaml")
    spec = patch["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    share = float(env["CDN_EXPORTER_RATE_BUDGET_SHARE"])
    rollout = spec["strategy"]["rollingUpdate"]
    most_pods = spec["replicas"] + int(rollout["maxSurge"])
    assert spec["replicas"] == 2
    assert most_pods * share <= 1.0, "a rollout would run more pollers than the limit carries"
    base = _load(K8S / "base" / "deployment.yaml")
    assert patch["metadata"]["name"] == base["metadata"]["name"]
    (base_container,) = base["spec"]["template"]["spec"]["containers"]
    assert container["name"] == base_container["name"]
    pdb = _load(HA / "poddisruptionbudget.yaml")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"] == base["spec"]["selector"]


def test_the_slices_monitor_merges_both_replicas_under_one_instance() -> None:
    monitor = _load(OPERATOR_HA / "servicemonitor-slices.yaml")
    regular = _load(K8S / "prometheus-operator" / "servicemonitor.yaml")
    assert monitor["spec"]["selector"] == regular["spec"]["selector"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics/slices"
    assert endpoint["honorLabels"] is True
    assert endpoint["honorTimestamps"] is True
    # `up` of this path gets a job of its own; the samples one instance for both pods.
    assert {"targetLabel": "job", "replacement": "cdn-exporter-slices"} in endpoint["relabelings"]
    assert endpoint["metricRelabelings"] == [
        {"targetLabel": "instance", "replacement": "cdn-exporter-ha"}
    ]
