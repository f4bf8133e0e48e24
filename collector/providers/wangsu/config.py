"""The Wangsu/CDNetworks account: its config model and the frozen object polls run with."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator

from collector.accountconfig import AccountBase, KeyPairAuth, Strict, secret_value
from collector.billing.config import BillingGroup, BillingModel, billing_problems
from collector.model import RateLimit
from collector.providers.discovery import DiscoverySettings, limit_problem, settings_from
from collector.providers.endpoint import DEFAULT_UNITS, EndpointSettings, UnitChoices
from collector.providers.wangsu.catalog import DIALECTS
from collector.providers.wangsu.discovery import LISTING_LIMIT
from collector.timeslices import parse_offset


class WangsuAuth(KeyPairAuth):
    """AK/SK (CNC-HMAC-SHA256) or the legacy username + API key. Each secret is a
    value, a `*_file` path or a `*_env` variable name."""

    method: Literal["aksk", "apikey"] = "aksk"
    username: str | None = None
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    api_key_env: str | None = None

    @model_validator(mode="after")
    def _resolve(self) -> WangsuAuth:
        resolved = self.resolve_secrets("access_key", "secret_key", "api_key")
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
        return self


class WangsuUnits(Strict):
    """How this account's answers read the units the reference leaves open ([?])."""

    megabyte: Literal["decimal", "binary"] = "decimal"
    """MB as 10^6 bytes (decimal, the default) or 2^20 (binary)."""
    hit_ratio: Literal["auto", "fraction", "percent"] = "auto"
    """Hit and saving ratios: a fraction, read as percent above 1 (auto, the default),
    always a fraction (a value above 1 is then malformed), or always percent."""


class WangsuAccountModel(AccountBase):
    """A Wangsu (`provider: wangsu`) or CDNetworks (`provider: cdnetworks`) account."""

    provider: Literal["wangsu", "cdnetworks"]
    auth: WangsuAuth
    billing: BillingModel | None = None
    """Month-to-date billing groups (README, "Billing"); None: no billing figures."""
    time_offset: str = "+08:00"
    """The offset sent with request times; responses come back in it."""
    units: WangsuUnits = WangsuUnits()
    api_dialect: Literal["cdnetworks", "wangsu"] | None = None
    """How report paths and keys are spelled: `cdnetworks` (`/api/report/traffic-request`,
    `granularity`, `dataSeries`, ...: CDNetworks' SDK since November 2025) or `wangsu`
    (`/api/report/flow-request`, `dataInterval`, ...). Default: the provider's own."""

    @property
    def dialect(self) -> str:
        return self.api_dialect or self.provider

    @field_validator("time_offset")
    @classmethod
    def _offset(cls, value: str) -> str:
        parse_offset(value)
        return value

    def discovery_settings(self) -> DiscoverySettings | None:
        """How the account's domains are discovered; None when they are listed."""
        if not self.discovers:
            return None
        d = self.discovery
        limit = None
        if d is not None and d.rate_limit is not None:
            limit = RateLimit(d.rate_limit.calls, d.rate_limit.period)
        return settings_from(
            d.refresh if d else None,
            d.include if d else [],
            d.exclude if d else [],
            limit,
            LISTING_LIMIT,
        )

    def discovery_problems(self) -> list[str]:
        settings = self.discovery_settings()
        if settings is None:
            return []
        problem = limit_problem(settings.rate_limit, LISTING_LIMIT)
        return self.listing_conflict() + ([problem] if problem else [])

    def problems(self, endpoints: list[EndpointSettings]) -> list[str]:
        """What the model alone cannot say: every report needs a domain list (or
        discovery), and a per-call domain cap within the spelling's."""
        needs = [e.spec.name for e in endpoints if e.spec.max_domains_per_call > 0]
        if needs and not self.domains and not self.discovers:
            return [
                "domains: list the domains to report on, or `auto` to discover them "
                f"(needed by {', '.join(needs)})"
            ]
        return (
            self.dialect_problems() + self.discovery_problems() + self._billing_problems(endpoints)
        )

    def _billing_problems(self, endpoints: list[EndpointSettings]) -> list[str]:
        if self.billing is None:
            return []
        slices = {e.spec.name: e.granularity for e in endpoints}
        return billing_problems(self.billing, self.provider, self.domains, slices)

    def dialect_problems(self) -> list[str]:
        """Overrides above the cap of the report as `api_dialect` spells it (the
        catalog check saw the provider's own spelling)."""
        if self.dialect == self.provider:
            return []  # the catalog check has seen this spelling
        problems = []
        spelled = DIALECTS[self.dialect]
        for name, override in self.endpoints.items():
            spec = spelled.get(name)
            cap = override.max_domains_per_call
            if spec is not None and cap is not None and cap > spec.max_domains_per_call:
                problems.append(
                    f"endpoints.{name}.max_domains_per_call: {cap} is above "
                    f"{spec.path}'s {spec.max_domains_per_call} (api_dialect: {self.dialect})"
                )
        return problems

    def spelled(self, settings: EndpointSettings) -> EndpointSettings:
        """`settings` with its report as `api_dialect` spells it (path, keys, domain
        cap); a report only one brand documents keeps its own spelling."""
        spec = DIALECTS[self.dialect].get(settings.spec.name, settings.spec)
        # The deferred alternatives too, even when this report itself is not renamed.
        deferred = tuple(self.spelled(option) for option in settings.deferred)
        if spec is settings.spec:
            return replace(settings, deferred=deferred) if deferred else settings
        override = self.endpoints.get(spec.name)
        configured = override.max_domains_per_call if override is not None else None
        return replace(
            settings,
            spec=spec,
            max_domains_per_call=min(
                configured or spec.max_domains_per_call, spec.max_domains_per_call
            ),
            deferred=deferred,
        )

    def runtime(self, endpoints: tuple[EndpointSettings, ...]) -> WangsuAccount:
        auth = self.auth
        return WangsuAccount(
            name=self.name,
            provider=self.provider,
            base_url=self.base_url,
            domains=self.domain_list,
            discovery=self.discovery_settings(),
            timeout=self.timeout,
            endpoints=tuple(self.spelled(settings) for settings in endpoints),
            shard=self.shard,
            billing=tuple(self.billing.groups) if self.billing else (),
            offset_seconds=parse_offset(self.time_offset),
            units=UnitChoices(megabyte=self.units.megabyte, ratio=self.units.hit_ratio),
            credentials=WangsuCredentials(
                method=auth.method,
                access_key=secret_value(auth.access_key),
                secret_key=secret_value(auth.secret_key),
                username=auth.username or "",
                api_key=secret_value(auth.api_key),
            ),
        )


@dataclass(frozen=True, slots=True)
class WangsuCredentials:
    """Resolved credentials; never printed."""

    method: str  # "aksk" | "apikey"
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    username: str
    api_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class WangsuAccount:
    """A validated Wangsu/CDNetworks account, as the poller and provider use it."""

    name: str
    provider: str
    base_url: str | None
    domains: tuple[str, ...]
    timeout: int
    endpoints: tuple[EndpointSettings, ...]
    offset_seconds: int
    credentials: WangsuCredentials
    units: UnitChoices = DEFAULT_UNITS
    shard: int | None = None  # explicit shard from the config; None: by hash
    discovery: DiscoverySettings | None = None  # None: the domains are configured
    billing: tuple[BillingGroup, ...] = ()  # frozen models; none: no billing figures
