"""The month ledger: the 95th-point rule, forecasts, burst budget, revisions, state."""

from __future__ import annotations

import json
import random

import pytest

from collector.billing.calendar import BillingMonth
from collector.billing.ledger import GroupLedger, Method, MonthLedger, p95_rank

PLUS8 = 8 * 3600
NOVEMBER = BillingMonth("2026-11", PLUS8)  # 30 days: 8,640 slots
DECEMBER = BillingMonth("2026-12", PLUS8)  # 31 days: 8,928 slots


def _end(month: BillingMonth, slot: int) -> int:
    """The end of the month's `slot`."""
    return month.start + (slot + 1) * 300


def _fill(ledger: MonthLedger, values: list[float]) -> None:
    for slot, value in enumerate(values):
        assert ledger.record(_end(ledger.month, slot), value)


def test_the_433rd_of_8640_points() -> None:
    assert p95_rank(8640) == 433
    ledger = MonthLedger(NOVEMBER, window=12)
    values = [float(v) for v in range(1, 8641)]
    random.Random(7).shuffle(values)
    _fill(ledger, values)
    figures = ledger.figures()
    assert figures.points == figures.billed_points == 8640
    assert figures.p95 == 8640 - 432  # the 433rd highest
    assert ledger.top_size == 433


def test_the_447th_of_8928_points() -> None:
    ledger = MonthLedger(DECEMBER, window=3)
    _fill(ledger, [float(v) for v in range(8928)])
    assert ledger.figures().p95 == 8927 - 446


def test_idle_days_leave_the_95th_point_count_when_valid_days_only() -> None:
    values = [0.0] * 288 + [float(v) for v in range(1, 289)]  # day 1 idle, day 2 busy
    only_valid = MonthLedger(NOVEMBER, window=12)
    every_point = MonthLedger(NOVEMBER, window=12, valid_days_only=False)
    _fill(only_valid, values)
    _fill(every_point, values)
    assert only_valid.figures().billed_points == 288
    assert only_valid.figures().p95 == 288 - 14  # the 15th highest of 288
    assert every_point.figures().billed_points == 576
    assert every_point.figures().p95 == 288 - 28  # the 29th highest of 576
    assert only_valid.figures().valid_days == 1
    assert only_valid.figures().days_seen == 2


def test_daily_peaks() -> None:
    ledger = MonthLedger(NOVEMBER, window=12)
    peaks = [5.0, 0.0, 9.0, 7.0, 3.0]
    _fill(ledger, [peak for peak in peaks for _ in range(288)])
    figures = ledger.figures()
    assert figures.daily_peak_average == pytest.approx((5 + 9 + 7 + 3) / 4)  # 4 valid days
    assert figures.fourth_daily_peak == 3.0
    assert figures.traffic == pytest.approx(sum(peaks) * 288 * 300)


def test_fewer_than_four_valid_days_bill_zero_on_the_fourth_peak() -> None:
    ledger = MonthLedger(NOVEMBER, window=12)
    _fill(ledger, [1.0] * 288 * 3)
    assert ledger.figures().fourth_daily_peak == 0.0


def test_forecast_repeats_the_month_so_far() -> None:
    """Half a 30-day month: the forecast is the figure of the half repeated twice."""
    rng = random.Random(3)
    half = [rng.choice([0.0, 1.0, 2.0, 5.0]) * 1e6 + rng.random() for _ in range(4320)]
    ledger = MonthLedger(NOVEMBER, window=12)
    _fill(ledger, half)
    doubled = sorted(half * 2, reverse=True)
    figures = ledger.figures()
    assert figures.forecast_p95 == doubled[433 - 1]
    assert figures.forecast_traffic == pytest.approx(2 * figures.traffic)
    peaks = sorted((max(half[d * 288 : (d + 1) * 288]) for d in range(15)), reverse=True)
    assert figures.forecast_fourth_daily_peak == sorted(peaks * 2, reverse=True)[3]
    assert figures.forecast(Method.DAILY_PEAK_AVERAGE) == figures.daily_peak_average


def test_forecast_equals_the_figure_at_the_month_end() -> None:
    rng = random.Random(5)
    ledger = MonthLedger(NOVEMBER, window=24)
    _fill(ledger, [rng.random() for _ in range(8640)])
    figures = ledger.figures()
    for method in (Method.P95, Method.FOURTH_DAILY_PEAK, Method.DAILY_PEAK_AVERAGE):
        assert figures.forecast(method) == figures.bandwidth(method)
    assert figures.forecast(Method.TRAFFIC) == pytest.approx(figures.traffic)


