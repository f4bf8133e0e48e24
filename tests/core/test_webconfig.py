"""`--web.config.file`: the exporter-toolkit format, TLS, client certificates and basic auth
against the real server on 127.0.0.1, and `promtool check web-config` agreeing with the
exporter on good and bad files. Certificates are made by the tests (tests/core/certs.py)."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest
import yaml
from aiohttp import web
from cryptography.hazmat.primitives import serialization

from collector.cli import main
from collector.web import build_web_app
from collector.webconfig import (
    LiveWebConfig,
    WebConfigError,
    load_web_config,
)
from tests.core.certs import Authority, Issued, make_ca
from tests.core.test_web import exporter

PASSWORD = "correct horse"
# Cost 4, the lowest: the tests check behaviour, not bcrypt's speed.
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca: Authority
    server: Issued
    client: Issued
    stranger: Issued  # a client certificate from a CA the server does not trust


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_ca(directory)
    other = make_ca(directory, "other-ca")
    server = ca.issue(directory, "server")
    key = serialization.load_pem_private_key(server.key.read_bytes(), None)
    (directory / "encrypted.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pass phrase"),
        )
    )
    return Pki(
        directory=directory,
        ca=ca,
        server=server,
        client=ca.issue(directory, "client", client=True),
        stranger=other.issue(directory, "stranger", client=True),
    )


def write(directory: Path, text: str, name: str = "web.yml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def tls_block(extra: str = "") -> str:
    return f"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n{extra}"


# --- the real server -----------------------------------------------------------------


@dataclass
class Served:
    url: str
    port: int


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve(pki: Pki) -> AsyncIterator[Serve]:
    """Serve the exporter's app with a web config (its text) on a free loopback port."""
    runners: list[web.AppRunner] = []

    async def start(text: str, name: str = "web.yml") -> Served:
        live = LiveWebConfig(load_web_config(write(pki.directory, text, name)))
        runner = web.AppRunner(build_web_app(exporter(), web_config=live), access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=live.ssl_context)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        port = server.sockets[0].getsockname()[1]
        scheme = "https" if live.ssl_context is not None else "http"
        return Served(f"{scheme}://127.0.0.1:{port}", port)

    yield start
    for runner in runners:
        await runner.cleanup()


def client_context(
    pki: Pki, cert: Issued | None = None, **versions: ssl.TLSVersion
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca.path))
    if cert is not None:
        context.load_cert_chain(cert.cert, cert.key)
    for name, version in versions.items():
        setattr(context, name, version)
    return context


async def get(
    url: str,
    context: ssl.SSLContext | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    headers = {}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, ssl=context if context is not None else True, headers=headers) as r,
    ):
        return r.status, dict(r.headers), await r.read()


REFUSED = (aiohttp.ClientError, ssl.SSLError, ConnectionError)


async def test_tls_serves_https_and_refuses_plain_http(serve: Serve, pki: Pki) -> None:
    served = await serve(tls_block())
    status, _, body = await get(served.url + "/metrics", client_context(pki))
    assert status == 200
    assert b"cdn_exporter_build_info" in body
    # Plain HTTP on the TLS port gets no HTTP answer.
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(4096), timeout=10)
    except ConnectionError:
        answer = b""
    writer.close()
    assert b"cdn_exporter" not in answer
    assert not answer.startswith(b"HTTP/1.1 200")
    with pytest.raises(REFUSED):
        await get(f"http://127.0.0.1:{served.port}/metrics")


async def test_a_client_that_does_not_trust_the_server_is_refused(serve: Serve, pki: Pki) -> None:
    served = await serve(tls_block())
    with pytest.raises(REFUSED):
        await get(served.url + "/metrics", ssl.create_default_context())


async def test_min_version_is_enforced(serve: Serve, pki: Pki) -> None:
    served = await serve(tls_block("  min_version: TLS13\n"))
    old = client_context(pki, maximum_version=ssl.TLSVersion.TLSv1_2)
    with pytest.raises(REFUSED):
        await get(served.url + "/metrics", old)
    assert (await get(served.url + "/metrics", client_context(pki)))[0] == 200


