"""Deterministic synthetic CDN traffic, defined per minute: the emulator's ground truth."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

MINUTE = 60
FIVE_MINUTES = 300
HOUR = 3600
DAY = 86400

# Canonical breakdown values. The ISP codes are Volcengine's ISPList spellings; the
# Wangsu routes map them (and the pinyin province codes) to Chinese display names.
ISPS = ("telecom", "unicom", "mobile")
PROVINCES = ("beijing", "shanghai", "guangdong", "zhejiang")
COUNTRIES = ("cn", "hk", "sg", "us", "de")
DIMENSIONS: Mapping[str, tuple[str, ...]] = {
    "isp": ISPS,
    "province": PROVINCES,
    "country": COUNTRIES,
}
# Dimensions whose cells get their own cache hit ratio; countries share the domain's.
_HIT_RATIO_DIMENSIONS = ("isp", "province")

# The audience's time zone: the daily curve peaks in the evening at UTC+8.
AUDIENCE_OFFSET = 8 * HOUR
_PEAK_HOUR = 21.0
_TROUGH_HOUR = 4.5


class Quantity(StrEnum):
    """What can be asked of the model; flows in MB, bandwidths in Mbps, ratios 0-1."""

    FLOW = "flow"  # edge traffic served to clients
    REQUESTS = "requests"
    BANDWIDTH = "bandwidth"
    HIT_FLOW = "hit_flow"  # edge traffic served from cache
    HIT_RATIO = "hit_ratio"  # byte hit ratio: HIT_FLOW / FLOW
    ORIGIN_FLOW = "origin_flow"  # FLOW - HIT_FLOW, i.e. FLOW * (1 - hit ratio)
    ORIGIN_REQUESTS = "origin_requests"
    ORIGIN_BANDWIDTH = "origin_bandwidth"
    UP_FLOW = "up_flow"  # client-to-edge traffic (uploads, live pushes)
    UP_BANDWIDTH = "up_bandwidth"

    @property
    def is_ratio(self) -> bool:
        """Ratios are not volumes: partial (not yet final) slices do not scale them."""
        return self is Quantity.HIT_RATIO


# A bandwidth is its flow in Mbit over the slice; above 5 minutes, the peak 5-minute value.
_BANDWIDTH_OF: Mapping[Quantity, Quantity] = {
    Quantity.BANDWIDTH: Quantity.FLOW,
    Quantity.ORIGIN_BANDWIDTH: Quantity.ORIGIN_FLOW,
    Quantity.UP_BANDWIDTH: Quantity.UP_FLOW,
}

Breakdown = Mapping[str, str]
Member = tuple[str, Breakdown]  # (domain, breakdown cell): one part of an aggregate


def unit_hash(*parts: str) -> float:
    """A stable pseudo-random number in [0, 1) from strings (same on every run)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def decimal(value: float, places: int) -> str:
    """Format as the APIs print numbers: fixed decimals, or an integer for `places=0`."""
    if places == 0:
        return str(round(value))
    return f"{value:.{places}f}"


@dataclass(frozen=True, slots=True)
class _Profile:
    """Everything fixed about one (account, domain)."""

    peak_mbps: float
    object_bytes: float
    hit_base: float
    up_fraction: float
    phases: tuple[float, ...]
    shares: Mapping[str, Mapping[str, float]]  # dimension -> value -> share, summing to 1
    hit_offsets: Mapping[str, Mapping[str, float]]  # share-weighted mean 0 per dimension


@dataclass(frozen=True, slots=True)
class _Sums:
    """Domain totals over one slice; every breakdown cell is a linear function of these."""

    flow: float
    hit_flow: float
    requests: float
    origin_requests: float
    up_flow: float

    def __add__(self, other: _Sums) -> _Sums:
        return _Sums(
            self.flow + other.flow,
            self.hit_flow + other.hit_flow,
            self.requests + other.requests,
            self.origin_requests + other.origin_requests,
            self.up_flow + other.up_flow,
        )


