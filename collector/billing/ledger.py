"""The bounded per-group month ledger: exact billing figures from 5-minute points."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right, insort
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from collector.billing.calendar import SLOT_SECONDS, SLOTS_PER_DAY, BillingMonth

LEDGER_VERSION = 1


class Method(StrEnum):
    """How a month's bandwidth is billed."""

    P95 = "p95"
    DAILY_PEAK_AVERAGE = "daily_peak_average"
    FOURTH_DAILY_PEAK = "fourth_daily_peak"
    TRAFFIC = "traffic"


BANDWIDTH_METHODS = (Method.P95, Method.DAILY_PEAK_AVERAGE, Method.FOURTH_DAILY_PEAK)


def p95_rank(points: int) -> int:
    """The rank from the top of the 95th-percentile point among `points` points: the top
    5% (rounded down) are dropped and the next is billed; 8,640 points -> 433."""
    return points // 20 + 1


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


_FORECAST_FIELDS = {
    Method.P95: "forecast_p95",
    Method.DAILY_PEAK_AVERAGE: "daily_peak_average",
    Method.FOURTH_DAILY_PEAK: "forecast_fourth_daily_peak",
    Method.TRAFFIC: "forecast_traffic",
}


@dataclass(frozen=True, slots=True)
class Figures:
    """A group-month's billing figures, in bytes per second and bytes.

    Month to date: `p95` is the (floor(0.05 x n) + 1)-th highest of the n billed points
    (points of valid days only when `valid_days_only`); `daily_peak_average` the mean of
    the valid days' peaks; `fourth_daily_peak` the 4th-highest valid-day peak (0 with
    fewer than 4); `traffic` the sum of every point x 300 s. A valid day has a point
    above zero. Forecasts assume the rest of the month repeats the month so far (see
    `MonthLedger.figures`)."""

    points: int
    billed_points: int
    days_seen: int
    valid_days: int
    p95: float
    daily_peak_average: float
    fourth_daily_peak: float
    traffic: float
    forecast_p95: float
    forecast_fourth_daily_peak: float
    forecast_traffic: float
    forecast_billed_points: int

    def bandwidth(self, method: Method) -> float:
        """The month-to-date figure of a bandwidth method (its value names the field)."""
        if method is Method.TRAFFIC:
            raise ValueError("traffic is not a bandwidth figure")
        value: float = getattr(self, method.value)
        return value

    def forecast(self, method: Method) -> float:
        """The month-end figure if the rest of the month repeats the month so far: the
        daily peak average is unchanged by repetition; traffic is in bytes."""
        value: float = getattr(self, _FORECAST_FIELDS[method])
        return value


