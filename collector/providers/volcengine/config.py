"""The Volcengine Live account: its config model and the frozen object polls run with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from collector.accountconfig import (
    ECHO_LIMIT,
    AccountBase,
    KeyPairAuth,
    Strict,
    secret_value,
)
from collector.billing.config import BillingGroup, BillingModel, billing_problems
from collector.model import RateLimit
from collector.providers.discovery import DiscoverySettings, limit_problem, settings_from
from collector.providers.endpoint import DEFAULT_UNITS, EndpointSettings, UnitChoices
from collector.providers.volcengine.discovery import LISTING_LIMIT
from collector.providers.volcengine.filters import LiveQueryFilters
from collector.providers.volcengine.filters import Region as QueryRegion

# Every Live timestamp is +08:00, and the billing month of the P95 figure is Beijing's.
LIVE_OFFSET = 8 * 3600


class VolcengineAuth(KeyPairAuth):
    """HMAC-SHA256 V4 keys, plus an STS session token. Each secret is a value, a
    `*_file` path or a `*_env` variable name."""

    method: Literal["aksk"] = "aksk"
    session_token: SecretStr | None = None
    session_token_file: Path | None = None
    session_token_env: str | None = None

    @model_validator(mode="after")
    def _resolve(self) -> VolcengineAuth:
        resolved = self.resolve_secrets("access_key", "secret_key", "session_token")
        missing = [n for n in ("access_key", "secret_key") if resolved[n] is None]
        if missing:
            raise ValueError(
                "volcengine signs with aksk: it needs "
                + " and ".join(f"{n} (or {n}_file / {n}_env)" for n in missing)
            )
        return self


class Region(Strict):
    """A Volcengine region filter: Area, optionally Country, optionally Province."""

    area: str = Field(min_length=1)
    country: str | None = Field(default=None, min_length=1)
    province: str | None = Field(default=None, min_length=1)

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


class LiveFilters(Strict):
    """Volcengine Live query filters."""

    protocols: list[LiveProtocol] = []
    isps: list[str] = []
    regions: list[Region] = []
    user_regions: list[Region] = []
    pull_to_push_groups: list[str] = []
    time_shift_vhosts: list[str] = []
    transcode_resolutions: list[TranscodeResolution] = []
    transcode_types: list[TranscodeType] = []

    @field_validator(
        "protocols",
        "isps",
        "pull_to_push_groups",
        "time_shift_vhosts",
        "transcode_resolutions",
        "transcode_types",
    )
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        """Each value is sent as a filter or becomes a label: empty, blank or repeated
        ones are typos, a URL where a vhost belongs never matches."""
        seen: set[str] = set()
        for item in value:
            if not item.strip():
                raise ValueError("an empty value (remove it, or the whole list)")
            if "/" in item or any(c.isspace() for c in item):
                raise ValueError(f"{item[:ECHO_LIMIT]!r} is a name, not a URL or a phrase")
            if item in seen:
                raise ValueError(f"{item[:ECHO_LIMIT]!r} is listed twice")
            seen.add(item)
        return value

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


class VolcengineAccountModel(AccountBase):
    """A Volcengine Live account (`provider: volcengine`)."""

    provider: Literal["volcengine"]
    auth: VolcengineAuth
    billing: BillingModel | None = None
    """Month-to-date billing groups (README, "Billing"); None: no billing figures."""
    region: str = Field(default="cn-north-1", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    """Signing region."""
    filters: LiveFilters = LiveFilters()

    @field_validator("domains")
    @classmethod
    def _no_wildcards(cls, value: list[str]) -> list[str]:
        # Live push and play domains are added one by one: a wildcard matches nothing.
        for domain in value:
            if domain.startswith("*."):
                raise ValueError(
                    f"{domain[:ECHO_LIMIT]!r}: Volcengine Live takes no wildcard domains; "
                    "list each push or play domain"
                )
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
        """With no domains the account total is polled, labelled `*`: only discovery's
        limit to check."""
        return self.discovery_problems() + self._billing_problems(endpoints)

    def _billing_problems(self, endpoints: list[EndpointSettings]) -> list[str]:
        if self.billing is None:
            return []
        slices = {e.spec.name: e.granularity for e in endpoints}
        return billing_problems(self.billing, self.provider, self.domains, slices)

    def runtime(self, endpoints: tuple[EndpointSettings, ...]) -> VolcengineAccount:
        def regions(values: list[Region]) -> tuple[QueryRegion, ...]:
            return tuple(QueryRegion(r.area, r.country, r.province) for r in values)

        f = self.filters
        return VolcengineAccount(
            name=self.name,
            provider=self.provider,
            base_url=self.base_url,
            domains=self.domain_list,
            discovery=self.discovery_settings(),
            timeout=self.timeout,
            endpoints=endpoints,
            shard=self.shard,
            billing=tuple(self.billing.groups) if self.billing else (),
            offset_seconds=LIVE_OFFSET,
            region=self.region,
            access_key=secret_value(self.auth.access_key),
            secret_key=secret_value(self.auth.secret_key),
            session_token=secret_value(self.auth.session_token) or None,
            filters=LiveQueryFilters(
                protocols=tuple(f.protocols),
                isps=tuple(f.isps),
                regions=regions(f.regions),
                user_regions=regions(f.user_regions),
                transcode_resolutions=tuple(f.transcode_resolutions),
                transcode_types=tuple(f.transcode_types),
            ),
            pull_to_push_groups=tuple(f.pull_to_push_groups),
            time_shift_vhosts=tuple(f.time_shift_vhosts),
        )


@dataclass(frozen=True, slots=True)
class VolcengineAccount:
    """A validated Volcengine Live account, as the poller and provider use it."""

    name: str
    provider: str
    base_url: str | None
    domains: tuple[str, ...]
    timeout: int
    endpoints: tuple[EndpointSettings, ...]
    offset_seconds: int
    region: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(repr=False)
    filters: LiveQueryFilters
    pull_to_push_groups: tuple[str, ...]
    time_shift_vhosts: tuple[str, ...]
    units: UnitChoices = DEFAULT_UNITS  # Live documents its units: always the defaults
    shard: int | None = None  # explicit shard from the config; None: by hash
    discovery: DiscoverySettings | None = None  # None: the domains are configured
    billing: tuple[BillingGroup, ...] = ()  # frozen models; none: no billing figures
