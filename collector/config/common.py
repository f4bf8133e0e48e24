"""Configuration pieces every provider's account model shares: durations, secrets, overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

from collector.timeslices import parse_duration

Duration = Annotated[int, BeforeValidator(parse_duration)]
"""Seconds, written as 300, "300s", "5m", "1h" or "1d"."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def resolve_secret(
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


def secret_value(value: SecretStr | None) -> str:
    """A resolved secret's text, or an empty string when it is not set."""
    return value.get_secret_value() if value is not None else ""


class RateLimitOverride(Strict):
    """A lower client-side limit than the published one: `calls` per `period`."""

    calls: int = Field(gt=0)
    period: Duration = Field(gt=0)


class EndpointOverride(Strict):
    """Per-endpoint settings; anything left out takes the catalog default."""

    enabled: bool | None = None
    interval: Duration | None = Field(default=None, gt=0)
    delay: Duration | None = None
    reread: Duration | None = None
    granularity: Duration | None = Field(default=None, gt=0)
    rate_limit: RateLimitOverride | None = None
    max_domains_per_call: int | None = Field(default=None, gt=0)
    """A lower per-call domain cap than the catalog's (some caps are not published)."""
    max_series: int | None = Field(default=None, ge=0)
    """Cap on this endpoint's series (0 or unset: none)."""
    expire_after_polls: int | None = Field(default=None, ge=1)
    """A series no successful poll reported this many times running is removed."""


class AccountBase(Strict):
    """What every account has, whatever its provider."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    base_url: str | None = None
    domains: list[str] = []
    endpoints: dict[str, EndpointOverride] = {}
    timeout: Duration = Field(default=30, gt=0)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/") if value else value

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
