"""One clock for the scheduler, rate limiters, settle logic and emulator."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time that can be simulated in tests and demos."""

    def time(self) -> float:
        """Current wall-clock time as Unix epoch seconds."""

    async def sleep(self, seconds: float) -> None:
        """Wait for `seconds` of this clock's time."""

    def real_seconds(self, seconds: float) -> float:
        """How many real seconds `seconds` of this clock's time take."""


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def real_seconds(self, seconds: float) -> float:
        return seconds


class ScaledClock:
    """A clock that starts at `start` and runs `speed` times faster than real time.

    Used to run a simulated day against the emulator in under a minute.
    """

    def __init__(self, start: float, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()

    def time(self) -> float:
        return self._start + (time.monotonic() - self._origin) * self._speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)

    def real_seconds(self, seconds: float) -> float:
        return seconds / self._speed


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it at once."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, now: float) -> None:
        self._now = now

    async def sleep(self, seconds: float) -> None:
        self._now += max(0.0, seconds)
        await asyncio.sleep(0)

    def real_seconds(self, seconds: float) -> float:
        return 0.0
