"""deploy/kubernetes/sharded: the kustomize Component that turns the exporter's Deployment
into a StatefulSet of shards behind a headless Service. Its pods must take their shard from
their pod name, its replicas must equal --total-shards, and apart from the shard flags its
pod must be the base Deployment's pod."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.config.loading import load_config
from collector.sharding import Sharding, resolve_shard
from tests.deploy.conftest import Kustomize

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"
SHARDED = K8S / "sharded"
OPERATOR = K8S / "prometheus-operator"
SECRETS_DIR = "/run/secrets/cdn-exporter"


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _built(kustomize: Kustomize, folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    result = kustomize(folder)
    assert result.returncode == 0, result.stderr
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(result.stdout)}


@pytest.fixture(scope="module")
def sharded(kustomize: Kustomize) -> dict[tuple[str, str], dict[str, Any]]:
    return _built(kustomize, K8S / "overlays" / "sharded")


@pytest.fixture(scope="module")
def statefulset(sharded: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    return sharded[("StatefulSet", "cdn-exporter")]


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def _flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_the_component_lists_its_files() -> None:
    component = _load(SHARDED / "kustomization.yaml")
    assert component["kind"] == "Component"
    listed = set(component.get("resources", [])) | {p["path"] for p in component["patches"]}
    assert listed == {p.name for p in SHARDED.glob("*.yaml")} - {"kustomization.yaml"}


def test_replicas_equal_total_shards_and_the_shard_comes_from_the_pod_name(
    statefulset: dict[str, Any],
) -> None:
    spec = statefulset["spec"]
    container = _container(statefulset)
    args = container["args"]
    assert _flag(args, "--shard") == "auto"
    total = int(_flag(args, "--total-shards"))
    assert spec["replicas"] == total > 1
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    # Pods cdn-exporter-0 ... cdn-exporter-(N-1): one shard each, all of them.
    name = statefulset["metadata"]["name"]
    shards = [resolve_shard("auto", {"POD_NAME": f"{name}-{i}"}, "") for i in range(total)]
    assert shards == list(range(total))
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}
    assert "strategy" not in spec


def test_the_pod_is_the_deployments_apart_from_the_shard_flags(
    statefulset: dict[str, Any], kustomize: Kustomize
) -> None:
    deployment = _built(kustomize, K8S)[("Deployment", "cdn-exporter")]
    ours = copy.deepcopy(statefulset["spec"]["template"])
    theirs = copy.deepcopy(deployment["spec"]["template"])
    (mine,) = ours["spec"]["containers"]
    (base,) = theirs["spec"]["containers"]
    assert mine["args"] == [*base["args"], "--shard", "auto", "--total-shards", "3"]
    assert [e for e in mine["env"] if e["name"] != "POD_NAME"] == base["env"]
    for container in (mine, base):
        del container["args"], container["env"]
    assert ours == theirs
    assert statefulset["spec"]["selector"] == deployment["spec"]["selector"]
    assert statefulset["metadata"]["labels"] == deployment["metadata"]["labels"]
    assert mine["image"].endswith(":0.1.0")  # the base's `images:` applies


def test_the_service_is_headless_and_governs_the_statefulset(
    sharded: dict[tuple[str, str], dict[str, Any]], statefulset: dict[str, Any]
) -> None:
    assert {kind for kind, _ in sharded} == {"ConfigMap", "Service", "StatefulSet"}
    service = sharded[("Service", "cdn-exporter")]
    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == service["metadata"]["name"]
    pod = statefulset["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    # The prometheus-operator ServiceMonitor scrapes every pod through the headless Service.
    monitor = _load(OPERATOR / "servicemonitor.yaml")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def test_the_example_config_splits_across_the_shards(
    statefulset: dict[str, Any], tmp_path: Path
) -> None:
    """The base ConfigMap's config validates with --total-shards N, and its accounts fall on
    exactly one shard each."""
    configmap = _load(K8S / "base" / "configmap.yaml")
    secret = _load(K8S / "secret.example.yaml")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for key, value in secret["stringData"].items():
        (secrets / key).write_text(value, encoding="utf-8")
    path = tmp_path / "config.yaml"
    text = configmap["data"]["config.yaml"].replace(SECRETS_DIR, str(secrets))
    path.write_text(text, encoding="utf-8")
    total = int(_flag(_container(statefulset)["args"], "--total-shards"))
    config = load_config(path)
    assert Sharding(0, total).problems(config) == []
    owned = [a.name for i in range(total) for a in Sharding(i, total).select(config).accounts]
    # Every account once; with three example accounts a shard may well have none.
    assert sorted(owned) == sorted(a.name for a in config.accounts)
