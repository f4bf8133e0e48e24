"""Scheduling: aligned fire times, per-account jitter, and a simulated clock."""

from __future__ import annotations

import asyncio
import time

from collector.clock import ScaledClock
from collector.scheduler import ClockedScheduler, account_jitter, add_poll_job, next_aligned


def test_next_aligned_fires_after_boundary_plus_offset() -> None:
    assert next_aligned(1000.0, 300, 5.0) == 1205.0
    assert next_aligned(1205.0, 300, 5.0) == 1505.0  # strictly after `now`
    assert next_aligned(1204.9, 300, 5.0) == 1205.0


def test_account_jitter_is_stable_and_bounded() -> None:
    values = {account_jitter(f"acct-{i}", 10) for i in range(50)}
    assert all(0 <= v < 10 for v in values)
    assert len(values) > 10  # spread, not all the same
    assert account_jitter("main", 10) == account_jitter("main", 10)
    assert account_jitter("main", 0) == 0.0


async def test_a_simulated_hour_of_five_minute_polls_runs_in_about_a_second() -> None:
    start = 1_700_000_000.0 - 1_700_000_000.0 % 300  # a slice boundary
    clock = ScaledClock(start=start, speed=3_000)  # one hour in 1.2 s
    fired: list[float] = []
    running = 0
    overlaps = 0

    async def poll() -> None:
        nonlocal running, overlaps
        running += 1
        overlaps += running > 1
        fired.append(clock.time())
        await clock.sleep(30)  # a poll that takes 30 simulated seconds
        running -= 1

    scheduler = ClockedScheduler(clock)
    add_poll_job(
        scheduler, job_id="a/flow", poll=poll, interval=300, offset=5, clock=clock, first_run=start
    )
    scheduler.start()
    began = time.monotonic()
    try:
        while clock.time() < start + 3600 + 10:
            await asyncio.sleep(0.01)
    finally:
        scheduler.shutdown(wait=False)
    assert time.monotonic() - began < 5
    assert overlaps == 0
    assert len(fired) >= 12
    # After the start-up run, every run fires 5 s after a 5-minute boundary (at 3000x
    # a millisecond of event-loop latency is 3 simulated seconds, hence the slack).
    phases = [round((t - start) % 300) for t in fired[1:]]
    assert all(5 <= p <= 30 for p in phases), phases
