"""The token bucket: never more than the published calls in any period."""

from __future__ import annotations

import pytest

from collector.clock import FakeClock
from collector.model import RateLimit
from collector.ratelimit import RETURN_MARGIN, SlidingWindowLimiter


def test_bucket_allows_limit_then_waits_a_full_period() -> None:
    bucket = SlidingWindowLimiter(RateLimit(3, 300))
    assert [bucket.reserve(1000.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.reserve(1000.0)
    assert wait == 300 * RETURN_MARGIN
    assert bucket.reserve(1000.0 + wait) == 0.0


def test_no_sliding_window_ever_holds_more_than_the_limit() -> None:
    limit = RateLimit(30, 300)
    bucket = SlidingWindowLimiter(limit)
    now = 0.0
    sent: list[float] = []
    while now < 3600:
        wait = bucket.reserve(now)
        if wait == 0:
            sent.append(now)
        now += 1.0 if wait == 0 else wait
    # A refilling bucket would allow 2x30 around the first period; this one never does.
    for t in sent:
        assert sum(1 for s in sent if t <= s < t + limit.period) <= limit.calls
    assert len(sent) >= 30 * 11  # and it keeps close to the full budget


async def test_acquire_sleeps_on_the_injected_clock() -> None:
    clock = FakeClock(start=0.0)
    bucket = SlidingWindowLimiter(RateLimit(2, 10))
    assert await bucket.acquire(clock) == 0.0
    assert await bucket.acquire(clock) == 0.0
    waited = await bucket.acquire(clock)
    assert waited == pytest.approx(10 * RETURN_MARGIN)
    assert clock.time() == waited
    assert bucket.available(clock.monotonic()) == 1  # the first two came back as the third left


async def test_a_wall_clock_step_neither_holds_nor_empties_the_window() -> None:
    clock = FakeClock(start=0.0)
    bucket = SlidingWindowLimiter(RateLimit(2, 300))
    await bucket.acquire(clock)
    await bucket.acquire(clock)
    clock.step(86400)  # forward a day: the two calls were still made a moment ago
    assert bucket.available(clock.monotonic()) == 0
    clock.step(-86400 - 3600)  # back an hour: the window still reopens after one period
    waited = await bucket.acquire(clock)
    assert waited == pytest.approx(300 * RETURN_MARGIN)
