"""Wangsu request validation: the documented checks, turned into a validated call."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator, Reject
from collector.emulator.traffic import COUNTRIES, ISPS, PROVINCES, Member, Quantity
from collector.emulator.wangsu.facts import (
    BODY_REQUIRED,
    DATE_FORMAT,
    DATE_INVALID,
    DAY,
    DEFAULT_OFFSET,
    DOMAIN_INVALID,
    HISTORY,
    HOUR,
    INTERVALS,
    INVALID_PARAMETER,
    NOT_ACCEPTABLE,
    TIME_ZONE_INVALID,
    TOO_MANY_DOMAINS,
    RouteFacts,
)
from collector.timeslices import align_down, align_up, format_local, parse_offset

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_TIME_ZONE_RE = re.compile(r"GMT[+-]\d{2}:\d{2}")
_JSON_TYPES = {"application/json", "application/*", "*/*"}
_XML_TYPES = {"application/xml", "text/xml"}
# zh-CN display names; en-US uses the canonical codes themselves. ([?] The real en-US ISP
# codes are unpublished; these are Volcengine's spellings.)
_ZH_NAMES: Mapping[str, Mapping[str, str]] = {
    "isp": dict(zip(ISPS, ("中国电信", "中国联通", "中国移动"), strict=True)),
    "province": dict(zip(PROVINCES, ("北京", "上海", "广东", "浙江"), strict=True)),
}
# [?] The label of a dimension left out of groupBy is undocumented; this is our choice.
_AGGREGATED_LABEL = {"zh": "全部", "en": "all"}


def bad(error: tuple[str, str], detail: str = "") -> Reject:
    code, message = error
    return Reject(400, code, f"{message} {detail}".strip())


@dataclass(frozen=True)
class Call:
    """A validated request: which slices, domains and breakdown values it asks for."""

    emulator: Emulator
    account: EmulatedAccount
    offset: int
    slice_seconds: int
    slices: tuple[tuple[int, float], ...]  # visible (slice end, revision factor)
    selected: Mapping[str, tuple[str, ...]]  # dimension -> canonical values asked for
    grouped: frozenset[str]  # dimensions given one item per value
    english: bool

    def label(self, end: int) -> str:
        """End label in the request's offset: `yyyy-MM-dd HH:mm`, or `yyyy-MM-dd HH`."""
        return format_local(
            end, self.offset, "%Y-%m-%d %H" if self.slice_seconds >= HOUR else "%Y-%m-%d %H:%M"
        )

    def groups(self, dimension: str) -> list[tuple[str, tuple[str, ...]]]:
        """(label, values) per item at this level: one per value, or one for them all."""
        values = self.selected[dimension]
        if not values:
            return []
        if dimension in self.grouped:
            return [(_display(dimension, v, self.english), (v,)) for v in values]
        if dimension == "domain":
            # Our choice ([?] undocumented): the aggregate is labelled by the joined list.
            return [(",".join(values), values)]
        return [(_AGGREGATED_LABEL["en" if self.english else "zh"], values)]

    def members(self, picked: Mapping[str, tuple[str, ...]]) -> list[Member]:
        """Every (domain, cell) that an item covers."""
        cells: list[dict[str, str]] = [{}]
        for dimension, values in picked.items():
            if dimension != "domain":
                cells = [{**cell, dimension: v} for cell in cells for v in values]
        domains = picked.get("domain", self.selected["domain"])
        return [(domain, cell) for domain in domains for cell in cells]

    def rows(self, members: Sequence[Member], quantities: Sequence[Quantity]) -> list[Row]:
        """Observed values per visible slice: final values scaled by the revision factor
        (ratios are not scaled)."""
        traffic = self.emulator.traffic
        out: list[Row] = []
        for end, factor in self.slices:
            values = {}
            for quantity in quantities:
                final = traffic.aggregate(
                    self.account.name,
                    members,
                    quantity,
                    end - self.slice_seconds,
                    self.slice_seconds,
                )
                values[quantity] = final if quantity.is_ratio else final * factor
            out.append((end, values))
        return out


Row = tuple[int, dict[Quantity, float]]  # (slice end, value per quantity)

_ALL_VALUES: Mapping[str, tuple[str, ...]] = {
    "isp": ISPS,
    "province": PROVINCES,
    "country": COUNTRIES,
}


def wants_xml(request: web.Request) -> bool:
    """Content negotiation per §2: JSON by default, XML on request, else 24102013."""
    accept = request.headers.get("Accept", "").strip()
    if not accept:
        return False
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for media_type in types:
        if media_type in _JSON_TYPES:
            return False
        if media_type in _XML_TYPES:
            return True
    raise bad(NOT_ACCEPTABLE)


