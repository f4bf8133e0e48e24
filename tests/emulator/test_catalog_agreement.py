"""The exporter's catalog and the emulator's documented facts agree, route by route.

The two tables are written separately (the emulator's from the reference and the SDK,
the exporter's as declarations), so an assumption made wrongly on one side shows up
here as a named disagreement. Where the exporter is deliberately stricter than the
wire allows, the difference is listed in `DELIBERATE` with its reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from collector.emulator.volcengine import facts as volc
from collector.emulator.wangsu import catalog as ws_catalog
from collector.emulator.wangsu import catalog_health as ws_health
from collector.emulator.wangsu import facts as ws
from collector.model import RateLimit
from collector.providers.endpoint import Endpoint, Granularity
from collector.providers.volcengine.catalog import CATALOG as VOLCENGINE
from collector.providers.wangsu.catalog import CATALOG as WANGSU
from collector.providers.wangsu.catalog import CDNETWORKS_CATALOG as CDNETWORKS

_ONE_CHANNEL = (
    "the SDK's JSON model nests one channel object per date, so the exporter asks for "
    "one channel per call"
)
# (provider, endpoint, fact) -> why the exporter's value differs from the wire's.
_MONTH_TO_DATE = (
    "the billing reports answer one figure over the billing month to date from 5-minute "
    "points; the exporter asks for it once an hour (an hourly slice, stamped at its start)"
)
DELIBERATE = {
    ("wangsu", "channel_value", "granularities"): _MONTH_TO_DATE,
    ("wangsu", "perzone_billing", "granularities"): _MONTH_TO_DATE,
    ("wangsu", "channel_value", "max_domains"): (
        "a channel's billed value is a billing group's figure only when the group is that "
        "one channel: one channel a call"
    ),
    ("wangsu", "perzone_billing", "max_domains"): (
        "without `channel` the answer is the account's billed series, the whole-account "
        "group's figure: no channel list is sent"
    ),
    ("wangsu", "isp_province_hit_rate_detail", "max_span at 60s"): (
        "the SDK documents 24 hours, but 6 hours at 1m; the emulator's facts carry one "
        "span per route (24 hours), the declaration the stricter 1m span"
    ),
    ("wangsu", "flow_byte", "max_domains"): (
        "the route takes no domain list (it answers for the whole account); the emulator "
        "models that as an unbounded cap"
    ),
    ("cdnetworks", "flow_byte_dwa", "max_domains"): (
        "like flow_byte, the route answers for the whole account; the emulator models that "
        "as an unbounded cap"
    ),
    ("cdnetworks", "relay_traffic", "granularities"): (
        "the route labels 5-minute slices by their end but hourly ones by their start "
        "(field doc): the exporter asks for whole days only"
    ),
    ("cdnetworks", "relay_traffic", "max_span at 86400s"): (
        "dates are whole days: one day a call, asked for once the day is over"
    ),
    ("wangsu", "dir_info", "granularities"): (
        "the route answers totals over the window, no series; the exporter asks for one "
        "hour a call, so each total is one hourly slice"
    ),
    ("wangsu", "dir_info", "max_span at 3600s"): (
        "one hour a call (the window is the slice), though the route takes up to 31 days"
    ),
    ("wangsu", "flow_channel", "max_domains"): _ONE_CHANNEL,
    ("wangsu", "flow_day", "max_domains"): _ONE_CHANNEL,
    **{
        ("wangsu", name, "max_domains"): (
            "resultType 1 (the default) merges the channels asked for into one series, so "
            "the exporter asks for one channel per call"
        )
        for name in ("bandwidth_channel", "bandwidth_middle", "bandwidth_log", "p2p_bandwidth")
    },
    **{
        ("wangsu", name, "max_span at 300s"): (
            "the dates are whole days: the exporter asks for the one or two days holding a "
            "window of at most a day and reads only the window's slices"
        )
        for name in ("bandwidth_middle", "p2p_bandwidth", "dedicated_line_bandwidth")
    },
    ("wangsu", "vod_transcoding", "granularities"): (
        "Wctquery answers 5-minute detail over whole days; the exporter sums it per day, "
        "so a day is asked for once it is over and never published in part"
    ),
    **{
        ("volcengine", name, "rate_limit"): (
            "three declarations read DescribeLivePlayStatusCodeData; each keeps a third "
            "of its 30/s so that together they stay within it"
        )
        for name in ("status_codes", "status_codes_by_code", "origin_status_codes")
    },
    ("wangsu", "status_codes", "rate_limit"): (
        "two declarations read /api/report/status-code (classes, and codes when opted "
        "in); they keep 20 and 10 of its assumed 30/5min so that together they stay within it"
    ),
    ("wangsu", "status_codes_by_code", "rate_limit"): (
        "keeps 10 of /api/report/status-code's assumed 30/5min; status_codes keeps 20"
    ),
    **{
        ("wangsu", name, "rate_limit"): (
            "three declarations read /api/report/flow-bandwidth/stream/detail (traffic, and "
            "online users per domain and per stream); each keeps a third of its assumed "
            "300/5min so that together they stay within it"
        )
        for name in ("stream_detail", "stream_online_users", "stream_online_users_by_stream")
    },
    **{
        ("wangsu", name, "granularities"): (
            "onlineUser is returned only at 1m (the Request's isReturnOnline doc), so the "
            "online-users declarations offer 1m only"
        )
        for name in ("stream_online_users", "stream_online_users_by_stream")
    },
    ("wangsu", "certificates", "granularities"): (
        "GET /api/ssl/certificate has no time range; the exporter reads its snapshot once "
        "an hour as an hourly slice settled when it ends"
    ),
    ("wangsu", "certificates", "max_span at 3600s"): (
        "one call covers any window: the span never splits the hourly snapshot"
    ),
    ("wangsu", "origin_response_time", "envelope"): (
        "the route answers a bare `data` list (no code or message); the exporter reads the "
        "`data` list of a style B answer, with or without them"
    ),
    ("volcengine", "stream_sessions_by_stream", "granularities"): (
        "DescribeLiveBatchStreamSessionData has no Aggregation; the exporter asks for one "
        "5-minute or hourly range a call and stamps each stream's peak at its end"
    ),
    ("volcengine", "certificates", "granularities"): (
        "ListCertV2 has no time range; the exporter reads its snapshot once an hour as an "
        "hourly slice settled when it ends"
    ),
}
ENVELOPES = {
    "result": ws.Envelope.RESULT,
    "code-data": ws.Envelope.CODE_DATA,
    "flow-data": ws.Envelope.FLOW_DATA,
    "myview": ws.Envelope.MYVIEW,
    "code-report": ws.Envelope.CODE_REPORT,
    "ssl-certificates": ws.Envelope.SSL_CERTIFICATES,
}
# Every emulated route of each spelling: the report routes and the certificate list.
WANGSU_ROUTES = (*ws_catalog.WANGSU_ROUTES, ws_health.CERTIFICATES)
CDNETWORKS_ROUTES = (*ws_catalog.CDNETWORKS_ROUTES, ws_health.CERTIFICATES)


def _limit(limit: RateLimit) -> tuple[int, float]:
    return limit.calls, limit.period


def _differ(
    problems: list[str], provider: str, name: str, fact: str, ours: object, wire: object
) -> None:
    # A deliberate difference on a Wangsu report holds for its CDNetworks spelling too.
    brands = ("wangsu", "cdnetworks") if provider == "cdnetworks" else (provider,)
    if ours != wire and not any((brand, name, fact) in DELIBERATE for brand in brands):
        problems.append(f"{provider} {name}: {fact} is {ours} here, {wire} on the wire")


def wangsu_disagreements(
    catalog: Mapping[str, Endpoint], routes: tuple[ws.RouteFacts, ...], brand: str = "wangsu"
) -> list[str]:
    """Where the catalog of one spelling (`brand`: wangsu or cdnetworks) and that
    spelling's emulated routes disagree."""
    by_path = {(r.method, r.path): r for r in routes}
    problems = []
    for name, spec in catalog.items():
        route = by_path.get((spec.method, spec.path))
        if route is None:
            problems.append(f"{brand} {name}: {spec.method} {spec.path} is not a documented route")
            continue

        def differ(fact: str, ours: object, wire: object, name: str = name) -> None:
            _differ(problems, brand, name, fact, ours, wire)

        differ("rate_limit", _limit(spec.rate_limit), _limit(route.rate_limit))
        differ("granularities", sorted(spec.granularities), sorted(route.intervals))
        for g in spec.slices:
            differ(f"max_span at {g.seconds}s", g.max_span, route.max_span)
        differ("envelope", ENVELOPES.get(spec.envelope), route.envelope)
        cap = spec.max_domains_per_call
        if cap is None or cap > route.max_domains:
            problems.append(
                f"{brand} {name}: max_domains {cap} exceeds the wire's {route.max_domains}"
            )
        elif not (cap == 1 and getattr(spec.shape, "call_label", False)):
            # One domain a call is deliberate where the answer carries no domain (the
            # shape labels it with the call's one domain): the route answers one series
            # for all the domains it is given, so one a call keeps series per domain.
            differ("max_domains", cap, route.max_domains)
    polled = {(s.method, s.path) for s in catalog.values()}
    problems += [
        f"{brand} {r.name}: emulated {r.path} has no declaration"
        for r in routes
        if (r.method, r.path) not in polled
    ]
    return problems


