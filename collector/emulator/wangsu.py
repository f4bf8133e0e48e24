"""Wangsu/CDNetworks report routes: signature checks, validation and the documented shapes."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree

import orjson
from aiohttp import web

from collector.emulator.core import CallResult, EmulatedAccount, Emulator, FaultKind, Reject
from collector.emulator.traffic import COUNTRIES, ISPS, PROVINCES, Member, Quantity, decimal
from collector.providers.endpoint import Endpoint as EndpointSpec
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.signing import (
    ALGORITHM,
    apikey_password,
    canonical_request,
    parse_authorization,
    signature,
)
from collector.timeslices import DAY, HOUR, MINUTE, align_down, align_up, format_local, parse_offset

ACCOUNT_PROVIDERS = ("wangsu", "cdnetworks")  # both brands answer on the same routes
MAX_SKEW = 300  # seconds, for x-cnc-timestamp (documented) and the Basic scheme's Date
HISTORY = 183 * DAY
DEFAULT_OFFSET = 8 * HOUR  # X-Time-Zone default GMT+08:00

# Documented error codes (§5.7), with their documented messages.
DATE_INVALID = ("24102006", "The date specified is invalid.")
DOMAIN_INVALID = ("24102008", "param: domain is null or invalid.")
NOT_ACCEPTABLE = ("24102013", "The Accept header is not acceptable; use json or xml.")
BODY_REQUIRED = ("24102014", "The request body is required, as application/json.")
TOO_MANY_DOMAINS = (
    "24102019",
    "The request was rejected because the number of domain exceeds the limit.",
)
TIME_ZONE_INVALID = ("24102020", "The X-Time-Zone header is invalid.")
DATE_FORMAT = ("24102021", "Date format error.")
SYSTEM_ERROR = ("24102500", "System error")
# [?] No code is documented for a bad dataInterval/groupBy/filter: this one is made up
# in the same family. The legacy style-A endpoints use these 241020xx codes too, which
# is also a choice: their own legacy codes (InvalidDatePeriod...) are not modelled.
INVALID_PARAMETER = ("24102001", "A parameter is invalid.")

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_TIME_ZONE_RE = re.compile(r"GMT[+-]\d{2}:\d{2}")
_INTERVALS = {"1m": MINUTE, "5m": 5 * MINUTE, "1h": HOUR, "1d": DAY}
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


# -- responses ------------------------------------------------------------------------


def _render(payload: Mapping[str, Any], status: int = 200, xml: bool = False) -> web.Response:
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


def _envelope(style: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Style A `{"result": [...]}` or style B `{"code": "0", "message", "data": [...]}`."""
    if style == "result":
        return {"result": items}
    return {"code": "0", "message": "success", "data": items}


class WangsuDialect:
    """Errors as `{"code", "message"}`. [?] The real auth-failure and throttle answers are
    unpublished (§5.7): 401 AuthFailure and 429 RequestLimitExceeded are our choices."""

    provider = "wangsu"

    def error(self, status: int, code: str, message: str) -> web.Response:
        return _render({"code": code, "message": message}, status)

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


# -- authentication -------------------------------------------------------------------


def _auth_failure(message: str, account: EmulatedAccount | None = None) -> Reject:
    # [?] Real status and code unknown; see WangsuDialect.
    return Reject(401, "AuthFailure", message, CallResult.AUTH_FAILURE, account)


def authenticate(emulator: Emulator, request: web.Request, body: bytes) -> EmulatedAccount:
    """The account a request is signed for (AK/SK §3.5 or apikey Basic §4), or Reject."""
    header = request.headers.get("Authorization", "")
    if header.startswith(ALGORITHM + " "):
        return _authenticate_aksk(emulator, request, body, header)
    if header[:6].lower() == "basic ":
        return _authenticate_apikey(emulator, request, header[6:])
    raise _auth_failure("missing or unsupported Authorization header")


