"""Reloads: read the configuration again and switch the daemon's jobs to it, keeping
what did not change; discovery's re-plans go through the same switch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from collector.billingkeeper import keep_for_billing
from collector.config.loading import ConfigError
from collector.config.runtime import Config
from collector.jobs import ReloadPlan, diff_jobs, job_specs
from collector.scheduler import STOP_TIMEOUT, next_aligned

if TYPE_CHECKING:
    from collector.app import Exporter

log = logging.getLogger(__name__)

ConfigLoader = Callable[[], Config]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: the plan it applied, or the problems that stopped it."""

    ok: bool
    problems: tuple[str, ...] = ()
    plan: ReloadPlan | None = None


class Reloader:
    """Switches `exporter` to a new configuration: from `config_loader` on a reload
    (SIGHUP, /-/reload), or the running one again when discovered domains change which
    source an endpoint is best polled from. One switch at a time."""

    def __init__(self, exporter: Exporter, config_loader: ConfigLoader | None) -> None:
        self.exporter = exporter
        # Reads and validates the configuration again (None: nothing to reload).
        self.config_loader = config_loader
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[ReloadResult]] = set()

    def reload_soon(self) -> None:
        """Reload in the background (from a signal handler); the result is logged."""
        task = asyncio.create_task(self.reload(), name="reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel the reloads in progress."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)

    async def reload(self) -> ReloadResult:
        """Read the configuration again and switch to it; on any problem keep the
        running one and log each problem as `path: reason`."""
        try:
            return await self._reload()
        finally:
            self.exporter.self_metrics_epoch += 1

    async def _reload(self) -> ReloadResult:
        exporter = self.exporter
        metrics = exporter.metrics
        async with self._lock:
            if self.config_loader is None:
                problem = "nothing to reload: no --config file (the demo's is built in)"
                log.warning("config reload: %s", problem)
                return ReloadResult(ok=False, problems=(problem,))
            try:
                # Reading files (secrets too) is blocking I/O: off the event loop.
                config = await asyncio.to_thread(self.config_loader)
                # An explicit shard this replica's --total-shards does not have.
                shard_problems = exporter.sharding.problems(config)
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
                    metrics.reload_success.set(0)
                    return ReloadResult(ok=False, problems=(f"(internal): {exc!r}",))
                metrics.reload_success.set(1)
                metrics.reload_timestamp.set(exporter.clock.time())
                log.info("config reloaded: %s", plan.summary())
                if exporter.sharding.sharded:
                    log.info("%s: %s", exporter.sharding.describe(config), exporter.owned_text())
                return ReloadResult(ok=True, plan=plan)
            for problem in problems:
                log.error("config reload failed: %s", problem)
            log.error(
                "config reload failed with %d problem(s); keeping the running configuration",
                len(problems),
            )
            metrics.reload_success.set(0)
            return ReloadResult(ok=False, problems=problems)

    async def apply(self, config: Config) -> ReloadPlan:
        """Switch to a validated `config`: pollers of unchanged endpoints keep their
        state, store and counters; changed ones start afresh; removed ones and their
        series go; new ones start. Only the accounts on this shard get jobs: an account
        that moves to another shard is removed here and added there."""
        exporter = self.exporter
        problems = exporter.sharding.problems(config)
        if problems:
            raise ConfigError(problems)
        owned = exporter.sharding.select(config)
        await self._apply_discovery(owned)
        specs = job_specs(owned, self._discovered_counts())
        plan = diff_jobs([job.spec for job in exporter.jobs.values()], specs)
        # New pollers first: if building one fails, the running jobs are untouched.
        new_keys = {*plan.add, *plan.rebuild}
        fresh = {spec.key: exporter.build_job(spec) for spec in specs if spec.key in new_keys}
        if exporter.scheduler is not None:
            for key in (*plan.reschedule, *plan.rebuild, *plan.remove):
                await exporter.scheduler.remove(exporter.jobs[key].poller.name)
        if config.listen_address != exporter.settings.listen_address:
            log.warning("listen_address changes take effect at the next start")
        # From here to the end of the switch nothing awaits: scrapes and polls see
        # the old jobs or the new ones, never a mix.
        for key in (*plan.rebuild, *plan.remove):
            exporter.jobs[key].poller.store.forget_all()
        exporter.series_budget.limit = config.max_series
        old = exporter.jobs
        jobs = {
            spec.key: fresh.get(spec.key) or replace(old[spec.key], spec=spec) for spec in specs
        }
        exporter.jobs = jobs
        exporter.settings = config
        exporter.billing.follow(owned.accounts)
        for job in jobs.values():
            keep_for_billing(job.poller, job.spec.account)
        live = {job.poller.labels for job in jobs.values()}
        live |= {d.labels for d in exporter.discoverers.values()}  # listing calls' self-metrics
        exporter.metrics.forget_endpoints_except(live)
        exporter.metrics.shard_accounts.set(len(owned.accounts))
        exporter.metrics.rate_budget_share.set(config.rate_budget_share)
        owned_names = {a.name for a in owned.accounts}
        gone = [name for name in exporter.transports if name not in owned_names]
        closing = [exporter.transports.pop(name) for name in gone]
        if exporter.scheduler is not None:
            now = exporter.clock.time()
            for key in (*plan.rebuild, *plan.add):
                exporter.schedule(jobs[key], now + jobs[key].spec.schedule.first_delay)
            for key in plan.reschedule:
                schedule = jobs[key].spec.schedule
                exporter.schedule(jobs[key], next_aligned(now, schedule.interval, schedule.offset))
            exporter.backfills.schedule()
        exporter.log_plan([*plan.rebuild, *plan.add])
        for transport in closing:
            await transport.close()
        await exporter.render()
        return plan

    async def _apply_discovery(self, config: Config) -> None:
        """Keep the discoverers of accounts whose connection and discovery settings are
        unchanged (their list too); start new ones, stop those gone."""
        exporter = self.exporter
        discoverers = exporter.discoverers
        wanted = {a.name: a for a in config.accounts if a.discovery is not None}
        for name, old in list(discoverers.items()):
            account = wanted.get(name)
            if (
                account is not None
                and account.discovery is not None
                and replace(account, endpoints=()) == old.account
                and account.discovery.rate_limit.share(config.rate_budget_share)
                == old.settings.rate_limit
            ):
                continue
            if exporter.scheduler is not None:
                await exporter.scheduler.remove(old.name)
            del discoverers[name]
        for name, account in wanted.items():
            if name in discoverers:
                continue
            discoverers[name] = discoverer = exporter.build_discoverer(
                account, config.rate_budget_share
            )
            if exporter.scheduler is not None:
                exporter.schedule_discovery(discoverer)
        exporter.metrics.forget_discovery_except({d.labels[:2] for d in discoverers.values()})

    def _discovered_counts(self) -> dict[str, int]:
        """Domains each discovering account's last successful listing gave, by name."""
        discoverers = self.exporter.discoverers
        return {n: len(d.domains) for n, d in discoverers.items() if d.domains is not None}

    async def follow_discovered_sources(self) -> None:
        """Switch to the sources the discovered domain counts make freshest (per-domain
        hit ratio from the batched report for many domains, say): the configuration is
        applied again with the counts known, so only the endpoints whose choice changed
        are replaced (their pollers start afresh). Not during a reload, which chooses
        with the counts by itself."""
        exporter = self.exporter
        if exporter.scheduler is None or self._lock.locked():
            return
        owned = exporter.sharding.select(exporter.settings)
        if {spec.key for spec in job_specs(owned, self._discovered_counts())} == set(exporter.jobs):
            return
        async with self._lock:
            plan = await self.apply(exporter.settings)
        log.info("discovered domains changed a source choice: %s", plan.summary())

    async def poll_now(self, account: str) -> None:
        """Poll the account's domain endpoints at once, so domains that just joined are
        polled within one refresh interval of appearing. Idle pollers are rescheduled to
        run now; one in the middle of a poll runs again right after it (its poll sees
        the new list at its end). Not during a reload, which reschedules by itself."""
        exporter = self.exporter
        if exporter.scheduler is None or self._lock.locked():
            return
        async with self._lock:
            now = exporter.clock.time()
            for key, job in list(exporter.jobs.items()):
                poller = job.poller
                if key[0] != account or poller.settings.spec.max_domains_per_call == 0:
                    continue
                if poller.polling or exporter.jobs.get(key) is not job:
                    continue
                await exporter.scheduler.remove(poller.name)
                exporter.schedule(job, now)
