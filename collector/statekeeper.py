"""The state file's keeper: restores the pollers at start, writes them after polls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from collector import state
from collector.billingkeeper import BillingKeeper
from collector.clock import Clock
from collector.poller import EndpointPoller
from collector.timeslices import format_request_time

log = logging.getLogger(__name__)

_Token = tuple[float | None, float | None, int]  # EndpointPoller.state_token()
_BILLING = "billing"  # the billing section's key among the tokens


class StateKeeper:
    """Restores counter state from `path` into the pollers (and the billing ledgers)
    before their first poll, and writes it back whenever a poll changed what it holds."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        pollers: Callable[[], list[EndpointPoller]],
        billing: BillingKeeper | None = None,
    ) -> None:
        self.path = path
        self._pollers = pollers  # the live pollers (a reload replaces some)
        self.billing = billing or BillingKeeper()
        self.clock = clock
        self._written: dict[str, _Token] = {}  # the tokens of the last file written
        self._lock = asyncio.Lock()
        self._failing = False

    def restore(self) -> None:
        """Load the state file (if usable) into the pollers; say what was kept and what
        was dropped."""
        path = self.path
        persisted = {e.key: e for e in state.load(path, now=self.clock.time())}
        self._restore_billing()
        if not persisted:
            return
        now = self.clock.time()
        for poller in self._pollers():
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

    def _restore_billing(self) -> None:
        section = state.load_billing(self.path)
        if section is None or not self.billing.accounts:
            return
        dropped = self.billing.restore(section)
        log.info(
            "state file %s: billing continues for %d account(s)",
            self.path,
            len(self.billing.accounts),
        )
        for line in dropped:
            log.warning("state file %s: billing: dropped %s", self.path, line)

    async def save(self) -> None:
        """Write the state file if a poll changed what it holds (atomically, off the
        event loop); a failing write is logged once and retried after the next poll."""
        if self._tokens() == self._written:
            return
        async with self._lock:
            pollers = self._pollers()  # those of now: a reload may have run meanwhile
            tokens = self._tokens()
            if tokens == self._written:
                return
            endpoints = [e for p in pollers if (e := p.persisted()) is not None]
            billing = self.billing.to_dict() if self.billing.accounts else None
            data = state.encode(endpoints, self.clock.time(), billing)
            try:
                await asyncio.to_thread(state.write_atomic, self.path, data)
            except OSError as exc:
                if not self._failing:
                    log.warning("state file %s: cannot write (%s)", self.path, exc)
                self._failing = True
                return
            if self._failing:
                log.info("state file %s: written again", self.path)
            self._failing = False
            self._written = tokens

    def _tokens(self) -> dict[str, _Token]:
        tokens = {p.state_key: p.state_token() for p in self._pollers()}
        tokens[_BILLING] = (None, None, self.billing.changes)
        return tokens
