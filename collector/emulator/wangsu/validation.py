"""Wangsu request validation: the documented checks, turned into a validated call."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator, Reject
from collector.emulator.traffic import COUNTRIES, ISPS, PROVINCES, Member, Quantity
from collector.emulator.wangsu.facts import (
    BODY_REQUIRED,
    DATE_FORMAT,
    DATE_INVALID,
    DATE_SPAN_ERROR,
    DAY,
    DEFAULT_OFFSET,
    DOMAIN_INVALID,
    HISTORY,
    HOUR,
    INTERVALS,
    INVALID_DATE_PERIOD,
    INVALID_HTTP_REQUEST,
    INVALID_PARAMETER,
    LEGACY_TYPES,
    NO_SUCH_DOMAIN,
    NOT_ACCEPTABLE,
    SETTLEMENT_AREAS,
    TIME_ZONE_INVALID,
    TOO_MANY_DOMAINS,
    TRANSCODING_TYPES,
    Envelope,
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
    # Legacy routes: a day's last slice is `yyyy-MM-dd 24:00` (`24` hourly) and a daily
    # slice is labelled by its day (§5.3).
    legacy_labels: bool = False
    xml: bool | None = None  # the answer format the call asked for, if not by Accept

    def label(self, end: int) -> str:
        """End label in the request's offset: `yyyy-MM-dd HH:mm`, or `yyyy-MM-dd HH`."""
        if self.legacy_labels:
            return legacy_label(end, self.offset, self.slice_seconds)
        return _local_label(
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


# Every row of every item of an answer labels the same slice ends: formatted once each.
_local_label = lru_cache(maxsize=1 << 14)(format_local)


Row = tuple[int, dict[Quantity, float]]  # (slice end, value per quantity)


def legacy_label(end: int, offset: int, seconds: int) -> str:
    """`yyyy-MM-dd HH:mm` with midnight as the day's `24:00`; `yyyy-MM-dd HH` with `24`;
    a daily slice as `yyyy-MM-dd`, the day it covers."""
    day = format_local(end - 1, offset, "%Y-%m-%d")
    if seconds >= DAY:
        return day
    midnight = format_local(end, offset, "%H:%M") == "00:00"
    if seconds >= HOUR:
        return f"{day} 24" if midnight else format_local(end, offset, "%Y-%m-%d %H")
    return f"{day} 24:00" if midnight else format_local(end, offset, "%Y-%m-%d %H:%M")


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
    if facts.interval_key != "dataInterval" and "dataInterval" in body:
        raise bad(INVALID_PARAMETER, f"dataInterval is spelled {facts.interval_key} here.")
    name = body.get(facts.interval_key)
    if name is None:
        return facts.intervals[0]
    seconds = INTERVALS.get(name) if isinstance(name, str) else None
    if seconds is None or seconds not in facts.intervals:
        raise bad(INVALID_PARAMETER, f"{facts.interval_key} {name!r} is not supported here.")
    return seconds


def _payload(request: web.Request, body: bytes, facts: RouteFacts) -> dict[str, Any]:
    """The request's JSON body (form fields on myview routes), or {} for a GET."""
    if request.method == "GET":
        return {}
    if facts.params == "myview" and request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", errors="replace")))
    if request.content_type != "application/json" or not body:
        raise bad(BODY_REQUIRED)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad(BODY_REQUIRED, "The body is not valid JSON.") from None  # our choice
    if not isinstance(payload, dict):
        raise bad(BODY_REQUIRED, "The body must be a JSON object.")
    return payload


def _legacy_params(
    payload: dict[str, Any], request: web.Request, facts: RouteFacts
) -> dict[str, Any]:
    """Dates, granularity and domains where the route carries them, in the body's keys."""
    params = dict(payload)
    if facts.params in ("query", "query-lower"):
        keys = ("dateFrom", "dateTo") if facts.params == "query" else ("datefrom", "dateto")
        for key, name in zip(keys, ("dateFrom", "dateTo"), strict=True):
            params[name] = request.query.get(key)
        key = "type" if facts.interval_key == "dataInterval" else facts.interval_key
        if key != "type" and "type" in request.query:
            raise bad(INVALID_PARAMETER, f"type is spelled {key} here.")
        kind = request.query.get(key) or "daily"  # empty or absent: daily
        if kind not in LEGACY_TYPES:
            raise bad(INVALID_PARAMETER, f"{key} {kind!r} is not supported here.")
        interval = next(k for k, v in INTERVALS.items() if v == LEGACY_TYPES[kind])
        params[facts.interval_key] = interval
    if facts.domain_key == "domain-list":
        listed = payload.get("domain-list")
        names = listed.get("domain-name") if isinstance(listed, dict) else None
        params["domain"] = names
    for key in facts.required_fields:
        if not payload.get(key):
            raise bad(INVALID_PARAMETER, f"{key} is required.")
    return params


_LEGACY_CODES = {
    DATE_FORMAT[0]: INVALID_DATE_PERIOD,
    DATE_INVALID[0]: INVALID_DATE_PERIOD,
    BODY_REQUIRED[0]: INVALID_HTTP_REQUEST,
    INVALID_PARAMETER[0]: INVALID_HTTP_REQUEST,
    DOMAIN_INVALID[0]: NO_SUCH_DOMAIN,
}


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
    if not facts.legacy_errors:
        return _validate(emulator, facts, dimensions, account, request, body)
    try:
        return _validate(emulator, facts, dimensions, account, request, body)
    except Reject as exc:
        # The legacy family's own codes (§5.7); [?] a too-long domain list keeps 24102019.
        if exc.code == DATE_INVALID[0] and "span" in exc.message:
            code, message = DATE_SPAN_ERROR
        elif exc.code in _LEGACY_CODES:
            code, message = _LEGACY_CODES[exc.code]
        else:
            raise
        raise Reject(exc.status, code, f"{message} {exc.message}") from None


def _validate(
    emulator: Emulator,
    facts: RouteFacts,
    dimensions: Sequence[str],
    account: EmulatedAccount,
    request: web.Request,
    body: bytes,
) -> Call:
    payload = _payload(request, body, facts)
    if facts.params == "myview":
        return validate_myview(emulator, facts, account, payload)
    payload = _legacy_params(payload, request, facts)
    legacy = facts.envelope is Envelope.FLOW_DATA
    now = emulator.clock.time()
    start, end, offset = _window(payload, request, facts, now)
    if facts.max_domains == 0:
        selected = {"domain": account.domains}  # the route takes no domain list
    else:
        selected = {"domain": _domains(payload, facts, account)}
    seconds = _slice_seconds(payload, facts)
    english = request.headers.get("Accept-Language", "zh-CN").lower().startswith("en")
    for dimension in dimensions:
        if dimension != "domain":
            key = facts.filters[dimension]
            selected[dimension] = _filtered(payload, dimension, key, english)
    for dimension, key in facts.filters.items():
        if dimension in _SEMICOLON_VALUES:  # a `;`-separated string, not a list
            selected[dimension] = _semicolon_values(payload, key, _SEMICOLON_VALUES[dimension])
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
        legacy_labels=legacy,
    )


