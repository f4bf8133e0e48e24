"""The status snapshot the daemon builds (collector.health) as plain values."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from collector import health, scheduler
from collector.app import Exporter
from collector.billing.ledger import Method
from collector.clock import FakeClock, VirtualClock
from collector.http import HttpRequest, HttpResponse
from collector.poller import RECENT_POLLS
from collector.status import EndpointStatus, NextPoll, PollResult
from tests.core.test_billingkeeper import NOW, bandwidth, poll, wangsu
from tests.core.test_web import auth_failure, exporter

T0 = 1_700_000_000


def by_endpoint(endpoints: tuple[EndpointStatus, ...]) -> dict[str, EndpointStatus]:
    return {e.endpoint: e for e in endpoints}


async def test_before_and_after_a_poll() -> None:
    clock = FakeClock(T0)
    exp = exporter(clock)
    status = health.status(exp)
    assert status.now == T0
    assert [e.name for e in status.endpoints] == [p.name for p in exp.pollers]
    assert status.waiting == status.endpoints
    assert not status.ready
    assert status.healthy
    assert not status.sharded
    assert status.shard == "Not sharded (--total-shards 1): every account (1)"
    assert status.discovery == ()
    flow = by_endpoint(status.endpoints)["flow_request"]
    assert (flow.account, flow.provider, flow.chosen_over) == ("main", "wangsu", "")
    assert (flow.polls, flow.up, flow.last_success, flow.data_end) == (0, None, None, None)
    assert (flow.next_poll, flow.next_kind) == (None, NextPoll.NOT_STARTED)
    poller = exp.pollers[0]
    settings, plan = poller.settings, exp.plans[0]
    assert flow.interval == plan.interval == settings.interval
    assert (flow.calls_per_poll, flow.fewest_calls) == (plan.calls_per_cycle, plan.minimum_calls)
    assert flow.budget_share == plan.budget_share
    assert flow.expected_data_age == settings.settle_delay + settings.granularity + plan.interval

    clock.advance(30)
    await exp.poll_and_render(poller)
    flow = by_endpoint(health.status(exp).endpoints)["flow_request"]
    assert (flow.polls, flow.up, flow.last_success) == (1, True, T0 + 30)
    assert flow.data_end == poller.store.newest_settled_end
    assert [e.endpoint for e in health.status(exp).waiting] == [exp.pollers[1].settings.spec.name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.polls = 2  # type: ignore[misc]


async def test_the_next_poll_and_why() -> None:
    clock = VirtualClock(T0)
    exp = exporter(clock, auth_failure)
    exp.start()
    try:
        for _ in range(3):
            await asyncio.sleep(0)  # the jobs start and say when they run
        first = health.status(exp).endpoints[0]
        assert first.next_kind is NextPoll.DUE
        assert first.next_poll is not None
        assert first.next_poll >= T0
        await clock.advance(60)  # the first polls ran and failed on the credentials
        paused = health.status(exp).endpoints[0]
        assert paused.next_kind is NextPoll.AUTH_PAUSE
        assert paused.next_poll is not None
        assert paused.next_poll > T0 + 60
        assert "auth_failure" in (paused.last_error or "")
        assert paused.up is False
    finally:
        await exp.close()


def test_the_stall_limit_is_named() -> None:
    clock = FakeClock(T0)
    exp = exporter(clock)
    longest = max(p.settings.interval for p in exp.pollers)
    clock.advance(scheduler.STALL_INTERVALS * longest + scheduler.STALL_SLACK)
    assert health.healthy(exp)
    clock.advance(1)
    assert not health.healthy(exp)
    assert not health.status(exp).healthy


async def test_recent_polls_are_kept_bounded_ok_failed_or_throttled() -> None:
    answers = {"status": 200}

    async def answer(request: HttpRequest) -> HttpResponse:
        status = answers["status"]
        if status == 429:
            return HttpResponse(429, {}, b'{"code": "RequestLimitExceeded", "message": "slow"}')
        if status == 500:
            return HttpResponse(500, {}, b"oops")
        return HttpResponse(200, {}, b'{"result": []}')

    clock = FakeClock(T0)
    exp = exporter(clock, answer)
    poller = exp.pollers[0]
    for code in (200, 429, 500, 200):
        answers["status"] = code
        clock.advance(300)
        await exp.poll_and_render(poller)
    flow = by_endpoint(health.status(exp).endpoints)["flow_request"]
    assert flow.recent == (PollResult.OK, PollResult.THROTTLED, PollResult.FAILED, PollResult.OK)
    for _ in range(RECENT_POLLS):
        await exp.poll_and_render(poller)
    recent = by_endpoint(health.status(exp).endpoints)["flow_request"].recent
    assert recent == (PollResult.OK,) * RECENT_POLLS


async def test_counters_start_after_the_baseline() -> None:
    clock = FakeClock(T0)
    exp = exporter(clock)
    poller = exp.pollers[0]
    await exp.poll_and_render(poller)
    flow = by_endpoint(health.status(exp).endpoints)["flow_request"]
    assert flow.counting_from == poller.store.baseline == T0 - poller.settings.settle_delay
    assert not flow.counting()  # no answer had a slice: nothing settled yet


async def test_a_crashed_poll_shows_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    exp = exporter(FakeClock(T0))
    poller = exp.pollers[0]

    async def crash() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(poller, "poll", crash)
    await exp.poll_and_render(poller)
    flow = by_endpoint(health.status(exp).endpoints)["flow_request"]
    assert (flow.up, flow.last_error, flow.recent) == (
        False,
        "crash: see the log",
        (PollResult.FAILED,),
    )


def test_each_billing_group_shows_its_month_against_its_commit(tmp_path: Path) -> None:
    groups = [
        {
            "name": "a",
            "domains": ["a.example.com"],
            "commit": {"bandwidth": "100Mbps"},  # 12.5 MB/s
            "price": {"currency": "CNY", "flat": 2},  # per Mbps
        },
        {"name": "rest", "method": "traffic", "commit": {"traffic": "5TB"}, "time_zone": "-05:00"},
        {"name": "idle", "domains": ["c.example.com"], "method": "daily_peak_average"},
    ]
    exporter = Exporter(wangsu(tmp_path, groups), FakeClock(NOW))
    [poller] = exporter.pollers
    assert health.status(exporter).billing == ()  # nothing settled yet: no month to show
    first = NOW - 3600
    for step in range(3):  # 3 points; the third of group a passes its commit
        end = first + 300 * step
        a = 20e6 if step == 2 else 10e6
        points = [*bandwidth("a.example.com", end, a), *bandwidth("b.example.com", end, 1e6)]
        poll(exporter, poller, points, end)
    status = health.status(exporter)
    a, rest, idle = status.billing
    assert (a.account, a.group, a.month, a.method) == ("main", "a", "2026-03", Method.P95)
    # The month so far in +08:00, from 2026-03-01 00:00 to the last settled slice's end
    # (11:10 on the 10th), has far more slices than the 3 points held: still filling.
    assert (a.points, a.backfilling) == (3, True)
    assert a.expected_points == (9 * 24 + 11) * 12 + 2
    # p95 of 3 points is the highest; repeated over the month it is the 2,977th highest
    # of 8,928, i.e. the 1st of 3 (rounded up): 20 MB/s either way, over the commit.
    assert (a.billed, a.forecast, a.commit) == (20e6, 20e6, 12.5e6)
    assert a.over_commit
    assert not a.traffic
    # floor(0.05 x 8,928) = 446 points may pass the commit; one already has.
    assert a.burst_points == 446 - 1
    assert (a.cost, a.currency) == (pytest.approx(20e6 / 125e3 * 2), "CNY")
    # Traffic in bytes: 3 points of 1 MB/s x 300 s, and the commit in bytes.
    assert rest.traffic
    assert rest.method is Method.TRAFFIC
    assert rest.billed == pytest.approx(3 * 1e6 * 300)
    assert rest.forecast == pytest.approx(3 * 1e6 * 300 * 31 * 288 / 3)
    assert rest.commit == 5e12
    assert not rest.over_commit
    # rest's month is in -05:00: from 03-01 05:00 UTC to 03:10 on the 10th; no p95, no price.
    assert (rest.month, rest.expected_points) == ("2026-03", (8 * 24 + 22) * 12 + 2)
    assert (rest.burst_points, rest.cost, rest.currency) == (None, None, None)
    # A group without a commit or points: zeros, nothing to pass.
    assert (idle.points, idle.billed, idle.forecast, idle.commit) == (0, 0.0, 0.0, None)
    assert not idle.over_commit
    assert idle.burst_points is None
