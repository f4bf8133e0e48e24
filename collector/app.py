"""The daemon: pollers for every configured endpoint, a scheduler, the rendered cache."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from collector import state
from collector.backoff import Retry
from collector.client import AiohttpTransport, Transport
from collector.clock import Clock
from collector.config.loading import ConfigError
from collector.config.runtime import Account, Config
from collector.discovery import DomainDiscoverer
from collector.exposition import (
    BodyAssembler,
    FamilySamples,
    RenderedMetrics,
    RowSamples,
    SliceSamples,
)
from collector.families import slice_family
from collector.jobs import JobKey, JobSpec, ReloadPlan, diff_jobs, job_specs
from collector.model import Family
from collector.planner import Plan
from collector.poller import EndpointPoller
from collector.providers import get_lister, get_provider, help_for, slice_help_for
from collector.scheduler import (
    STOP_TIMEOUT,
    PollScheduler,
    account_jitter,
    next_aligned,
    stalled,
)
from collector.selfmetrics import SelfMetrics
from collector.sharding import Sharding
from collector.store import NO_END, SeriesBudget
from collector.timeslices import format_request_time

log = logging.getLogger(__name__)

_BASE = ("provider", "account")
LAG_INTERVAL = 0.25  # seconds between the loop-lag watcher's wake-ups
LAG_PEAK_WAKEUPS = 240  # the lag peak gauge covers the last minute of wake-ups
_Update = tuple[Hashable, tuple[str, ...], Sequence[FamilySamples | RowSamples | SliceSamples]]
_ENDPOINTS = ("endpoint families",)  # the owner of cdn_up and cdn_data_timestamp_seconds

ConfigLoader = Callable[[], Config]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: the plan it applied, or the problems that stopped it."""

    ok: bool
    problems: tuple[str, ...] = ()
    plan: ReloadPlan | None = None


@dataclass(slots=True)
class Job:
    """One scheduled poller and what it was built from."""

    spec: JobSpec
    poller: EndpointPoller


