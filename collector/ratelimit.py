"""A per-(account, endpoint) sliding-window log that never exceeds a published limit."""

from __future__ import annotations

from collections import deque

from collector.clock import Clock
from collector.model import RateLimit

# A call leaves the log a little after `period`: the provider counts calls by arrival
# time, and network latency varies, so a call sent just inside the window could
# land outside it. Two percent costs little throughput and absorbs that jitter.
RETURN_MARGIN = 1.02


class SlidingWindowLimiter:
    """A sliding-window log: the times of the last `calls` calls, each kept for one
    `period` (plus a small margin); a call may go only while the log has room.

    A token bucket of capacity N and rate N/period would let 2N calls through in one
    period (a full bucket, then a period of refill). Published limits read "N calls
    per 5 minutes", so no window of `period` seconds may ever hold more than N calls,
    which the log guarantees. The clock is injected, and `reserve` is pure so tests
    need no event loop.
    """

    __slots__ = ("_return_after", "_spent", "limit")

    def __init__(self, limit: RateLimit) -> None:
        if limit.calls < 1 or limit.period <= 0:
            raise ValueError(f"invalid rate limit {limit}")
        self.limit = limit
        self._return_after = limit.period * RETURN_MARGIN
        self._spent: deque[float] = deque()

    def reserve(self, now: float) -> float:
        """Log a call if the window has room and return 0, else return seconds to wait."""
        spent = self._spent
        while spent and spent[0] <= now:
            spent.popleft()
        if len(spent) < self.limit.calls:
            spent.append(now + self._return_after)
            return 0.0
        return spent[0] - now

    def available(self, now: float) -> int:
        """Calls the window has room for at `now`."""
        return self.limit.calls - sum(1 for t in self._spent if t > now)

    async def acquire(self, clock: Clock) -> float:
        """Wait until the window has room and log a call; return the seconds waited.
        Calls are logged on the monotonic clock: a step of the wall clock neither holds
        the window shut for the length of the step nor empties it early."""
        waited = 0.0
        while (wait := self.reserve(clock.monotonic())) > 0:
            waited += wait
            await clock.sleep(wait)
        return waited
