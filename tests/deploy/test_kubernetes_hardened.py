"""deploy/kubernetes/hardened: the kustomize Component that serves HTTPS with basic auth from
a Secret-mounted web config. Its web config must pass the exporter and promtool, and its
probes' credentials must match a user in it, or the pod would never turn ready."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from collector.webconfig import load_web_config
from collector.webconfig.auth import BasicAuth
from tests.core.certs import make_ca

REPO = Path(__file__).resolve().parents[2]
HARDENED = REPO / "deploy" / "kubernetes" / "hardened"
WEB_DIR = "/run/secrets/cdn-exporter-web"


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((HARDENED / name).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def web_config_text() -> str:
    secret = _load("web-config.secret.example.yaml")
    assert secret["kind"] == "Secret"
    assert secret["metadata"]["name"] == "cdn-exporter-web"
    text = secret["stringData"]["web-config.yml"]
    assert isinstance(text, str)
    return text


@pytest.fixture(scope="module")
def container() -> dict[str, Any]:
    patch = _load("deployment-patch.yaml")
    (only,) = patch["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def _appended_args() -> list[str]:
    """What args-patch.yaml (a JSON patch) appends to the container's args."""
    ops = yaml.safe_load((HARDENED / "args-patch.yaml").read_text(encoding="utf-8"))
    assert {op["path"] for op in ops} == {"/spec/template/spec/containers/0/args/-"}
    assert {op["op"] for op in ops} == {"add"}, "appended, never replacing the others' args"
    return [op["value"] for op in ops]


def test_the_component_patches_with_its_files_but_never_applies_the_example() -> None:
    component = _load("kustomization.yaml")
    assert component["kind"] == "Component"
    assert "resources" not in component, "the example Secret would overwrite the real one"
    listed = {p["path"] for p in component["patches"]}
    examples = {p.name for p in HARDENED.glob("*.example.yaml")}
    assert examples == {"web-config.secret.example.yaml"}
    assert listed == {p.name for p in HARDENED.glob("*.yaml")} - {"kustomization.yaml"} - examples


def test_the_patch_mounts_the_web_config_and_passes_the_flag(container: dict[str, Any]) -> None:
    assert "args" not in container, "args-patch.yaml appends the flag"
    assert _appended_args() == ["--web.config.file", f"{WEB_DIR}/web-config.yml"]
    (mount,) = container["volumeMounts"]
    assert mount == {"name": "web", "mountPath": WEB_DIR, "readOnly": True}
    patch = _load("deployment-patch.yaml")
    (volume,) = patch["spec"]["template"]["spec"]["volumes"]
    sources = {s["secret"]["name"]: s["secret"]["items"] for s in volume["projected"]["sources"]}
    assert [i["path"] for i in sources["cdn-exporter-web"]] == ["web-config.yml"]
    assert {i["path"] for i in sources["cdn-exporter-tls"]} == {"tls.crt", "tls.key"}


def test_the_web_config_passes_the_exporter_and_promtool(
    web_config_text: str, tmp_path: Path, run_tool: Any
) -> None:
    # The Secrets' files, as the projected volume lays them out, with a test certificate.
    ca = make_ca(tmp_path)
    issued = ca.issue(tmp_path, "server")
    issued.cert.rename(tmp_path / "tls.crt")
    issued.key.rename(tmp_path / "tls.key")
    path = tmp_path / "web-config.yml"
    path.write_text(web_config_text, encoding="utf-8")
    config = load_web_config(path)
    assert config.tls is not None
    assert config.ssl_context is not None
    assert set(config.users) == {"prometheus", "probe"}
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH (Debian package `prometheus`)")
    result = run_tool([promtool, "check", "web-config", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


async def test_the_probes_authenticate_over_https(
    container: dict[str, Any], web_config_text: str
) -> None:
    users = yaml.safe_load(web_config_text)["basic_auth_users"]
    auth = BasicAuth(users)
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["scheme"] == "HTTPS", probe
        (header,) = get["httpHeaders"]
        assert header["name"] == "Authorization"
        user, _, password = base64.b64decode(header["value"].removeprefix("Basic ")).partition(b":")
        assert user == b"probe", probe
        assert await auth.check(user.decode(), password), f"{probe}: credentials do not match"


def test_the_example_hashes_are_of_the_documented_fake_passwords(web_config_text: str) -> None:
    users = yaml.safe_load(web_config_text)["basic_auth_users"]
    for user, hashed in users.items():
        password = f"FAKE-{user}-password-replace-me".encode()
        assert bcrypt.checkpw(password, hashed.encode()), user
