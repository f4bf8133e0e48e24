"""Apply an account's endpoint overrides to the provider catalog."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from collector.accountconfig import AccountBase, EndpointOverride
from collector.model import RateLimit
from collector.planner import plan_endpoint, windows_per_poll
from collector.providers.base import Provider
from collector.providers.endpoint import Endpoint, EndpointSettings, FanOut
from collector.timeslices import HOUR, MINUTE, granularity_name

DEFAULT_BACKFILL = 6 * HOUR
DEFAULT_EXPIRE_AFTER_POLLS = 10


def default_interval(granularity: int) -> int:
    """Poll once a slice, but at least every hour (daily data is caught as it lands)."""
    return min(max(granularity, MINUTE), HOUR)


def default_reread(granularity: int) -> int:
    """Margin re-read beyond the settle delay: ten minutes or two slices."""
    return max(10 * MINUTE, 2 * granularity)


def check_override(spec: Endpoint, override: EndpointOverride) -> list[str]:
    """Problems with an override, as `field: reason` relative to the endpoint."""
    problems = []
    if override.granularity is not None and override.granularity not in spec.granularities:
        allowed = ", ".join(granularity_name(g) for g in spec.granularities)
        problems.append(
            f"granularity: {granularity_name(override.granularity)} is not offered "
            f"by {spec.path} (allowed: {allowed})"
        )
    limit = override.rate_limit
    if limit is not None and (
        limit.calls > spec.rate_limit.calls
        or limit.calls / limit.period > spec.rate_limit.per_second
    ):
        problems.append(
            f"rate_limit: {limit.calls}/{limit.period}s is above the published "
            f"{spec.rate_limit.calls}/{spec.rate_limit.period}s"
        )
    if override.slices and spec.point_at_window_start:
        # A month-to-date figure stamped at its window's start is no settled slice: it
        # would sit before the re-read window /metrics/slices exposes, and never show.
        problems.append(
            f"slices: {spec.path} answers one figure over its whole window (stamped at the "
            "window's start), not settled slices; it stays on /metrics"
        )
    cap = override.max_domains_per_call
    if cap is not None and cap > spec.max_domains_per_call:
        problems.append(
            f"max_domains_per_call: {cap} is above the catalog's {spec.max_domains_per_call}"
            + (" (this endpoint takes no domain list)" if spec.max_domains_per_call == 0 else "")
        )
    return problems


def backfill_for(spec: Endpoint, granularity: int, max_backfill: int) -> int:
    """How far back a poll may reach: the configured maximum (at least three slices),
    never beyond what the API still answers."""
    backfill = max(max_backfill, 3 * granularity)
    if spec.history:
        backfill = min(backfill, spec.history - granularity)
    return backfill


def resolve_endpoint(
    spec: Endpoint,
    override: EndpointOverride | None,
    *,
    max_backfill: int = DEFAULT_BACKFILL,
    budget_share: float = 1.0,
) -> EndpointSettings:
    """Catalog defaults with `override` applied (assumed already checked); the rate limit
    is this replica's `budget_share` of it."""
    o = override or EndpointOverride()
    # An offered one, else the default: a bad override is reported by check_override.
    granularity = o.granularity if o.granularity in spec.granularities else spec.granularities[0]
    limit = spec.rate_limit
    if o.rate_limit is not None:
        limit = RateLimit(o.rate_limit.calls, o.rate_limit.period)
    return EndpointSettings(
        spec=spec,
        interval=o.interval or default_interval(granularity),
        settle_delay=spec.granularity(granularity).data_delay if o.delay is None else o.delay,
        reread=default_reread(granularity) if o.reread is None else o.reread,
        granularity=granularity,
        rate_limit=limit.share(budget_share),
        backfill=backfill_for(spec, granularity, max_backfill),
        max_domains_per_call=o.max_domains_per_call or spec.max_domains_per_call,
        max_series=o.max_series or 0,
        expire_after_polls=o.expire_after_polls or DEFAULT_EXPIRE_AFTER_POLLS,
        slices=bool(o.slices),
    )


def expected_staleness(settings: EndpointSettings, domains: int) -> tuple[int, int]:
    """(planned interval, normal age of the newest slice) of an endpoint polling `domains`
    domains within its limit: what choosing between alternative sources compares."""
    spec = settings.spec
    if spec.fan_out is FanOut.PER_DOMAIN:
        targets = domains
    elif spec.fan_out is FanOut.DOMAIN_BATCHES:
        targets = math.ceil(domains / settings.max_domains_per_call)
    else:
        targets = 1
    window = settings.settle_delay + settings.reread + settings.granularity
    plan = plan_endpoint(
        account="",
        endpoint=spec.name,
        interval=settings.interval,
        calls_per_cycle=max(1, targets)
        * windows_per_poll(window, settings.max_span, settings.granularity),
        limit=settings.rate_limit,
        granularity=settings.granularity,
    )
    return plan.interval, newest_slice_age(settings, plan.interval)