_ZERO = _Sums(0.0, 0.0, 0.0, 0.0, 0.0)
# The quantities that add up over members (the rest: a ratio and the bandwidths).
_VOLUMES = (
    Quantity.FLOW,
    Quantity.REQUESTS,
    Quantity.HIT_FLOW,
    Quantity.ORIGIN_FLOW,
    Quantity.ORIGIN_REQUESTS,
    Quantity.UP_FLOW,
)


def _profile(account: str, domain: str) -> _Profile:
    def u(*what: str) -> float:
        return unit_hash(account, domain, *what)

    shares: dict[str, dict[str, float]] = {}
    offsets: dict[str, dict[str, float]] = {}
    for dimension, values in DIMENSIONS.items():
        weights = {v: 0.4 + u("share", dimension, v) for v in values}
        total = sum(weights.values())
        shares[dimension] = {v: w / total for v, w in weights.items()}
        raw = {v: 0.02 * (2 * u("hit", dimension, v) - 1) for v in values}
        # Centre the offsets so the share-weighted mean of the cells' hit ratios is the
        # domain's: hit traffic then adds up exactly across every breakdown.
        mean = sum(shares[dimension][v] * raw[v] for v in values)
        offsets[dimension] = {v: raw[v] - mean for v in values}
    return _Profile(
        peak_mbps=50.0 * 2.0 ** (4 * u("peak")),  # 50 to 800 Mbps at the evening peak
        object_bytes=30_000.0 * 2.0 ** (5 * u("object")),  # 30 kB to ~1 MB per request
        hit_base=0.84 + 0.08 * u("hit"),
        up_fraction=0.01 + 0.04 * u("up"),
        phases=tuple(2 * math.pi * u("phase", str(i)) for i in range(4)),
        shares=shares,
        hit_offsets=offsets,
    )


def _daily(epoch: int) -> float:
    """Relative load by local time of day: a trough near 04:30, a daytime plateau and
    an evening peak near 21:00 (about 1.0)."""
    hour = ((epoch + AUDIENCE_OFFSET) % DAY) / HOUR
    day = 0.5 - 0.5 * math.cos(2 * math.pi * (hour - _TROUGH_HOUR) / 24)
    from_peak = (hour - _PEAK_HOUR + 12) % 24 - 12  # signed hours, -12 to 12
    evening = math.exp(-(from_peak**2) / (2 * 2.5**2))
    return 0.16 + 0.46 * day + 0.48 * evening


def _minute(profile: _Profile, epoch: int) -> _Sums:
    """The domain's totals for the minute starting at `epoch`: smooth, never random."""
    p = profile.phases
    wobble = (
        1.0
        + 0.06 * math.sin(2 * math.pi * epoch / 2820 + p[0])
        + 0.04 * math.sin(2 * math.pi * epoch / 780 + p[1])
        + 0.02 * math.sin(2 * math.pi * epoch / 222 + p[2])
    )
    flow = profile.peak_mbps * _daily(epoch) * wobble * MINUTE / 8  # MB in this minute
    hit_ratio = profile.hit_base + 0.025 * math.sin(2 * math.pi * epoch / (6 * HOUR) + p[3])
    requests = float(round(flow * 1e6 / profile.object_bytes))
    request_hit_ratio = min(0.99, hit_ratio + 0.03)
    return _Sums(
        flow=flow,
        hit_flow=flow * hit_ratio,
        requests=requests,
        origin_requests=float(round(requests * (1 - request_hit_ratio))),
        up_flow=flow * profile.up_fraction,
    )


