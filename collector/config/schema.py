"""The configuration schema: top-level keys, and accounts as a union on `provider`."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from collector.accountconfig import Duration, parse_listen_address
from collector.providers.volcengine.config import VolcengineAccountModel
from collector.providers.wangsu.config import WangsuAccountModel
from collector.timeslices import DAY, HOUR

DEFAULT_LISTEN_ADDRESS = "0.0.0.0:10090"
ENV_PREFIX = "CDN_EXPORTER_"

# Every top-level key and what its CDN_EXPORTER_* variable takes: the one list that
# `--help`, the README and config/example.yaml show (tests compare them).
ENVIRONMENT_OVERRIDES = (
    ("listen_address", "HOST:PORT"),
    ("account_jitter", "a duration (10s, 1m)"),
    ("readiness_grace", "a duration"),
    ("max_series", "a count (0: no cap)"),
    ("state_file", "a path"),
    ("max_backfill", "a duration"),
    ("rate_budget_share", "a share above 0, at most 1"),
    ("max_response_bytes", "a byte count (1 MiB to 1 GiB)"),
    ("accounts", "a JSON list that replaces the file's accounts"),
)


def environment_overrides() -> list[str]:
    """One aligned line per variable: `CDN_EXPORTER_KEY  key: what it takes`."""
    names = [f"{ENV_PREFIX}{key.upper()}" for key, _ in ENVIRONMENT_OVERRIDES]
    width = max(map(len, names)) + 2
    return [
        f"{name:<{width}}{key}: {takes}"
        for name, (key, takes) in zip(names, ENVIRONMENT_OVERRIDES, strict=True)
    ]


def _digits(value: Any) -> Any:
    """A count from the environment arrives as text: `"1000"` is 1000, nothing looser."""
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value.strip())
    return value


# Each provider owns its account model; `provider:` picks which one validates an entry.
AccountModel = Annotated[
    WangsuAccountModel | VolcengineAccountModel, Field(discriminator="provider")
]


class Settings(BaseSettings):
    """The whole configuration: the YAML file, overridden by CDN_EXPORTER_* variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    accounts: list[AccountModel] = Field(min_length=1)
    listen_address: str = DEFAULT_LISTEN_ADDRESS
    account_jitter: Duration = Field(default=10, le=3600)
    """Spread accounts' polls over this many seconds so they do not fire together."""
    readiness_grace: Duration = Field(default=120, le=DAY)
    """/-/ready turns 200 after this long even if some endpoint has not succeeded yet."""
    max_series: Annotated[int, BeforeValidator(_digits)] = Field(
        default=1_000_000, ge=0, le=100_000_000, strict=True
    )
    """Global cap on CDN series; new series beyond it are dropped and counted. 0: none."""
    state_file: str | None = Field(default=None, min_length=1, max_length=4096)
    """Where counter totals and each endpoint's complete horizon persist across restarts."""
    max_backfill: Duration = Field(default=6 * HOUR, ge=HOUR, le=93 * DAY)
    """How far back a poll re-reads after an outage or a restart (within the API's history)."""
    rate_budget_share: float = Field(default=1.0, gt=0.0, le=1.0)
    """The share of every rate limit this replica plans with: 0.5 for each of two replicas
    polling the same accounts (high availability with `slices: true`)."""

    max_response_bytes: Annotated[int, BeforeValidator(_digits)] = Field(
        default=64 * 1024 * 1024, ge=1024 * 1024, le=1024 * 1024 * 1024, strict=True
    )
    """The largest provider answer read (after decompression); a larger one is a malformed
    answer (`too_large`), read no further than this."""

    @field_validator("listen_address")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen_address(value)
        return value

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
