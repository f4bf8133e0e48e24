"""The cached /metrics bodies: each poller's chunks re-rendered off the loop, then joined."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence

from collector.exposition import (
    BodyAssembler,
    FamilySamples,
    RenderedMetrics,
    RowSamples,
    SliceSamples,
)
from collector.families import slice_family
from collector.poller import EndpointPoller
from collector.providers import help_for, slice_help_for
from collector.store import NO_END

BASE_LABELS = ("provider", "account")  # every CDN family's labels start with these
_ENDPOINTS = ("endpoint families",)  # the owner of cdn_up and cdn_data_timestamp_seconds
_BILLING = ("billing families",)  # the owner of every cdn_billing_* family
_Update = tuple[Hashable, tuple[str, ...], Sequence[FamilySamples | RowSamples | SliceSamples]]


def poller_rows(poller: EndpointPoller) -> list[RowSamples]:
    """One poller's CDN families as views of its store's rows (no copies: the render
    reads them in a worker thread, and only this poller's own poll changes them)."""
    base = (poller.provider.name, poller.account.name)
    return [
        RowSamples(
            rows.family.name,
            rows.family.kind.value,
            help_for(rows.family),
            (*BASE_LABELS, *rows.family.labels),
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


def poller_slices(poller: EndpointPoller) -> list[SliceSamples]:
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
                (*BASE_LABELS, *family.labels),
                base,
                rows.labels,
                rows.ends,
                rows.columns,
                rows.size,
                rows.version,
            )
        )
    return result


def endpoint_families(pollers: Sequence[EndpointPoller]) -> list[FamilySamples]:
    """`cdn_up` and `cdn_data_timestamp_seconds`: one sample per endpoint."""
    up: list[tuple[tuple[str, ...], float]] = []
    data_ts: list[tuple[tuple[str, ...], float]] = []
    for poller in pollers:
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
            (*BASE_LABELS, "endpoint"),
            up,
        ),
        FamilySamples(
            "cdn_data_timestamp_seconds",
            "gauge",
            "End time (Unix seconds) of the newest settled slice of the endpoint; "
            "data is exposed only after the settle delay.",
            (*BASE_LABELS, "endpoint"),
            data_ts,
        ),
    ]


class RenderedBodies:
    """The /metrics body and the /metrics/slices body (the timestamped slices of the
    endpoints with `slices: true`), each joined from cached per-poller chunks. Before the
    first render both are assembled from no chunks, like any later body."""

    def __init__(
        self,
        pollers: Callable[[], list[EndpointPoller]],
        billing: Callable[[], list[FamilySamples]] = list,
    ) -> None:
        self._pollers = pollers  # the live pollers (a reload replaces some)
        self._billing = billing  # the billing families, computed on the loop
        self._assembler = BodyAssembler()
        self._slice_assembler = BodyAssembler()
        self.metrics = self._assembler.assemble()
        self.slices = self._slice_assembler.assemble()
        self._lock = asyncio.Lock()
        self._dirty: set[EndpointPoller] = set()  # pollers whose chunks need a re-render
        self._dirty_all = False
        self._dirty_billing = False

    async def render(self, poller: EndpointPoller | None = None, *, billing: bool = False) -> None:
        """Refresh the cached bodies: re-render `poller`'s chunks (every poller's when
        None; the billing chunk too then, or with `billing`), then join the bodies from
        every cached chunk. Requests made while a render runs coalesce into one more."""
        if poller is None:
            self._dirty_all = True
        else:
            self._dirty.add(poller)
        self._dirty_billing |= billing or poller is None
        await self._refresh()

    async def render_billing(self) -> None:
        """Refresh the billing chunk alone (a backfill added points), then the bodies."""
        self._dirty_billing = True
        await self._refresh()

    async def _refresh(self) -> None:
        if self._lock.locked():
            return
        async with self._lock:
            while self._dirty_all or self._dirty or self._dirty_billing:
                everything, dirty = self._dirty_all, self._dirty
                self._dirty_all, self._dirty = False, set()
                pollers = self._pollers()
                live = {p.state_key: p for p in pollers}
                targets = list(live.values()) if everything else [
                    p for p in dirty if live.get(p.state_key) is p
                ]  # fmt: skip
                # The copies are taken here, on the loop, where the stores change.
                updates: list[_Update] = [(p.state_key, p.labels, poller_rows(p)) for p in targets]
                updates.append((_ENDPOINTS, (), endpoint_families(pollers)))
                if self._dirty_billing:
                    self._dirty_billing = False
                    billed = self._billing()
                    if billed or _BILLING in self._assembler.owners():
                        updates.append((_BILLING, (), billed))
                # Slices of `slices: true` endpoints; an empty update drops an owner's
                # chunks (its endpoint no longer asks for slices).
                sliced = set(self._slice_assembler.owners())
                slices: list[_Update] = [
                    (p.state_key, p.labels, poller_slices(p) if p.settings.slices else [])
                    for p in targets
                    if p.settings.slices or p.state_key in sliced
                ]
                gone: list[Hashable] = []
                if everything:
                    gone = [o for o in self._assembler.owners() if o not in live]
                    gone = [o for o in gone if o not in (_ENDPOINTS, _BILLING)]
                    gone += [o for o in sliced if o not in live]
                self.metrics, rendered_slices = await asyncio.to_thread(
                    self._assemble, updates, slices, gone
                )
                if rendered_slices is not None:
                    self.slices = rendered_slices

    def _assemble(
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
