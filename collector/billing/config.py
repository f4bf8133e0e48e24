"""Billing groups in an account's configuration: domains, method, commit, price, zone."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from collector.accountconfig import HOSTNAME, Strict
from collector.billing.calendar import SLOT_SECONDS
from collector.billing.ledger import Method
from collector.timeslices import parse_offset

# Decimal units (the providers bill on base 1000): bits per second and bytes.
_BANDWIDTH_UNITS = {"bps": 0.125, "Kbps": 125.0, "Mbps": 125e3, "Gbps": 125e6, "Tbps": 125e9}
_TRAFFIC_UNITS = {"B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15}
_QUANTITY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CURRENCY = re.compile(r"[A-Z]{3}")

BANDWIDTH = "bandwidth"
TRAFFIC = "traffic"


@dataclass(frozen=True, slots=True)
class Quantity:
    """A bandwidth (bytes per second) or a traffic (bytes); a bare number is either, in
    the base unit of wherever it is used (`dimension` None)."""

    value: float
    dimension: str | None


def parse_quantity(value: object) -> Quantity:
    """Read 500, "500Mbps", "1.5Gbps" (decimal bits per second) or "100TB" (decimal bytes)."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected a number or a quantity such as 500Mbps or 100TB")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"not a finite, non-negative quantity: {value!r}")
        return Quantity(float(value), None)
    match = _QUANTITY.fullmatch(value)
    unit = match[2] if match else ""
    if match is None or (unit not in _BANDWIDTH_UNITS and unit not in _TRAFFIC_UNITS):
        units = ", ".join([*_BANDWIDTH_UNITS, *_TRAFFIC_UNITS])
        raise ValueError(f"not a quantity: {value!r} (a number and one of {units})")
    if unit in _BANDWIDTH_UNITS:
        return Quantity(float(match[1]) * _BANDWIDTH_UNITS[unit], BANDWIDTH)
    return Quantity(float(match[1]) * _TRAFFIC_UNITS[unit], TRAFFIC)


Amount = Annotated[Quantity, BeforeValidator(parse_quantity)]


def dimension_of(method: Method) -> str:
    return TRAFFIC if method is Method.TRAFFIC else BANDWIDTH


class Commit(Strict):
    """The committed amount: a bandwidth (for the bandwidth methods) or a traffic."""

    bandwidth: Amount | None = None
    traffic: Amount | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> Commit:
        if (self.bandwidth is None) == (self.traffic is None):
            raise ValueError("give exactly one of bandwidth, traffic")
        for name in (BANDWIDTH, TRAFFIC):
            amount = getattr(self, name)
            if amount is not None and amount.dimension not in (None, name):
                raise ValueError(f"{name}: {amount.dimension} units where a {name} is due")
        return self


class Tier(Strict):
    """Up to `up_to` (the last tier: no bound) each unit costs `price`."""

    up_to: Amount | None = None
    price: float = Field(ge=0, allow_inf_nan=False)


class Price(Strict):
    """A flat price or tiers, per `per` (default 1 Mbps for bandwidth, 1 GB for traffic).
    Tiers are `graduated` (each part at its tier's price) or `volume` (all of it at the
    price of the tier it falls in)."""

    currency: str
    per: Amount | None = None
    flat: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    tiers: list[Tier] | None = Field(default=None, min_length=1)
    tiering: Literal["graduated", "volume"] = "graduated"

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not _CURRENCY.fullmatch(value):
            raise ValueError(f"not a currency code: {value!r} (three capitals, e.g. CNY, USD)")
        return value

    @field_validator("per")
    @classmethod
    def _per(cls, value: Quantity | None) -> Quantity | None:
        if value is not None and value.value <= 0:
            raise ValueError("the unit a price is for must be above zero")
        return value

    @model_validator(mode="after")
    def _flat_or_tiers(self) -> Price:
        if (self.flat is None) == (self.tiers is None):
            raise ValueError("give exactly one of flat, tiers")
        if self.tiers:
            bounds = [tier.up_to for tier in self.tiers]
            if bounds[-1] is not None:
                raise ValueError("tiers: the last tier has no up_to (it has no upper bound)")
            inner = [bound.value for bound in bounds[:-1] if bound is not None]
            if len(inner) != len(bounds) - 1:
                raise ValueError("tiers: only the last tier may leave out up_to")
            if any(b >= a for a, b in zip(inner[1:], inner, strict=False)):
                raise ValueError("tiers: up_to must increase from tier to tier")
        return self


