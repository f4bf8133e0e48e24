"""A billed amount's estimated cost from a flat or tiered price."""

from __future__ import annotations

import math

from collector.billing.config import BillingGroup, Price
from collector.billing.ledger import Figures, Method
from collector.model import GIGABYTE, MEGABIT_PER_SECOND


def estimated_cost(price: Price, method: Method, amount: float) -> float:
    """The cost of `amount` (bytes per second, or bytes for `traffic`) at `price`, which
    is per `price.per` (default 1 Mbps, or 1 GB for traffic; decimal units)."""
    default = GIGABYTE if method is Method.TRAFFIC else MEGABIT_PER_SECOND
    per = price.per.value if price.per is not None else default
    units = amount / per
    if price.flat is not None:
        return units * price.flat
    tiers = price.tiers or []
    bounds = [tier.up_to.value / per if tier.up_to else math.inf for tier in tiers]
    if price.tiering == "volume":
        tier = next(t for t, bound in zip(tiers, bounds, strict=True) if units <= bound)
        return units * tier.price
    cost = low = 0.0
    for tier, high in zip(tiers, bounds, strict=True):
        if units <= low:
            break
        cost += (min(units, high) - low) * tier.price
        low = high
    return cost


def month_cost(group: BillingGroup, figures: Figures) -> float | None:
    """The group's estimated month cost at its price (None: no price), from its month-end
    forecast; with proration a bandwidth cost x valid days / days with points so far."""
    if group.price is None:
        return None
    cost = estimated_cost(group.price, group.method, figures.forecast(group.method))
    if group.proration and group.method is not Method.TRAFFIC and figures.days_seen:
        cost *= figures.valid_days / figures.days_seen
    return cost
