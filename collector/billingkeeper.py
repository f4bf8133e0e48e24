"""Month-to-date billing of the accounts' groups, fed from their bandwidth polls."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collector.billing.calendar import SLOT_SECONDS, BillingMonth
from collector.billing.config import BILLING_ENDPOINTS, BillingGroup
from collector.billing.families import BillingSample, GroupState, billing_samples
from collector.billing.ledger import BANDWIDTH_METHODS, GroupLedger, Method, MonthLedger
from collector.config.runtime import Account
from collector.exposition import FamilySamples
from collector.families import BANDWIDTH
from collector.model import PointColumns
from collector.planner import Plan
from collector.poller import EndpointPoller
from collector.providers.endpoint import EndpointSettings, Query
from collector.providers.wangsu.catalog_billing import (
    BILLING_OFFSET,
    CHANNEL_CHARGE_BANDWIDTH,
    PERZONE_BILLING_BANDWIDTH,
)
from collector.timeslices import Window

log = logging.getLogger(__name__)

# A finished month's final figures stay exported this long after it ends (for invoice
# comparison), then the month is dropped.
FINISHED_MONTH_KEPT = 3 * 86400
# Volcengine's DescribeLiveP95PeakBandwidthData: the provider's own p95, per domain (or
# the account total, `*`, when no domain is listed).
PROVIDER_P95_ENDPOINT = "p95_peak_bandwidth"
PROVIDER_P95_FAMILY = "cdn_live_p95_peak_bandwidth_bytes_per_second"


@dataclass(frozen=True, slots=True)
class ProviderReport:
    """A report of the provider's own month-to-date billing figures: the family holding
    them (labels: the domain or `*`, then the method unless `method` is fixed) and the
    zone of the months it reports, which a group's time_zone must be (None: any)."""

    family: str
    method: Method | None = None
    zone: int | None = None


# The provider reports by endpoint; Wangsu/CDNetworks' report GMT+08:00 months.
PROVIDER_REPORTS = {
    PROVIDER_P95_ENDPOINT: ProviderReport(PROVIDER_P95_FAMILY, Method.P95),
    "channel_value": ProviderReport(CHANNEL_CHARGE_BANDWIDTH.name, zone=BILLING_OFFSET),
    "perzone_billing": ProviderReport(PERZONE_BILLING_BANDWIDTH.name, zone=BILLING_OFFSET),
}
STATE_VERSION = 1
# Two readings of a slice closer than this are the same point (providers print 2
# decimals; sums of them differ in float noise only).
_SAME = 1e-9


def billing_retention(settings: EndpointSettings) -> int:
    """How long the bandwidth report's store keeps slice values when billed from: all a
    poll's window can reach back (the backfill after an outage or restart, or one
    interval and the settle delay and re-read), so every settled slice a poll reads is
    still there for the groups when it ends; and two slices."""
    reach = max(settings.backfill, settings.interval + settings.settle_delay + settings.reread)
    return reach + 2 * settings.granularity


def billing_window(settings: EndpointSettings) -> int:
    """The ledger's revision window in slots: every slice the store holds, plus one."""
    return billing_retention(settings) // SLOT_SECONDS + 1


@dataclass(slots=True)
class GroupBook:
    """One group: its ledger and the points last recorded into it, by slice end, for
    the slices the store still re-reads (an unchanged re-read is not recorded again)."""

    group: BillingGroup
    ledger: GroupLedger
    recorded: dict[int, float] = field(default_factory=dict)
    # Every slice ending at or before this has a point (a point never goes while its
    # month is held): where the search for a gap resumes.
    whole_through: int = 0

    def record(self, end: int, value: float) -> bool:
        """Record the point of the slice ending at `end` if it is new or changed."""
        old = self.recorded.get(end)
        if old is not None and math.isclose(old, value, rel_tol=_SAME, abs_tol=_SAME):
            return False
        self.recorded[end] = value
        self.ledger.record(end, value)
        return True

    def has(self, end: int) -> bool:
        """Whether the slice ending at `end` has a point (in a month still held)."""
        if end in self.recorded:
            return True
        month = BillingMonth.of_slice(end, self.ledger.offset)
        ledger = self.ledger.months.get(month.key)
        return ledger is not None and ledger.has(end)

    def first_gap(self, settled_until: int) -> int | None:
        """The end of the oldest slice of the current month, settled by
        `settled_until`, without a point (None: none)."""
        month = BillingMonth.of(settled_until, self.ledger.offset)
        ledger = self.ledger.months.get(month.key)
        last = month.start + month.slots_until(settled_until) * SLOT_SECONDS
        first = max(month.start, self.whole_through) + SLOT_SECONDS
        for end in range(first, last + 1, SLOT_SECONDS):
            if ledger is None or not ledger.has(end):
                return end
            self.whole_through = end
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger.to_dict(),
            "recorded": [[end, value] for end, value in sorted(self.recorded.items())],
        }


