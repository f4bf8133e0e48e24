"""The one call pipeline: limiter, request, transport, classify, self-metrics, retries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from collector.client import ResponseTooLarge, Transport, TransportError, TransportTimeout
from collector.clock import Clock
from collector.http import HttpRequest, HttpResponse
from collector.model import Outcome, RateLimit
from collector.providers.base import Classified
from collector.providers.endpoint import MalformedResponse, Reason
from collector.ratelimit import SlidingWindowLimiter
from collector.selfmetrics import SelfMetrics

log = logging.getLogger(__name__)

T = TypeVar("T")

# Answers at least this large are classified and parsed in a worker thread.
OFF_LOOP_BYTES = 64 * 1024
# Failures that may pass if asked again at once (besides a body that does not decode).
RETRYABLE = frozenset(
    {Outcome.THROTTLED, Outcome.SERVER_ERROR, Outcome.TIMEOUT, Outcome.TRANSPORT_ERROR}
)
# What a parser meeting an unexpected shape raises: it costs one call, not the daemon.
PARSE_FAILURES = (MalformedResponse, ValueError, LookupError, TypeError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a call that failed transiently is retried at once: at most `max_retries`
    more attempts, after `base` seconds doubled per retry (2 s, 4 s), or the answer's
    Retry-After when that is longer."""

    max_retries: int = 2
    base: float = 2.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number `retry` (1 for the first)."""
        return max(self.base * 2.0 ** (retry - 1), retry_after or 0.0)


@dataclass(frozen=True, slots=True)
class CallResult(Generic[T]):
    """How a call ended after its retries: the outcome, a detail for the log (empty on
    success), the parsed payload on success, the last Retry-After, and whether the
    failure may pass if asked again soon."""

    outcome: Outcome
    detail: str = ""
    payload: T | None = None
    retry_after: float | None = None
    transient: bool = False


def worth_retrying(classified: Classified) -> bool:
    """A throttled or 5xx answer, or a body that does not decode at all (truncated, an
    HTML page): a transport accident as often as not. A decoded answer of the wrong
    shape, or a 4xx, would come back the same."""
    if classified.outcome is Outcome.MALFORMED:
        return not classified.decodes
    return classified.outcome in RETRYABLE


class CallPipeline:
    """Makes one job's API calls (an endpoint's polls, an account's listing pages)
    through its own limiter, counting them in the job's self-metrics."""

    def __init__(
        self,
        *,
        name: str,
        labels: tuple[str, str, str],
        limit: RateLimit,
        transport: Transport,
        clock: Clock,
        metrics: SelfMetrics,
        timeout: float,
        policy: RetryPolicy = RetryPolicy(),
        count_parse_errors: bool = True,
    ) -> None:
        self.name = name
        self.limiter = SlidingWindowLimiter(limit)
        self.transport = transport
        self.clock = clock
        self.timeout = timeout
        self.policy = policy
        self._metrics = metrics
        self._labels = labels
        self._duration = metrics.api_duration.labels(*labels)
        self._wait = metrics.rate_limit_wait.labels(*labels)
        # Every result exported at 0, so rate() works from the start.
        self._requests = {o: metrics.api_requests.labels(*labels, o.value) for o in Outcome}
        self._count_parse_errors = count_parse_errors
        if count_parse_errors:
            for reason in Reason.ALL:
                metrics.parse_errors.labels(*labels, reason)
        self._parse_reasons_logged: set[str] = set()

    async def call(
        self,
        build: Callable[[float], HttpRequest],
        classify: Callable[[HttpResponse], Classified],
        parse: Callable[[Any], T],
    ) -> CallResult[T]:
        """A call, retried at once by the policy while it fails transiently: `build`
        makes the request for a clock time, `classify` sorts the answer, and `parse`
        turns a successful answer's payload into what a success means to the caller.
        Returns the last attempt's result."""
        retry = 0
        while True:
            result = await self._attempt(build, classify, parse)
            if not result.transient or retry >= self.policy.max_retries:
                return result
            retry += 1
            await self.clock.sleep(self.policy.delay(retry, result.retry_after))

    async def _attempt(
        self,
        build: Callable[[float], HttpRequest],
        classify: Callable[[HttpResponse], Classified],
        parse: Callable[[Any], T],
    ) -> CallResult[T]:
        waited = await self.limiter.acquire(self.clock)
        if waited:
            self._wait.inc(waited)
        request = build(self.clock.time())
        started = time.monotonic()
        try:
            response = await self.transport.send(request, self.timeout)
        except TransportTimeout as exc:
            return self._done(started, CallResult(Outcome.TIMEOUT, str(exc), transient=True))
        except ResponseTooLarge as exc:
            # The same oversized answer would come back: malformed, not retried at once.
            self._parse_error(Reason.TOO_LARGE, str(exc))
            return self._done(started, CallResult(Outcome.MALFORMED, str(exc)))
        except TransportError as exc:
            return self._done(
                started, CallResult(Outcome.TRANSPORT_ERROR, str(exc), transient=True)
            )
        # Decoding and parsing a large answer takes long enough to stall scrapes: off the
        # event loop (classify and parse are pure); small ones inline.
        if len(response.body) >= OFF_LOOP_BYTES:
            classified, parsed = await asyncio.to_thread(_decode, response, classify, parse)
        else:
            classified, parsed = _decode(response, classify, parse)
        if classified.outcome is not Outcome.SUCCESS:
            detail = f"HTTP {response.status} {classified.message}".strip()
            if classified.outcome is Outcome.MALFORMED:
                self._parse_error(Reason.NOT_JSON, detail)
            failed: CallResult[T] = CallResult(
                classified.outcome,
                detail,
                retry_after=classified.retry_after,
                transient=worth_retrying(classified),
            )
            return self._done(started, failed)
        if isinstance(parsed, _ParseFailure):
            # The same answer would come back: not retried at once.
            error = parsed.error
            reason = error.reason if isinstance(error, MalformedResponse) else Reason.SHAPE
            self._parse_error(reason, str(error))
            return self._done(started, CallResult(Outcome.MALFORMED, str(error)))
        return self._done(started, CallResult(Outcome.SUCCESS, payload=parsed))

    def _done(self, started: float, result: CallResult[T]) -> CallResult[T]:
        self._duration.observe(time.monotonic() - started)
        self._requests[result.outcome].inc()
        return result

    def _parse_error(self, reason: str, detail: str) -> None:
        """Count a malformed answer; log the first of each reason with a short sample."""
        if not self._count_parse_errors:
            return
        self._metrics.parse_errors.labels(*self._labels, reason).inc()
        if reason not in self._parse_reasons_logged:
            self._parse_reasons_logged.add(reason)
            # INFO: the failed poll itself is the one warning; this adds the sample.
            log.info("%s: malformed answer (%s): %s", self.name, reason, detail[:200])


@dataclass(frozen=True, slots=True)
class _ParseFailure:
    error: Exception


def _decode(
    response: HttpResponse,
    classify: Callable[[HttpResponse], Classified],
    parse: Callable[[Any], T],
) -> tuple[Classified, T | _ParseFailure | None]:
    """Classify an answer and, on success, parse it: pure, so it may run in a thread."""
    classified = classify(response)
    if classified.outcome is not Outcome.SUCCESS:
        return classified, None
    try:
        return classified, parse(classified.payload)
    except PARSE_FAILURES as exc:
        return classified, _ParseFailure(exc)
