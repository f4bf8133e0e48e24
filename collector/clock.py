"""One clock for the scheduler, rate limiters, settle logic and emulator: wall time for
slices, monotonic time for waits and elapsed time (it never steps)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Any, Protocol


class Clock(Protocol):
    """Wall and monotonic time that can be simulated in tests and demos."""

    def time(self) -> float:
        """Current wall-clock time as Unix epoch seconds (NTP or an operator may step it)."""

    def monotonic(self) -> float:
        """Seconds on a clock that is never stepped, only moves forward: for waits and
        elapsed time. Only differences between two readings mean anything."""

    async def sleep(self, seconds: float) -> None:
        """Wait for `seconds` of monotonic time."""


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))  # the event loop times it on time.monotonic


# Where the simulated clocks' monotonic time starts: any value works, since only its
# differences mean anything; far from the wall times so that mixing them shows.
MONOTONIC_START = 1000.0


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it at once.

    For unit tests that call the code under test directly: whoever sleeps moves
    time for everyone. Concurrent sleepers want `VirtualClock`. `advance` and `sleep`
    move wall and monotonic time together; `set` and `step` move the wall clock
    alone, as NTP or an operator stepping it does.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._monotonic = MONOTONIC_START

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._monotonic += seconds

    def set(self, now: float) -> None:
        self._now = now

    def step(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class ClockStalled(AssertionError):
    """Tasks sleeping on a `VirtualClock` neither parked again nor finished in time."""


class VirtualClock:
    """Virtual time that moves only when a test drives it with `run_until` or `advance`
    (and `step`, which steps the wall clock alone, as NTP or an operator does).

    Every task that sleeps on this clock parks on it. The driver waits, in real
    time, until each such task is parked again or done, then jumps to the earliest
    due sleeper and wakes it, and repeats. Real work in between (loopback HTTP to
    the emulator, renders in threads) therefore finishes while virtual time stands
    still, so what the tasks see never depends on CPU speed or load.

    A task counts from its first sleep on the clock, so a task that must be waited
    for should sleep on it before any real work (the scheduler's jobs do). The
    driving task must not sleep on the clock itself: nobody would wake it.
    """

    def __init__(
        self,
        start: float = 1_700_000_000.0,
        *,
        stall_timeout: float = 60.0,
        spins: int = 5,
    ) -> None:
        # Sleepers and the driver run on monotonic time; the wall clock is it plus an
        # offset that only `step` changes.
        self._monotonic = MONOTONIC_START
        self._wall_offset = start - MONOTONIC_START
        # Real seconds one step may wait for the sleepers to park; generous, since a
        # step may hold a whole poll's worth of loopback HTTP on a loaded machine.
        self._stall_timeout = stall_timeout
        # Event-loop turns given before each check, so tasks just created or just
        # woken reach their next await and get counted.
        self._spins = spins
        self._order = itertools.count()  # ties on due time wake in the order they slept
        self._sleepers: list[tuple[float, int, asyncio.Future[None], asyncio.Task[Any]]] = []
        self._participants: set[asyncio.Task[Any]] = set()
        self._parked: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()

    def time(self) -> float:
        return self._monotonic + self._wall_offset

    def monotonic(self) -> float:
        return self._monotonic

    def step(self, seconds: float) -> None:
        """Step the wall clock by `seconds` (either way); monotonic time and every
        sleeper's wake-up stay where they are."""
        self._wall_offset += seconds

    async def sleep(self, seconds: float) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("VirtualClock.sleep needs to run inside an asyncio task")
        if task not in self._participants:
            self._participants.add(task)
            task.add_done_callback(self._forget)
        # Even a sleep that is already due parks: the driver wakes it at the next step,
        # so every wake-up happens at a point the driver chose.
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        due = self._monotonic + max(0.0, seconds)
        heapq.heappush(self._sleepers, (due, next(self._order), woken, task))
        self._parked.add(task)
        self._changed.set()
        try:
            await woken
        finally:
            self._parked.discard(task)  # already gone if woken; needed if cancelled

    async def advance(self, seconds: float) -> None:
        """Run every sleeper due within the next `seconds` of virtual time."""
        await self.run_until(self.time() + seconds)

    async def run_until(self, when: float) -> None:
        """Move virtual time to wall time `when`, waking each sleeper due by then in due
        order.

        Returns with every sleeping task parked or done and the clock reading `when`.
        Raises `ClockStalled` if a step's tasks do not settle within `stall_timeout`
        real seconds.
        """
        target = when - self._wall_offset  # as monotonic time
        while True:
            await self._settle()
            self._drop_cancelled()
            if not self._sleepers or self._sleepers[0][0] > target:
                break
            self._monotonic = max(self._monotonic, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self._monotonic:
                _, _, woken, task = heapq.heappop(self._sleepers)
                if not woken.done():
                    woken.set_result(None)
                    self._parked.discard(task)
        self._monotonic = max(self._monotonic, target)

    def _busy(self) -> list[asyncio.Task[Any]]:
        driver = asyncio.current_task()
        return [
            task
            for task in self._participants
            if task is not driver and not task.done() and task not in self._parked
        ]

    async def _settle(self) -> None:
        """Wait in real time until every participant is parked on this clock or done."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._stall_timeout
        while True:
            for _ in range(self._spins):
                await asyncio.sleep(0)
            busy = self._busy()
            if not busy:
                return
            # Nothing can change between this check and the clear: no await in between.
            self._changed.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._changed.wait()
            except TimeoutError:
                names = ", ".join(sorted(task.get_name() for task in self._busy()))
                raise ClockStalled(
                    f"VirtualClock at {self.time():.3f}: task(s) {names} neither slept on the "
                    f"clock again nor finished within {self._stall_timeout:g} real seconds "
                    "(blocked on something other than the clock or real I/O?)"
                ) from None

    def _drop_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._participants.discard(task)
        self._parked.discard(task)
        self._changed.set()