class AccountBilling:
    """One account's groups: each 5-minute slice of its bandwidth report summed per
    group (every direction: the providers bill up and down together) into the group's
    ledger; the month opens at its first instant and a finished month is dropped
    FINISHED_MONTH_KEPT after its end."""

    def __init__(self, account: Account, settings: EndpointSettings) -> None:
        self.account = account
        self.endpoint = settings.spec.name
        self.retention = billing_retention(settings)
        self.window = billing_window(settings)
        self.books = {
            group.name: GroupBook(
                group,
                GroupLedger(group.offset, self.window, valid_days_only=group.valid_days_only),
            )
            for group in account.billing
        }
        self.owner = {d: g.name for g in account.billing for d in g.domains}  # listed ones
        self._rest = next((g.name for g in account.billing if not g.domains), None)
        self.settled_until: int | None = None  # the bandwidth poll's horizon

    def group_of(self, domain: str) -> str | None:
        """The group billing `domain` (None: no group lists it and none takes the rest);
        groups list their domains in lower case, as host names compare."""
        return self.owner.get(domain.lower(), self._rest)

    def observe(self, poller: EndpointPoller) -> bool:
        """After a poll of the bandwidth report: record each group's new or changed
        points of the settled slices the store holds. True if a figure changed."""
        if poller.horizon is None:
            return False
        horizon = int(poller.horizon)
        self.settled_until = horizon
        if poller.up is not True:
            # Some calls failed: a group's sums could miss domains. The next good poll
            # reads from the last complete one again, and records them whole.
            return False
        changed = False
        for rows in poller.store.slice_rows():
            if rows.family.name != BANDWIDTH.name:
                continue
            groups = [self.group_of(labels[0]) for labels in rows.labels[: rows.size]]
            for end, column in zip(rows.ends, rows.columns, strict=True):
                if end % SLOT_SECONDS:
                    continue  # off the billing grid (an offset not in 5 minutes)
                sums: dict[str, float] = {}
                for group, value in zip(groups, column, strict=False):
                    if group is not None and not math.isnan(value):
                        sums[group] = sums.get(group, 0.0) + value
                for group, value in sums.items():
                    changed |= self.books[group].record(end, value)
        for book in self.books.values():
            cutoff = horizon - self.retention
            for end in [e for e in book.recorded if e < cutoff]:
                del book.recorded[end]
        return changed

    def fill(self, points: PointColumns) -> bool:
        """Add a backfill's points: each group's sum per slice, for the slices no group
        point holds yet (what the regular polls fed stays). True if a figure changed."""
        sums: dict[tuple[str, int], float] = {}
        for family, labels, end, value in points.rows():
            group = self.group_of(labels[0]) if family.name == BANDWIDTH.name else None
            if group is not None and end % SLOT_SECONDS == 0 and not math.isnan(value):
                sums[group, end] = sums.get((group, end), 0.0) + value
        changed = False
        for (group, end), value in sorted(sums.items(), key=lambda item: item[0][1]):
            book = self.books[group]
            if self.settled_until is None or end > self.settled_until or book.has(end):
                continue
            changed |= book.record(end, value)
        return changed

    def next_gap(self, max_span: int) -> Window | None:
        """The oldest window (at most `max_span`) holding a settled slice of a group's
        current month that has no point yet; None when every month so far is whole."""
        if self.settled_until is None:
            return None
        oldest: int | None = None
        for book in self.books.values():
            gap = book.first_gap(self.settled_until)
            if gap is not None and (oldest is None or gap < oldest):
                oldest = gap
        if oldest is None:
            return None
        start = oldest - SLOT_SECONDS
        end = min(start + max_span - max_span % SLOT_SECONDS, self.settled_until)
        return Window(start=start, end=max(end, oldest), slice_seconds=SLOT_SECONDS)

    def coverage(self) -> list[tuple[str, str, int, int]]:
        """(group, month, points, expected points) of each group's current month."""
        if self.settled_until is None:
            return []
        result = []
        for name, book in self.books.items():
            month = BillingMonth.of(self.settled_until, book.group.offset)
            ledger = book.ledger.months.get(month.key)
            points = ledger.figures().points if ledger is not None else 0
            result.append((name, month.key, points, month.slots_until(self.settled_until)))
        return result

    def observe_provider(self, poller: EndpointPoller, report: ProviderReport) -> bool:
        """After a poll of a provider's billing report: a group's figure where the call's
        answer is the group's own, i.e. the group is one domain, or the rest of an account
        polled as a whole (`*`), and the report's months are the group's (its zone); sums
        of per-domain figures are never a group's figure."""
        changed = False
        for (family, labels), (end, value) in poller.store.gauges.items():
            if family.name != report.family:
                continue
            domain = labels[0]
            method = report.method
            if method is None:
                if labels[1] not in BANDWIDTH_METHODS:
                    continue  # a charge method we do not bill by (or traffic)
                method = Method(labels[1])
            for book in self.books.values():
                own = book.group.domains == [domain] or (
                    domain == "*" and not book.group.domains and not self.owner
                )
                if not own or report.zone not in (None, book.group.offset):
                    continue
                month = book.ledger.months.get(BillingMonth.of(end - 1, book.group.offset).key)
                if month is not None and month.provider.get(method) != value:
                    month.provider[method] = value
                    changed = True
        return changed

    def roll(self, now: float) -> bool:
        """Open each group's month at its first instant; drop a month finished more than
        FINISHED_MONTH_KEPT ago. True if a month opened or went."""
        changed = False
        for book in self.books.values():
            ledger = book.ledger
            current = BillingMonth.of(int(now), ledger.offset)
            if current.key not in ledger.months:
                ledger.months[current.key] = MonthLedger(
                    current, ledger.window, valid_days_only=ledger.valid_days_only
                )
                changed = True
            for key, month in list(ledger.months.items()):
                if month.month.end + FINISHED_MONTH_KEPT <= now and key != current.key:
                    del ledger.months[key]
                    changed = True
        return changed

    def states(self) -> list[GroupState]:
        return [GroupState(self.account.name, b.group, b.ledger) for b in self.books.values()]

    def restore(self, saved: dict[str, Any]) -> list[str]:
        """Continue the groups saved under this account (group name -> GroupBook.to_dict);
        returns what could not be kept, one line each."""
        dropped = []
        for name, data in saved.items():
            book = self.books.get(name)
            if book is None:
                dropped.append(f"group {name}: not in this config")
                continue
            try:
                ledger = GroupLedger.from_dict(data["ledger"])
                recorded = {int(end): float(value) for end, value in data["recorded"]}
            except (KeyError, TypeError, ValueError) as exc:
                dropped.append(f"group {name}: unreadable ({exc})")
                continue
            group = book.group
            if (ledger.offset, ledger.valid_days_only) != (group.offset, group.valid_days_only):
                dropped.append(f"group {name}: its time_zone or valid_days_only changed")
                continue
            ledger.window = self.window
            for month in ledger.months.values():
                month.window = self.window
            book.ledger, book.recorded = ledger, recorded
        return dropped