def volcengine_disagreements(
    catalog: Mapping[str, Endpoint], apis: tuple[volc.ApiFacts, ...]
) -> list[str]:
    by_action = {a.action: a for a in apis}
    problems = []
    for name, spec in catalog.items():
        api = by_action.get(spec.path)
        if api is None:
            problems.append(f"volcengine {name}: Action {spec.path} is not documented")
            continue

        def differ(fact: str, ours: object, wire: object, name: str = name) -> None:
            _differ(problems, "volcengine", name, fact, ours, wire)

        differ("method", spec.method, "POST")
        differ("rate_limit", _limit(spec.rate_limit), _limit(api.rate_limit))
        differ("granularities", sorted(spec.granularities), sorted(api.aggregations))
        for g in spec.slices:
            wire = api.aggregations.get(g.seconds)
            if wire is not None:
                differ(f"max_span at {g.seconds}s", g.max_span, wire.max_span)
                differ(f"data_delay at {g.seconds}s", g.data_delay, wire.data_delay)
        if not api.aggregations and api.max_span:  # no series: one range a call
            for g in spec.slices:
                if g.max_span > api.max_span:
                    problems.append(
                        f"volcengine {name}: max_span at {g.seconds}s exceeds the wire's "
                        f"{api.max_span}"
                    )
                differ(f"data_delay at {g.seconds}s", g.data_delay, api.data_delay)
        cap, wire_cap = spec.max_domains_per_call, api.max_list
        if wire_cap is not None and (cap is None or cap > wire_cap):
            problems.append(f"volcengine {name}: max_domains {cap} exceeds the wire's {wire_cap}")
    declared = {s.path for s in catalog.values()}
    problems += [
        f"volcengine {a.name}: emulated {a.action} has no declaration"
        for a in apis
        if a.action not in declared
    ]
    return problems


