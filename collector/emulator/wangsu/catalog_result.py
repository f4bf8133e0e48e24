"""The emulated Wangsu `result` reports beyond the first six: facts and answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from collector.emulator.traffic import Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import (
    ASSUMED_300,
    DATE_INVALID,
    DAY,
    DOMAIN_INVALID,
    HOUR,
    INVALID_PARAMETER,
    MINUTE,
    PER_5MIN_30,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    DOMAIN,
    MB,
    MBPS,
    Column,
    Level,
    RouteBody,
    Shape,
)
from collector.emulator.wangsu.validation import Call, Row, _string_list, bad

# -- facts ----------------------------------------------------------------------------

ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="parent_node",
        path="/api/report/flow/parent-node",
        method="POST",
        rate_limit=PER_5MIN_30,  # README
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE,),  # "support 5m"
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain"}),
        source="§6.6, §5.8",
    ),
    RouteFacts(
        name="protocol",
        path="/api/report/flow/protocol",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE, HOUR, DAY),  # [I] default unstated; 5m assumed
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain"}),
        source="§6.12 (QueryTrafficBySpecificProtocol)",
    ),
    RouteFacts(
        name="client_country",
        path="/api/report/flow/domain-country",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, DAY),
        envelope=Envelope.RESULT,
        domain_required=True,
        # `aggregatedOversea` is documented too; the emulator does not model it, so it
        # is refused with the made-up 24102001 ([?] ours).
        group_by=frozenset({"domain", "country"}),
        filters={"country": "countryCode"},
        source="§6.7",
    ),
    RouteFacts(
        name="exact_domain",
        path="/api/report/flow/exact-domain",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,  # wildcard domains; exactDomain takes up to 200
        intervals=(5 * MINUTE, DAY),
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (ReportFlowExactDomainService)",
    ),
    RouteFacts(
        name="dir_info",
        path="/api/report/flow/dir/info",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=31 * DAY,
        max_domains=1,  # domainDir[]: "the default value is 1"
        # Totals over the window, no series; the peak is of 5-minute slices.
        intervals=(5 * MINUTE,),
        interval_param=False,
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (ReportFlowDirInfoService)",
    ),
    RouteFacts(
        name="live_dir",
        path="/api/report/flow/dir/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,  # domainDir[] objects
        intervals=(5 * MINUTE, MINUTE),  # 1m only where support configured it
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (QueryDirectoryBandwidthTrafficUnderLivestreamDomain)",
    ),
    RouteFacts(
        name="stream",
        path="/api/report/flow/stream/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,  # domainStream[] objects
        intervals=(5 * MINUTE, MINUTE),  # 1m only where support configured it
        envelope=Envelope.RESULT,
        domain_required=True,
        source="§6.12 (QueryStreamTrafficUnderMALBDomain)",
    ),
)

# -- answers --------------------------------------------------------------------------


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


_FLOW_VALUE = (Column(field="value", quantity=Quantity.FLOW, decimals=MB),)
_BANDWIDTH_VALUE = (Column(field="value", quantity=Quantity.BANDWIDTH, decimals=MBPS),)


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


_CLIENT_COUNTRY_LEVELS = (
    DOMAIN,
    Level(dimension="country", label_key="countryCode", list_key="countryData"),
)

SHAPES: Mapping[str, Shape] = {
    "parent_node": Shape(
        levels=(DOMAIN,),
        series="flowData",
        # What the parent (shield) PoPs send out is what the edges missed ([?] ours).
        columns=(Column(field="value", quantity=Quantity.ORIGIN_FLOW, decimals=MB),),
        summary=lambda _call, rows: {
            "totalFlow": decimal(sum(v[Quantity.ORIGIN_FLOW] for _, v in rows), MB)
        },
    ),
    "protocol": _ProtocolShape(
        levels=(DOMAIN,),
        series="httpsFlowData",
        columns=(Column(field="value", quantity=Quantity.FLOW, decimals=MB),),
    ),
    "client_country": _CountryShape(
        levels=_CLIENT_COUNTRY_LEVELS,
        series="flowData",
        columns=(
            Column(field="value", quantity=Quantity.FLOW, decimals=MB),
            Column(field="bandwidth", quantity=Quantity.BANDWIDTH, decimals=MBPS),
        ),
    ),
    "exact_domain": _PartsShape(
        levels=(),
        series="flowData",
        columns=_FLOW_VALUE,
        kind="exact",
        part_label="exactDomain",
        binder=_bind_exact,
    ),
    "dir_info": _PartsShape(
        levels=(DOMAIN,),
        series="",  # totals only, no series
        columns=(),
        extra=(Quantity.FLOW, Quantity.BANDWIDTH),
        kind="dir",
        part_key="details",
        part_label="dir",
        part_summary=_flow_totals,
        binder=_bind_dir_info,
    ),
    "live_dir": _PartsShape(
        levels=(DOMAIN,),
        series="details",
        columns=_FLOW_VALUE,
        extra=(Quantity.FLOW, Quantity.BANDWIDTH),
        kind="live-dir",
        part_key="details",
        part_label="dir",
        part_summary=_flow_totals,
        binder=_bind_dir_detail,
    ),
    "stream": _PartsShape(
        levels=(DOMAIN,),
        series="details",
        columns=_FLOW_VALUE,
        kind="stream",
        part_key="details",
        part_label="stream",
        part_summary=_total_flow,
        binder=_bind_stream,
    ),
}
