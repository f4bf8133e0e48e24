"""The event loop's lag, measured on the exporter's clock, as self-metrics."""

from __future__ import annotations

import asyncio

from collector.clock import Clock
from collector.selfmetrics import SelfMetrics

LAG_INTERVAL = 0.25  # seconds between the loop-lag watcher's wake-ups
LAG_PEAK_WAKEUPS = 240  # the lag peak gauge covers the last minute of wake-ups


class LoopLagWatcher:
    """Sleeps `interval` seconds of the clock again and again; how much later than due
    each wake-up comes is the loop's lag (cdn_exporter_event_loop_lag_seconds, and its
    recent peak)."""

    def __init__(self, clock: Clock, metrics: SelfMetrics) -> None:
        self.clock = clock
        self.metrics = metrics
        self.task: asyncio.Task[None] | None = None

    def start(self, interval: float = LAG_INTERVAL) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self._watch(interval), name="loop-lag")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def _watch(self, interval: float) -> None:
        histogram, peak = self.metrics.loop_lag, self.metrics.loop_lag_max
        worst, wakeups = 0.0, 0
        while True:
            before = self.clock.monotonic()
            await self.clock.sleep(interval)
            lag = max(0.0, self.clock.monotonic() - before - interval)
            histogram.observe(lag)
            worst, wakeups = max(worst, lag), wakeups + 1
            peak.set(worst)
            if wakeups >= LAG_PEAK_WAKEUPS:
                worst, wakeups = 0.0, 0
