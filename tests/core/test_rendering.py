"""The cached bodies: assembled from the first one on, re-rendered per poller, with the
endpoint families (`cdn_up`, `cdn_data_timestamp_seconds`) beside the CDN ones."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from collector.clock import FakeClock
from collector.rendering import RenderedBodies, endpoint_families, poller_rows
from tests.core.rendering import openmetrics_from_text
from tests.core.test_web import exporter


def test_the_first_bodies_are_assembled_and_empty() -> None:
    bodies = RenderedBodies(list)
    assert bodies.metrics.plain == b""
    assert bodies.slices.plain == b""
    # An assembled body has its OpenMetrics join: no conversion of the text is needed.
    assert bodies.metrics.openmetrics is not None
    assert bodies.metrics.openmetrics().plain == b""


async def test_a_poll_re_renders_its_own_chunks_into_the_body() -> None:
    exp = exporter(FakeClock())
    first, second = exp.pollers
    assert [f.name for f in endpoint_families(exp.pollers)] == [
        "cdn_up",
        "cdn_data_timestamp_seconds",
    ]
    assert [f.samples for f in endpoint_families(exp.pollers)] == [[], []]  # nothing polled
    await exp.poll_and_render(first)
    body = exp.rendered.plain
    assert b'cdn_up{provider="wangsu",account="main",endpoint="flow_request"} 1.0' in body
    assert b'endpoint="' + second.settings.spec.name.encode() not in body
    await exp.poll_and_render(second)
    body = exp.rendered.plain
    assert b'endpoint="' + second.settings.spec.name.encode() in body
    om = exp.rendered.openmetrics
    assert om is not None
    assert om().plain == openmetrics_from_text(body)
    # The store's rows are handed over as views, labels led by provider and account.
    for rows in poller_rows(first):
        assert rows.label_names[:2] == ("provider", "account")
        assert rows.base == ("wangsu", "main")


async def test_renders_asked_for_during_a_render_coalesce_into_one_more() -> None:
    exp = exporter(FakeClock())
    for poller in exp.pollers:
        await poller.poll()
    bodies = RenderedBodies(lambda: exp.pollers)
    assembled: list[int] = []  # how many owners each assembly updated
    assemble = bodies._assemble

    gate = threading.Event()

    def counting(updates: list[Any], slices: list[Any], gone: list[Any]) -> Any:
        assembled.append(len(updates))
        gate.wait(10)  # held until the other renders have been asked for
        return assemble(updates, slices, gone)

    bodies._assemble = counting  # type: ignore[method-assign]
    started = asyncio.create_task(bodies.render())
    await asyncio.sleep(0)  # the full render holds the lock, its assembly in a thread
    first = exp.pollers[0]
    await asyncio.gather(bodies.render(first), bodies.render(first))  # return at once
    gate.set()
    await started
    # Every poller and the endpoint families, then the one poller asked for twice meanwhile
    # (and the endpoint families again).
    assert assembled == [3, 2]
    assert b"cdn_up{" in bodies.metrics.plain
