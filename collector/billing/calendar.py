"""Billing months in a fixed UTC offset: month keys, bounds, 5-minute slots and days."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

SLOT_SECONDS = 300
SLOTS_PER_DAY = 86400 // SLOT_SECONDS
_KEY = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class BillingMonth:
    """One calendar month, `YYYY-MM`, in the local time at `offset` seconds east of UTC.
    A 5-minute slice belongs to the month its start falls in; slot 0 is the slice that
    starts at 00:00 of the 1st, local time."""

    key: str
    offset: int
    # Derived once: the ledger asks for them at every point.
    year: int = field(init=False, compare=False, repr=False)
    number: int = field(init=False, compare=False, repr=False)
    days: int = field(init=False, compare=False, repr=False)
    start: int = field(init=False, compare=False, repr=False)
    """00:00 of the 1st, local time, as epoch seconds."""

    def __post_init__(self) -> None:
        match = _KEY.fullmatch(self.key)
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
            raise ValueError(f"not a month: {self.key!r} (expected YYYY-MM)")
        # Slots must start at local midnight, or a day would split a slice.
        if self.offset % SLOT_SECONDS or abs(self.offset) > 14 * 3600:
            raise ValueError(f"offset {self.offset}s is not a multiple of 5 minutes within 14h")
        year, number = int(match[1]), int(match[2])
        object.__setattr__(self, "year", year)
        object.__setattr__(self, "number", number)
        object.__setattr__(self, "days", calendar.monthrange(year, number)[1])
        start = calendar.timegm((year, number, 1, 0, 0, 0)) - self.offset
        object.__setattr__(self, "start", start)

    @classmethod
    def of(cls, instant: int, offset: int) -> BillingMonth:
        """The month holding `instant` (epoch seconds) in local time."""
        local = datetime.fromtimestamp(instant + offset, tz=UTC)
        return cls(f"{local.year:04d}-{local.month:02d}", offset)

    @classmethod
    def of_slice(cls, end: int, offset: int) -> BillingMonth:
        """The month of the 5-minute slice ending at `end` (the month of its start)."""
        return cls.of(end - SLOT_SECONDS, offset)

    @property
    def slots(self) -> int:
        """5-minute points in the whole month (8,064 to 8,928)."""
        return self.days * SLOTS_PER_DAY

    @property
    def end(self) -> int:
        """00:00 of the next month's 1st, local time (exclusive)."""
        return self.start + self.days * 86400

    def previous(self) -> BillingMonth:
        year, number = (self.year - 1, 12) if self.number == 1 else (self.year, self.number - 1)
        return BillingMonth(f"{year:04d}-{number:02d}", self.offset)

    def slot_of(self, end: int) -> int:
        """The slot of the slice ending at `end`; ValueError outside the month or off the
        5-minute grid."""
        start = end - SLOT_SECONDS
        if start % SLOT_SECONDS or not self.start <= start < self.end:
            raise ValueError(f"slice ending {end} is not a 5-minute slice of {self.key}")
        return (start - self.start) // SLOT_SECONDS

    def slots_until(self, instant: int) -> int:
        """Slots of this month that have ended by `instant` (0 to `slots`)."""
        return min(self.slots, max(0, (instant - self.start) // SLOT_SECONDS))
