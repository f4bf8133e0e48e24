"""Ground truth: what a correct exporter must report, computed from the traffic model.

Integration tests compare the exporter's counters against these sums; they use the
same rounding as the printed answers, so a match is exact, not within a tolerance.
"""

from __future__ import annotations

from collections.abc import Callable

from collector.emulator.core import Emulator
from collector.emulator.traffic import Member, Quantity, decimal
from collector.emulator.volcengine.catalog_health import status_counts
from collector.emulator.volcengine.facts import BY_ACTION, CST
from collector.emulator.volcengine.responses import printed
from collector.emulator.volcengine.validation import USUAL_DELAY
from collector.emulator.wangsu import catalog_health as wangsu_health
from collector.emulator.wangsu.catalog_code_data import online_users, stream_shares
from collector.emulator.wangsu.catalog_legacy import area_share, transcoding_minutes
from collector.emulator.wangsu.catalog_result import dir_share, part_shares, protocol_share
from collector.model import GIGABYTE, MEGABYTE
from collector.timeslices import align_down

FIVE_MINUTES = 300
HOUR = 3600


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


def volcengine_status_counts(
    emulator: Emulator, account_name: str, domain: str, kind: str, start: float, end: float
) -> dict[int, int]:
    """A domain's final requests per status code (`kind` Access: edge, Source: origin
    pulls) over the 5-minute buckets ending in (start, end], as the API prints them."""
    account = emulator.account(account_name)
    first_end = align_down(start, FIVE_MINUTES) + FIVE_MINUTES
    total: dict[int, int] = {}
    for bucket_end in range(first_end, int(end) + 1, FIVE_MINUTES):
        counts = status_counts(
            emulator, account.name, [(domain, {})], kind, bucket_end - FIVE_MINUTES, FIVE_MINUTES
        )
        for code, value in counts.items():
            total[code] = total.get(code, 0) + value
    return total


def wangsu_status_counts(
    emulator: Emulator, account_name: str, domain: str, kind: str, start: float, end: float
) -> dict[int, int]:
    """A domain's final requests per status code (`kind` edge or origin) over the
    5-minute slices ending in (start, end], error bursts included, as the Wangsu
    status-code reports print them."""
    first_end = align_down(start, FIVE_MINUTES) + FIVE_MINUTES
    total: dict[int, int] = {}
    for slice_end in range(first_end, int(end) + 1, FIVE_MINUTES):
        counts = wangsu_health.status_counts(
            emulator, account_name, domain, kind, slice_end, FIVE_MINUTES
        )
        for code, value in counts.items():
            total[code] = total.get(code, 0) + value
    return total


# -- Wangsu ISP x province reports beyond the first two ------------------------------

# Counter family -> (quantity, scale to the printed unit, decimals, printed unit in bytes).
# MB columns print 2 decimals read as 10^6 bytes; the `/byte` reports print whole Bytes.
ISP_PROVINCE_COUNTERS: dict[str, tuple[Quantity, float, int, float]] = {
    "cdn_origin_isp_province_traffic_bytes_total": (Quantity.ORIGIN_FLOW, 1.0, 2, MEGABYTE),
    "cdn_isp_province_node_traffic_bytes_total": (Quantity.FLOW, MEGABYTE, 0, 1.0),
    "cdn_origin_isp_province_node_traffic_bytes_total": (
        Quantity.ORIGIN_FLOW,
        MEGABYTE,
        0,
        1.0,
    ),
    "cdn_isp_province_node_cache_hit_traffic_bytes_total": (Quantity.HIT_FLOW, MEGABYTE, 0, 1.0),
    "cdn_isp_province_visitor_traffic_bytes_total": (Quantity.FLOW, 1.0, 2, MEGABYTE),
    "cdn_isp_province_total_traffic_bytes_total": (Quantity.FLOW, 1.0, 2, MEGABYTE),
    "cdn_isp_province_total_cache_hit_traffic_bytes_total": (Quantity.HIT_FLOW, 1.0, 2, MEGABYTE),
    "cdn_isp_province_detail_cache_hit_traffic_bytes_total": (
        Quantity.HIT_FLOW,
        1.0,
        2,
        MEGABYTE,
    ),
}


