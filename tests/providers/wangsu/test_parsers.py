"""Wangsu/CDNetworks parsers on recorded-style fixtures: values, units, labels, bad shapes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from collector import families as core
from collector.model import Point
from collector.providers.endpoint import MalformedResponse, Query
from collector.providers.wangsu import families as wf
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.wire import HIT_RATIO
from collector.timeslices import Window

Load = Callable[[str], Any]
CST = 8 * 3600  # +08:00, the default account offset
T1005, T1010, T1015 = 1699927500, 1699927800, 1699928100  # 2023-11-14 10:05.. +08:00
T1001, T1002, T1003 = 1699927260, 1699927320, 1699927380
T2355, MIDNIGHT = 1699977300, 1699977600  # 2023-11-14 23:55 and 2023-11-15 00:00 +08:00
T11, T12 = 1699930800, 1699934400  # 2023-11-14 11:00 and 12:00 +08:00


def query(
    endpoint: str,
    domains: tuple[str, ...] = ("www.example.com", "img.example.com", "idle.example.com"),
    slice_seconds: int = 300,
    offset: int = CST,
) -> Query:
    return Query(
        endpoint=endpoint,
        domains=domains,
        window=Window(start=1699927200, end=1699928100, slice_seconds=slice_seconds),
        offset_seconds=offset,
    )


def keys(points: list[Point]) -> list[tuple[str, tuple[str, ...], int]]:
    return [(p.family.name, p.labels, p.end) for p in points]


def values(points: list[Point]) -> list[float]:
    return [p.value for p in points]


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    """Through the catalog, as the poller calls it."""
    return CATALOG[endpoint].parse(payload, q or query(endpoint))


# flow_request ---------------------------------------------------------------------------


def test_flow_request(load: Load) -> None:
    points = parse("flow_request", load("flow_request"))
    www, img = ("www.example.com", "down"), ("img.example.com", "down")
    t, b, r = core.TRAFFIC.name, core.BANDWIDTH.name, core.REQUESTS.name
    assert keys(points) == [
        (t, www, T1005),
        (b, www, T1005),
        (r, ("www.example.com",), T1005),
        (t, www, T1010),
        (b, www, T1010),
        (r, ("www.example.com",), T1010),
        (t, www, T1015),
        (b, www, T1015),
        (r, ("www.example.com",), T1015),
        (t, img, T1005),
        (b, img, T1005),
        (r, ("img.example.com",), T1005),
        (t, img, T1010),
        (b, img, T1010),
        (r, ("img.example.com",), T1010),
    ]
    assert values(points) == pytest.approx(
        [
            12_340_000.0,
            41_250.0,
            1520.0,
            0.0,
            0.0,
            0.0,
            100_500_000.0,
            335_000.0,
            20011.0,
            7_500_000.0,
            25_000.0,
            310.0,
            # this item carries JSON numbers rather than strings
            8_250_000.0,
            27_500.0,
            342.0,
        ]
    )


def test_flow_request_families_carry_their_label_names(load: Load) -> None:
    for point in parse("flow_request", load("flow_request")):
        assert len(point.labels) == len(point.family.labels)


def test_flow_request_24_00_is_next_midnight(load: Load) -> None:
    points = parse("flow_request", load("flow_request_midnight"))
    ends = sorted({p.end for p in points})
    assert ends == [T2355, MIDNIGHT]
    traffic = [p for p in points if p.family is core.TRAFFIC]
    assert [(p.end, p.value) for p in traffic] == [(T2355, 9_000_000.0), (MIDNIGHT, 12_000_000.0)]


def test_flow_request_offset_moves_slice_ends(load: Load) -> None:
    # The same labels read in UTC end eight hours later than in +08:00.
    utc = parse("flow_request", load("flow_request"), query("flow_request", offset=0))
    assert utc[0].end == T1005 + CST


def test_flow_request_empty_result(load: Load) -> None:
    assert parse("flow_request", load("flow_request_empty")) == []


# flow_request_origin --------------------------------------------------------------------


def test_flow_request_origin(load: Load) -> None:
    points = parse("flow_request_origin", load("flow_request_origin"))
    o_t, o_b, o_r = core.ORIGIN_TRAFFIC.name, core.ORIGIN_BANDWIDTH.name, core.ORIGIN_REQUESTS.name
    www, img = ("www.example.com",), ("img.example.com",)
    assert keys(points) == [
        (o_t, www, T1001),
        (o_b, www, T1001),
        (o_r, www, T1001),
        (o_t, www, T1002),
        (o_b, www, T1002),
        (o_r, www, T1002),
        (o_t, img, T1001),
        (o_b, img, T1001),
        (o_r, img, T1001),
    ]
    assert values(points) == pytest.approx(
        [1_200_000.0, 20_000.0, 88.0, 950_000.0, 16_250.0, 71.0, 400_000.0, 6_250.0, 12.0]
    )


# edge_hit_ratio -------------------------------------------------------------------------


def test_edge_hit_ratio_fraction(load: Load) -> None:
    q = query("edge_hit_ratio", domains=("www.example.com",), slice_seconds=60)
    points = parse("edge_hit_ratio", load("edge_hit_ratio"), q)
    assert keys(points) == [
        (core.CACHE_HIT_RATIO.name, ("www.example.com",), T1001),
        (core.CACHE_HIT_RATIO.name, ("www.example.com",), T1002),
        (core.CACHE_HIT_RATIO.name, ("www.example.com",), T1003),
    ]
    assert values(points) == pytest.approx([0.9512, 0.9733, 1.0])


def test_edge_hit_ratio_percent_reads_as_fraction(load: Load) -> None:
    q = query("edge_hit_ratio", domains=("www.example.com",), slice_seconds=60)
    fraction = parse("edge_hit_ratio", load("edge_hit_ratio"), q)
    percent = parse("edge_hit_ratio", load("edge_hit_ratio_percent"), q)
    assert keys(percent) == keys(fraction)
    assert values(percent) == pytest.approx([0.9512, 0.9733, 1.0])


def test_edge_hit_ratio_empty_series(load: Load) -> None:
    q = query("edge_hit_ratio", domains=("www.example.com",), slice_seconds=60)
    assert parse("edge_hit_ratio", load("edge_hit_ratio_empty"), q) == []
    assert parse("edge_hit_ratio", {"result": []}, q) == []


def test_edge_hit_ratio_needs_exactly_one_domain(load: Load) -> None:
    with pytest.raises(MalformedResponse, match="carry no domain"):
        parse("edge_hit_ratio", load("edge_hit_ratio"), query("edge_hit_ratio"))


def test_edge_hit_ratio_batched_reads_per_domain_ratios_only(load: Load) -> None:
    # The isp-province/hit-rate/total answer: hitRate per domain into the core family
    # (hitValue is another report's family), 20 domains a call.
    q = query("edge_hit_ratio_batched", slice_seconds=60)
    points = parse("edge_hit_ratio_batched", load("isp_province_hit_rate_total"), q)
    assert keys(points) == [
        (core.CACHE_HIT_RATIO.name, ("www.example.com",), T1001),
        (core.CACHE_HIT_RATIO.name, ("www.example.com",), T1002),
    ]
    assert values(points) == pytest.approx([0.9, 0.0])
    assert CATALOG["edge_hit_ratio_batched"].build_body(q)["groupBy"] == "domain"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (1.5, 0.015), (93.12, 0.9312), (100.0, 1.0)],
)
def test_hit_ratio_percent_or_fraction(raw: float, expected: float) -> None:
    assert HIT_RATIO.convert(raw, "x") == pytest.approx(expected)


@pytest.mark.parametrize("raw", [-0.1, 100.01])
def test_hit_ratio_out_of_range(raw: float) -> None:
    with pytest.raises(MalformedResponse, match=r"^x\.y: "):
        HIT_RATIO.convert(raw, "x.y")


# isp_province / hit_rate_isp_province ---------------------------------------------------


def test_isp_province(load: Load) -> None:
    points = parse("isp_province", load("isp_province"))
    tr, bw = wf.ISP_PROVINCE_TRAFFIC.name, wf.ISP_PROVINCE_BANDWIDTH.name
    # The fixture's Chinese names read as codes (names.py).
    bj = ("www.example.com", "telecom", "beijing")
    sh = ("www.example.com", "telecom", "shanghai")
    gd = ("www.example.com", "unicom", "guangdong")
    assert keys(points) == [
        (tr, bj, T1005),
        (bw, bj, T1005),
        (tr, bj, T1010),
        (bw, bj, T1010),
        (tr, sh, T1005),
        (bw, sh, T1005),
        (tr, gd, T1005),
        (bw, gd, T1005),
    ]
    assert values(points) == pytest.approx(
        [3_210_000.0, 11_250.0, 4_020_000.0, 13_750.0, 1_100_000.0, 3_750.0, 6_000_000.0, 20_000.0]
    )


def test_isp_province_hourly(load: Load) -> None:
    q = query("isp_province", slice_seconds=3600)
    points = parse("isp_province", load("isp_province_hourly"), q)
    assert [(p.family.name, p.end, p.value) for p in points] == [
        (wf.ISP_PROVINCE_TRAFFIC.name, MIDNIGHT - 3600, 1_350_000_000.0),
        (wf.ISP_PROVINCE_BANDWIDTH.name, MIDNIGHT - 3600, 375_000.0),
        (wf.ISP_PROVINCE_TRAFFIC.name, MIDNIGHT, 900_000_000.0),
        (wf.ISP_PROVINCE_BANDWIDTH.name, MIDNIGHT, 250_000.0),
    ]


def test_hit_rate_isp_province(load: Load) -> None:
    points = parse("hit_rate_isp_province", load("hit_rate_isp_province"))
    ratio, hit = wf.ISP_PROVINCE_CACHE_HIT_RATIO.name, wf.ISP_PROVINCE_CACHE_HIT_TRAFFIC.name
    bj = ("www.example.com", "telecom", "beijing")
    sc = ("www.example.com", "mobile", "sichuan")
    assert keys(points) == [
        (ratio, bj, T1005),
        (hit, bj, T1005),
        (ratio, bj, T1010),
        (hit, bj, T1010),
        (ratio, sc, T1005),
        (hit, sc, T1005),
    ]
    assert values(points) == pytest.approx([0.9312, 2_990_000.0, 0.8807, 3_540_000.0, 0.0, 0.0])


def test_hit_rate_isp_province_percent_value() -> None:
    item = {"timestamp": "2023-11-14 10:05", "value": "93.12", "hitFlow": "1"}
    province = {"province": "北京", "hitRateData": [item]}
    isp = {"isp": "中国电信", "provinceData": [province]}
    payload = {"result": [{"domain": "www.example.com", "ispData": [isp]}]}
    points = parse("hit_rate_isp_province", payload)
    assert values(points) == pytest.approx([0.9312, 1_000_000.0])


# country_bandwidth ----------------------------------------------------------------------


def test_country_bandwidth(load: Load) -> None:
    q = query("country_bandwidth", slice_seconds=3600)
    points = parse("country_bandwidth", load("country_bandwidth"), q)
    bw, tr = wf.SERVER_COUNTRY_BANDWIDTH.name, wf.SERVER_COUNTRY_TRAFFIC.name
    hk, sg = ("www.example.com", "hk"), ("www.example.com", "sg")
    assert keys(points) == [
        (bw, hk, T11),
        (tr, hk, T11),
        (bw, hk, T12),
        (tr, hk, T12),
        (bw, sg, T11),
        (tr, sg, T11),
    ]
    assert values(points) == pytest.approx(
        [1_550_000.0, 5_580_000_000.0, 1_262_500.0, 4_545_000_000.0, 400_000.0, 1_440_000_000.0]
    )


def test_country_bandwidth_empty(load: Load) -> None:
    assert parse("country_bandwidth", load("country_bandwidth_empty")) == []


def test_country_bandwidth_doc_example(load: Load) -> None:
    """The documented example (seed 003), requested with offset +00:00 and the default 5m."""
    q = Query(
        endpoint="country_bandwidth",
        domains=("www.example1.com", "www.example2.com"),
        window=Window(start=1658448000, end=1658530800, slice_seconds=300),
        offset_seconds=0,
    )
    points = parse("country_bandwidth", load("country_bandwidth_doc_example"), q)
    bw, tr = wf.SERVER_COUNTRY_BANDWIDTH, wf.SERVER_COUNTRY_TRAFFIC
    one, two = ("www.example1.com", "hk"), ("www.example2.com", "hk")
    h14, h15, h16, h17 = 1658498400, 1658502000, 1658505600, 1658509200
    expected = [
        (bw, one, h14, 65_000.0),
        (tr, one, h14, 19_670_000.0),
        (bw, one, h15, 131_250.0),
        (tr, one, h15, 39_540_000.0),
        (bw, one, h16, 67_500.0),
        (tr, one, h16, 20_390_000.0),
        (bw, one, h17, 100_000.0),
        (tr, one, h17, 29_990_000.0),
        (bw, two, h14, 82_500.0),
        (tr, two, h14, 24_930_000.0),
        (bw, two, h15, 142_500.0),
        (tr, two, h15, 42_760_000.0),
        (bw, two, h16, 117_500.0),
        (tr, two, h16, 35_250_000.0),
        (bw, two, h17, 122_500.0),
        (tr, two, h17, 36_810_000.0),
    ]
    assert len(points) == 16
    assert [(p.family, p.labels, p.end) for p in points] == [e[:3] for e in expected]
    assert values(points) == pytest.approx([e[3] for e in expected], rel=1e-12)
    assert points[0] == Point(bw, one, 1658498400, 65000.0)
    assert points[1] == Point(tr, one, 1658498400, 19670000.0)


# Malformed shapes -----------------------------------------------------------------------


def _mutate(payload: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of `payload` with the item at `path` set to `value` (`...` deletes)."""
    out = copy.deepcopy(payload)
    node = out
    for step in path[:-1]:
        node = node[step]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


