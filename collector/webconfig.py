"""`--web.config.file`: TLS and basic auth in the Prometheus exporter-toolkit format.

The schema is exporter-toolkit v0.8's (the one `promtool check web-config` of Prometheus
2.42 checks): `tls_server_config`, `http_server_config`, `basic_auth_users`. Parsing and
validation are pure; `server_ssl_context` turns a valid file into an `ssl.SSLContext`, and
`BasicAuth` is the aiohttp middleware that checks bcrypt hashes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import os
import re
import ssl
import stat
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import bcrypt
import yaml
from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

ClientAuthType = Literal[
    "",
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "RequireClientCert",  # exporter-toolkit keeps this old name of RequireAnyClientCert
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
]
TLSVersionName = Literal["TLS10", "TLS11", "TLS12", "TLS13"]
CurveName = Literal["CurveP256", "CurveP384", "CurveP521", "X25519"]

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
# Go's tls.CipherSuites() (what exporter-toolkit accepts) to OpenSSL's names; None for the
# TLS 1.3 suites, which neither Go nor OpenSSL lets a server configure.
CIPHER_SUITES: dict[str, str | None] = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_AES_128_GCM_SHA256": None,
    "TLS_AES_256_GCM_SHA384": None,
    "TLS_CHACHA20_POLY1305_SHA256": None,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}
# The headers exporter-toolkit lets a file set, and the values it allows (None: any).
EXTRA_HEADERS: dict[str, tuple[str, ...] | None] = {
    "Strict-Transport-Security": None,
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": None,
    "Content-Security-Policy": None,
}
# Checked for an unknown user, so a wrong user name takes as long as a wrong password:
# a bcrypt hash (of "fakepassword") whose cost is set to the configured users' highest.
_DUMMY_HASH = "$2b${cost:02d}$YvPJIb2twVotfF17/g6UcuibFnXFJCcxqlKAVw0J1iVefLV4PiJPW"
_DEFAULT_COST = 10
_BCRYPT_MIN_LENGTH = 59


class WebConfigError(Exception):
    """An invalid web config; `problems` holds one `path: reason` per issue."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _go_string(value: Any) -> Any:
    """A YAML scalar read into a Go string field: null is "", a number its digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


GoString = Annotated[str, BeforeValidator(_go_string)]


def _go_list(value: Any) -> Any:
    return [] if value is None else value


def _go_map(value: Any) -> Any:
    """A YAML mapping read into a Go map[string]…: null is empty, number keys are strings,
    null values are empty strings."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {
            (str(k) if isinstance(k, int | float) and not isinstance(k, bool) else k): (
                _go_string(v)
            )
            for k, v in value.items()
        }
    return value


def _go_struct(value: Any) -> Any:
    """A YAML mapping read into a Go struct: null is the zero value, a null field too."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


def bcrypt_cost(hashed: str) -> int:
    """The cost of a bcrypt hash, checked as Go's `bcrypt.Cost` (what exporter-toolkit
    runs on every user's hash); ValueError with Go's reason otherwise."""
    raw = hashed.encode("utf-8")
    if len(raw) < _BCRYPT_MIN_LENGTH:
        raise ValueError("hashedSecret too short to be a bcrypted password")
    if raw[0:1] != b"$":
        raise ValueError(f"invalid hash prefix {raw[0:1]!r}: a bcrypt hash starts with $2")
    if raw[1] > ord("2"):
        raise ValueError(f"bcrypt algorithm version {chr(raw[1])!r} is too new")
    start = 3 if raw[2:3] == b"$" else 4
    digits = raw[start : start + 2].decode("utf-8", errors="replace")
    if not re.fullmatch(r"[+-]?\d+", digits):
        raise ValueError(f"invalid bcrypt cost {digits!r}")
    cost = int(digits)
    if not 4 <= cost <= 31:
        raise ValueError(f"cost {cost} is outside allowed range (4,31)")
    return cost


def _headers(value: dict[str, str]) -> dict[str, str]:
    for name, text in value.items():
        if name not in EXTRA_HEADERS:
            allowed = ", ".join(EXTRA_HEADERS)
            raise ValueError(f"HTTP header {name[:80]!r} can not be configured (only {allowed})")
        values = EXTRA_HEADERS[name]
        if values is not None and text not in values:
            raise ValueError(
                f"invalid value for {name}: expected one of {', '.join(values)}, got {text[:80]!r}"
            )
    return value


class _Go(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TLSServerConfig(_Go):
    cert_file: GoString = ""
    key_file: GoString = ""
    client_auth_type: Annotated[ClientAuthType, BeforeValidator(_go_string)] = ""
    client_ca_file: GoString = ""
    cipher_suites: Annotated[list[GoString], BeforeValidator(_go_list)] = []
    curve_preferences: Annotated[list[CurveName], BeforeValidator(_go_list)] = []
    min_version: TLSVersionName = "TLS12"
    max_version: TLSVersionName = "TLS13"
    prefer_server_cipher_suites: bool = True

    @property
    def enabled(self) -> bool:
        """exporter-toolkit serves TLS when any of these is set, plain HTTP otherwise."""
        return bool(self.cert_file or self.key_file or self.client_auth_type or self.client_ca_file)


class HTTPServerConfig(_Go):
    http2: bool = True
    headers: Annotated[dict[str, str], BeforeValidator(_go_map)] = Field(default_factory=dict)


class WebConfigModel(_Go):
    tls_server_config: Annotated[TLSServerConfig, BeforeValidator(_go_struct)] = Field(
        default_factory=TLSServerConfig
    )
    http_server_config: Annotated[HTTPServerConfig, BeforeValidator(_go_struct)] = Field(
        default_factory=HTTPServerConfig
    )
    basic_auth_users: Annotated[dict[str, str], BeforeValidator(_go_map)] = Field(
        default_factory=dict
    )


@dataclass(frozen=True)
class WebConfig:
    """A validated web config, its paths resolved against the file's directory."""

    path: Path
    tls: TLSServerConfig | None
    users: dict[str, str] = field(repr=False)
    headers: dict[str, str]
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


