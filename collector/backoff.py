"""Pure retry schedules: when a failed poll runs again."""

from __future__ import annotations

from dataclasses import dataclass

# A poll with failed calls runs again after 15 s, 30 s, 60 s, 60 s ... (never past the
# next regular poll); with at most 20% taken off by jitter, so retries of many
# endpoints do not fire together and no wait exceeds the cap.
RETRY_BASE = 15.0
RETRY_CAP = 60.0
# Rejected credentials do not fix themselves within seconds: 2, 4, 8, 15, 15 ... minutes,
# and regular polls are skipped until then.
AUTH_BASE = 120.0
AUTH_CAP = 900.0
JITTER = 0.2


@dataclass(frozen=True, slots=True)
class Retry:
    """Run a failed poll again `after` seconds from now. `hold`: skip regular polls
    until then too (auth failures); else whichever comes first runs."""

    after: float
    hold: bool = False


def backoff_delay(
    failures: int, *, base: float, cap: float, jitter: float = JITTER, draw: float = 0.0
) -> float:
    """Seconds to wait after `failures` failed runs in a row (1 for the first):
    `base` doubled per further failure, at most `cap`, then shortened by `jitter`
    times `draw` (a number in [0, 1)) of itself."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    if not 0.0 <= draw < 1.0 or not 0.0 <= jitter < 1.0:
        raise ValueError("draw and jitter must lie in [0, 1)")
    # Exponent bounded so a long outage cannot overflow the float.
    raw = min(cap, base * 2.0 ** min(failures - 1, 64))
    return raw * (1.0 - jitter * draw)


def retry_for(failures: int, *, auth: bool, draw: float) -> Retry:
    """The retry after `failures` failed polls in a row; `auth`: credentials rejected."""
    if auth:
        return Retry(backoff_delay(failures, base=AUTH_BASE, cap=AUTH_CAP, draw=draw), hold=True)
    return Retry(backoff_delay(failures, base=RETRY_BASE, cap=RETRY_CAP, draw=draw))


def next_due(now: float, regular: float, retry: Retry | None) -> float:
    """When a job runs next: its next regular time, or sooner for a retry; a held
    retry (auth) runs at its own time even past the regular one."""
    if retry is None:
        return regular
    at = now + retry.after
    return at if retry.hold else min(regular, at)
