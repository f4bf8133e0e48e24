"""Poll one (account, endpoint): plan the calls, make them, feed the slice store."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from collector.backoff import Retry, retry_for
from collector.calls import CallPipeline, CallResult
from collector.client import Transport
from collector.clock import Clock
from collector.config.runtime import Account
from collector.http import HttpRequest
from collector.jobs import build_plan
from collector.model import Kind, Outcome, Point, PointColumns
from collector.providers.base import Provider
from collector.providers.endpoint import EndpointSettings, Query
from collector.selfmetrics import SelfMetrics
from collector.state import EndpointState, SeriesState
from collector.status import PollResult
from collector.store import Revision, SeriesBudget, SliceStore
from collector.timeslices import Window, align_down, split_window

log = logging.getLogger(__name__)

# Before an account's first domain discovery, its pollers look again this often.
DISCOVERY_WAIT = 10.0
# A poll that ends with a newer discovered list than it started with runs again this soon.
NEW_DOMAINS_WAIT = 1.0

DomainSource = Callable[[], "tuple[str, ...] | None"]

# Points settled per event-loop turn.
INGEST_STEP = 20_000

# How many poll results the status page's strip shows.
RECENT_POLLS = 24


def poll_window(
    now: float, settings: EndpointSettings, offset_seconds: int, complete_through: float | None
) -> Window:
    """The window to ask for: the settle delay plus margin, reaching back to the last
    fully successful poll (bounded by `backfill`) so an outage loses nothing."""
    step = settings.granularity
    end = align_down(now, step, offset_seconds)
    start = align_down(now - settings.settle_delay - settings.reread, step, offset_seconds)
    if complete_through is not None:
        catch_up = align_down(complete_through, step, offset_seconds) - step
        # The backfill bounds catching up after an outage, never what one regular
        # interval (plus the settle delay) leaves to read: a long interval loses nothing.
        reach = max(settings.backfill, settings.interval + settings.settle_delay + settings.reread)
        start = min(start, max(catch_up, align_down(now - reach - step, step, offset_seconds)))
    return Window(start=min(start, end - step), end=end, slice_seconds=step)


class EndpointPoller:
    """Polls one endpoint of one account and keeps its settled state."""

    def __init__(
        self,
        *,
        provider: Provider[Any],
        account: Account,
        settings: EndpointSettings,
        transport: Transport,
        clock: Clock,
        metrics: SelfMetrics,
        budget: SeriesBudget | None = None,
        domains: DomainSource | None = None,
    ) -> None:
        self.provider = provider
        self.account = account
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        # Which domains (and other fan-out values) each call of a window carries.
        self.calls = provider.call_targets(account, settings)
        # Discovered domains (None: the configured ones): read at the start of each poll.
        self._domain_source = domains
        self.domains: tuple[str, ...] | None = None if domains is not None else account.domains
        self._filters = provider.query_filters(account)
        # Slice values are kept for the re-read window (where revisions show); older
        # re-read slices (an outage's catch-up) are known as counted by their horizon.
        self.store = SliceStore(
            retention=settings.reread + 2 * settings.granularity,
            max_series=settings.max_series,
            budget=budget,
        )
        self.up: bool | None = None
        self.polls = 0
        self.complete_through: float | None = None
        self.horizon: float | None = None  # the last ingest's: slices up to it are settled
        self._last_problem: str | None = None
        # Revisions seen per series (family, labels): only a series' first is a warning.
        self._revised: dict[tuple[str, tuple[str, ...]], int] = {}
        self.last_success: float | None = None  # clock time of the last fully good poll
        self.last_error: str | None = None  # the last failed poll's first problem
        self.failed_runs = 0  # polls in a row with a failed call
        self.retry: Retry | None = None  # when the last failed poll runs again
        self.polling = False  # a poll is in progress
        self.recent: deque[PollResult] = deque(maxlen=RECENT_POLLS)  # newest last
        # Jitter from a stable seed: the same schedule on every run of a test.
        self._jitter = random.Random(zlib.crc32(f"{account.name}/{settings.spec.name}".encode()))
        labels = (provider.name, account.name, settings.spec.name)
        self._labels = labels
        self.pipeline = CallPipeline(
            name=self.name,
            labels=labels,
            limit=settings.rate_limit,
            transport=transport,
            clock=clock,
            metrics=metrics,
            timeout=float(account.timeout),
        )

    @property
    def name(self) -> str:
        return f"{self.account.name}/{self.settings.spec.name}"

    @property
    def labels(self) -> tuple[str, str, str]:
        """(provider, account, endpoint): the labels of its self-metrics."""
        return self._labels

    @property
    def state_key(self) -> str:
        return f"{self.provider.name}/{self.account.name}/{self.settings.spec.name}"

    def reread_from(self) -> float | None:
        """Slices ending after this are the ones a poll now re-reads from scratch (what
        a restarted replica reads too): the window the timestamped slices re-expose."""
        if self.horizon is None:
            return None
        step = self.settings.granularity
        return align_down(self.horizon - self.settings.reread, step, self.account.offset_seconds)

    def state_token(self) -> tuple[float | None, float | None, int]:
        """Changes whenever the persisted state would (a write is due)."""
        return self.complete_through, self.store.baseline, self.store.changes

    def persisted(self) -> EndpointState | None:
        """What the state file keeps of this endpoint; None before any poll."""
        horizon = self.complete_through
        if horizon is None:
            horizon = self.store.baseline
        if horizon is None:
            return None
        return EndpointState(
            provider=self.provider.name,
            account=self.account.name,
            endpoint=self.settings.spec.name,
            granularity=self.settings.granularity,
            offset_seconds=self.account.offset_seconds,
            horizon=horizon,
            series=tuple(
                SeriesState(family.name, labels, total, tuple(sorted(counted.items())))
                for (family, labels), total, counted in self.store.counted_after(horizon)
            ),
        )

    def restore(self, state: EndpointState) -> tuple[int, list[str]]:
        """Continue from persisted state (before the first poll): counters keep their
        totals, and polls re-read from its horizon, adding only slices not yet added.
        Returns how many series it kept, and what it could not keep, one line each."""
        offset = self.account.offset_seconds
        if state.granularity != self.settings.granularity:
            return 0, [
                f"all of it: slices of {state.granularity}s, now {self.settings.granularity}s"
            ]
        if state.offset_seconds != offset:
            return 0, [f"all of it: time offset {state.offset_seconds}s, now {offset}s"]
        counters = {f.name: f for f in self.settings.spec.families if f.kind is Kind.COUNTER}
        dropped: dict[str, int] = {}
        kept = []
        for series in state.series:
            family = counters.get(series.family)
            if family is None or len(series.labels) != len(family.labels):
                why = f"{series.family} (not a counter of this endpoint with these labels)"
                dropped[why] = dropped.get(why, 0) + 1
                continue
            kept.append(((family, series.labels), series.total, dict(series.counted)))
        refused = self.store.restore(state.horizon, kept)
        if refused:
            dropped["series over the caps"] = refused
        self.complete_through = state.horizon
        lines = [f"{count} series: {why}" for why, count in dropped.items()]
        return len(kept) - refused, lines

    def queries(self, now: float) -> list[Query]:
        """Every call of one poll: window pieces × the provider's call plan."""
        # Until a poll has fully succeeded, catch up from the start-up baseline, so a
        # failing first poll cannot leave a gap between the baseline and later windows.
        since = self.complete_through if self.complete_through is not None else self.store.baseline
        return self.window_queries(
            poll_window(now, self.settings, self.account.offset_seconds, since)
        )

    def window_queries(self, window: Window) -> list[Query]:
        """Every call that reads `window`: its pieces × the provider's call plan."""
        spec = self.settings.spec
        return [
            Query(
                endpoint=spec.name,
                domains=target.domains,
                window=piece,
                offset_seconds=self.account.offset_seconds,
                scope=target.scope,
                filters=self._filters,
                units=self.account.units,
            )
            for piece in split_window(window, self.settings.max_span)
            for target in self.calls
        ]

    async def poll(self) -> Retry | None:
        """One poll: every call, then settle what came back. Returns when to run again
        if a call failed (None: at the next regular time)."""
        self.polling = True
        try:
            return await self._poll()
        finally:
            self.polling = False

    async def _poll(self) -> Retry | None:
        if self._domain_source is not None:
            current = self._domain_source()
            if current is None:
                # Not ready: nothing to poll until the account's domains are known.
                self.last_error = "waiting for the first domain discovery"
                return Retry(DISCOVERY_WAIT)
            if current != self.domains:
                self.domains = current
                listed = replace(self.account, domains=current)
                self.calls = self.provider.call_targets(listed, self.settings)
                if not current and self.settings.spec.max_domains_per_call > 0:
                    # No domain listed: nothing to ask for (an empty domain list would
                    # mean "every domain" to Wangsu and the account total to Volcengine).
                    self.calls = []
                self._replan(listed)
        started = time.monotonic()
        now = self.clock.time()
        horizon = now - self.settings.settle_delay
        points = PointColumns()
        failures: list[str] = []
        auth = False
        retryable = False  # some failure may go away if asked again soon
        throttled_only = True  # every failed call was throttled
        for query in self.queries(now):
            answer = await self.request_points(query)
            if answer.payload is not None:
                points.extend(answer.payload)
            else:
                failures.append(f"{answer.outcome}: {answer.detail}")
                auth = auth or answer.outcome is Outcome.AUTH_FAILURE
                retryable = retryable or answer.transient
                throttled_only = throttled_only and answer.outcome is Outcome.THROTTLED
        # In steps, so a poll of many series never holds the event loop for long.
        result = self.store.begin(horizon)
        self.horizon = horizon
        for first in range(0, len(points), INGEST_STEP):
            if first:
                await asyncio.sleep(0)
            self.store.add(points[first : first + INGEST_STEP], horizon, result)
        self.store.finish(horizon)
        for reason, count in result.dropped.items():
            self.metrics.series_dropped.labels(*self._labels, reason).inc(count)
        self.polls += 1
        if not failures:
            self.recent.append(PollResult.OK)
        else:
            self.recent.append(PollResult.THROTTLED if throttled_only else PollResult.FAILED)
        duration = time.monotonic() - started
        self.metrics.poll_duration.labels(*self._labels).set(duration)
        self._report_revisions(result.revisions)
        if failures:
            self.up = False
            self.last_error = failures[0]
            self.failed_runs += 1
            if not (auth or retryable):
                # A 4xx or a well-formed answer the parser refuses: asking again soon
                # would fail the same way and spend budget; the next regular poll re-reads.
                self.retry = None
                self._report_problem(failures[0], len(failures), None, duration)
                return None
            self.retry = retry_for(self.failed_runs, auth=auth, draw=self._jitter.random())
            self._report_problem(failures[0], len(failures), self.retry, duration)
            return self.retry
        if self._last_problem is not None:
            log.info(
                "%s: recovered after %d failed poll(s)",
                self.name,
                self.failed_runs,
                extra=self._fields("success", duration),
            )
            self._last_problem = None
        self.failed_runs = 0
        self.retry = None
        self.up = True
        self.complete_through = horizon
        expired = self.store.expire(self.settings.expire_after_polls)
        if expired:
            self.metrics.series_dropped.labels(*self._labels, "expired").inc(expired)
        self.last_success = self.clock.time()
        self.metrics.last_success.labels(*self._labels).set(self.last_success)
        if self._domain_source is not None and self._domain_source() != self.domains:
            # Discovery changed the list while this poll ran: poll the new one soon.
            return Retry(NEW_DOMAINS_WAIT)
        return None

    def _replan(self, listed: Account) -> None:
        """Export the rate budget the discovered domains need; warn when they need more
        calls than the limit allows per interval (polls then wait for the limiter)."""
        plan = build_plan(self.provider, listed, self.settings)
        calling = bool(self.calls)  # none while no domain is listed
        self.metrics.rate_budget_ratio.labels(*self._labels).set(
            plan.budget_share if calling else 0.0
        )
        self.metrics.poll_calls.labels(*self._labels).set(plan.calls_per_cycle * calling)
        self.metrics.poll_calls_minimum.labels(*self._labels).set(plan.minimum_calls * calling)
        if plan.raised and calling:
            limit = self.settings.rate_limit
            log.warning(
                "%s: %d discovered domain(s) need %d calls per poll, more than %d/%ds "
                "allows every %ds; polls wait for the rate limiter and take longer",
                self.name,
                len(self.domains or ()),
                plan.calls_per_cycle,
                limit.calls,
                limit.period,
                self.settings.interval,
            )

    def _report_revisions(self, revisions: Sequence[Revision]) -> None:
        """Count every revision; log each series the first time one of its settled slices
        is revised, with how many this poll, and later ones at debug with the total (a
        provider that keeps revising would otherwise log a line per slice every poll)."""
        if not revisions:
            return
        self.metrics.revisions.labels(*self._labels).inc(len(revisions))
        by_series: dict[tuple[str, tuple[str, ...]], list[Revision]] = {}
        for revision in revisions:
            by_series.setdefault((revision.family, revision.labels), []).append(revision)
        for series, revised in by_series.items():
            total = self._revised.get(series, 0) + len(revised)
            self._revised[series] = total
            last = revised[-1]
            if last.counter:
                effect = (
                    "the counter keeps the first values (raise the settle delay if this recurs)"
                )
            else:
                effect = "the gauge shows the newer values"
            log.log(
                logging.WARNING if total == len(revised) else logging.DEBUG,
                "%s: %d settled slice(s) of %s%s revised after they were exported (%d in all), "
                "the last ending %d from %g to %g; %s",
                self.name,
                len(revised),
                last.family,
                list(last.labels),
                total,
                last.end,
                last.counted,
                last.now_reported,
                effect,
                extra=self._fields("revised"),
            )

    def _fields(self, outcome: str, duration: float | None = None) -> dict[str, object]:
        """The JSON log fields of a line about this endpoint's polls."""
        fields: dict[str, object] = {
            "account": self.account.name,
            "endpoint": self.settings.spec.name,
            "outcome": outcome,
        }
        if duration is not None:
            fields["duration"] = round(duration, 3)
        return fields

    def _report_problem(
        self, problem: str, count: int, retry: Retry | None, duration: float
    ) -> None:
        """The first failed poll of a run of them, and each change of kind, at warning;
        repeats at debug (recovery then says how many polls failed)."""
        kind = problem.split(":", 1)[0]
        level = logging.DEBUG if kind == self._last_problem else logging.WARNING
        if retry is None:
            then = "not worth retrying before the next poll"
        else:
            then = f"{'polls paused' if retry.hold else 'retrying'} in {retry.after:.0f}s"
        log.log(
            level,
            "%s: %d call(s) failed, keeping the last good data; %s: %s",
            self.name,
            count,
            then,
            problem,
            extra=self._fields(kind, duration),
        )
        self._last_problem = kind

    async def request_points(self, query: Query) -> CallResult[Sequence[Point]]:
        """One query through the call pipeline: its points on success."""
        spec = self.settings.spec

        def build(now: float) -> HttpRequest:
            return self.provider.build_request(self.account, spec, query, now)

        def parse(payload: Any) -> Sequence[Point]:
            return spec.parse(payload, query)

        return await self.pipeline.call(build, self.provider.classify, parse)
