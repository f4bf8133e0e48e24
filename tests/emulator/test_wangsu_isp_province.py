"""The ISP x province routes beyond the first two, over loopback HTTP: the documented
validation (span, domain count, granularity), the answers' shapes and units, the
language of their labels, and the ground truth of their counters."""

from __future__ import annotations

from typing import Any

import pytest

from collector.emulator import Emulator
from collector.emulator.traffic import Quantity, decimal
from collector.emulator.truth import ISP_PROVINCE_COUNTERS, wangsu_isp_province_counter
from collector.model import Kind, Point
from collector.providers.endpoint import Query
from collector.providers.wangsu import catalog_isp_province as isp
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import Window

from .conftest import CST, NOW, ApiClient, iso

MINUTE, HOUR, DAY = 60, 3600, 86400
WWW, IMG = "www.example.com", "img.example.com"
ENDPOINTS = [spec.name for spec in isp.ENDPOINTS]
# (endpoint, longest span, a granularity the route does not offer)
LIMITS = [
    ("origin_isp_province", 7 * DAY, "1m"),
    ("isp_province_byte", 7 * DAY, "1m"),
    ("origin_isp_province_byte", 7 * DAY, "1d"),
    ("hit_rate_isp_province_byte", 7 * DAY, "1m"),
    ("isp_province_shorttime", 2 * HOUR, "1d"),
    ("isp_province_total", DAY, "1h"),
    ("isp_province_hit_rate_total", DAY, "1h"),
    ("isp_province_hit_rate_detail", DAY, "1h"),
]


def good(endpoint: str) -> dict[str, Any]:
    return {"dateFrom": iso(NOW - HOUR), "dateTo": iso(NOW), "domain": [WWW]}


async def rejected(client: ApiClient, endpoint: str, body: dict[str, Any]) -> str:
    reply = await client.call(endpoint, body)
    assert reply.status == 400, reply.body
    assert reply.json["message"]
    code: str = reply.json["code"]
    return code


def test_limits_cover_every_endpoint() -> None:
    assert sorted(name for name, _, _ in LIMITS) == sorted(ENDPOINTS)


@pytest.mark.parametrize(("endpoint", "span", "_"), LIMITS)
async def test_a_span_too_long_is_24102006(
    client: ApiClient, endpoint: str, span: int, _: str
) -> None:
    ok = {**good(endpoint), "dateFrom": iso(NOW - span)}
    assert (await client.call(endpoint, ok)).status == 200
    body = {**good(endpoint), "dateFrom": iso(NOW - span - 5 * MINUTE)}
    assert await rejected(client, endpoint, body) == "24102006"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_more_than_20_domains_is_24102019(client: ApiClient, endpoint: str) -> None:
    body = {**good(endpoint), "domain": [WWW, *(f"d{i}.example.com" for i in range(20))]}
    assert await rejected(client, endpoint, body) == "24102019"


@pytest.mark.parametrize(("endpoint", "_", "interval"), LIMITS)
async def test_a_granularity_not_offered_is_24102001(
    client: ApiClient, emulator: Emulator, endpoint: str, _: int, interval: str
) -> None:
    assert await rejected(client, endpoint, {**good(endpoint), "dataInterval": interval}) == (
        "24102001"
    )
    assert emulator.totals().bad_requests == 1


@pytest.mark.parametrize(
    "endpoint", ["isp_province_byte", "origin_isp_province_byte", "hit_rate_isp_province_byte"]
)
async def test_domain_is_required_on_the_byte_routes(client: ApiClient, endpoint: str) -> None:
    body = {k: v for k, v in good(endpoint).items() if k != "domain"}
    assert await rejected(client, endpoint, body) == "24102008"


# -- answers ---------------------------------------------------------------------------


def query(endpoint: str, start: int, end: int, slice_seconds: int) -> Query:
    return Query(endpoint, (WWW, IMG), Window(start, end, slice_seconds), CST)


async def exporter_call(
    client: ApiClient, endpoint: str, q: Query, english: bool = True
) -> tuple[Any, list[Point]]:
    """The exporter's body for `q`, sent as the exporter sends it, parsed by its parser."""
    spec = CATALOG[endpoint]
    headers = {"Accept-Language": "en-US"} if english else {"Accept-Language": "zh-CN"}
    reply = await client.call(endpoint, spec.build_body(q), headers=headers)
    assert reply.status == 200, reply.body
    return reply.json, spec.parse(reply.json, q)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_the_exporters_calls_parse_to_codes_in_either_language(
    client: ApiClient, endpoint: str
) -> None:
    spec = CATALOG[endpoint]
    seconds = spec.slices[0].seconds
    q = query(endpoint, NOW - 3 * HOUR, NOW - 2 * HOUR, seconds)
    _, english = await exporter_call(client, endpoint, q, english=True)
    zh_answer, chinese = await exporter_call(client, endpoint, q, english=False)
    assert english
    assert [(p.family, p.labels, p.end, p.value) for p in chinese] == [
        (p.family, p.labels, p.end, p.value) for p in english
    ]
    slices = HOUR // seconds
    families = len(spec.families)
    if spec.shape.levels:  # per domain, ISP and province: 3 ISPs x 4 provinces
        assert {p.labels[1] for p in english} == {"telecom", "unicom", "mobile"}
        assert {p.labels[2] for p in english} == {"beijing", "shanghai", "guangdong", "zhejiang"}
        assert len(english) == 2 * 3 * 4 * slices * families
        assert "中国电信" in str(zh_answer)  # the zh-CN answer did carry Chinese names
    else:
        assert {p.labels for p in english} == {(WWW,), (IMG,)}
        assert len(english) == 2 * slices * families


