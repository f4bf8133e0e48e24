"""Wangsu response building: envelopes, JSON or XML, errors, and each route's body shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import orjson
from aiohttp import web

from collector.emulator.core import FaultKind
from collector.emulator.traffic import Quantity, decimal
from collector.emulator.wangsu.facts import SYSTEM_ERROR, Envelope
from collector.emulator.wangsu.validation import Call, Row
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


@dataclass(frozen=True)
class _Bytes(Shape):
    """A Shape whose `in_bytes` columns are MB quantities printed as whole Bytes (the
    `/byte` reports, §5.4): 10^6 bytes a MB, as the exporter reads MB."""

    in_bytes: frozenset[str] = frozenset()

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [q for _, q, _ in self.columns])
        series = [
            {"timestamp": call.label(end)}
            | {
                key: decimal(values[q] * (1e6 if key in self.in_bytes else 1.0), places)
                for key, q, places in self.columns
                if key not in omit
            }
            for end, values in rows
        ]
        return {self.series: series}


BYTE = 0  # decimals of a Bytes column: whole bytes

ISP_PROVINCE_SHAPES: Mapping[str, Shape] = {
    "origin_isp_province": Shape(
        _ISP_LEVELS,
        "originFlowData",
        (
            ("value", Quantity.ORIGIN_FLOW, MB),
            ("originBandwidth", Quantity.ORIGIN_BANDWIDTH, MBPS),
        ),
    ),
    "isp_province_byte": _Bytes(
        _ISP_LEVELS,
        "flowData",
        (("value", Quantity.FLOW, BYTE),),
        in_bytes=frozenset({"value"}),
    ),
    "origin_isp_province_byte": _Bytes(
        _ISP_LEVELS,
        "originFlowData",
        (("value", Quantity.ORIGIN_FLOW, BYTE),),
        in_bytes=frozenset({"value"}),
    ),
    "hit_rate_isp_province_byte": _Bytes(
        _ISP_LEVELS,
        "hitRateData",
        (("value", Quantity.HIT_RATIO, RATIO), ("hitFlow", Quantity.HIT_FLOW, BYTE)),
        in_bytes=frozenset({"hitFlow"}),
    ),
    "isp_province_shorttime": Shape(
        _ISP_LEVELS,
        "flowData",
        (("value", Quantity.FLOW, MB), ("bandwidth", Quantity.BANDWIDTH, MBPS)),
    ),
    # Per domain (or all of them), over the ISPs and provinces asked: no ISP levels.
    "isp_province_total": Shape((_DOMAIN,), "detailList", (("value", Quantity.FLOW, MB),)),
    "isp_province_hit_rate_total": Shape(
        (_DOMAIN,),
        "detailList",
        (("hitValue", Quantity.HIT_FLOW, MB), ("hitRate", Quantity.HIT_RATIO, RATIO)),
    ),
    "isp_province_hit_rate_detail": Shape(
        _ISP_LEVELS,
        "details",
        (("hitValue", Quantity.HIT_FLOW, MB), ("hitRate", Quantity.HIT_RATIO, RATIO)),
    ),
}

# -- `result` routes beyond the first six --------------------------------------------

RESULT_SHAPES: Mapping[str, Shape] = {}

# -- `code`/`message`/`data` routes ---------------------------------------------------

CODE_DATA_SHAPES: Mapping[str, Shape] = {}

# -- legacy `flow-data` and `myview` routes -------------------------------------------

LEGACY_SHAPES: Mapping[str, Shape] = {}

# -------------------------------------------------------------------------------------

SHAPES: Mapping[str, Shape] = {
    **CORE_SHAPES,
    **ISP_PROVINCE_SHAPES,
    **RESULT_SHAPES,
    **CODE_DATA_SHAPES,
    **LEGACY_SHAPES,
}