def test_wangsu_catalog_matches_the_documented_routes() -> None:
    assert wangsu_disagreements(WANGSU, WANGSU_ROUTES) == []


def test_cdnetworks_catalog_matches_the_documented_routes() -> None:
    """The CDNetworks spelling: its renamed routes and its own, the rest shared."""
    assert wangsu_disagreements(CDNETWORKS, CDNETWORKS_ROUTES, "cdnetworks") == []


def test_a_cdnetworks_rename_missed_on_either_side_is_named() -> None:
    wangsu_path = _changed(CDNETWORKS, "flow_request", path="/api/report/flow-request")
    problems = wangsu_disagreements(wangsu_path, CDNETWORKS_ROUTES, "cdnetworks")
    assert "cdnetworks flow_request: POST /api/report/flow-request is not a documented route" in (
        problems
    )
    assert any("traffic_request: emulated /api/report/traffic-request" in p for p in problems)
    capped = _changed(CDNETWORKS, "flow_request", max_domains_per_call=200)
    assert any(
        "flow_request: max_domains is 200 here, 1000 on the wire" in p
        for p in wangsu_disagreements(capped, CDNETWORKS_ROUTES, "cdnetworks")
    )


def test_volcengine_catalog_matches_the_documented_actions() -> None:
    assert volcengine_disagreements(VOLCENGINE, volc.APIS) == []