def wangsu_isp_province_counter(
    emulator: Emulator,
    family: str,
    account_name: str,
    domain: str,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
    isp: str | None = None,
    province: str | None = None,
) -> float:
    """What counter `family` of an ISP x province report must add up to over the slices
    ending in (start, end], in bytes: each slice's final value printed as the route
    prints it, then converted as the exporter converts it. `isp`/`province` pick a cell
    (canonical codes); None sums over that dimension, as the per-domain totals do."""
    quantity, scale, places, unit = ISP_PROVINCE_COUNTERS[family]
    account = emulator.account(account_name)
    cell = {k: v for k, v in (("isp", isp), ("province", province)) if v is not None}
    total = 0.0
    first_end = align_down(start, slice_seconds) + slice_seconds
    for slice_end in range(first_end, int(end) + 1, slice_seconds):
        value = emulator.traffic.value(
            account.name, domain, quantity, slice_end - slice_seconds, slice_seconds, cell
        )
        total += float(decimal(value * scale, places)) * unit
    return total


# -- Wangsu `result` reports beyond the first six ------------------------------------


def _printed_slices(
    emulator: Emulator,
    start: float,
    end: float,
    slice_seconds: int,
    final: Callable[[int], float],
) -> float:
    """Sum over the slices ending in (start, end] of `final(slice_start)`, each printed
    as the API prints MB (2 decimals), in bytes."""
    total = 0.0
    first_end = align_down(start, slice_seconds) + slice_seconds
    for slice_end in range(first_end, int(end) + 1, slice_seconds):
        total += float(decimal(final(slice_end - slice_seconds), 2))
    return total * MEGABYTE


def wangsu_parent_node_traffic_bytes(
    emulator: Emulator, account_name: str, domain: str, start: float, end: float
) -> float:
    """`flow/parent-node` traffic in bytes over 5-minute slices ending in (start, end]:
    what the parent PoPs sent on is what the edges missed (origin traffic)."""
    return printed_sum(emulator, account_name, domain, Quantity.ORIGIN_FLOW, start, end) * MEGABYTE


def _share_of_flow(
    emulator: Emulator, account: str, domain: str, share: float
) -> Callable[[int], float]:
    def final(slice_start: int) -> float:
        flow = emulator.traffic.value(account, domain, Quantity.FLOW, slice_start, FIVE_MINUTES)
        return flow * share

    return final


def wangsu_protocol_traffic_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    start: float,
    end: float,
    protocol: str = "https",
) -> float:
    """`flow/protocol` traffic in bytes over 5-minute slices ending in (start, end]."""
    account = emulator.account(account_name).name
    share = protocol_share(account, domain, protocol)
    return _printed_slices(
        emulator, start, end, FIVE_MINUTES, _share_of_flow(emulator, account, domain, share)
    )


def wangsu_client_country_traffic_bytes(
    emulator: Emulator, account_name: str, domain: str, country: str, start: float, end: float
) -> float:
    """`flow/domain-country` traffic of one client country in bytes, 5-minute slices."""
    account = emulator.account(account_name).name

    def final(slice_start: int) -> float:
        cell = {"country": country}
        return emulator.traffic.value(
            account, domain, Quantity.FLOW, slice_start, FIVE_MINUTES, cell
        )

    return _printed_slices(emulator, start, end, FIVE_MINUTES, final)


def wangsu_part_traffic_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    kind: str,
    part: str,
    start: float,
    end: float,
) -> float:
    """Traffic in bytes of one part of a domain over 5-minute slices: `kind` "exact"
    (`flow/exact-domain`), "live-dir" (`flow/dir/detail`) or "stream" (`stream/detail`)."""
    account = emulator.account(account_name).name
    share = part_shares(account, domain, kind)[part]
    return _printed_slices(
        emulator, start, end, FIVE_MINUTES, _share_of_flow(emulator, account, domain, share)
    )


