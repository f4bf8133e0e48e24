"""Wangsu response building: envelopes, JSON or XML, errors, and each route's body shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from xml.etree import ElementTree

import orjson
from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator, FaultKind
from collector.emulator.traffic import Member, Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import (
    DATE_INVALID,
    DAY,
    DOMAIN_INVALID,
    INVALID_PARAMETER,
    SYSTEM_ERROR,
    TRANSCODING_GRADES,
    Envelope,
)
from collector.emulator.wangsu.validation import Call, Row, _string_list, bad, legacy_label
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
#
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


def _shares(account: str, domain: str, kind: str, names: tuple[str, ...]) -> dict[str, float]:
    weights = {n: 0.4 + unit_hash(account, domain, kind, n) for n in names}
    total = sum(weights.values())
    return {n: w / total for n, w in weights.items()}


def _scaled(
    call: Call, domains: tuple[str, ...], quantities: list[Quantity], share: Callable[[str], float]
) -> list[Row]:
    """Rows of the domains together, each domain's values times its share."""
    quantities = list(dict.fromkeys(quantities))
    out: dict[int, dict[Quantity, float]] = {}
    for domain in domains:
        factor = share(domain)
        for end, values in call.rows([(domain, {})], quantities):
            into = out.setdefault(end, dict.fromkeys(quantities, 0.0))
            for q in quantities:
                into[q] += values[q] * factor
    return sorted(out.items())


def _series(
    call: Call, rows: list[Row], columns: tuple[tuple[str, Quantity, int], ...]
) -> list[dict[str, str]]:
    return [
        {"timestamp": call.label(end)}
        | {key: decimal(values[q], places) for key, q, places in columns}
        for end, values in rows
    ]


# -- Protocol: https and http shares of each domain's edge traffic.
PROTOCOLS = ("https", "http")
_PROTOCOL_SERIES = {"https": "httpsFlowData", "http": "httpFlowData"}


def protocol_share(account: str, domain: str, protocol: str) -> float:
    """The share of a domain's edge traffic sent over `protocol` ([?] ours)."""
    https = 0.55 + 0.4 * unit_hash(account, domain, "https share")
    return https if protocol == "https" else 1.0 - https


@dataclass(frozen=True)
class _ProtocolShape(RouteBody):
    protocol: str = "https"

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        protocol = payload.get("protocolType", "https")  # "https is the default"
        if protocol not in PROTOCOLS:
            raise bad(INVALID_PARAMETER, "protocolType accepts http or https.")
        return payload, replace(self, series=_PROTOCOL_SERIES[protocol], protocol=protocol)

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        domains = picked.get("domain", call.selected["domain"])
        account = call.account.name
        rows = _scaled(
            call, domains, [Quantity.FLOW], lambda d: protocol_share(account, d, self.protocol)
        )
        return {self.series: _series(call, rows, self.columns)}


# -- Client country: the traffic model's country cells, with per-country summaries.
_COUNTRY_NAMES = {
    "cn": ("China", "中国"),
    "hk": ("Hong Kong, China", "中国香港"),
    "sg": ("Singapore", "新加坡"),
    "us": ("United States", "美国"),
    "de": ("Germany", "德国"),
}