class TrafficModel:
    """Final (fully settled) values of every quantity, for any slice and breakdown.

    Defined at one-minute resolution: a longer slice sums its minutes (flows, requests)
    or takes the peak of its 5-minute bandwidths. Slices must start on a minute.
    """

    def __init__(self, cache_size: int = 1 << 17) -> None:
        self._profile: Callable[[str, str], _Profile] = lru_cache(maxsize=4096)(_profile)
        self._sums: Callable[[str, str, int, int], _Sums] = lru_cache(maxsize=cache_size)(
            self._compute_sums
        )

    def value(
        self,
        account: str,
        domain: str,
        quantity: Quantity,
        slice_start: int,
        slice_seconds: int,
        breakdown: Breakdown | None = None,
    ) -> float:
        """The final value of `quantity` for one domain (and breakdown cell) in one slice.

        `breakdown` picks a cell, e.g. `{"isp": "telecom", "province": "beijing"}` or
        `{"country": "hk"}`; dimensions left out are summed over.
        """
        member: Member = (domain, breakdown or {})
        return self.aggregate(account, (member,), quantity, slice_start, slice_seconds)

    def aggregate(
        self,
        account: str,
        members: Sequence[Member],
        quantity: Quantity,
        slice_start: int,
        slice_seconds: int,
    ) -> float:
        """The final value of `quantity` over several (domain, cell) members together:
        volumes add, a bandwidth is that of the summed flow, a ratio is of the sums."""
        if slice_start % MINUTE or slice_seconds <= 0 or slice_seconds % MINUTE:
            raise ValueError("slices start on a minute and last whole minutes")
        # Volumes first (most calls), summed from a list rather than a generator: the
        # emulator asks this millions of times.
        if quantity in _VOLUMES:
            return sum(
                [
                    self._cell(account, domain, cell, quantity, slice_start, slice_seconds)
                    for domain, cell in members
                ]
            )
        if quantity is Quantity.HIT_RATIO:
            flow = self.aggregate(account, members, Quantity.FLOW, slice_start, slice_seconds)
            hit = self.aggregate(account, members, Quantity.HIT_FLOW, slice_start, slice_seconds)
            return hit / flow if flow > 0 else 0.0
        flow_quantity = _BANDWIDTH_OF[quantity]
        if slice_seconds <= FIVE_MINUTES:
            flow = self.aggregate(account, members, flow_quantity, slice_start, slice_seconds)
            return flow * 8 / slice_seconds
        return max(
            self.aggregate(account, members, quantity, start, FIVE_MINUTES)
            for start in range(slice_start, slice_start + slice_seconds, FIVE_MINUTES)
        )

    def _cell(
        self,
        account: str,
        domain: str,
        cell: Breakdown,
        quantity: Quantity,
        slice_start: int,
        slice_seconds: int,
    ) -> float:
        sums = self._sums(account, domain, slice_start, slice_seconds)
        share = 1.0
        hit_offset = 0.0
        if cell:  # a breakdown cell: its share of the domain, its own hit ratio
            profile = self._profile(account, domain)
            for dimension, value in cell.items():
                if dimension not in DIMENSIONS:
                    raise ValueError(f"unknown breakdown dimension {dimension!r}")
                share *= profile.shares[dimension].get(value, 0.0)
                if dimension in _HIT_RATIO_DIMENSIONS:
                    hit_offset += profile.hit_offsets[dimension].get(value, 0.0)
        # Branches, not a dict of every quantity: the emulator asks this millions of times.
        if quantity is Quantity.FLOW:
            return sums.flow * share
        if quantity is Quantity.REQUESTS:
            return sums.requests * share
        if quantity is Quantity.ORIGIN_REQUESTS:
            return sums.origin_requests * share
        if quantity is Quantity.UP_FLOW:
            return sums.up_flow * share
        hit_flow = sums.hit_flow + hit_offset * sums.flow
        if quantity is Quantity.HIT_FLOW:
            return hit_flow * share
        if quantity is Quantity.ORIGIN_FLOW:
            return (sums.flow - hit_flow) * share
        raise KeyError(quantity)

    def _compute_sums(
        self, account: str, domain: str, slice_start: int, slice_seconds: int
    ) -> _Sums:
        if slice_seconds > FIVE_MINUTES and slice_seconds % FIVE_MINUTES == 0:
            # Built from cached 5-minute sums, so hourly data costs no more minutes.
            parts = range(slice_start, slice_start + slice_seconds, FIVE_MINUTES)
            return sum((self._sums(account, domain, s, FIVE_MINUTES) for s in parts), _ZERO)
        profile = self._profile(account, domain)
        minutes = range(slice_start, slice_start + slice_seconds, MINUTE)
        return sum((_minute(profile, m) for m in minutes), _ZERO)
