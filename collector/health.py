"""Liveness, readiness and the status snapshot, read off the daemon's jobs."""

from __future__ import annotations

from collector.app import Exporter, Job
from collector.billing.config import dimension_of
from collector.billing.ledger import Figures, Method
from collector.billing.pricing import month_cost
from collector.jobs import expected_data_age
from collector.poller import EndpointPoller
from collector.scheduler import stalled
from collector.status import BillingStatus, DiscoveryStatus, EndpointStatus, NextPoll, Status


def waiting(exporter: Exporter) -> list[EndpointPoller]:
    """Endpoints that have not had a successful poll yet."""
    return [p for p in exporter.pollers if p.last_success is None]


def ready(exporter: Exporter) -> bool:
    """True once every enabled endpoint has had a successful poll, or the start-up
    grace has passed: a pod with broken credentials then becomes ready, so its
    `cdn_up 0` is scraped and alerted on instead of hiding behind readiness."""
    if not waiting(exporter):
        return True
    # Monotonic: a step of the wall clock neither ends the grace early nor prolongs it.
    waited = exporter.clock.monotonic() - exporter.started_monotonic
    return waited >= exporter.settings.readiness_grace


def healthy(exporter: Exporter) -> bool:
    """False when the poll loop has stalled (collector.scheduler.stalled, judged on the
    monotonic clock), so a liveness probe restarts a wedged process. A replica whose
    shard has no accounts polls nothing and is healthy."""
    if not exporter.jobs:  # a shard without accounts has no loop to stall
        return True
    longest = max(p.settings.interval for p in exporter.pollers)
    return not stalled(exporter.last_activity, exporter.clock.monotonic(), longest)


def status(exporter: Exporter) -> Status:
    """What the status page, /-/ready and /-/healthy show, as of now."""
    return Status(
        now=exporter.clock.time(),
        endpoints=tuple(_endpoint(exporter, job) for job in exporter.jobs.values()),
        discovery=tuple(
            DiscoveryStatus(
                account=d.account.name,
                refresh=d.settings.refresh,
                domains=None if d.domains is None else len(d.domains),
                listings=d.runs,
                last_success=d.last_success,
                last_error=d.last_error,
            )
            for d in exporter.discoverers.values()
        ),
        sharded=exporter.sharding.sharded,
        shard=_shard_text(exporter),
        ready=ready(exporter),
        healthy=healthy(exporter),
        billing=tuple(_billing(exporter)),
    )


def _billing(exporter: Exporter) -> list[BillingStatus]:
    result = []
    for name, book in exporter.billing.accounts.items():
        backfill = exporter.backfills.get(name)
        busy = backfill is not None and backfill.busy
        for group, month, points, expected in book.coverage():
            config = book.books[group].group
            ledger = book.books[group].ledger.months.get(month)
            figures = ledger.figures() if ledger is not None else None
            method, commit = config.method, config.commit
            amount = None if commit is None else getattr(commit, dimension_of(method))
            burst = None
            if ledger is not None and method is Method.P95 and amount is not None:
                burst = ledger.burst_points_remaining(amount.value, figures)
            result.append(
                BillingStatus(
                    account=name,
                    group=group,
                    month=month,
                    points=points,
                    expected_points=expected,
                    backfilling=busy or points < expected,
                    method=method,
                    billed=_billed(method, figures),
                    forecast=0.0 if figures is None else figures.forecast(method),
                    commit=None if amount is None else amount.value,
                    burst_points=burst,
                    cost=None if figures is None else month_cost(config, figures),
                    currency=None if config.price is None else config.price.currency,
                )
            )
    return result


def _billed(method: Method, figures: Figures | None) -> float:
    """The month-to-date figure of `method` (0 before the month has a ledger)."""
    if figures is None:
        return 0.0
    return figures.traffic if method is Method.TRAFFIC else figures.bandwidth(method)


def _endpoint(exporter: Exporter, job: Job) -> EndpointStatus:
    poller, plan = job.poller, job.spec.plan
    settings = poller.settings
    scheduler = exporter.scheduler
    due = scheduler.next_runs.get(poller.name) if scheduler is not None else None
    if scheduler is None:
        kind = NextPoll.NOT_STARTED
    elif due is None:
        kind = NextPoll.RUNNING
    elif poller.retry is None:
        kind = NextPoll.DUE
    else:
        kind = NextPoll.AUTH_PAUSE if poller.retry.hold else NextPoll.RETRY
    return EndpointStatus(
        account=poller.account.name,
        provider=poller.provider.name,
        endpoint=settings.spec.name,
        chosen_over=settings.chosen_over,
        interval=plan.interval,
        calls_per_poll=plan.calls_per_cycle,
        fewest_calls=plan.minimum_calls,
        budget_share=plan.budget_share,
        polls=poller.polls,
        up=poller.up,
        last_success=poller.last_success,
        data_end=poller.store.newest_settled_end,
        counting_from=poller.store.baseline,
        expected_data_age=expected_data_age(job.spec),
        next_poll=due,
        next_kind=kind,
        last_error=poller.last_error,
        recent=tuple(poller.recent),
    )


def _shard_text(exporter: Exporter) -> str:
    """`Shard 1 of 3 (ordinals 0-2): 2 of 7 account(s): a, b`; `Not sharded` for one."""
    sharding, settings = exporter.sharding, exporter.settings
    if not sharding.sharded:
        return f"Not sharded (--total-shards 1): every account ({len(settings.accounts)})"
    text = sharding.describe(settings)
    return f"{text[0].upper()}{text[1:]}: {exporter.owned_text()}"
