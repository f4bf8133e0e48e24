"""Domain discovery: list an account's domains through its provider's API, on a schedule.

One `DomainDiscoverer` per account with `domains: auto` (or a `discovery:` block). It
lists every page, keeps the domains the include/exclude patterns let through and
publishes them as `domains`; pollers read that at the start of each poll (and the
exporter polls the account at once when domains joined), so domains join and leave
without a restart, and series of domains that left expire through the
store's `expire_after_polls`. Listing calls go through their own client-side limiter
(`discovery.rate_limit`, below the provider's listing budget), counted under the
`endpoint="discovery"` self-metrics. A failed listing keeps the last good list; until
the first success `domains` is None and the account's pollers wait (not ready).
"""

from __future__ import annotations

import logging
import random
import zlib
from typing import Any

from collector.backoff import Retry, retry_for
from collector.calls import CallPipeline
from collector.client import Transport
from collector.clock import Clock
from collector.config.runtime import Account
from collector.http import HttpRequest
from collector.model import Outcome
from collector.providers.discovery import ENDPOINT, DiscoverySettings, Lister, ListingPage
from collector.selfmetrics import SelfMetrics

log = logging.getLogger(__name__)

MAX_PAGES = 1000  # a runaway page count (a provider bug) stops here


class ListingFailed(Exception):
    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(f"{outcome}: {detail}")
        self.outcome = outcome


class DomainDiscoverer:
    """Keeps one account's discovered domain list."""

    def __init__(
        self,
        *,
        provider: Lister,
        provider_name: str,
        account: Account,
        settings: DiscoverySettings,
        transport: Transport,
        clock: Clock,
        metrics: SelfMetrics,
    ) -> None:
        self.provider = provider
        self.account = account
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.domains: tuple[str, ...] | None = None  # None: no successful listing yet
        self.last_success: float | None = None
        self.last_error: str | None = None
        self.runs = 0
        self.failed_runs = 0
        self._jitter = random.Random(zlib.crc32(f"{account.name}/{ENDPOINT}".encode()))
        labels = (provider_name, account.name, ENDPOINT)
        self.labels = labels
        # Listing answers count no parse errors: those are the report endpoints' figures.
        self.pipeline = CallPipeline(
            name=self.name,
            labels=labels,
            limit=settings.rate_limit,
            transport=transport,
            clock=clock,
            metrics=metrics,
            timeout=float(account.timeout),
            count_parse_errors=False,
        )
        self._count = metrics.discovered_domains.labels(provider_name, account.name)
        self._success = metrics.discovery_last_success.labels(provider_name, account.name)

    @property
    def name(self) -> str:
        return f"{self.account.name}/{ENDPOINT}"

    def _fields(self, outcome: str) -> dict[str, object]:
        """The JSON log fields of a line about this account's listing."""
        return {"account": self.account.name, "endpoint": ENDPOINT, "outcome": outcome}

    async def run(self) -> Retry | None:
        """List every page; on success switch to the new list, on failure keep the last
        good one and return when to try again."""
        self.runs += 1
        try:
            listed = await self._list()
        except ListingFailed as exc:
            self.failed_runs += 1
            self.last_error = str(exc)
            retry = retry_for(
                self.failed_runs,
                auth=exc.outcome is Outcome.AUTH_FAILURE,
                draw=self._jitter.random(),
            )
            kept = "no domains yet" if self.domains is None else f"{len(self.domains)} kept"
            # The first failure of a run at warning, repeats at debug; recovery counts them.
            log.log(
                logging.WARNING if self.failed_runs == 1 else logging.DEBUG,
                "%s: domain listing failed (%s); retrying in %.0fs: %s",
                self.name,
                kept,
                retry.after,
                exc,
                extra=self._fields(exc.outcome.value),
            )
            return retry
        if self.failed_runs:
            log.info(
                "%s: domain listing recovered after %d failed run(s)",
                self.name,
                self.failed_runs,
                extra=self._fields(Outcome.SUCCESS.value),
            )
        domains = tuple(sorted({d for d in listed if self.settings.wants(d)}))
        if domains != self.domains:
            before = set(self.domains or ())
            joined = sorted(set(domains) - before)
            left = sorted(before - set(domains))
            log.info(
                "%s: %d domain(s); joined: %s; left: %s",
                self.name,
                len(domains),
                ", ".join(joined[:20]) or "none",
                ", ".join(left[:20]) or "none",
                extra=self._fields(Outcome.SUCCESS.value),
            )
        self.domains = domains
        self.failed_runs = 0
        self.last_error = None
        self.last_success = self.clock.time()
        self._count.set(len(domains))
        self._success.set(self.last_success)
        return None

    async def _list(self) -> list[str]:
        found: list[str] = []
        page, pages = 1, 1
        while page <= pages and page <= MAX_PAGES:
            got = await self._request_page(page)
            found.extend(got.domains)
            pages = got.pages
            page += 1
        return found

    async def _request_page(self, page: int) -> ListingPage:
        """One page through the call pipeline; ListingFailed if it failed."""

        def build(now: float) -> HttpRequest:
            return self.provider.build_listing_request(self.account, page, now)

        def parse(payload: Any) -> ListingPage:
            return self.provider.parse_listing(payload)

        result = await self.pipeline.call(build, self.provider.classify_listing, parse)
        if result.payload is None:
            raise ListingFailed(result.outcome, result.detail)
        return result.payload
