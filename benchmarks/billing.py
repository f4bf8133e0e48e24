"""The billing benchmark: memory per billing group and the cost of a poll's billing update.

Run:  python benchmarks/billing.py [--groups 1000] [--window 12] [--json]

- memory per group: tracemalloc's count of the bytes a group's ledger holds after a full
  31-day month of 5-minute points (8,928, the largest month) and with a second month
  begun, the most a group holds;
- a poll's billing update at `--groups` groups, each 20 days into a 31-day month: every
  group records the poll's re-read window (one new slot, `--window` - 1 revised ones),
  then every billing sample is computed; the best of 5 runs.

benchmarks/run.py reports `measure` in its table; alone it prints a small table.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from collector.billing.calendar import SLOTS_PER_DAY, BillingMonth  # noqa: E402
from collector.billing.config import BillingGroup  # noqa: E402
from collector.billing.families import GroupState, billing_samples  # noqa: E402
from collector.billing.ledger import GroupLedger  # noqa: E402

OFFSET = 8 * 3600
MONTH = BillingMonth("2026-12", OFFSET)  # 31 days: the largest top K and bitmap
RUNS = 5


def _end(month: BillingMonth, slot: int) -> int:
    """The end of the month's `slot`."""
    return month.start + (slot + 1) * 300


def _filled(slots: int, window: int, seed: int, month: BillingMonth = MONTH) -> GroupLedger:
    """A group's ledger holding `slots` points of `month` (a daily cycle with noise)."""
    rng = random.Random(seed)
    ledger = GroupLedger(OFFSET, window)
    for slot in range(slots):
        phase = slot % SLOTS_PER_DAY / SLOTS_PER_DAY
        value = 1e8 * (1.5 + abs(phase - 0.5)) * rng.uniform(0.8, 1.2)
        ledger.record(_end(month, slot), value)
    return ledger


def _bytes_held(build: Any, count: int) -> float:
    """Bytes per object `build()` returns, as tracemalloc counts them over `count`."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [build(index) for index in range(count)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / count


def _clone(ledger: GroupLedger) -> GroupLedger:
    return GroupLedger.from_dict(ledger.to_dict())


def measure(groups: int = 1000, window: int = 12) -> dict[str, float]:
    """The figures: bytes per group (one full month; two months) and poll seconds."""
    full = _filled(MONTH.slots, window, seed=1)
    two = _clone(full)
    for slot in range(SLOTS_PER_DAY):
        two.record(_end(BillingMonth.of(MONTH.end, OFFSET), slot), 1e8)
    per_month = _bytes_held(lambda _: _clone(full), 20)
    per_two = _bytes_held(lambda _: _clone(two), 20)

    partial = _filled(20 * SLOTS_PER_DAY, window, seed=2)
    config = BillingGroup.model_validate(
        {
            "name": "g",
            "commit": {"bandwidth": "1Gbps"},
            "price": {"currency": "CNY", "tiers": [{"up_to": "1Gbps", "price": 25}, {"price": 20}]},
        }
    )
    newest = 20 * SLOTS_PER_DAY - 1
    update = samples = float("inf")
    count = 0
    for run in range(RUNS):
        states = [GroupState("acct", config, _clone(partial)) for _ in range(groups)]
        slot = newest + 1 + run
        ends = [_end(MONTH, s) for s in range(slot - window + 1, slot + 1)]
        gc.collect()
        started = time.perf_counter()
        for state in states:
            for end in ends:
                state.ledger.record(end, 1.1e8)
        recorded = time.perf_counter()
        count = len(billing_samples(states, _end(MONTH, slot)))
        done = time.perf_counter()
        update = min(update, recorded - started)
        samples = min(samples, done - recorded)
    return {
        "bytes_per_group_month": per_month,
        "bytes_per_group_two_months": per_two,
        "groups": groups,
        "window_slots": window,
        "poll_record_seconds": update,
        "poll_samples_seconds": samples,
        "poll_total_seconds": update + samples,
        "samples": count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--window", type=int, default=12, help="re-read window in slots")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.groups, args.window)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    month, two = figures["bytes_per_group_month"], figures["bytes_per_group_two_months"]
    rows = [
        ("billing memory per group, one 31-day month", f"{month:,.0f} B"),
        ("billing memory per group, two months", f"{two:,.0f} B"),
        (
            f"poll billing update, {args.groups} groups x {args.window} slots",
            f"{figures['poll_record_seconds'] * 1e3:.1f} ms",
        ),
        (
            f"billing samples, {args.groups} groups ({figures['samples']:,.0f})",
            f"{figures['poll_samples_seconds'] * 1e3:.1f} ms",
        ),
        ("poll billing total", f"{figures['poll_total_seconds'] * 1e3:.1f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
