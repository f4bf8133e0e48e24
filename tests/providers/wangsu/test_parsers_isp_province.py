"""The ISP x province reports beyond the first two, on recorded-style fixtures (string
numbers, empty lists, Chinese and code labels), and the ISP/province name table."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from collector.model import Kind, Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.wangsu import catalog_isp_province as isp
from collector.providers.wangsu import names
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.wire import Level
from collector.timeslices import Window

Load = Callable[[str], Any]
CST = 8 * 3600
T1001, T1002 = 1699927260, 1699927320  # 2023-11-14 10:01, 10:02 +08:00
T1005, T1010 = 1699927500, 1699927800
WWW = "www.example.com"


def query(endpoint: str, slice_seconds: int = 300) -> Query:
    return Query(
        endpoint=endpoint,
        domains=(WWW, "img.example.com"),
        window=Window(start=1699927200, end=1699928100, slice_seconds=slice_seconds),
        offset_seconds=CST,
    )


def parse(endpoint: str, payload: Any, slice_seconds: int = 300) -> list[Point]:
    return CATALOG[endpoint].parse(payload, query(endpoint, slice_seconds))


def rows(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, p.value) for p in points]


# -- the declarations ------------------------------------------------------------------


def test_declared_rows() -> None:
    week, day = 7 * 86400, 86400
    got = {
        spec.name: (
            spec.path,
            (spec.rate_limit.calls, spec.rate_limit.period),
            spec.max_domains_per_call,
            tuple((g.seconds, g.max_span) for g in spec.slices),
            spec.envelope,
            spec.opt_in,
            spec.sdk_model,
        )
        for spec in isp.ENDPOINTS
    }
    five_hour = ((300, week), (3600, week))
    assert got == {
        "origin_isp_province": (
            "/api/report/flow/origin/isp-province",
            (300, 300),
            20,
            five_hour,
            "result",
            True,
            "reportflow.ReportFlowOriginIspProvinceService",
        ),
        "isp_province_byte": (
            "/api/report/flow/isp-province/byte",
            (300, 300),
            20,
            five_hour,
            "result",
            True,
            "reportflow.ReportFlowIspProvinceByteService",
        ),
        "origin_isp_province_byte": (
            "/api/report/flow/origin/isp-province/byte",
            (300, 300),
            20,
            five_hour,
            "result",
            True,
            "reportflow.ReportFlowOriginIspProvinceByteService",
        ),
        "hit_rate_isp_province_byte": (
            "/api/report/flow/hit-rate/isp-province/byte",
            (300, 300),
            20,
            five_hour,
            "result",
            True,
            "reportflow.ReportFlowHitRateIspProvinceByteService",
        ),
        "isp_province_shorttime": (
            "/api/report/flow/isp-province/shorttime",
            (300, 300),
            20,
            ((300, 7200), (60, 7200), (3600, 7200)),
            "result",
            True,
            "reportflow.ReportFlowIspProvinceShortTimeService",
        ),
        "isp_province_total": (
            "/api/report/flow/isp-province/total",
            (300, 300),
            20,
            ((60, day), (300, day)),
            "code-data",
            True,
            "reportflow.ReportFlowIspProvinceTotalService",
        ),
        "isp_province_hit_rate_total": (
            "/api/report/flow/isp-province/hit-rate/total",
            (300, 300),
            20,
            ((60, day), (300, day)),
            "code-data",
            True,
            "reportflow.QueryISPProvinceHitRate",
        ),
        "isp_province_hit_rate_detail": (
            "/api/report/flow/isp-province/hit-rate/detail",
            (300, 300),
            20,
            ((300, day), (60, 6 * 3600)),
            "code-data",
            True,
            "reportflow.ReportFlowIspProvinceHitRateDetailService",
        ),
    }


def test_families_are_the_endpoints_own() -> None:
    """No family of these reports is fed by another endpoint (no `endpoint` label would
    tell the series apart), and `_total` is on counters only."""
    ours = {f for spec in isp.ENDPOINTS for f in spec.families}
    others = {f for spec in CATALOG.values() if spec not in isp.ENDPOINTS for f in spec.families}
    assert not ours & others
    assert not {f.name for f in ours} & {f.name for f in others}
    for spec in isp.ENDPOINTS:
        for other in isp.ENDPOINTS:
            if other is not spec:
                assert not set(spec.families) & set(other.families), (spec.name, other.name)
    for family in ours:
        assert family.name.endswith("_total") == (family.kind is Kind.COUNTER), family.name


def test_bodies() -> None:
    dates = {"dateFrom": "2023-11-14T10:00:00+08:00", "dateTo": "2023-11-14T10:15:00+08:00"}
    domains = [WWW, "img.example.com"]
    cells = {**dates, "domain": domains, "dataInterval": "5m"}
    group_by = ["domain", "province", "isp"]
    assert CATALOG["origin_isp_province"].build_body(query("origin_isp_province")) == {
        **cells,
        "groupBy": group_by,
    }
    assert CATALOG["isp_province_hit_rate_detail"].build_body(
        query("isp_province_hit_rate_detail", 60)
    ) == {**cells, "dataInterval": "1m", "groupBy": group_by, "queryBy": "flow"}
    # The totals take groupBy as one string (SDK: `group_by: str`).
    assert CATALOG["isp_province_total"].build_body(query("isp_province_total", 60)) == {
        **cells,
        "dataInterval": "1m",
        "queryBy": "flow",
        "groupBy": "domain",
    }


# -- parsers ---------------------------------------------------------------------------


def test_origin_isp_province_chinese_names_read_as_codes(load: Load) -> None:
    """A zh-CN answer (Chinese names) gives the labels an en-US one would; a name the
    table does not know passes through unchanged."""
    tr = isp.ORIGIN_ISP_PROVINCE_TRAFFIC.name
    bw = isp.ORIGIN_ISP_PROVINCE_BANDWIDTH.name
    bj = (WWW, "telecom", "beijing")
    xj = (WWW, "ejiakuan", "xinjiang")
    unknown = (WWW, "某新运营商", "火星")
    assert rows(parse("origin_isp_province", load("origin_isp_province"))) == [
        (tr, bj, T1005, pytest.approx(450_000.0)),
        (bw, bj, T1005, pytest.approx(1_250.0)),
        (tr, bj, T1010, pytest.approx(600_000.0)),
        (bw, bj, T1010, pytest.approx(2_500.0)),
        (tr, xj, T1005, pytest.approx(1_200_000.0)),
        (bw, xj, T1005, pytest.approx(3_750.0)),
        (tr, unknown, T1005, 0.0),
        (bw, unknown, T1005, 0.0),
    ]


def test_the_same_answer_in_either_language_parses_the_same(load: Load) -> None:
    zh = load("origin_isp_province")
    en = copy.deepcopy(zh)
    for item in en["result"]:
        for isp_item in item["ispData"]:
            isp_item["isp"] = names.isp_code(isp_item["isp"])
            for province in isp_item["provinceData"]:
                province["province"] = names.province_code(province["province"])
    assert en != zh
    assert rows(parse("origin_isp_province", en)) == rows(parse("origin_isp_province", zh))


def test_isp_province_byte(load: Load) -> None:
    tr = isp.ISP_PROVINCE_NODE_TRAFFIC.name
    bj = (WWW, "telecom", "beijing")
    assert rows(parse("isp_province_byte", load("isp_province_byte"))) == [
        (tr, bj, T1005, 3_210_456.0),
        (tr, bj, T1010, 4_020_001.0),
    ]


def test_origin_isp_province_byte(load: Load) -> None:
    tr = isp.ORIGIN_ISP_PROVINCE_NODE_TRAFFIC.name
    gd = (WWW, "unicom", "guangdong")
    assert rows(parse("origin_isp_province_byte", load("origin_isp_province_byte"))) == [
        (tr, gd, T1005, 450_123.0),
        (tr, gd, T1010, 0.0),
    ]


def test_hit_rate_isp_province_byte(load: Load) -> None:
    ratio = isp.ISP_PROVINCE_NODE_CACHE_HIT_RATIO.name
    hit = isp.ISP_PROVINCE_NODE_CACHE_HIT_TRAFFIC.name
    zj = (WWW, "telecom", "zhejiang")
    assert rows(parse("hit_rate_isp_province_byte", load("hit_rate_isp_province_byte"))) == [
        (ratio, zj, T1005, pytest.approx(0.9312)),
        (hit, zj, T1005, 2_990_412.0),
        (ratio, zj, T1010, pytest.approx(0.8807)),
        (hit, zj, T1010, 3_540_000.0),
    ]


def test_isp_province_shorttime_minutes(load: Load) -> None:
    tr = isp.ISP_PROVINCE_VISITOR_TRAFFIC.name
    bw = isp.ISP_PROVINCE_VISITOR_BANDWIDTH.name
    sc = (WWW, "mobile", "sichuan")
    got = parse("isp_province_shorttime", load("isp_province_shorttime"), slice_seconds=60)
    assert rows(got) == [
        (tr, sc, T1001, pytest.approx(1_500_000.0)),
        (bw, sc, T1001, pytest.approx(25_000.0)),
        (tr, sc, T1002, pytest.approx(750_000.0)),
        (bw, sc, T1002, pytest.approx(12_500.0)),
    ]


def test_isp_province_total(load: Load) -> None:
    tr = isp.ISP_PROVINCE_TOTAL_TRAFFIC.name
    got = parse("isp_province_total", load("isp_province_total"), slice_seconds=60)
    assert rows(got) == [
        (tr, (WWW,), T1001, pytest.approx(12_340_000.0)),
        (tr, (WWW,), T1002, 0.0),
    ]


def test_isp_province_hit_rate_total(load: Load) -> None:
    hit = isp.ISP_PROVINCE_TOTAL_CACHE_HIT_TRAFFIC.name
    ratio = isp.ISP_PROVINCE_TOTAL_CACHE_HIT_RATIO.name
    got = parse("isp_province_hit_rate_total", load("isp_province_hit_rate_total"), 60)
    assert rows(got) == [
        (hit, (WWW,), T1001, pytest.approx(11_100_000.0)),
        (ratio, (WWW,), T1001, pytest.approx(0.9)),
        (hit, (WWW,), T1002, 0.0),
        (ratio, (WWW,), T1002, 0.0),
    ]


def test_isp_province_hit_rate_detail(load: Load) -> None:
    hit = isp.ISP_PROVINCE_DETAIL_CACHE_HIT_TRAFFIC.name
    ratio = isp.ISP_PROVINCE_DETAIL_CACHE_HIT_RATIO.name
    sh = (WWW, "unicom", "shanghai")
    got = parse("isp_province_hit_rate_detail", load("isp_province_hit_rate_detail"))
    assert rows(got) == [
        (hit, sh, T1005, pytest.approx(5_250_000.0)),
        (ratio, sh, T1005, pytest.approx(0.875)),
        (hit, sh, T1010, pytest.approx(6_000_000.0)),
        (ratio, sh, T1010, pytest.approx(0.9)),
    ]


def test_a_percent_hit_rate_reads_as_a_ratio() -> None:
    item = {"timestamp": "2023-11-14 10:01", "hitValue": "1.00", "hitRate": "87.50"}
    payload = {"code": "0", "message": "success", "data": [{"domain": WWW, "detailList": [item]}]}
    got = parse("isp_province_hit_rate_total", payload, 60)
    assert [p.value for p in got] == pytest.approx([1_000_000.0, 0.875])


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [
        ("isp_province_byte", {"result": []}),
        ("isp_province_total", {"code": "0", "message": "success", "data": []}),
        ("isp_province_hit_rate_detail", {"code": "0", "message": "success", "data": []}),
    ],
)
def test_an_empty_answer_is_no_points(endpoint: str, payload: Any) -> None:
    assert parse(endpoint, payload) == []


@pytest.mark.parametrize(
    ("endpoint", "fixture", "path"),
    [
        # No field of these models is "not returned by default": each is required.
        ("isp_province_byte", "isp_province_byte", ("result", 0, "ispData", 0, "provinceData")),
        ("hit_rate_isp_province_byte", "hit_rate_isp_province_byte", ("hitFlow",)),
        ("isp_province_hit_rate_total", "isp_province_hit_rate_total", ("hitRate",)),
    ],
)
def test_a_missing_required_field_is_malformed(
    load: Load, endpoint: str, fixture: str, path: tuple[Any, ...]
) -> None:
    payload = load(fixture)
    if len(path) == 1:
        # A series field: drop it from the first point of the first series.
        node = payload.get("result") or payload["data"]
        item = node[0]
        while "ispData" in item:
            item = item["ispData"][0]["provinceData"][0]
        series = next(v for k, v in item.items() if isinstance(v, list))
        del series[0][path[0]]
    else:
        node = payload
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    with pytest.raises(MalformedResponse) as caught:
        parse(endpoint, payload, 60 if "total" in endpoint else 300)
    assert caught.value.reason == Reason.MISSING_FIELD


def test_a_numeric_isp_label_is_malformed(load: Load) -> None:
    payload = load("isp_province_byte")
    payload["result"][0]["ispData"][0]["isp"] = 7
    with pytest.raises(MalformedResponse) as caught:
        parse("isp_province_byte", payload)
    assert caught.value.reason == Reason.WRONG_TYPE


# -- the name table --------------------------------------------------------------------


def test_name_table() -> None:
    assert [names.isp_code(n) for n in ("中国电信", "中国联通", "中国移动")] == [
        "telecom",
        "unicom",
        "mobile",
    ]
    assert [names.province_code(n) for n in ("北京", "上海", "广东", "浙江")] == [
        "beijing",
        "shanghai",
        "guangdong",
        "zhejiang",
    ]
    # 山西 and 陕西 are different provinces with different codes.
    assert (names.province_code("山西"), names.province_code("陕西")) == ("shanxi", "shaanxi")
    # Codes and unknown names pass through unchanged.
    for name in ("telecom", "beijing", "某新运营商", ""):
        assert names.isp_code(name) == name
        assert names.province_code(name) == name


def test_name_table_is_one_to_one_apart_from_spelling_variants() -> None:
    for table in (names.ISP_CODES, names.PROVINCE_CODES):
        codes = [c for n, c in table.items() if n != "其他"]  # 其它 / 其他: one "other"
        assert len(codes) == len(set(codes)), table
        assert all(c.isascii() and c == c.lower() for c in codes)
    # Every province-level division of China, plus other and all.
    assert len(set(names.PROVINCE_CODES.values())) == 34 + 2


def test_the_emulator_names_are_in_the_table() -> None:
    from collector.emulator.wangsu.validation import _ZH_NAMES

    for code, name in _ZH_NAMES["isp"].items():
        assert names.isp_code(name) == code
    for code, name in _ZH_NAMES["province"].items():
        assert names.province_code(name) == code


def test_a_level_without_names_keeps_labels_as_printed() -> None:
    assert Level(key="ispData", label="isp").label_of("中国电信") == "中国电信"
    assert (
        Level(key="ispData", label="isp", names=names.ISP_CODES).label_of("中国电信") == "telecom"
    )
    assert Level(key="ispData", label="isp", names=names.ISP_CODES).label_of("telecom") == "telecom"
    # The mapping is no part of a level's identity (levels stay hashable).
    assert hash(Level(key="ispData", label="isp", names=names.ISP_CODES)) == hash(
        Level(key="ispData", label="isp")
    )


def test_the_first_two_reports_read_codes_too(load: Load) -> None:
    got = CATALOG["isp_province"].parse(load("isp_province"), query("isp_province"))
    assert {p.labels[1:] for p in got} == {
        ("telecom", "beijing"),
        ("telecom", "shanghai"),
        ("unicom", "guangdong"),
    }
