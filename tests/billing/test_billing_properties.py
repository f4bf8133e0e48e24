"""The bounded ledger equals a brute-force sort of the whole month, for every method,
and so do the estimated costs, prorated and not."""

from __future__ import annotations

import functools
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.billing.config import BillingGroup
from collector.billing.families import GroupState, billing_samples
from collector.billing.ledger import GroupLedger, Method, MonthLedger

SLOT = 300
OFFSETS = {"+08:00": 8 * 3600, "-05:00": -5 * 3600}


@functools.lru_cache(maxsize=1 << 16)
def _month_and_day(end: int, offset: int) -> tuple[str, int]:
    """`YYYY-MM` and day of the month of the slice ending at `end`, from its local start
    (independent of the calendar module: datetime does the month arithmetic here)."""
    local = datetime.fromtimestamp(end - SLOT, tz=timezone(timedelta(seconds=offset)))
    return f"{local.year:04d}-{local.month:02d}", local.day


def _weighted_rank(values_desc: list[float], weight: Fraction, rank: int) -> float:
    """The rank-th highest of `values_desc` with each value repeated `weight` times."""
    for index, value in enumerate(values_desc, start=1):
        if index * weight >= rank:
            return value
    raise AssertionError("rank beyond the repeated values")


def brute_force(
    points: dict[int, float], offset: int, key: str, valid_days_only: bool, commit: float
) -> dict[str, float]:
    """Every figure of month `key` from all of its points, sorted in full."""
    month = {e: v for e, v in points.items() if _month_and_day(e, offset)[0] == key}
    year, number = int(key[:4]), int(key[5:])
    first = datetime(year, number, 1, tzinfo=UTC)
    days_in_month = ((first + timedelta(days=32)).replace(day=1) - first).days
    slots = days_in_month * 288
    by_day: dict[int, list[float]] = defaultdict(list)
    for end, value in month.items():
        by_day[_month_and_day(end, offset)[1]].append(value)
    valid = {day: max(values) for day, values in by_day.items() if max(values) > 0}
    billed = sorted(
        (v for day, vs in by_day.items() for v in vs if day in valid or not valid_days_only),
        reverse=True,
    )
    peaks = sorted(valid.values(), reverse=True)
    n, b, d = len(month), len(billed), len(by_day)
    result = {
        "points": n,
        "billed_points": b,
        "days_seen": d,
        "valid_days": len(valid),
        "p95": billed[b // 20] if b else 0.0,
        "daily_peak_average": sum(peaks) / len(peaks) if peaks else 0.0,
        "fourth_daily_peak": peaks[3] if len(peaks) >= 4 else 0.0,
        "traffic": math.fsum(month.values()) * SLOT,
        "forecast_traffic": math.fsum(month.values()) * SLOT * slots / n if n else 0.0,
    }
    # Forecast: the month so far repeated to fill the month (a fractional number of times).
    forecast_p95 = forecast_fourth = 0.0
    final = slots
    if b:
        weight = Fraction(slots, n)
        final = math.floor(b * weight)
        forecast_p95 = _weighted_rank(billed, weight, final // 20 + 1)
    if d and len(peaks) * Fraction(days_in_month, d) >= 4:
        forecast_fourth = _weighted_rank(peaks, Fraction(days_in_month, d), 4)
    result["forecast_p95"] = forecast_p95
    result["forecast_fourth_daily_peak"] = forecast_fourth
    result["burst"] = max(0, final // 20 - sum(1 for v in billed if v > commit))
    return result


def _check(ledger: MonthLedger, expected: dict[str, float], commit: float) -> None:
    got = ledger.figures()
    for name, value in expected.items():
        if name == "burst":
            assert ledger.burst_points_remaining(commit) == value, name
        elif name in ("traffic", "forecast_traffic", "daily_peak_average"):
            assert getattr(got, name) == pytest.approx(value, rel=1e-9), name
        else:
            assert getattr(got, name) == value, name
    assert ledger.late_revisions == 0


@dataclass(frozen=True)
class Scenario:
    offset: int
    first: int  # the first slice's end: two days before the 1st of the drawn month
    slices: int  # up to the end of this month or into the next
    window: int
    valid_days_only: bool
    rng: random.Random
    pool: str
    gap: float
    idle: float
    revise: float
    checks: int
    method: Method
    proration: bool


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    year = draw(st.integers(2023, 2027))
    number = draw(st.integers(1, 12))  # February of 2024 has 29 days, of 2023 28
    offset = OFFSETS[draw(st.sampled_from(sorted(OFFSETS)))]
    first = datetime(year, number, 1, tzinfo=timezone(timedelta(seconds=offset)))
    days = ((first + timedelta(days=32)).replace(day=1) - first).days
    start = int(first.timestamp())
    # Part of the month, exactly to its end (where the top K is used in full), or on
    # into the next month.
    slices = (
        2 * 288
        + {
            "part": draw(st.integers(0, days * 288 - 1)),
            "end": days * 288,
            "next": days * 288 + draw(st.integers(1, 2 * 288)),
        }[draw(st.sampled_from(["part", "end", "next"]))]
    )
    return Scenario(
        offset=offset,
        first=start - 2 * 86400 + SLOT,
        slices=slices,
        window=draw(st.integers(1, 40)),
        valid_days_only=draw(st.booleans()),
        # The many per-slot choices come from a seeded generator: drawing each from
        # hypothesis would make its smallest example huge.
        rng=random.Random(draw(st.integers(0, 2**32))),
        pool=draw(st.sampled_from(["ties", "wide", "tiny"])),
        gap=draw(st.sampled_from([0.0, 0.02, 0.3])),
        idle=draw(st.sampled_from([0.0, 0.1, 0.5])),
        revise=draw(st.sampled_from([0.0, 0.1, 0.5])),
        checks=draw(st.integers(1, 4)),
        method=draw(st.sampled_from(list(Method))),
        proration=draw(st.booleans()),
    )


def _value(rng: random.Random, pool: str) -> float:
    if pool == "ties":
        return float(rng.choice([0, 1, 2, 3, 5, 8]) * 125_000)
    if pool == "tiny":
        return float(rng.choice([0, 1]))
    return rng.uniform(0, 1e10) if rng.random() > 0.05 else 0.0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_ledger_equals_brute_force(scenario: Scenario) -> None:
    rng, pool, window = scenario.rng, scenario.pool, scenario.window
    offset, count = scenario.offset, scenario.slices
    ledger = GroupLedger(offset, window, valid_days_only=scenario.valid_days_only)
    truth: dict[int, float] = {}
    idle_days = {day for day in range(40) if rng.random() < scenario.idle}
    skipped: list[int] = []
    checkpoints = sorted(rng.sample(range(1, count), min(count - 1, scenario.checks)))
    commit = _value(rng, pool)

    def put(end: int, value: float) -> None:
        assert ledger.record(end, value)
        truth[end] = value

    for index in range(count):
        end = scenario.first + (index + 1) * SLOT
        if rng.random() < scenario.gap:
            skipped.append(end)
        else:
            day = (end - SLOT + offset) // 86400
            put(end, 0.0 if day % 40 in idle_days else _value(rng, pool))
        if rng.random() < scenario.revise:
            # A revision inside the re-read window: any of the newest `window` slots, raised,
            # lowered, set to zero, or a gap there filled.
            back = rng.randrange(window)
            if index - back >= 0:
                put(end - back * SLOT, _value(rng, pool))
        if skipped and rng.random() < 0.01:
            # A gap older than the window filled late: a new point, added exactly.
            late = skipped.pop(rng.randrange(len(skipped)))
            if late > end - 3 * 86400 and late not in truth:
                put(late, _value(rng, pool))
        if index in checkpoints or index == count - 1:
            if index == checkpoints[0]:
                # Through a restart: the JSON state file's round trip.
                ledger = GroupLedger.from_dict(json.loads(json.dumps(ledger.to_dict())))
            assert len(ledger.months) <= 2
            for key, month in ledger.months.items():
                expected = brute_force(truth, offset, key, scenario.valid_days_only, commit)
                _check(month, expected, commit)
    _check_cost(scenario, ledger, truth, commit)


def _check_cost(
    scenario: Scenario, ledger: GroupLedger, truth: dict[int, float], commit: float
) -> None:
    """The estimated cost of the group's method, prorated or not, from the brute force."""
    method = scenario.method
    dimension = "traffic" if method is Method.TRAFFIC else "bandwidth"
    config = BillingGroup.model_validate(
        {
            "name": "g",
            "method": method,
            "commit": {dimension: commit},
            "price": {"currency": "CNY", "flat": 2},
            "proration": scenario.proration,
            "valid_days_only": scenario.valid_days_only,
        }
    )
    samples = billing_samples([GroupState("a", config, ledger)], settled_until=0)
    costs = {s.labels[2]: s.value for s in samples if s.family.name == "cdn_billing_estimated_cost"}
    assert costs.keys() == ledger.months.keys()
    for key, cost in costs.items():
        expected = brute_force(truth, scenario.offset, key, scenario.valid_days_only, commit)
        forecast = expected[
            {
                Method.P95: "forecast_p95",
                Method.DAILY_PEAK_AVERAGE: "daily_peak_average",
                Method.FOURTH_DAILY_PEAK: "forecast_fourth_daily_peak",
                Method.TRAFFIC: "forecast_traffic",
            }[method]
        ]
        units = forecast / (1e9 if method is Method.TRAFFIC else 125_000)
        factor = 1.0
        if scenario.proration and method is not Method.TRAFFIC and expected["days_seen"]:
            factor = expected["valid_days"] / expected["days_seen"]
        assert cost == pytest.approx(2 * units * factor, rel=1e-9, abs=1e-12)