class BillingKeeper:
    """Every account's billing on this replica: fed after polls, rendered into
    /metrics (one chunk owner), persisted in the state file's billing section."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountBilling] = {}
        self.changes = 0  # bumped whenever a figure changes (a render and a write are due)

    def follow(self, accounts: Iterable[Account]) -> None:
        """Keep a book for each account with billing groups: an unchanged group keeps
        its ledger, a new or changed one starts afresh (and is backfilled), a gone one
        goes. A group that takes the rest of the account changes with the other groups'
        domains."""
        books = {}
        for account in accounts:
            settings = billing_settings(account)
            if not account.billing or settings is None:
                continue
            old = self.accounts.get(account.name)
            if old is None or old.window != billing_window(settings):
                books[account.name] = AccountBilling(account, settings)
                continue
            if old.account.billing == account.billing:
                books[account.name] = old
                continue
            fresh = books[account.name] = AccountBilling(account, settings)
            fresh.settled_until = old.settled_until
            rest_kept = old.owner == fresh.owner
            for name, book in fresh.books.items():
                kept = old.books.get(name)
                same = kept is not None and kept.group == book.group
                if kept is not None and same and (book.group.domains or rest_kept):
                    fresh.books[name] = kept
        if books.keys() != self.accounts.keys() or any(
            books[n] is not self.accounts.get(n) for n in books
        ):
            self.changes += 1
        self.accounts = books

    def after_poll(self, poller: EndpointPoller, now: float) -> bool:
        """Feed `poller`'s poll to its account's groups; True if a figure changed."""
        book = self.accounts.get(poller.account.name)
        if book is None:
            return False
        changed = book.roll(now)
        if poller.settings.spec.name == book.endpoint:
            changed |= book.observe(poller)
        elif poller.settings.spec.name in PROVIDER_REPORTS:
            report = PROVIDER_REPORTS[poller.settings.spec.name]
            changed |= book.observe_provider(poller, report)
        if changed:
            self.changes += 1
        return changed

    def samples(self) -> list[BillingSample]:
        result: list[BillingSample] = []
        for book in self.accounts.values():
            if book.settled_until is not None:
                result += billing_samples(book.states(), book.settled_until)
        return result

    def families(self) -> list[FamilySamples]:
        """The billing families (labels: provider and account, as on every CDN family,
        then the family's own)."""
        providers = {name: book.account.provider for name, book in self.accounts.items()}
        by_family: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        heads = {}
        for sample in self.samples():
            labels = (providers[sample.labels[0]], *sample.labels)
            by_family.setdefault(sample.family.name, []).append((labels, sample.value))
            heads[sample.family.name] = sample.family
        return [
            FamilySamples(
                name,
                heads[name].kind.value,
                heads[name].meaning,
                ("provider", "account", *heads[name].labels),
                sorted(samples),
            )
            for name, samples in sorted(by_family.items())
        ]

    def to_dict(self) -> dict[str, Any]:
        """The state file's billing section."""
        return {
            "version": STATE_VERSION,
            "accounts": {
                name: {g: b.to_dict() for g, b in book.books.items()}
                for name, book in self.accounts.items()
            },
        }

    def restore(self, section: dict[str, Any]) -> list[str]:
        """Continue from the state file's billing section; what was dropped, one line each."""
        if section.get("version") != STATE_VERSION:
            return [f"all of it: version {section.get('version')!r}, this build reads 1"]
        saved = section.get("accounts")
        if not isinstance(saved, dict):
            return ["all of it: `accounts` is not an object"]
        dropped = []
        for name, groups in saved.items():
            book = self.accounts.get(name)
            if book is None or not isinstance(groups, dict):
                dropped.append(f"account {name}: no billing groups in this config")
                continue
            dropped += [f"account {name}: {line}" for line in book.restore(groups)]
        self.changes += 1
        return dropped


def billing_settings(account: Account) -> EndpointSettings | None:
    """The account's enabled bandwidth report that its groups are billed from."""
    name = BILLING_ENDPOINTS.get(account.provider)
    return next((e for e in account.endpoints if e.spec.name == name), None)


def keep_for_billing(poller: EndpointPoller, account: Account) -> None:
    """Make the store of `account`'s billed bandwidth report keep what its groups read
    (`account`: as configured now; a reload keeps a poller whose billing changed)."""
    if account.billing and poller.settings.spec.name == BILLING_ENDPOINTS.get(account.provider):
        store = poller.store
        store.retention = max(store.retention, billing_retention(poller.settings))


class Backfill:
    """Reads the month so far of an account's groups from its bandwidth report, one call
    per run, at background priority: runs come at the pace of the calls the poll plan
    leaves spare (`pace`) while there is a gap, never while a regular poll runs, through
    the endpoint's own pipeline and limiter; a window's calls (domain batches) are
    gathered before its points are added. Once every group's month so far is whole it
    looks again at the poll interval."""

    def __init__(self, book: AccountBilling, poller: EndpointPoller, plan: Plan) -> None:
        self.book = book
        self.poller = poller
        self.pace = backfill_pace(poller.settings, plan)
        self._queries: list[Query] = []  # the current window's calls still to make
        self._points = PointColumns()
        self.calls = 0  # made so far (for the status page and tests)

    @property
    def name(self) -> str:
        return f"{self.poller.account.name}/billing backfill"

    @property
    def busy(self) -> bool:
        """A window is being read."""
        return bool(self._queries)

    async def step(self) -> bool | None:
        """One run: at most one call. True when a window completed and changed figures;
        None when there is nothing to read (run again at the poll interval)."""
        if self.pace is None:
            return None
        if self.poller.polling or self.book.settled_until is None:
            return False  # soon: after the regular poll (the first one tells what settled)
        if not self._queries:
            window = self.book.next_gap(self.poller.settings.max_span)
            if window is None:
                return None
            self._queries = self.poller.window_queries(window)
            self._points = PointColumns()
        query = self._queries.pop(0)
        self.calls += 1
        answer = await self.poller.request_points(query)
        if answer.payload is None:
            log.info(
                "%s: a call failed (%s); the window is read again later", self.name, answer.detail
            )
            self._queries = []
            return False
        self._points.extend(answer.payload)
        if self._queries:
            return False
        return self.book.fill(self._points)


def backfill_pace(settings: EndpointSettings, plan: Plan) -> int | None:
    """Seconds between backfill calls so that they take only what the poll plan leaves of
    the endpoint's rate limit (None: it leaves less than one call per period)."""
    limit = settings.rate_limit
    spare = limit.calls * (1.0 - plan.budget_share)
    if spare < 1:
        return None
    return max(1, math.ceil(limit.period / spare))