async def test_byte_routes_print_whole_bytes_of_the_mb_routes_quantities(
    client: ApiClient, emulator: Emulator
) -> None:
    q = query("isp_province_byte", NOW - 3 * HOUR, NOW - 2 * HOUR, 300)
    answer, _ = await exporter_call(client, "isp_province_byte", q)
    mb_answer, _ = await exporter_call(client, "isp_province", q)
    first = answer["result"][0]["ispData"][0]["provinceData"][0]
    first_mb = mb_answer["result"][0]["ispData"][0]["provinceData"][0]
    assert set(first["flowData"][0]) == {"timestamp", "value"}
    for point, point_mb in zip(first["flowData"], first_mb["flowData"], strict=True):
        assert point["value"].isdigit()
        assert abs(int(point["value"]) / 1e6 - float(point_mb["value"])) <= 0.005
    cell = {"isp": "telecom", "province": "beijing"}
    start = NOW - 3 * HOUR
    final = emulator.traffic.value("demo-wangsu", WWW, Quantity.FLOW, start, 300, cell)
    assert first["flowData"][0]["value"] == decimal(final * 1e6, 0)


async def test_hit_rate_byte_route_prints_hit_flow_by_default(client: ApiClient) -> None:
    # Unlike the MB route's hitFlow, the byte route's is a required field.
    q = query("hit_rate_isp_province_byte", NOW - 3 * HOUR, NOW - 2 * HOUR, 300)
    answer, points = await exporter_call(client, "hit_rate_isp_province_byte", q)
    point = answer["result"][0]["ispData"][0]["provinceData"][0]["hitRateData"][0]
    assert set(point) == {"timestamp", "value", "hitFlow"}
    assert point["hitFlow"].isdigit()
    ratios = [p.value for p in points if p.family is isp.ISP_PROVINCE_NODE_CACHE_HIT_RATIO]
    assert ratios
    assert all(0.5 < r < 1 for r in ratios)


async def test_totals_are_per_domain_code_data(client: ApiClient) -> None:
    q = query("isp_province_hit_rate_total", NOW - 2 * HOUR, NOW - HOUR, 60)
    answer, _ = await exporter_call(client, "isp_province_hit_rate_total", q)
    assert (answer["code"], answer["message"]) == ("0", "success")
    assert [item["domain"] for item in answer["data"]] == [WWW, IMG]
    first = answer["data"][0]["detailList"][0]
    assert set(first) == {"timestamp", "hitValue", "hitRate"}
    assert first["timestamp"] == "2023-11-15 11:01"


async def test_the_detail_route_nests_isp_and_province(client: ApiClient) -> None:
    q = query("isp_province_hit_rate_detail", NOW - 2 * HOUR, NOW - HOUR, 300)
    answer, _ = await exporter_call(client, "isp_province_hit_rate_detail", q)
    province = answer["data"][0]["ispData"][0]["provinceData"][0]
    assert set(province) == {"province", "details"}
    assert set(province["details"][0]) == {"timestamp", "hitValue", "hitRate"}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_counters_add_up_to_the_ground_truth(
    client: ApiClient, emulator: Emulator, endpoint: str
) -> None:
    spec = CATALOG[endpoint]
    seconds = spec.slices[0].seconds
    start, end = NOW - 3 * HOUR, NOW - 2 * HOUR  # settled: final values
    _, points = await exporter_call(client, endpoint, query(endpoint, start, end, seconds))
    counters = [f for f in spec.families if f.kind is Kind.COUNTER]
    assert counters
    assert all(f.name in ISP_PROVINCE_COUNTERS for f in counters)
    for family in counters:
        for labels in {p.labels for p in points if p.family is family}:
            got = sum(p.value for p in points if p.family is family and p.labels == labels)
            cell = dict(zip(("isp", "province"), labels[1:], strict=False))
            want = wangsu_isp_province_counter(
                emulator,
                family.name,
                "demo-wangsu",
                labels[0],
                start,
                end,
                seconds,
                isp=cell.get("isp"),
                province=cell.get("province"),
            )
            assert got == pytest.approx(want, rel=1e-12), (family.name, labels)
