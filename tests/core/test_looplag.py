"""The event-loop lag self-metric, measured on the exporter's own clock (no wall time)."""

from __future__ import annotations

import asyncio

from collector.app import Exporter
from collector.clock import FakeClock
from tests.core.test_web import exporter


class LateClock(FakeClock):
    """Each sleep comes back `late` seconds after it was due, as on a stalled loop."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late
        self.sleeps = 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        await super().sleep(seconds + self.late)
        if self.sleeps >= 4:
            await asyncio.Event().wait()  # park for good: the test has seen enough


def sample(exp: Exporter, name: str, **labels: str) -> float | None:
    value = exp.metrics.registry.get_sample_value(name, labels)
    return None if value is None else float(value)


async def test_lag_is_observed_from_the_clock_and_exported() -> None:
    clock = LateClock(late=0.3)
    exp = exporter(clock)
    exp.watch_loop_lag(interval=0.25)
    for _ in range(20):
        await asyncio.sleep(0)
    assert sample(exp, "cdn_exporter_event_loop_lag_seconds_count") == 3.0
    assert abs((sample(exp, "cdn_exporter_event_loop_lag_seconds_sum") or 0) - 0.9) < 1e-6
    assert sample(exp, "cdn_exporter_event_loop_lag_seconds_bucket", le="0.25") == 0.0
    assert sample(exp, "cdn_exporter_event_loop_lag_seconds_bucket", le="0.5") == 3.0
    assert abs((sample(exp, "cdn_exporter_event_loop_lag_max_seconds") or 0) - 0.3) < 1e-6
    assert b"cdn_exporter_event_loop_lag_seconds_bucket" in exp.metrics.render()
    await exp.close()
    assert exp.loop_lag.task is None


async def test_no_lag_on_a_clock_that_is_on_time() -> None:
    clock = LateClock(late=0.0)
    exp = exporter(clock)
    exp.watch_loop_lag(interval=1.0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert sample(exp, "cdn_exporter_event_loop_lag_seconds_count") == 3.0
    assert sample(exp, "cdn_exporter_event_loop_lag_seconds_sum") == 0.0
    await exp.close()
