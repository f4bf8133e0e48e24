"""The visitor-IP bandwidth routes (collector/emulator/wangsu/catalog_bandwidth_ip.py) over
loopback HTTP: the documented validation (span, domain count, granularity, IP type,
area, groupBy), the answers the SDK models describe, and how they add up: IPv4 and IPv6
to every type, the IPv6 cells to the domain's IPv6 figure and to multi-ip-version's."""

from __future__ import annotations

from typing import Any

import pytest

from collector.emulator import Emulator, RunningEmulator
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CDNETWORKS_CATALOG
from collector.timeslices import Window

from .conftest import CST, NOW, iso
from .test_wangsu_cdnetworks import raw_call

MINUTE, HOUR, DAY = 60, 3600, 86400
VIDEO, DL = "video.example.net", "dl.example.net"  # demo-cdnetworks' domains
AREA = "/api/report/bandwidth/area/isp-province"
CELLS = "/api/report/bandwidth/isp-province/ipv6"
IPV6 = "/api/report/bandwidth/ipv6"
MULTI_IP_VERSION = "/api/report/flow-request/multi-ip-version"
# (path, longest span, domain cap, a granularity the route does not offer)
LIMITS = [
    (AREA, 31 * DAY, 20, "1h"),
    (CELLS, DAY, 200, "1m"),
    (IPV6, 7 * DAY, 200, "1d"),
]
START, END = NOW - 3 * HOUR, NOW - 2 * HOUR  # settled: every slice final


def body(**fields: Any) -> dict[str, Any]:
    return {"dateFrom": iso(START), "dateTo": iso(END), "domain": [VIDEO, DL], **fields}


async def answer(running: RunningEmulator, path: str, **fields: Any) -> Any:
    reply = await raw_call(running, path, body(**fields))
    assert reply.status == 200, reply.body
    return reply.json


async def rejected(running: RunningEmulator, path: str, sent: dict[str, Any]) -> str:
    reply = await raw_call(running, path, sent)
    assert reply.status == 400, reply.body
    assert reply.json["message"]
    code: str = reply.json["code"]
    return code


@pytest.mark.parametrize(("path", "span", "_", "__"), LIMITS)
async def test_a_span_too_long_is_24102006(
    running: RunningEmulator, path: str, span: int, _: int, __: str
) -> None:
    ok = {**body(), "dateFrom": iso(NOW - span), "dateTo": iso(NOW)}
    assert (await raw_call(running, path, ok)).status == 200
    too_long = {**ok, "dateFrom": iso(NOW - span - 5 * MINUTE)}
    assert await rejected(running, path, too_long) == "24102006"


@pytest.mark.parametrize(("path", "_", "cap", "__"), LIMITS)
async def test_more_domains_than_the_cap_is_24102019(
    running: RunningEmulator, path: str, _: int, cap: int, __: str
) -> None:
    many = [VIDEO, *(f"d{i}.example.net" for i in range(cap))]
    assert await rejected(running, path, body(domain=many)) == "24102019"
    assert (await raw_call(running, path, body(domain=many[:cap]))).status == 200


@pytest.mark.parametrize(("path", "_", "__", "interval"), LIMITS)
async def test_a_granularity_not_offered_is_24102001(
    running: RunningEmulator, emulator: Emulator, path: str, _: int, __: int, interval: str
) -> None:
    assert await rejected(running, path, body(dataInterval=interval)) == "24102001"
    assert emulator.totals().bad_requests == 1


