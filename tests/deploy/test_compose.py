"""deploy/compose/compose.yaml: the local stack's structure (no Docker here). Every file it
mounts exists and lands where the service's flags and configs look for it; the Alertmanager
config and the rules it mounts are the very files the end-to-end tests run."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from collector.accountconfig import parse_listen_address
from tests.e2e import test_dashboards_e2e, test_prometheus_e2e

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose" / "compose.yaml"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    doc = _load(COMPOSE)
    assert set(doc["services"]) == {"exporter", "prometheus", "alertmanager", "grafana"}
    declared = set(doc.get("volumes", {}))
    for name, service in doc["services"].items():
        # Loopback only, and the shipped configs' localhost addresses reach each other.
        assert service["network_mode"] == "host", name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared, f"{name}: undeclared volume {source}"
    services: dict[str, dict[str, Any]] = doc["services"]
    return services


def _mounts(service: dict[str, Any]) -> dict[PurePosixPath, Path]:
    """Container path -> host path of each bind mount (relative to the compose file)."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            mounts[PurePosixPath(target)] = (COMPOSE.parent / source).resolve()
    return mounts


def _host_path(service: dict[str, Any], container_path: PurePosixPath) -> Path:
    """Where `container_path` comes from on the host, through the service's bind mounts."""
    for target, source in _mounts(service).items():
        if container_path == target or target in container_path.parents:
            return source / container_path.relative_to(target)
    raise AssertionError(f"{container_path} is not mounted")


def _flag(service: dict[str, Any], name: str) -> str:
    (value,) = [a.partition("=")[2] for a in service["command"] if a.startswith(f"{name}=")]
    return value


def test_every_mounted_path_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, source in _mounts(service).items():
            assert source.exists(), f"{name}: {source} (for {target}) does not exist"
            assert DEPLOY in source.parents, f"{name}: mounts {source} from outside deploy/"


def test_the_exporter_is_the_repositorys_image_in_demo_mode(
    services: dict[str, dict[str, Any]],
) -> None:
    exporter = services["exporter"]
    context = (COMPOSE.parent / exporter["build"]["context"]).resolve()
    assert context == REPO
    assert (context / exporter["build"]["dockerfile"]).is_file()
    command = exporter["command"]
    assert "--demo" in command
    host, port = parse_listen_address(command[command.index("--web.listen-address") + 1])
    assert (host, port) == ("127.0.0.1", 10090)


def test_prometheus_runs_the_shipped_config_and_rules(
    services: dict[str, dict[str, Any]],
) -> None:
    prometheus = services["prometheus"]
    config_path = PurePosixPath(_flag(prometheus, "--config.file"))
    config_file = _host_path(prometheus, config_path)
    assert config_file == DEPLOY / "prometheus" / "prometheus.yml"
    assert config_file == test_prometheus_e2e.PROMETHEUS_YML  # the file the e2e test runs
    config = _load(config_file)
    # rule_files resolve against the config's directory, inside the container too.
    rules = {_host_path(prometheus, config_path.parent / r) for r in config["rule_files"]}
    assert test_prometheus_e2e.RULES in rules, "not the rules the end-to-end test runs"
    assert all(path.is_file() for path in rules)
    # Its targets are the exporter and Alertmanager as this file runs them.
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "cdn-exporter"  # the alerts' job, as in the end-to-end test
    assert job["static_configs"] == [{"targets": ["localhost:10090"]}]
    (alerting,) = config["alerting"]["alertmanagers"]
    listen = _flag(services["alertmanager"], "--web.listen-address")
    assert alerting["static_configs"] == [{"targets": [f"localhost:{listen.rpartition(':')[2]}"]}]


def test_alertmanager_runs_the_config_the_end_to_end_test_runs(
    services: dict[str, dict[str, Any]],
) -> None:
    alertmanager = services["alertmanager"]
    config = _host_path(alertmanager, PurePosixPath(_flag(alertmanager, "--config.file")))
    assert config == test_prometheus_e2e.ALERTMANAGER_YML


def test_grafana_is_provisioned_with_the_dashboards(services: dict[str, dict[str, Any]]) -> None:
    grafana = services["grafana"]
    provisioning = PurePosixPath("/etc/grafana/provisioning")
    (provider,) = _load(_host_path(grafana, provisioning / "dashboards" / "cdn-exporter.yaml"))[
        "providers"
    ]
    dashboards = _host_path(grafana, PurePosixPath(provider["options"]["path"]))
    assert dashboards == DEPLOY / "grafana" / "dashboards"
    assert dashboards == test_dashboards_e2e.DASHBOARD_DIR
    assert sorted(p.name for p in dashboards.glob("*.json")) == [
        "cdn-overview.json",
        "cdn-slices.json",
    ]
    (source,) = _load(_host_path(grafana, provisioning / "datasources" / "cdn-exporter.yaml"))[
        "datasources"
    ]
    listen = _flag(services["prometheus"], "--web.listen-address")
    assert source["url"] == f"http://localhost:{listen.rpartition(':')[2]}"
