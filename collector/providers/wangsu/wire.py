"""The Wangsu/CDNetworks wire: units, and one generic walker for nested `result`/`data` answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collector.model import MEGABIT_PER_SECOND, MEGABYTE, Point
from collector.providers._json import field_of, list_of, number
from collector.providers.endpoint import MalformedResponse, Measure, Query, Reason, Unit
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.timeslices import TimestampError

ROOT = "body"  # how error paths name the response body itself

MB = Unit(MEGABYTE, "MB read as 10^6 bytes")
MBPS = Unit(MEGABIT_PER_SECOND, "Mbps read as 10^6 bit/s, divided by 8")
COUNT = Unit(1.0, "a count")
# [?] The reference only says "4 decimal places"; other ratio fields are fractions.
# A percent value of 1 or less (a nearly cold cache) reads as a fraction.
HIT_RATIO = Unit(1.0, "a ratio 0 to 1; a value above 1 is read as percent", True)

ENVELOPE_KEY = {"result": "result", "code-data": "data"}


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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

    def parse(self, payload: Any, query: Query) -> list[Point]:
        labels: tuple[str, ...] = ()
        if self.call_label:
            if len(query.domains) != 1:
                # Without exactly one domain in the query the series cannot be attributed.
                raise MalformedResponse(
                    f"{query.endpoint} answers carry no domain; the query named "
                    f"{len(query.domains)}"
                )
            labels = (query.domains[0],)
        out: list[Point] = []
        levels = (Level(ENVELOPE_KEY[self.envelope], self.top_label), *self.levels)
        self._walk(payload, "", levels, labels, query.offset_seconds, out)
        return out

    def _walk(
        self,
        node: Any,
        where: str,
        levels: tuple[Level, ...],
        labels: tuple[str, ...],
        offset: int,
        out: list[Point],
    ) -> None:
        if not levels:
            for i, item in enumerate(list_of(node, self.series, where or ROOT)):
                self._item(item, _at(where, self.series, i), labels, offset, out)
            return
        level, rest = levels[0], levels[1:]
        for i, child in enumerate(list_of(node, level.key, where or ROOT)):
            path = _at(where, level.key, i)
            extra = (
                () if level.label is None else (level.label_of(_label(child, level.label, path)),)
            )
            self._walk(child, path, rest, labels + extra, offset, out)

    def _item(
        self, item: Any, path: str, labels: tuple[str, ...], offset: int, out: list[Point]
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
