"""The web config's schema, exporter-toolkit v0.8's, with Go's coercions of YAML values
(null is the zero value, a number read into a string field is its digits) and the checks
the schema alone cannot express."""

from __future__ import annotations

import ssl
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from collector.webconfig.auth import bcrypt_cost

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
# How much of a value from the file a problem quotes back: enough to recognise it, never
# a whole pasted secret or a line-wrecking blob.
QUOTED_CHARS = 80


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


def _headers(value: dict[str, str]) -> dict[str, str]:
    """The extra headers, if exporter-toolkit lets a file set each of them to its value."""
    for name, text in value.items():
        if name not in EXTRA_HEADERS:
            allowed = ", ".join(EXTRA_HEADERS)
            raise ValueError(
                f"HTTP header {name[:QUOTED_CHARS]!r} can not be configured (only {allowed})"
            )
        values = EXTRA_HEADERS[name]
        if values is not None and text not in values:
            raise ValueError(
                f"invalid value for {name}: expected one of {', '.join(values)}, "
                f"got {text[:QUOTED_CHARS]!r}"
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


def check_model(model: WebConfigModel) -> list[str]:
    """What the schema alone cannot say, as exporter-toolkit checks it."""
    problems = []
    for user, hashed in model.basic_auth_users.items():
        try:
            bcrypt_cost(hashed)
        except ValueError as exc:
            # The user name, never the hash: it may be a password pasted in the wrong place.
            problems.append(f"basic_auth_users.{user[:QUOTED_CHARS]}: {exc}")
    try:
        _headers(model.http_server_config.headers)
    except ValueError as exc:
        problems.append(f"http_server_config.headers: {exc}")
    tls = model.tls_server_config
    where = "tls_server_config"
    for index, name in enumerate(tls.cipher_suites):
        if name not in CIPHER_SUITES:
            problems.append(f"{where}.cipher_suites.{index}: unknown cipher: {name[:QUOTED_CHARS]}")
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
