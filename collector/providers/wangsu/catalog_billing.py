"""Wangsu/CDNetworks billing reports: the provider's own month-to-date billing figures.

`/myview/Channelvalue` (Wangsu's `other` product) answers, per channel, the billed
value of the channel's charge method over a date range: `chargeMethod` (opaque: no
SDK lists its values), `value` and its `unit`. It takes no `timezone`: its dates are
GMT+08:00, the myview default. `/myview/perzone-billing` (both brands' `reportbandwidth`)
answers the account's (or the listed channels') billing bandwidth per billing zone,
each with its `detail[]` series; summed over the zones per time it is the series the
provider bills, and the billing core (collector.billing.ledger) turns it into the
month's figures exactly as it does ours.

Both are polled hourly over the billing month to date in GMT+08:00 (a range ending at
the window's start, like Volcengine's P95) and feed the provider figures of the billing
groups billed in that zone (collector.billingkeeper) where the answer is the group's own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collector.billing.calendar import SLOT_SECONDS, BillingMonth
from collector.billing.ledger import BANDWIDTH_METHODS, Method, MonthLedger
from collector.model import MEGABIT_PER_SECOND, Family, Kind, Point
from collector.providers._json import field_of, number, text_of
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    Granularity,
    MalformedResponse,
    Measure,
    Query,
    Reason,
    Unit,
    checked,
)
from collector.providers.wangsu.declare import ASSUMED_30, DATA_DELAY, Body, From
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.providers.wangsu.wire import MBPS, MYVIEW, one_or_many
from collector.timeslices import (
    DAY,
    HOUR,
    TimestampError,
    format_local,
    format_offset,
)

# -- families -------------------------------------------------------------------------

CHANNEL_CHARGE_BANDWIDTH = Family(
    "cdn_channel_charge_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "The provider's billed bandwidth of a channel (domain) over the billing month to date"
    " (GMT+08:00), in bytes per second, by charge method (ours where the charge-method"
    " table maps it, else the provider's own name)",
    ("domain", "method"),
)
PERZONE_BILLING_BANDWIDTH = Family(
    "cdn_perzone_billing_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "The provider's month-to-date billing bandwidth in bytes per second by method"
    " (`domain` `*`: the whole account), computed by the exporter's billing rules from the"
    " provider's own billing series (its zones' 5-minute detail summed per time; valid"
    " days only; GMT+08:00 months)",
    ("domain", "method"),
)

# -- charge methods and units ---------------------------------------------------------

# [I] `chargeMethod` is opaque (no SDK or document lists its values): these spellings,
# compared without case, spaces, `_` or `-`, name our methods; any other is exported
# under its own name and feeds no billing group.
CHARGE_METHODS: Mapping[str, Method] = {
    "95": Method.P95,
    "p95": Method.P95,
    "95th": Method.P95,
    "95peak": Method.P95,
    "month95": Method.P95,
    "monthly95th": Method.P95,
    "95峰值": Method.P95,
    "月95峰值": Method.P95,
    "95带宽峰值": Method.P95,
    "dailypeakaverage": Method.DAILY_PEAK_AVERAGE,
    "averagedailypeak": Method.DAILY_PEAK_AVERAGE,
    "peakavg": Method.DAILY_PEAK_AVERAGE,
    "日峰值月平均": Method.DAILY_PEAK_AVERAGE,
    "日峰值平均": Method.DAILY_PEAK_AVERAGE,
    "fourthdailypeak": Method.FOURTH_DAILY_PEAK,
    "4thdailypeak": Method.FOURTH_DAILY_PEAK,
    "month4thpeak": Method.FOURTH_DAILY_PEAK,
    "第四峰值": Method.FOURTH_DAILY_PEAK,
    "月第四峰值": Method.FOURTH_DAILY_PEAK,
}
# [I] Channelvalue's `unit` (undocumented values): bandwidth units in decimal bits per
# second; the volume units of a channel billed by traffic are known, and not read.
BANDWIDTH_UNITS: Mapping[str, float] = {
    "bps": 1 / 8,
    "kbps": 1e3 / 8,
    "mbps": MEGABIT_PER_SECOND,
    "gbps": 1e9 / 8,
    "tbps": 1e12 / 8,
}
VOLUME_UNITS = frozenset({"b", "kb", "mb", "gb", "tb", "pb"})
# For HELP texts: the factor comes from each answer's `unit`.
BY_UNIT = Unit(1.0, "converted by the answer's `unit` (Mbps as 10^6 bit/s, divided by 8)")
# The zone of both reports' months: Channelvalue takes no `timezone` (its dates are in
# the myview default, GMT+08:00), and perzone-billing is asked in the same zone, the
# billing reports' default (reference §10.1) and the billing groups' default time_zone.
BILLING_OFFSET = 8 * HOUR


def charge_method(raw: str) -> str:
    """Our method's name for a `chargeMethod`, or the provider's own (stripped)."""
    key = "".join(c for c in unicodedata.normalize("NFKC", raw).lower() if c not in " _-")
    method = CHARGE_METHODS.get(key)
    return str(method) if method is not None else raw.strip()


# -- the range: the billing month to date -----------------------------------------------


def month_to_date(query: Query) -> tuple[BillingMonth, int]:
    """The billing month (GMT+08:00) holding the instant before the window's start, and
    the range's end, the window's start: it holds only settled slices, and right after a
    month turns it is the whole previous month."""
    end = query.window.start
    return BillingMonth.of(end - 1, BILLING_OFFSET), end


def _minute(epoch: int, offset: int) -> str:
    return format_local(epoch, offset, "%Y-%m-%d %H:%M")


# Channelvalue: `startdate`/`enddate` to the minute, the first slice end of the month and
# the window's start, GMT+08:00.
CHANNEL_VALUE_FIRST = From(
    lambda query: _minute(month_to_date(query)[0].start + SLOT_SECONDS, BILLING_OFFSET)
)
CHANNEL_VALUE_LAST = From(lambda query: _minute(query.window.start, BILLING_OFFSET))
# perzone-billing: `startDate`/`endDate` are whole days (in `timezone`, GMT+08:00): the
# month's first day and the day of the range's end; the detail past it is not read.
PERZONE_FIRST_DAY = From(
    lambda query: format_local(month_to_date(query)[0].start, BILLING_OFFSET, "%Y-%m-%d")
)
PERZONE_LAST_DAY = From(
    lambda query: format_local(query.window.start - 1, BILLING_OFFSET, "%Y-%m-%d")
)


def _channel(query: Query) -> str:
    if len(query.domains) != 1:
        raise MalformedResponse(
            f"{query.endpoint} is asked one channel a call; the query named {len(query.domains)}"
        )
    return query.domains[0]


# -- answers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelValue:
    """Channelvalue: `provider` -> `date` -> `information` (one object, or a list [I])
    {channel, chargeMethod, acceType, value, unit, peakValue, peakTime}. One channel is
    asked a call; its figure is stamped at the range's end. A volume `unit` (a channel
    billed by traffic) gives no figure; an unknown one makes the answer malformed."""

    envelope: str = MYVIEW

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (Measure(field="value", family=CHANNEL_CHARGE_BANDWIDTH, unit=BY_UNIT),)

    def source(self, measure: Measure) -> str:
        return "provider.date.information.value (by chargeMethod; billing month to date)"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        channel = _channel(query)
        out: list[Point] = []
        for path, provider in one_or_many(payload, "provider", ""):
            for date_path, date in one_or_many(provider, "date", path):
                for where, item in one_or_many(date, "information", date_path):
                    point = _charge_point(item, where, channel, query.window.start)
                    if point is not None:
                        out.append(point)
        return out


def _charge_point(item: Any, where: str, channel: str, end: int) -> Point | None:
    name = text_of(item, "channel", where)
    if name.lower() != channel.lower():
        return None  # a suffix match's other channels ([?] isExactMatch is left true)
    method = charge_method(text_of(item, "chargeMethod", where))
    unit = text_of(item, "unit", where).strip().lower()
    value = number(field_of(item, "value", where), f"{where}.value")
    if unit in VOLUME_UNITS:
        return None  # billed by traffic: no bandwidth figure (and no traffic family yet)
    if unit not in BANDWIDTH_UNITS:
        raise MalformedResponse(
            f"{where}.unit: {unit!r} is not a unit this exporter converts", Reason.SHAPE
        )
    converted = Unit(BANDWIDTH_UNITS[unit], "").convert(value, f"{where}.value")
    return Point(CHANNEL_CHARGE_BANDWIDTH, (name, method), end, converted)


@dataclass(frozen=True, slots=True, kw_only=True)
class PerzoneBilling:
    """perzone-billing (`type` 1, bandwidth): `provider` -> `date` -> `areaMap` ->
    `perzone` (one object, or a list [I]) {name, peakValue, peakTime, totalFlow,
    detail[] {time, text (Mbps [?])}}. The detail is summed over the zones per time (end
    labels in the `timezone` asked, GMT+08:00), the 5-minute points of the range are fed to a
    month ledger (valid days only) and each bandwidth method's figure is stamped at the
    range's end, labelled with the call's one channel or `*` for the account."""

    envelope: str = MYVIEW

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (Measure(field="text", family=PERZONE_BILLING_BANDWIDTH, unit=MBPS),)

    def source(self, measure: Measure) -> str:
        return (
            "provider.date.areaMap.perzone[].detail[].text summed over zones per 5-minute"
            " time, billed by each method over the billing month to date"
        )

    def parse(self, payload: Any, query: Query) -> list[Point]:
        offset = BILLING_OFFSET
        month, last = month_to_date(query)
        series: dict[int, float] = {}
        for path, provider in one_or_many(payload, "provider", ""):
            for date_path, date in one_or_many(provider, "date", path):
                for map_path, area_map in one_or_many(date, "areaMap", date_path):
                    for zone_path, zone in one_or_many(area_map, "perzone", map_path):
                        _add_detail(zone, zone_path, offset, series)
        ledger = MonthLedger(month, month.slots)
        for end, mbps in sorted(series.items()):
            if month.start < end <= last and end % SLOT_SECONDS == 0:
                where = f"detail at {end} summed over zones"
                ledger.record(end, MBPS.convert(checked(mbps, where), where))
        figures = ledger.figures()
        if not figures.points:
            return []
        label = query.domains[0] if len(query.domains) == 1 else "*"
        return [
            Point(PERZONE_BILLING_BANDWIDTH, (label, str(method)), last, figures.bandwidth(method))
            for method in BANDWIDTH_METHODS
        ]


def _add_detail(zone: Any, where: str, offset: int, series: dict[int, float]) -> None:
    for path, item in one_or_many(zone, "detail", where):
        text = text_of(item, "time", path)
        try:
            end = parse_end_labelled(text, offset)
        except TimestampError as exc:
            raise MalformedResponse(f"{path}.time: {exc}", Reason.BAD_TIMESTAMP) from None
        value = number(field_of(item, "text", path), f"{path}.text")
        series[end] = series.get(end, 0.0) + checked(value, f"{path}.text")


# -- declarations ---------------------------------------------------------------------

# One figure a call over a month-long range: hourly is plenty (the default interval of
# an hourly slice), and the ranges reach back at most a month and a slice.
_HOURLY = (Granularity(seconds=HOUR, max_span=31 * DAY, data_delay=DATA_DELAY),)
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="channel_value",
        path="/myview/Channelvalue",
        method="POST",
        rate_limit=ASSUMED_30,  # [I] unstated: <=30/5min per API
        # The answer is per channel, and a group's figure is its one channel's.
        max_domains_per_call=1,
        slices=_HOURLY,
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startdate": CHANNEL_VALUE_FIRST,
                "enddate": CHANNEL_VALUE_LAST,
                "channel": From(lambda query: ";".join(query.domains)),
                "dataformat": "json",
            },
            dates=False,
        ),
        shape=ChannelValue(),
        opt_in=True,
        sdk_model="other.ChannelValue",
        description="The provider's billed value per channel over the billing month to date.",
        point_at_window_start=True,  # the range ends at the window's start
    ),
    Endpoint(
        name="perzone_billing",
        path="/myview/perzone-billing",
        method="POST",
        rate_limit=ASSUMED_30,  # [I] unstated: <=30/5min per API
        # Without `channel` the answer is the account's: the whole-account group's.
        max_domains_per_call=0,
        slices=_HOURLY,
        fan_out=FanOut.ACCOUNT,
        build_body=Body(
            fields={
                "startDate": PERZONE_FIRST_DAY,
                "endDate": PERZONE_LAST_DAY,
                "timezone": "GMT" + format_offset(BILLING_OFFSET),
                "type": "1",  # bandwidth
                # No `dataformat`: not in the SDK model, whose answer is JSON ([I] an XML
                # answer is read too).
            },
            dates=False,
        ),
        shape=PerzoneBilling(),
        opt_in=True,
        sdk_model="reportbandwidth.PerzoneBilling",
        description="The account's billing bandwidth by method, from the provider's billing"
        " series (month to date).",
        point_at_window_start=True,  # the range ends at the window's start
    ),
)