def test_burst_budget() -> None:
    ledger = MonthLedger(NOVEMBER, window=12)
    assert ledger.burst_points_remaining(100.0) == 432  # nothing yet: every slot
    # One day, 10 points above the commit: the month forecast is 8,640 points.
    _fill(ledger, [200.0] * 10 + [50.0] * 278)
    assert ledger.burst_points_remaining(100.0) == 432 - 10
    assert ledger.burst_points_remaining(200.0) == 432  # above, not equal
    # A whole month with 500 points above: none left (never negative).
    full = MonthLedger(NOVEMBER, window=12)
    _fill(full, [200.0] * 500 + [50.0] * 8140)
    assert full.burst_points_remaining(100.0) == 0
    assert full.figures().p95 > 100.0
    edge = MonthLedger(NOVEMBER, window=12)
    _fill(edge, [200.0] * 432 + [50.0] * 8208)
    assert edge.burst_points_remaining(100.0) == 0
    assert edge.figures().p95 == 50.0  # 432 above: the 433rd is within the commit


def test_burst_budget_forecasts_idle_days() -> None:
    ledger = MonthLedger(NOVEMBER, window=12)
    _fill(ledger, [0.0] * 288 + [200.0] * 3 + [1.0] * 285)
    # Half the days idle: 4,320 billed points by the month end, 216 allowed above.
    assert ledger.burst_points_remaining(100.0) == 216 - 3


def test_revisions_in_the_window_replace_exactly() -> None:
    ledger = MonthLedger(NOVEMBER, window=3)
    _fill(ledger, [10.0] * 100)
    newest = _end(NOVEMBER, 99)
    assert ledger.record(newest - 600, 1000.0)  # within the window: raised
    assert ledger.figures().p95 == 10.0  # 100 points: the 6th highest
    assert ledger.figures().daily_peak_average == 1000.0
    assert ledger.record(newest - 600, 0.0)  # and lowered again
    assert ledger.figures().daily_peak_average == 10.0
    assert ledger.figures().traffic == pytest.approx(99 * 10.0 * 300)


def test_a_revision_older_than_the_window_is_counted_and_ignored() -> None:
    ledger = MonthLedger(NOVEMBER, window=3)
    _fill(ledger, [10.0] * 100)
    before = ledger.figures()
    assert not ledger.record(_end(NOVEMBER, 50), 99.0)
    assert ledger.late_revisions == 1
    assert ledger.figures() == before


def test_a_late_gap_is_added_exactly() -> None:
    ledger = MonthLedger(NOVEMBER, window=3)
    for slot in range(100):
        if slot != 40:
            ledger.record(_end(NOVEMBER, slot), 10.0)
    assert ledger.record(_end(NOVEMBER, 40), 99.0)
    assert ledger.late_revisions == 0
    assert ledger.figures().points == 100
    assert ledger.figures().daily_peak_average == 99.0


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_impossible_points_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="finite and not negative"):
        MonthLedger(NOVEMBER, window=3).record(_end(NOVEMBER, 0), value)


def test_serialization_round_trip() -> None:
    rng = random.Random(11)
    ledger = MonthLedger(DECEMBER, window=6, valid_days_only=False)
    _fill(ledger, [rng.random() * 1e9 for _ in range(3000)])
    ledger.record(_end(DECEMBER, 10), 5.0)  # one late revision, kept in the count
    ledger.provider[Method.P95] = 123.0
    text = json.dumps(ledger.to_dict())
    restored = MonthLedger.from_dict(json.loads(text))
    assert restored.figures() == ledger.figures()
    assert restored.to_dict() == ledger.to_dict()
    assert restored.provider == {Method.P95: 123.0}
    # It goes on exactly where the original left off.
    for each in (ledger, restored):
        each.record(_end(DECEMBER, 2999), 7e9)
        each.record(_end(DECEMBER, 3000), 1.0)
    assert restored.figures() == ledger.figures()


def test_serialization_refuses_other_versions_and_misfits() -> None:
    data = MonthLedger(NOVEMBER, window=3).to_dict()
    with pytest.raises(ValueError, match="version 2 is not supported"):
        MonthLedger.from_dict({**data, "version": 2})
    with pytest.raises(ValueError, match="sizes do not fit"):
        MonthLedger.from_dict({**data, "month": "2026-12"})  # 31 days, 30 day arrays
    with pytest.raises(ValueError, match="malformed"):
        MonthLedger.from_dict({k: v for k, v in data.items() if k != "top"})


def test_group_ledger_keeps_the_current_and_previous_month() -> None:
    group = GroupLedger(PLUS8, window=12)
    assert group.record(NOVEMBER.end, 5.0)  # ends at 00:00 on Dec 1st: November's last
    assert group.record(DECEMBER.start + 300, 7.0)
    assert sorted(group.months) == ["2026-11", "2026-12"]
    assert group.months["2026-11"].figures().points == 1
    january = BillingMonth.of(DECEMBER.end, PLUS8)
    assert group.record(january.start + 300, 1.0)
    assert sorted(group.months) == ["2026-12", "2027-01"]
    assert not group.record(NOVEMBER.end, 6.0)  # a month already dropped
    assert sorted(group.months) == ["2026-12", "2027-01"]
    restored = GroupLedger.from_dict(json.loads(json.dumps(group.to_dict())))
    assert restored.to_dict() == group.to_dict()
