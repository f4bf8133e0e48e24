"""Month-to-date backfills of the billing groups: one scheduled job per billed account,
reading the month's missing slices at the pace of the calls its poll plan leaves spare."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from collector.backoff import Retry
from collector.billingkeeper import Backfill, backfill_pace

if TYPE_CHECKING:
    from collector.app import Exporter, Job

log = logging.getLogger(__name__)


class Backfills:
    """The exporter's month-to-date backfills, by account name."""

    def __init__(self, exporter: Exporter) -> None:
        self.exporter = exporter
        self.running: dict[str, Backfill] = {}

    def get(self, account: str) -> Backfill | None:
        return self.running.get(account)

    def __getitem__(self, account: str) -> Backfill:
        return self.running[account]

    def job(self, account: str) -> Job | None:
        """The job polling the bandwidth report `account`'s billing groups read."""
        exporter = self.exporter
        book = exporter.billing.accounts.get(account)
        if book is None:
            return None
        return next(
            (
                job
                for job in exporter.jobs.values()
                if job.spec.account.name == account and job.spec.settings.spec.name == book.endpoint
            ),
            None,
        )

    def schedule(self) -> None:
        """A month-to-date backfill job for each account with billing groups that has
        none yet, paced by the calls its bandwidth report's plan leaves spare."""
        exporter = self.exporter
        scheduler = exporter.scheduler
        assert scheduler is not None
        for account in exporter.billing.accounts:
            job = self.job(account)
            name = f"{account}/billing backfill"
            if job is None or name in scheduler.names:
                continue
            pace = backfill_pace(job.spec.settings, job.spec.plan)
            if pace is None:
                log.warning(
                    "%s: the poll plan leaves no spare calls: the billing month is not "
                    "backfilled (cdn_billing_points shows how much of it is held)",
                    job.poller.name,
                )
                continue

            async def run(account: str = account, pace: int = pace) -> Retry | None:
                # Again at the spare calls' pace while there is a gap to read.
                return None if await self.run(account) is None else Retry(pace)

            interval = job.spec.plan.interval
            scheduler.add(name, run, interval=interval, offset=0, first_run=exporter.clock.time())

    async def run(self, account: str) -> bool | None:
        """One backfill run for `account` (see `Backfill.step`, whose answer it returns);
        its book and poller are looked up afresh, as a reload may have replaced them."""
        exporter = self.exporter
        book = exporter.billing.accounts.get(account)
        job = self.job(account)
        if book is None or job is None:
            self.running.pop(account, None)
            return None
        backfill = self.running.get(account)
        if backfill is None or backfill.book is not book or backfill.poller is not job.poller:
            backfill = self.running[account] = Backfill(book, job.poller, job.spec.plan)
        done = await backfill.step()
        if done:
            exporter.billing.changes += 1
            await exporter.bodies.render_billing()
            if exporter.state_keeper is not None:
                await exporter.state_keeper.save()
        return done
