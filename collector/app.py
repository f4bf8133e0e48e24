"""The daemon: pollers for every configured endpoint, a scheduler, the rendered cache."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from collector import state
from collector.backoff import Retry
from collector.client import AiohttpTransport, Transport
from collector.clock import Clock
from collector.config.runtime import Account, Config
from collector.exposition import FamilySamples, RenderedMetrics, Renderer
from collector.model import Family
from collector.planner import Plan, plan_endpoint, windows_per_poll
from collector.poller import EndpointPoller
from collector.providers import get_provider, help_for
from collector.providers.base import Provider
from collector.providers.endpoint import EndpointSettings
from collector.scheduler import PollScheduler, account_jitter
from collector.selfmetrics import SelfMetrics
from collector.store import SeriesBudget
from collector.timeslices import format_request_time

log = logging.getLogger(__name__)

_BASE = ("provider", "account")
# Polls fire this long after a slice boundary plus the settle delay, so the slice
# the delay just released is there to read.
_FIRE_AFTER_BOUNDARY = 5.0


def build_plan(provider: Provider[Any], account: Account, settings: EndpointSettings) -> Plan:
    """The poll plan of one endpoint: calls per cycle against its rate budget."""
    spec = settings.spec
    window = settings.settle_delay + settings.reread + settings.granularity
    calls = len(provider.call_targets(account, settings)) * windows_per_poll(
        window, settings.max_span, settings.granularity
    )
    return plan_endpoint(
        account=account.name,
        endpoint=spec.name,
        interval=settings.interval,
        calls_per_cycle=calls,
        limit=settings.rate_limit,
        granularity=settings.granularity,
    )


class Exporter:
    """Owns the pollers, schedules them and keeps the rendered /metrics body."""

    def __init__(
        self,
        settings: Config,
        clock: Clock,
        transport_factory: Callable[[], Transport] = AiohttpTransport,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = SelfMetrics()
        self.pollers: list[EndpointPoller] = []
        self.plans: list[Plan] = []
        self.transports: list[Transport] = []
        self.rendered = RenderedMetrics.of(b"")
        self.scheduler: PollScheduler | None = None
        self._render_lock = asyncio.Lock()
        self._render_again = False
        self._renderer = Renderer()
        self.series_budget = SeriesBudget(settings.max_series)
        self.started_at = clock.time()
        self.last_activity = self.started_at  # clock time a poll last started or ended
        self.state_path = Path(settings.state_file) if settings.state_file else None
        self._state_written: dict[str, tuple[float | None, float | None, int]] = {}
        self._state_lock = asyncio.Lock()
        self._state_failing = False
        for account in settings.accounts:
            provider = get_provider(account.provider)
            transport = transport_factory()
            self.transports.append(transport)
            for endpoint in account.endpoints:
                plan = build_plan(provider, account, endpoint)
                self.plans.append(plan)
                if plan.raised:
                    log.warning(
                        "%s/%s: %d calls per poll do not fit %d/%ds every %ds; "
                        "polling every %ds instead",
                        account.name,
                        endpoint.spec.name,
                        plan.calls_per_cycle,
                        endpoint.rate_limit.calls,
                        endpoint.rate_limit.period,
                        plan.requested_interval,
                        plan.interval,
                    )
                    endpoint = replace(endpoint, interval=plan.interval)
                labels = (provider.name, account.name, endpoint.spec.name)
                self.metrics.poll_interval.labels(*labels).set(plan.interval)
                self.metrics.rate_budget_ratio.labels(*labels).set(plan.budget_share)
                self.metrics.expected_data_age.labels(*labels).set(
                    endpoint.settle_delay + endpoint.granularity + plan.interval
                )
                self.pollers.append(
                    EndpointPoller(
                        provider=provider,
                        account=account,
                        settings=endpoint,
                        transport=transport,
                        clock=clock,
                        metrics=self.metrics,
                        budget=self.series_budget,
                    )
                )

        if self.state_path is not None:
            self.restore_state(self.state_path)

    def restore_state(self, path: Path) -> None:
        """Load the state file (if usable) into the pollers before their first poll;
        say what was kept and what was dropped."""
        persisted = {e.key: e for e in state.load(path)}
        if not persisted:
            return
        now = self.clock.time()
        for poller in self.pollers:
            saved = persisted.pop(poller.state_key, None)
            if saved is None:
                log.info("state file %s: nothing for %s, which starts at 0", path, poller.name)
                continue
            kept, dropped = poller.restore(saved)
            s = poller.settings
            log.info(
                "state file %s: %s continues %d counter series from %s, re-reading "
                "what settled since",
                path,
                poller.name,
                kept,
                format_request_time(int(saved.horizon), 0),
            )
            for line in dropped:
                log.warning("state file %s: %s: dropped %s", path, poller.name, line)
            reach = now - s.settle_delay - s.backfill
            if saved.horizon < reach:
                log.warning(
                    "state file %s: %s was last complete %s, beyond the %ds backfill: "
                    "slices from then to %s are not counted",
                    path,
                    poller.name,
                    format_request_time(int(saved.horizon), 0),
                    s.backfill,
                    format_request_time(int(reach), 0),
                )
        for key in sorted(persisted):
            log.warning(
                "state file %s: dropped %s (%d counter series): not in this config",
                path,
                key,
                len(persisted[key].series),
            )

    async def save_state(self) -> None:
        """Write the state file if a poll changed what it holds (atomically, off the
        event loop); a failing write is logged once and retried after the next poll."""
        if self.state_path is None:
            return
        tokens = {p.state_key: p.state_token() for p in self.pollers}
        if tokens == self._state_written:
            return
        async with self._state_lock:
            tokens = {p.state_key: p.state_token() for p in self.pollers}
            if tokens == self._state_written:
                return
            endpoints = [e for p in self.pollers if (e := p.persisted()) is not None]
            data = state.encode(endpoints, self.clock.time())
            try:
                await asyncio.to_thread(state.write_atomic, self.state_path, data)
            except OSError as exc:
                if not self._state_failing:
                    log.warning("state file %s: cannot write (%s)", self.state_path, exc)
                self._state_failing = True
                return
            if self._state_failing:
                log.info("state file %s: written again", self.state_path)
            self._state_failing = False
            self._state_written = tokens

    @property
    def ready(self) -> bool:
        """True once every enabled endpoint has had a successful poll, or the start-up
        grace has passed: a pod with broken credentials then becomes ready, so its
        `cdn_up 0` is scraped and alerted on instead of hiding behind readiness."""
        if not self.waiting():
            return True
        return self.clock.time() - self.started_at >= self.settings.readiness_grace

    def waiting(self) -> list[EndpointPoller]:
        """Endpoints that have not had a successful poll yet."""
        return [p for p in self.pollers if p.last_success is None]

    @property
    def healthy(self) -> bool:
        """False when the poll loop has stalled: no poll has run for three times the
        longest poll interval (plus a minute), so a liveness probe restarts a wedged
        process."""
        longest = max((p.settings.interval for p in self.pollers), default=60)
        return self.clock.time() - self.last_activity <= 3 * longest + 60

    def log_plan(self) -> None:
        for plan, poller in zip(self.plans, self.pollers, strict=True):
            limit = poller.settings.rate_limit
            log.info(
                "poll plan %s/%s: every %ds, %d call(s) per poll, %.1f%% of %d/%ds",
                plan.account,
                plan.endpoint,
                plan.interval,
                plan.calls_per_cycle,
                plan.budget_share * 100,
                limit.calls,
                limit.period,
            )

    async def poll_and_render(self, poller: EndpointPoller) -> Retry | None:
        """One scheduled run: poll, then refresh the cached body; returns the poll's
        retry, if it failed."""
        self.last_activity = self.clock.time()
        retry = None
        try:
            retry = await poller.poll()
        except Exception:
            # A bug in one endpoint must not stop the others or the scheduler.
            log.exception("%s: poll crashed; keeping the last good data", poller.name)
            poller.polls += 1
            poller.up = False
            poller.last_error = "crash: see the log"
        self.last_activity = self.clock.time()
        await self.save_state()
        await self.render()
        return retry

    def start(self) -> None:
        """Schedule every poller; the first poll runs at once (spread by account)."""
        self.log_plan()
        scheduler = PollScheduler(self.clock)
        now = self.clock.time()
        for poller in self.pollers:
            s = poller.settings
            jitter = account_jitter(poller.account.name, self.settings.account_jitter)
            offset = (s.settle_delay % s.interval) + _FIRE_AFTER_BOUNDARY + jitter

            async def run(p: EndpointPoller = poller) -> Retry | None:
                return await self.poll_and_render(p)

            scheduler.add(
                poller.name,
                run,
                interval=s.interval,
                offset=offset % s.interval,
                first_run=now + min(jitter, 1.0),
            )
        self.scheduler = scheduler

    async def close(self) -> None:
        """Stop the polls (runs in progress too), then the transports they use."""
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        for transport in self.transports:
            await transport.close()

    def snapshot(self) -> list[FamilySamples]:
        """Every CDN family and freshness sample, copied off the live stores."""
        families: dict[str, tuple[Family, list[tuple[tuple[str, ...], float]]]] = {}
        samples: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
        up: list[tuple[tuple[str, ...], float]] = []
        data_ts: list[tuple[tuple[str, ...], float]] = []
        for poller in self.pollers:
            base = (poller.provider.name, poller.account.name)
            endpoint_labels = (*base, poller.settings.spec.name)
            if poller.up is not None:
                up.append((endpoint_labels, 1.0 if poller.up else 0.0))
            if poller.store.newest_settled_end is not None:
                data_ts.append((endpoint_labels, float(poller.store.newest_settled_end)))
            for family, labels, value in poller.store.series():
                if family.name not in families:
                    families[family.name] = (family, samples[family.name])
                samples[family.name].append(((*base, *labels), value))
        result = [
            FamilySamples(f.name, f.kind.value, help_for(f), (*_BASE, *f.labels), s)
            for f, s in families.values()
        ]
        result.append(
            FamilySamples(
                "cdn_up",
                "gauge",
                "1 when every call of the endpoint's last poll succeeded, else 0.",
                (*_BASE, "endpoint"),
                up,
            )
        )
        result.append(
            FamilySamples(
                "cdn_data_timestamp_seconds",
                "gauge",
                "End time (Unix seconds) of the newest settled slice of the endpoint; "
                "data is exposed only after the settle delay.",
                (*_BASE, "endpoint"),
                data_ts,
            )
        )
        return result

    async def render(self) -> None:
        """Re-render the cached body; concurrent requests coalesce into one more render."""
        if self._render_lock.locked():
            self._render_again = True
            return
        async with self._render_lock:
            while True:
                self._render_again = False
                snapshot = self.snapshot()
                self.rendered = await asyncio.to_thread(self._render, snapshot)
                if not self._render_again:
                    break

    def _render(self, snapshot: list[FamilySamples]) -> RenderedMetrics:
        # Self-metrics are not cached: the web handler renders them at every scrape.
        return RenderedMetrics.of(self._renderer.render(snapshot))
