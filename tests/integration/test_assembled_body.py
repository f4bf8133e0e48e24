"""The exporter's cached body after polls in any order equals a full render of every
store, plain, gzip and OpenMetrics; each poll re-renders only its own chunks."""

from __future__ import annotations

import dataclasses
import gzip
import random

import pytest

from collector.app import Exporter
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator.core import Emulator
from collector.emulator.server import start
from tests.core.rendering import every_family, openmetrics_from_text, render_families
from tests.integration.conftest import CDNETWORKS, HEALTH_OFF, WANGSU

START = 1_700_000_000 - 1_700_000_000 % 300 + 30
# A second Wangsu account: the core families are fed by three accounts at once. Only the
# traffic endpoints (HEALTH_OFF), so that twelve random polls reach each of them.
WANGSU_B = dataclasses.replace(
    WANGSU, name="it-wangsu-b", access_key="IT_AK_B", username="it-wangsu-b"
)


def assert_full_render(exporter: Exporter) -> None:
    expected = render_families(every_family(exporter))
    rendered = exporter.rendered
    assert rendered.plain == expected
    assert gzip.decompress(rendered.gzipped) == expected
    assert rendered.openmetrics is not None
    om = rendered.openmetrics()
    assert om.plain == openmetrics_from_text(expected)
    assert gzip.decompress(om.gzipped) == om.plain


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_polls_in_any_order_keep_the_assembled_body_equal_to_a_full_render(
    seed: int,
) -> None:
    draw = random.Random(seed)
    clock = FakeClock(START)
    accounts = [WANGSU, WANGSU_B, CDNETWORKS]
    server = await start(Emulator(accounts, clock=clock))
    settings = validate(
        {"accounts": [account_config(a, server.base_url, HEALTH_OFF) for a in accounts]}
    )
    exporter = Exporter(settings, clock)
    try:
        for _ in range(12):
            poller = draw.choice(exporter.pollers)
            await exporter.poll_and_render(poller)
            assert_full_render(exporter)
            clock.advance(draw.choice([0, 60, 300, 900]))
        body = exporter.rendered.plain
        assert body.count(b"# TYPE cdn_bandwidth_bytes_per_second ") == 1
        fed_by = {
            line.split(b'account="')[1].split(b'"')[0]
            for line in body.splitlines()
            if line.startswith(b"cdn_bandwidth_bytes_per_second{")
        }
        assert len(fed_by) >= 2  # one family, several accounts' chunks, one head
        # A reload that drops an account drops its chunks; the rest stays exact.
        smaller = validate(
            {"accounts": [account_config(a, server.base_url, HEALTH_OFF) for a in accounts[:2]]}
        )
        await exporter.apply(smaller)
        assert_full_render(exporter)
        assert b"it-cdnetworks" not in exporter.rendered.plain
    finally:
        await exporter.close()
        await server.close()