@pytest.mark.parametrize(
    ("path", "fields", "fragment"),
    [
        (CELLS, {"IPType": "IPV5"}, "IPType must be one of IPV6, IPV4"),
        (CELLS, {"groupBy": ["domain", "city"]}, "groupBy accepts"),
        (CELLS, {"isp": "telecom"}, "isp must be a list"),
        (IPV6, {"ipType": 6}, "ipType must be one of IPV6, IPV4"),
        (AREA, {"areaCode": ["cn", "mars"]}, "areaCode accepts cn, hk, ov, apac, am, emea, fg"),
        (AREA, {"areaCode": "cn"}, "areaCode accepts"),
        (AREA, {"province": [1]}, "province must be a list"),
    ],
)
async def test_a_bad_parameter_is_24102001(
    running: RunningEmulator, path: str, fields: dict[str, Any], fragment: str
) -> None:
    reply = await raw_call(running, path, body(**fields))
    assert reply.status == 400, reply.body
    assert reply.json["code"] == "24102001"
    assert fragment in reply.json["message"]


# -- answers ---------------------------------------------------------------------------


def _values(series: list[dict[str, str]]) -> list[float]:
    return [float(item["value"]) for item in series]


def _cells(payload: Any) -> dict[tuple[str, str, str], list[float]]:
    return {
        (item["domain"], isp["isp"], province["province"]): _values(province["bandwidthData"])
        for item in payload["result"]
        for isp in item["ispData"]
        for province in isp["provinceData"]
    }


def _close(a: list[float], b: list[float], places: float) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= places for x, y in zip(a, b, strict=True))


async def test_ipv4_and_ipv6_add_up_to_every_ip_type(running: RunningEmulator) -> None:
    group_by = ["domain", "province", "isp"]
    v6 = _cells(await answer(running, CELLS, IPType="IPV6", groupBy=group_by))
    v4 = _cells(await answer(running, CELLS, IPType="ipv4", groupBy=group_by))
    every = _cells(await answer(running, CELLS, groupBy=group_by))
    assert len(every) == 2 * 3 * 4  # 2 domains x 3 ISPs x 4 provinces
    assert set(v6) == set(v4) == set(every)
    for cell, values in every.items():
        assert len(values) == HOUR // 300
        assert _close([a + b for a, b in zip(v6[cell], v4[cell], strict=True)], values, 0.011)
        assert 0 < sum(v6[cell]) < sum(values)


async def test_the_ipv6_cells_add_up_to_the_domains_ipv6_bandwidth(
    running: RunningEmulator,
) -> None:
    cells = _cells(
        await answer(running, CELLS, IPType="IPV6", groupBy=["domain", "isp", "province"])
    )
    per_domain = await answer(running, IPV6, ipType="IPV6")
    multi = await answer(running, MULTI_IP_VERSION, queryBy="bandwidth", groupBy=["domain"])
    for item, other in zip(per_domain["data"], multi["data"], strict=True):
        domain = item["domain"]
        assert other["domain"] == domain
        v6 = _values(item["detailList"])
        assert v6 == [float(d["v6Value"]) for d in other["detailList"]]
        summed = [
            sum(values[i] for cell, values in cells.items() if cell[0] == domain)
            for i in range(len(v6))
        ]
        assert _close(summed, v6, 0.005 * 12 + 0.005)  # 12 cells, each rounded