FLOW_ITEM = ("result", 0, "flowRequestData", 2)
COUNTRY_ITEM = ("data", 0, "countryData", 0, "detailList", 1)
ISP_ITEM = ("result", 0, "ispData", 0, "provinceData", 1, "flowData", 0)


@pytest.mark.parametrize(
    ("fixture", "endpoint", "path", "value", "message"),
    [
        (
            "flow_request",
            "flow_request",
            (*FLOW_ITEM, "flow"),
            ...,
            r"^result\[0\]\.flowRequestData\[2\]: missing field 'flow'$",
        ),
        (
            "flow_request",
            "flow_request",
            (*FLOW_ITEM, "bandwidth"),
            "n/a",
            r"^result\[0\]\.flowRequestData\[2\]\.bandwidth: expected a number, got 'n/a'$",
        ),
        (
            "flow_request",
            "flow_request",
            (*FLOW_ITEM, "request"),
            "-3",
            r"^result\[0\]\.flowRequestData\[2\]\.request: negative value",
        ),
        (
            "flow_request",
            "flow_request",
            (*FLOW_ITEM, "timestamp"),
            "2023-11-14T10:15:00Z",
            r"^result\[0\]\.flowRequestData\[2\]\.timestamp: unrecognised timestamp",
        ),
        (
            "flow_request",
            "flow_request",
            (*FLOW_ITEM, "timestamp"),
            1699928100,
            r"^result\[0\]\.flowRequestData\[2\]\.timestamp: expected a string",
        ),
        (
            "flow_request",
            "flow_request",
            ("result", 1, "domain"),
            None,
            r"^result\[1\]\.domain: expected a string, got None$",
        ),
        (
            "flow_request",
            "flow_request",
            ("result", 1, "flowRequestData"),
            {"timestamp": "2023-11-14 10:05"},
            r"^result\[1\]\.flowRequestData: expected a list, got dict$",
        ),
        (
            "flow_request",
            "flow_request",
            ("result",),
            {"domain": "www.example.com"},
            r"^body\.result: expected a list, got dict$",
        ),
        ("flow_request", "flow_request", ("result",), ..., r"^body: missing list 'result'$"),
        (
            "flow_request",
            "flow_request",
            ("result", 2),
            "idle.example.com",
            r"^result\[2\]: expected an object, got str$",
        ),
        (
            "isp_province",
            "isp_province",
            (*ISP_ITEM, "value"),
            "NaN",
            r"^result\[0\]\.ispData\[0\]\.provinceData\[1\]\.flowData\[0\]\.value: not a finite",
        ),
        (
            "isp_province",
            "isp_province",
            ("result", 0, "ispData", 1, "isp"),
            ...,
            r"^result\[0\]\.ispData\[1\]: missing field 'isp'$",
        ),
        (
            "country_bandwidth_doc_example",
            "country_bandwidth",
            (*COUNTRY_ITEM, "value"),
            True,
            r"^data\[0\]\.countryData\[0\]\.detailList\[1\]\.value: expected a number, got True$",
        ),
        (
            "country_bandwidth_doc_example",
            "country_bandwidth",
            ("data",),
            ...,
            r"^body: missing list 'data'$",
        ),
    ],
)
def test_malformed(
    load: Load,
    fixture: str,
    endpoint: str,
    path: tuple[str | int, ...],
    value: Any,
    message: str,
) -> None:
    payload = _mutate(load(fixture), path, value)
    with pytest.raises(MalformedResponse, match=message):
        parse(endpoint, payload)


