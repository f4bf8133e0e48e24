"""The emulated Wangsu/CDNetworks billing reports, Channelvalue and perzone-billing.

Written from the health/billing reference (§7, §10) and the SDK models
(`other.ChannelValue*`, `reportbandwidth.PerzoneBilling*`). The billed figures are the
emulator's own: each channel's 5-minute bandwidth as printed (2-decimal Mbps), billed
by its charge method over the asked range ([?] no Wangsu page gives the rules; ours are
the common ones of reference §10.3: the (floor(0.05 n) + 1)-th highest point of the
valid days, a valid day having traffic; the mean and the 4th highest of the valid days'
peaks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from collector.emulator.traffic import Member, Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import (
    DAY,
    INVALID_PARAMETER,
    MINUTE,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import MB, MBPS, Column, Level, RouteBody, Shape
from collector.emulator.wangsu.validation import Call, bad
from collector.model import RateLimit
from collector.timeslices import format_local

# [I] Neither route publishes a limit: the reference's "unstated -> <=30/5min per API".
ASSUMED_30 = RateLimit(calls=30, period=300)

ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="channel_value",
        path="/myview/Channelvalue",
        method="POST",
        rate_limit=ASSUMED_30,
        # [I] No span is documented: a billing month and a slice.
        max_span=31 * DAY,
        max_domains=20,  # [I] not documented
        intervals=(5 * MINUTE,),  # the billed points ([?] 5-minute, as §10.3)
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        domain_key="channel",
        source="health §7; other/models.py ChannelValue*",
    ),
    RouteFacts(
        name="perzone_billing",
        path="/myview/perzone-billing",
        method="POST",
        rate_limit=ASSUMED_30,
        max_span=31 * DAY,  # [I] not documented
        max_domains=20,  # [I] not documented; no channel: the whole account
        intervals=(5 * MINUTE,),  # detail[] points ([?] 5-minute)
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        domain_key="channel",
        day_dates=True,  # startDate/endDate: yyyy-mm-dd
        date_keys=("startDate", "endDate"),
        # [I] The SDK model has no `dataformat` (its clients cannot ask for JSON) yet
        # models a JSON answer: JSON unless `dataformat` says xml.
        default_format="json",
        source="health §7, cdnetworks §8; reportbandwidth/models.py PerzoneBilling*",
    ),
)

# -- billing rules (ours, reference §10.3) ----------------------------------------------

# Our charge methods per channel ([?] `chargeMethod` values are not enumerated: these
# are Chinese console spellings) and the unit each bills in.
CHARGE_METHODS = (
    ("月95峰值", "Mbps"),
    ("日峰值月平均", "Mbps"),
    ("月第四峰值", "Mbps"),
    ("流量", "GB"),
)
# The one billing zone our accounts are billed in ([?] zone names are not listed; the
# SDK models `areaMap.perzone` as one object).
ZONE = "cn"


def charge_method(account: str, domain: str) -> tuple[str, str]:
    """The channel's charge method and unit: a stable pick per (account, domain)."""
    index = int(unit_hash(account, domain, "charge-method") * len(CHARGE_METHODS))
    return CHARGE_METHODS[min(index, len(CHARGE_METHODS) - 1)]


