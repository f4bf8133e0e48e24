"""The emulated Wangsu legacy `flow-data` and `myview` reports: facts and answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collector.emulator.core import EmulatedAccount, Emulator
from collector.emulator.traffic import Member, Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import (
    ASSUMED_300,
    DAY,
    HOUR,
    MINUTE,
    PER_5MIN_30,
    TRANSCODING_GRADES,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    MB,
    MBPS,
    Column,
    Level,
    Shape,
)
from collector.emulator.wangsu.validation import Call, Row, legacy_label
from collector.timeslices import format_local

# -- facts ----------------------------------------------------------------------------

ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="account_traffic",
        path="/api/report/flow",
        method="GET",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,  # "cannot be longer than 31 days"
        max_domains=0,  # no domain list: every domain of the account
        intervals=(DAY, 5 * MINUTE, HOUR),  # `type`, default daily
        envelope=Envelope.FLOW_DATA,
        params="query-lower",
        legacy_errors=True,
        source="§6.9; models.py QuerySumUpTrafficUnderAccountParameters",
    ),
    RouteFacts(
        name="domainflow",
        path="/api/report/domainflow",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,
        max_domains=20,  # "default value is 20"
        intervals=(DAY, 5 * MINUTE, HOUR),
        envelope=Envelope.FLOW_DATA,
        domain_required=True,  # domain_list is required in the SDK model
        params="query",
        domain_key="domain-list",
        legacy_errors=True,
        source="§6.10; models.py QueryDomainTotalTraffic*",
    ),
    RouteFacts(
        name="settlement_area",
        path="/api/report/flow/area",
        method="POST",
        rate_limit=PER_5MIN_30,  # README: 30/5 min
        max_span=31 * DAY,
        max_domains=20,  # [I] "all domains if not specified"; no cap is documented
        intervals=(DAY, 5 * MINUTE, HOUR),  # dataInterval, default 1d
        envelope=Envelope.FLOW_DATA,
        required_fields=frozenset({"areaCode"}),
        filters={"area": "areaCode"},  # `;`-separated
        source="§6.12; models.py QueryDomainTrafficUnderSpecificSettlementArea*",
    ),
    RouteFacts(
        name="flow_channel",
        path="/myview/Flowchannel",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,  # [I] not documented
        max_domains=20,  # [I] not documented
        intervals=(5 * MINUTE,),
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        domain_key="channel",
        source="§6.12; models.py FlowChannel*",
    ),
    RouteFacts(
        name="flow_day",
        path="/myview/flow-day",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,  # [I] not documented
        max_domains=20,  # [I] not documented
        intervals=(DAY,),
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        domain_key="channel",
        source="§6.12; models.py FlowDay*",
    ),
    RouteFacts(
        name="vod_transcoding",
        path="/myview/Wctquery",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,  # [I] not documented
        max_domains=0,  # no channel list: the account's transcoding
        intervals=(5 * MINUTE,),  # "5分钟粒度的统计信息"
        interval_param=False,
        envelope=Envelope.MYVIEW,
        params="myview",
        day_dates=True,  # startdate/enddate: yyyy-mm-dd
        filters={"transcoding": "transcoding"},
        source="§6.12; models.py WctQuery*",
    ),
)

# -- answers --------------------------------------------------------------------------

# The answer is one series over the whole call: no level, a `flow-summary` beside it.


def _flow_total(call: Call, rows: list[Row]) -> dict[str, Any]:
    return {"flow-summary": decimal(sum(values[Quantity.FLOW] for _, values in rows), MB)}


@dataclass(frozen=True)
class IntegerFlow(Shape):
    """domainflow: the SDK types `flow-summary` and `flow` as int ([?] the docs still say
    "two decimals"); printed as whole MB JSON integers."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        flows = [
            values[Quantity.FLOW] for _, values in call.rows(call.members({}), [Quantity.FLOW])
        ]
        series = [
            {"timestamp": call.label(end), "flow": round(flow)}
            for (end, _), flow in zip(call.slices, flows, strict=True)
        ]
        return [{"flow-summary": round(sum(flows)), "flow-data": series}]


