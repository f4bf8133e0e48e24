"""The billing families and the pure step from group-months to their samples."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from collector.billing.config import BillingGroup
from collector.billing.ledger import BANDWIDTH_METHODS, GroupLedger, Method
from collector.billing.pricing import month_cost
from collector.model import Family, Kind

_FROM = (
    "from the group's 5-minute points (its domains' settled 5-minute slices summed per "
    "slice, base 1000: 1 Mbps = 125,000 bytes/s) over the calendar month in the group's "
    "time zone"
)
_METHODS = (
    "p95 = the (floor(0.05 x N) + 1)-th highest of the month's N points so far (points of "
    "valid days, those with traffic, unless valid_days_only is off); daily_peak_average = "
    "the mean of the valid days' peaks; fourth_daily_peak = the 4th-highest daily peak "
    "(0 before 4 valid days)"
)
_REPEATS = "if the rest of the month repeats the month so far (its points repeated to fill it)"

BANDWIDTH = Family(
    "cdn_billing_bandwidth_bytes_per_second",
    Kind.GAUGE,
    f"Month-to-date billing bandwidth in bytes per second, {_FROM}: {_METHODS}",
    ("group", "method", "month"),
)
TRAFFIC = Family(
    "cdn_billing_traffic_bytes",
    Kind.GAUGE,
    f"Month-to-date billing traffic in bytes: the sum of every point x 300 s, {_FROM}",
    ("group", "month"),
)
POINTS = Family(
    "cdn_billing_points",
    Kind.GAUGE,
    f"5-minute points in the month's billing figures so far, {_FROM}",
    ("group", "month"),
)
EXPECTED_POINTS = Family(
    "cdn_billing_expected_points",
    Kind.GAUGE,
    "5-minute slices of the billing month settled by now: cdn_billing_points should reach it",
    ("group", "month"),
)
FORECAST_BANDWIDTH = Family(
    "cdn_billing_forecast_bandwidth_bytes_per_second",
    Kind.GAUGE,
    f"Month-end billing bandwidth in bytes per second {_REPEATS}; methods as in "
    "cdn_billing_bandwidth_bytes_per_second (daily_peak_average: unchanged)",
    ("group", "method", "month"),
)
FORECAST_TRAFFIC = Family(
    "cdn_billing_forecast_traffic_bytes",
    Kind.GAUGE,
    f"Month-end billing traffic in bytes {_REPEATS}: traffic so far x slots / points",
    ("group", "month"),
)
COMMIT_BANDWIDTH = Family(
    "cdn_billing_commit_bytes_per_second",
    Kind.GAUGE,
    "Committed billing bandwidth of the group in bytes per second (configuration); `method` "
    "is the group's billing method",
    ("group", "method"),
)
COMMIT_TRAFFIC = Family(
    "cdn_billing_commit_traffic_bytes",
    Kind.GAUGE,
    "Committed monthly billing traffic of the group in bytes (configuration)",
    ("group",),
)
BURST_POINTS = Family(
    "cdn_billing_burst_points_remaining",
    Kind.GAUGE,
    "5-minute points that may still exceed the commit before the month's p95 does: "
    f"floor(0.05 x month-end points) less the points above it so far ({_REPEATS})",
    ("group", "month"),
)
COST = Family(
    "cdn_billing_estimated_cost",
    Kind.GAUGE,
    f"Estimated month cost of the group's billing method at its configured price, {_REPEATS}"
    "; if proration is on, a bandwidth cost x valid days / days in the month (forecast: "
    "valid days / days with points so far)",
    ("group", "month", "currency"),
)
PROVIDER_BANDWIDTH = Family(
    "cdn_billing_provider_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "The provider's own month-to-date billing bandwidth in bytes per second (for comparison)",
    ("group", "method", "month"),
)
LATE_REVISIONS = Family(
    "cdn_billing_late_revisions",
    Kind.GAUGE,
    "Revisions of 5-minute points older than the re-read window, which the month's figures "
    "could not apply (above 0, the figures may be off)",
    ("group", "month"),
)

BILLING_FAMILIES: tuple[Family, ...] = (
    BANDWIDTH,
    TRAFFIC,
    POINTS,
    EXPECTED_POINTS,
    FORECAST_BANDWIDTH,
    FORECAST_TRAFFIC,
    COMMIT_BANDWIDTH,
    COMMIT_TRAFFIC,
    BURST_POINTS,
    COST,
    PROVIDER_BANDWIDTH,
    LATE_REVISIONS,
)


class BillingSample(NamedTuple):
    """One sample: `labels` are the account, then the values of `family.labels`."""

    family: Family
    labels: tuple[str, ...]
    value: float


@dataclass(frozen=True, slots=True)
class GroupState:
    """A group's configuration and ledger, as the samples need them."""

    account: str
    group: BillingGroup
    ledger: GroupLedger


def billing_samples(groups: Iterable[GroupState], settled_until: int) -> list[BillingSample]:
    """Every billing sample of `groups`; `settled_until` is the instant up to which
    slices are settled (now less the settle delay), for the expected points."""
    samples: list[BillingSample] = []
    for state in groups:
        account, config = state.account, state.group
        name, method = config.name, config.method
        commit = config.commit
        if commit is not None and commit.bandwidth is not None:
            labels: tuple[str, ...] = (account, name, str(method))
            samples.append(BillingSample(COMMIT_BANDWIDTH, labels, commit.bandwidth.value))
        if commit is not None and commit.traffic is not None:
            samples.append(BillingSample(COMMIT_TRAFFIC, (account, name), commit.traffic.value))
        for key, ledger in sorted(state.ledger.months.items()):
            figures = ledger.figures()
            for each in BANDWIDTH_METHODS:
                labels = (account, name, str(each), key)
                samples.append(BillingSample(BANDWIDTH, labels, figures.bandwidth(each)))
                samples.append(BillingSample(FORECAST_BANDWIDTH, labels, figures.forecast(each)))
            for each in BANDWIDTH_METHODS:
                if each in ledger.provider:
                    labels = (account, name, str(each), key)
                    samples.append(BillingSample(PROVIDER_BANDWIDTH, labels, ledger.provider[each]))
            month = (account, name, key)
            expected = ledger.month.slots_until(settled_until)
            samples += [
                BillingSample(TRAFFIC, month, figures.traffic),
                BillingSample(FORECAST_TRAFFIC, month, figures.forecast(Method.TRAFFIC)),
                BillingSample(POINTS, month, figures.points),
                BillingSample(EXPECTED_POINTS, month, expected),
                BillingSample(LATE_REVISIONS, month, ledger.late_revisions),
            ]
            if method is Method.P95 and commit is not None and commit.bandwidth is not None:
                remaining = ledger.burst_points_remaining(commit.bandwidth.value, figures)
                samples.append(BillingSample(BURST_POINTS, month, remaining))
            cost = month_cost(config, figures)
            if config.price is not None and cost is not None:
                labels = (*month, config.price.currency)
                samples.append(BillingSample(COST, labels, cost))
    return samples
