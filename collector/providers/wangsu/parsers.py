"""Pure parsers for Wangsu/CDNetworks report bodies: decoded JSON in, base-unit points out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collector import families as core
from collector.model import MEGABIT_PER_SECOND, MEGABYTE, Family, Point
from collector.providers.base import MalformedResponse, Query, field_of, list_of, number
from collector.providers.wangsu import families as breakdown
from collector.timeslices import TimestampError, parse_end_labelled

ROOT = "body"  # how error paths name the response body itself

Convert = Callable[[float, str], float]


def _non_negative(value: float, where: str) -> float:
    # Every quantity here is a volume, rate, count or ratio; a negative one would
    # make a counter go backwards, so it is a malformed body rather than data.
    if value < 0:
        raise MalformedResponse(f"{where}: negative value {value!r}")
    return value


def megabytes(value: float, where: str) -> float:
    """MB (read as 10^6 bytes) to bytes."""
    return _non_negative(value, where) * MEGABYTE


def megabits_per_second(value: float, where: str) -> float:
    """Mbps (read as 10^6 bit/s) to bytes per second."""
    return _non_negative(value, where) * MEGABIT_PER_SECOND


def count(value: float, where: str) -> float:
    """A plain count (requests)."""
    return _non_negative(value, where)


def hit_ratio(value: float, where: str) -> float:
    """A hit ratio whose unit is undocumented: above 1 it must be percent, else a fraction.

    The reference only says "4 decimal places"; other ratio fields of the same API are
    fractions. A percent value of 1 or less (a nearly cold cache) is indistinguishable
    from a fraction and is read as one.
    """
    value = _non_negative(value, where)
    if value > 100:
        raise MalformedResponse(f"{where}: hit ratio {value!r} is above 100 percent")
    return value / 100 if value > 1 else value


@dataclass(frozen=True, slots=True)
class Column:
    """One numeric field of a series item and the family it feeds."""

    key: str
    family: Family
    convert: Convert
    suffix: tuple[str, ...] = ()  # constant labels after the walked ones, e.g. direction


Level = tuple[str, str | None]  # (list key, label key in each item or None)


@dataclass(frozen=True, slots=True)
class Shape:
    """A nested response: lists within lists, each level maybe contributing a label,
    ending in a series list of `{timestamp, <columns>}` items."""

    levels: tuple[Level, ...]  # the first list key is the envelope key (result / data)
    series: str
    columns: tuple[Column, ...]

    def parse(self, payload: Any, query: Query, labels: tuple[str, ...] = ()) -> list[Point]:
        out: list[Point] = []
        self._walk(payload, "", 0, labels, query.offset_seconds, out)
        return out

    def _walk(
        self,
        node: Any,
        where: str,
        depth: int,
        labels: tuple[str, ...],
        offset: int,
        out: list[Point],
    ) -> None:
        if depth == len(self.levels):
            for i, item in enumerate(list_of(node, self.series, where or ROOT)):
                self._item(item, _at(where, self.series, i), labels, offset, out)
            return
        key, label_key = self.levels[depth]
        for i, child in enumerate(list_of(node, key, where or ROOT)):
            path = _at(where, key, i)
            extra = () if label_key is None else (_label(child, label_key, path),)
            self._walk(child, path, depth + 1, labels + extra, offset, out)

    def _item(
        self, item: Any, path: str, labels: tuple[str, ...], offset: int, out: list[Point]
    ) -> None:
        end = _timestamp(item, path, offset)
        for column in self.columns:
            where = f"{path}.{column.key}"
            value = column.convert(number(field_of(item, column.key, path), where), where)
            out.append(Point(column.family, labels + column.suffix, end, value))


def _at(where: str, key: str, index: int) -> str:
    return f"{where}.{key}[{index}]" if where else f"{key}[{index}]"


def _label(item: Any, key: str, path: str) -> str:
    value = field_of(item, key, path)
    if not isinstance(value, str):
        raise MalformedResponse(f"{path}.{key}: expected a string, got {value!r}")
    return value


def _timestamp(item: Any, path: str, offset: int) -> int:
    value = field_of(item, "timestamp", path)
    if not isinstance(value, str):
        raise MalformedResponse(f"{path}.timestamp: expected a string, got {value!r}")
    try:
        return parse_end_labelled(value, offset)
    except TimestampError as exc:
        raise MalformedResponse(f"{path}.timestamp: {exc}") from None


# Wangsu edge figures are what the edge served to clients.
_DOWN = ("down",)

FLOW_REQUEST = Shape(
    levels=(("result", "domain"),),
    series="flowRequestData",
    columns=(
        Column("flow", core.TRAFFIC, megabytes, _DOWN),
        Column("bandwidth", core.BANDWIDTH, megabits_per_second, _DOWN),
        Column("request", core.REQUESTS, count),
    ),
)
FLOW_REQUEST_ORIGIN = Shape(
    levels=(("result", "domain"),),
    series="flowRequestOriginData",
    columns=(
        Column("flow", core.ORIGIN_TRAFFIC, megabytes),
        Column("bandwidth", core.ORIGIN_BANDWIDTH, megabits_per_second),
        Column("request", core.ORIGIN_REQUESTS, count),
    ),
)
# The response carries no domain: the caller's single domain becomes the label.
EDGE_HIT_RATIO = Shape(
    levels=(("result", None),),
    series="hitRatioDatas",
    columns=(Column("edgeHitRatio", core.CACHE_HIT_RATIO, hit_ratio),),
)
_ISP_PROVINCE: tuple[Level, ...] = (
    ("result", "domain"),
    ("ispData", "isp"),
    ("provinceData", "province"),
)
ISP_PROVINCE = Shape(
    levels=_ISP_PROVINCE,
    series="flowData",
    columns=(
        Column("value", breakdown.ISP_PROVINCE_TRAFFIC, megabytes),
        Column("bandwidth", breakdown.ISP_PROVINCE_BANDWIDTH, megabits_per_second),
    ),
)
HIT_RATE_ISP_PROVINCE = Shape(
    levels=_ISP_PROVINCE,
    series="hitRateData",
    columns=(
        Column("value", breakdown.ISP_PROVINCE_CACHE_HIT_RATIO, hit_ratio),
        Column("hitFlow", breakdown.ISP_PROVINCE_CACHE_HIT_TRAFFIC, megabytes),
    ),
)
COUNTRY_BANDWIDTH = Shape(
    levels=(("data", "domain"), ("countryData", "countryCode")),
    series="detailList",
    columns=(
        Column("value", breakdown.SERVER_COUNTRY_BANDWIDTH, megabits_per_second),
        Column("flow", breakdown.SERVER_COUNTRY_TRAFFIC, megabytes),
    ),
)


def parse_flow_request(payload: Any, query: Query) -> list[Point]:
    return FLOW_REQUEST.parse(payload, query)


def parse_flow_request_origin(payload: Any, query: Query) -> list[Point]:
    return FLOW_REQUEST_ORIGIN.parse(payload, query)


def parse_edge_hit_ratio(payload: Any, query: Query) -> list[Point]:
    if len(query.domains) != 1:
        # Without exactly one domain in the query the series cannot be attributed.
        raise MalformedResponse(
            f"edge_hit_ratio answers carry no domain; the query named {len(query.domains)}"
        )
    return EDGE_HIT_RATIO.parse(payload, query, (query.domains[0],))


def parse_isp_province(payload: Any, query: Query) -> list[Point]:
    return ISP_PROVINCE.parse(payload, query)


def parse_hit_rate_isp_province(payload: Any, query: Query) -> list[Point]:
    return HIT_RATE_ISP_PROVINCE.parse(payload, query)


def parse_country_bandwidth(payload: Any, query: Query) -> list[Point]:
    return COUNTRY_BANDWIDTH.parse(payload, query)