def _authenticate_aksk(
    emulator: Emulator, request: web.Request, body: bytes, header: str
) -> EmulatedAccount:
    fields = parse_authorization(header)
    if fields is None:
        raise _auth_failure("malformed CNC-HMAC-SHA256 Authorization header")
    access_key = request.headers.get("x-cnc-accessKey", "")
    if not access_key or fields["Credential"] != access_key:
        raise _auth_failure("Credential does not match x-cnc-accessKey")
    account = emulator.find_account(ACCOUNT_PROVIDERS, access_key=access_key)
    if account is None:
        raise _auth_failure("unknown access key")
    timestamp = request.headers.get("x-cnc-timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise _auth_failure("x-cnc-timestamp must be Unix seconds", account)
    if abs(emulator.clock.time() - int(timestamp)) > MAX_SKEW:
        raise _auth_failure("x-cnc-timestamp is more than 5 minutes from server time", account)
    # Rebuild from what was received: raw path and query, received header values, raw
    # body bytes; `canonical_request` drops the query for POST as the SDKs do.
    path, _, query = request.raw_path.partition("?")
    canonical = canonical_request(
        request.method, path, query, request.headers, body, fields["SignedHeaders"]
    )
    expected = signature(account.secret_key, timestamp, canonical)
    # Exact comparison: whether the server accepts upper-case hex is unknown (§3.3).
    # [?] The documented replay protection (a repeated timestamp) is not enforced.
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise _auth_failure("signature does not match", account)
    return account


def _authenticate_apikey(emulator: Emulator, request: web.Request, token: str) -> EmulatedAccount:
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _auth_failure("malformed Basic credentials") from None
    username, _, password = decoded.partition(":")
    account = emulator.find_account(ACCOUNT_PROVIDERS, username=username)
    if account is None:
        raise _auth_failure("unknown username")
    # x-cnc-date stands in for Date where a client cannot set Date, so it wins (§4).
    date = request.headers.get("x-cnc-date") or request.headers.get("Date") or ""
    try:
        sent = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise _auth_failure("missing or unreadable Date header", account) from None
    if sent.tzinfo is None:
        raise _auth_failure("the Date header must be in GMT", account)
    if abs(emulator.clock.time() - sent.timestamp()) > MAX_SKEW:
        raise _auth_failure("the Date header is more than 5 minutes from server time", account)
    if not hmac.compare_digest(apikey_password(account.api_key, date), password):
        raise _auth_failure("password does not match", account)
    return account


# -- validated calls ------------------------------------------------------------------


def _bad(error: tuple[str, str], detail: str = "") -> Reject:
    code, message = error
    return Reject(400, code, f"{message} {detail}".strip())


@dataclass(frozen=True)
class _Call:
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

    def rows(self, members: Sequence[Member], quantities: Sequence[Quantity]) -> list[_Row]:
        """Observed values per visible slice: final values scaled by the revision factor
        (ratios are not scaled)."""
        traffic = self.emulator.traffic
        out: list[_Row] = []
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


_Row = tuple[int, dict[Quantity, float]]
Summary = Callable[[_Call, list[_Row]], dict[str, Any]]


@dataclass(frozen=True)
class _Level:
    dimension: str  # "domain" | "isp" | "province" | "country"
    label_key: str  # field naming the item, e.g. "isp"
    list_key: str = ""  # field of the parent holding these items; "" at the top


@dataclass(frozen=True)
class _Shape:
    """A response body as data: nested levels, then a series of `columns` per slice."""

    levels: tuple[_Level, ...]
    series: str
    columns: tuple[tuple[str, Quantity, int], ...]  # (field, quantity, decimals)
    summary: Summary | None = None  # fields beside the series, e.g. totals and peaks
    extra: tuple[Quantity, ...] = ()  # quantities the summary needs beyond the columns

    def build(
        self,
        call: _Call,
        levels: tuple[_Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        levels = self.levels if levels is None else levels
        picked = picked or {}
        if not levels:
            return [self._leaf(call, picked)]
        level, rest = levels[0], levels[1:]
        items: list[dict[str, Any]] = []
        for label, values in call.groups(level.dimension):
            inner = {**picked, level.dimension: values}
            item: dict[str, Any] = {level.label_key: label}
            if rest:
                item[rest[0].list_key] = self.build(call, rest, inner)
            else:
                item.update(self._leaf(call, inner))
            items.append(item)
        return items

    def _leaf(self, call: _Call, picked: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
        quantities = [q for _, q, _ in self.columns] + list(self.extra)
        rows = call.rows(call.members(picked), quantities)
        series = [
            {"timestamp": call.label(end)}
            | {key: decimal(values[q], places) for key, q, places in self.columns}
            for end, values in rows
        ]
        return {**(self.summary(call, rows) if self.summary else {}), self.series: series}


def _flow_summary(
    flow: Quantity, bandwidth: Quantity, requests: Quantity, names: tuple[str, ...]
) -> Summary:
    """Totals and peaks of flow-request style items; `names` are the six field names."""

    def summary(call: _Call, rows: list[_Row]) -> dict[str, Any]:
        def peak(quantity: Quantity, places: int) -> tuple[str, str | None]:
            if not rows:
                return decimal(0.0, places), None  # [?] empty-window peaks undocumented
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


def _hit_ratio_summary(call: _Call, rows: list[_Row]) -> dict[str, Any]:
    flow = sum(values[Quantity.FLOW] for _, values in rows)
    hit = sum(values[Quantity.HIT_FLOW] for _, values in rows)
    return {
        # "Actual processed time": the newest slice with data.
        "realDate": format_local(rows[-1][0], call.offset, "%Y-%m-%d %H:%M") if rows else None,
        "totalAvg": decimal(hit / flow if flow > 0 else 0.0, 4),  # traffic-weighted
    }


_DOMAIN = _Level("domain", "domain")
_ISP_LEVELS = (
    _DOMAIN,
    _Level("isp", "isp", "ispData"),
    _Level("province", "province", "provinceData"),
)
MB, MBPS, RATIO, COUNT = 2, 2, 4, 0  # decimals: MB and Mbps 2 dp, ratios 4 dp, counts whole


@dataclass(frozen=True)
class _Route:
    """What the emulator needs about an endpoint beyond its catalog entry."""

    shape: _Shape
    domain_required: bool = False
    group_dims: frozenset[str] = frozenset()  # groupBy values accepted
    filters: Mapping[str, str] = field(default_factory=dict)  # dimension -> body key
    wire_max_domains: int | None = None  # when the catalog's cap is the exporter's choice


_ROUTES: Mapping[str, _Route] = {
    "flow_request": _Route(
        _Shape(
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
        group_dims=frozenset({"domain"}),
    ),
    "flow_request_origin": _Route(
        _Shape(
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
        group_dims=frozenset({"domain"}),
    ),
    "edge_hit_ratio": _Route(
        # One series aggregated over every requested domain; the body has no groupBy.
        _Shape(
            (),
            "hitRatioDatas",
            (("edgeHitRatio", Quantity.HIT_RATIO, RATIO),),
            _hit_ratio_summary,
            extra=(Quantity.FLOW, Quantity.HIT_FLOW),
        ),
        wire_max_domains=200,
    ),
    "hit_rate_isp_province": _Route(
        _Shape(
            _ISP_LEVELS,
            "hitRateData",
            (("value", Quantity.HIT_RATIO, RATIO), ("hitFlow", Quantity.HIT_FLOW, MB)),
        ),
        domain_required=True,
        group_dims=frozenset({"domain", "isp", "province"}),
        filters={"isp": "isp", "province": "province"},
    ),
    "isp_province": _Route(
        _Shape(
            _ISP_LEVELS,
            "flowData",
            (("value", Quantity.FLOW, MB), ("bandwidth", Quantity.BANDWIDTH, MBPS)),
        ),
        domain_required=True,
        group_dims=frozenset({"domain", "isp", "province"}),
        filters={"isp": "isp", "province": "province"},
    ),
    "country_bandwidth": _Route(
        # No groupBy here: always per domain and per country (CDNetworks doc example).
        _Shape(
            (_DOMAIN, _Level("country", "countryCode", "countryData")),
            "detailList",
            (("value", Quantity.BANDWIDTH, MBPS), ("flow", Quantity.FLOW, MB)),
        ),
        filters={"country": "countryCode"},
    ),
}
_ALL_VALUES: Mapping[str, tuple[str, ...]] = {
    "isp": ISPS,
    "province": PROVINCES,
    "country": COUNTRIES,
}


def _wants_xml(request: web.Request) -> bool:
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
    raise _bad(NOT_ACCEPTABLE)


def _parse_date(value: Any) -> tuple[int, int]:
    """`yyyy-MM-ddTHH:mm:ss±HH:mm` -> (epoch, offset seconds)."""
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise _bad(DATE_FORMAT, f"Expected yyyy-MM-ddTHH:mm:ss±HH:mm, got {value!r}.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(DATE_FORMAT, f"{value!r} is not a valid time.") from None
    offset = parsed.utcoffset()
    assert offset is not None  # the pattern requires one
    return int(parsed.timestamp()), int(offset.total_seconds())


def _window(
    body: Mapping[str, Any], request: web.Request, spec: EndpointSpec, now: float
) -> tuple[int, int, int]:
    """(start, end, offset) of the requested window, end clamped to now."""
    time_zone = request.headers.get("X-Time-Zone")
    if time_zone is not None and not _TIME_ZONE_RE.fullmatch(time_zone.strip()):
        raise _bad(TIME_ZONE_INVALID)
    date_from, date_to = body.get("dateFrom"), body.get("dateTo")
    if (date_from is None) != (date_to is None):
        raise _bad(DATE_INVALID, "Give both dateFrom and dateTo, or neither.")
    if date_from is None:
        offset = parse_offset(time_zone) if time_zone else DEFAULT_OFFSET
        start, end = int(now) - DAY, int(now)  # default: the last 24 hours
    else:
        # An explicit offset wins over X-Time-Zone; the answer is in dateFrom's.
        start, offset = _parse_date(date_from)
        end, _ = _parse_date(date_to)
        if start >= now:
            raise _bad(DATE_INVALID, "dateFrom is not before the current time.")
        if start >= end:
            raise _bad(DATE_INVALID, "dateFrom is not before dateTo.")
        if end - start > spec.max_span:
            raise _bad(DATE_INVALID, f"The span exceeds {spec.max_span // HOUR} hours.")
        end = min(end, int(now))
    if start < now - HISTORY:
        raise _bad(DATE_INVALID, "Data older than 183 days cannot be queried.")
    return start, end, offset


def _domains(
    body: Mapping[str, Any], route: _Route, spec: EndpointSpec, account: EmulatedAccount
) -> tuple[str, ...]:
    limit = route.wire_max_domains or spec.max_domains_per_call
    raw = body.get("domain")
    if raw is None:
        if route.domain_required:
            raise _bad(DOMAIN_INVALID)
        if len(account.domains) > limit:  # omitted: all the account's domains, if few enough
            raise _bad(TOO_MANY_DOMAINS)
        return account.domains
    if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
        raise _bad(DOMAIN_INVALID)
    if len(raw) > limit:
        raise _bad(TOO_MANY_DOMAINS, f"At most {limit}.")
    # Domains not in the account are dropped silently (§5.5).
    known = tuple(dict.fromkeys(d for d in raw if d in account.domains))
    if not known:
        raise _bad(DOMAIN_INVALID)
    return known


def _string_list(body: Mapping[str, Any], key: str) -> list[str] | None:
    raw = body.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise _bad(INVALID_PARAMETER, f"{key} must be a list of strings.")
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


def _slice_seconds(body: Mapping[str, Any], spec: EndpointSpec) -> int:
    if len(spec.granularities) == 1:
        return spec.granularities[0]  # no dataInterval parameter: one fixed series
    name = body.get("dataInterval")
    if name is None:
        return spec.granularities[0]
    seconds = _INTERVALS.get(name) if isinstance(name, str) else None
    if seconds not in spec.granularities:
        raise _bad(INVALID_PARAMETER, f"dataInterval {name!r} is not supported here.")
    assert seconds is not None
    return seconds


def _validate(
    emulator: Emulator,
    spec: EndpointSpec,
    route: _Route,
    account: EmulatedAccount,
    request: web.Request,
    body: bytes,
) -> _Call:
    if request.content_type != "application/json" or not body:
        raise _bad(BODY_REQUIRED)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _bad(BODY_REQUIRED, "The body is not valid JSON.") from None  # our choice
    if not isinstance(payload, dict):
        raise _bad(BODY_REQUIRED, "The body must be a JSON object.")
    now = emulator.clock.time()
    start, end, offset = _window(payload, request, spec, now)
    selected = {"domain": _domains(payload, route, spec, account)}
    seconds = _slice_seconds(payload, spec)
    english = request.headers.get("Accept-Language", "zh-CN").lower().startswith("en")
    for level in route.shape.levels:
        if level.dimension != "domain":
            key = route.filters[level.dimension]
            selected[level.dimension] = _filtered(payload, level.dimension, key, english)
    group_by = set(_string_list(payload, "groupBy") or ()) if route.group_dims else set()
    if not group_by <= route.group_dims:
        raise _bad(INVALID_PARAMETER, f"groupBy accepts {sorted(route.group_dims)}.")
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
    return _Call(
        emulator=emulator,
        account=account,
        offset=offset,
        slice_seconds=seconds,
        slices=visible,
        selected=selected,
        grouped=frozenset(
            group_by | ({lvl.dimension for lvl in route.shape.levels} - route.group_dims)
        ),
        english=english,
    )


def _handler(
    emulator: Emulator, spec: EndpointSpec, route: _Route
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()

        def respond(account: EmulatedAccount) -> web.Response:
            xml = _wants_xml(request)
            call = _validate(emulator, spec, route, account, request, body)
            return _render(_envelope(spec.envelope, route.shape.build(call)), xml=xml)

        return await emulator.handle(
            dialect=DIALECT,
            endpoint=spec.name,
            rate_limit=spec.rate_limit,
            authenticate=lambda: authenticate(emulator, request, body),
            respond=respond,
        )

    return handle


def register(app: web.Application, emulator: Emulator) -> None:
    """Add one POST route per catalog endpoint."""
    for name, route in _ROUTES.items():
        spec = CATALOG[name]
        app.router.add_route(spec.method, spec.path, _handler(emulator, spec, route))