def billed(points: Mapping[int, float], offset: int, method: str) -> float:
    """A bandwidth method's figure of 5-minute points (slice end -> value) in `offset`."""
    days: dict[str, list[float]] = {}
    for end, value in points.items():
        days.setdefault(format_local(end - 1, offset, "%Y-%m-%d"), []).append(value)
    valid = {day: values for day, values in days.items() if max(values) > 0}
    if method == "日峰值月平均":
        peaks = [max(values) for values in valid.values()]
        return sum(peaks) / len(peaks) if peaks else 0.0
    if method == "月第四峰值":
        peaks = sorted((max(values) for values in valid.values()), reverse=True)
        return peaks[3] if len(peaks) >= 4 else 0.0
    ranked = sorted((v for values in valid.values() for v in values), reverse=True)
    return ranked[len(ranked) // 20] if ranked else 0.0


def _printed(call: Call, domain: str) -> dict[int, float]:
    """The channel's 5-minute bandwidth per slice end, as printed (2-decimal Mbps)."""
    member: list[Member] = [(domain, {})]
    return {
        end: float(decimal(values[Quantity.BANDWIDTH], MBPS))
        for end, values in call.rows(member, [Quantity.BANDWIDTH])
    }


def _minute(call: Call, epoch: int) -> str:
    return format_local(epoch, call.offset, "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ChannelValueShape(Shape):
    """provider {name, type, date {startdate, enddate, information}}: `information` is
    one object per channel asked (an object for one, a list for several [I])
    {channel, chargeMethod, acceType, value, unit, peakValue, peakTime}."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        name = call.account.name
        information = []
        for domain in call.selected["domain"]:
            points = _printed(call, domain)
            method, unit = charge_method(name, domain)
            if unit == "GB":
                value = sum(points.values()) * 300 / 8 / 1000  # Mbps x 300 s -> GB
            else:
                value = billed(points, call.offset, method)
            peak, at = max(((v, end) for end, v in points.items()), default=(0.0, 0))
            information.append(
                {
                    "channel": domain,
                    "chargeMethod": method,
                    "acceType": "web",  # [?] one acceleration type
                    "value": decimal(value, MBPS),
                    "unit": unit,
                    "peakValue": decimal(peak, MBPS),
                    "peakTime": _minute(call, at) if at else "",
                }
            )
        ends = [end for end, _ in call.slices]
        date = {
            "startdate": _minute(call, ends[0]) if ends else "",
            "enddate": _minute(call, ends[-1]) if ends else "",
            "information": information[0] if len(information) == 1 else information,
        }
        return [{"provider": {"name": name, "type": "Channelvalue", "date": date}}]


@dataclass(frozen=True)
class PerzoneBillingShape(RouteBody):
    """provider {name, type, resultType, date {startDate, endDate, type, areaMap {perzone
    {name, peakValue, peakTime, totalFlow, detail[] {time, text}}}}}: the asked channels'
    (all without `channel`) summed bandwidth (`type` 1, Mbps) or traffic (`type` 2, MB a
    slice) in the one zone, 5-minute points end-labelled `yyyy-MM-dd HH:mm`."""

    data_type: str = "1"

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        data_type = str(payload.get("type") or "1")
        if data_type not in ("1", "2"):
            raise bad(INVALID_PARAMETER, "type accepts 1 (bandwidth) or 2 (traffic).")
        dwa = str(payload.get("dwa") or "0")
        if dwa not in ("0", "1"):
            raise bad(INVALID_PARAMETER, "dwa accepts 0 or 1.")
        return payload, replace(self, data_type=data_type)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        name = call.account.name
        series: dict[int, float] = {}
        for domain in call.selected["domain"]:
            for end, mbps in _printed(call, domain).items():
                series[end] = series.get(end, 0.0) + mbps
        traffic = sum(series.values()) * 300 / 8  # Mbps x 300 s -> MB
        peak, at = max(((v, end) for end, v in series.items()), default=(0.0, 0))
        bandwidth = self.data_type == "1"
        zone = {
            "name": ZONE,
            "peakValue": decimal(peak, MBPS),
            "peakTime": _minute(call, at) if at else "",
            "totalFlow": decimal(traffic, MB),
            "detail": [
                {
                    "time": _minute(call, end),
                    "text": decimal(value if bandwidth else value * 300 / 8, MBPS),
                }
                for end, value in sorted(series.items())
            ],
        }
        ends = [end for end, _ in call.slices]
        first = ends[0] - 1 if ends else int(call.emulator.clock.time())
        last = ends[-1] - 1 if ends else first
        date = {
            "startDate": format_local(first, call.offset, "%Y-%m-%d"),
            "endDate": format_local(last, call.offset, "%Y-%m-%d"),
            "type": self.data_type,
            "areaMap": {"perzone": zone},
        }
        provider = {"name": name, "type": "perzone-billing", "resultType": "1", "date": date}
        return [{"provider": provider}]


_NO_LEVELS: tuple[Level, ...] = ()

SHAPES: Mapping[str, Shape] = {
    "channel_value": ChannelValueShape(
        levels=_NO_LEVELS,
        series="information",
        columns=(Column(field="value", quantity=Quantity.BANDWIDTH, decimals=MBPS),),
    ),
    "perzone_billing": PerzoneBillingShape(
        levels=_NO_LEVELS,
        series="detail",
        columns=(Column(field="text", quantity=Quantity.BANDWIDTH, decimals=MBPS),),
    ),
}
