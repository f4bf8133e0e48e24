"""Kubernetes manifests: structure, security, probes, ports, and the example config.

Structural checks only (no CRD-less schema validator is installed on purpose);
tests/deploy/test_kustomize.py renders every overlay with `kubectl kustomize`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"
BASE = K8S / "base"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
OPERATOR = K8S / "prometheus-operator"
RULES = REPO / "deploy" / "prometheus" / "rules" / "cdn-exporter.rules.yml"
CONFIG_DIR = "/etc/cdn-exporter"
SECRETS_DIR = "/run/secrets/cdn-exporter"


def _docs(folder: Path) -> dict[str, dict[str, Any]]:
    """Every manifest in `folder` (not kustomization.yaml), keyed by kind."""
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(doc, dict), f"{path.name}: not a mapping"
            assert doc["kind"] not in docs, f"two {doc['kind']} manifests"
            docs[doc["kind"]] = doc | {"_file": path.name}
    return docs


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    """The base's manifests and the example Secret (which no kustomization lists)."""
    return _docs(BASE) | {"Secret": yaml.safe_load(SECRET_EXAMPLE.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


@pytest.fixture(scope="module")
def config_text(manifests: dict[str, dict[str, Any]]) -> str:
    text = manifests["ConfigMap"]["data"]["config.yaml"]
    assert isinstance(text, str)
    return text


@pytest.mark.parametrize("folder", [BASE, OPERATOR], ids=["base", "prometheus-operator"])
def test_manifests_are_namespace_less_and_listed_in_kustomization(folder: Path) -> None:
    docs = _docs(folder)
    assert docs
    for kind, doc in docs.items():
        assert doc["apiVersion"], kind
        assert doc["metadata"]["name"], kind
        assert "namespace" not in doc["metadata"], f"{kind} pins a namespace"
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    assert "namespace" not in kustomization
    listed = set(kustomization["resources"])
    assert listed == {doc["_file"] for doc in docs.values()}


def test_operator_crds_stay_in_their_own_folder(manifests: dict[str, dict[str, Any]]) -> None:
    assert not [k for k, d in manifests.items() if "coreos.com" in d["apiVersion"]]
    assert set(_docs(OPERATOR)) == {"ServiceMonitor", "PrometheusRule"}


def test_exactly_one_replica_with_the_reason(manifests: dict[str, dict[str, Any]]) -> None:
    spec = manifests["Deployment"]["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"]["type"] == "Recreate", "a rolling update runs two pollers at once"
    text = (BASE / manifests["Deployment"]["_file"]).read_text(encoding="utf-8")
    before = text[: text.index("replicas: 1")].splitlines()[-4:]
    assert any("rate limit" in line for line in before if line.strip().startswith("#")), (
        "explain the single replica in a comment right above `replicas: 1`"
    )


def test_runs_as_non_root_with_read_only_root(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    pod_ctx = pod["securityContext"]
    ctx = container["securityContext"]
    assert pod_ctx["runAsNonRoot"] is True
    assert pod_ctx["runAsUser"] != 0
    assert ctx["runAsNonRoot"] is True
    assert ctx.get("runAsUser", 1) != 0
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False


def test_resources_are_set(container: dict[str, Any]) -> None:
    resources = container["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


def test_probes_hit_health_endpoints_on_the_metrics_port(container: dict[str, Any]) -> None:
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, path in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert port_names.get(get["port"], get["port"]) == 10090, probe


def test_service_matches_the_container(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    service = manifests["Service"]
    (port,) = service["spec"]["ports"]
    assert port["name"] == "http-metrics"
    assert port["port"] == 10090
    container_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container_ports.get(port["targetPort"], port["targetPort"]) == 10090
    assert container_ports == {"http-metrics": 10090}
    pod_labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert manifests["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    # The Service name is the job name under the Prometheus Operator; the alerts match on it.
    assert service["metadata"]["name"] == "cdn-exporter"


def test_config_and_secret_mounts(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    config = volumes[mounts[CONFIG_DIR]["name"]]
    assert config["configMap"]["name"] == manifests["ConfigMap"]["metadata"]["name"]
    secret = volumes[mounts[SECRETS_DIR]["name"]]
    assert secret["secret"]["secretName"] == manifests["Secret"]["metadata"]["name"]
    assert mounts[CONFIG_DIR].get("readOnly")
    assert mounts[SECRETS_DIR].get("readOnly")
    args = container.get("args", [])
    assert args == ["--config", f"{CONFIG_DIR}/config.yaml"]


def test_secret_example_is_obviously_fake_and_never_applied(
    manifests: dict[str, dict[str, Any]],
) -> None:
    secret = manifests["Secret"]
    # Applied only on purpose (kubectl apply -f): a build must never overwrite the real one.
    options = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert options["resources"] == ["base"]
    assert "data" not in secret, "use stringData with readable placeholders"
    assert secret["stringData"]
    for key, value in secret["stringData"].items():
        assert "FAKE" in value, key
        assert "replace" in value.lower(), key


def test_config_secrets_are_files_from_the_secret(
    manifests: dict[str, dict[str, Any]], config_text: str
) -> None:
    config = yaml.safe_load(config_text)
    keys = set(manifests["Secret"]["stringData"])
    referenced = set()
    for account in config["accounts"]:
        auth = account["auth"]
        inline = [k for k in auth if k in {"access_key", "secret_key", "api_key", "session_token"}]
        assert not inline, f"{account['name']}: secrets inline in the ConfigMap: {inline}"
        for field, value in auth.items():
            if field.endswith("_file"):
                assert value.startswith(f"{SECRETS_DIR}/"), (account["name"], field)
                referenced.add(value.removeprefix(f"{SECRETS_DIR}/"))
    assert referenced, "the config references no secret files"
    assert referenced == keys, f"config files {referenced} vs Secret keys {keys}"


def test_config_passes_the_exporter_validation(
    manifests: dict[str, dict[str, Any]], config_text: str, tmp_path: Path
) -> None:
    try:
        from collector.config.loading import load_config
    except ImportError as exc:  # pragma: no cover - only before the core lands
        pytest.skip(f"collector.config.loading.load_config is not available yet: {exc}")
    # Materialise the Secret where the config expects it, relocated into tmp_path.
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for key, value in manifests["Secret"]["stringData"].items():
        (secrets / key).write_text(value, encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(config_text.replace(SECRETS_DIR, str(secrets)), encoding="utf-8")
    settings = load_config(path)
    assert {a.provider for a in settings.accounts} == {"wangsu", "cdnetworks", "volcengine"}
    assert settings.listen_address.endswith(":10090")


def test_service_monitor_scrapes_the_service(manifests: dict[str, dict[str, Any]]) -> None:
    monitor = _docs(OPERATOR)["ServiceMonitor"]
    service = manifests["Service"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert endpoint["interval"] == "30s"


def test_prometheus_rule_is_a_copy_of_the_rules_files() -> None:
    rule = _docs(OPERATOR)["PrometheusRule"]
    expected = [
        group
        for rules in (
            RULES,
            RULES.with_name("cdn-errors.rules.yml"),
            RULES.with_name("cdn-billing.rules.yml"),
        )
        for group in yaml.safe_load(rules.read_text(encoding="utf-8"))["groups"]
    ]
    assert rule["spec"]["groups"] == expected, (
        "prometheusrule.yaml is out of date; regenerate it as its header comment says"
    )