class BillingGroup(Strict):
    """Named domains billed together: their 5-minute points are summed per slot and the
    month's figure is taken over the sums."""

    name: str
    domains: list[str] = Field(default_factory=list)
    """Empty: every domain of the account that no other group lists."""
    method: Method = Method.P95
    commit: Commit | None = None
    price: Price | None = None
    time_zone: str = "+08:00"
    """The billing month's UTC offset ([I]: the providers' consoles default to +08:00)."""
    proration: bool = False
    """Multiply a bandwidth cost by valid days / days in the month ([3P] Huawei, Baidu)."""
    valid_days_only: bool = True
    """p95 over the points of valid days (days with traffic) only ([3P] Huawei)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(f"not a group name: {value!r} (letters, digits, _ . -; 1-64)")
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        domains = [domain.lower() for domain in value]
        for domain in domains:
            if not HOSTNAME.fullmatch(domain):
                raise ValueError(f"not a domain name: {domain!r}")
        twice = sorted({d for d in domains if domains.count(d) > 1})
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}")
        return domains

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        if parse_offset(value) % SLOT_SECONDS:
            raise ValueError(f"{value}: a billing zone's offset is a multiple of 5 minutes")
        return value

    @property
    def offset(self) -> int:
        """Seconds east of UTC of the billing month."""
        return parse_offset(self.time_zone)

    @model_validator(mode="after")
    def _fits_method(self) -> BillingGroup:
        dimension = dimension_of(self.method)
        if self.commit is not None and getattr(self.commit, dimension) is None:
            raise ValueError(f"commit: method {self.method} takes a {dimension} commit")
        price = self.price
        amounts = [price.per, *(tier.up_to for tier in price.tiers or [])] if price else []
        for amount in amounts:
            if amount is not None and amount.dimension not in (None, dimension):
                raise ValueError(
                    f"price: {amount.dimension} units for method {self.method} ({dimension})"
                )
        return self


def _whole_account() -> list[BillingGroup]:
    return [BillingGroup(name="account")]


class BillingModel(Strict):
    """An account's billing groups (default: one group, `account`, every domain)."""

    groups: list[BillingGroup] = Field(default_factory=_whole_account, min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> BillingModel:
        names = [group.name for group in self.groups]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"groups: names used twice: {', '.join(twice)}")
        if sum(1 for group in self.groups if not group.domains) > 1:
            raise ValueError("groups: only one group may leave out domains (the rest)")
        owner: dict[str, str] = {}
        for group in self.groups:
            for domain in group.domains:
                if domain in owner:
                    raise ValueError(f"groups: {domain} is in {owner[domain]} and {group.name}")
                owner[domain] = group.name
        return self


# The 5-minute bandwidth report each provider's groups are billed from (its
# cdn_bandwidth_bytes_per_second, every direction summed: the providers bill up and down
# together).
BILLING_ENDPOINTS = {
    "wangsu": "flow_request",
    "cdnetworks": "flow_request",
    "volcengine": "bandwidth",
}


def billing_problems(
    billing: BillingModel, provider: str, domains: list[str], slices: dict[str, int]
) -> list[str]:
    """What the billing block cannot say alone: its domains must be the account's (when
    listed), and its endpoint must be polled in 5-minute slices (`slices`: each enabled
    endpoint's granularity by name)."""
    problems = []
    endpoint = BILLING_ENDPOINTS[provider]
    if slices.get(endpoint) != SLOT_SECONDS:
        problems.append(
            f"billing: needs the {endpoint} endpoint enabled with 5-minute slices "
            "(the groups are billed from its bandwidth)"
        )
    if domains:
        listed = set(domains)
        for index, group in enumerate(billing.groups):
            unknown = [d for d in group.domains if d not in listed]
            if unknown:
                problems.append(
                    f"billing.groups.{index}.domains: not among the account's domains: "
                    + ", ".join(unknown)
                )
    return problems
