"""Billing against the emulator over a simulated month on a virtual clock: February
2026 (a short month) in two groups' zones, +08:00 and -05:00, from its first slice into
March, the exporter SIGKILL-ed mid-month and restarted from its state file; every exported
billing figure equals the one computed from the emulator's ground truth for the same
slices, and the finished January of the -05:00 group leaves after FINISHED_MONTH_KEPT.
Polls are hourly (each reads its hour's twelve 5-minute slices), to keep it fast. Also:
a first start mid-month (the backfill), and Volcengine groups (up and down summed, the
provider's P95 beside ours)."""

from __future__ import annotations

import calendar
import logging
from pathlib import Path
from typing import Any

import pytest

from collector import health, state
from collector.app import Exporter
from collector.billing.calendar import BillingMonth
from collector.billing.families import (
    BANDWIDTH,
    BURST_POINTS,
    EXPECTED_POINTS,
    FORECAST_BANDWIDTH,
    FORECAST_TRAFFIC,
    POINTS,
    TRAFFIC,
)
from collector.billing.ledger import Method
from collector.billingkeeper import AccountBilling
from collector.clock import VirtualClock
from collector.config.loading import validate
from collector.demo import account_config
from collector.emulator import Emulator, start
from collector.emulator.traffic import Quantity, decimal
from collector.emulator.volcengine.responses import printed
from collector.model import MEGABIT_PER_SECOND
from collector.timeslices import align_down
from tests.billing.test_billing_properties import brute_force
from tests.integration.conftest import HEALTH_OFF, WANGSU, running
from tests.integration.test_restart import kill
from tests.integration.test_volcengine_day import LIVE

HOUR = 3600
SETTLE = 900  # flow_request's settle delay
REREAD = 600
# 2026-02-01 00:00 +08:00, plus the settle delay and a minute: the first poll reads the
# month's first slices (and, in -05:00, January's last).
START = calendar.timegm((2026, 2, 1, 0, 0, 0)) - 8 * HOUR + SETTLE + 60
KILLED_AT = START + 14 * 86400 + 7 * HOUR + 1234  # mid-month, mid-poll interval
DOWN = 1800
END = calendar.timegm((2026, 3, 2, 1, 0, 0))  # past both month boundaries
COMMIT = 40e6  # bytes per second: the demo traffic of one domain crosses it
GROUPS = [
    {"name": "www", "domains": ["www.example.com"], "commit": {"bandwidth": COMMIT}},
    {"name": "rest", "method": "fourth_daily_peak", "time_zone": "-05:00"},
]
OFFSETS = {"www": 8 * HOUR, "rest": -5 * HOUR}
DOMAINS = {"www": ["www.example.com"], "rest": ["img.example.com"]}


def settings(base_url: str, path: Path) -> Any:
    endpoints = {
        "flow_request": {"interval": "1h", "delay": "15m", "reread": "10m"},
        "flow_request_origin": {"enabled": False},
        "edge_hit_ratio": {"enabled": False},
        **HEALTH_OFF,
    }
    entry = account_config(WANGSU, base_url, endpoints, billing={"groups": GROUPS})
    return validate({"accounts": [entry], "account_jitter": 0, "state_file": str(path)})


def truth(emulator: Emulator, group: str, first: int, last: int) -> dict[int, float]:
    """The group's point (bytes per second) of every slice ending in [first, last], as
    the API prints each domain's bandwidth (2-decimal Mbps)."""
    points = {}
    for end in range(first, last + 1, 300):
        points[end] = sum(
            float(
                decimal(
                    emulator.traffic.value(WANGSU.name, d, Quantity.BANDWIDTH, end - 300, 300), 2
                )
            )
            * MEGABIT_PER_SECOND
            for d in DOMAINS[group]
        )
    return points


def exported(exporter: Exporter) -> dict[tuple[str, tuple[str, ...]], float]:
    return {(s.family.name, s.labels): s.value for s in exporter.billing.samples()}


