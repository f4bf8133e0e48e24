"""Scheduling: aligned fire times, per-account jitter, one run at a time, on virtual time;
wall-clock steps neither stall polling nor fake a stalled loop, and are counted."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from collector import health
from collector.backoff import Retry
from collector.clock import FakeClock, VirtualClock
from collector.scheduler import (
    STEP_THRESHOLD,
    PollScheduler,
    account_jitter,
    next_aligned,
    stalled,
    wall_step,
)
from tests.core.test_web import exporter

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

    async def sleep(self, seconds: float) -> None:
        late, self.late = self.late, 0.0
        await super().sleep(seconds + late)


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


# -- wall-clock steps ----------------------------------------------------------------------


def test_a_step_is_the_wall_moving_more_or_less_than_monotonic_time() -> None:
    assert wall_step(60.0, 60.0) == 0.0
    assert wall_step(60.0 + STEP_THRESHOLD, 60.0) == 0.0  # within the threshold
    assert wall_step(-3540.0, 60.0) == -3600.0
    assert wall_step(86460.0, 60.0) == 86400.0
    # A day between readings: what the kernel may slew (43 s at 500 ppm) is no step.
    assert wall_step(86400.0 + 40, 86400.0) == 0.0
    assert wall_step(86400.0 - 40, 86400.0) == 0.0


def test_liveness_is_judged_on_monotonic_readings() -> None:
    assert not stalled(1000.0, 1000.0 + 3 * 300 + 60, 300)
    assert stalled(1000.0, 1000.0 + 3 * 300 + 61, 300)


async def test_a_backward_step_of_an_hour_does_not_stall_a_one_minute_job(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = VirtualClock(START)
    start = clock.monotonic()
    fired: list[float] = []  # monotonic seconds since the start
    steps: list[str] = []

    async def poll() -> None:
        fired.append(clock.monotonic() - start)

    scheduler = PollScheduler(clock, on_step=steps.append)
    scheduler.add("a/flow", poll, interval=60, offset=5, first_run=START)
    try:
        await clock.run_until(START + 30)
        clock.step(-3600)  # NTP corrects the wall clock an hour back
        assert scheduler.next_runs["a/flow"] == clock.time() + 35  # not an hour away
        await clock.advance(200)
    finally:
        await scheduler.stop()
    # Due at 65 s when the clock stepped, it runs then; the next runs are aligned to the
    # new wall time (an hour back: the same minute boundaries).
    assert fired == [0, 5, 65, 125, 185]
    assert steps == ["backward"]
    warnings = [r.getMessage() for r in caplog.records if "stepped" in r.getMessage()]
    assert warnings == [
        "the wall clock was stepped backward by 3600.0s: polls keep their pace on the "
        "monotonic clock and slices are aligned to the new wall time"
    ]


async def test_a_forward_step_of_a_day_neither_hurries_the_polls_nor_kills_liveness() -> None:
    clock = VirtualClock(START)
    exp = exporter(clock)  # type: ignore[arg-type]
    exp.start()
    try:
        await clock.advance(90)  # the first polls ran
        polls = [p.polls for p in exp.pollers]
        clock.step(86400)
        assert health.healthy(exp)  # a day passed on the wall clock, none on the monotonic one
        await clock.advance(30)
        assert [p.polls for p in exp.pollers] == polls  # no burst of catch-up runs
        await clock.advance(300)
        assert all(p.polls > n for p, n in zip(exp.pollers, polls, strict=True))
        assert health.healthy(exp)
        clock.step(-3600)
        await clock.advance(300)
        assert all(p.polls > n + 1 for p, n in zip(exp.pollers, polls, strict=True))
        registry = exp.metrics.registry
        for direction in ("forward", "backward"):
            labels = {"direction": direction}
            assert registry.get_sample_value("cdn_exporter_clock_steps_total", labels) == 1
    finally:
        await exp.close()