def newest_slice_age(settings: EndpointSettings, interval: int) -> int:
    """How old the newest exported slice gets between polls every `interval` seconds: it
    settles (the settle delay), the poll after that lands up to a slice later, and the
    data then waits for the next poll (the interval). An endpoint whose point is stamped
    at its window's start (P95: a range ending there) trails further: the window starts
    the re-read margin before the settled horizon, or a slice before the last poll's
    horizon when that reaches further back (poller.poll_window)."""
    age = settings.settle_delay + settings.granularity + interval
    if settings.spec.point_at_window_start:
        age += max(settings.reread, interval + settings.granularity)
    return age


def choose_source(
    chosen: EndpointSettings,
    account: AccountBase,
    provider: Provider[Any],
    taken: set[tuple[str, str]],
    **resolve: Any,
) -> EndpointSettings:
    """`chosen`, or the fresher of its documented alternatives for the account's domain
    count. The config decides instead when it configures any of them (`enabled`, a
    rate limit, an interval: settings written for one source stay with it); an
    alternative whose API path another enabled endpoint already polls (sharing its rate
    limit) is not taken. An account whose domains are discovered gets `chosen` with the
    choice `deferred` until its domains are known (`source_for`)."""
    names = (chosen.spec.name, *chosen.spec.alternatives)
    overrides = account.endpoints
    if any(overrides.get(n) is not None for n in names):
        return chosen
    options = [chosen]
    for name in chosen.spec.alternatives:
        spec = provider.catalog[name]
        if (spec.method, spec.path) not in taken:
            other = resolve_endpoint(spec, overrides.get(name), **resolve)
            options.append(replace(other, slices=chosen.slices))
    if len(options) == 1:
        return chosen
    if account.discovery is not None:
        return replace(chosen, deferred=tuple(options))
    return _freshest(options, len(account.domains))


def source_for(settings: EndpointSettings, domains: int) -> EndpointSettings:
    """The deferred choice of `settings` made for `domains` discovered domains (itself when
    nothing is deferred or no domain is known yet); the result defers the same choice,
    so a later listing can make it again."""
    if not settings.deferred or domains <= 0:
        return settings
    return replace(_freshest(settings.deferred, domains), deferred=settings.deferred)


def _freshest(options: Sequence[EndpointSettings], domains: int) -> EndpointSettings:
    """The option whose plan leaves the newest slice youngest for `domains` (ties: the
    first), noting what it was chosen over."""
    first = options[0]
    if not domains:
        return first
    best, plan = first, expected_staleness(first, domains)
    default = plan
    for other in options[1:]:
        other_plan = expected_staleness(other, domains)
        if other_plan[1] < plan[1]:
            best, plan = other, other_plan
    if best is first:
        return replace(first, chosen_over="")
    note = (
        f"{first.spec.name} for {domains} domains: every {plan[0]}s and {plan[1]}s stale "
        f"instead of every {default[0]}s and {default[1]}s"
    )
    return replace(best, chosen_over=note)


def enabled_endpoints(
    account: AccountBase,
    provider: Provider[Any],
    *,
    max_backfill: int = DEFAULT_BACKFILL,
    budget_share: float = 1.0,
) -> list[EndpointSettings]:
    """The endpoints this account polls: defaults unless opt-in, as overridden."""
    result = []
    for name, spec in provider.catalog.items():
        override = account.endpoints.get(name)
        enabled = not spec.opt_in
        if override is not None and override.enabled is not None:
            enabled = override.enabled
        if enabled:
            result.append(
                resolve_endpoint(
                    spec, override, max_backfill=max_backfill, budget_share=budget_share
                )
            )
    taken = {(s.spec.method, s.spec.path) for s in result}
    return [
        choose_source(
            s, account, provider, taken, max_backfill=max_backfill, budget_share=budget_share
        )
        if s.spec.alternatives
        else s
        for s in result
    ]


def shared_families(endpoints: list[EndpointSettings]) -> list[str]:
    """Problems where two enabled endpoints feed one family: the same series would be
    exported twice (and a sum would double count), so only one of them may be on."""
    feeders: dict[str, list[str]] = {}
    for settings in endpoints:
        for family in settings.spec.families:
            feeders.setdefault(family.name, []).append(settings.spec.name)
    return [
        f"endpoints.{names[-1]}: feeds {family} like {', '.join(names[:-1])}; "
        "enable only one of them"
        for family, names in feeders.items()
        if len(names) > 1
    ]
