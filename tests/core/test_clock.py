"""Clocks: the real one never wakes early, the fake one jumps, the virtual one is driven."""

from __future__ import annotations

import asyncio
import time

import pytest

from collector.clock import ClockStalled, FakeClock, SystemClock, VirtualClock

START = 1_700_000_000.0


async def test_system_clock_sleeps_on_monotonic_time() -> None:
    clock = SystemClock()
    before = clock.monotonic()
    await clock.sleep(0.05)
    assert clock.monotonic() - before >= 0.05 - 0.002  # the loop's clock resolution


async def test_fake_clock_sleeps_advance_it_at_once() -> None:
    clock = FakeClock(START)
    before = clock.monotonic()
    await clock.sleep(30)
    assert clock.time() == START + 30
    assert clock.monotonic() == before + 30
    clock.advance(70)
    assert (clock.time(), clock.monotonic()) == (START + 100, before + 100)


def test_a_fake_wall_clock_steps_without_moving_monotonic_time() -> None:
    clock = FakeClock(START)
    before = clock.monotonic()
    clock.step(-3600)
    assert clock.time() == START - 3600
    clock.set(START + 86400)
    assert clock.time() == START + 86400
    assert clock.monotonic() == before


async def test_virtual_sleepers_wake_on_monotonic_time_across_wall_steps() -> None:
    clock = VirtualClock(START)
    woke: list[tuple[float, float]] = []  # (wall, monotonic) since the start
    mono = clock.monotonic()

    async def sleeper(seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((clock.time() - START, clock.monotonic() - mono))

    tasks = [asyncio.create_task(sleeper(60)), asyncio.create_task(sleeper(120))]
    await clock.run_until(START + 30)
    clock.step(-3600)  # a wall step back does not hold the sleepers for an hour
    await clock.advance(40)
    assert woke == [(60 - 3600, 60)]
    clock.step(86400)  # nor does a step forward wake them early
    await clock.advance(10)
    assert len(woke) == 1
    await clock.advance(50)
    assert woke[-1] == (120 - 3600 + 86400, 120)
    await asyncio.gather(*tasks)


async def test_virtual_clock_wakes_sleepers_in_due_order_at_their_due_times() -> None:
    clock = VirtualClock(START)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.time() - START))

    tasks = [
        asyncio.create_task(sleeper("c", 30)),
        asyncio.create_task(sleeper("a", 10)),
        asyncio.create_task(sleeper("b", 10)),  # ties wake in the order they slept
        asyncio.create_task(sleeper("late", 500)),
    ]
    await clock.run_until(START + 100)
    assert woke == [("a", 10), ("b", 10), ("c", 30)]
    assert clock.time() == START + 100  # time ends where asked, past the last wake-up
    await clock.advance(400)
    assert woke[-1] == ("late", 500)
    await asyncio.gather(*tasks)


async def test_virtual_time_stands_still_while_real_work_runs() -> None:
    clock = VirtualClock(START)
    seen: list[float] = []

    async def worker() -> None:
        await clock.sleep(0)  # a task counts from its first sleep on the clock
        while True:
            began = clock.time()
            await asyncio.sleep(0.01)  # real I/O, as a loopback HTTP call
            await asyncio.to_thread(time.sleep, 0.01)  # real work in a thread
            seen.append(clock.time() - began)
            await clock.sleep(60)

    task = asyncio.create_task(worker())
    await clock.run_until(START + 600)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert seen == [0.0] * 11  # at 0, 60, ..., 600: no virtual time passed during the work


async def test_a_cancelled_sleeper_does_not_hold_the_clock() -> None:
    clock = VirtualClock(START)
    task = asyncio.create_task(clock.sleep(100))
    await clock.run_until(START + 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await clock.run_until(START + 200)
    assert clock.time() == START + 200


async def test_a_sleeper_blocked_elsewhere_stalls_the_clock_with_a_clear_error() -> None:
    clock = VirtualClock(START, stall_timeout=0.1)
    never = asyncio.Event()

    async def stuck() -> None:
        await clock.sleep(1)
        await never.wait()  # neither the clock nor I/O will ever wake this

    task = asyncio.create_task(stuck(), name="stuck-task")
    with pytest.raises(ClockStalled, match="stuck-task"):
        await clock.run_until(START + 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
