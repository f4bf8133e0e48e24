"""The Wangsu/CDNetworks wire: units, and one generic walker for nested `result`/`data` answers."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from collector.model import MEGABIT_PER_SECOND, MEGABYTE, Family, Point, PointColumns
from collector.providers._json import field_of, list_of, number
from collector.providers.endpoint import (
    MalformedResponse,
    Measure,
    Query,
    Reason,
    Unit,
    checked,
)
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.timeslices import DAY, TimestampError, align_up

ROOT = "body"  # how error paths name the response body itself

# [?] MB as 10^6 or 2^20 bytes is undocumented: 10^6 unless the account says binary.
MB = Unit(MEGABYTE, "MB read as 10^6 bytes", choice="megabyte")
MBPS = Unit(MEGABIT_PER_SECOND, "Mbps read as 10^6 bit/s, divided by 8")
COUNT = Unit(1.0, "a count")
# [?] The reference only says "4 decimal places"; other ratio fields are fractions.
# A percent value of 1 or less (a nearly cold cache) reads as a fraction.
HIT_RATIO = Unit(
    1.0,
    "a ratio 0 to 1; a value above 1 is read as percent",
    percent_above_one=True,
    choice="ratio",
)

ENVELOPE_KEY = {"result": "result", "code-data": "data"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """One list level of a nested answer: its key, and the item field that labels it.

    `names` maps a label value as printed to the label the exporter uses (the Chinese ISP
    and province names to their codes, `names.py`); a value not in it is kept as is.
    None (the default) keeps every value as printed."""

    key: str
    label: str | None = None  # None: the level adds no label
    names: Mapping[str, str] | None = field(default=None, compare=False)

    def label_of(self, value: str) -> str:
        return value if self.names is None else self.names.get(value, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Nested:
    """A nested answer: the envelope list, then lists within lists (each level maybe a
    label), ending in a series of `{timestamp, <measures>}` items.

    `call_label` adds the call's single domain as the first label, for answers that
    carry no domain (the declaration then fans out one domain per call)."""

    envelope: str  # "result" | "code-data"
    levels: tuple[Level, ...]  # below the envelope list
    series: str
    measures: tuple[Measure, ...]
    top_label: str | None = "domain"  # the label field of each envelope item
    call_label: bool = False

    def source(self, measure: Measure) -> str:
        path = [f"{ENVELOPE_KEY[self.envelope]}[]"]
        path += [f"{level.key}[]" for level in self.levels]
        return ".".join([*path, f"{self.series}[]", measure.field])

    def parse(self, payload: Any, query: Query) -> PointColumns:
        labels: tuple[str, ...] = ()
        if self.call_label:
            if len(query.domains) != 1:
                # Without exactly one domain in the query the series cannot be attributed.
                raise MalformedResponse(
                    f"{query.endpoint} answers carry no domain; the query named "
                    f"{len(query.domains)}"
                )
            labels = (query.domains[0],)
        out = PointColumns()
        levels = (Level(key=ENVELOPE_KEY[self.envelope], label=self.top_label), *self.levels)
        self._walk(payload, "", levels, labels, query.offset_seconds, out, {})
        return out

    def _walk(
        self,
        node: Any,
        where: str,
        levels: tuple[Level, ...],
        labels: tuple[str, ...],
        offset: int,
        out: PointColumns,
        stamps: dict[str, int],
    ) -> None:
        if not levels:
            items = list_of(node, self.series, where or ROOT)
            done = len(out)
            try:
                self._fast_items(items, labels, offset, out, stamps)
            except (
                MalformedResponse,
                TimestampError,
                LookupError,
                TypeError,
                ArithmeticError,
                ValueError,
            ):
                # Something is off: the careful reader below names the path and reason.
                out.truncate(done)
                for i, item in enumerate(items):
                    self._item(item, _at(where, self.series, i), labels, offset, out)
            return
        level, rest = levels[0], levels[1:]
        for i, child in enumerate(list_of(node, level.key, where or ROOT)):
            path = _at(where, level.key, i)
            extra = (
                () if level.label is None else (level.label_of(_label(child, level.label, path)),)
            )
            self._walk(child, path, rest, labels + extra, offset, out, stamps)

    def _fast_items(
        self,
        items: Sequence[Any],
        labels: tuple[str, ...],
        offset: int,
        out: PointColumns,
        stamps: dict[str, int],
    ) -> None:
        """The series' points without building error paths or an object per point (each
        value goes straight into `out`'s columns), each timestamp parsed once per answer;
        raises on anything `_item` would reject (it then says why)."""
        plan = [
            (
                m.field,
                m.family,
                labels + m.labels,
                m.unit,
                m.optional,
                # A plain factor: a finite, non-negative value times it is the answer,
                # so only other values (and other units) go through the gate's call.
                0.0 if m.unit.strict_fraction or m.unit.percent_above_one else m.unit.factor,
            )
            for m in self.measures
        ]
        inf = math.inf
        add_family, add_labels = out.families.append, out.labels.append
        add_end, add_value = out.ends.append, out.values.append
        for item in items:
            text = item["timestamp"]
            end = stamps.get(text)
            if end is None:
                if type(text) is not str:
                    raise TypeError("timestamp")
                end = stamps[text] = parse_end_labelled(text, offset)
            for key, family, full, unit, optional, factor in plan:
                raw = item.get(key)
                if raw is None:
                    if optional:
                        continue
                    raise LookupError(key)
                if type(raw) is bool:
                    raise TypeError(key)
                value = float(raw)
                # The one value gate (Unit.convert), inlined for the common case only:
                # NaN fails `0 <= value`, infinities and overflow `< inf`.
                if factor and 0.0 <= value < inf and value * factor < inf:
                    value *= factor
                else:
                    value = unit.convert(value, key)
                add_family(family)
                add_labels(full)
                add_end(end)
                add_value(value)

    def _item(
        self, item: Any, path: str, labels: tuple[str, ...], offset: int, out: PointColumns
    ) -> None:
        end = _timestamp(item, path, offset)
        for measure in self.measures:
            where = f"{path}.{measure.field}"
            if measure.optional and (not isinstance(item, dict) or item.get(measure.field) is None):
                continue  # documented as not returned by default: absence is no error
            value = number(field_of(item, measure.field, path), where)
            out.append(
                Point(
                    measure.family, labels + measure.labels, end, measure.unit.convert(value, where)
                )
            )


def _at(where: str, key: str, index: int) -> str:
    return f"{where}.{key}[{index}]" if where else f"{key}[{index}]"


def _label(item: Any, key: str, path: str) -> str:
    value = field_of(item, key, path)
    if not isinstance(value, str):
        raise MalformedResponse(
            f"{path}.{key}: expected a string, got {value!r}", Reason.WRONG_TYPE
        )
    return value


def _timestamp(item: Any, path: str, offset: int) -> int:
    value = field_of(item, "timestamp", path)
    if not isinstance(value, str):
        raise MalformedResponse(
            f"{path}.timestamp: expected a string, got {value!r}", Reason.BAD_TIMESTAMP
        )
    try:
        return parse_end_labelled(value, offset)
    except TimestampError as exc:
        raise MalformedResponse(f"{path}.timestamp: {exc}", Reason.BAD_TIMESTAMP) from None


# The `/byte` reports print Bytes as integer strings (reference §5.4).
BYTES = Unit(1.0, "Bytes read as is")

# -- legacy answers: `flow-summary`/`flow-data` (JSON or XML) and the `myview` family --

FLOW_DATA = "flow-data"
MYVIEW = "myview"
# Elements that are lists wherever they hold an object, so one XML item is still a list.
XML_LISTS = frozenset({"flow-data", "flow", "channel-peak", "data", "dataSeries"})
# The legacy total and its series, as Wangsu and as CDNetworks spell them.
_TOTAL_SERIES = (("flow-summary", FLOW_DATA), ("totalTraffic", "dataSeries"))
_TEXT = "text"  # an element's text beside its attributes, as the SDK's myview models name it
_CLOCK_RE = re.compile(r"^\d{1,2}:\d{2}$")


def _xml_value(element: ElementTree.Element) -> Any:
    """An element as the JSON walker would see it: text, or an object of its attributes
    and children (repeated children, and the `XML_LISTS` ones, as lists)."""
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text
    out: dict[str, Any] = dict(element.attrib)
    for child in children:
        value = _xml_value(child)
        if child.tag in out:
            previous = out[child.tag]
            out[child.tag] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            # A scalar (`<flow>12.34</flow>` of a flow-data item) is never a list.
            listed = child.tag in XML_LISTS and isinstance(value, dict)
            out[child.tag] = [value] if listed else value
    if text:
        out[_TEXT] = text
    return out


# The answers nest four or five elements deep; far deeper is not an answer, and the
# recursive walk below must never meet it.
XML_MAX_DEPTH = 64
_XML_FEED_BYTES = 64 * 1024


def decode_xml(body: bytes) -> dict[str, Any]:
    """An XML answer as the dict its JSON twin decodes to, or ValueError (also for XML
    nested over XML_MAX_DEPTH deep, found while parsing, a piece at a time).

    [?] The layouts are undocumented: `<flow-summary>` beside repeated `<flow-data>`
    under any root (`response`, the old `flow-report`), an `<error>` root with `code`
    and `message`, and the myview `<provider name=.. type=..>` root, attributes read
    as fields and an element's text as `text` (the SDK's myview models)."""
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(
        events=("start", "end")
    )
    root: ElementTree.Element | None = None
    depth = 0
    try:
        for at in [*range(0, len(body), _XML_FEED_BYTES), None]:
            if at is None:
                parser.close()  # the last round: what the parser held back
            else:
                parser.feed(body[at : at + _XML_FEED_BYTES])
            for event in parser.read_events():  # ("start" or "end", element)
                depth += 1 if event[0] == "start" else -1
                if depth > XML_MAX_DEPTH:
                    raise ValueError(f"XML nested over {XML_MAX_DEPTH} elements deep")
                if root is None and isinstance(event[-1], ElementTree.Element):
                    root = event[-1]
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    if root is None:
        raise ValueError("not XML: no element found")
    value = _xml_value(root)
    if root.tag == "provider":
        return {"provider": value}
    if not isinstance(value, dict):
        return {root.tag: value}
    for total, series in _TOTAL_SERIES:
        if total in value and series not in value:
            value[series] = []  # no slice: no series element at all
    return value


def one_or_many(node: Any, key: str, where: str) -> list[tuple[str, Any]]:
    """`node[key]` as (path, item) pairs: a list, or one object (myview JSON nests single
    objects where its XML repeats elements)."""
    value = field_of(node, key, where or ROOT)
    base = f"{where}.{key}" if where else key
    if isinstance(value, list):
        return [(f"{base}[{i}]", item) for i, item in enumerate(value)]
    if value is None or value == "":
        return []
    return [(base, value)]


def _point(
    measure: Measure, item: Any, path: str, labels: tuple[str, ...], end: int
) -> Point | None:
    where = f"{path}.{measure.field}"
    if measure.optional and (not isinstance(item, dict) or item.get(measure.field) is None):
        return None
    value = number(field_of(item, measure.field, path), where)
    return Point(measure.family, labels + measure.labels, end, measure.unit.convert(value, where))


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowData:
    """A legacy `{"flow-summary": .., "flow-data": [{timestamp, <measures>}]}` answer: one
    series for the whole call (the account, or the listed domains together).

    `call_label` labels it with the call's single domain (the declaration then fans out
    one domain per call). The last slice of a day may read `yyyy-MM-dd 24:00`."""

    measures: tuple[Measure, ...]
    call_label: bool = False
    envelope: str = FLOW_DATA
    series: str = FLOW_DATA

    def source(self, measure: Measure) -> str:
        return f"{self.series}[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        labels: tuple[str, ...] = ()
        if self.call_label:
            if len(query.domains) != 1:
                raise MalformedResponse(
                    f"{query.endpoint} answers carry no domain; the query named "
                    f"{len(query.domains)}"
                )
            labels = (query.domains[0],)
        out: list[Point] = []
        for path, item in one_or_many(payload, self.series, ""):
            end = _timestamp(item, path, query.offset_seconds)
            for measure in self.measures:
                point = _point(measure, item, path, labels, end)
                if point is not None:
                    out.append(point)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One level of a myview answer below `provider`: its key, and the fields of each
    item that label what is below it."""

    key: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MyView:
    """An old `myview` answer: `provider` -> `date` -> ... -> a series of items with a
    time field and the measures. A level is an object or a list of them.

    Times are end-labelled; a bare `HH:mm` is on the date of the enclosing `date` item
    (`name` or `startdate`); a bare `yyyy-MM-dd` labels a whole day."""

    levels: tuple[Node, ...]
    series: str
    measures: tuple[Measure, ...]
    time_field: str = "time"
    # The zone of the answer's times when the call cannot name one (Flowchannel takes
    # no `timezone`: GMT+08:00, the documented default); None: the query's offset.
    offset: int | None = None
    # Sum the series into the local days its slices belong to (a daily report whose
    # detail is finer, e.g. Wctquery's 5-minute counts); volumes only.
    per_day: bool = False
    envelope: str = MYVIEW

    def source(self, measure: Measure) -> str:
        path = ["provider", *(f"{n.key}" for n in self.levels), f"{self.series}[]"]
        return ".".join([*path, measure.field])

    def parse(self, payload: Any, query: Query) -> list[Point]:
        out: list[Point] = []
        offset = query.offset_seconds if self.offset is None else self.offset
        for path, provider in one_or_many(payload, "provider", ""):
            self._walk(provider, path, self.levels, (), "", offset, out)
        if not self.per_day:
            return out
        days: dict[tuple[Family, tuple[str, ...], int], float] = {}
        for point in out:
            key = (point.family, point.labels, align_up(point.end, DAY, offset))
            days[key] = days.get(key, 0.0) + point.value
        return [
            Point(family, labels, end, checked(value, f"{self.series}[] summed per day"))
            for (family, labels, end), value in days.items()
        ]

    def _walk(
        self,
        node: Any,
        where: str,
        levels: tuple[Node, ...],
        labels: tuple[str, ...],
        day: str,
        offset: int,
        out: list[Point],
    ) -> None:
        if not levels:
            for path, item in one_or_many(node, self.series, where):
                end = self._end(item, path, day, offset)
                for measure in self.measures:
                    point = _point(measure, item, path, labels, end)
                    if point is not None:
                        out.append(point)
            return
        level, rest = levels[0], levels[1:]
        for path, child in one_or_many(node, level.key, where):
            extra = tuple(_label(child, key, path) for key in level.labels)
            here = day
            if level.key == "date" and isinstance(child, dict):
                here = str(child.get("name") or child.get("startdate") or day)
            self._walk(child, path, rest, labels + extra, here, offset, out)

    def _end(self, item: Any, path: str, day: str, offset: int) -> int:
        value = field_of(item, self.time_field, path)
        if not isinstance(value, str):
            raise MalformedResponse(
                f"{path}.{self.time_field}: expected a string, got {value!r}",
                Reason.BAD_TIMESTAMP,
            )
        text = value.strip()
        if _CLOCK_RE.match(text) and day:
            text = f"{day.strip()[:10]} {text}"
        try:
            return parse_end_labelled(text, offset)
        except TimestampError as exc:
            raise MalformedResponse(
                f"{path}.{self.time_field}: {exc}", Reason.BAD_TIMESTAMP
            ) from None