class MonthLedger:
    """One group's month: settled 5-minute points (the sum of the group's domains per
    slot, bytes per second) in, exact figures out, in bounded memory.

    Exactness rests on one assumption, which the caller guarantees: a slot is revised
    only while it is among the newest `window` slots seen (the re-read window). Those are
    kept by slot; an older slot is frozen into what every method needs: the top
    K = floor(0.05 x slots) + 1 values (the 95th percentile of N <= slots points is the
    (floor(0.05 x N) + 1)-th highest, always among them), each day's peak and point count,
    the count and the sum. A revision of a frozen slot cannot be applied; it is counted in
    `late_revisions` and ignored. A frozen slot seen for the first time (a gap filled
    late) is added exactly: a bit per slot says which were seen.

    Memory: at most 447 doubles, 1,116 bytes of bits, 31 day peaks and counts and the
    open window: about 7 KB for a 31-day month (benchmarks/billing.py)."""

    __slots__ = (
        "_day_count",
        "_day_peak",
        "_frozen_count",
        "_frozen_sum",
        "_newest",
        "_open",
        "_seen",
        "_top",
        "_top_size",
        "late_revisions",
        "month",
        "provider",
        "valid_days_only",
        "window",
    )

    def __init__(self, month: BillingMonth, window: int, *, valid_days_only: bool = True) -> None:
        if window < 1:
            raise ValueError("the revision window is at least one slot")
        self.month = month
        self.window = window
        self.valid_days_only = valid_days_only
        self.late_revisions = 0
        # The provider's own figure per method, for reconciliation (bytes per second).
        self.provider: dict[Method, float] = {}
        self._top = array("d")  # the highest frozen values, ascending, at most K
        self._open: dict[int, float] = {}  # slot -> value, still revisable
        self._seen = bytearray(_ceil_div(month.slots, 8))
        self._day_peak = array("d", bytes(8 * month.days))  # frozen points only
        self._day_count = array("H", bytes(2 * month.days))
        self._frozen_count = 0
        self._frozen_sum = 0.0
        self._newest = -1
        self._top_size = p95_rank(month.slots)

    @property
    def top_size(self) -> int:
        """K: how many frozen values are kept, floor(0.05 x slots) + 1."""
        return self._top_size

    def holds(self, end: int) -> bool:
        """Whether the slice ending at `end` starts in this month."""
        return self.month.start < end <= self.month.end

    def has(self, end: int) -> bool:
        """Whether the slice ending at `end` (in this month) has a point."""
        slot = self.month.slot_of(end)
        return bool(self._seen[slot // 8] >> slot % 8 & 1)

    def record(self, end: int, value: float) -> bool:
        """Set the point of the slice ending at `end`, replacing an earlier value of the
        same slot. False (and counted) if the slot is frozen and was already set."""
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"a bandwidth point is finite and not negative, got {value!r}")
        slot = self.month.slot_of(end)
        byte, bit = divmod(slot, 8)
        seen = self._seen[byte] >> bit & 1
        if slot <= self._newest - self.window:
            if seen:
                self.late_revisions += 1
                return False
            self._seen[byte] |= 1 << bit
            self._freeze(slot, value)
            return True
        self._seen[byte] |= 1 << bit
        self._open[slot] = value
        if slot > self._newest:
            self._newest = slot
            oldest_open = slot - self.window + 1
            for old in [s for s in self._open if s < oldest_open]:
                self._freeze(old, self._open.pop(old))
        return True

    def _freeze(self, slot: int, value: float) -> None:
        self._frozen_count += 1
        self._frozen_sum += value
        day = slot // SLOTS_PER_DAY
        self._day_count[day] += 1
        if value > self._day_peak[day]:
            self._day_peak[day] = value
        top = self._top
        if len(top) < self._top_size:
            insort(top, value)
        elif value > top[0]:
            insort(top, value)
            del top[0]

    def _days(self) -> tuple[list[float], list[int]]:
        peaks = list(self._day_peak)
        counts = list(self._day_count)
        for slot, value in self._open.items():
            day = slot // SLOTS_PER_DAY
            counts[day] += 1
            peaks[day] = max(peaks[day], value)
        return peaks, counts

    def figures(self) -> Figures:
        """Month-to-date figures and month-end forecasts.

        Forecast: the n points so far, repeated to fill the month's S slots (S/n times).
        The 95th percentile of the repeated month is the ceil(r x n / S)-th highest billed
        point so far, r = floor(0.05 x b x S / n) + 1, b the billed points; the 4th daily
        peak is the ceil(4 x d / D)-th highest valid-day peak (d days seen, D days in the
        month; 0 when fewer than 4 valid days would result); the daily peak average is
        unchanged; traffic scales by S / n. At the month's end forecasts equal figures."""
        peaks, counts = self._days()
        valid = [peak for peak in peaks if peak > 0]
        valid.sort(reverse=True)
        points = self._frozen_count + len(self._open)
        billed = points
        if self.valid_days_only:
            billed = sum(c for c, p in zip(counts, peaks, strict=True) if p > 0)
        days_seen = sum(1 for c in counts if c)
        # Only the top K frozen values can be the r-th highest (r <= K); zeros of idle days
        # sit at the bottom, so the rank among all points equals the rank among billed ones.
        candidates = self._top.tolist()  # ascending: the r-th highest is [-r]
        candidates += self._open.values()
        candidates.sort()
        slots, days = self.month.slots, self.month.days
        p95 = forecast_p95 = 0.0
        forecast_billed = 0
        if billed:
            p95 = candidates[-p95_rank(billed)]
            forecast_billed = billed * slots // points
            forecast_p95 = candidates[-_ceil_div(p95_rank(forecast_billed) * points, slots)]
        fourth = valid[3] if len(valid) >= 4 else 0.0
        forecast_fourth = 0.0
        if days_seen and len(valid) * days >= 4 * days_seen:
            forecast_fourth = valid[_ceil_div(4 * days_seen, days) - 1]
        traffic = (self._frozen_sum + sum(self._open.values())) * SLOT_SECONDS
        return Figures(
            points=points,
            billed_points=billed,
            days_seen=days_seen,
            valid_days=len(valid),
            p95=p95,
            daily_peak_average=sum(valid) / len(valid) if valid else 0.0,
            fourth_daily_peak=fourth,
            traffic=traffic,
            forecast_p95=forecast_p95,
            forecast_fourth_daily_peak=forecast_fourth,
            forecast_traffic=traffic * slots / points if points else 0.0,
            forecast_billed_points=forecast_billed,
        )

    def points_above(self, limit: float) -> int:
        """Billed points above `limit`, exact up to K (beyond, at least K)."""
        above = len(self._top) - bisect_right(self._top, limit)
        return above + sum(1 for v in self._open.values() if v > limit)

    def burst_points_remaining(self, commit: float, figures: Figures | None = None) -> int:
        """How many more 5-minute points may exceed `commit` before the month's 95th
        percentile does: floor(0.05 x b) of the month-end billed points b (forecast as in
        `figures`; every slot while no point is billed yet), less the points already above.
        `figures`: this ledger's current figures, if already at hand."""
        figures = figures or self.figures()
        final = figures.forecast_billed_points if figures.billed_points else self.month.slots
        return max(0, final // 20 - self.points_above(commit))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot (for the state file)."""
        return {
            "version": LEDGER_VERSION,
            "month": self.month.key,
            "offset": self.month.offset,
            "window": self.window,
            "valid_days_only": self.valid_days_only,
            "late_revisions": self.late_revisions,
            "provider": {str(method): value for method, value in self.provider.items()},
            "top": list(self._top),
            "open": [[slot, value] for slot, value in sorted(self._open.items())],
            "seen": self._seen.hex(),
            "day_peak": list(self._day_peak),
            "day_count": list(self._day_count),
            "frozen_count": self._frozen_count,
            "frozen_sum": self._frozen_sum,
            "newest": self._newest,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonthLedger:
        """The ledger `to_dict` wrote; ValueError for another version or a malformed one."""
        if data.get("version") != LEDGER_VERSION:
            raise ValueError(f"billing ledger version {data.get('version')!r} is not supported")
        try:
            month = BillingMonth(data["month"], int(data["offset"]))
            ledger = cls(month, int(data["window"]), valid_days_only=bool(data["valid_days_only"]))
            ledger.late_revisions = int(data["late_revisions"])
            ledger.provider = {Method(k): float(v) for k, v in data["provider"].items()}
            ledger._top = array("d", sorted(float(v) for v in data["top"]))
            ledger._open = {int(slot): float(value) for slot, value in data["open"]}
            ledger._seen = bytearray.fromhex(data["seen"])
            ledger._day_peak = array("d", (float(v) for v in data["day_peak"]))
            ledger._day_count = array("H", (int(v) for v in data["day_count"]))
            ledger._frozen_count = int(data["frozen_count"])
            ledger._frozen_sum = float(data["frozen_sum"])
            ledger._newest = int(data["newest"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"malformed billing ledger: {exc!r}") from None
        sizes = (len(ledger._seen), len(ledger._day_peak), len(ledger._day_count))
        if sizes != (_ceil_div(month.slots, 8), month.days, month.days) or (
            len(ledger._top) > ledger.top_size
        ):
            raise ValueError(f"malformed billing ledger: sizes do not fit {month.key}")
        return ledger


class GroupLedger:
    """A group's current and previous month: a slice goes to the month of its start
    (the previous month's last slots are still revised early in the next)."""

    __slots__ = ("months", "offset", "valid_days_only", "window")

    def __init__(self, offset: int, window: int, *, valid_days_only: bool = True) -> None:
        self.offset = offset
        self.window = window
        self.valid_days_only = valid_days_only
        self.months: dict[str, MonthLedger] = {}

    def record(self, end: int, value: float) -> bool:
        """Add or revise one 5-minute point; False if it could not be applied exactly (a
        frozen slot's revision, or a month already dropped). Feed a slot when it settles
        and again only when its value changes: a settled slice read again unchanged (an
        outage's catch-up) is not a revision."""
        for held in self.months.values():
            if held.holds(end):
                return held.record(end, value)
        month = BillingMonth.of_slice(end, self.offset)
        ledger = self.months.get(month.key)
        if ledger is None:
            if self.months and month.key < self._newest().previous().key:
                return False
            ledger = MonthLedger(month, self.window, valid_days_only=self.valid_days_only)
            self.months[month.key] = ledger
            for old in sorted(self.months)[:-2]:
                del self.months[old]
        return ledger.record(end, value)

    def _newest(self) -> BillingMonth:
        return self.months[max(self.months)].month

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LEDGER_VERSION,
            "offset": self.offset,
            "window": self.window,
            "valid_days_only": self.valid_days_only,
            "months": [ledger.to_dict() for _, ledger in sorted(self.months.items())],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupLedger:
        if data.get("version") != LEDGER_VERSION:
            raise ValueError(f"billing ledger version {data.get('version')!r} is not supported")
        try:
            group = cls(
                int(data["offset"]),
                int(data["window"]),
                valid_days_only=bool(data["valid_days_only"]),
            )
            for entry in data["months"]:
                ledger = MonthLedger.from_dict(entry)
                group.months[ledger.month.key] = ledger
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed billing ledger: {exc!r}") from None
        return group
