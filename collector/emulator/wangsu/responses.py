"""Wangsu response building: envelopes, JSON or XML, errors, and each route's body shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from xml.etree import ElementTree

import orjson
from aiohttp import web

from collector.emulator.core import FaultKind
from collector.emulator.traffic import Quantity, decimal
from collector.emulator.wangsu.facts import (
    SYSTEM_ERROR,
    Envelope,
)
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
    """Style A `{"result": [...]}`, style B `{"code": "0", "message", "data": [...]}`, or a
    bare `{"data": [...]}`."""
    if style is Envelope.RESULT:
        return {"result": items}
    if style in (Envelope.FLOW_DATA, Envelope.MYVIEW):
        return items[0]  # the shape builds the whole body: one object, no list
    if style is Envelope.CODE_REPORT:
        return {"code": "0", "message": "success", "data": items[0]}
    if style is Envelope.DATA:
        return {"data": items}
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


@dataclass(frozen=True, kw_only=True)
class Level:
    dimension: str  # "domain" | "isp" | "province" | "country"
    label_key: str  # field naming the item, e.g. "isp"
    list_key: str = ""  # field of the parent holding these items; "" at the top


class Column(NamedTuple):
    """One series field: its key, the model quantity it prints, and its decimals."""

    field: str
    quantity: Quantity
    decimals: int


@dataclass(frozen=True, kw_only=True)
class Shape:
    """A response body as data: nested levels, then a series of `columns` per slice."""

    levels: tuple[Level, ...]
    series: str
    columns: tuple[Column, ...]
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


DOMAIN = Level(dimension="domain", label_key="domain")
ISP_LEVELS = (
    DOMAIN,
    Level(dimension="isp", label_key="isp", list_key="ispData"),
    Level(dimension="province", label_key="province", list_key="provinceData"),
)
MB, MBPS, RATIO, COUNT = 2, 2, 4, 0  # decimals: MB and Mbps 2 dp, ratios 4 dp, counts whole


def hit_ratio_summary(call: Call, rows: list[Row]) -> dict[str, Any]:
    """`realDate` and the traffic-weighted `totalAvg` beside a hit-ratio series."""
    flow = sum(values[Quantity.FLOW] for _, values in rows)
    hit = sum(values[Quantity.HIT_FLOW] for _, values in rows)
    return {
        # "Actual processed time": the newest slice with data.
        # [?] With no slice yet: an empty string, as the SDK requires a string.
        "realDate": format_local(rows[-1][0], call.offset, "%Y-%m-%d %H:%M") if rows else "",
        "totalAvg": decimal(hit / flow if flow > 0 else 0.0, 4),  # traffic-weighted
    }


# Route-specific pieces (ours): some of these bodies name their domains inside objects
# (`domainDir`, `domainStream`) or pick what the answer holds (`dataType`,
# `protocolType`), which the common checks cannot read. Such a shape is a `RouteBody`:
# `bind` reads the parsed body, raises the route's own rejections, and returns the
# common body for `validate` (dates, a `domain` list, `dataInterval`) with the shape
# that answers this very request. Directories, streams, exact domains and protocols
# are not traffic-model dimensions: each is a fixed share of its domain's traffic,
# derived with `unit_hash` ([?] the data is ours).


class RouteBody(Shape):
    """A shape whose request body needs route-specific reading (see above)."""

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        raise NotImplementedError
