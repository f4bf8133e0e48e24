"""Wangsu response building: envelopes, JSON or XML, errors, and each route's body shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import orjson
from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator, FaultKind
from collector.emulator.traffic import Member, Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import DAY, SYSTEM_ERROR, TRANSCODING_GRADES, Envelope
from collector.emulator.wangsu.validation import Call, Row, legacy_label
from collector.timeslices import format_local


def render(payload: Mapping[str, Any], status: int = 200, xml: bool = False) -> web.Response:
    headers = {"x-cnc-request-id": uuid.uuid4().hex}
    if xml:
        # [?] The real XML layout is undocumented: elements named after the JSON keys,
        # a list as repeated elements, under a <response> root.
        root = ElementTree.Element("response")
        _xml_fill(root, payload)
        body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
        return web.Response(
            status=status, body=body, headers=headers, content_type="application/xml"
        )
    return web.Response(
        status=status,
        body=orjson.dumps(payload),
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


def _xml_fill(parent: ElementTree.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            for item in child if isinstance(child, list) else [child]:
                _xml_fill(ElementTree.SubElement(parent, key), item)
    elif value is not None:
        parent.text = str(value)


def envelope(style: Envelope, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Style A `{"result": [...]}` or style B `{"code": "0", "message", "data": [...]}`."""
    if style is Envelope.RESULT:
        return {"result": items}
    if style in (Envelope.FLOW_DATA, Envelope.MYVIEW):
        return items[0]  # the shape builds the whole body: one object, no list
    return {"code": "0", "message": "success", "data": items}


class WangsuDialect:
    """Errors as `{"code", "message"}`. [?] The real auth-failure and throttle answers are
    unpublished (§5.7): 401 AuthFailure and 429 RequestLimitExceeded are our choices."""

    provider = "wangsu"

    def error(self, status: int, code: str, message: str) -> web.Response:
        return render({"code": code, "message": message}, status)

    def throttled(self, message: str) -> web.Response:
        return self.error(429, "RequestLimitExceeded", message)

    def fault(self, kind: FaultKind) -> web.Response:
        if kind is FaultKind.THROTTLE:
            return self.throttled("request rate exceeded (injected)")
        if kind is FaultKind.ERROR_CODE:
            # A 2xx answer whose body carries an error code (§5.7, third-party reports).
            return self.error(200, *SYSTEM_ERROR)
        return self.error(500, *SYSTEM_ERROR)


DIALECT = WangsuDialect()


Summary = Callable[[Call, list[Row]], dict[str, Any]]


@dataclass(frozen=True)
class Level:
    dimension: str  # "domain" | "isp" | "province" | "country"
    label_key: str  # field naming the item, e.g. "isp"
    list_key: str = ""  # field of the parent holding these items; "" at the top


@dataclass(frozen=True)
class Shape:
    """A response body as data: nested levels, then a series of `columns` per slice."""

    levels: tuple[Level, ...]
    series: str
    columns: tuple[tuple[str, Quantity, int], ...]  # (field, quantity, decimals)
    summary: Summary | None = None  # fields beside the series, e.g. totals and peaks
    extra: tuple[Quantity, ...] = ()  # quantities the summary needs beyond the columns

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        """The items of `call`'s answer; series fields in `omit` are left out."""
        levels = self.levels if levels is None else levels
        picked = picked or {}
        if not levels:
            return [self._leaf(call, picked, omit)]
        level, rest = levels[0], levels[1:]
        items: list[dict[str, Any]] = []
        for label, values in call.groups(level.dimension):
            inner = {**picked, level.dimension: values}
            item: dict[str, Any] = {level.label_key: label}
            if rest:
                item[rest[0].list_key] = self.build(call, omit, rest, inner)
            else:
                item.update(self._leaf(call, inner, omit))
            items.append(item)
        return items

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        quantities = [q for _, q, _ in self.columns] + list(self.extra)
        rows = call.rows(call.members(picked), quantities)
        series = [
            {"timestamp": call.label(end)}
            | {
                key: decimal(values[q], places)
                for key, q, places in self.columns
                if key not in omit
            }
            for end, values in rows
        ]
        return {**(self.summary(call, rows) if self.summary else {}), self.series: series}


def _flow_summary(
    flow: Quantity, bandwidth: Quantity, requests: Quantity, names: tuple[str, ...]
) -> Summary:
    """Totals and peaks of flow-request style items; `names` are the six field names."""

    def summary(call: Call, rows: list[Row]) -> dict[str, Any]:
        def peak(quantity: Quantity, places: int) -> tuple[str, str]:
            if not rows:
                # [?] Empty-window peaks are undocumented; the SDK models the times as
                # required strings, so an empty one, never null.
                return decimal(0.0, places), ""
            end, values = max(rows, key=lambda row: row[1][quantity])
            return decimal(values[quantity], places), call.label(end)

        total_flow = sum(values[flow] for _, values in rows)
        total_requests = sum(values[requests] for _, values in rows)
        values = (
            decimal(total_flow, 2),
            decimal(total_requests, 0),
            *peak(bandwidth, 2),
            *peak(requests, 0),
        )
        return dict(zip(names, values, strict=True))

    return summary