def test_style_a_parser_rejects_a_style_b_body(load: Load) -> None:
    with pytest.raises(MalformedResponse, match="missing list 'result'"):
        parse("flow_request", load("country_bandwidth"))


@pytest.mark.parametrize("payload", [[], "result", None, 0])
def test_body_not_an_object(payload: Any) -> None:
    with pytest.raises(MalformedResponse, match=r"^body: expected an object"):
        parse("flow_request", payload)


def test_null_lists_read_as_empty() -> None:
    assert parse("flow_request", {"result": None}) == []
    payload = {"result": [{"domain": "www.example.com", "flowRequestData": None}]}
    assert parse("flow_request", payload) == []


# Every catalog entry must parse its own fixture into its own families.
@pytest.mark.parametrize(
    ("endpoint", "fixture", "slice_seconds", "domains"),
    [
        ("flow_request", "flow_request", 300, 3),
        ("flow_request_origin", "flow_request_origin", 60, 3),
        ("edge_hit_ratio", "edge_hit_ratio", 60, 1),
        ("hit_rate_isp_province", "hit_rate_isp_province", 300, 2),
        ("isp_province", "isp_province", 300, 3),
        ("country_bandwidth", "country_bandwidth", 3600, 2),
    ],
)
def test_points_belong_to_the_endpoint_families(
    load: Load, endpoint: str, fixture: str, slice_seconds: int, domains: int
) -> None:
    q = query(endpoint, slice_seconds=slice_seconds)
    q = Query(q.endpoint, q.domains[:domains], q.window, q.offset_seconds)
    points = parse(endpoint, load(fixture), q)
    assert points
    assert {p.family for p in points} == set(CATALOG[endpoint].families)
    assert all(len(p.labels) == len(p.family.labels) for p in points)