@pytest.mark.slow
async def test_billing_figures_equal_the_emulator_truth_through_a_restart_and_month_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collector")
    path = tmp_path / "state.json"
    clock = VirtualClock(START)
    server = await start(Emulator([WANGSU], clock=clock))
    first = Exporter(settings(server.base_url, path), clock)
    second: Exporter | None = None
    try:
        first.start()
        await clock.run_until(KILLED_AT)
        await kill(first)
        assert state.decode_billing(path.read_bytes()) is not None
        await clock.run_until(KILLED_AT + DOWN)

        second = Exporter(settings(server.base_url, path), clock)
        assert any("billing continues" in r.getMessage() for r in caplog.records)
        second.start()
        await clock.run_until(END)

        book: AccountBilling = second.billing.accounts[WANGSU.name]
        assert book.settled_until is not None
        # The first poll read from its window's start: the settle delay and re-read back,
        # so the +08:00 February starts with the slices ending in January.
        first_end = int(align_down(START - SETTLE - REREAD, 300)) + 300
        assert BillingMonth.of_slice(first_end, 8 * HOUR).key == "2026-01"
        samples = exported(second)
        emulator = server.emulator
        checked = 0
        for group, offset in OFFSETS.items():
            points = truth(emulator, group, first_end, book.settled_until)
            months = sorted(book.books[group].ledger.months)
            # January ended more than FINISHED_MONTH_KEPT ago in both zones: gone.
            assert months == ["2026-02", "2026-03"], (group, months)
            for key in months:
                month = BillingMonth(key, offset)
                expected = brute_force(points, offset, key, True, COMMIT)
                base = (WANGSU.name, group)
                assert samples[(POINTS.name, (*base, key))] == expected["points"], (group, key)
                settled = month.slots_until(book.settled_until)
                assert samples[(EXPECTED_POINTS.name, (*base, key))] == settled
                for method in ("p95", "daily_peak_average", "fourth_daily_peak"):
                    got = samples[(BANDWIDTH.name, (*base, method, key))]
                    assert got == pytest.approx(expected[method], rel=1e-12), (group, key, method)
                for method in ("p95", "fourth_daily_peak"):
                    got = samples[(FORECAST_BANDWIDTH.name, (*base, method, key))]
                    want = expected[f"forecast_{method}"]
                    assert got == pytest.approx(want, rel=1e-12), (group, key, method)
                got = samples[(TRAFFIC.name, (*base, key))]
                assert got == pytest.approx(expected["traffic"], rel=1e-12), (group, key)
                got = samples[(FORECAST_TRAFFIC.name, (*base, key))]
                assert got == pytest.approx(expected["forecast_traffic"], rel=1e-12)
                if group == "www":
                    got = samples[(BURST_POINTS.name, (*base, key))]
                    assert got == expected["burst"], key
                assert book.books[group].ledger.months[key].late_revisions == 0
                checked += 1
        assert checked == 4
        # February is whole in both zones: every slice of it is a point.
        for group in OFFSETS:
            feb = book.books[group].ledger.months["2026-02"]
            assert feb.figures().points == feb.month.slots == 28 * 288
        # The figures are in /metrics.
        assert b"cdn_billing_bandwidth_bytes_per_second{" in second.rendered.plain
    finally:
        if second is not None:
            await second.close()
        await server.close()


