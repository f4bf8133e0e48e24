"""The status snapshot the daemon builds (collector.health) as plain values."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from collector import health, scheduler
from collector.clock import FakeClock, VirtualClock
from collector.http import HttpRequest, HttpResponse
from collector.poller import RECENT_POLLS
from collector.status import EndpointStatus, NextPoll, PollResult
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