def describe_web_config(config: WebConfig | None) -> str:
    """What a web config switches on, for the start-up log and --check-config."""
    if config is None:
        return "no TLS, no auth"
    tls = config.tls
    parts = ["no TLS" if tls is None else f"TLS {tls.min_version}-{tls.max_version}"]
    if tls is not None and tls.client_auth_type not in ("", "NoClientCert"):
        parts.append(f"client certificates: {tls.client_auth_type}")
    parts.append(f"basic auth for {len(config.users)} user(s)" if config.users else "no auth")
    return ", ".join(parts)


class _WebConfigLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping, as Go's yaml.v2 does."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: list[Any] = []
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                duplicate = False
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} already set in map", key_node.start_mark
                )
            seen.append(key)
        try:
            return super().construct_mapping(node, deep=deep)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", node.start_mark
            ) from None


def _read(path: Path) -> dict[str, Any]:
    try:
        if not path.is_file():
            raise WebConfigError([f"{path}: cannot read: not a regular file"])
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WebConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise WebConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        data = yaml.load(text, Loader=_WebConfigLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WebConfigError([f"{path}: invalid YAML{where}: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise WebConfigError(
            [f"{path}: the top level must be a mapping (tls_server_config, basic_auth_users…)"]
        )
    return data


def _message(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def _check(model: WebConfigModel) -> list[str]:
    """What the schema alone cannot say, as exporter-toolkit checks it."""
    problems = []
    for user, hashed in model.basic_auth_users.items():
        try:
            bcrypt_cost(hashed)
        except ValueError as exc:
            # The user name, never the hash: it may be a password pasted in the wrong place.
            problems.append(f"basic_auth_users.{user[:80]}: {exc}")
    try:
        _headers(model.http_server_config.headers)
    except ValueError as exc:
        problems.append(f"http_server_config.headers: {exc}")
    tls = model.tls_server_config
    where = "tls_server_config"
    for index, name in enumerate(tls.cipher_suites):
        if name not in CIPHER_SUITES:
            problems.append(f"{where}.cipher_suites.{index}: unknown cipher: {name[:80]}")
    if not tls.enabled:
        return problems
    if not tls.cert_file:
        problems.append(f"{where}.cert_file: missing cert_file")
    if not tls.key_file:
        problems.append(f"{where}.key_file: missing key_file")
    if tls.client_ca_file and tls.client_auth_type in ("", "NoClientCert"):
        problems.append(
            f"{where}.client_ca_file: Client CA's have been configured without a Client Auth "
            "Policy (set client_auth_type: RequireAndVerifyClientCert)"
        )
    if TLS_VERSIONS[tls.min_version] > TLS_VERSIONS[tls.max_version]:
        # exporter-toolkit accepts this and then fails every handshake.
        problems.append(
            f"{where}.min_version: {tls.min_version} is above max_version {tls.max_version}"
        )
    return problems


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _header_value(text: str) -> str:
    """Control characters become spaces, as Go's net/http writes newlines in a header
    value: a CR or LF must never reach the wire (aiohttp would refuse every answer)."""
    return _CONTROL.sub(" ", text)


def _resolve(directory: Path, name: str) -> str:
    """A relative path is relative to the web config's directory (exporter-toolkit's rule)."""
    if not name or Path(name).is_absolute():
        return name
    return str(directory / name)


def _check_regular(name: str, path: str) -> None:
    """Only regular files are read: a FIFO would block the start-up forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"{name}: {path} is not a regular file")


def _check_pem(name: str, path: str, kind: str) -> None:
    """A readable PEM file holding a `kind` block, with the usual mix-ups named."""
    _check_regular(name, path)
    try:
        with open(path, "rb") as file:
            text = file.read(1_000_000)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if f"{kind}-----".encode() in text:
        return
    other = "PRIVATE KEY" if kind == "CERTIFICATE" else "CERTIFICATE"
    hint = " (cert_file and key_file may have been switched)" if other.encode() in text else ""
    raise ValueError(f"{name}: {path} holds no PEM {kind.lower()}{hint}")


class _EncryptedKey(Exception):
    pass


def _no_pass_phrase() -> bytes:
    raise _EncryptedKey


def server_ssl_context(tls: TLSServerConfig) -> ssl.SSLContext:
    """The server context for a valid, enabled `tls_server_config`; ValueError with a
    `field: reason` when a file cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS_VERSIONS[tls.min_version]
    context.maximum_version = TLS_VERSIONS[tls.max_version]
    _check_pem("cert_file", tls.cert_file, "CERTIFICATE")
    _check_pem("key_file", tls.key_file, "PRIVATE KEY")
    try:
        # Never OpenSSL's pass-phrase prompt: an encrypted key is an error, as in Go.
        context.load_cert_chain(tls.cert_file, tls.key_file, password=_no_pass_phrase)
    except _EncryptedKey:
        raise ValueError(
            f"key_file: {tls.key_file} is encrypted; give an unencrypted key"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        if reason == "KEY_VALUES_MISMATCH":
            reason = "the private key does not match the certificate"
        raise ValueError(f"key_file: failed to load the certificate and key: {reason}") from None
    openssl = [CIPHER_SUITES[name] for name in tls.cipher_suites]
    tls12 = [name for name in openssl if name is not None]
    if tls12:
        context.set_ciphers(":".join(tls12))
    elif openssl:
        # Only TLS 1.3 suites listed: Go then offers no TLS 1.2 suite at all.
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    auth = tls.client_auth_type
    if auth in ("", "NoClientCert", "RequestClientCert"):
        # RequestClientCert asks for a certificate and ignores it: no check either way.
        context.verify_mode = ssl.CERT_NONE
        return context
    # OpenSSL cannot require a certificate it does not verify: RequireAnyClientCert is
    # enforced as RequireAndVerifyClientCert (stricter).
    context.verify_mode = (
        ssl.CERT_OPTIONAL if auth == "VerifyClientCertIfGiven" else ssl.CERT_REQUIRED
    )
    if tls.client_ca_file:
        _check_regular("client_ca_file", tls.client_ca_file)
        try:
            context.load_verify_locations(cafile=tls.client_ca_file)
        except FileNotFoundError:
            raise ValueError(f"client_ca_file: {tls.client_ca_file}: no such file") from None
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"client_ca_file: {tls.client_ca_file}: no CA certificate in it "
                f"({getattr(exc, 'reason', None) or exc})"
            ) from None
    else:
        # Go verifies against the system roots when no client CA is given.
        context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return context


def load_web_config(path: Path) -> WebConfig:
    """Read and validate the web config at `path`, loading its certificates; every
    problem as `field: reason`, or WebConfigError."""
    data = _read(path)
    try:
        model = WebConfigModel.model_validate(data)
    except ValidationError as exc:
        raise WebConfigError(
            [
                f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {_message(e)}"
                for e in exc.errors()
            ]
        ) from None
    problems = _check(model)
    if problems:
        raise WebConfigError(problems)
    tls = model.tls_server_config
    context = None
    if tls.enabled:
        directory = path.parent
        tls = tls.model_copy(
            update={
                "cert_file": _resolve(directory, tls.cert_file),
                "key_file": _resolve(directory, tls.key_file),
                "client_ca_file": _resolve(directory, tls.client_ca_file),
            }
        )
        if tls.client_auth_type in ("RequireAnyClientCert", "RequireClientCert"):
            log.warning(
                "%s: client_auth_type %s is enforced as RequireAndVerifyClientCert "
                "(OpenSSL cannot require a certificate without verifying it)",
                path,
                tls.client_auth_type,
            )
        try:
            context = server_ssl_context(tls)
        except ValueError as exc:
            raise WebConfigError([f"tls_server_config.{exc}"]) from None
    return WebConfig(
        path=path,
        tls=tls if tls.enabled else None,
        users=dict(model.basic_auth_users),
        headers={k: _header_value(v) for k, v in model.http_server_config.headers.items() if v},
        ssl_context=context,
    )


def _check_password(password: bytes, hashed: bytes) -> bool:
    try:
        # bcrypt reads 72 bytes at most; newer libraries refuse longer input instead.
        return bcrypt.checkpw(password[:72], hashed)
    except ValueError:
        return False  # a hash Go's bcrypt.Cost accepts but no password matches


def parse_basic_authorization(header: str) -> tuple[str, bytes] | None:
    """`Basic base64(user:password)` into (user, password bytes), else None."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    try:
        return user.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def _cost_or_none(hashed: str) -> int | None:
    try:
        return bcrypt_cost(hashed)
    except ValueError:
        return None


class BasicAuth:
    """Checks `Authorization: Basic` against bcrypt hashes, like exporter-toolkit: an
    unknown user is checked against a dummy hash of the users' highest cost (same time
    as a wrong password), one
    bcrypt runs at a time off the event loop, and results are cached by a digest of
    (user, hash, password) so a scrape every 15 s costs one bcrypt, not one per scrape."""

    CACHE_SIZE = 1024

    def __init__(self, users: dict[str, str]) -> None:
        self._users = {user: hashed.encode("utf-8") for user, hashed in users.items()}
        costs = [_cost_or_none(hashed) for hashed in users.values()]
        cost = max((c for c in costs if c is not None), default=_DEFAULT_COST)
        self._dummy = _DUMMY_HASH.format(cost=cost).encode()
        self._cache: OrderedDict[bytes, bool] = OrderedDict()
        self._lock = asyncio.Lock()

    async def check(self, user: str, password: bytes) -> bool:
        hashed = self._users.get(user)
        known = hashed is not None
        candidate = hashed if hashed is not None else self._dummy
        # Length-prefixed parts: no user name or password can forge another's key.
        parts = (user.encode("utf-8"), candidate, password)
        key = hashlib.sha256(b"".join(b"%d:%s" % (len(p), p) for p in parts)).digest()
        cached = self._cache.get(key)
        if cached is None:
            async with self._lock:
                matches = await asyncio.to_thread(_check_password, password, candidate)
            cached = known and matches
            self._cache[key] = cached
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return cached


Signature = tuple[tuple[str, int, int, int], ...]


def _signature(config: WebConfig) -> Signature:
    """(path, inode, size, mtime) of the web config and the files it names: a Kubernetes
    Secret update swaps a symlink, which changes all of them."""
    paths = [str(config.path)]
    if config.tls is not None:
        paths += [
            p for p in (config.tls.cert_file, config.tls.key_file, config.tls.client_ca_file) if p
        ]
    result = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            result.append((path, -1, -1, -1))
        else:
            result.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(result)


class LiveWebConfig:
    """The web config in force, re-read when its file or a certificate changes, as
    exporter-toolkit re-reads it: every request and every TLS handshake compares a few
    `stat`s. A file that no longer validates is logged and the last good config stays;
    switching TLS on or off needs a restart (the listener is one or the other)."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._signature = _signature(config)
        self._auth = BasicAuth(config.users) if config.users else None
        # The listener's context: each handshake may hand over to a newer one.
        self.ssl_context = config.ssl_context
        if self.ssl_context is not None:
            self.ssl_context.sni_callback = self._on_client_hello

    def refresh(self) -> WebConfig:
        signature = _signature(self.config)
        if signature == self._signature:
            return self.config
        self._signature = signature
        try:
            config = load_web_config(self.config.path)
        except WebConfigError as exc:
            log.error(
                "%s changed but is invalid; keeping the previous web config: %s",
                self.config.path,
                "; ".join(exc.problems),
            )
            return self.config
        if (config.ssl_context is None) != (self.ssl_context is None):
            log.error(
                "%s: switching TLS on or off needs a restart; keeping the previous web config",
                self.config.path,
            )
            return self.config
        log.info("%s changed: web config reloaded (%s)", config.path, describe_web_config(config))
        self.config = config
        self._signature = _signature(config)
        self._auth = BasicAuth(config.users) if config.users else None
        return config

    def _on_client_hello(self, connection: Any, server_name: str | None, _: Any) -> None:
        # Called for every ClientHello, with or without SNI.
        context = self.refresh().ssl_context
        if context is not None and context is not self.ssl_context:
            connection.context = context

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Basic auth when users are configured, and the configured headers on every
        answer (401s and errors included)."""
        config = self.refresh()
        auth = self._auth
        response: web.StreamResponse
        if auth is not None and not await _authorized(auth, request):
            response = web.Response(
                status=401,
                text="Unauthorized\n",
                headers={"WWW-Authenticate": 'Basic realm="cdn-exporter", charset="UTF-8"'},
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                exc.headers.update(config.headers)
                raise
        response.headers.update(config.headers)
        return response


async def _authorized(auth: BasicAuth, request: web.Request) -> bool:
    credentials = parse_basic_authorization(request.headers.get("Authorization", ""))
    return credentials is not None and await auth.check(*credentials)