def area_share(account: str, domain: str, area: str) -> float:
    """The part of a domain's traffic billed in a settlement area. [?] Our model: mainland
    China ("cn") takes 50-90 %, overseas ("ov") the rest, any other (overlapping) area a
    stable slice of the overseas part."""
    china = 0.5 + 0.4 * unit_hash(account, domain, "settlement-area")
    if area == "cn":
        return china
    if area == "ov":
        return 1.0 - china
    return (1.0 - china) * 0.2 * (0.5 + unit_hash(account, domain, area))


@dataclass(frozen=True)
class AreaFlow(Shape):
    """flow/area: `flow-summary` and `flow-data` of the listed domains' traffic in the
    areas asked for together."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        name = call.account.name
        shares = {
            domain: sum(area_share(name, domain, area) for area in call.selected["area"])
            for domain in call.selected["domain"]
        }
        flows = [0.0] * len(call.slices)
        for domain, share in shares.items():
            rows = call.rows([(domain, {})], [Quantity.FLOW])
            for i, (_, values) in enumerate(rows):
                flows[i] += values[Quantity.FLOW] * share
        series = [
            {"timestamp": call.label(end), "flow": decimal(flow, MB)}
            for (end, _), flow in zip(call.slices, flows, strict=True)
        ]
        return [{"flow-summary": decimal(sum(flows), MB), "flow-data": series}]


def _days(call: Call) -> dict[str, list[int]]:
    """Slice ends by the local day they belong to (midnight closes the day before)."""
    days: dict[str, list[int]] = {}
    for end, _ in call.slices:
        days.setdefault(format_local(end - 1, call.offset, "%Y-%m-%d"), []).append(end)
    return days


def _one_or_list(items: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    # [?] The SDK's JSON models nest one object where the XML repeats elements.
    return items[0] if len(items) == 1 else items


def _today(call: Call) -> str:
    return format_local(int(call.emulator.clock.time()), call.offset, "%Y-%m-%d")


@dataclass(frozen=True)
class FlowChannelShape(Shape):
    """provider -> date (per day) -> channel (per domain) -> flow[] {time, text (Mbps)}."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        domains = call.selected["domain"]
        bandwidth = {
            domain: dict(call.rows([(domain, {})], [Quantity.BANDWIDTH])) for domain in domains
        }
        days = _days(call) or {_today(call): []}
        dates = []
        for day, ends in days.items():
            channels = [
                {
                    "name": domain,
                    "flow": [
                        {
                            "time": legacy_label(end, call.offset, call.slice_seconds),
                            "text": decimal(bandwidth[domain][end][Quantity.BANDWIDTH], MBPS),
                        }
                        for end in ends
                    ],
                }
                for domain in domains
            ]
            dates.append({"name": day, "channel": _one_or_list(channels)})
        provider = {
            "name": call.account.name,
            "type": "Flowchannel",
            "resultType": "1",
            "date": _one_or_list(dates),
        }
        return [{"provider": provider}]