@pytest.mark.slow
async def test_a_first_start_mid_month_backfills_the_month_so_far_within_the_spare_budget(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    middle = calendar.timegm((2026, 2, 10, 5, 17, 0))  # 13:17 +08:00, 00:17 -05:00
    clock = VirtualClock(middle)
    server = await start(Emulator([WANGSU], clock=clock))
    exporter = Exporter(settings(server.base_url, path), clock)
    restarted: Exporter | None = None
    killed = False
    try:
        exporter.start()
        await clock.run_until(middle + 3 * HOUR)
        book = exporter.billing.accounts[WANGSU.name]
        assert book.settled_until is not None
        samples = exported(exporter)
        for group, offset in OFFSETS.items():
            month = BillingMonth.of(book.settled_until, offset)
            points = truth(
                emulator=server.emulator,
                group=group,
                first=month.start + 300,
                last=book.settled_until,
            )
            expected = brute_force(points, offset, month.key, True, COMMIT)
            base = (WANGSU.name, group, month.key)
            # Whole: every settled slice of the month so far is a point, and exact.
            assert samples[(POINTS.name, base)] == month.slots_until(book.settled_until)
            assert samples[(POINTS.name, base)] == samples[(EXPECTED_POINTS.name, base)]
            assert expected["points"] == samples[(POINTS.name, base)] > 200
            for method in ("p95", "daily_peak_average", "fourth_daily_peak"):
                got = samples[(BANDWIDTH.name, (WANGSU.name, group, method, month.key))]
                assert got == pytest.approx(expected[method], rel=1e-12), (group, method)
            assert book.books[group].ledger.months[month.key].late_revisions == 0
        backfill = exporter.backfills[WANGSU.name]
        # A day per call, domains in one batch: about ten calls, none throttled, and the
        # regular hourly polls all succeeded meanwhile.
        assert 5 <= backfill.calls <= 15
        assert server.emulator.totals().throttled == 0
        poller = backfill.poller
        assert poller.up is True
        assert poller.polls == 4
        status = health.status(exporter)
        assert {(b.group, b.points == b.expected_points) for b in status.billing} == {
            ("www", True),
            ("rest", True),
        }
        await kill(exporter)
        killed = True

        # A restart from the state file has nothing left to backfill.
        restarted = Exporter(settings(server.base_url, path), clock)
        restarted.start()
        await clock.run_until(middle + 5 * HOUR)
        assert restarted.backfills[WANGSU.name].calls == 0
        book = restarted.billing.accounts[WANGSU.name]
        assert book.settled_until is not None
        for group, offset in OFFSETS.items():
            month = BillingMonth.of(book.settled_until, offset)
            figures = book.books[group].ledger.months[month.key].figures()
            assert figures.points == month.slots_until(book.settled_until)
    finally:
        if restarted is not None:
            await restarted.close()
        if not killed:
            await exporter.close()
        await server.close()


@pytest.mark.slow
async def test_volcengine_groups_bill_both_directions_and_reconcile_with_the_provider_p95() -> None:
    start = calendar.timegm((2026, 2, 1, 0, 0, 0)) - 8 * HOUR + HOUR
    clock = VirtualClock(start)
    groups = [{"name": "pull", "domains": ["pull.live.example.com"]}, {"name": "rest"}]
    members = {
        "pull": ["pull.live.example.com"],
        "rest": ["play.live.example.com", "hls.live.example.com"],
    }

    def configure(base_url: str) -> list[dict[str, Any]]:
        endpoints = {"pull_to_push": {"granularity": "1h"}}
        return [account_config(LIVE, base_url, endpoints, billing={"groups": groups})]

    async with running(clock, [LIVE], configure) as (server, exporter):
        await clock.run_until(start + 12 * HOUR)
        book = exporter.billing.accounts[LIVE.name]
        assert book.settled_until is not None
        last = book.settled_until - book.settled_until % 300
        for name, domains in members.items():
            ledger = book.books[name].ledger.months["2026-02"]
            figures = ledger.figures()
            # Up and down, each as printed (2-decimal Mbps), summed over the domains.
            points = {
                end: sum(
                    printed(
                        server.emulator.traffic.aggregate(LIVE.name, [(d, {})], q, end - 300, 300)
                    )
                    * MEGABIT_PER_SECOND
                    for d in domains
                    for q in (Quantity.BANDWIDTH, Quantity.UP_BANDWIDTH)
                )
                for end in range(last - 300 * (figures.points - 1), last + 1, 300)
            }
            expected = brute_force(points, 8 * HOUR, "2026-02", True, COMMIT)
            # The whole month so far: the backfill read its first hour, before the start.
            assert figures.points == ledger.month.slots_until(book.settled_until) > 144
            for method in ("p95", "daily_peak_average", "traffic"):
                got = getattr(figures, method)
                assert got == pytest.approx(expected[method], rel=1e-12), (name, method)
        # The provider's P95 of the one-domain group (over a range ending a settle delay
        # and re-read earlier) is within the alert's 2 % of ours; the pair has none.
        pull = book.books["pull"].ledger.months["2026-02"]
        assert pull.provider[Method.P95] == pytest.approx(pull.figures().p95, rel=0.02)
        assert book.books["rest"].ledger.months["2026-02"].provider == {}
