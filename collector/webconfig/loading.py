"""Read a web config file: strict YAML, the schema, its files resolved and loaded."""

from __future__ import annotations

import logging
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from collector.webconfig.schema import TLSServerConfig, WebConfigModel, check_model
from collector.webconfig.tls import server_ssl_context
from collector.yamlfile import YamlFileError, read_mapping

log = logging.getLogger(__name__)


class WebConfigError(Exception):
    """An invalid web config; `problems` holds one `path: reason` per issue."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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


def _message(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


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


def load_web_config(path: Path) -> WebConfig:
    """Read and validate the web config at `path`, loading its certificates; every
    problem as `field: reason`, or WebConfigError."""
    try:
        data = read_mapping(
            path,
            string_keys=False,  # Go reads a number key into a map[string] as its digits
            not_a_mapping="the top level must be a mapping (tls_server_config, basic_auth_users…)",
        )
    except YamlFileError as exc:
        raise WebConfigError(exc.problems) from None
    try:
        model = WebConfigModel.model_validate(data)
    except ValidationError as exc:
        raise WebConfigError(
            [
                f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {_message(e)}"
                for e in exc.errors()
            ]
        ) from None
    problems = check_model(model)
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