@dataclass(frozen=True)
class _CountryShape(Shape):
    """`countryData[]` items carry a name, the window's sum and its share in percent."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        leaf = super()._leaf(call, picked, omit)
        domains = picked.get("domain", call.selected["domain"])
        countries = picked.get("country", call.selected["country"])
        mine = call.rows(call.members(picked), [Quantity.FLOW])
        every = call.rows(call.members({"domain": domains}), [Quantity.FLOW])
        flow = sum(values[Quantity.FLOW] for _, values in mine)
        total = sum(values[Quantity.FLOW] for _, values in every)
        name = _COUNTRY_NAMES[countries[0]] if len(countries) == 1 else ("all", "全部")
        return {
            "countryName": name[0] if call.english else name[1],
            "flowSum": decimal(flow, MB),
            "flowPercentage": decimal(100 * flow / total if total > 0 else 0.0, 2),
            **leaf,
        }


# -- Parts of a domain: directories, streams, exact domains.
LIVE_DIRS = ("/live", "/app", "/edu")
STREAMS = ("live/sports", "live/news", "live/music")
_SITE_DIRS = ("/video", "/images", "/static")
_EXACT_HOSTS = ("www", "m", "api")


def site_dirs(hierarchy: int) -> tuple[str, ...]:
    """The directories of `dir/info` at one level (1 to 4): `/video`, `/video/l2`, ..."""
    return tuple(
        "/".join([base, *(f"l{level}" for level in range(2, hierarchy + 1))]) for base in _SITE_DIRS
    )


def exact_domains(domain: str) -> tuple[str, ...]:
    base = domain.removeprefix("*.")
    return tuple(f"{host}.{base}" for host in _EXACT_HOSTS)


def part_shares(account: str, domain: str, kind: str) -> dict[str, float]:
    """Each part's share of the domain's traffic; `kind` is `dir`, `live-dir`,
    `stream` or `exact`. Directory levels share the level-1 shares."""
    names = {
        "dir": _SITE_DIRS,
        "live-dir": LIVE_DIRS,
        "stream": STREAMS,
        "exact": exact_domains(domain),
    }[kind]
    return _shares(account, domain, kind, names)


def dir_share(account: str, domain: str, directory: str) -> float:
    """The share of a `dir/info` directory at any level (its level-1 ancestor's)."""
    top = "/" + directory.strip("/").split("/")[0]
    return part_shares(account, domain, "dir")[top]


def _constant(value: float) -> Callable[[str], float]:
    return lambda _domain: value


PartSummary = Callable[[list[Row], float], dict[str, str]]


@dataclass(frozen=True)
class _PartsShape(RouteBody):
    """Domain items holding one item per part (`part_key` list, named by `part_label`),
    each the domain's traffic times the part's share; with `part_key` "" the parts are
    the top items (exact domains). `wanted` keeps the parts a body asked for."""

    kind: str = ""
    part_key: str = ""
    part_label: str = ""
    part_summary: PartSummary | None = None
    binder: Callable[[_PartsShape, dict[str, Any]], tuple[dict[str, Any], Shape]] | None = None
    wanted: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # domain -> parts
    hierarchy: int = 1  # dir/info's dirHierarchy

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        assert self.binder is not None
        return self.binder(self, payload)

    def _names(self, account: str, domain: str) -> tuple[str, ...]:
        if self.kind == "dir":
            names = site_dirs(self.hierarchy)
        else:
            names = tuple(part_shares(account, domain, self.kind))
        asked = self.wanted.get(domain, ())
        return tuple(n for n in names if n in asked) if asked else names  # unknown: dropped

    def _share(self, account: str, domain: str, name: str) -> float:
        if self.kind == "dir":
            return dir_share(account, domain, name)
        return part_shares(account, domain, self.kind)[name]

    def _parts(self, call: Call, domain: str) -> list[dict[str, Any]]:
        account = call.account.name
        quantities = [q for _, q, _ in self.columns] + list(self.extra)
        items = []
        for name in self._names(account, domain):
            share = self._share(account, domain, name)
            rows = _scaled(call, (domain,), quantities, _constant(share))
            item: dict[str, Any] = {self.part_label: name}
            if self.part_summary is not None:
                item.update(self.part_summary(rows, 1.0))
            if self.series:
                item[self.series] = _series(call, rows, self.columns)
            items.append(item)
        return items

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        domains = call.selected["domain"]
        if not self.part_key:
            return [item for domain in domains for item in self._parts(call, domain)]
        return [{"domain": d, self.part_key: self._parts(call, d)} for d in domains]


def _flow_totals(rows: list[Row], share: float) -> dict[str, str]:
    """`totalFlow` (MB) and `bandwidthPeakValue` (Mbps, the peak 5-minute slice)."""
    flow = sum(values[Quantity.FLOW] for _, values in rows) * share
    peak = max((values[Quantity.BANDWIDTH] for _, values in rows), default=0.0) * share
    return {"totalFlow": decimal(flow, MB), "bandwidthPeakValue": decimal(peak, MBPS)}


def _total_flow(rows: list[Row], share: float) -> dict[str, str]:
    return {"totalFlow": decimal(sum(v[Quantity.FLOW] for _, v in rows) * share, MB)}


def _peak_bandwidth(rows: list[Row], share: float) -> dict[str, str]:
    peak = max((values[Quantity.BANDWIDTH] for _, values in rows), default=0.0) * share
    return {"bandwidthPeakValue": decimal(peak, MBPS)}


def _objects(
    payload: Mapping[str, Any], key: str, part: str, cap: int = 0
) -> dict[str, tuple[str, ...]]:
    """`[{domain, <part>: [...]}]` -> domain -> parts asked for (empty: all)."""
    raw = payload.get(key)
    if not isinstance(raw, list) or not raw:
        raise bad(DOMAIN_INVALID, f"{key} is required.")
    out: dict[str, tuple[str, ...]] = {}
    for item in raw:
        domain = item.get("domain") if isinstance(item, dict) else None
        names = item.get(part, []) if isinstance(item, dict) else None
        if not isinstance(domain, str) or not isinstance(names, list | None):
            raise bad(DOMAIN_INVALID, f"{key}[]: domain and a {part} list.")
        if names and not all(isinstance(n, str) for n in names):
            raise bad(INVALID_PARAMETER, f"{key}[].{part} must be a list of strings.")
        if cap and names and len(names) > cap:
            raise bad(INVALID_PARAMETER, f"At most {cap} values in {key}[].{part}.")
        out[domain] = tuple(names or ())
    return out


def _common(payload: Mapping[str, Any], domains: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """The body `validate` reads: the dates (required here), the domain list, `keys`."""
    if payload.get("dateFrom") is None or payload.get("dateTo") is None:
        raise bad(DATE_INVALID, "dateFrom and dateTo are required.")
    body = {k: payload[k] for k in ("dateFrom", "dateTo", *keys) if k in payload}
    return {**body, "domain": list(domains)}


def _data_type(payload: Mapping[str, Any]) -> str:
    data_type = payload.get("dataType")
    if data_type not in ("flow", "bandwidth"):
        raise bad(INVALID_PARAMETER, "dataType accepts flow or bandwidth.")
    return str(data_type)


_FLOW_VALUE = (("value", Quantity.FLOW, MB),)
_BANDWIDTH_VALUE = (("value", Quantity.BANDWIDTH, MBPS),)


def _bind_dir_info(shape: _PartsShape, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
    hierarchy = payload.get("dirHierarchy")
    if hierarchy not in ("1", "2", "3", "4"):
        raise bad(INVALID_PARAMETER, "dirHierarchy accepts one of 1 to 4.")
    wanted = _objects(payload, "domainDir", "dir", cap=200)
    return _common(payload, wanted), replace(shape, wanted=wanted, hierarchy=int(hierarchy))


def _bind_dir_detail(shape: _PartsShape, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
    wanted = _objects(payload, "domainDir", "dir", cap=200)
    protocol = payload.get("protocolType")
    if protocol is not None and protocol not in PROTOCOLS:
        raise bad(INVALID_PARAMETER, "protocolType accepts http or https.")
    # [?] A protocolType filter is accepted but not modelled: both protocols answer.
    # The SDK requires both totals whichever the dataType: both are given.
    columns = _FLOW_VALUE if _data_type(payload) == "flow" else _BANDWIDTH_VALUE
    bound = replace(shape, wanted=wanted, columns=columns)
    return _common(payload, wanted, "dataInterval"), bound


def _bind_stream(shape: _PartsShape, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
    wanted = _objects(payload, "domainStream", "stream", cap=2000)
    if payload.get("filterEmptyStream", 0) not in (0, 1, "0", "1"):
        raise bad(INVALID_PARAMETER, "filterEmptyStream accepts 0 or 1.")
    if _data_type(payload) == "flow":
        bound = replace(shape, wanted=wanted, columns=_FLOW_VALUE, part_summary=_total_flow)
    else:
        bound = replace(
            shape, wanted=wanted, columns=_BANDWIDTH_VALUE, part_summary=_peak_bandwidth
        )
    return _common(payload, wanted, "dataInterval"), bound


def _bind_exact(shape: _PartsShape, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
    exact = _string_list(payload, "exactDomain")
    if exact is not None and len(exact) > 200:
        raise bad(INVALID_PARAMETER, "At most 200 exactDomain values.")
    domains = payload.get("domain")
    wanted = (
        {d: tuple(exact) for d in domains if isinstance(d, str)}
        if exact and isinstance(domains, list)
        else {}
    )
    return payload, replace(shape, wanted=wanted)


_CLIENT_COUNTRY_LEVELS = (_DOMAIN, Level("country", "countryCode", "countryData"))

RESULT_SHAPES: Mapping[str, Shape] = {
    "parent_node": Shape(
        (_DOMAIN,),
        "flowData",
        # What the parent (shield) PoPs send out is what the edges missed ([?] ours).
        (("value", Quantity.ORIGIN_FLOW, MB),),
        lambda _call, rows: {
            "totalFlow": decimal(sum(v[Quantity.ORIGIN_FLOW] for _, v in rows), MB)
        },
    ),
    "protocol": _ProtocolShape((_DOMAIN,), "httpsFlowData", (("value", Quantity.FLOW, MB),)),
    "client_country": _CountryShape(
        _CLIENT_COUNTRY_LEVELS,
        "flowData",
        (("value", Quantity.FLOW, MB), ("bandwidth", Quantity.BANDWIDTH, MBPS)),
    ),
    "exact_domain": _PartsShape(
        (),
        "flowData",
        _FLOW_VALUE,
        kind="exact",
        part_label="exactDomain",
        binder=_bind_exact,
    ),
    "dir_info": _PartsShape(
        (_DOMAIN,),
        "",  # totals only, no series
        (),
        extra=(Quantity.FLOW, Quantity.BANDWIDTH),
        kind="dir",
        part_key="details",
        part_label="dir",
        part_summary=_flow_totals,
        binder=_bind_dir_info,
    ),
    "live_dir": _PartsShape(
        (_DOMAIN,),
        "details",
        _FLOW_VALUE,
        extra=(Quantity.FLOW, Quantity.BANDWIDTH),
        kind="live-dir",
        part_key="details",
        part_label="dir",
        part_summary=_flow_totals,
        binder=_bind_dir_detail,
    ),
    "stream": _PartsShape(
        (_DOMAIN,),
        "details",
        _FLOW_VALUE,
        kind="stream",
        part_key="details",
        part_label="stream",
        part_summary=_total_flow,
        binder=_bind_stream,
    ),
}

# -- `code`/`message`/`data` routes ---------------------------------------------------

# [?] Country names are undocumented beyond "countryName"; zh-CN and en-US spellings.
_UPLOAD_COUNTRY_NAMES: Mapping[str, tuple[str, str]] = {
    "cn": ("中国", "China"),
    "hk": ("中国香港", "Hong Kong"),
    "sg": ("新加坡", "Singapore"),
    "us": ("美国", "United States"),
    "de": ("德国", "Germany"),
}
# Streams per domain: `<publishing point>/<stream name>` (models.py, domainStream.stream).
_STREAMS = ("live/main", "live/backup", "event/launch")
_VIEWER_MBPS = 2.5  # [?] one online user per 2.5 Mbps of a stream's bandwidth


def ipv6_share(account: str, domain: str) -> float:
    """The fixed share of a domain's edge bandwidth served over IPv6: 10% to 40%."""
    return 0.1 + 0.3 * unit_hash(account, domain, "ipv6")


def p2p_share(account: str, domain: str) -> float:
    """The fixed share of a domain's traffic served peer to peer: 20% to 70%."""
    return 0.2 + 0.5 * unit_hash(account, domain, "p2p")


def stream_shares(account: str, domain: str) -> dict[str, float]:
    """Each stream's share of its domain's edge traffic, summing to 1."""
    weights = {name: 0.4 + unit_hash(account, domain, "stream", name) for name in _STREAMS}
    total = sum(weights.values())
    return {name: weight / total for name, weight in weights.items()}


def _per_domain(
    call: Call, picked: Mapping[str, tuple[str, ...]], quantity: Quantity
) -> list[tuple[str, list[Row]]]:
    domains = picked.get("domain", call.selected["domain"])
    return [(domain, call.rows([(domain, {})], [quantity])) for domain in domains]


class _UpFlowCountryShape(Shape):
    """domain-country upload: each country item also carries its name, its traffic sum
    over the window and its percentage of the domain's (all countries) traffic."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [Quantity.UP_FLOW, Quantity.UP_BANDWIDTH])
        whole = call.rows(call.members({"domain": picked["domain"]}), [Quantity.UP_FLOW])
        flow = sum(values[Quantity.UP_FLOW] for _, values in rows)
        total = sum(values[Quantity.UP_FLOW] for _, values in whole)
        countries = picked["country"]
        if len(countries) == 1:
            name = _UPLOAD_COUNTRY_NAMES[countries[0]][1 if call.english else 0]
        else:
            name = "all" if call.english else "全部"  # [?] as the aggregated label
        return {
            "countryName": name,
            "flowSum": decimal(flow, MB),
            "flowPercentage": decimal(100 * flow / total if total > 0 else 0.0, 2),
            "flowData": [
                {
                    "timestamp": call.label(end),
                    "value": decimal(values[Quantity.UP_FLOW], MB),
                    "bandwidth": decimal(values[Quantity.UP_BANDWIDTH], MBPS),
                }
                for end, values in rows
            ],
        }


class _IpVersionShape(Shape):
    """multi-ip-version, queryBy bandwidth: each domain's bandwidth split by its fixed
    IPv6 share. [I] `queryBy` is not read (the shape cannot see the body): always
    bandwidth, in Mbps."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        parts = _per_domain(call, picked, Quantity.BANDWIDTH)
        series = []
        for i, (end, _) in enumerate(parts[0][1] if parts else []):
            v4 = v6 = 0.0
            for domain, rows in parts:
                bandwidth = rows[i][1][Quantity.BANDWIDTH]
                share = ipv6_share(call.account.name, domain)
                v4 += bandwidth * (1 - share)
                v6 += bandwidth * share
            series.append(
                {
                    "timestamp": call.label(end),
                    "v4Value": decimal(v4, MBPS),
                    "v6Value": decimal(v6, MBPS),
                }
            )
        return {"detailList": series}


class _P2pShareShape(Shape):
    """p2p share ratio in percent (2 dp): traffic-weighted over the item's domains."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        parts = _per_domain(call, picked, Quantity.FLOW)
        series = []
        for i, (end, _) in enumerate(parts[0][1] if parts else []):
            flows = [(domain, rows[i][1][Quantity.FLOW]) for domain, rows in parts]
            total = sum(flow for _, flow in flows)
            p2p = sum(flow * p2p_share(call.account.name, domain) for domain, flow in flows)
            ratio = p2p / total if total > 0 else 0.0
            series.append({"timestamp": call.label(end), "value": decimal(100 * ratio, 2)})
        return {"detailList": series}


class _FlowByteShape(Shape):
    """flow/byte: the account's edge traffic over every domain, whole bytes."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [Quantity.FLOW])
        flows = [(end, round(values[Quantity.FLOW] * 1e6)) for end, values in rows]
        return {
            "flowSummary": str(sum(flow for _, flow in flows)),
            "flowData": [{"timestamp": call.label(end), "flow": str(flow)} for end, flow in flows],
        }


class _StreamShape(Shape):
    """flow-bandwidth/stream/detail, dataType flow: each domain's streams, values in MB.
    [I] dataType is not read (always flow); both summary fields are printed, as the SDK
    requires both; only streams with traffic are listed (models.py totalFlow)."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        (domain,) = picked["domain"]
        rows = call.rows([(domain, {})], [Quantity.FLOW, Quantity.BANDWIDTH])
        streams = []
        for name, share in stream_shares(call.account.name, domain).items():
            flows = [decimal(values[Quantity.FLOW] * share, MB) for _, values in rows]
            if not any(float(flow) > 0 for flow in flows):
                continue
            bandwidths = [values[Quantity.BANDWIDTH] * share for _, values in rows]
            details = []
            for (end, _), flow, bandwidth in zip(rows, flows, bandwidths, strict=True):
                item: dict[str, Any] = {"timestamp": call.label(end), "value": flow}
                if "onlineUser" not in omit:
                    item["onlineUser"] = round(bandwidth / _VIEWER_MBPS)
                details.append(item)
            streams.append(
                {
                    "stream": name,
                    "totalFlow": decimal(sum(float(flow) for flow in flows), MB),
                    "bandwidthPeakValue": decimal(max(bandwidths), MBPS),
                    "detailList": details,
                }
            )
        return {"domainOfStreamList": streams}


CODE_DATA_SHAPES: Mapping[str, Shape] = {
    # Nesting fixed whatever the groupBy order (models.py): domain, then country.
    "up_flow_domain_country": _UpFlowCountryShape(
        (_DOMAIN, Level("country", "countryCode", "countryData")), "flowData", ()
    ),
    "multi_ip_version": _IpVersionShape((_DOMAIN,), "detailList", ()),
    # One series aggregated over every requested domain; the body has no groupBy.
    # [3P] savingBandwidth is a fraction (§6.11); the emulated saving is the byte hit
    # ratio (bandwidth not fetched from origin). [?] The SDK types totalAvg as int (no
    # other ratio is so typed); a fraction cannot be one, so it is printed as a 4-decimal
    # string like edge-hit-ratio's totalAvg. tests/sdk flags that type on purpose.
    "bandwidth_saving_ratio": Shape(
        (),
        "savingBandwidthDatas",
        (("savingBandwidth", Quantity.HIT_RATIO, RATIO),),
        _hit_ratio_summary,
        extra=(Quantity.FLOW, Quantity.HIT_FLOW),
    ),
    "p2p_share_ratio": _P2pShareShape((_DOMAIN,), "detailList", ()),
    "flow_byte": _FlowByteShape((), "flowData", ()),
    "stream_detail": _StreamShape((_DOMAIN,), "domainOfStreamList", ()),
}

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