def _parse_date(value: Any) -> tuple[int, int]:
    """`yyyy-MM-ddTHH:mm:ss±HH:mm` -> (epoch, offset seconds)."""
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise bad(DATE_FORMAT, f"Expected yyyy-MM-ddTHH:mm:ss±HH:mm, got {value!r}.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise bad(DATE_FORMAT, f"{value!r} is not a valid time.") from None
    offset = parsed.utcoffset()
    assert offset is not None  # the pattern requires one
    return int(parsed.timestamp()), int(offset.total_seconds())


def _window(
    body: Mapping[str, Any], request: web.Request, facts: RouteFacts, now: float
) -> tuple[int, int, int]:
    """(start, end, offset) of the requested window, end clamped to now (§5.1)."""
    time_zone = request.headers.get("X-Time-Zone")
    if time_zone is not None and not _TIME_ZONE_RE.fullmatch(time_zone.strip()):
        raise bad(TIME_ZONE_INVALID)
    date_from, date_to = body.get("dateFrom"), body.get("dateTo")
    if (date_from is None) != (date_to is None):
        raise bad(DATE_INVALID, "Give both dateFrom and dateTo, or neither.")
    if date_from is None:
        offset = parse_offset(time_zone) if time_zone else DEFAULT_OFFSET
        start, end = int(now) - DAY, int(now)  # default: the last 24 hours
    else:
        # An explicit offset wins over X-Time-Zone; the answer is in dateFrom's.
        start, offset = _parse_date(date_from)
        end, _ = _parse_date(date_to)
        if start >= now:
            raise bad(DATE_INVALID, "dateFrom is not before the current time.")
        if start >= end:
            raise bad(DATE_INVALID, "dateFrom is not before dateTo.")
        if end - start > facts.max_span:
            raise bad(DATE_INVALID, f"The span exceeds {facts.max_span // HOUR} hours.")
        end = min(end, int(now))
    if start < now - HISTORY:
        raise bad(DATE_INVALID, "Data older than 183 days cannot be queried.")
    return start, end, offset


def _domains(
    body: Mapping[str, Any], facts: RouteFacts, account: EmulatedAccount
) -> tuple[str, ...]:
    limit = facts.max_domains
    raw = body.get("domain")
    groups = body.get("domainStream")
    if raw is None and isinstance(groups, list):
        # flow-bandwidth/stream/detail names its domains inside `domainStream` groups.
        raw = [g.get("domain") if isinstance(g, dict) else None for g in groups]
    if raw is None:
        if facts.domain_required:
            raise bad(DOMAIN_INVALID)
        if len(account.domains) > limit:  # omitted: all the account's domains, if few enough
            raise bad(TOO_MANY_DOMAINS)
        return account.domains
    if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
        raise bad(DOMAIN_INVALID)
    if len(raw) > limit:
        raise bad(TOO_MANY_DOMAINS, f"At most {limit}.")
    # Domains not in the account are dropped silently (§5.5).
    known = tuple(dict.fromkeys(d for d in raw if d in account.domains))
    if not known:
        raise bad(DOMAIN_INVALID)
    return known


def _string_list(body: Mapping[str, Any], key: str) -> list[str] | None:
    raw = body.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise bad(INVALID_PARAMETER, f"{key} must be a list of strings.")
    return raw


def _display(dimension: str, value: str, english: bool) -> str:
    """How a canonical breakdown value reads in requests and responses."""
    names = _ZH_NAMES.get(dimension)
    return value if english or names is None else names[value]


def _filtered(body: Mapping[str, Any], dimension: str, key: str, english: bool) -> tuple[str, ...]:
    """The canonical values a filter list asks for (all if absent); unknown ones drop."""
    asked = _string_list(body, key)
    if asked is None:
        return _ALL_VALUES[dimension]
    wanted = {a.lower() for a in asked} if dimension == "country" else set(asked)
    return tuple(v for v in _ALL_VALUES[dimension] if _display(dimension, v, english) in wanted)


def _slice_seconds(body: Mapping[str, Any], facts: RouteFacts) -> int:
    if not facts.interval_param:
        return facts.intervals[0]  # no dataInterval parameter: one fixed series
    name = body.get("dataInterval")
    if name is None:
        return facts.intervals[0]
    seconds = INTERVALS.get(name) if isinstance(name, str) else None
    if seconds is None or seconds not in facts.intervals:
        raise bad(INVALID_PARAMETER, f"dataInterval {name!r} is not supported here.")
    return seconds


def validate(
    emulator: Emulator,
    facts: RouteFacts,
    dimensions: Sequence[str],
    account: EmulatedAccount,
    request: web.Request,
    body: bytes,
) -> Call:
    """Check a request against the route's documented rules; `dimensions` are the
    breakdown levels its answer nests (domain, isp, province, country)."""
    if request.content_type != "application/json" or not body:
        raise bad(BODY_REQUIRED)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad(BODY_REQUIRED, "The body is not valid JSON.") from None  # our choice
    if not isinstance(payload, dict):
        raise bad(BODY_REQUIRED, "The body must be a JSON object.")
    now = emulator.clock.time()
    start, end, offset = _window(payload, request, facts, now)
    selected = {"domain": _domains(payload, facts, account)}
    seconds = _slice_seconds(payload, facts)
    english = request.headers.get("Accept-Language", "zh-CN").lower().startswith("en")
    for dimension in dimensions:
        if dimension != "domain":
            key = facts.filters[dimension]
            selected[dimension] = _filtered(payload, dimension, key, english)
    group_by = set(_string_list(payload, "groupBy") or ()) if facts.group_by else set()
    if not group_by <= facts.group_by:
        raise bad(INVALID_PARAMETER, f"groupBy accepts {sorted(facts.group_by)}.")
    # Ignored on purpose: dataPadding (zero-fill) and backsrcOnly (origin scope).
    ends = range(
        align_down(start, seconds, offset) + seconds,
        align_up(end, seconds, offset) + 1,  # the slice holding dateTo, if unaligned
        seconds,
    )
    visible = tuple(
        (slice_end, factor)
        for slice_end in ends
        if (factor := emulator.revision_factor(slice_end)) is not None
    )
    return Call(
        emulator=emulator,
        account=account,
        offset=offset,
        slice_seconds=seconds,
        slices=visible,
        selected=selected,
        # A dimension the route cannot group by is always itemised (country here).
        grouped=frozenset(group_by | (set(dimensions) - facts.group_by)),
        english=english,
    )