@dataclass(frozen=True)
class FlowDayShape(Shape):
    """provider -> date {startdate, enddate} -> channel (per domain) -> channel-peak[]
    {date, peakTime, peakValue (Mbps), totalFlow (MB)} per day."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        traffic = call.emulator.traffic
        channels = []
        for domain in call.selected["domain"]:
            member: list[Member] = [(domain, {})]
            peaks = []
            for end, factor in call.slices:
                flow = traffic.aggregate(call.account.name, member, Quantity.FLOW, end - DAY, DAY)
                five = [
                    (traffic.aggregate(call.account.name, member, Quantity.BANDWIDTH, t, 300), t)
                    for t in range(end - DAY, end, 300)
                ]
                peak, at = max(five)
                peaks.append(
                    {
                        "date": format_local(end - 1, call.offset, "%Y-%m-%d"),
                        "peakTime": format_local(at + 300, call.offset, "%Y-%m-%d %H:%M"),
                        "peakValue": decimal(peak * factor, MBPS),
                        "totalFlow": decimal(flow * factor, MB),
                    }
                )
            channels.append({"name": domain, "channel-peak": peaks})
        days = [format_local(end - 1, call.offset, "%Y-%m-%d") for end, _ in call.slices]
        first, last = (days[0], days[-1]) if days else (_today(call), _today(call))
        date = {"startdate": first, "enddate": last, "channel": _one_or_list(channels)}
        return [{"provider": {"name": call.account.name, "type": "flow-day", "date": date}}]


def transcoding_minutes(
    emulator: Emulator, account: EmulatedAccount, operation: str, slice_end: int
) -> float:
    """Final transcoding output minutes of one 5-minute slice: a stable share
    (`unit_hash`) of the account's edge traffic. [?] Our model, not a documented figure."""
    members: list[Member] = [(domain, {}) for domain in account.domains]
    flow = emulator.traffic.aggregate(account.name, members, Quantity.FLOW, slice_end - 300, 300)
    return flow * 0.002 * (0.5 + unit_hash(account.name, "wctquery", operation))


@dataclass(frozen=True)
class WctQueryShape(Shape):
    """provider -> date (per transcoding operation asked for) {startdate, enddate,
    customerId, transcoding, transcodingType, unit, total, wct {type, total, data[]
    {time, text}}}: 5-minute output minutes over whole days."""

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        days = _days(call)
        first, last = (min(days), max(days)) if days else (_today(call), _today(call))
        dates = []
        for operation in call.selected["transcoding"]:
            data = [
                {
                    "time": legacy_label(end, call.offset, call.slice_seconds),
                    "text": decimal(
                        transcoding_minutes(call.emulator, call.account, operation, end) * factor,
                        MB,
                    ),
                }
                for end, factor in call.slices
            ]
            total = decimal(sum(float(item["text"]) for item in data), MB)
            dates.append(
                {
                    "startdate": first,
                    "enddate": last,
                    "customerId": call.account.name,
                    "transcoding": operation,
                    "transcodingType": ";".join(TRANSCODING_GRADES),  # every grade, summed
                    "unit": "minute",  # [?]
                    "total": total,
                    "wct": {"type": operation, "total": total, "data": data},
                }
            )
        provider = {"name": call.account.name, "type": "Wctquery", "date": _one_or_list(dates)}
        return [{"provider": provider}]


_NO_LEVELS: tuple[Level, ...] = ()

SHAPES: Mapping[str, Shape] = {
    "account_traffic": Shape(
        levels=_NO_LEVELS,
        series="flow-data",
        columns=(Column(field="flow", quantity=Quantity.FLOW, decimals=MB),),
        summary=_flow_total,
    ),
    "domainflow": IntegerFlow(
        levels=_NO_LEVELS,
        series="flow-data",
        columns=(Column(field="flow", quantity=Quantity.FLOW, decimals=0),),
    ),
    "settlement_area": AreaFlow(
        levels=_NO_LEVELS,
        series="flow-data",
        columns=(Column(field="flow", quantity=Quantity.FLOW, decimals=MB),),
    ),
    "flow_channel": FlowChannelShape(
        levels=_NO_LEVELS,
        series="flow",
        columns=(Column(field="text", quantity=Quantity.BANDWIDTH, decimals=MBPS),),
    ),
    "flow_day": FlowDayShape(
        levels=_NO_LEVELS,
        series="channel-peak",
        columns=(
            Column(field="totalFlow", quantity=Quantity.FLOW, decimals=MB),
            Column(field="peakValue", quantity=Quantity.BANDWIDTH, decimals=MBPS),
        ),
    ),
    "vod_transcoding": WctQueryShape(
        levels=_NO_LEVELS,
        series="data",
        columns=(Column(field="text", quantity=Quantity.FLOW, decimals=MB),),
    ),
}
