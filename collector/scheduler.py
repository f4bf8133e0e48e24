"""Aligned polling: one asyncio task per (account, endpoint), sleeping on the shared clock's
monotonic time, with wall-clock steps noticed and the loop's liveness judged on it too."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping

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

# A wall clock that moved this much more or less than the monotonic clock between two
# readings was stepped (NTP, an operator, a VM restored), not slewed...
STEP_THRESHOLD = 5.0
# ... plus what slewing may add: the kernel slews at most 500 ppm (adjtime), so long
# gaps between readings never count a slewed clock as stepped.
MAX_SLEW = 0.0005


def wall_step(wall_delta: float, monotonic_delta: float) -> float:
    """How far the wall clock was stepped between two readings (positive: forward), or
    0.0 if it moved with the monotonic clock within the threshold and slew."""
    step = wall_delta - monotonic_delta
    if abs(step) <= STEP_THRESHOLD + MAX_SLEW * abs(monotonic_delta):
        return 0.0
    return step


class StepWatch:
    """Notices wall-clock steps, in either direction, from readings of the shared clock:
    each is logged once and reported to `on_step` ("forward" or "backward"), whichever
    job reads the clock first after it."""

    def __init__(self, clock: Clock, on_step: Callable[[str], None] | None = None) -> None:
        self.clock = clock
        self.on_step = on_step
        self._wall = clock.time()
        self._monotonic = clock.monotonic()
        self.stepped = 0.0  # the sum of the steps seen: a job compares it across its sleep

    def check(self) -> None:
        """Read both clocks; log and report a step since the last reading."""
        wall, monotonic = self.clock.time(), self.clock.monotonic()
        step = wall_step(wall - self._wall, monotonic - self._monotonic)
        self._wall, self._monotonic = wall, monotonic
        if step == 0.0:
            return
        self.stepped += step
        direction = "forward" if step > 0 else "backward"
        log.warning(
            "the wall clock was stepped %s by %.1fs: polls keep their pace on the monotonic "
            "clock and slices are aligned to the new wall time",
            direction,
            abs(step),
        )
        if self.on_step is not None:
            self.on_step(direction)


# The poll loop has stalled once no poll has started or ended for this many of the
# longest poll interval, plus the slack: a liveness probe then restarts a wedged process.
STALL_INTERVALS = 3
STALL_SLACK = 60  # seconds


def stalled(last_activity: float, now: float, longest_interval: int) -> bool:
    """True when the poll loop has stalled: no poll started or ended for
    `STALL_INTERVALS` times the longest poll interval plus `STALL_SLACK`. Both times are
    monotonic readings, so a step of the wall clock neither hides a stall nor fakes one."""
    return now - last_activity > STALL_INTERVALS * longest_interval + STALL_SLACK


async def sleep_until_monotonic(clock: Clock, deadline: float) -> None:
    """Sleep until the clock's monotonic time reaches `deadline` (at once if it has)."""
    # Sleep even when due: a simulated clock then counts the task as one of its sleepers
    # before it does any work. The event loop may wake a hair early (its clock
    # resolution): sleep the rest.
    await clock.sleep(deadline - clock.monotonic())
    while (left := deadline - clock.monotonic()) > 0:
        await clock.sleep(left)


async def run_aligned(
    poll: Job,
    *,
    name: str,
    clock: Clock,
    interval: int,
    offset: float,
    first_run: float,
    deadlines: dict[str, float] | None = None,
    watch: StepWatch | None = None,
) -> None:
    """Run `poll` at wall time `first_run`, then at every k*interval + offset, until
    cancelled; `deadlines[name]` is the monotonic time it runs next.

    Each wait is computed on the wall clock (slices are wall-aligned) and slept on the
    monotonic one, so a step of the wall clock neither stalls nor hurries it; after a
    step (seen by `watch`) the next fire time is aligned to the new wall time.
    A run that returns a `Retry` runs again after it (sooner than the next regular
    time unless the retry holds). The next fire time is chosen only after a run ends,
    so two runs never overlap, and fire times missed by a long run or a late wake-up
    collapse into one run.
    """
    due = first_run
    while True:
        deadline = clock.monotonic() + (due - clock.time())
        if deadlines is not None:
            deadlines[name] = deadline
        stepped_before = watch.stepped if watch is not None else 0.0
        await sleep_until_monotonic(clock, deadline)
        retry = None
        try:
            retry = await poll()
        except Exception:
            # One bad run must not end the job; the next fire time still comes.
            log.exception("%s: scheduled run failed", name)
        now = clock.time()
        if watch is not None:
            watch.check()
        if watch is None or watch.stepped == stepped_before:
            # Never before the run just done: a clock read a hair short of `due` would
            # otherwise pick `due` again and run twice. (After a step, `due` is a time
            # of the old wall clock and `now` is what counts.)
            now = max(now, due)
        due = next_due(now, next_aligned(now, interval, offset), retry)


class NextRuns(Mapping[str, float]):
    """Each job's next run as a wall-clock time, from its monotonic deadline at the
    moment it is read: true across steps of the wall clock (for the status page)."""

    def __init__(self, clock: Clock, deadlines: Mapping[str, float]) -> None:
        self._clock = clock
        self._deadlines = deadlines

    def __getitem__(self, name: str) -> float:
        return self._clock.time() + (self._deadlines[name] - self._clock.monotonic())

    def __iter__(self) -> Iterator[str]:
        return iter(self._deadlines)

    def __len__(self) -> int:
        return len(self._deadlines)


# Real seconds a stopped job gets to unwind after it is cancelled (an in-flight call
# is cancelled with it, so this is only ever reached by code that ignores cancellation).
STOP_TIMEOUT = 3.0


class PollScheduler:
    """The aligned poll jobs of one exporter, each its own named task on the shared clock."""

    def __init__(self, clock: Clock, on_step: Callable[[str], None] | None = None) -> None:
        """`on_step` hears of each wall-clock step the jobs notice ("forward"/"backward")."""
        self.clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._deadlines: dict[str, float] = {}  # job name -> monotonic time it runs next
        self.next_runs = NextRuns(clock, self._deadlines)  # the same, as wall times
        self.watch = StepWatch(clock, on_step)

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
            deadlines=self._deadlines,
            watch=self.watch,
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
        self._deadlines.pop(name, None)
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
