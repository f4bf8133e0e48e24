"""The daemon: a job per configured endpoint on this shard, and their schedule."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from collector.backfilling import Backfills
from collector.backoff import Retry
from collector.billingkeeper import BillingKeeper, keep_for_billing
from collector.client import AiohttpTransport, Transport
from collector.clock import Clock
from collector.config.loading import ConfigError
from collector.config.runtime import Account, Config
from collector.discovery import DomainDiscoverer
from collector.exposition import RenderedMetrics
from collector.jobs import JobKey, JobSpec, ReloadPlan, expected_data_age, job_specs, log_plans
from collector.looplag import LAG_INTERVAL, LoopLagWatcher
from collector.planner import Plan
from collector.poller import EndpointPoller
from collector.providers import get_lister, get_provider
from collector.reloading import ConfigLoader, Reloader, ReloadResult
from collector.rendering import RenderedBodies
from collector.scheduler import PollScheduler, account_jitter
from collector.selfmetrics import SelfMetrics
from collector.sharding import Sharding
from collector.statekeeper import StateKeeper
from collector.status import PollResult
from collector.store import SeriesBudget

log = logging.getLogger(__name__)

DISCOVERY_SPREAD = 3600  # seconds: accounts' listings are spread over at most an hour


@dataclass(slots=True)
class Job:
    """One scheduled poller and what it was built from."""

    spec: JobSpec
    poller: EndpointPoller


class Exporter:
    """Owns the pollers and schedules them; the rendered bodies, the state file, reloads
    and the loop-lag watcher are its parts."""

    def __init__(
        self,
        settings: Config,
        clock: Clock,
        transport_factory: Callable[[], Transport] | None = None,
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
        # Tests hand in a mock transport; the daemon's reads at most max_response_bytes.
        self.transport_factory = transport_factory or (
            lambda: AiohttpTransport(max_response_bytes=settings.max_response_bytes)
        )
        self.transports: dict[str, Transport] = {}  # one per account name
        self.jobs: dict[JobKey, Job] = {}
        self.discoverers: dict[str, DomainDiscoverer] = {}  # by account name
        self.billing = BillingKeeper()  # the accounts' billing groups (none: no figures)
        self.backfills = Backfills(self)  # month-to-date reads of the billing groups
        self.bodies = RenderedBodies(lambda: self.pollers, self.billing.families)
        self.scheduler: PollScheduler | None = None
        self.reloader = Reloader(self, config_loader)
        self.loop_lag = LoopLagWatcher(clock, self.metrics)
        # Bumped when a poll, reload or switch ends: a shared self-metrics render from
        # before it is not served again.
        self.self_metrics_epoch = 0
        self.series_budget = SeriesBudget(settings.max_series)
        self.started_at = clock.time()
        self.started_monotonic = clock.monotonic()  # readiness grace runs from here
        self.last_activity = self.started_monotonic  # monotonic: a poll last started or ended
        self.state_keeper = (
            StateKeeper(Path(settings.state_file), clock, lambda: self.pollers, self.billing)
            if settings.state_file
            else None
        )
        problems = self.sharding.problems(settings)
        if problems:
            raise ConfigError(problems)
        owned = self.sharding.select(settings)
        self.metrics.shard_accounts.set(len(owned.accounts))
        if self.sharding.sharded:
            log.info("%s: %s", self.sharding.describe(settings), self.owned_text())
        for account in owned.accounts:
            if account.discovery is not None:
                self.discoverers[account.name] = self.build_discoverer(
                    account, settings.rate_budget_share
                )
        for spec in job_specs(owned):
            self.jobs[spec.key] = self.build_job(spec)
        self.billing.follow(owned.accounts)
        if self.state_keeper is not None:
            self.state_keeper.restore()
        # The start-up load counts as a successful one, as in Prometheus.
        self.metrics.reload_success.set(1)
        self.metrics.reload_timestamp.set(self.started_at)

    def owned_text(self) -> str:
        """The accounts this replica polls, in config order (`none`)."""
        return ", ".join(a.name for a in self.sharding.select(self.settings).accounts) or "none"

    @property
    def pollers(self) -> list[EndpointPoller]:
        return [job.poller for job in self.jobs.values()]

    @property
    def plans(self) -> list[Plan]:
        return [job.spec.plan for job in self.jobs.values()]

    @property
    def rendered(self) -> RenderedMetrics:
        """The cached CDN body of /metrics (self-metrics are rendered per scrape)."""
        return self.bodies.metrics

    @property
    def rendered_slices(self) -> RenderedMetrics:
        """The cached body of /metrics/slices."""
        return self.bodies.slices

    @property
    def exports_slices(self) -> bool:
        """Whether an endpoint asks for timestamped slices (`slices: true`)."""
        return any(p.settings.slices for p in self.pollers)

    def _transport(self, account: Account) -> Transport:
        transport = self.transports.get(account.name)
        if transport is None:
            transport = self.transports[account.name] = self.transport_factory()
        return transport

    def build_discoverer(self, account: Account, budget_share: float) -> DomainDiscoverer:
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

    def build_job(self, spec: JobSpec) -> Job:
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
        self.metrics.expected_data_age.labels(*labels).set(expected_data_age(spec))
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
        keep_for_billing(poller, account)
        return Job(spec, poller)

    def log_plan(self, keys: Sequence[JobKey] | None = None) -> None:
        """Log the poll plan of the jobs `keys` (every job's when None)."""
        specs = [self.jobs[key].spec for key in (self.jobs if keys is None else keys)]
        log_plans(specs, self.settings.rate_budget_share)

    async def render(self, poller: EndpointPoller | None = None, *, billing: bool = False) -> None:
        """Re-render `poller`'s part of the cached bodies (every poller's when None; the
        billing families too then, or with `billing`)."""
        await self.bodies.render(poller, billing=billing)

    async def poll_and_render(self, poller: EndpointPoller) -> Retry | None:
        """One scheduled run: poll, then refresh the cached body; returns the poll's
        retry, if it failed."""
        self.last_activity = self.clock.monotonic()
        retry = None
        try:
            retry = await poller.poll()
        except Exception:
            # A bug in one endpoint must not stop the others or the scheduler.
            log.exception(
                "%s: poll crashed; keeping the last good data",
                poller.name,
                extra={
                    "account": poller.account.name,
                    "endpoint": poller.settings.spec.name,
                    "outcome": "crash",
                },
            )
            poller.polls += 1
            poller.up = False
            poller.last_error = "crash: see the log"
            poller.recent.append(PollResult.FAILED)
        self.last_activity = self.clock.monotonic()
        self.self_metrics_epoch += 1
        billed = self.billing.after_poll(poller, self.clock.time())
        await self.render(poller, billing=billed)
        if self.state_keeper is not None:
            await self.state_keeper.save()
        return retry

    def start(self) -> None:
        """Schedule every poller; the first poll runs at once (spread by account)."""
        self.log_plan()
        self.scheduler = PollScheduler(
            self.clock, lambda direction: self.metrics.clock_steps.labels(direction).inc()
        )
        for discoverer in self.discoverers.values():
            self.schedule_discovery(discoverer)
        for job in self.jobs.values():
            self.schedule(job, self.clock.time() + job.spec.schedule.first_delay)
        self.backfills.schedule()

    def watch_loop_lag(self, interval: float = LAG_INTERVAL) -> None:
        """Measure the event loop's lag every `interval` seconds of the exporter's clock
        (cdn_exporter_event_loop_lag_seconds); stopped by `close`."""
        self.loop_lag.start(interval)

    def schedule(self, job: Job, first_run: float) -> None:
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

    def schedule_discovery(self, discoverer: DomainDiscoverer) -> None:
        """List at once, then every refresh interval (aligned, spread by account)."""
        assert self.scheduler is not None
        refresh = discoverer.settings.refresh
        offset = account_jitter(discoverer.account.name, min(refresh, DISCOVERY_SPREAD)) % refresh

        async def run() -> Retry | None:
            before = discoverer.domains
            retry = await discoverer.run()
            after = discoverer.domains
            if self.discoverers.get(discoverer.account.name) is not discoverer:
                return retry
            if after is not None and (before is None or len(after) != len(before)):
                await self.reloader.follow_discovered_sources()
            joined = before is not None and after is not None and bool(set(after) - set(before))
            if joined:
                await self.reloader.poll_now(discoverer.account.name)
            return retry

        self.scheduler.add(
            discoverer.name, run, interval=refresh, offset=offset, first_run=self.clock.time()
        )

    def reload_soon(self) -> None:
        """Reload in the background (from a signal handler); the result is logged."""
        self.reloader.reload_soon()

    async def reload(self) -> ReloadResult:
        """Read the configuration again and switch to it (see `Reloader.reload`)."""
        return await self.reloader.reload()

    async def apply(self, config: Config) -> ReloadPlan:
        """Switch to a validated `config` (see `Reloader.apply`)."""
        return await self.reloader.apply(config)

    async def close(self) -> None:
        """Stop reloads and polls (runs in progress too), then the transports they use."""
        await self.loop_lag.stop()
        await self.reloader.close()
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        for transport in self.transports.values():
            await transport.close()
