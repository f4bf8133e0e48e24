"""Account-config primitives below the providers: durations, secrets, overrides, address checks."""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from collector.logs import printable
from collector.timeslices import DAY, MINUTE, parse_duration

# How much of a rejected value a message echoes back: enough to recognise it, never a
# pasted file's worth.
ECHO_LIMIT = 80

Duration = Annotated[int, BeforeValidator(parse_duration)]
"""Seconds, written as 300, "300s", "5m", "1h" or "1d"."""
# A host name label by label; a leading `*.` wildcard is what the providers accept.
HOSTNAME = re.compile(
    r"(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)

# A host to connect to: labels of letters, digits and hyphens; one label is enough.
_BARE_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A secret is a line: a file beyond this is a mistake (a log, an archive), and reading
# it whole would stall start-up. Reads stop one byte past it.
SECRET_FILE_MAX_BYTES = 64 * 1024
# What an `*_env` field names; anything else is likely the secret itself, pasted there.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
# Paths echoed in messages: absolute or explicitly relative. Anything else in a `*_file`
# field may be a secret pasted there, and is not shown.
_SHOWN_PATH = re.compile(r"(?:/|\./|\.\./|~/)[\x20-\x7e]{0,4000}")
_NOT_SHOWN = "(the value is not shown: is the secret itself pasted here?)"


def resolve_secret(
    name: str, value: SecretStr | None, file: Path | None, env: str | None
) -> SecretStr | None:
    """Pick the one source given for a secret and read it. No message echoes secret
    material: only the field, a path that looks like one, and the kind of problem."""
    given = [src for src in (value, file, env) if src is not None]
    if len(given) > 1:
        raise ValueError(f"give only one of {name}, {name}_file, {name}_env")
    if value is not None:
        _check_secret(name, value.get_secret_value())
    if file is not None:
        return SecretStr(_read_secret_file(f"{name}_file", file))
    if env is not None:
        if not _ENV_NAME.fullmatch(env):
            raise ValueError(
                f"{name}_env: not an environment variable name (letters, digits, _) {_NOT_SHOWN}"
            )
        text = os.environ.get(env, "").strip()
        if not text:
            raise ValueError(f"{name}_env: environment variable {env} is not set or empty")
        _check_secret(f"{name}_env {env}", text)
        return SecretStr(text)
    return value


def _read_secret_file(field: str, file: Path) -> str:
    """The stripped text of a regular file of at most SECRET_FILE_MAX_BYTES."""
    # A path that names an existing file is a path, not a pasted secret.
    if not (_SHOWN_PATH.fullmatch(str(file)) or file.exists()):
        raise ValueError(
            f"{field}: no such file; give an absolute path (or ./relative) {_NOT_SHOWN}"
        )
    shown = printable(str(file))
    try:
        # A FIFO or a device would block or never end: only regular files are read.
        if not stat.S_ISREG(file.stat().st_mode):
            raise ValueError(f"{field}: {shown} is not a regular file")
        with file.open("rb") as handle:
            data = handle.read(SECRET_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{field}: cannot read {shown}: {exc.strerror}") from None
    if len(data) > SECRET_FILE_MAX_BYTES:
        raise ValueError(
            f"{field}: {shown} is larger than {SECRET_FILE_MAX_BYTES // 1024} KiB "
            "(a secret file holds the secret alone)"
        )
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"{field}: {shown} is not UTF-8 text") from None
    _check_secret(f"{field} {shown}", text)
    return text


def _check_secret(name: str, text: str) -> None:
    """Keys are printable ASCII; anything else could not go into a header. The value is
    never echoed back: it may be a real secret pasted in the wrong place."""
    if not text.strip():
        raise ValueError(f"{name} is empty")
    if not (text.isascii() and text.isprintable()):
        raise ValueError(f"{name} has characters a key cannot have (printable ASCII only)")


class KeyPairAuth(Strict):
    """An access key and a secret key, each a value, a `*_file` path or a `*_env`
    variable name; providers add their own secrets and rules."""

    access_key: SecretStr | None = None
    access_key_file: Path | None = None
    access_key_env: str | None = None
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    secret_key_env: str | None = None

    def resolve_secrets(self, *names: str) -> dict[str, SecretStr | None]:
        """Read each secret from its one given source and keep the result on the model.
        Every secret's problem is reported, one per line of the ValueError."""
        resolved: dict[str, SecretStr | None] = {}
        problems: list[str] = []
        for name in names:
            try:
                resolved[name] = resolve_secret(
                    name,
                    getattr(self, name),
                    getattr(self, f"{name}_file"),
                    getattr(self, f"{name}_env"),
                )
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            raise ValueError("\n".join(problems))
        for name, secret in resolved.items():
            object.__setattr__(self, name, secret)
        return resolved


def secret_value(value: SecretStr | None) -> str:
    """A resolved secret's text, or an empty string when it is not set."""
    return value.get_secret_value() if value is not None else ""


class RateLimitOverride(Strict):
    """A lower client-side limit than the published one: `calls` per `period`."""

    calls: int = Field(gt=0, le=100_000, strict=True)
    period: Duration = Field(gt=0, le=DAY)


class EndpointOverride(Strict):
    """Per-endpoint settings; anything left out takes the catalog default."""

    enabled: bool | None = None
    # Bounds keep a plan sane: a year-long delay would ask for thousands of windows per
    # poll, an interval beyond a day would leave data stale for longer than it settles.
    interval: Duration | None = Field(default=None, ge=MINUTE, le=DAY)
    delay: Duration | None = Field(default=None, le=2 * DAY)
    reread: Duration | None = Field(default=None, le=DAY)
    granularity: Duration | None = Field(default=None, gt=0, le=DAY)
    rate_limit: RateLimitOverride | None = None
    max_domains_per_call: int | None = Field(default=None, gt=0, le=10_000, strict=True)
    """A lower per-call domain cap than the catalog's (some caps are not published)."""
    max_series: int | None = Field(default=None, ge=0, le=100_000_000, strict=True)
    """Cap on this endpoint's series (0 or unset: none)."""
    expire_after_polls: int | None = Field(default=None, ge=1, le=100_000, strict=True)
    """A series no successful poll reported this many times running is removed."""
    slices: bool | None = None
    """Also export each settled slice, stamped with its end time, on /metrics/slices
    (`cdn_slice_*` families, for replicas that Prometheus merges: see the README)."""


# A domain pattern: host-name characters and the glob characters `*`, `?`, `[`, `]`.
_PATTERN = re.compile(r"[A-Za-z0-9*?\[\]!.-]{1,253}")


class DiscoveryModel(Strict):
    """Domain discovery: list the account's domains through the provider's own API."""

    include: list[str] = []
    """Glob patterns (fnmatch, case-insensitive); a domain must match one. Empty: all."""
    exclude: list[str] = []
    """Glob patterns; a domain matching one is left out (wins over include)."""
    refresh: Duration = Field(default=3600, ge=5 * MINUTE, le=DAY)
    """How often the domain list is fetched again."""
    rate_limit: RateLimitOverride | None = None
    """A lower client-side limit for the listing calls than the provider's default."""

    @field_validator("include", "exclude")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for pattern in value:
            if not _PATTERN.fullmatch(pattern):
                raise ValueError(
                    f"{pattern[:ECHO_LIMIT]!r} is not a domain pattern (host-name characters "
                    "and the globs * ? [...] only)"
                )
            if pattern in seen:
                raise ValueError(f"pattern {pattern!r} is listed twice")
            seen.add(pattern)
        return value


class AccountBase(Strict):
    """What every account has, whatever its provider."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    base_url: str | None = None
    domains: list[str] = []
    """The domains to report on; `domains: auto` discovers them (see `discovery`)."""
    discovery: DiscoveryModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _auto(cls, data: Any) -> Any:
        """`domains: auto` is discovery with its defaults (or the `discovery:` block)."""
        if isinstance(data, dict) and data.get("domains") == "auto":
            return {**data, "domains": [], "discovery": data.get("discovery") or {}}
        return data

    endpoints: dict[str, EndpointOverride] = {}
    timeout: Duration = Field(default=30, gt=0, le=300)
    shard: int | None = Field(default=None, ge=0, le=999, strict=True)
    """The replica that polls this account (0 to --total-shards - 1); unset: the
    account's stable hash picks it (see collector/sharding.py)."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise ValueError("base_url must start with http:// or https://")
        if "@" in parts.netloc:
            # The signing sets Authorization itself; user info would clash with it on
            # every call. The value is not shown: it holds a credential.
            raise ValueError(
                "base_url must not carry user info (user:password@): credentials go under auth"
            )
        if not parts.hostname:
            raise ValueError("base_url needs a host")
        if not (_BARE_HOST.fullmatch(parts.hostname) or _is_ip(parts.hostname)):
            raise ValueError(f"{parts.hostname[:ECHO_LIMIT]!r} is not a host name or an IP address")
        try:
            parts.port  # noqa: B018  (raises on a port outside 0-65535)
        except ValueError:
            raise ValueError("base_url has an invalid port (1-65535)") from None
        if parts.query or parts.fragment:
            raise ValueError("base_url takes no query or fragment")
        return value.rstrip("/")

    @field_validator("domains", mode="before")
    @classmethod
    def _domain_list(cls, value: Any) -> Any:
        """`domains: a, b` is one string to YAML: say what it should have been."""
        if isinstance(value, str):
            raise ValueError(
                f"{value[:ECHO_LIMIT]!r} is a string: give a list "
                "([www.example.com, img.example.com]) or `auto` to discover the domains"
            )
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for domain in value:
            if not HOSTNAME.fullmatch(domain):
                raise ValueError(
                    f"{domain[:ECHO_LIMIT]!r} is not a host name (a domain such as "
                    "www.example.com, or *.example.com; no scheme, path or port)"
                )
            if domain in seen:
                raise ValueError(f"domain {domain!r} is listed twice")
            seen.add(domain)
        return value

    def listing_conflict(self) -> list[str]:
        """A domain list and discovery both given (checked with the other problems)."""
        if self.discovery is not None and self.domains:
            return [
                "domains: a domain list and discovery exclude each other "
                "(use domains: auto with discovery, or list the domains)"
            ]
        return []

    @property
    def discovers(self) -> bool:
        """Whether the account's domains come from the provider's listing API."""
        return self.discovery is not None

    @property
    def domain_list(self) -> tuple[str, ...]:
        """The configured domains (none when they are discovered)."""
        return tuple(self.domains)


def parse_listen_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `[::1]:PORT` into (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT with a port 0-65535, got {text[:ECHO_LIMIT]!r}")
    host = host.strip("[]")
    if host and not (HOSTNAME.fullmatch(host) or _is_ip(host) or host == "localhost"):
        raise ValueError(f"not a host to listen on: {host[:ECHO_LIMIT]!r}")
    return (host or "0.0.0.0"), int(port)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
