"""APScheduler wiring: one job per (account, endpoint), aligned to slice boundaries."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any

import apscheduler.schedulers.base as _aps_base
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from collector.clock import Clock


def next_aligned(now: float, interval: int, offset: float) -> float:
    """The first time after `now` of the form k*interval + offset (epoch-aligned)."""
    base = (now - offset) // interval * interval + offset
    return base + interval if base <= now else base


def account_jitter(account: str, spread: int) -> float:
    """A stable per-account delay in [0, spread) so accounts do not fire together."""
    if spread <= 0:
        return 0.0
    return (zlib.crc32(account.encode()) % (spread * 1000)) / 1000.0


class AlignedTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at slice boundaries plus a fixed offset (settle delay, jitter)."""

    def __init__(self, interval: int, offset: float, clock: Clock) -> None:
        self.interval = interval
        self.offset = offset
        self.clock = clock

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = now.timestamp()
        if previous_fire_time is not None:
            after = max(after, previous_fire_time.timestamp())
        return datetime.fromtimestamp(next_aligned(after, self.interval, self.offset), UTC)

    def __str__(self) -> str:
        return f"aligned[every {self.interval}s +{self.offset:g}s]"


class _ClockDatetime(datetime):
    """`datetime` whose now() reads the injected clock (for APScheduler internals)."""

    clock: Clock

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        return datetime.fromtimestamp(cls.clock.time(), tz)


class ClockedScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """An AsyncIOScheduler that reads time from a `Clock` and sleeps in its time.

    APScheduler 3 reads `datetime.now()` in two places and waits with
    `loop.call_later`; both are redirected here so a simulated day runs in
    seconds. With the system clock this behaves exactly like its parent.
    """

    def __init__(self, clock: Clock, **options: Any) -> None:
        super().__init__(timezone=UTC, **options)
        self._clock = clock
        self._datetime = type("ClockDatetime", (_ClockDatetime,), {"clock": clock})

    @contextmanager
    def _clock_time(self) -> Iterator[None]:
        # Safe: the event loop runs these synchronous methods one at a time.
        saved = _aps_base.datetime
        _aps_base.datetime = self._datetime
        try:
            yield
        finally:
            _aps_base.datetime = saved

    def _process_jobs(self) -> float | None:
        with self._clock_time():
            wait: float | None = super()._process_jobs()
        return wait

    def _real_add_job(self, *args: Any, **kwargs: Any) -> None:
        with self._clock_time():
            super()._real_add_job(*args, **kwargs)

    def _start_timer(self, wait_seconds: float | None) -> None:
        if wait_seconds is not None:
            wait_seconds = self._clock.real_seconds(wait_seconds)
        super()._start_timer(wait_seconds)


def add_poll_job(
    scheduler: ClockedScheduler,
    *,
    job_id: str,
    poll: Callable[[], Awaitable[None]],
    interval: int,
    offset: float,
    clock: Clock,
    first_run: float,
) -> None:
    """One job per (account, endpoint): never two runs at once, late runs coalesced."""
    scheduler.add_job(
        poll,
        trigger=AlignedTrigger(interval, offset, clock),
        id=job_id,
        name=job_id,
        next_run_time=datetime.fromtimestamp(first_run, UTC),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