def wangsu_directory_traffic_bytes(
    emulator: Emulator, account_name: str, domain: str, directory: str, start: float, end: float
) -> float:
    """`flow/dir/info` traffic of one directory in bytes over the hours ending in
    (start, end] (the exporter asks one hour a call): each hour's total is the sum of
    its 5-minute slices, printed once."""
    account = emulator.account(account_name).name
    share = dir_share(account, domain, directory)
    part = _share_of_flow(emulator, account, domain, share)

    def hour(slice_start: int) -> float:
        return sum(part(s) for s in range(slice_start, slice_start + HOUR, FIVE_MINUTES))

    return _printed_slices(emulator, start, end, HOUR, hour)


# -- Wangsu `code`/`message`/`data` reports ------------------------------------------


def _slice_ends(start: float, end: float, seconds: int, offset: int = 0) -> range:
    """Ends of the slices (aligned in `offset`) that end in (start, end]."""
    first = align_down(start, seconds, offset) + seconds
    return range(first, int(end) + 1, seconds)


def wangsu_up_flow_country_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    country: str,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
) -> float:
    """A domain's upload traffic from one client country in bytes, over the slices
    ending in (start, end], as up-flow/domain-country prints it (2-decimal MB, each
    slice converted as the exporter's parser does)."""
    account = emulator.account(account_name)
    total = 0.0
    for slice_end in _slice_ends(start, end, slice_seconds):
        mb = emulator.traffic.value(
            account.name,
            domain,
            Quantity.UP_FLOW,
            slice_end - slice_seconds,
            slice_seconds,
            {"country": country},
        )
        total += float(decimal(mb, 2)) * MEGABYTE
    return total


def wangsu_flow_byte_traffic_bytes(
    emulator: Emulator,
    account_name: str,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
) -> float:
    """The account's edge traffic over every domain in bytes, over the slices ending in
    (start, end], as flow/byte prints it (whole bytes of the summed MB)."""
    account = emulator.account(account_name)
    members: list[Member] = [(domain, {}) for domain in account.domains]
    total = 0
    for slice_end in _slice_ends(start, end, slice_seconds):
        mb = emulator.traffic.aggregate(
            account.name, members, Quantity.FLOW, slice_end - slice_seconds, slice_seconds
        )
        total += round(mb * 1e6)
    return float(total)


def wangsu_stream_traffic_bytes(
    emulator: Emulator,
    account_name: str,
    domain: str,
    stream: str,
    start: float,
    end: float,
    slice_seconds: int = FIVE_MINUTES,
) -> float:
    """One stream's edge traffic in bytes over the slices ending in (start, end], as
    flow-bandwidth/stream/detail prints it (2-decimal MB per slice)."""
    account = emulator.account(account_name)
    share = stream_shares(account.name, domain)[stream]
    total = 0.0
    for slice_end in _slice_ends(start, end, slice_seconds):
        mb = emulator.traffic.value(
            account.name, domain, Quantity.FLOW, slice_end - slice_seconds, slice_seconds
        )
        total += float(decimal(mb * share, 2)) * MEGABYTE
    return total


def wangsu_domain_online_users(
    emulator: Emulator, account_name: str, domain: str, minute_end: int
) -> int:
    """A domain's online users at the minute ending at `minute_end`: the `onlineUser` of
    flow-bandwidth/stream/detail (isReturnOnline at 1m) summed over its streams, each
    stream once (a stream left out for want of traffic has no user to add)."""
    account = emulator.account(account_name)
    mbps = emulator.traffic.aggregate(
        account.name, [(domain, {})], Quantity.BANDWIDTH, minute_end - 60, 60
    )
    return sum(online_users(mbps * share) for share in stream_shares(account.name, domain).values())


# -- Wangsu legacy `flow-data` and `myview` reports ----------------------------------


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
