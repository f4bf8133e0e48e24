"""Ground truth: what a correct exporter must report, computed from the traffic model.

Integration tests compare the exporter's counters against these sums; they use the
same rounding as the printed answers, so a match is exact, not within a tolerance.
"""

from __future__ import annotations

from collector.emulator.core import Emulator
from collector.emulator.traffic import Member, Quantity, decimal
from collector.emulator.volcengine.facts import BY_ACTION, CST
from collector.emulator.volcengine.responses import printed
from collector.emulator.volcengine.validation import USUAL_DELAY
from collector.emulator.wangsu.responses import area_share, transcoding_minutes
from collector.model import GIGABYTE, MEGABYTE
from collector.timeslices import align_down

FIVE_MINUTES = 300


def printed_sum(
    emulator: Emulator,
    account_name: str,
    domain: str,
    quantity: Quantity,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
    places: int = 2,
) -> float:
    """Sum of the final values of the slices ending in (start, end], each rounded to
    `places` decimals as the Wangsu API prints it."""
    account = emulator.account(account_name)
    total = 0.0
    first_end = align_down(start, slice_seconds) + slice_seconds
    for slice_end in range(first_end, int(end) + 1, slice_seconds):
        value = emulator.traffic.value(
            account.name, domain, quantity, slice_end - slice_seconds, slice_seconds
        )
        total += float(decimal(value, places))
    return total


def wangsu_traffic_bytes(
    emulator: Emulator, account_name: str, domain: str, start: float, end: float
) -> float:
    """Edge traffic in bytes over 5-minute slices ending in (start, end], as the
    Wangsu API prints it (2-decimal MB, read as 10^6 bytes)."""
    return printed_sum(emulator, account_name, domain, Quantity.FLOW, start, end) * MEGABYTE


def wangsu_requests(
    emulator: Emulator, account_name: str, domain: str, start: float, end: float
) -> int:
    """Edge requests over 5-minute slices ending in (start, end], as printed."""
    return round(
        printed_sum(emulator, account_name, domain, Quantity.REQUESTS, start, end, places=0)
    )


def volcengine_down_traffic_gb(
    emulator: Emulator, account: str, domain: str, bucket_start: int, seconds: int = 300
) -> float:
    """A domain's final DownTraffic for one bucket, in GB as printed (6 decimals).

    The same arithmetic as the unfiltered series the API prints (protocol share and
    revision factor 1.0), so it matches the printed value exactly."""
    flow = emulator.traffic.aggregate(account, [(domain, {})], Quantity.FLOW, bucket_start, seconds)
    return printed(flow * 1.0 * 1e-3 * 1.0)


def volcengine_settled_through(
    emulator: Emulator, action: str = "DescribeLiveTrafficData", aggregation: int = 300
) -> int:
    """The newest bucket end whose value is final now (the API prints it in full)."""
    shift = BY_ACTION[action].aggregations[aggregation].data_delay - USUAL_DELAY
    horizon = emulator.clock.time() - emulator.final_after - shift
    return align_down(horizon, aggregation, CST)


def volcengine_down_traffic_bytes(
    emulator: Emulator, account_name: str, domain: str, start: float, end: float
) -> float:
    """A domain's downstream traffic in bytes over the 5-minute buckets ending in
    (start, end]: the sum of the final DownTraffic values the API prints, GB x 10^9."""
    account = emulator.account(account_name)
    first_end = align_down(start, FIVE_MINUTES) + FIVE_MINUTES
    total = 0.0
    for bucket_end in range(first_end, int(end) + 1, FIVE_MINUTES):
        gb = volcengine_down_traffic_gb(emulator, account.name, domain, bucket_end - FIVE_MINUTES)
        total += gb * GIGABYTE  # converted per bucket, as the exporter's parser does
    return total


# -- Wangsu ISP x province reports beyond the first two ------------------------------


# -- Wangsu `result` reports beyond the first six ------------------------------------


# -- Wangsu `code`/`message`/`data` reports ------------------------------------------


# -- Wangsu legacy `flow-data` and `myview` reports ----------------------------------


def _slice_ends(start: float, end: float, seconds: int, offset: int) -> range:
    """Ends of the slices (aligned in `offset`) that end in (start, end]."""
    first = align_down(start, seconds, offset) + seconds
    return range(first, int(end) + 1, seconds)


def wangsu_account_traffic_bytes(
    emulator: Emulator,
    account_name: str,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
    offset: int = 8 * 3600,
) -> float:
    """GET /api/report/flow: every domain of the account together, per slice as printed
    (2-decimal MB), in bytes."""
    account = emulator.account(account_name)
    members: list[Member] = [(domain, {}) for domain in account.domains]
    total = 0.0
    for slice_end in _slice_ends(start, end, slice_seconds, offset):
        value = emulator.traffic.aggregate(
            account.name, members, Quantity.FLOW, slice_end - slice_seconds, slice_seconds
        )
        total += float(decimal(value, 2)) * MEGABYTE
    return total


def wangsu_domainflow_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
    offset: int = 8 * 3600,
) -> float:
    """/api/report/domainflow for one domain: whole MB per slice (the SDK's int), in bytes."""
    account = emulator.account(account_name)
    total = 0.0
    for slice_end in _slice_ends(start, end, slice_seconds, offset):
        value = emulator.traffic.aggregate(
            account.name, [(domain, {})], Quantity.FLOW, slice_end - slice_seconds, slice_seconds
        )
        total += round(value) * MEGABYTE
    return total


def wangsu_settlement_area_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    area: str,
    start: float,
    end: float,
    slice_seconds: int = 86400,
    offset: int = 8 * 3600,
) -> float:
    """/api/report/flow/area for one domain and area, per slice as printed, in bytes."""
    account = emulator.account(account_name)
    share = area_share(account.name, domain, area)
    total = 0.0
    for slice_end in _slice_ends(start, end, slice_seconds, offset):
        value = emulator.traffic.aggregate(
            account.name, [(domain, {})], Quantity.FLOW, slice_end - slice_seconds, slice_seconds
        )
        total += float(decimal(value * share, 2)) * MEGABYTE
    return total


def wangsu_channel_daily_traffic_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    start: float,
    end: float,
    offset: int = 8 * 3600,
) -> float:
    """/myview/flow-day `totalFlow` of one channel over the local days ending in
    (start, end], as printed (2-decimal MB), in bytes."""
    account = emulator.account(account_name)
    total = 0.0
    for slice_end in _slice_ends(start, end, 86400, offset):
        value = emulator.traffic.aggregate(
            account.name, [(domain, {})], Quantity.FLOW, slice_end - 86400, 86400
        )
        total += float(decimal(value, 2)) * MEGABYTE
    return total


def wangsu_vod_transcoding_seconds(
    emulator: Emulator, account_name: str, operation: str, start: float, end: float
) -> float:
    """/myview/Wctquery: the printed 5-minute output minutes of `operation` in
    (start, end], in seconds."""
    account = emulator.account(account_name)
    total = 0.0
    for slice_end in _slice_ends(start, end, FIVE_MINUTES, 0):
        minutes = transcoding_minutes(emulator, account, operation, slice_end)
        total += float(decimal(minutes, 2)) * 60
    return total
