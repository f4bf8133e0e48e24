"""The visitor-IP bandwidth breakdowns (catalog_bandwidth_ip.py) on recorded-style fixtures:
per domain over every ISP and province, the IPv6 part by ISP and province, and
CDNetworks' own IPv6 bandwidth per domain; which brand lists which; what each call sends."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from collector.model import Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.wangsu import catalog_bandwidth_ip as bw
from collector.providers.wangsu.catalog import (
    CATALOG,
    CDNETWORKS_CATALOG,
    CDNETWORKS_DECLARED_IN,
    DECLARED_IN,
    DIALECTS,
)
from collector.providers.wangsu.catalog_code_data import IP_VERSION_BANDWIDTH
from collector.timeslices import Window

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CST = 8 * 3600
T1005, T1010, T1015 = 1699927500, 1699927800, 1699928100  # 2023-11-14 10:05.. +08:00
WWW, IMG = "www.example.com", "img.example.com"
MBPS = 1e6 / 8


def fixture(brand: str, name: str) -> Any:
    return orjson.loads((FIXTURES / brand / f"{name}.json").read_bytes())


def query(endpoint: str, domains: tuple[str, ...] = (WWW, IMG), seconds: int = 300) -> Query:
    return Query(
        endpoint=endpoint,
        domains=domains,
        window=Window(start=1699927200, end=1699928100, slice_seconds=seconds),
        offset_seconds=CST,
    )


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    return list(CDNETWORKS_CATALOG[endpoint].parse(payload, q or query(endpoint)))


def rows(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, p.value) for p in points]


# -- the declarations ------------------------------------------------------------------


def test_declared_rows() -> None:
    day = 86400
    got = {
        spec.name: (
            spec.path,
            (spec.rate_limit.calls, spec.rate_limit.period, spec.rate_limit.assumed),
            spec.max_domains_per_call,
            spec.fan_out.name,
            tuple((g.seconds, g.max_span, g.data_delay) for g in spec.slices),
            spec.envelope,
            spec.opt_in,
            spec.history,
            spec.sdk_model,
        )
        for spec in (*bw.ENDPOINTS, *bw.CDNETWORKS_ENDPOINTS)
    }
    assert got == {
        "isp_province_bandwidth": (
            "/api/report/bandwidth/area/isp-province",
            (30, 300, True),
            1,
            "PER_DOMAIN",
            ((300, 31 * day, 900),),
            "result",
            True,
            183 * day,
            "reportbandwidth.QueryBandwidthbyISPProvince",
        ),
        "isp_province_ipv6_bandwidth": (
            "/api/report/bandwidth/isp-province/ipv6",
            (30, 300, True),
            200,
            "DOMAIN_BATCHES",
            ((300, day, 900), (3600, day, 900)),
            "result",
            True,
            183 * day,
            "reportbandwidth.QueryIPV6BandwidthOfeachISPandProvince",
        ),
        "bandwidth_ipv6": (
            "/api/report/bandwidth/ipv6",
            (30, 300, True),
            200,
            "DOMAIN_BATCHES",
            ((300, 7 * day, 900), (3600, 7 * day, 900)),
            "code-data",
            True,
            183 * day,
            "reportbandwidth.Querymultidomainsipv6oripv4bandwidth",
        ),
    }


def test_both_sdks_list_two_and_only_cdnetworks_the_third() -> None:
    for name in ("isp_province_bandwidth", "isp_province_ipv6_bandwidth"):
        assert CATALOG[name] is CDNETWORKS_CATALOG[name]  # one spelling for both brands
        assert DECLARED_IN[name] == CDNETWORKS_DECLARED_IN[name] == "catalog_bandwidth_ip"
    assert "bandwidth_ipv6" not in CATALOG
    assert CDNETWORKS_DECLARED_IN["bandwidth_ipv6"] == "catalog_bandwidth_ip"
    # A Wangsu-dialect CDNetworks account keeps CDNetworks' own reports.
    assert DIALECTS["wangsu"]["bandwidth_ipv6"] is CDNETWORKS_CATALOG["bandwidth_ipv6"]


def test_the_bodies_ask_for_ipv6_every_cell_and_every_area() -> None:
    q = query("isp_province_ipv6_bandwidth")
    dates = {"dateFrom": "2023-11-14T10:00:00+08:00", "dateTo": "2023-11-14T10:15:00+08:00"}
    assert CATALOG["isp_province_ipv6_bandwidth"].build_body(q) == dates | {
        "domain": [WWW, IMG],
        "dataInterval": "5m",
        "IPType": "IPV6",
        "groupBy": ["domain", "province", "isp"],
    }
    one = query("isp_province_bandwidth", (WWW,))
    assert CATALOG["isp_province_bandwidth"].build_body(one) == dates | {
        "dataInterval": "5m",
        "domain": [WWW],
    }
    hourly = query("bandwidth_ipv6", seconds=3600)
    assert CDNETWORKS_CATALOG["bandwidth_ipv6"].build_body(hourly) == dates | {
        "domain": [WWW, IMG],
        "dataInterval": "1h",
        "ipType": "IPV6",
    }


def test_the_help_names_the_source_fields() -> None:
    def sources(name: str) -> list[str]:
        spec = CDNETWORKS_CATALOG[name]
        return [spec.shape.source(m) for m in spec.shape.measures]

    assert sources("isp_province_bandwidth") == ["result[].bandwidthData[].value"]
    assert sources("isp_province_ipv6_bandwidth") == [
        "result[].ispData[].provinceData[].bandwidthData[].value"
    ]
    assert sources("bandwidth_ipv6") == ["data[].detailList[].value"]


# -- the answers ------------------------------------------------------------------------


def test_isp_province_bandwidth_is_labelled_by_the_calls_one_domain() -> None:
    payload = fixture("wangsu", "isp_province_bandwidth")
    got = parse("isp_province_bandwidth", payload, query("isp_province_bandwidth", (WWW,)))
    name = bw.ISP_PROVINCE_VISITOR_TOTAL_BANDWIDTH.name
    assert rows(got) == [
        (name, (WWW,), T1005, pytest.approx(24.8 * MBPS)),
        (name, (WWW,), T1010, 0.0),  # a zero slice is a value, kept
        (name, (WWW,), T1015, pytest.approx(31.26 * MBPS)),
    ]
    with pytest.raises(MalformedResponse, match="carry no domain"):
        parse("isp_province_bandwidth", payload)  # two domains: not attributable


def test_ipv6_cells_read_as_codes_in_either_language() -> None:
    got = parse("isp_province_ipv6_bandwidth", fixture("wangsu", "isp_province_ipv6_bandwidth"))
    name = bw.ISP_PROVINCE_VISITOR_IPV6_BANDWIDTH.name
    assert rows(got) == [
        (name, (WWW, "telecom", "beijing"), T1005, pytest.approx(3.2 * MBPS)),
        (name, (WWW, "telecom", "beijing"), T1010, pytest.approx(2.4 * MBPS)),
        (name, (WWW, "mobile", "sichuan"), T1005, pytest.approx(0.8 * MBPS)),
    ]


def test_an_aggregate_row_or_a_domain_not_asked_is_never_read() -> None:
    payload = copy.deepcopy(fixture("wangsu", "isp_province_ipv6_bandwidth"))
    cells = payload["result"][0]["ispData"]
    series = [{"timestamp": "2023-11-14 10:05", "value": "4.00"}]
    # What an ISP or province left out of groupBy would print: the sum of the cells.
    cells.append({"isp": "全部", "provinceData": [{"province": "北京", "bandwidthData": series}]})
    cells[0]["provinceData"].append({"province": "all", "bandwidthData": series})
    payload["result"].append({**payload["result"][0], "domain": "other.example.com"})
    got = parse("isp_province_ipv6_bandwidth", payload)
    assert {p.labels for p in got} == {(WWW, "telecom", "beijing"), (WWW, "mobile", "sichuan")}
    assert len(got) == 3


def test_hourly_ipv6_cells_end_at_their_hour() -> None:
    payload = copy.deepcopy(fixture("wangsu", "isp_province_ipv6_bandwidth"))
    stamps = payload["result"][0]["ispData"][0]["provinceData"][0]["bandwidthData"]
    stamps[0]["timestamp"], stamps[1]["timestamp"] = "2023-11-14 11", "2023-11-15 00"
    hourly = query("isp_province_ipv6_bandwidth", seconds=3600)
    got = parse("isp_province_ipv6_bandwidth", payload, hourly)
    assert [p.end for p in got][:2] == [1699930800, 1699977600]  # 11:00, midnight +08:00


def test_bandwidth_ipv6_is_the_v6_half_of_the_ip_version_family() -> None:
    got = parse("bandwidth_ipv6", fixture("cdnetworks", "bandwidth_ipv6"))
    assert rows(got) == [
        (IP_VERSION_BANDWIDTH.name, (WWW, "v6"), T1005, pytest.approx(20.0 * MBPS)),
        (IP_VERSION_BANDWIDTH.name, (WWW, "v6"), T1010, pytest.approx(19.6 * MBPS)),
    ]
    # multi_ip_version's recorded answer for the same slices: the same v6 series.
    both = CATALOG["multi_ip_version"].parse(
        fixture("wangsu", "multi_ip_version"), query("multi_ip_version")
    )
    v6 = [(p.labels, p.end, p.value) for p in both if p.labels[1] == "v6"]
    assert [(p.labels, p.end, p.value) for p in got] == v6


@pytest.mark.parametrize(
    ("name", "brand", "domains"),
    [
        ("isp_province_bandwidth", "wangsu", (WWW,)),
        ("isp_province_ipv6_bandwidth", "wangsu", (WWW, IMG)),
        ("bandwidth_ipv6", "cdnetworks", (WWW, IMG)),
    ],
)
def test_every_family_carries_its_label_names(
    name: str, brand: str, domains: tuple[str, ...]
) -> None:
    read = parse(name, fixture(brand, name), query(name, domains))
    assert read
    assert {p.family for p in read} == set(CDNETWORKS_CATALOG[name].families)
    for point in read:
        assert len(point.labels) == len(point.family.labels), (name, point)


@pytest.mark.parametrize(
    ("name", "brand", "domains", "breaks"),
    [
        ("isp_province_bandwidth", "wangsu", (WWW,), ("result", 0, "bandwidthData", 0)),
        (
            "isp_province_ipv6_bandwidth",
            "wangsu",
            (WWW,),
            ("result", 0, "ispData", 0, "provinceData", 0, "bandwidthData", 0),
        ),
        ("bandwidth_ipv6", "cdnetworks", (WWW,), ("data", 0, "detailList", 0)),
    ],
)
def test_a_slice_without_its_value_is_malformed(
    name: str, brand: str, domains: tuple[str, ...], breaks: tuple[str | int, ...]
) -> None:
    payload = copy.deepcopy(fixture(brand, name))
    item: Any = payload
    for key in breaks:
        item = item[key]
    del item["value"]
    where = ".".join(
        f"{key}[{index}]" for key, index in zip(breaks[::2], breaks[1::2], strict=True)
    )
    with pytest.raises(
        MalformedResponse, match=re.escape(f"{where}: missing field 'value'")
    ) as caught:
        parse(name, payload, query(name, domains))
    assert caught.value.reason == Reason.MISSING_FIELD
