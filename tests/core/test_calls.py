"""The call pipeline against a mock transport: outcomes, retries, self-metrics, parsing."""

from __future__ import annotations

import logging
import threading
from typing import Any

import orjson
import pytest

from collector.calls import OFF_LOOP_BYTES, CallPipeline, CallResult, RetryPolicy, worth_retrying
from collector.client import MockTransport, ResponseTooLarge, TransportError
from collector.clock import FakeClock
from collector.http import HttpRequest, HttpResponse
from collector.model import Outcome, RateLimit
from collector.providers.base import Classified
from collector.providers.endpoint import MalformedResponse, Reason
from collector.providers.volcengine.provider import VOLCENGINE
from collector.providers.wangsu.provider import WANGSU
from collector.selfmetrics import SelfMetrics

LABELS = ("wangsu", "main", "flow_request")
ROOMY = RateLimit(100, 60)  # never waits in these tests
REQUEST = HttpRequest("POST", "http://127.0.0.1:1/api/report", {}, b"{}")


class SleepLog(FakeClock):
    """A FakeClock that notes every sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await super().sleep(seconds)


def pipeline(
    answers: list[HttpResponse | Exception],
    *,
    clock: FakeClock | None = None,
    limit: RateLimit = ROOMY,
    **options: Any,
) -> tuple[CallPipeline, MockTransport, SelfMetrics]:
    """A pipeline whose transport hands out `answers` in turn (an exception is raised)."""
    queue = list(answers)

    async def handler(request: HttpRequest) -> HttpResponse:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    transport = MockTransport(handler)
    metrics = SelfMetrics()
    calls = CallPipeline(
        name="main/flow_request",
        labels=LABELS,
        limit=limit,
        transport=transport,
        clock=clock or FakeClock(),
        metrics=metrics,
        timeout=5.0,
        **options,
    )
    return calls, transport, metrics


def requests(metrics: SelfMetrics, outcome: Outcome) -> float:
    value: float = metrics.api_requests.labels(*LABELS, outcome.value)._value.get()
    return value


def parse_errors(metrics: SelfMetrics, reason: str) -> float | None:
    return metrics.registry.get_sample_value(
        "cdn_exporter_parse_errors_total",
        dict(zip(("provider", "account", "endpoint", "reason"), (*LABELS, reason), strict=True)),
    )


def build(now: float) -> HttpRequest:
    return REQUEST


def domains(payload: Any) -> list[str]:
    """A parser of report answers: the domains of `result`."""
    return [item["domain"] for item in payload["result"]]


GOOD = HttpResponse(200, {}, orjson.dumps({"result": [{"domain": "a.example.com"}]}))
SYSTEM_ERROR = HttpResponse(200, {}, b'{"code": "24102500", "message": "System error"}')


async def test_a_success_is_parsed_and_counted_once() -> None:
    calls, transport, metrics = pipeline([GOOD])
    result = await calls.call(build, WANGSU.classify, domains)
    assert result == CallResult(Outcome.SUCCESS, payload=["a.example.com"])
    assert transport.requests == [REQUEST]
    assert requests(metrics, Outcome.SUCCESS) == 1
    duration = metrics.registry.get_sample_value(
        "cdn_exporter_api_request_duration_seconds_count",
        dict(zip(("provider", "account", "endpoint"), LABELS, strict=True)),
    )
    assert duration == 1
    # Every other result is exported at 0 from the start.
    assert all(requests(metrics, o) == 0 for o in Outcome if o is not Outcome.SUCCESS)


async def test_the_request_is_built_for_the_clock_time_after_the_limiter() -> None:
    clock = FakeClock(1000.0)
    calls, _, metrics = pipeline([GOOD, GOOD], clock=clock, limit=RateLimit(1, 60))
    built: list[float] = []

    def stamped(now: float) -> HttpRequest:
        built.append(now)
        return REQUEST

    await calls.call(stamped, WANGSU.classify, domains)
    await calls.call(stamped, WANGSU.classify, domains)
    # The second call waits out the limiter's period (plus its margin) before it is built.
    assert built[0] == 1000.0
    assert built[1] >= 1060.0
    wait = metrics.registry.get_sample_value(
        "cdn_exporter_rate_limit_wait_seconds_total",
        dict(zip(("provider", "account", "endpoint"), LABELS, strict=True)),
    )
    assert wait == built[1] - 1000.0


async def test_transient_failures_are_retried_after_2_then_4_seconds() -> None:
    clock = SleepLog()
    calls, _, metrics = pipeline([SYSTEM_ERROR, SYSTEM_ERROR, GOOD], clock=clock)
    result = await calls.call(build, WANGSU.classify, domains)
    assert result.outcome is Outcome.SUCCESS
    assert clock.sleeps == [2.0, 4.0]
    assert requests(metrics, Outcome.SERVER_ERROR) == 2
    assert requests(metrics, Outcome.SUCCESS) == 1


async def test_the_last_failure_is_returned_when_the_retries_run_out() -> None:
    clock = SleepLog()
    calls, transport, metrics = pipeline([SYSTEM_ERROR] * 3, clock=clock)
    result = await calls.call(build, WANGSU.classify, domains)
    assert result.outcome is Outcome.SERVER_ERROR
    assert result.transient
    assert result.payload is None
    assert result.detail == "HTTP 200 code=24102500 message=System error"
    assert len(transport.requests) == 3
    assert requests(metrics, Outcome.SERVER_ERROR) == 3


async def test_a_policy_sets_the_retries_and_their_base() -> None:
    clock = SleepLog()
    policy = RetryPolicy(max_retries=3, base=1.0)
    calls, transport, _ = pipeline([SYSTEM_ERROR] * 4, clock=clock, policy=policy)
    await calls.call(build, WANGSU.classify, domains)
    assert len(transport.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    once, transport, _ = pipeline([SYSTEM_ERROR], policy=RetryPolicy(max_retries=0))
    assert (await once.call(build, WANGSU.classify, domains)).transient
    assert len(transport.requests) == 1


async def test_a_longer_retry_after_is_honoured() -> None:
    clock = SleepLog()
    throttled = HttpResponse(429, {"retry-after": "10"}, b"{}")
    calls, _, metrics = pipeline([throttled, throttled, GOOD], clock=clock)
    result = await calls.call(build, WANGSU.classify, domains)
    assert result.outcome is Outcome.SUCCESS
    assert clock.sleeps == [10.0, 10.0]
    assert requests(metrics, Outcome.THROTTLED) == 2


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (TransportError("ConnectionResetError: reset"), Outcome.TRANSPORT_ERROR),
        (TimeoutError(), Outcome.TIMEOUT),
    ],
)
async def test_a_call_without_an_answer_is_retried(error: Exception, outcome: Outcome) -> None:
    calls, transport, metrics = pipeline([error, error, error])
    result = await calls.call(build, WANGSU.classify, domains)
    assert result.outcome is outcome
    assert result.transient
    assert len(transport.requests) == 3
    assert requests(metrics, outcome) == 3


@pytest.mark.parametrize(
    ("classify", "body", "attempts"),
    [
        # A body that does not decode at all may be a transport accident: retried...
        (WANGSU.classify, b'{"result": [{"domain": "a.exa', 3),
        (WANGSU.classify, b"<html>truncated", 3),
        (VOLCENGINE.classify, b"<html>truncated", 3),
        # ...a decoded answer without the envelope would come back the same: not.
        (WANGSU.classify, b'{"nothing": []}', 1),
        (VOLCENGINE.classify, b'{"ResponseMetadata": {}}', 1),
    ],
)
async def test_only_a_body_that_does_not_decode_is_retried_as_malformed(
    classify: Any, body: bytes, attempts: int
) -> None:
    calls, transport, metrics = pipeline([HttpResponse(200, {}, body)] * attempts)
    result = await calls.call(build, classify, domains)
    assert result.outcome is Outcome.MALFORMED
    assert result.transient is (attempts > 1)
    assert len(transport.requests) == attempts
    assert parse_errors(metrics, Reason.NOT_JSON) == attempts


async def test_an_answer_over_the_size_cap_is_malformed_and_not_retried() -> None:
    calls, transport, metrics = pipeline([ResponseTooLarge("body over 64 MiB")])
    result = await calls.call(build, WANGSU.classify, domains)
    assert (result.outcome, result.transient) == (Outcome.MALFORMED, False)
    assert len(transport.requests) == 1
    assert parse_errors(metrics, Reason.TOO_LARGE) == 1
    assert requests(metrics, Outcome.TRANSPORT_ERROR) == 0


async def test_a_client_error_is_not_retried() -> None:
    body = b'{"code": "24102006", "message": "The date specified is invalid."}'
    calls, transport, _ = pipeline([HttpResponse(400, {}, body)])
    result = await calls.call(build, WANGSU.classify, domains)
    assert (result.outcome, result.transient) == (Outcome.CLIENT_ERROR, False)
    assert len(transport.requests) == 1


async def test_a_payload_the_parser_refuses_is_malformed_by_its_reason_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="collector.calls")
    calls, transport, metrics = pipeline([GOOD] * 3)

    def refuse(payload: Any) -> list[str]:
        raise MalformedResponse("result[0].flow: not a finite number", Reason.NOT_FINITE)

    for _ in range(2):
        result = await calls.call(build, WANGSU.classify, refuse)
        assert result == CallResult(Outcome.MALFORMED, "result[0].flow: not a finite number")
    # Any other parser error is a shape problem, not a crash.
    result = await calls.call(build, WANGSU.classify, lambda payload: payload["missing"])
    assert result.outcome is Outcome.MALFORMED
    assert len(transport.requests) == 3  # none retried: the same answer would come back
    assert parse_errors(metrics, Reason.NOT_FINITE) == 2
    assert parse_errors(metrics, Reason.SHAPE) == 1
    logged = [r.getMessage() for r in caplog.records if "malformed answer" in r.getMessage()]
    assert logged == [
        "main/flow_request: malformed answer (not_finite): result[0].flow: not a finite number",
        "main/flow_request: malformed answer (shape): 'missing'",
    ]


async def test_parse_errors_can_be_left_uncounted() -> None:
    calls, _, metrics = pipeline([HttpResponse(200, {}, b"<html>")] * 3, count_parse_errors=False)
    result = await calls.call(build, WANGSU.classify, domains)
    assert result.outcome is Outcome.MALFORMED
    assert requests(metrics, Outcome.MALFORMED) == 3
    assert parse_errors(metrics, Reason.NOT_JSON) is None


@pytest.mark.parametrize(("extra", "off_loop"), [(0, False), (OFF_LOOP_BYTES, True)])
async def test_large_answers_are_classified_and_parsed_off_the_event_loop(
    extra: int, off_loop: bool
) -> None:
    body = orjson.dumps({"result": [{"domain": "a.example.com", "pad": "x" * extra}]})
    calls, _, _ = pipeline([HttpResponse(200, {}, body)])
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def classify(response: HttpResponse) -> Classified:
        threads.append(threading.get_ident())
        return WANGSU.classify(response)

    def parse(payload: Any) -> list[str]:
        threads.append(threading.get_ident())
        return domains(payload)

    result = await calls.call(build, classify, parse)
    assert result.payload == ["a.example.com"]
    assert len(threads) == 2
    assert all((thread != loop_thread) is off_loop for thread in threads)


@pytest.mark.parametrize(
    ("classified", "retried"),
    [
        (Classified(Outcome.THROTTLED), True),
        (Classified(Outcome.SERVER_ERROR), True),
        (Classified(Outcome.MALFORMED, decodes=False), True),
        (Classified(Outcome.MALFORMED), False),
        (Classified(Outcome.CLIENT_ERROR, decodes=False), False),
        (Classified(Outcome.AUTH_FAILURE), False),
        (Classified(Outcome.SUCCESS), False),
    ],
)
def test_worth_retrying(classified: Classified, retried: bool) -> None:
    assert worth_retrying(classified) is retried


def test_retry_policy_delays() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n, None) for n in (1, 2)] == [2.0, 4.0]
    assert policy.delay(1, 3.0) == 3.0
    assert policy.delay(2, 3.0) == 4.0