async def test_basic_auth(serve: Serve, pki: Pki) -> None:
    served = await serve(
        tls_block()
        + f"basic_auth_users:\n  prometheus: '{HASH}'\n"
        + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
        + "    X-Content-Type-Options: nosniff\n"
    )
    url = served.url + "/metrics"
    context = client_context(pki)
    for auth in (None, ("prometheus", "wrong"), ("nobody", PASSWORD), ("prometheus", "")):
        status, headers, body = await get(url, context, auth)
        assert status == 401, auth
        assert headers["WWW-Authenticate"].startswith("Basic")
        assert headers["X-Frame-Options"] == "deny"
        assert b"cdn_exporter" not in body
    for path in ("/metrics", "/-/healthy", "/"):
        assert (await get(served.url + path, context))[0] == 401, path
    status, headers, body = await get(url, context, ("prometheus", PASSWORD))
    assert status == 200
    assert b"cdn_exporter_build_info" in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Cached: the second right answer does not run bcrypt again, and is still right.
    assert (await get(url, context, ("prometheus", PASSWORD)))[0] == 200


async def test_basic_auth_without_tls(serve: Serve) -> None:
    served = await serve(f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    assert served.url.startswith("http://")
    assert (await get(served.url + "/metrics"))[0] == 401
    assert (await get(served.url + "/metrics", auth=("prometheus", PASSWORD)))[0] == 200


async def test_client_certificate_required(serve: Serve, pki: Pki) -> None:
    served = await serve(
        tls_block("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n")
    )
    url = served.url + "/metrics"
    with pytest.raises(REFUSED):
        await get(url, client_context(pki))
    with pytest.raises(REFUSED):
        await get(url, client_context(pki, pki.stranger))
    assert (await get(url, client_context(pki, pki.client)))[0] == 200


async def test_client_certificate_verified_if_given(serve: Serve, pki: Pki) -> None:
    served = await serve(
        tls_block("  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: test-ca.crt\n")
    )
    url = served.url + "/metrics"
    assert (await get(url, client_context(pki)))[0] == 200
    assert (await get(url, client_context(pki, pki.client)))[0] == 200
    with pytest.raises(REFUSED):
        await get(url, client_context(pki, pki.stranger))


async def test_client_certificate_and_basic_auth_together(serve: Serve, pki: Pki) -> None:
    served = await serve(
        tls_block("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n")
        + f"basic_auth_users:\n  prometheus: '{HASH}'\n"
    )
    context = client_context(pki, pki.client)
    assert (await get(served.url + "/metrics", context))[0] == 401
    assert (await get(served.url + "/metrics", context, ("prometheus", PASSWORD)))[0] == 200


def _bump(*paths: Path) -> None:
    """Move the files' mtimes forward: the change is seen without waiting for the clock."""
    for path in paths:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


async def test_a_changed_web_config_takes_effect_and_a_bad_one_is_ignored(
    serve: Serve, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    other = bcrypt.hashpw(b"new password", bcrypt.gensalt(rounds=4)).decode()
    served = await serve(f"basic_auth_users:\n  prometheus: '{HASH}'\n", "live.yml")
    url = served.url + "/metrics"
    assert (await get(url, auth=("prometheus", PASSWORD)))[0] == 200
    path = pki.directory / "live.yml"
    path.write_text(
        f"basic_auth_users:\n  prometheus: '{other}'\n"
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    )
    _bump(path)
    assert (await get(url, auth=("prometheus", PASSWORD)))[0] == 401
    status, headers, _ = await get(url, auth=("prometheus", "new password"))
    assert (status, headers["X-Frame-Options"]) == (200, "deny")
    path.write_text("basic_auth_users:\n  prometheus: plain-text\n")
    _bump(path)
    assert (await get(url, auth=("prometheus", "new password")))[0] == 200
    assert "keeping the previous web config" in caplog.text
    assert "plain-text" not in caplog.text
    # TLS cannot be switched on under a plain listener.
    path.write_text(tls_block())
    _bump(path)
    assert (await get(url, auth=("prometheus", "new password")))[0] == 200
    assert "needs a restart" in caplog.text


async def test_a_rotated_certificate_is_served_to_new_connections(
    serve: Serve, pki: Pki, tmp_path: Path
) -> None:
    # Its own copies: the rotation must not touch the module's certificates.
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(pki.server.cert, cert)
    shutil.copy(pki.server.key, key)
    served = await serve(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
    url = served.url + "/metrics"
    assert (await get(url, client_context(pki)))[0] == 200
    rotated_ca = make_ca(tmp_path, "rotated-ca")
    rotated = rotated_ca.issue(tmp_path, "rotated")
    shutil.copy(rotated.cert, cert)
    shutil.copy(rotated.key, key)
    _bump(cert, key)
    with pytest.raises(REFUSED):
        await get(url, client_context(pki))  # the old CA no longer vouches for it
    trusting = ssl.create_default_context(cafile=str(rotated_ca.path))
    assert (await get(url, trusting))[0] == 200


# --- the pieces ----------------------------------------------------------------------


def test_relative_paths_are_relative_to_the_web_config(pki: Pki, tmp_path: Path) -> None:
    text = tls_block().replace("server.crt", str(pki.server.cert))
    text = text.replace("server.key", "../" + pki.server.key.parent.name + "/server.key")
    sub = pki.directory.parent / "elsewhere"
    sub.mkdir(exist_ok=True)
    config = load_web_config(write(sub, text))
    assert config.tls is not None
    assert Path(config.tls.key_file).resolve() == pki.server.key.resolve()


def test_check_config_checks_the_web_config(pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(pki.directory, tls_block() + f"basic_auth_users:\n  p: '{HASH}'\n", "good.yml")
    bad = write(pki.directory, tls_block("  client_auth_type: Always\n"), "bad.yml")
    assert main(["--demo", "--check-config", "--web.config.file", str(good)]) == 0
    out = capsys.readouterr().out
    assert "web configuration is valid: TLS TLS12-TLS13, basic auth for 1 user(s)" in out
    assert main(["--demo", "--check-config", "--web.config.file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"web configuration {bad} is invalid:" in err
    assert "tls_server_config.client_auth_type: Input should be" in err
    assert "Traceback" not in err
    missing = pki.directory / "missing.yml"
    assert main(["--demo", "--check-config", "--web.config.file", str(missing)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_password_pasted_as_a_hash_is_not_echoed(pki: Pki) -> None:
    path = write(pki.directory, "basic_auth_users:\n  alice: hunter2-my-real-password\n")
    with pytest.raises(WebConfigError) as info:
        load_web_config(path)
    assert info.value.problems == [
        "basic_auth_users.alice: hashedSecret too short to be a bcrypted password"
    ]


@pytest.mark.parametrize(
    "secret",
    [
        "Q" + "correct-horse-battery-staple" * 3,  # long enough to be read as a hash
        "$Q" + "correct-horse-battery-staple" * 3,
        "$2bQQ" + "correct-horse-battery-staple" * 3,
    ],
)
def test_not_one_byte_of_a_long_password_pasted_as_a_hash_is_echoed(pki: Pki, secret: str) -> None:
    path = write(pki.directory, f"basic_auth_users:\n  alice: '{secret}'\n")
    with pytest.raises(WebConfigError) as info:
        load_web_config(path)
    [problem] = info.value.problems
    assert problem.startswith("basic_auth_users.alice: ")
    assert "Q" not in problem, problem


# --- promtool agrees -----------------------------------------------------------------

H = "'" + HASH + "'"
# (name, file text, valid). Each is also checked by `promtool check web-config`.
AGREEMENT: list[tuple[str, str, bool]] = [
    ("empty", "", True),
    ("comment_only", "# nothing\n", True),
    ("null_sections", "tls_server_config:\nhttp_server_config:\nbasic_auth_users:\n", True),
    ("tls", tls_block(), True),
    (
        "tls_full",
        tls_block(
            "  min_version: TLS12\n  max_version: TLS13\n  prefer_server_cipher_suites: false\n"
            "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n"
            "  curve_preferences: [X25519, CurveP256]\n"
        ),
        True,
    ),
    ("tls13_suites_only", tls_block("  cipher_suites: [TLS_AES_256_GCM_SHA384]\n"), True),
    (
        "client_auth_verify",
        tls_block(
            "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n"
        ),
        True,
    ),
    (
        "client_auth_system_roots",
        tls_block("  client_auth_type: RequireAndVerifyClientCert\n"),
        True,
    ),
    (
        "client_auth_if_given",
        tls_block("  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: test-ca.crt\n"),
        True,
    ),
    ("client_auth_request", tls_block("  client_auth_type: RequestClientCert\n"), True),
    ("client_auth_any", tls_block("  client_auth_type: RequireAnyClientCert\n"), True),
    ("client_auth_old_name", tls_block("  client_auth_type: RequireClientCert\n"), True),
    ("no_client_cert", tls_block("  client_auth_type: NoClientCert\n"), True),
    ("min_version_without_cert", "tls_server_config:\n  min_version: TLS13\n", True),
    ("users", f"basic_auth_users:\n  alice: {H}\n  bob: {H}\n", True),
    (
        "users_2y",
        # exporter-toolkit's documented example (htpasswd's $2y$)
        "basic_auth_users:\n  alice: "
        "'$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG'\n",
        True,
    ),
    ("numeric_user", f"basic_auth_users:\n  123: {H}\n", True),
    (
        "headers",
        "http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: sameorigin\n"
        "    Strict-Transport-Security: max-age=31536000\n    X-XSS-Protection: 1\n"
        "    Content-Security-Policy: default-src 'self'\n    X-Content-Type-Options: nosniff\n",
        True,
    ),
    (
        "everything",
        tls_block("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n")
        + f"basic_auth_users:\n  alice: {H}\n"
        + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n",
        True,
    ),
    # bad
    ("cert_without_key", "tls_server_config:\n  cert_file: server.crt\n", False),
    ("key_without_cert", "tls_server_config:\n  key_file: server.key\n", False),
    (
        "client_auth_without_cert",
        "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
        False,
    ),
    ("cert_missing", tls_block().replace("server.crt", "nope.crt"), False),
    ("key_missing", tls_block().replace("server.key", "nope.key"), False),
    ("switched", "tls_server_config:\n  cert_file: server.key\n  key_file: server.crt\n", False),
    ("key_mismatch", tls_block().replace("server.key", "client.key"), False),
    ("key_encrypted", tls_block().replace("server.key", "encrypted.key"), False),
    ("ca_without_policy", tls_block("  client_ca_file: test-ca.crt\n"), False),
    (
        "ca_missing",
        tls_block("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: nope.crt\n"),
        False,
    ),
    ("client_auth_lowercase", tls_block("  client_auth_type: requireandverifyclientcert\n"), False),
    ("client_auth_unknown", tls_block("  client_auth_type: Always\n"), False),
    ("tls_version_unknown", tls_block("  min_version: TLS14\n"), False),
    ("tls_version_dotted", tls_block("  min_version: '1.2'\n"), False),
    ("cipher_unknown", tls_block("  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n"), False),
    ("cipher_openssl_name", tls_block("  cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256]\n"), False),
    ("curve_unknown", tls_block("  curve_preferences: [P256]\n"), False),
    ("prefer_quoted_bool", tls_block("  prefer_server_cipher_suites: 'true'\n"), False),
    ("http2_quoted", "http_server_config:\n  http2: 'no'\n", False),
    ("header_not_allowed", "http_server_config:\n  headers:\n    Server: cdn\n", False),
    ("header_lowercase", "http_server_config:\n  headers:\n    x-frame-options: deny\n", False),
    ("header_bad_value", "http_server_config:\n  headers:\n    X-Frame-Options: DENY\n", False),
    (
        "header_empty_enum",
        "http_server_config:\n  headers:\n    X-Content-Type-Options: ''\n",
        False,
    ),
    ("user_plain_password", "basic_auth_users:\n  alice: secret\n", False),
    ("user_null_hash", "basic_auth_users:\n  alice:\n", False),
    ("user_cost_too_low", "basic_auth_users:\n  alice: '$2b$03$" + "a" * 53 + "'\n", False),
    ("users_as_list", "basic_auth_users: [alice]\n", False),
    ("user_twice", f"basic_auth_users:\n  alice: {H}\n  alice: {H}\n", False),
    ("unknown_top_key", "tls_config:\n  cert_file: server.crt\n", False),
    ("misspelt_tls_key", "tls_server_config:\n  cert_filse: server.crt\n", False),
    ("newer_toolkit_key", tls_block("  client_allowed_sans: [prometheus]\n"), False),
    ("rate_limit_newer", "rate_limit:\n  interval: 1s\n  burst: 5\n", False),
    ("top_level_list", "- tls_server_config\n", False),
    ("top_level_scalar", "hello\n", False),
    ("not_yaml", "tls_server_config: [\n", False),
]
# Where the exporter deliberately refuses what promtool 2.42 accepts: a config that can
# never serve. (name, why)
STRICTER = {
    "min_above_max": (
        tls_block("  min_version: TLS13\n  max_version: TLS12\n"),
        "exporter-toolkit accepts it, then fails every handshake",
    ),
    "ca_not_pem": (
        tls_block("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n"),
        "Go ignores a CA file with no certificate, then refuses every client",
    ),
}


def exporter_accepts(path: Path) -> bool:
    try:
        load_web_config(path)
    except WebConfigError as exc:
        problems = exc.problems
    else:
        return True
    assert problems
    assert all(": " in p for p in problems), problems  # `path: reason`, one per line
    return False


def promtool_accepts(path: Path) -> bool:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(
            "promtool is not on PATH (Debian package `prometheus`; scripts/test installs it)"
        )
    result = subprocess.run(
        [promtool, "check", "web-config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode == 0


@pytest.mark.parametrize(("name", "text", "valid"), AGREEMENT, ids=[a[0] for a in AGREEMENT])
def test_the_exporter_agrees_with_promtool(name: str, text: str, valid: bool, pki: Pki) -> None:
    path = write(pki.directory, text, f"{name}.yml")
    assert exporter_accepts(path) is valid, name
    assert promtool_accepts(path) is valid, f"promtool disagrees on {name}"


@pytest.mark.parametrize("name", sorted(STRICTER))
def test_where_the_exporter_is_stricter_than_promtool(name: str, pki: Pki) -> None:
    text, _why = STRICTER[name]
    path = write(pki.directory, text, f"{name}.yml")
    assert not exporter_accepts(path)
    assert promtool_accepts(path), f"promtool now refuses {name}: move it to AGREEMENT"


def test_the_cli_serves_tls_and_auth_end_to_end(pki: Pki, tmp_path: Path) -> None:
    """The real command line: `--demo --web.config.file` serves HTTPS with basic auth."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write(
        pki.directory,
        tls_block() + f"basic_auth_users:\n  prometheus: '{HASH}'\n",
        "cli.yml",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collector",
            "--demo",
            "--web.config.file",
            str(config),
            "--web.listen-address",
            f"127.0.0.1:{port}",
            "--log.level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:

        async def scrape() -> tuple[int, int]:
            url = f"https://127.0.0.1:{port}/metrics"
            context = client_context(pki)
            for _ in range(600):  # bounded: start-up takes a second or two
                try:
                    anonymous = (await get(url, context))[0]
                    break
                except REFUSED:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the exporter did not start")
            return anonymous, (await get(url, context, ("prometheus", PASSWORD)))[0]

        assert asyncio.run(scrape()) == (401, 200)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert b"Traceback" not in output, output.decode()


HOSTILE: list[object] = [
    None,
    [],
    [1, 2],
    {},
    {"a": 1},
    10**30,
    -1,
    float("inf"),
    float("nan"),
    True,
    "日本語\u0000\u202e",
    "",
    "x" * 10_000,
]


def _hostile_base() -> dict[str, Any]:
    return {
        "tls_server_config": {
            "cert_file": "server.crt",
            "key_file": "server.key",
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": "test-ca.crt",
            "min_version": "TLS12",
            "max_version": "TLS13",
            "cipher_suites": ["TLS_AES_128_GCM_SHA256"],
            "curve_preferences": ["X25519"],
            "prefer_server_cipher_suites": True,
        },
        "http_server_config": {"http2": True, "headers": {"X-Frame-Options": "deny"}},
        "basic_auth_users": {"a": HASH},
    }


HOSTILE_FIELDS = [
    ("tls_server_config",),
    ("http_server_config",),
    ("basic_auth_users",),
    *(("tls_server_config", key) for key in _hostile_base()["tls_server_config"]),
    ("http_server_config", "http2"),
    ("http_server_config", "headers"),
    ("http_server_config", "headers", "X-Frame-Options"),
    ("basic_auth_users", "a"),
]


@pytest.mark.parametrize("where", HOSTILE_FIELDS, ids=lambda f: ".".join(f))
def test_hostile_values_are_problems_not_tracebacks(
    where: tuple[str, ...], pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exporter_accepts(write(pki.directory, yaml.safe_dump(_hostile_base()), "h.yml"))
    for value in HOSTILE:
        data = _hostile_base()
        node: Any = data
        for part in where[:-1]:
            node = node[part]
        node[where[-1]] = value
        path = write(pki.directory, yaml.safe_dump(data, allow_unicode=True), "h.yml")
        code = main(["--demo", "--check-config", "--web.config.file", str(path)])
        output = capsys.readouterr()
        assert "Traceback" not in output.err, (where, value)
        assert code in (0, 2), (where, value)


def test_a_fifo_certificate_is_refused_not_waited_on(pki: Pki, tmp_path: Path) -> None:
    fifo = tmp_path / "cert.pem"
    os.mkfifo(fifo)
    path = write(
        tmp_path, f"tls_server_config:\n  cert_file: {fifo}\n  key_file: {pki.server.key}\n"
    )
    with pytest.raises(WebConfigError) as info:
        load_web_config(path)
    assert info.value.problems == [f"tls_server_config.cert_file: {fifo} is not a regular file"]


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ('"a\\r\\nSet-Cookie: x=1"', "a  Set-Cookie: x=1"),
        ('"x\\u0000y"', "x y"),
        ("\"default-src 'self'\"", "default-src 'self'"),
    ],
)
async def test_header_values_never_inject_or_break_answers(
    serve: Serve, value: str, sent: str
) -> None:
    served = await serve(f"http_server_config:\n  headers:\n    Content-Security-Policy: {value}\n")
    status, headers, _ = await get(served.url + "/-/healthy")
    assert status == 200
    assert headers["Content-Security-Policy"] == sent
    assert "Set-Cookie" not in headers


def test_check_config_reports_both_files_at_once(
    pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_web = write(pki.directory, "basic_auth_users:\n  alice: secret\n", "both.yml")
    bad_config = write(pki.directory, "accounts: []\n", "config.yml")
    args = ["--config", str(bad_config), "--check-config", "--web.config.file", str(bad_web)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "accounts: List should have at least 1 item" in err
    assert "basic_auth_users.alice: hashedSecret too short" in err
    good_config = write(pki.directory, yaml.safe_dump(_a_valid_config()), "ok.yml")
    assert (
        main(["--config", str(good_config), "--check-config", "--web.config.file", str(bad_web)])
        == 2
    )
    assert "basic_auth_users.alice" in capsys.readouterr().err


def _a_valid_config() -> dict[str, Any]:
    return {
        "accounts": [
            {
                "name": "main",
                "provider": "wangsu",
                "auth": {"access_key": "AK", "secret_key": "SK"},
                "domains": ["www.example.com"],
            }
        ]
    }