# -- the old myview family --------------------------------------------------------------

_MYVIEW_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?: (\d{2}):(\d{2}))?")


def _myview_time(value: Any, offset: int, default: str, day_only: bool) -> int:
    """`yyyy-mm-dd[ hh:MM]` in `offset` -> epoch; a bare date takes `default` (hh:MM)."""
    match = _MYVIEW_DATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or (day_only and match.group(2)):
        raise bad(DATE_FORMAT, f"Expected yyyy-mm-dd{'' if day_only else '[ hh:MM]'}: {value!r}.")
    day, hour, minute = match.group(1), match.group(2), match.group(3)
    if hour is None:
        hour, minute = default.split(":")
    try:
        base = datetime.fromisoformat(day).replace(tzinfo=UTC)
    except ValueError:
        raise bad(DATE_FORMAT, f"{value!r} is not a valid date.") from None
    h, m = int(hour), int(minute)
    if h > 24 or m > 59 or (h == 24 and m):
        raise bad(DATE_FORMAT, f"{value!r} is not a valid time.")
    return int(base.timestamp()) + h * HOUR + m * 60 - offset


_SEMICOLON_VALUES: Mapping[str, tuple[str, ...]] = {
    "transcoding": TRANSCODING_TYPES,
    "area": SETTLEMENT_AREAS,
}


