"""The configuration schema: every key, its default and its validation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from collector.timeslices import parse_duration, parse_offset

Duration = Annotated[int, BeforeValidator(parse_duration)]
"""Seconds, written as 300, "300s", "5m", "1h" or "1d"."""

DEFAULT_LISTEN_ADDRESS = "0.0.0.0:10090"
PROVIDERS = ("wangsu", "cdnetworks", "volcengine")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _resolve_secret(
    name: str, value: SecretStr | None, file: Path | None, env: str | None
) -> SecretStr | None:
    """Pick the one source given for a secret and read it."""
    given = [src for src in (value, file, env) if src is not None]
    if len(given) > 1:
        raise ValueError(f"give only one of {name}, {name}_file, {name}_env")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{name}_file: cannot read {file}: {exc.strerror}") from None
        if not text:
            raise ValueError(f"{name}_file: {file} is empty")
        return SecretStr(text)
    if env is not None:
        text = os.environ.get(env, "").strip()
        if not text:
            raise ValueError(f"{name}_env: environment variable {env} is not set or empty")
        return SecretStr(text)
    return value


class Auth(_Strict):
    """Credentials. Each secret is a value, a `*_file` path or a `*_env` variable name."""

    method: Literal["aksk", "apikey"] = "aksk"
    access_key: SecretStr | None = None
    access_key_file: Path | None = None
    access_key_env: str | None = None
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    secret_key_env: str | None = None
    username: str | None = None
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    api_key_env: str | None = None
    session_token: SecretStr | None = None
    session_token_file: Path | None = None
    session_token_env: str | None = None

    @model_validator(mode="after")
    def _resolve(self) -> Auth:
        resolved: dict[str, Any] = {}
        for name in ("access_key", "secret_key", "api_key", "session_token"):
            resolved[name] = _resolve_secret(
                name,
                getattr(self, name),
                getattr(self, f"{name}_file"),
                getattr(self, f"{name}_env"),
            )
        if self.method == "aksk":
            missing = [n for n in ("access_key", "secret_key") if resolved[n] is None]
            if missing:
                raise ValueError(
                    "method aksk needs "
                    + " and ".join(f"{n} (or {n}_file / {n}_env)" for n in missing)
                )
        else:
            if not self.username:
                raise ValueError("method apikey needs username")
            if resolved["api_key"] is None:
                raise ValueError("method apikey needs api_key (or api_key_file / api_key_env)")
        for name, secret in resolved.items():
            object.__setattr__(self, name, secret)
        return self

    def secret(self, name: str) -> str:
        """The resolved secret `name`, or an empty string when not set."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else ""


class RateLimitOverride(_Strict):
    """A lower client-side limit than the published one: `calls` per `period`."""

    calls: int = Field(gt=0)
    period: Duration = Field(gt=0)


class EndpointOverride(_Strict):
    """Per-endpoint settings; anything left out takes the catalog default."""

    enabled: bool | None = None
    interval: Duration | None = Field(default=None, gt=0)
    delay: Duration | None = None
    reread: Duration | None = None
    granularity: Duration | None = Field(default=None, gt=0)
    rate_limit: RateLimitOverride | None = None
    max_domains_per_call: int | None = Field(default=None, gt=0)
    """A lower per-call domain cap than the catalog's (some caps are not published)."""


class Region(_Strict):
    """A Volcengine region filter: Area, optionally Country, optionally Province."""

    area: str
    country: str | None = None
    province: str | None = None

    @model_validator(mode="after")
    def _nested(self) -> Region:
        if self.province and not self.country:
            raise ValueError("province needs country (and area)")
        return self


LiveProtocol = Literal["HTTP-FLV", "HTTP-HLS", "RTMP", "RTM", "SRT", "QUIC"]
TranscodeResolution = Literal["480P", "720P", "1080P", "2K", "4K", "8K", "0P"]
TranscodeType = Literal[
    "Normal_H264",
    "Normal_H265",
    "Normal_H266",
    "ByteHD_H264",
    "ByteHD_H265",
    "ByteHD_H266",
    "ByteQE",
    "Audio",
]


class LiveFilters(_Strict):
    """Volcengine Live query filters."""

    protocols: list[LiveProtocol] = []
    isps: list[str] = []
    regions: list[Region] = []
    user_regions: list[Region] = []
    pull_to_push_groups: list[str] = []
    time_shift_vhosts: list[str] = []
    transcode_resolutions: list[TranscodeResolution] = []
    transcode_types: list[TranscodeType] = []

    @model_validator(mode="after")
    def _exclusive(self) -> LiveFilters:
        if self.regions and self.user_regions:
            raise ValueError(
                "regions and user_regions are mutually exclusive "
                "(Volcengine RegionList vs UserRegionList): keep one"
            )
        if "QUIC" in self.protocols and len(self.protocols) > 1:
            raise ValueError("QUIC cannot be combined with other protocols")
        return self


class Account(_Strict):
    """One provider account: its credentials, its domains and its endpoints."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    provider: Literal["wangsu", "cdnetworks", "volcengine"]
    base_url: str | None = None
    auth: Auth
    domains: list[str] = []
    endpoints: dict[str, EndpointOverride] = {}
    time_offset: str = "+08:00"
    """The offset sent with Wangsu/CDNetworks request times; responses come back in it."""
    region: str = "cn-north-1"
    """Volcengine signing region."""
    filters: LiveFilters = LiveFilters()
    timeout: Duration = Field(default=30, gt=0)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("time_offset")
    @classmethod
    def _offset(cls, value: str) -> str:
        parse_offset(value)
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for domain in value:
            if not domain or " " in domain:
                raise ValueError(f"invalid domain {domain!r}")
            if domain in seen:
                raise ValueError(f"domain {domain!r} is listed twice")
            seen.add(domain)
        return value

    @property
    def offset_seconds(self) -> int:
        return parse_offset(self.time_offset)


class Settings(BaseSettings):
    """The whole configuration: the YAML file, overridden by CDN_EXPORTER_* variables."""

    model_config = SettingsConfigDict(
        env_prefix="CDN_EXPORTER_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    accounts: list[Account] = Field(min_length=1)
    listen_address: str = DEFAULT_LISTEN_ADDRESS
    account_jitter: Duration = 10
    """Spread accounts' polls over this many seconds so they do not fire together."""

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        names = [a.name for a in self.accounts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"account names must be unique: {', '.join(dupes)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's contents arrive as init values; the environment overrides them.
        return (env_settings, init_settings)
