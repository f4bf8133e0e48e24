"""Scheduling: aligned fire times, per-account jitter, one run at a time, on virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from collector.backoff import Retry
from collector.clock import FakeClock, VirtualClock
from collector.scheduler import PollScheduler, account_jitter, next_aligned

START = 1_700_000_000.0 - 1_700_000_000.0 % 300  # a slice boundary


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


async def test_an_hour_of_five_minute_polls_fires_at_start_then_after_each_boundary() -> None:
    clock = VirtualClock(START)
    fired: list[float] = []
    running = 0
    overlaps = 0

    async def poll() -> None:
        nonlocal running, overlaps
        running += 1
        overlaps += running > 1
        fired.append(clock.time() - START)
        await clock.sleep(30)  # a poll that takes 30 simulated seconds
        running -= 1

    scheduler = PollScheduler(clock)
    scheduler.add("a/flow", poll, interval=300, offset=5, first_run=START)
    try:
        await clock.run_until(START + 3600 + 10)
    finally:
        await scheduler.stop()
    assert overlaps == 0
    assert fired == [0, *(k * 300 + 5 for k in range(1, 13))]


async def test_a_run_longer_than_the_interval_skips_the_fire_times_it_overran() -> None:
    clock = VirtualClock(START)
    fired: list[float] = []

    async def slow_poll() -> None:
        fired.append(clock.time() - START)
        await clock.sleep(400)  # overruns the 305 s fire time

    scheduler = PollScheduler(clock)
    scheduler.add("a/flow", slow_poll, interval=300, offset=5, first_run=START)
    try:
        await clock.run_until(START + 1300)
    finally:
        await scheduler.stop()
    # 305 passed during the first run and is not made up for; 905 during the second.
    assert fired == [0, 605, 1205]


class OversleepingClock(VirtualClock):
    """Wakes its first sleeper `late` seconds after it was due, as after a suspended host."""

    def __init__(self, start: float, late: float) -> None:
        super().__init__(start)
        self.late = late

    async def sleep_until(self, when: float) -> None:
        late, self.late = self.late, 0.0
        await super().sleep_until(when + late)


async def test_a_late_wake_up_runs_once_for_every_fire_time_it_missed() -> None:
    clock = OversleepingClock(START, late=990)
    fired: list[float] = []

    async def poll() -> None:
        fired.append(clock.time() - START)

    scheduler = PollScheduler(clock)
    scheduler.add("a/flow", poll, interval=300, offset=5, first_run=START + 10)
    try:
        await clock.run_until(START + 1300)
    finally:
        await scheduler.stop()
    # Due at +10, woken at +1000: one run for +10, +305, +605 and +905, then back in step.
    assert fired == [1000, 1205]


async def test_a_failing_run_does_not_end_the_job() -> None:
    clock = VirtualClock(START)
    runs = 0

    async def failing_poll() -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("boom")

    scheduler = PollScheduler(clock)
    scheduler.add("a/flow", failing_poll, interval=60, offset=0, first_run=START)
    try:
        await clock.run_until(START + 185)
        assert scheduler.running
    finally:
        await scheduler.stop()
    assert runs == 4  # 0, 60, 120, 180


async def test_stop_cancels_a_run_in_progress() -> None:
    clock = VirtualClock(START)
    finished = False

    async def poll() -> None:
        nonlocal finished
        await clock.sleep(100)
        finished = True

    scheduler = PollScheduler(clock)
    scheduler.add("a/flow", poll, interval=300, offset=5, first_run=START)
    await clock.run_until(START + 50)
    assert scheduler.running
    await scheduler.stop()
    assert not scheduler.running
    await clock.run_until(START + 200)
    assert not finished


async def test_a_failed_run_is_retried_on_its_backoff_before_the_next_boundary() -> None:
    clock = VirtualClock(START)
    fired: list[float] = []

    async def failing_twice() -> Retry | None:
        fired.append(clock.time() - START)
        return Retry(15.0 * len(fired)) if len(fired) <= 2 else None

    scheduler = PollScheduler(clock)
    scheduler.add("a/flow", failing_twice, interval=300, offset=5, first_run=START + 10)
    try:
        await clock.run_until(START + 700)
    finally:
        await scheduler.stop()
    # Retries 15 s and then 30 s after the failed runs, then the aligned schedule.
    assert fired == [10, 25, 55, 305, 605]


async def test_remove_stops_one_job_and_leaves_the_others() -> None:
    clock = VirtualClock(START)
    fired: dict[str, int] = {"a": 0, "b": 0}

    def counting(name: str) -> Callable[[], Awaitable[None]]:
        async def poll() -> None:
            fired[name] += 1

        return poll

    scheduler = PollScheduler(clock)
    scheduler.add("a", counting("a"), interval=300, offset=0, first_run=START)
    scheduler.add("b", counting("b"), interval=300, offset=0, first_run=START)
    with pytest.raises(ValueError, match="already scheduled"):
        scheduler.add("a", counting("a"), interval=300, offset=0, first_run=START)
    try:
        await clock.run_until(START + 10)  # the first runs, at START
        assert fired == {"a": 1, "b": 1}
        await scheduler.remove("a")
        await scheduler.remove("missing")  # nothing to do
        assert scheduler.names == ["b"]
        await clock.run_until(START + 610)
        assert fired == {"a": 1, "b": 3}
    finally:
        await scheduler.stop()


async def test_stop_gives_up_on_a_job_that_ignores_cancellation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while True:
            try:
                await release.wait()
                return
            except asyncio.CancelledError:
                continue  # ignores cancellation: only `release` ends it

    # FakeClock: the due first run starts at once and waits on `release`, not the clock.
    scheduler = PollScheduler(FakeClock(START))
    scheduler.add("a", stubborn, interval=300, offset=5, first_run=START)
    for _ in range(3):
        await asyncio.sleep(0)
    await scheduler.stop(timeout=0.05)
    assert "poll a: did not stop within 0.05s" in caplog.text
    release.set()
    await asyncio.sleep(0)
