"""The poll jobs a configuration asks for, and what a reload does to each: pure.

A job is one (account, endpoint). Two jobs build the same poller when the account
(its connection, credentials, domains, filters, offset, timeout; not its other
endpoints) and the endpoint's effective settings (the poll plan's interval applied)
are equal. A reload keeps such pollers, with their slice store and counters; when
only the schedule moved (the account's jitter changed) the poller is kept and its
job restarted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from collector.config.endpoints import newest_slice_age, source_for
from collector.config.runtime import Account, Config
from collector.planner import Plan, plan_endpoint, windows_per_poll
from collector.providers import get_provider
from collector.providers.base import Provider
from collector.providers.endpoint import EndpointSettings
from collector.scheduler import account_jitter

log = logging.getLogger(__name__)

JobKey = tuple[str, str]  # (account name, endpoint name)

# Polls fire this long after a slice boundary plus the settle delay, so the slice
# the delay just released is there to read.
FIRE_AFTER_BOUNDARY = 5.0


def build_plan(provider: Provider[Any], account: Account, settings: EndpointSettings) -> Plan:
    """The poll plan of one endpoint: calls per cycle against its rate budget."""
    spec = settings.spec
    window = settings.settle_delay + settings.reread + settings.granularity
    pieces = windows_per_poll(window, settings.max_span, settings.granularity)
    published = replace(settings, max_domains_per_call=spec.max_domains_per_call)
    return plan_endpoint(
        account=account.name,
        endpoint=spec.name,
        interval=settings.interval,
        calls_per_cycle=len(provider.call_targets(account, settings)) * pieces,
        limit=settings.rate_limit,
        granularity=settings.granularity,
        minimum_calls=len(provider.call_targets(account, published)) * pieces,
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a job fires: every `interval` at `offset` past the epoch-aligned boundary;
    its first run `first_delay` after it starts."""

    interval: int
    offset: float
    first_delay: float


@dataclass(frozen=True, slots=True)
class JobSpec:
    """Everything one poller and its job are built from."""

    account: Account  # as configured (the poller's), other endpoints included
    settings: EndpointSettings  # effective: the plan's interval applied
    plan: Plan
    schedule: Schedule

    @property
    def key(self) -> JobKey:
        return (self.account.name, self.settings.spec.name)

    @property
    def identity(self) -> tuple[Account, EndpointSettings]:
        """What the poller depends on: equal identities build the same poller (an
        account's explicit shard only decides which replica polls it; its billing groups
        are the billing keeper's)."""
        return (replace(self.account, endpoints=(), shard=None, billing=()), self.settings)


def job_specs(config: Config, discovered: Mapping[str, int] | None = None) -> list[JobSpec]:
    """Every enabled (account, endpoint) of `config`, in config order; `discovered` (domains
    listed, by account name) makes the source choices discovery deferred."""
    specs = []
    for account in config.accounts:
        provider = get_provider(account.provider)
        jitter = account_jitter(account.name, config.account_jitter)
        listed = (discovered or {}).get(account.name, 0)
        for settings in account.endpoints:
            settings = source_for(settings, listed)
            plan = build_plan(provider, account, settings)
            if plan.raised:
                settings = replace(settings, interval=plan.interval)
            offset = (settings.settle_delay % settings.interval) + FIRE_AFTER_BOUNDARY + jitter
            schedule = Schedule(
                interval=settings.interval,
                offset=offset % settings.interval,
                first_delay=min(jitter, 1.0),
            )
            specs.append(JobSpec(account, settings, plan, schedule))
    return specs


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """What a reload does to each job, by key, each tuple in config order."""

    keep: tuple[JobKey, ...] = ()  # same poller, same schedule: untouched
    reschedule: tuple[JobKey, ...] = ()  # same poller, its job restarted on a new schedule
    rebuild: tuple[JobKey, ...] = ()  # settings changed: a new poller (state starts afresh)
    remove: tuple[JobKey, ...] = ()  # gone from the config: poller and series go
    add: tuple[JobKey, ...] = ()  # new in the config

    @property
    def changed(self) -> bool:
        return bool(self.reschedule or self.rebuild or self.remove or self.add)

    def summary(self) -> str:
        parts = [
            f"{len(self.keep) + len(self.reschedule)} kept",
            f"{len(self.rebuild)} rebuilt",
            f"{len(self.remove)} removed",
            f"{len(self.add)} added",
        ]
        if self.reschedule:
            parts[0] += f" ({len(self.reschedule)} rescheduled)"
        return ", ".join(parts)


def diff_jobs(old: Sequence[JobSpec], new: Sequence[JobSpec]) -> ReloadPlan:
    """Which jobs of `old` a switch to `new` keeps, rebuilds, removes or adds."""
    before = {spec.key: spec for spec in old}
    after = {spec.key for spec in new}
    keep: list[JobKey] = []
    reschedule: list[JobKey] = []
    rebuild: list[JobKey] = []
    add: list[JobKey] = []
    for spec in new:
        previous = before.get(spec.key)
        if previous is None:
            add.append(spec.key)
        elif previous.identity != spec.identity:
            rebuild.append(spec.key)
        elif previous.schedule != spec.schedule:
            reschedule.append(spec.key)
        else:
            keep.append(spec.key)
    remove = [spec.key for spec in old if spec.key not in after]
    return ReloadPlan(tuple(keep), tuple(reschedule), tuple(rebuild), tuple(remove), tuple(add))


def expected_data_age(spec: JobSpec) -> int:
    """How old the newest exported slice of `spec` gets between its planned polls."""
    return newest_slice_age(spec.settings, spec.plan.interval)


def log_plans(specs: Sequence[JobSpec], budget_share: float) -> None:
    """One line per job: its interval, calls per poll beside the fewest possible, its
    share of the limit and how old its newest slice normally is."""
    for spec in specs:
        plan, settings = spec.plan, spec.settings
        limit = settings.rate_limit
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
            f" (this replica's rate_budget_share {budget_share:g} of the limit)"
            if budget_share < 1
            else "",
            expected_data_age(spec),
        )
        if settings.chosen_over:
            log.info(
                "poll plan %s/%s: chosen over %s", plan.account, plan.endpoint, settings.chosen_over
            )
