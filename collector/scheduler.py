"""Aligned polling: one asyncio task per (account, endpoint), sleeping on the shared clock."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable

from collector.backoff import Retry, next_due
from collector.clock import Clock

log = logging.getLogger(__name__)


def next_aligned(now: float, interval: int, offset: float) -> float:
    """The first time after `now` of the form k*interval + offset (epoch-aligned)."""
    base = (now - offset) // interval * interval + offset
    return base + interval if base <= now else base


def account_jitter(account: str, spread: int) -> float:
    """A stable per-account delay in [0, spread) so accounts do not fire together."""
    if spread <= 0:
        return 0.0
    return (zlib.crc32(account.encode()) % (spread * 1000)) / 1000.0


Job = Callable[[], Awaitable[Retry | None]]


async def run_aligned(
    poll: Job,
    *,
    name: str,
    clock: Clock,
    interval: int,
    offset: float,
    first_run: float,
    next_runs: dict[str, float] | None = None,
) -> None:
    """Run `poll` at `first_run`, then at every k*interval + offset, until cancelled;
    `next_runs[name]` says when it runs next (for the status page).

    A run that returns a `Retry` runs again after it (sooner than the next regular
    time unless the retry holds). The next fire time is chosen only after a run ends,
    so two runs never overlap, and fire times missed by a long run or a late wake-up
    collapse into one run.
    """
    due = first_run
    while True:
        if next_runs is not None:
            next_runs[name] = due
        await clock.sleep_until(due)
        retry = None
        try:
            retry = await poll()
        except Exception:
            # One bad run must not end the job; the next fire time still comes.
            log.exception("%s: scheduled run failed", name)
        # Never before the run just done: a clock read a hair short of `due` would
        # otherwise pick `due` again and run twice.
        now = max(clock.time(), due)
        due = next_due(now, next_aligned(now, interval, offset), retry)


# Real seconds a stopped job gets to unwind after it is cancelled (an in-flight call
# is cancelled with it, so this is only ever reached by code that ignores cancellation).
STOP_TIMEOUT = 3.0


class PollScheduler:
    """The aligned poll jobs of one exporter, each its own named task on the shared clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.next_runs: dict[str, float] = {}  # job name -> clock time it runs next

    def add(
        self,
        name: str,
        poll: Job,
        *,
        interval: int,
        offset: float,
        first_run: float,
    ) -> None:
        """Start one job; needs a running event loop. Names are unique."""
        if name in self._tasks:
            raise ValueError(f"job {name!r} is already scheduled")
        job = run_aligned(
            poll,
            name=name,
            clock=self.clock,
            interval=interval,
            offset=offset,
            first_run=first_run,
            next_runs=self.next_runs,
        )
        self._tasks[name] = asyncio.create_task(job, name=f"poll {name}")

    @property
    def names(self) -> list[str]:
        return list(self._tasks)

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks.values())

    async def remove(self, name: str, timeout: float = STOP_TIMEOUT) -> None:
        """Cancel one job, including a run in progress, and wait for it to end."""
        task = self._tasks.pop(name, None)
        self.next_runs.pop(name, None)
        if task is not None:
            await _cancel([task], timeout)

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Cancel every job, including runs in progress, and wait (at most `timeout`
        real seconds) for them to end."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        await _cancel(tasks, timeout)


async def _cancel(tasks: list[asyncio.Task[None]], timeout: float) -> None:
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        log.warning("%s: did not stop within %gs of being cancelled", task.get_name(), timeout)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning("%s: ended with %r", task.get_name(), task.exception())
