"""The retry schedule: pure, capped, jittered, never past the next regular poll."""

from __future__ import annotations

import pytest

from collector.backoff import (
    AUTH_BASE,
    AUTH_CAP,
    JITTER,
    RETRY_CAP,
    Retry,
    backoff_delay,
    next_due,
    retry_for,
)


def test_doubles_from_15_s_and_caps_at_a_minute() -> None:
    delays = [backoff_delay(n, base=15, cap=60) for n in range(1, 7)]
    assert delays == [15, 30, 60, 60, 60, 60]


def test_jitter_only_shortens_by_at_most_its_share() -> None:
    for n in range(1, 10):
        for draw in (0.0, 0.25, 0.5, 0.999):
            delay = backoff_delay(n, base=15, cap=60, draw=draw)
            full = min(60, 15 * 2 ** (n - 1))
            assert full * (1 - JITTER) <= delay <= full
    assert backoff_delay(1, base=15, cap=60, draw=0.5) == pytest.approx(15 * 0.9)


def test_a_long_outage_neither_overflows_nor_passes_the_cap() -> None:
    assert backoff_delay(10_000, base=15, cap=60) == 60


@pytest.mark.parametrize(("failures", "draw"), [(0, 0.0), (1, 1.0), (1, -0.1)])
def test_bad_arguments_are_refused(failures: int, draw: float) -> None:
    with pytest.raises(ValueError, match=r"failures|draw"):
        backoff_delay(failures, base=15, cap=60, draw=draw)


def test_auth_failures_back_off_for_minutes_and_hold_regular_polls() -> None:
    first = retry_for(1, auth=True, draw=0.0)
    assert first == Retry(AUTH_BASE, hold=True)
    assert first.after >= 120
    assert retry_for(20, auth=True, draw=0.0).after == AUTH_CAP
    assert retry_for(20, auth=False, draw=0.0) == Retry(RETRY_CAP)


def test_a_retry_never_runs_past_the_next_regular_poll() -> None:
    assert next_due(1000.0, 1300.0, None) == 1300.0
    assert next_due(1000.0, 1300.0, Retry(15)) == 1015.0
    assert next_due(1290.0, 1300.0, Retry(60)) == 1300.0  # the regular poll comes first
    assert next_due(1290.0, 1300.0, Retry(120, hold=True)) == 1410.0  # auth holds
