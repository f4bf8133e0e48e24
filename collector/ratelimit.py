"""A per-(account, endpoint) token bucket that never exceeds a published limit."""

from __future__ import annotations

from collections import deque

from collector.clock import Clock
from collector.model import RateLimit

# Tokens come back a little after `period`: the provider counts calls by arrival
# time, and network latency varies, so a call sent just inside the window could
# land outside it. Two percent costs little throughput and absorbs that jitter.
RETURN_MARGIN = 1.02


class SlidingWindowLimiter:
    """A bucket of `calls` tokens; each call takes one, which returns `period` later.

    A classic refilling bucket of capacity N and rate N/period lets 2N calls
    through in one period (a full bucket, then a period of refill). Published
    limits read "N calls per 5 minutes", so each token here returns exactly one
    period (plus a small margin) after it was spent: no window of `period`
    seconds ever holds more than N calls. The clock is injected, and `reserve`
    is pure so tests need no event loop.
    """

    __slots__ = ("_return_after", "_spent", "limit")

    def __init__(self, limit: RateLimit) -> None:
        if limit.calls < 1 or limit.period <= 0:
            raise ValueError(f"invalid rate limit {limit}")
        self.limit = limit
        self._return_after = limit.period * RETURN_MARGIN
        self._spent: deque[float] = deque()

    def reserve(self, now: float) -> float:
        """Take a token if one is free and return 0, else return seconds to wait."""
        spent = self._spent
        while spent and spent[0] <= now:
            spent.popleft()
        if len(spent) < self.limit.calls:
            spent.append(now + self._return_after)
            return 0.0
        return spent[0] - now

    def available(self, now: float) -> int:
        """Tokens free at `now`."""
        return self.limit.calls - sum(1 for t in self._spent if t > now)

    async def acquire(self, clock: Clock) -> float:
        """Wait until a token is free and take it; return the seconds waited."""
        waited = 0.0
        while (wait := self.reserve(clock.time())) > 0:
            waited += wait
            await clock.sleep(wait)
        return waited