class Exporter:
    """Owns the pollers, schedules them and keeps the rendered /metrics body."""

    def __init__(
        self,
        settings: Config,
        clock: Clock,
        transport_factory: Callable[[], Transport] = AiohttpTransport,
        config_loader: ConfigLoader | None = None,
        sharding: Sharding | None = None,
    ) -> None:
        # The whole configuration; the jobs are those of the accounts on this shard.
        self.settings = settings
        self.sharding = sharding or Sharding()
        self.clock = clock
        self.metrics = SelfMetrics()
        self.metrics.shard_ordinal.set(self.sharding.shard)
        self.metrics.total_shards.set(self.sharding.total)
        self.metrics.rate_budget_share.set(settings.rate_budget_share)
        self.transport_factory = transport_factory
        # Reads and validates the configuration again on reload (None: nothing to reload).
        self.config_loader = config_loader
        self.transports: dict[str, Transport] = {}  # one per account name
        self.jobs: dict[JobKey, Job] = {}
        self.discoverers: dict[str, DomainDiscoverer] = {}  # by account name
        self.rendered = RenderedMetrics.of(b"")
        # /metrics/slices: the timestamped slices of the endpoints with `slices: true`.
        self.rendered_slices = RenderedMetrics.of(b"")
        self.scheduler: PollScheduler | None = None
        self._render_lock = asyncio.Lock()
        self._dirty: set[EndpointPoller] = set()  # pollers whose chunks need a re-render
        self._dirty_all = False
        self._reload_lock = asyncio.Lock()
        self._lag_watch: asyncio.Task[None] | None = None
        # Bumped when a poll, reload or switch ends: a shared self-metrics render from
        # before it is not served again.
        self.self_metrics_epoch = 0
        self._reloads: set[asyncio.Task[ReloadResult]] = set()
        self._assembler = BodyAssembler()
        self._slice_assembler = BodyAssembler()
        self.series_budget = SeriesBudget(settings.max_series)
        self.started_at = clock.time()
        self.last_activity = clock.monotonic()  # monotonic time a poll last started or ended
        self.state_path = Path(settings.state_file) if settings.state_file else None
        self._state_written: dict[str, tuple[float | None, float | None, int]] = {}
        self._state_lock = asyncio.Lock()
        self._state_failing = False
        problems = self.sharding.problems(settings)
        if problems:
            raise ConfigError(problems)
        owned = self.sharding.select(settings)
        self.metrics.shard_accounts.set(len(owned.accounts))
        if self.sharding.sharded:
            log.info("%s: %s", self.sharding.describe(settings), self._owned_text())
        for account in owned.accounts:
            if account.discovery is not None:
                self.discoverers[account.name] = self._build_discoverer(
                    account, settings.rate_budget_share
                )
        for spec in job_specs(owned):
            self.jobs[spec.key] = self._build_job(spec)
        if self.state_path is not None:
            self.restore_state(self.state_path)
        # The start-up load counts as a successful one, as in Prometheus.
        self.metrics.reload_success.set(1)
        self.metrics.reload_timestamp.set(self.started_at)

    @property
    def owned_accounts(self) -> list[str]:
        """Names of the accounts this replica polls, in config order."""
        return [a.name for a in self.sharding.select(self.settings).accounts]

    def _owned_text(self) -> str:
        return ", ".join(self.owned_accounts) or "none"

    @property
    def pollers(self) -> list[EndpointPoller]:
        return [job.poller for job in self.jobs.values()]

    @property
    def plans(self) -> list[Plan]:
        return [job.spec.plan for job in self.jobs.values()]

    def _transport(self, account: Account) -> Transport:
        transport = self.transports.get(account.name)
        if transport is None:
            transport = self.transports[account.name] = self.transport_factory()
        return transport

    def _build_discoverer(self, account: Account, budget_share: float) -> DomainDiscoverer:
        assert account.discovery is not None
        return DomainDiscoverer(
            provider=get_lister(account.provider),
            provider_name=get_provider(account.provider).name,
            account=replace(account, endpoints=()),
            # Replicas polling one account split its listing budget as they split the rest.
            settings=replace(
                account.discovery,
                rate_limit=account.discovery.rate_limit.share(budget_share),
            ),
            transport=self._transport(account),
            clock=self.clock,
            metrics=self.metrics,
        )

    def discovered(self, account: str) -> tuple[str, ...] | None:
        """The account's discovered domains (None: no successful listing yet)."""
        discoverer = self.discoverers.get(account)
        return None if discoverer is None else discoverer.domains

    def _build_job(self, spec: JobSpec) -> Job:
        """A fresh poller for `spec`, its plan warned about and exported."""
        account, endpoint, plan = spec.account, spec.settings, spec.plan
        provider = get_provider(account.provider)
        if plan.raised:
            log.warning(
                "%s/%s: %d calls per poll do not fit %d/%ds every %ds; polling every %ds instead",
                account.name,
                endpoint.spec.name,
                plan.calls_per_cycle,
                endpoint.rate_limit.calls,
                endpoint.rate_limit.period,
                plan.requested_interval,
                plan.interval,
            )
        labels = (provider.name, account.name, endpoint.spec.name)
        self.metrics.poll_interval.labels(*labels).set(plan.interval)
        self.metrics.rate_budget_ratio.labels(*labels).set(plan.budget_share)
        self.metrics.poll_calls.labels(*labels).set(plan.calls_per_cycle)
        self.metrics.poll_calls_minimum.labels(*labels).set(plan.minimum_calls)
        self.metrics.expected_data_age.labels(*labels).set(
            endpoint.settle_delay + endpoint.granularity + plan.interval
        )
        transport = self._transport(account)
        name = account.name
        poller = EndpointPoller(
            provider=provider,
            account=account,
            settings=endpoint,
            transport=transport,
            clock=self.clock,
            metrics=self.metrics,
            budget=self.series_budget,
            domains=(lambda: self.discovered(name)) if account.discovery is not None else None,
        )
        return Job(spec, poller)

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
        process. A replica whose shard has no accounts polls nothing and is healthy."""
        if not self.jobs:  # a shard without accounts has no loop to stall
            return True
        longest = max((p.settings.interval for p in self.pollers), default=60)
        return not stalled(self.last_activity, self.clock.monotonic(), longest)

    def log_plan(self, keys: Sequence[JobKey] | None = None) -> None:
        for key in self.jobs if keys is None else keys:
            plan, settings = self.jobs[key].spec.plan, self.jobs[key].poller.settings
            limit = settings.rate_limit
            share = self.settings.rate_budget_share
            log.info(
                "poll plan %s/%s: every %ds, %d call(s) per poll (the fewest possible: %d), "
                "%.1f%% of %d/%ds%s, newest slice normally %ds old",
                plan.account,
                plan.endpoint,
                plan.interval,
                plan.calls_per_cycle,
                plan.minimum_calls,
                plan.budget_share * 100,
                limit.calls,
                limit.period,
                f" (this replica's rate_budget_share {share:g} of the limit)" if share < 1 else "",
                settings.settle_delay + settings.granularity + plan.interval,
            )
            if settings.chosen_over:
                log.info(
                    "poll plan %s/%s: chosen over %s",
                    plan.account,
                    plan.endpoint,
                    settings.chosen_over,
                )

    def restore_state(self, path: Path) -> None:
        """Load the state file (if usable) into the pollers before their first poll;
        say what was kept and what was dropped."""
        persisted = {e.key: e for e in state.load(path, now=self.clock.time())}
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

    async def poll_and_render(self, poller: EndpointPoller) -> Retry | None:
        """One scheduled run: poll, then refresh the cached body; returns the poll's
        retry, if it failed."""
        self.last_activity = self.clock.monotonic()
        retry = None
        try:
            retry = await poller.poll()
        except Exception:
            # A bug in one endpoint must not stop the others or the scheduler.
            log.exception("%s: poll crashed; keeping the last good data", poller.name)
            poller.polls += 1
            poller.up = False
            poller.last_error = "crash: see the log"
        self.last_activity = self.clock.monotonic()
        self.self_metrics_epoch += 1
        await self.render(poller)
        await self.save_state()
        return retry

    def start(self) -> None:
        """Schedule every poller; the first poll runs at once (spread by account)."""
        self.log_plan()
        self.scheduler = PollScheduler(
            self.clock, lambda direction: self.metrics.clock_steps.labels(direction).inc()
        )
        for discoverer in self.discoverers.values():
            self._schedule_discovery(discoverer)
        for job in self.jobs.values():
            self._schedule(job, self.clock.time() + job.spec.schedule.first_delay)

    def watch_loop_lag(self, interval: float = LAG_INTERVAL) -> None:
        """Measure the event loop's lag every `interval` seconds of the exporter's clock
        (cdn_exporter_event_loop_lag_seconds); stopped by `close`."""
        if self._lag_watch is None:
            self._lag_watch = asyncio.create_task(self._watch_lag(interval), name="loop-lag")

    async def _watch_lag(self, interval: float) -> None:
        histogram, peak = self.metrics.loop_lag, self.metrics.loop_lag_max
        worst, wakeups = 0.0, 0
        while True:
            before = self.clock.time()
            await self.clock.sleep(interval)
            lag = max(0.0, self.clock.time() - before - interval)
            histogram.observe(lag)
            worst, wakeups = max(worst, lag), wakeups + 1
            peak.set(worst)
            if wakeups >= LAG_PEAK_WAKEUPS:
                worst, wakeups = 0.0, 0

    def _schedule(self, job: Job, first_run: float) -> None:
        assert self.scheduler is not None
        poller, schedule = job.poller, job.spec.schedule

        async def run() -> Retry | None:
            return await self.poll_and_render(poller)

        self.scheduler.add(
            poller.name,
            run,
            interval=schedule.interval,
            offset=schedule.offset,
            first_run=first_run,
        )

    def _schedule_discovery(self, discoverer: DomainDiscoverer) -> None:
        """List at once, then every refresh interval (aligned, spread by account)."""
        assert self.scheduler is not None
        refresh = discoverer.settings.refresh
        offset = account_jitter(discoverer.account.name, min(refresh, 3600)) % refresh

        async def run() -> Retry | None:
            before = discoverer.domains
            retry = await discoverer.run()
            after = discoverer.domains
            if self.discoverers.get(discoverer.account.name) is not discoverer:
                return retry
            if after is not None and (before is None or len(after) != len(before)):
                await self._follow_discovered_sources()
            joined = before is not None and after is not None and bool(set(after) - set(before))
            if joined:
                await self._poll_now(discoverer.account.name)
            return retry

        self.scheduler.add(
            discoverer.name, run, interval=refresh, offset=offset, first_run=self.clock.time()
        )

    def _discovered_counts(self) -> dict[str, int]:
        """Domains each discovering account's last successful listing gave, by name."""
        return {n: len(d.domains) for n, d in self.discoverers.items() if d.domains is not None}

    async def _follow_discovered_sources(self) -> None:
        """Switch to the sources the discovered domain counts make freshest (per-domain
        hit ratio from the batched report for many domains, say): the configuration is
        applied again with the counts known, so only the endpoints whose choice changed
        are replaced (their pollers start afresh). Not during a reload, which chooses
        with the counts by itself."""
        if self.scheduler is None or self._reload_lock.locked():
            return
        owned = self.sharding.select(self.settings)
        if {spec.key for spec in job_specs(owned, self._discovered_counts())} == set(self.jobs):
            return
        async with self._reload_lock:
            plan = await self.apply(self.settings)
        log.info("discovered domains changed a source choice: %s", plan.summary())

    async def _poll_now(self, account: str) -> None:
        """Poll the account's domain endpoints at once, so domains that just joined are
        polled within one refresh interval of appearing. Idle pollers are rescheduled to
        run now; one in the middle of a poll runs again right after it (its poll sees
        the new list at its end). Not during a reload, which reschedules by itself."""
        if self.scheduler is None or self._reload_lock.locked():
            return
        async with self._reload_lock:
            now = self.clock.time()
            for key, job in list(self.jobs.items()):
                poller = job.poller
                if key[0] != account or poller.settings.spec.max_domains_per_call == 0:
                    continue
                if poller.polling or self.jobs.get(key) is not job:
                    continue
                await self.scheduler.remove(poller.name)
                self._schedule(job, now)

    async def _apply_discovery(self, config: Config) -> None:
        """Keep the discoverers of accounts whose connection and discovery settings are
        unchanged (their list too); start new ones, stop those gone."""
        wanted = {a.name: a for a in config.accounts if a.discovery is not None}
        for name, old in list(self.discoverers.items()):
            account = wanted.get(name)
            if (
                account is not None
                and account.discovery is not None
                and replace(account, endpoints=()) == old.account
                and account.discovery.rate_limit.share(config.rate_budget_share)
                == old.settings.rate_limit
            ):
                continue
            if self.scheduler is not None:
                await self.scheduler.remove(old.name)
            del self.discoverers[name]
        for name, account in wanted.items():
            if name in self.discoverers:
                continue
            self.discoverers[name] = discoverer = self._build_discoverer(
                account, config.rate_budget_share
            )
            if self.scheduler is not None:
                self._schedule_discovery(discoverer)
        self.metrics.forget_discovery_except({d.labels[:2] for d in self.discoverers.values()})

    def reload_soon(self) -> None:
        """Reload in the background (from a signal handler); the result is logged."""
        task = asyncio.create_task(self.reload(), name="reload")
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload(self) -> ReloadResult:
        """Read the configuration again and switch to it; on any problem keep the
        running one and log each problem as `path: reason`."""
        try:
            return await self._reload()
        finally:
            self.self_metrics_epoch += 1

    async def _reload(self) -> ReloadResult:
        async with self._reload_lock:
            if self.config_loader is None:
                problem = "nothing to reload: no --config file (the demo's is built in)"
                log.warning("config reload: %s", problem)
                return ReloadResult(ok=False, problems=(problem,))
            try:
                # Reading files (secrets too) is blocking I/O: off the event loop.
                config = await asyncio.to_thread(self.config_loader)
                # An explicit shard this replica's --total-shards does not have.
                shard_problems = self.sharding.problems(config)
                if shard_problems:
                    raise ConfigError(shard_problems)
            except ConfigError as exc:
                problems = tuple(exc.problems)
            except Exception as exc:  # the loader must never take the daemon down
                problems = (f"(config): {type(exc).__name__}: {exc}",)
            else:
                try:
                    plan = await self.apply(config)
                except Exception as exc:  # a bug; the running jobs stay as they were
                    log.exception("config reload failed while switching")
                    self.metrics.reload_success.set(0)
                    return ReloadResult(ok=False, problems=(f"(internal): {exc!r}",))
                self.metrics.reload_success.set(1)
                self.metrics.reload_timestamp.set(self.clock.time())
                log.info("config reloaded: %s", plan.summary())
                if self.sharding.sharded:
                    log.info("%s: %s", self.sharding.describe(config), self._owned_text())
                return ReloadResult(ok=True, plan=plan)
            for problem in problems:
                log.error("config reload failed: %s", problem)
            log.error(
                "config reload failed with %d problem(s); keeping the running configuration",
                len(problems),
            )
            self.metrics.reload_success.set(0)
            return ReloadResult(ok=False, problems=problems)

    async def apply(self, config: Config) -> ReloadPlan:
        """Switch to a validated `config`: pollers of unchanged endpoints keep their
        state, store and counters; changed ones start afresh; removed ones and their
        series go; new ones start. Only the accounts on this shard get jobs: an account
        that moves to another shard is removed here and added there."""
        problems = self.sharding.problems(config)
        if problems:
            raise ConfigError(problems)
        owned = self.sharding.select(config)
        await self._apply_discovery(owned)
        specs = job_specs(owned, self._discovered_counts())
        plan = diff_jobs([job.spec for job in self.jobs.values()], specs)
        # New pollers first: if building one fails, the running jobs are untouched.
        new_keys = {*plan.add, *plan.rebuild}
        fresh = {spec.key: self._build_job(spec) for spec in specs if spec.key in new_keys}
        if self.scheduler is not None:
            for key in (*plan.reschedule, *plan.rebuild, *plan.remove):
                await self.scheduler.remove(self.jobs[key].poller.name)
        if config.listen_address != self.settings.listen_address:
            log.warning("listen_address changes take effect at the next start")
        # From here to the end of the switch nothing awaits: scrapes and polls see
        # the old jobs or the new ones, never a mix.
        for key in (*plan.rebuild, *plan.remove):
            self.jobs[key].poller.store.forget_all()
        self.series_budget.limit = config.max_series
        old = self.jobs
        jobs = {spec.key: fresh.get(spec.key) or Job(spec, old[spec.key].poller) for spec in specs}
        self.jobs = jobs
        self.settings = config
        live = {job.poller.labels for job in jobs.values()}
        live |= {d.labels for d in self.discoverers.values()}  # listing calls' self-metrics
        self.metrics.forget_endpoints_except(live)
        self.metrics.shard_accounts.set(len(owned.accounts))
        self.metrics.rate_budget_share.set(config.rate_budget_share)
        gone = [name for name in self.transports if name not in {a.name for a in owned.accounts}]
        closing = [self.transports.pop(name) for name in gone]
        if self.scheduler is not None:
            now = self.clock.time()
            for key in (*plan.rebuild, *plan.add):
                self._schedule(jobs[key], now + jobs[key].spec.schedule.first_delay)
            for key in plan.reschedule:
                schedule = jobs[key].spec.schedule
                self._schedule(jobs[key], next_aligned(now, schedule.interval, schedule.offset))
        self.log_plan([*plan.rebuild, *plan.add])
        for transport in closing:
            await transport.close()
        await self.render()
        return plan

    async def close(self) -> None:
        """Stop reloads and polls (runs in progress too), then the transports they use."""
        if self._lag_watch is not None:
            self._lag_watch.cancel()
            await asyncio.gather(self._lag_watch, return_exceptions=True)
            self._lag_watch = None
        for task in list(self._reloads):
            task.cancel()
        if self._reloads:
            await asyncio.wait(self._reloads, timeout=STOP_TIMEOUT)
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        for transport in self.transports.values():
            await transport.close()

    def snapshot(self) -> list[FamilySamples]:
        """Every CDN family and freshness sample, copied off the live stores, each family
        once (what a full render takes)."""
        merged: dict[str, FamilySamples] = {}
        for poller in self.pollers:
            for family in self._poller_families(poller):
                seen = merged.get(family.name)
                if seen is None:
                    merged[family.name] = FamilySamples(
                        family.name, family.kind, family.help, family.label_names,
                        list(family.samples),
                    )  # fmt: skip
                else:
                    assert isinstance(seen.samples, list)
                    seen.samples.extend(family.samples)
        return [*merged.values(), *self._endpoint_families()]

    @staticmethod
    def _poller_families(poller: EndpointPoller) -> list[FamilySamples]:
        """One poller's CDN samples, by family, labels led by provider and account."""
        base = (poller.provider.name, poller.account.name)
        by_family: dict[str, tuple[Family, list[tuple[tuple[str, ...], float]]]] = {}
        for family, labels, value in poller.store.series():
            entry = by_family.get(family.name)
            if entry is None:
                entry = by_family[family.name] = (family, [])
            entry[1].append(((*base, *labels), value))
        return [
            FamilySamples(f.name, f.kind.value, help_for(f), (*_BASE, *f.labels), s)
            for f, s in by_family.values()
        ]

    @staticmethod
    def _poller_rows(poller: EndpointPoller) -> list[RowSamples]:
        """One poller's CDN families as views of its store's rows (no copies: the render
        reads them in a worker thread, and only this poller's own poll changes them)."""
        base = (poller.provider.name, poller.account.name)
        return [
            RowSamples(
                rows.family.name,
                rows.family.kind.value,
                help_for(rows.family),
                (*_BASE, *rows.family.labels),
                base,
                rows.labels,
                rows.value,
                rows.end,
                rows.size,
                rows.version,
                NO_END,
            )
            for rows in poller.store.rows()
        ]

    @staticmethod
    def _poller_slices(poller: EndpointPoller) -> list[SliceSamples]:
        """One poller's retained slices as timestamped-slice families (views, as rows)."""
        base = (poller.provider.name, poller.account.name)
        after = poller.reread_from()
        if after is None:
            return []
        result = []
        for rows in poller.store.slice_rows(after):
            family = slice_family(rows.family)
            result.append(
                SliceSamples(
                    family.name,
                    family.kind.value,
                    slice_help_for(rows.family),
                    (*_BASE, *family.labels),
                    base,
                    rows.labels,
                    rows.ends,
                    rows.columns,
                    rows.size,
                    rows.version,
                )
            )
        return result

    def _endpoint_families(self) -> list[FamilySamples]:
        """`cdn_up` and `cdn_data_timestamp_seconds`: one sample per endpoint."""
        up: list[tuple[tuple[str, ...], float]] = []
        data_ts: list[tuple[tuple[str, ...], float]] = []
        for poller in self.pollers:
            endpoint_labels = (*poller.labels[:2], poller.settings.spec.name)
            if poller.up is not None:
                up.append((endpoint_labels, 1.0 if poller.up else 0.0))
            if poller.store.newest_settled_end is not None:
                data_ts.append((endpoint_labels, float(poller.store.newest_settled_end)))
        return [
            FamilySamples(
                "cdn_up",
                "gauge",
                "1 when every call of the endpoint's last poll succeeded, else 0.",
                (*_BASE, "endpoint"),
                up,
            ),
            FamilySamples(
                "cdn_data_timestamp_seconds",
                "gauge",
                "End time (Unix seconds) of the newest settled slice of the endpoint; "
                "data is exposed only after the settle delay.",
                (*_BASE, "endpoint"),
                data_ts,
            ),
        ]

    async def render(self, poller: EndpointPoller | None = None) -> None:
        """Refresh the cached body: re-render `poller`'s chunks (every poller's when
        None), then join the body from every cached chunk. Requests made while a render
        runs coalesce into one more."""
        if poller is None:
            self._dirty_all = True
        else:
            self._dirty.add(poller)
        if self._render_lock.locked():
            return
        async with self._render_lock:
            while self._dirty_all or self._dirty:
                everything, dirty = self._dirty_all, self._dirty
                self._dirty_all, self._dirty = False, set()
                live = {p.state_key: p for p in self.pollers}
                targets = list(live.values()) if everything else [
                    p for p in dirty if live.get(p.state_key) is p
                ]  # fmt: skip
                # The copies are taken here, on the loop, where the stores change.
                updates: list[_Update] = [
                    (p.state_key, p.labels, self._poller_rows(p)) for p in targets
                ]
                updates.append((_ENDPOINTS, (), self._endpoint_families()))
                # Slices of `slices: true` endpoints; an empty update drops an owner's
                # chunks (its endpoint no longer asks for slices).
                sliced = set(self._slice_assembler.owners())
                slices: list[_Update] = [
                    (p.state_key, p.labels, self._poller_slices(p) if p.settings.slices else [])
                    for p in targets
                    if p.settings.slices or p.state_key in sliced
                ]
                gone: list[Hashable] = []
                if everything:
                    gone = [o for o in self._assembler.owners() if o not in live]
                    gone = [o for o in gone if o != _ENDPOINTS]
                    gone += [o for o in sliced if o not in live]
                self.rendered, rendered_slices = await asyncio.to_thread(
                    self._render, updates, slices, gone
                )
                if rendered_slices is not None:
                    self.rendered_slices = rendered_slices

    def _render(
        self, updates: list[_Update], slices: list[_Update], gone: list[Hashable]
    ) -> tuple[RenderedMetrics, RenderedMetrics | None]:
        """Both bodies from their updated chunks (None: the slices body is unchanged)."""
        # Self-metrics are not cached: the web handler renders them at every scrape.
        for owner in gone:
            self._assembler.remove(owner)
            self._slice_assembler.remove(owner)
        for owner, order, families in updates:
            self._assembler.update(owner, order, families)
        for owner, order, families in slices:
            if families:
                self._slice_assembler.update(owner, order, families)
            else:
                self._slice_assembler.remove(owner)
        rendered_slices = self._slice_assembler.assemble() if slices or gone else None
        return self._assembler.assemble(), rendered_slices
