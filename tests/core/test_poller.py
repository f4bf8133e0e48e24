"""The poller against a mock transport: windows, batches, failures, last good data."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from collector.client import MockTransport
from collector.clock import FakeClock
from collector.config.endpoints import resolve_endpoint
from collector.config.runtime import Account
from collector.http import HttpRequest, HttpResponse
from collector.model import Outcome
from collector.poller import EndpointPoller
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.selfmetrics import SelfMetrics
from collector.timeslices import format_local
from tests.accounts import load_account

START = 1_700_000_000 - 1_700_000_000 % 300 + 7  # 7 s after a 5-minute boundary
CST = 8 * 3600


def account(domains: list[str]) -> Account:
    return load_account(
        {
            "name": "main",
            "provider": "wangsu",
            "auth": {"access_key": "AK", "secret_key": "SK"},
            "domains": domains,
        }
    )


def flow_answer(request: HttpRequest, value_mb: float = 1.0) -> HttpResponse:
    """A flow-request answer: every 5-minute slice in the request, 1 MB each."""
    from collector.timeslices import parse_rfc3339

    body = orjson.loads(request.body)
    start, end = parse_rfc3339(body["dateFrom"]), parse_rfc3339(body["dateTo"])
    series = [
        {
            "timestamp": format_local(t, CST, "%Y-%m-%d %H:%M"),
            "flow": f"{value_mb:.2f}",
            "bandwidth": "0.03",
            "request": "10",
        }
        for t in range(start + 300, end + 1, 300)
    ]
    result = [{"domain": d, "flowRequestData": series} for d in body["domain"]]
    return HttpResponse(200, {}, orjson.dumps({"result": result}))


def make_poller(
    handler: Any, domains: list[str], clock: FakeClock
) -> tuple[EndpointPoller, MockTransport, SelfMetrics]:
    transport = MockTransport(handler)
    metrics = SelfMetrics()
    poller = EndpointPoller(
        provider=WANGSU,
        account=account(domains),
        settings=resolve_endpoint(CATALOG["flow_request"], None),
        transport=transport,
        clock=clock,
        metrics=metrics,
    )
    return poller, transport, metrics


def counter(poller: EndpointPoller, domain: str) -> float:
    return next(
        v
        for f, labels, v in poller.store.series()
        if f.name == "cdn_traffic_bytes_total" and labels[0] == domain
    )


async def test_domains_are_batched_to_the_endpoint_cap() -> None:
    clock = FakeClock(START)

    async def handler(request: HttpRequest) -> HttpResponse:
        return flow_answer(request)

    domains = [f"d{i}.example.com" for i in range(450)]
    poller, transport, _ = make_poller(handler, domains, clock)
    await poller.poll()
    sizes = [len(orjson.loads(r.body)["domain"]) for r in transport.requests]
    assert sizes == [200, 200, 50]


async def test_counters_count_each_settled_slice_once() -> None:
    clock = FakeClock(START)

    async def handler(request: HttpRequest) -> HttpResponse:
        return flow_answer(request)

    poller, transport, metrics = make_poller(handler, ["a.example.com", "b.example.com"], clock)
    await poller.poll()  # baseline
    assert poller.up is True
    assert counter(poller, "a.example.com") == 0.0
    for _ in range(12):  # one hour of 5-minute polls
        clock.advance(300)
        await poller.poll()
    # Twelve slices settled after the baseline, 1 MB each, though each was read 5 times.
    assert counter(poller, "a.example.com") == 12 * 1e6
    assert counter(poller, "b.example.com") == 12 * 1e6
    assert len(transport.requests) == 13
    sent = metrics.api_requests.labels("wangsu", "main", "flow_request", "success")
    assert sent._value.get() == 13


async def test_a_persistent_revision_is_logged_once_per_series_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(START)
    polls = [0]

    async def handler(request: HttpRequest) -> HttpResponse:
        # Every answer revises every slice it repeats: traffic and bandwidth alike.
        polls[0] += 1
        response = flow_answer(request, value_mb=1.0 + polls[0])
        body = orjson.loads(response.body)
        for entry in body["result"]:
            for item in entry["flowRequestData"]:
                item["bandwidth"] = f"{0.03 + polls[0]:.2f}"
        return HttpResponse(200, {}, orjson.dumps(body))

    poller, _, metrics = make_poller(handler, ["a.example.com", "b.example.com"], clock)
    caplog.set_level(logging.DEBUG, logger="collector.poller")
    for _ in range(6):
        clock.advance(300)
        await poller.poll()
    revised = [r for r in caplog.records if "revised after" in r.getMessage()]
    warnings = [r.getMessage() for r in revised if r.levelno == logging.WARNING]
    # One warning per revised series (traffic and bandwidth of two domains), ever.
    assert len(warnings) == 4, warnings
    traffic = [w for w in warnings if "cdn_traffic_bytes_total" in w]
    bandwidth = [w for w in warnings if "cdn_bandwidth" in w]
    assert len(traffic) == len(bandwidth) == 2
    assert all("counter keeps the first values" in w for w in traffic)
    assert all("gauge shows the newer values" in w and "counter" not in w for w in bandwidth)
    # Later polls at debug, each line counting what was revised so far.
    assert all(r.levelno == logging.DEBUG for r in revised if r.getMessage() not in warnings)
    total = metrics.revisions.labels("wangsu", "main", "flow_request")._value.get()
    assert total >= len(revised) > len(warnings)
    assert f"({total / 4:.0f} in all)" in revised[-1].getMessage()


async def test_failures_keep_last_good_data_and_refill_the_gap() -> None:
    clock = FakeClock(START)
    failing = False

    async def handler(request: HttpRequest) -> HttpResponse:
        if failing:
            return HttpResponse(503, {"retry-after": "1"}, b"busy")
        return flow_answer(request)

    poller, _, metrics = make_poller(handler, ["a.example.com"], clock)
    await poller.poll()
    clock.advance(300)
    await poller.poll()
    assert counter(poller, "a.example.com") == 1e6
    failing = True
    for _ in range(24):  # a two-hour outage, longer than the re-read window
        clock.advance(300)
        await poller.poll()
        assert poller.up is False
        assert counter(poller, "a.example.com") == 1e6  # last good data stays
    throttled = metrics.api_requests.labels("wangsu", "main", "flow_request", "throttled")
    assert throttled._value.get() == 24 * 3  # each poll tried three times
    failing = False
    clock.advance(300)
    await poller.poll()
    assert poller.up is True
    # Every slice that settled during the outage is counted after it: nothing lost.
    assert counter(poller, "a.example.com") == 26 * 1e6


@pytest.mark.parametrize(
    ("status", "body", "outcome", "attempts"),
    [
        # A body that does not decode (truncated, not JSON) is retried at once...
        (200, b"<xml>not json</xml>", Outcome.MALFORMED, 3),
        (200, b'{"result": [{"domain": "a.exa', Outcome.MALFORMED, 3),
        # ...a decoded answer of the wrong shape would come back the same: not retried.
        (200, b'{"result": "nope"}', Outcome.MALFORMED, 1),
        # "System error, try again": retried twice, like any server error.
        (200, b'{"code": "24102500", "message": "System error"}', Outcome.SERVER_ERROR, 3),
        (401, b'{"code": "AuthFailure"}', Outcome.AUTH_FAILURE, 1),
        (
            400,
            b'{"code": "24102019", "message": "domain exceeds the limit"}',
            Outcome.CLIENT_ERROR,
            1,
        ),
    ],
)
async def test_bad_answers_are_counted_by_result(
    status: int, body: bytes, outcome: Outcome, attempts: int
) -> None:
    clock = FakeClock(START)

    async def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status, {}, body)

    poller, _, metrics = make_poller(handler, ["a.example.com"], clock)
    retry = await poller.poll()
    assert poller.up is False
    assert poller.polls == 1
    # A failed poll runs again on the backoff, rejected credentials after minutes; one
    # that would fail the same way (4xx, wrong shape) waits for the next regular poll.
    if outcome is Outcome.CLIENT_ERROR or (attempts == 1 and outcome is Outcome.MALFORMED):
        assert retry is None
    else:
        assert retry is not None
        assert retry.hold is (outcome is Outcome.AUTH_FAILURE)
        assert 12 <= retry.after <= 15 or (retry.hold and retry.after >= 96)
    count = metrics.api_requests.labels("wangsu", "main", "flow_request", outcome.value)
    assert count._value.get() == attempts
    success = metrics.api_requests.labels("wangsu", "main", "flow_request", "success")
    assert success._value.get() == 0


async def test_requests_are_signed_and_cover_the_settle_window() -> None:
    clock = FakeClock(START)

    async def handler(request: HttpRequest) -> HttpResponse:
        return flow_answer(request)

    poller, transport, _ = make_poller(handler, ["a.example.com"], clock)
    await poller.poll()
    [request] = transport.requests
    assert request.url == "https://open.chinanetcenter.com/api/report/flow-request"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"].startswith("CNC-HMAC-SHA256 Credential=AK,")
    body = orjson.loads(request.body)
    assert body["domain"] == ["a.example.com"]
    from collector.timeslices import parse_rfc3339

    span = parse_rfc3339(body["dateTo"]) - parse_rfc3339(body["dateFrom"])
    assert span >= 900 + 600  # settle delay plus re-read margin


async def test_a_failed_first_poll_leaves_no_gap_after_the_baseline() -> None:
    clock = FakeClock(START)
    failing = True

    async def handler(request: HttpRequest) -> HttpResponse:
        if failing:
            return HttpResponse(401, {}, b'{"code": "AuthFailure"}')
        return flow_answer(request)

    poller, _, _ = make_poller(handler, ["a.example.com"], clock)
    for _ in range(12):  # an hour of failures from the very first poll
        await poller.poll()
        clock.advance(300)
    failing = False
    await poller.poll()
    baseline, newest = poller.store.baseline, poller.store.newest_settled_end
    assert baseline is not None
    assert newest is not None
    slices_since_baseline = (newest - (baseline - baseline % 300)) // 300
    assert slices_since_baseline == 12
    assert counter(poller, "a.example.com") == 12 * 1e6


def _flow(series: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"result": [{"domain": "a.example.com", "flowRequestData": series}]})


_GOOD = {"timestamp": "2023-11-15 06:15", "flow": "1.00", "bandwidth": "0.03", "request": "1"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>truncated", "not_json"),
        (_flow([{**_GOOD, "flow": "NaN"}]), "not_finite"),
        (_flow([{**_GOOD, "flow": "-1"}]), "negative_value"),
        (_flow([{**_GOOD, "flow": [1]}]), "wrong_type"),
        (_flow([{k: v for k, v in _GOOD.items() if k != "request"}]), "missing_field"),
        (_flow([{**_GOOD, "timestamp": "yesterday"}]), "bad_timestamp"),
    ],
)
async def test_malformed_answers_are_counted_by_reason_and_logged_once(
    body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The sample is logged at info: capture it whatever level an earlier test left.
    caplog.set_level(logging.INFO, logger="collector")
    clock = FakeClock(START)

    async def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, {}, body)

    poller, _, metrics = make_poller(handler, ["a.example.com"], clock)
    caplog.set_level(logging.INFO, logger="collector.poller")
    for _ in range(2):
        await poller.poll()
        clock.advance(300)
    assert poller.up is False
    errors = metrics.parse_errors.labels("wangsu", "main", "flow_request", reason)
    # A body that is not JSON is retried twice at once; a decoded bad one is not.
    assert errors._value.get() == (6 if reason == "not_json" else 2)
    logged = [r for r in caplog.records if "malformed answer" in r.getMessage()]
    assert len(logged) == 1
    assert reason in logged[0].getMessage()


async def test_a_domain_that_stops_reporting_expires_after_ten_good_polls() -> None:
    clock = FakeClock(START)
    answered = ["a.example.com", "b.example.com"]

    async def handler(request: HttpRequest) -> HttpResponse:
        body = orjson.loads(flow_answer(request).body)
        body["result"] = [r for r in body["result"] if r["domain"] in answered]
        return HttpResponse(200, {}, orjson.dumps(body))

    poller, _, metrics = make_poller(handler, ["a.example.com", "b.example.com"], clock)
    await poller.poll()
    answered.remove("b.example.com")

    def domains() -> set[str]:
        return {labels[0] for _, labels, _ in poller.store.series()}

    for _ in range(9):
        clock.advance(300)
        await poller.poll()
    assert domains() == {"a.example.com", "b.example.com"}  # last good data kept a while
    clock.advance(300)
    await poller.poll()
    assert domains() == {"a.example.com"}
    dropped = metrics.series_dropped.labels("wangsu", "main", "flow_request", "expired")
    assert dropped._value.get() == 3  # traffic, bandwidth and requests of b.example.com


async def test_auth_failures_back_off_for_minutes_and_log_once_per_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(START)
    rejected = True

    async def handler(request: HttpRequest) -> HttpResponse:
        if rejected:
            return HttpResponse(403, {}, b'{"code": "AuthFailure"}')
        return flow_answer(request)

    poller, _, _ = make_poller(handler, ["a.example.com"], clock)
    caplog.set_level(logging.INFO, logger="collector.poller")
    waits = []
    for _ in range(5):
        retry = await poller.poll()
        assert retry is not None
        assert retry.hold
        waits.append(retry.after)
        clock.advance(retry.after)
    assert waits[0] >= 96  # minutes, not seconds (2 min less at most 20% jitter)
    assert waits[2] > 2 * waits[0]  # doubling (under the jitter)
    assert max(waits) <= 900
    rejected = False
    assert await poller.poll() is None
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert len([m for m in messages if "auth_failure" in m]) == 1, messages
    assert "polls paused" in messages[0]
    assert messages[-1].endswith("recovered after 5 failed poll(s)")
    # Each line carries the JSON log fields of the poll it is about.
    first, recovered = caplog.records[0], caplog.records[-1]
    assert (first.account, first.endpoint, first.outcome) == (  # type: ignore[attr-defined]
        "main",
        "flow_request",
        "auth_failure",
    )
    assert first.duration >= 0  # type: ignore[attr-defined]
    assert recovered.outcome == "success"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "body", "retried"),
    [
        (500, b'{"code": "24102500", "message": "System error"}', True),
        (200, b"<html>truncated", True),
        (400, b'{"code": "24102006", "message": "The date specified is invalid."}', False),
        (200, b'{"result": [{"domain": "a.example.com", "flowRequestData": "x"}]}', False),
    ],
)
async def test_only_failures_that_may_pass_soon_are_retried_before_the_next_poll(
    status: int, body: bytes, retried: bool
) -> None:
    """A 5xx or a truncated body may pass if asked again; a 4xx or a well-formed answer
    the parser refuses would fail the same way, so it waits for the next regular poll."""
    clock = FakeClock(START)

    async def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status, {}, body)

    poller, _, _ = make_poller(handler, ["a.example.com"], clock)
    retry = await poller.poll()
    assert poller.up is False
    assert (retry is not None) is retried


def test_a_long_interval_reads_everything_since_the_last_poll_whatever_the_backfill() -> None:
    """A 6-hour interval with the default 6-hour backfill: the window still reaches back
    to where the last poll was complete (it once began at now - 6 h, losing the 15
    minutes of settle delay between)."""
    from collector.accountconfig import EndpointOverride
    from collector.config.endpoints import resolve_endpoint as resolve
    from collector.poller import poll_window

    settings = resolve(CATALOG["flow_request"], EndpointOverride(interval=6 * 3600))
    now = START + 6 * 3600
    previous_horizon = START - settings.settle_delay
    window = poll_window(now, settings, 8 * 3600, previous_horizon)
    assert window.start <= previous_horizon - 300