async def test_area_isp_province_is_one_series_for_all_it_was_asked(
    running: RunningEmulator,
) -> None:
    video = await answer(running, AREA, domain=[VIDEO])
    both = await answer(running, AREA)
    [item] = video["result"]
    assert set(item) == {"bandwidthData"}  # no domain, ISP or province in the model
    assert [set(s) for s in item["bandwidthData"]] == [{"timestamp", "value"}] * (HOUR // 300)
    assert item["bandwidthData"][0]["timestamp"] == "2023-11-15 10:05"
    multi = await answer(running, MULTI_IP_VERSION, queryBy="bandwidth", groupBy=["domain"])
    by_version = {
        d["domain"]: [float(s["v4Value"]) + float(s["v6Value"]) for s in d["detailList"]]
        for d in multi["data"]
    }
    assert _close(_values(item["bandwidthData"]), by_version[VIDEO], 0.011)
    total = [a + b for a, b in zip(by_version[VIDEO], by_version[DL], strict=True)]
    assert _close(_values(both["result"][0]["bandwidthData"]), total, 0.021)
    # A filter narrows the one series; an area list without cn holds no emulated visitor.
    telecom = await answer(running, AREA, domain=[VIDEO], isp=["telecom"])
    assert sum(_values(telecom["result"][0]["bandwidthData"])) < sum(_values(item["bandwidthData"]))
    abroad = await answer(running, AREA, domain=[VIDEO], areaCode=["hk", "apac"])
    assert set(_values(abroad["result"][0]["bandwidthData"])) == {0.0}
    mainland = await answer(running, AREA, domain=[VIDEO], areaCode=["cn", "hk"])
    assert mainland == video


async def test_a_dimension_left_out_of_group_by_is_aggregated_without_its_key(
    running: RunningEmulator,
) -> None:
    merged = await answer(running, CELLS, IPType="IPV6")
    [item] = merged["result"]
    assert set(item) == {"ispData"}
    [isp] = item["ispData"]
    assert set(isp) == {"provinceData"}
    [province] = isp["provinceData"]
    assert set(province) == {"bandwidthData"}
    by_domain = await answer(running, CELLS, IPType="IPV6", groupBy=["domain"])
    assert [d["domain"] for d in by_domain["result"]] == [VIDEO, DL]
    assert all(set(d["ispData"][0]) == {"provinceData"} for d in by_domain["result"])


@pytest.mark.parametrize("name", ["isp_province_ipv6_bandwidth", "isp_province_bandwidth"])
async def test_the_exporters_calls_parse_in_either_language(
    running: RunningEmulator, name: str
) -> None:
    spec = CDNETWORKS_CATALOG[name]
    domains = (VIDEO, DL)[: spec.max_domains_per_call]
    query = Query(name, domains, Window(START, END, 300), CST)
    parsed = []
    for language in ("en-US", "zh-CN"):
        reply = await raw_call(running, spec.path, spec.build_body(query), language=language)
        assert reply.status == 200, reply.body
        parsed.append([(p.family, p.labels, p.end, p.value) for p in spec.parse(reply.json, query)])
    english, chinese = parsed
    assert english == chinese
    assert {p[0] for p in english} == set(spec.families)
    if name == "isp_province_ipv6_bandwidth":
        assert {p[1][1:] for p in english} == {
            (isp, province)
            for isp in ("telecom", "unicom", "mobile")
            for province in ("beijing", "shanghai", "guangdong", "zhejiang")
        }
    assert max(p[2] for p in english) == END


# The Go SDK's QueryMultiDomainsIPV6OrIPV4Bandwidth models (models.go JSON tags): the
# Python SDK has none for this route, so tests/sdk/ cannot round-trip it.
GO_REQUEST_KEYS = {"dateFrom", "dateTo", "domain", "dataInterval", "ipType", "region"}
GO_ANSWER_KEYS = ({"code", "message", "data"}, {"domain", "detailList"}, {"timestamp", "value"})


async def test_bandwidth_ipv6_speaks_the_go_sdks_models(running: RunningEmulator) -> None:
    spec = CDNETWORKS_CATALOG["bandwidth_ipv6"]
    query = Query("bandwidth_ipv6", (VIDEO, DL), Window(START, END, HOUR), CST)
    sent = spec.build_body(query)
    assert set(sent) <= GO_REQUEST_KEYS
    reply = await raw_call(running, spec.path, sent)
    assert reply.status == 200, reply.body
    top, item, point = GO_ANSWER_KEYS
    assert set(reply.json) == top
    assert [d["domain"] for d in reply.json["data"]] == [VIDEO, DL]
    for domain in reply.json["data"]:
        assert set(domain) == item
        assert [set(p) for p in domain["detailList"]] == [point]  # one hour, one slice
        assert all(isinstance(v, str) for p in domain["detailList"] for v in p.values())
