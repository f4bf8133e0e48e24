"""Billing months in a fixed offset: keys, bounds, slots, days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collector.billing.calendar import BillingMonth

PLUS8 = 8 * 3600
MINUS5 = -5 * 3600


def _utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("key", "days"), [("2026-02", 28), ("2024-02", 29), ("2026-11", 30), ("2026-12", 31)]
)
def test_days_and_slots(key: str, days: int) -> None:
    month = BillingMonth(key, PLUS8)
    assert month.days == days
    assert month.slots == days * 288
    assert month.end - month.start == days * 86400


def test_month_starts_at_local_midnight() -> None:
    assert BillingMonth("2026-12", PLUS8).start == _utc(2026, 11, 30, 16)
    assert BillingMonth("2026-12", MINUS5).start == _utc(2026, 12, 1, 5)
    assert BillingMonth("2026-12", PLUS8).end == _utc(2026, 12, 31, 16)


def test_a_slice_belongs_to_the_month_of_its_start() -> None:
    # +08:00: the slice ending at 00:00 local on the 1st is the previous month's last.
    midnight = _utc(2026, 11, 30, 16)
    assert BillingMonth.of_slice(midnight, PLUS8).key == "2026-11"
    assert BillingMonth.of_slice(midnight + 300, PLUS8).key == "2026-12"
    # -05:00: 03:00 UTC on the 1st is still the previous day (and month) locally.
    assert BillingMonth.of(_utc(2027, 1, 1, 3), MINUS5).key == "2026-12"
    assert BillingMonth.of(_utc(2027, 1, 1, 5), MINUS5).key == "2027-01"


def test_slots_and_their_ends() -> None:
    month = BillingMonth("2026-12", MINUS5)
    assert month.slot_of(month.start + 300) == 0
    assert month.slot_of(month.end) == month.slots - 1
    for end in (month.start, month.end + 300, month.start + 301):
        with pytest.raises(ValueError, match="not a 5-minute slice"):
            month.slot_of(end)


def test_slots_until() -> None:
    month = BillingMonth("2026-12", PLUS8)
    assert month.slots_until(month.start - 1) == 0
    assert month.slots_until(month.start + 899) == 2
    assert month.slots_until(month.end + 86400) == month.slots


def test_previous_crosses_years() -> None:
    assert BillingMonth("2027-01", 0).previous() == BillingMonth("2026-12", 0)
    assert BillingMonth("2027-03", 0).previous().days == 28


@pytest.mark.parametrize(("key", "offset"), [("2026-13", 0), ("26-01", 0), ("2026-01", 100)])
def test_invalid_months(key: str, offset: int) -> None:
    with pytest.raises(ValueError, match=r"month|offset"):
        BillingMonth(key, offset)