def _semicolon_values(
    payload: Mapping[str, Any], key: str, allowed: tuple[str, ...]
) -> tuple[str, ...]:
    """A `;`-separated form field: the values asked for (all if absent)."""
    raw = payload.get(key)
    if raw is None or raw == "":
        return allowed
    if not isinstance(raw, str):
        raise bad(INVALID_PARAMETER, f"{key} must be a ;-separated string.")
    asked = [v.strip() for v in raw.split(";") if v.strip()]
    unknown = [v for v in asked if v not in allowed]
    if unknown:
        raise bad(INVALID_PARAMETER, f"{key} {unknown[0]!r} is not supported.")
    return tuple(dict.fromkeys(asked))


def validate_myview(
    emulator: Emulator, facts: RouteFacts, account: EmulatedAccount, payload: Mapping[str, Any]
) -> Call:
    """Form-style fields: `date` or `startdate`+`enddate` (first and last slice end, or
    days for daily reports; `facts.date_keys` spell them), `channel` `;`-separated,
    `dataformat` xml | json (`facts.default_format` without it),
    `timezone` `GMT±HH:MM` (default GMT+08:00)."""
    zone = payload.get("timezone")
    if zone is not None and (not isinstance(zone, str) or not _TIME_ZONE_RE.fullmatch(zone)):
        raise bad(TIME_ZONE_INVALID)
    offset = parse_offset(zone) if zone else DEFAULT_OFFSET
    seconds = facts.intervals[0]
    daily = seconds >= DAY or facts.day_dates
    now = emulator.clock.time()
    date = payload.get("date")
    if date is not None:
        first, last = date, date
    else:
        first, last = (payload.get(key) for key in facts.date_keys)
        if first is None or last is None:
            # Neither: today (the documented default).
            today = format_local(int(now), offset, "%Y-%m-%d")
            first, last = first or today, last or today
    if daily:
        # Days, inclusive: slices end at the midnight after each.
        start = _myview_time(first, offset, "00:00", True)
        end = _myview_time(last, offset, "24:00", True)
    else:
        start = _myview_time(first, offset, "00:01", False) - 1  # first slice end, inclusive
        end = _myview_time(last, offset, "24:00", False)
    if start >= end:
        raise bad(DATE_INVALID, "startdate is not before enddate.")
    if end - start > facts.max_span + seconds:
        raise bad(DATE_INVALID, f"The span exceeds {facts.max_span // HOUR} hours.")
    if start < now - HISTORY:
        raise bad(DATE_INVALID, "Data older than 183 days cannot be queried.")
    selected: dict[str, tuple[str, ...]] = {}
    for dimension, key in facts.filters.items():
        selected[dimension] = _semicolon_values(payload, key, _SEMICOLON_VALUES[dimension])
    channel = payload.get("channel")
    if facts.max_domains == 0:
        domains = account.domains  # no channel list: the whole account
    elif channel is None or channel == "":
        domains = account.domains
    else:
        if not isinstance(channel, str):
            raise bad(DOMAIN_INVALID)
        asked = [c.strip() for c in channel.split(";") if c.strip()]
        if len(asked) > facts.max_domains:
            raise bad(TOO_MANY_DOMAINS, f"At most {facts.max_domains}.")
        exact = str(payload.get("isExactMatch", "true")).lower() == "true"
        domains = tuple(
            d
            for d in account.domains
            if (d in asked if exact else any(d.endswith(a) for a in asked))
        )
        if not domains:
            # "所有输入频道都无效时返403" (every channel invalid: 403).
            raise Reject(403, DOMAIN_INVALID[0], DOMAIN_INVALID[1])
    dataformat = payload.get("dataformat") or facts.default_format
    if dataformat not in ("xml", "json"):
        raise bad(INVALID_PARAMETER, f"dataformat {dataformat!r} is not xml or json.")
    first_end = align_down(start, seconds, offset) + seconds
    ends = range(first_end, min(end, align_down(now, seconds, offset)) + 1, seconds)
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
        selected={"domain": domains, **selected},
        grouped=frozenset({"domain", *selected}),
        english=False,
        xml=dataformat == "xml",
    )