def _hit_ratio_summary(call: Call, rows: list[Row]) -> dict[str, Any]:
    flow = sum(values[Quantity.FLOW] for _, values in rows)
    hit = sum(values[Quantity.HIT_FLOW] for _, values in rows)
    return {
        # "Actual processed time": the newest slice with data.
        # [?] With no slice yet: an empty string, as the SDK requires a string.
        "realDate": format_local(rows[-1][0], call.offset, "%Y-%m-%d %H:%M") if rows else "",
        "totalAvg": decimal(hit / flow if flow > 0 else 0.0, 4),  # traffic-weighted
    }


_DOMAIN = Level("domain", "domain")
_ISP_LEVELS = (
    _DOMAIN,
    Level("isp", "isp", "ispData"),
    Level("province", "province", "provinceData"),
)
MB, MBPS, RATIO, COUNT = 2, 2, 4, 0  # decimals: MB and Mbps 2 dp, ratios 4 dp, counts whole


CORE_SHAPES: Mapping[str, Shape] = {
    "flow_request": Shape(
        (_DOMAIN,),
        "flowRequestData",
        (
            ("flow", Quantity.FLOW, MB),
            ("bandwidth", Quantity.BANDWIDTH, MBPS),
            ("request", Quantity.REQUESTS, COUNT),
        ),
        _flow_summary(
            Quantity.FLOW,
            Quantity.BANDWIDTH,
            Quantity.REQUESTS,
            (
                "totalFlow",
                "totalRequest",
                "peakBandwidth",
                "peakTime",
                "peakRequest",
                "peakRequestTime",
            ),
        ),
    ),
    "flow_request_origin": Shape(
        (_DOMAIN,),
        "flowRequestOriginData",
        (
            ("flow", Quantity.ORIGIN_FLOW, MB),
            ("bandwidth", Quantity.ORIGIN_BANDWIDTH, MBPS),
            ("request", Quantity.ORIGIN_REQUESTS, COUNT),
        ),
        _flow_summary(
            Quantity.ORIGIN_FLOW,
            Quantity.ORIGIN_BANDWIDTH,
            Quantity.ORIGIN_REQUESTS,
            (
                "totalFlow",
                "totalRequest",
                "peakBandwidth",
                "peakBandwidthTime",
                "peakRequest",
                "peakRequestTime",
            ),
        ),
    ),
    # One series aggregated over every requested domain; the body has no groupBy.
    "edge_hit_ratio": Shape(
        (),
        "hitRatioDatas",
        (("edgeHitRatio", Quantity.HIT_RATIO, RATIO),),
        _hit_ratio_summary,
        extra=(Quantity.FLOW, Quantity.HIT_FLOW),
    ),
    "hit_rate_isp_province": Shape(
        _ISP_LEVELS,
        "hitRateData",
        (("value", Quantity.HIT_RATIO, RATIO), ("hitFlow", Quantity.HIT_FLOW, MB)),
    ),
    "isp_province": Shape(
        _ISP_LEVELS,
        "flowData",
        (("value", Quantity.FLOW, MB), ("bandwidth", Quantity.BANDWIDTH, MBPS)),
    ),
    # No groupBy here: always per domain and per country (CDNetworks doc example).
    "country_bandwidth": Shape(
        (_DOMAIN, Level("country", "countryCode", "countryData")),
        "detailList",
        (("value", Quantity.BANDWIDTH, MBPS), ("flow", Quantity.FLOW, MB)),
    ),
}

# -- ISP x province routes beyond the first two ----------------------------------------

ISP_PROVINCE_SHAPES: Mapping[str, Shape] = {}

# -- `result` routes beyond the first six --------------------------------------------

RESULT_SHAPES: Mapping[str, Shape] = {}

# -- `code`/`message`/`data` routes ---------------------------------------------------

CODE_DATA_SHAPES: Mapping[str, Shape] = {}

# -- legacy `flow-data` and `myview` routes -------------------------------------------

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

LEGACY_SHAPES: Mapping[str, Shape] = {
    "account_traffic": Shape(_NO_LEVELS, "flow-data", (("flow", Quantity.FLOW, MB),), _flow_total),
    "domainflow": IntegerFlow(_NO_LEVELS, "flow-data", (("flow", Quantity.FLOW, 0),)),
    "settlement_area": AreaFlow(_NO_LEVELS, "flow-data", (("flow", Quantity.FLOW, MB),)),
    "flow_channel": FlowChannelShape(_NO_LEVELS, "flow", (("text", Quantity.BANDWIDTH, MBPS),)),
    "flow_day": FlowDayShape(
        _NO_LEVELS,
        "channel-peak",
        (("totalFlow", Quantity.FLOW, MB), ("peakValue", Quantity.BANDWIDTH, MBPS)),
    ),
    "vod_transcoding": WctQueryShape(_NO_LEVELS, "data", (("text", Quantity.FLOW, MB),)),
}

# -------------------------------------------------------------------------------------

SHAPES: Mapping[str, Shape] = {
    **CORE_SHAPES,
    **ISP_PROVINCE_SHAPES,
    **RESULT_SHAPES,
    **CODE_DATA_SHAPES,
    **LEGACY_SHAPES,
}