def _changed(catalog: Mapping[str, Endpoint], name: str, **changes: object) -> dict[str, Endpoint]:
    return {**catalog, name: dataclasses.replace(catalog[name], **changes)}  # type: ignore[arg-type]


def _slices(spec: Endpoint, **changes: int) -> tuple[Granularity, ...]:
    return tuple(dataclasses.replace(g, **changes) for g in spec.slices)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"rate_limit": RateLimit(600, 300)}, "rate_limit"),
        ({"path": "/api/report/flow-request/v2"}, "not a documented route"),
        ({"max_domains_per_call": 500}, "exceeds the wire's 200"),
        ({"max_domains_per_call": 100}, "max_domains is 100 here, 200 on the wire"),
        # flow_request's answer names its domains: one a call is no deliberate choice.
        ({"max_domains_per_call": 1}, "max_domains is 1 here, 200 on the wire"),
    ],
)
def test_a_wangsu_change_on_the_exporter_side_is_named(
    changes: dict[str, object], named: str
) -> None:
    problems = wangsu_disagreements(_changed(WANGSU, "flow_request", **changes), WANGSU_ROUTES)
    assert any("flow_request" in p and named in p for p in problems), problems


def test_a_wangsu_span_change_is_named() -> None:
    spec = WANGSU["isp_province"]
    catalog = _changed(WANGSU, "isp_province", slices=_slices(spec, max_span=31 * 86400))
    problems = wangsu_disagreements(catalog, WANGSU_ROUTES)
    assert any(p.startswith("wangsu isp_province: max_span at 300s") for p in problems), problems


def test_a_change_on_the_emulator_side_is_named() -> None:
    routes = tuple(
        dataclasses.replace(r, rate_limit=RateLimit(30, 300)) if r.name == "flow_request" else r
        for r in WANGSU_ROUTES
    )
    assert any("flow_request: rate_limit" in p for p in wangsu_disagreements(WANGSU, routes))
    apis = tuple(
        dataclasses.replace(a, aggregations={DAY: volc.Slice(31 * DAY, 900)})
        if a.name == "audit"
        else a
        for a in volc.APIS
    )
    assert any("audit: max_span at 86400s" in p for p in volcengine_disagreements(VOLCENGINE, apis))
    assert any(
        "traffic" in p and "exceeds the wire's 10" in p
        for p in volcengine_disagreements(
            VOLCENGINE,
            tuple(
                dataclasses.replace(a, max_list=10) if a.name == "traffic" else a for a in volc.APIS
            ),
        )
    )


@pytest.mark.parametrize(
    ("name", "changes", "named"),
    [
        ("record", {"data_delay": 900}, "record: data_delay at 300s"),
        ("traffic", {"max_span": 93 * 86400}, "traffic: max_span at 300s"),
    ],
)
def test_a_volcengine_change_on_the_exporter_side_is_named(
    name: str, changes: dict[str, int], named: str
) -> None:
    spec = VOLCENGINE[name]
    catalog = _changed(VOLCENGINE, name, slices=_slices(spec, **changes))
    problems = volcengine_disagreements(catalog, volc.APIS)
    assert any(named in p for p in problems), problems


DAY = 86400
