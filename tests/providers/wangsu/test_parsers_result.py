"""The other `result` reports on recorded-style fixtures: string numbers, units, labels,
empty lists, summary fields left out, and bad shapes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from collector.model import Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.wangsu import catalog_result as cr
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import Window

Load = Callable[[str], Any]
CST = 8 * 3600
T1000, T1005, T1010, T1015 = 1699927200, 1699927500, 1699927800, 1699928100
T1100 = T1000 + 3600
WWW, IMG, LIVE = "www.example.com", "img.example.com", "live.example.com"


def query(
    endpoint: str,
    domains: tuple[str, ...] = (WWW, IMG),
    start: int = T1000,
    end: int = T1015,
    slice_seconds: int = 300,
) -> Query:
    return Query(endpoint, domains, Window(start, end, slice_seconds), CST)


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    return CATALOG[endpoint].parse(payload, q or query(endpoint))


def rows(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, p.value) for p in points]


def test_parent_node(load: Load) -> None:
    name = cr.PARENT_NODE_TRAFFIC.name
    assert rows(parse("parent_node", load("parent_node"))) == [
        (name, (WWW,), T1005, pytest.approx(12_340_000.0)),
        (name, (WWW,), T1010, pytest.approx(10_000_000.0)),
        (name, (WWW,), T1015, pytest.approx(13_260_000.0)),
    ]


def test_protocol_is_labelled_https(load: Load) -> None:
    name = cr.PROTOCOL_TRAFFIC.name
    assert rows(parse("protocol", load("protocol"))) == [
        (name, (WWW, "https"), T1005, pytest.approx(101_500_000.0)),
        (name, (WWW, "https"), T1010, pytest.approx(99_250_000.0)),
    ]


def test_client_country_reads_codes_and_converts_units(load: Load) -> None:
    # `us` has no flowPercentage: a window summary the parser never needs.
    traffic, bandwidth = cr.CLIENT_COUNTRY_TRAFFIC.name, cr.CLIENT_COUNTRY_BANDWIDTH.name
    assert rows(parse("client_country", load("client_country"))) == [
        (traffic, (WWW, "cn"), T1005, pytest.approx(3_000_000.0)),
        (bandwidth, (WWW, "cn"), T1005, pytest.approx(10_000.0)),
        (traffic, (WWW, "cn"), T1010, pytest.approx(4_500_000.0)),
        (bandwidth, (WWW, "cn"), T1010, pytest.approx(15_000.0)),
        (traffic, (WWW, "us"), T1005, pytest.approx(2_500_000.0)),
        (bandwidth, (WWW, "us"), T1005, pytest.approx(8_750.0)),
    ]


def test_exact_domain_labels_by_exact_domain(load: Load) -> None:
    name = cr.EXACT_DOMAIN_TRAFFIC.name
    assert rows(parse("exact_domain", load("exact_domain"))) == [
        (name, ("a.example.com",), T1005, pytest.approx(1_250_000.0)),
        (name, ("a.example.com",), T1010, pytest.approx(2_000_000.0)),
    ]


def test_dir_info_totals_are_one_hourly_slice(load: Load) -> None:
    q = query("dir_info", (WWW,), T1000, T1100, 3600)
    traffic, peak = cr.DIRECTORY_TRAFFIC.name, cr.DIRECTORY_PEAK_BANDWIDTH.name
    assert rows(parse("dir_info", load("dir_info"), q)) == [
        (traffic, (WWW, "/video"), T1100, pytest.approx(5_457_560_000.0)),
        (peak, (WWW, "/video"), T1100, pytest.approx(1_698_750.0)),
        (traffic, (WWW, "/images"), T1100, 0.0),
        (peak, (WWW, "/images"), T1100, 0.0),
    ]


def test_dir_info_needs_a_one_slice_window(load: Load) -> None:
    q = query("dir_info", (WWW,), T1000, T1100 + 3600, 3600)
    with pytest.raises(MalformedResponse, match="window totals"):
        parse("dir_info", load("dir_info"), q)


def test_live_dir_without_totals(load: Load) -> None:
    # /app has neither totalFlow nor bandwidthPeakValue: only the series is read.
    name = cr.LIVE_DIRECTORY_TRAFFIC.name
    assert rows(parse("live_dir", load("live_dir"))) == [
        (name, (LIVE, "/live"), T1005, pytest.approx(8_250_000.0)),
        (name, (LIVE, "/live"), T1010, pytest.approx(12_250_000.0)),
    ]


def test_stream_without_totals(load: Load) -> None:
    name = cr.STREAM_TRAFFIC.name
    assert rows(parse("stream", load("stream"))) == [
        (name, (LIVE, "live/sports"), T1005, pytest.approx(1_500_000.0)),
        (name, (LIVE, "live/sports"), T1010, pytest.approx(2_250_000.0)),
        (name, (LIVE, "live/news"), T1005, 0.0),
    ]


ENDPOINTS = [spec.name for spec in cr.ENDPOINTS]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_empty_result_is_no_data(endpoint: str) -> None:
    q = query("dir_info", (WWW,), T1000, T1100, 3600) if endpoint == "dir_info" else None
    assert parse(endpoint, {"result": []}, q) == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_missing_result_is_malformed(endpoint: str) -> None:
    q = query("dir_info", (WWW,), T1000, T1100, 3600) if endpoint == "dir_info" else None
    with pytest.raises(MalformedResponse) as caught:
        parse(endpoint, {"data": []}, q)
    assert caught.value.reason == Reason.MISSING_FIELD


@pytest.mark.parametrize(
    ("fixture", "endpoint", "path", "value", "reason"),
    [
        ("parent_node", "parent_node", ("result", 0, "flowData", 0, "value"), "x", None),
        ("protocol", "protocol", ("result", 0, "httpsFlowData", 0, "value"), "-1", "negative"),
        (
            "client_country",
            "client_country",
            ("result", 0, "countryData", 0, "countryCode"),
            7,
            "wrong",
        ),
        ("exact_domain", "exact_domain", ("result", 0, "flowData", 0, "timestamp"), "10:05", "ts"),
        ("live_dir", "live_dir", ("result", 0, "details", 0, "dir"), None, "wrong"),
        ("stream", "stream", ("result", 0, "details", 0, "details", 0, "value"), None, "wrong"),
        ("dir_info", "dir_info", ("result", 0, "details", 0, "totalFlow"), "-3.00", "negative"),
        ("dir_info", "dir_info", ("result", 0, "details", 0, "dir"), 1, "wrong"),
    ],
)
def test_bad_values_are_malformed(
    load: Load,
    fixture: str,
    endpoint: str,
    path: tuple[Any, ...],
    value: Any,
    reason: str | None,
) -> None:
    payload = copy.deepcopy(load(fixture))
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    q = query("dir_info", (WWW,), T1000, T1100, 3600) if endpoint == "dir_info" else None
    with pytest.raises(MalformedResponse) as caught:
        parse(endpoint, payload, q)
    expected = {
        "negative": Reason.NEGATIVE,
        "ts": Reason.BAD_TIMESTAMP,
    }.get(reason or "")
    if expected is not None:
        assert caught.value.reason == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_bodies_poll_without_extra_config(endpoint: str) -> None:
    spec = CATALOG[endpoint]
    seconds = spec.slices[0].seconds
    body = spec.build_body(query(endpoint, (WWW,), T1000, T1000 + seconds, seconds))
    if endpoint in ("dir_info", "live_dir"):
        assert body["domainDir"] == [{"domain": WWW, "dir": []}]  # every directory
    elif endpoint == "stream":
        assert body["domainStream"] == [{"domain": WWW, "stream": []}]  # every stream
    else:
        assert body["domain"] == [WWW]
    assert body["dateFrom"] == "2023-11-14T10:00:00+08:00"


def test_every_report_beyond_the_first_six_is_opt_in() -> None:
    # Breakdowns multiply series; the rest are more calls: none changes the default.
    assert all(spec.opt_in for spec in cr.ENDPOINTS)
    assert CATALOG["client_country"].data_delay == 86400  # read at least 24 h late
    assert CATALOG["exact_domain"].data_delay == 5 * 3600
