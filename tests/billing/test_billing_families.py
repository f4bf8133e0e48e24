"""Billing samples from group-months: names, labels, values, HELP."""

from __future__ import annotations

from typing import Any

import pytest

from collector.billing.calendar import BillingMonth
from collector.billing.config import BillingGroup
from collector.billing.families import (
    BILLING_FAMILIES,
    BillingSample,
    GroupState,
    billing_samples,
)
from collector.billing.ledger import GroupLedger, Method

PLUS8 = 8 * 3600
NOVEMBER = BillingMonth("2026-11", PLUS8)
MBPS = 125_000.0


def _end(month: BillingMonth, slot: int) -> int:
    """The end of the month's `slot`."""
    return month.start + (slot + 1) * 300


def _state(**group: Any) -> GroupState:
    config = BillingGroup.model_validate({"name": "video", **group})
    ledger = GroupLedger(config.offset, window=12, valid_days_only=config.valid_days_only)
    # Day 1 idle, day 2 at 100 Mbps with 20 points at 600 Mbps.
    values = [0.0] * 288 + [600 * MBPS] * 20 + [100 * MBPS] * 268
    for slot, value in enumerate(values):
        ledger.record(_end(NOVEMBER, slot), value)
    return GroupState("acct", config, ledger)


def _by_name(samples: list[BillingSample]) -> dict[str, dict[tuple[str, ...], float]]:
    out: dict[str, dict[tuple[str, ...], float]] = {}
    for sample in samples:
        out.setdefault(sample.family.name, {})[sample.labels] = sample.value
    return out


def test_samples_of_a_p95_group() -> None:
    state = _state(
        commit={"bandwidth": "500Mbps"},
        price={"currency": "CNY", "flat": 20},
        proration=True,
    )
    state.ledger.months["2026-11"].provider[Method.P95] = 590 * MBPS
    samples = billing_samples([state], settled_until=NOVEMBER.start + 3 * 86400)
    got = _by_name(samples)
    month = ("acct", "video", "2026-11")
    p95 = ("acct", "video", "p95", "2026-11")
    assert got["cdn_billing_bandwidth_bytes_per_second"][p95] == 600 * MBPS  # 15th of 288
    assert got["cdn_billing_bandwidth_bytes_per_second"][
        ("acct", "video", "daily_peak_average", "2026-11")
    ] == (600 * MBPS)
    assert got["cdn_billing_points"][month] == 576
    assert got["cdn_billing_expected_points"][month] == 3 * 288
    assert got["cdn_billing_traffic_bytes"][month] == pytest.approx(
        (20 * 600 + 268 * 100) * MBPS * 300
    )
    assert got["cdn_billing_commit_bytes_per_second"][("acct", "video", "p95")] == 500 * MBPS
    # Half the days idle: 4,320 billed points by the month end, 216 may exceed; 20 did.
    assert got["cdn_billing_burst_points_remaining"][month] == 216 - 20
    assert got["cdn_billing_provider_bandwidth_bytes_per_second"][p95] == 590 * MBPS
    assert got["cdn_billing_late_revisions"][month] == 0
    # Forecast 600 Mbps x 20 CNY, prorated by the valid share of the days so far (1 of 2).
    cost = got["cdn_billing_estimated_cost"][(*month, "CNY")]
    assert cost == pytest.approx(600 * 20 / 2)
    assert "cdn_billing_commit_traffic_bytes" not in got


def test_samples_of_a_traffic_group() -> None:
    state = _state(
        method="traffic",
        commit={"traffic": "10TB"},
        price={"currency": "USD", "flat": 0.01},
        proration=True,  # not applied to traffic
    )
    got = _by_name(billing_samples([state], settled_until=0))
    month = ("acct", "video", "2026-11")
    forecast = got["cdn_billing_forecast_traffic_bytes"][month]
    assert forecast == pytest.approx(got["cdn_billing_traffic_bytes"][month] * 15)
    assert got["cdn_billing_estimated_cost"][(*month, "USD")] == pytest.approx(
        forecast / 1e9 * 0.01
    )
    assert got["cdn_billing_commit_traffic_bytes"][("acct", "video")] == 1e13
    assert got["cdn_billing_expected_points"][month] == 0
    assert "cdn_billing_burst_points_remaining" not in got


def test_labels_match_each_family() -> None:
    samples = billing_samples([_state(price={"currency": "CNY", "flat": 1})], NOVEMBER.end)
    assert {s.family for s in samples} <= set(BILLING_FAMILIES)
    for sample in samples:
        assert len(sample.labels) == 1 + len(sample.family.labels), sample


def test_help_names_the_method_conversion_and_slice() -> None:
    by_name = {family.name: family for family in BILLING_FAMILIES}
    bandwidth = by_name["cdn_billing_bandwidth_bytes_per_second"].meaning
    for words in ("floor(0.05 x N) + 1", "125,000 bytes/s", "5-minute", "fourth_daily_peak"):
        assert words in bandwidth
    assert "300 s" in by_name["cdn_billing_traffic_bytes"].meaning
    assert (
        "repeats the month so far"
        in by_name["cdn_billing_forecast_bandwidth_bytes_per_second"].meaning
    )
    assert all(f.name.startswith("cdn_billing_") for f in BILLING_FAMILIES)
