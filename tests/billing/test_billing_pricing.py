"""Estimated cost: flat, graduated and volume tiers, in the price's own unit."""

from __future__ import annotations

from typing import Any

import pytest

from collector.billing.config import Price
from collector.billing.ledger import Method
from collector.billing.pricing import estimated_cost

MBPS = 125_000.0
TIERS = [{"up_to": "100Mbps", "price": 30}, {"up_to": "1Gbps", "price": 25}, {"price": 20}]


def _price(**fields: Any) -> Price:
    return Price.model_validate({"currency": "CNY", **fields})


def test_flat_per_mbps_by_default() -> None:
    assert estimated_cost(_price(flat=20), Method.P95, 500 * MBPS) == pytest.approx(10_000)


def test_flat_per_unit_given() -> None:
    price = _price(flat=20_000, per="1Gbps")
    assert estimated_cost(price, Method.P95, 500 * MBPS) == pytest.approx(10_000)


def test_traffic_is_priced_per_gb_by_default() -> None:
    assert estimated_cost(_price(flat=0.1), Method.TRAFFIC, 2e12) == pytest.approx(200)


@pytest.mark.parametrize(
    ("mbps", "cost"),
    [(0, 0), (50, 1_500), (100, 3_000), (1_000, 3_000 + 22_500), (1_500, 35_500)],
)
def test_graduated_tiers_charge_each_part_at_its_price(mbps: float, cost: float) -> None:
    assert estimated_cost(_price(tiers=TIERS), Method.P95, mbps * MBPS) == pytest.approx(cost)


@pytest.mark.parametrize(
    ("mbps", "cost"), [(50, 1_500), (100, 3_000), (500, 12_500), (1_500, 30_000)]
)
def test_volume_tiers_charge_everything_at_the_tier_reached(mbps: float, cost: float) -> None:
    price = _price(tiers=TIERS, tiering="volume")
    assert estimated_cost(price, Method.P95, mbps * MBPS) == pytest.approx(cost)
