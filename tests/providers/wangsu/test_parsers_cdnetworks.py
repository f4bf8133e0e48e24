"""CDNetworks' spellings on recorded-style fixtures (tests/fixtures/cdnetworks/): each
renamed report reads its CDNetworks answer to the very points its Wangsu twin reads
from the Wangsu answer; CDNetworks' own reports read their own shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from collector import families as core
from collector.http import HttpResponse
from collector.model import Outcome, Point
from collector.providers.endpoint import MalformedResponse, Query
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG, DIALECTS
from collector.providers.wangsu.catalog_cdnetworks import POP_TRAFFIC, STATIC_DYNAMIC_TRAFFIC
from collector.providers.wangsu.provider import CDNETWORKS
from collector.timeslices import Window

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CST = 8 * 3600
T1001, T1002, T1005, T1010 = 1699927260, 1699927320, 1699927500, 1699927800
MB, MBPS = 1e6, 1e6 / 8

# CDNetworks fixture -> (report name, its Wangsu twin's fixture).
RENAMED = {
    "traffic_request": ("flow_request", "flow_request"),
    "traffic_request_origin": ("flow_request_origin", "flow_request_origin"),
    "traffic_domain_country": ("client_country", "client_country"),
    "traffic_protocol": ("protocol", "protocol"),
    "traffic": ("account_traffic", "account_traffic"),
    "domaintraffic": ("domainflow", "domainflow"),
    "saving_bandwidth": ("bandwidth_saving_ratio", "bandwidth_saving_ratio"),
    "traffic_isp_province_hit_rate_total": (
        "isp_province_hit_rate_total",
        "isp_province_hit_rate_total",
    ),
}


def fixture(brand: str, name: str) -> Any:
    return orjson.loads((FIXTURES / brand / f"{name}.json").read_bytes())


def query(
    endpoint: str,
    domains: tuple[str, ...] = ("www.example.com", "img.example.com", "idle.example.com"),
    slice_seconds: int = 300,
) -> Query:
    return Query(
        endpoint=endpoint,
        domains=domains,
        window=Window(start=1699927200, end=1699928100, slice_seconds=slice_seconds),
        offset_seconds=CST,
    )


def _query_for(name: str) -> Query:
    spec = CATALOG[name]
    if spec.max_domains_per_call == 1:
        return query(name, ("www.example.com",), spec.granularities[0])
    return query(name, slice_seconds=spec.granularities[0])


def points(name: str, payload: Any, q: Query | None = None) -> list[Point]:
    return list(CDNETWORKS_CATALOG[name].parse(payload, q or query(name)))


@pytest.mark.parametrize("recorded", sorted(RENAMED))
def test_a_renamed_report_reads_what_its_wangsu_twin_reads(recorded: str) -> None:
    name, twin = RENAMED[recorded]
    q = _query_for(name)
    cdnetworks = list(CDNETWORKS_CATALOG[name].parse(fixture("cdnetworks", recorded), q))
    wangsu = list(CATALOG[name].parse(fixture("wangsu", twin), q))
    assert cdnetworks, recorded
    assert cdnetworks == wangsu
    assert CDNETWORKS_CATALOG[name].families == CATALOG[name].families


@pytest.mark.parametrize("recorded", sorted(RENAMED))
def test_a_renamed_report_refuses_the_other_spelling(recorded: str) -> None:
    """Each spelling reads only its own keys: a Wangsu answer on a CDNetworks path (or
    the reverse) is malformed, named, not silently empty."""
    name, twin = RENAMED[recorded]
    q = _query_for(name)
    with pytest.raises(MalformedResponse):
        CDNETWORKS_CATALOG[name].parse(fixture("wangsu", twin), q)
    with pytest.raises(MalformedResponse):
        CATALOG[name].parse(fixture("cdnetworks", recorded), q)


def test_traffic_request_names_its_cdnetworks_source_and_cap() -> None:
    spec = CDNETWORKS_CATALOG["flow_request"]
    assert spec.path == "/api/report/traffic-request"
    assert spec.max_domains_per_call == 1000
    assert spec.shape.source(spec.shape.measures[0]) == "result[].dataSeries[].traffic"
    # One domain a call stays one (the answer names no domain), whatever the API's cap.
    assert CDNETWORKS_CATALOG["domainflow"].max_domains_per_call == 1


def test_the_wangsu_dialect_keeps_cdnetworks_own_reports() -> None:
    wangsu = DIALECTS["wangsu"]
    assert wangsu["flow_request"] is CATALOG["flow_request"]
    assert wangsu["static_dynamic"] is CDNETWORKS_CATALOG["static_dynamic"]
    assert wangsu["flow_request_dwa"].path == "/api/report/flow-request/dwa"


def test_static_dynamic_in_bytes_by_layer_content_and_direction() -> None:
    got = {
        (p.labels, p.end): p.value
        for p in points("static_dynamic", fixture("cdnetworks", "static_dynamic"))
    }
    www = "www.example.com"
    assert got[((www, "edge", "static", "up"), T1005)] == 1200
    assert got[((www, "edge", "static", "down"), T1005)] == 4_000_000
    assert got[((www, "edge", "dynamic", "down"), T1005)] == 1_000_000
    assert got[((www, "parent", "static", "down"), T1005)] == 400_000
    assert got[((www, "parent", "dynamic", "down"), T1010)] == 0
    assert len(got) == 12
    assert {
        p.family for p in points("static_dynamic", fixture("cdnetworks", "static_dynamic"))
    } == {STATIC_DYNAMIC_TRAFFIC}


def test_pop_traffic_by_pop() -> None:
    got = {p.labels: p.value for p in points("pop_traffic", fixture("cdnetworks", "pop_traffic"))}
    assert got == {
        ("www.example.com", "sel", "static", "up"): 10,
        ("www.example.com", "sel", "static", "down"): 2_500_000,
        ("www.example.com", "sel", "dynamic", "up"): 20,
        ("www.example.com", "sel", "dynamic", "down"): 500_000,
    }
    assert POP_TRAFFIC.labels == ("domain", "pop", "content", "direction")


def test_realtime_bandwidth_per_minute() -> None:
    q = query("realtime_bandwidth", slice_seconds=60)
    got = points("realtime_bandwidth", fixture("cdnetworks", "realtime_bandwidth"), q)
    assert [(p.family, p.labels, p.end, p.value) for p in got] == [
        (core.BANDWIDTH, ("www.example.com", "down"), T1001, pytest.approx(6.4 * MBPS)),
        (core.BANDWIDTH, ("www.example.com", "down"), T1002, pytest.approx(8.0 * MBPS)),
    ]
    origin = points("realtime_origin_bandwidth", fixture("cdnetworks", "realtime_origin_bandwidth"))
    assert [(p.family, p.value) for p in origin] == [
        (core.ORIGIN_BANDWIDTH, pytest.approx(1.6 * MBPS))
    ]


def test_domainbandwidth_one_domain_a_call() -> None:
    q = query("domainbandwidth", ("www.example.com",))
    got = points("domainbandwidth", fixture("cdnetworks", "domainbandwidth"), q)
    assert [(p.labels, p.end, p.value) for p in got] == [
        (("www.example.com", "down"), T1005, pytest.approx(32 * MBPS)),
        (("www.example.com", "down"), T1010, pytest.approx(30 * MBPS)),
    ]
    with pytest.raises(MalformedResponse, match="carry no domain"):
        points("domainbandwidth", fixture("cdnetworks", "domainbandwidth"))


@pytest.mark.parametrize("recorded", ["traffic", "domaintraffic", "domainbandwidth"])
def test_top_level_series_answers_are_successes(recorded: str) -> None:
    body = (FIXTURES / "cdnetworks" / f"{recorded}.json").read_bytes()
    classified = CDNETWORKS.classify(HttpResponse(200, {}, body))
    assert classified.outcome is Outcome.SUCCESS
    assert classified.payload == orjson.loads(body)


def test_an_error_code_in_a_2xx_answer_is_an_error() -> None:
    """The SDK decodes 2xx bodies without looking at `code`; the exporter does not."""
    body = (FIXTURES / "cdnetworks" / "error_in_2xx.json").read_bytes()
    classified = CDNETWORKS.classify(HttpResponse(200, {"x-cnc-request-id": "r1"}, body))
    assert classified.outcome is Outcome.CLIENT_ERROR
    assert "code=24102019" in classified.message
    assert "request_id=r1" in classified.message
    # HTTP status first: the same body with a 500 is a server error, with a 429 throttling.
    assert CDNETWORKS.classify(HttpResponse(500, {}, body)).outcome is Outcome.SERVER_ERROR
    assert CDNETWORKS.classify(HttpResponse(429, {}, body)).outcome is Outcome.THROTTLED
    # Then the envelope: a 2xx with neither code nor a series list is malformed.
    odd = CDNETWORKS.classify(HttpResponse(200, {}, b'{"totalTraffic": "1.00"}'))
    assert odd.outcome is Outcome.MALFORMED


def test_cdnetworks_bodies_say_granularity_never_data_interval() -> None:
    q = query("flow_request_origin", slice_seconds=60)
    body = CDNETWORKS_CATALOG["flow_request_origin"].build_body(q)
    assert body["granularity"] == "1m"
    assert "dataInterval" not in body
    assert CATALOG["flow_request_origin"].build_body(q)["dataInterval"] == "1m"
    day = query("account_traffic", slice_seconds=86400)
    spec = CDNETWORKS_CATALOG["account_traffic"]
    assert spec.build_query is not None
    params = spec.build_query(day)
    assert params["granularity"] == "daily"
    assert set(params) == {"datefrom", "dateto", "granularity"}
    dwa = CDNETWORKS_CATALOG["domainflow_dwa"]
    assert dwa.build_query is not None
    assert set(dwa.build_query(day)) == {"datefrom", "dateto", "type"}


@pytest.mark.parametrize(
    ("name", "recorded", "domains"),
    [
        ("static_dynamic", "static_dynamic", None),
        ("pop_traffic", "pop_traffic", None),
        ("realtime_bandwidth", "realtime_bandwidth", None),
        ("realtime_origin_bandwidth", "realtime_origin_bandwidth", None),
        ("domainbandwidth", "domainbandwidth", ("www.example.com",)),
        ("domainbandwidth_dwa", "domainbandwidth", ("www.example.com",)),
    ],
)
def test_every_family_carries_its_label_names(
    name: str, recorded: str, domains: tuple[str, ...] | None
) -> None:
    q = query(name, domains) if domains else query(name)
    read = points(name, fixture("cdnetworks", recorded), q)
    assert read, name
    assert {p.family for p in read} == set(CDNETWORKS_CATALOG[name].families)
    for point in read:
        assert len(point.labels) == len(point.family.labels), (name, point)


def test_daily_edge_report_one_day_a_call_per_channel() -> None:
    day = Query(
        "daily_edge_report",
        ("www.example.com", "img.example.com"),
        Window(start=1699891200, end=1699977600, slice_seconds=86400),  # 2023-11-14 +08:00
        CST,
    )
    got = points("daily_edge_report", fixture("cdnetworks", "daily_edge_report"), day)
    # A channel not asked for (other.example.com) is left out: another call asks for it.
    assert [(p.family.name, p.labels, p.end, p.value) for p in got] == [
        ("cdn_channel_daily_traffic_bytes_total", ("www.example.com",), 1699977600, 1234.5 * MB),
        (
            "cdn_channel_daily_peak_bandwidth_bytes_per_second",
            ("www.example.com",),
            1699977600,
            24 * MBPS,
        ),
        ("cdn_channel_daily_traffic_bytes_total", ("img.example.com",), 1699977600, 0.0),
        (
            "cdn_channel_daily_peak_bandwidth_bytes_per_second",
            ("img.example.com",),
            1699977600,
            0.0,
        ),
    ]
    spec = CDNETWORKS_CATALOG["daily_edge_report"]
    body = spec.build_body(day)
    assert (body["startdate"], body["enddate"], body["channel"]) == (
        "2023-11-14",
        "2023-11-14",
        "www.example.com;img.example.com",
    )
    with pytest.raises(MalformedResponse, match=r"data\[0\]: missing field 'totalFlow'"):
        points("daily_edge_report", {"code": "0", "data": [{"name": "www.example.com"}]}, day)


def test_relay_traffic_per_domain_and_day() -> None:
    day = Query(
        "relay_traffic",
        ("www.example.com", "img.example.com"),
        Window(start=1699891200, end=1699977600, slice_seconds=86400),  # 2023-11-14 +08:00
        CST,
    )
    payload = fixture("cdnetworks", "relay_traffic")
    got = points("relay_traffic", payload, day)
    # GB read as 10^9 bytes; the day's label ends at the next local midnight.
    assert [(p.family.name, p.labels, p.end, p.value) for p in got] == [
        ("cdn_relay_traffic_bytes_total", ("www.example.com",), 1699977600, 12.345e9)
    ]
    body = CDNETWORKS_CATALOG["relay_traffic"].build_body(day)
    assert body == {
        "dateFrom": "2023-11-14",
        "dateTo": "2023-11-14",
        "timezone": "GMT+08:00",
        "domain": "www.example.com;img.example.com",
        "granularity": "1d",
        "groupBy": "domain",
    }
    response = HttpResponse(200, {}, orjson.dumps(payload))
    assert CDNETWORKS.classify(response).outcome is Outcome.SUCCESS
    bad = {
        "code": "0",
        "data": {
            "report": {
                "groups": [
                    {"domain": "www.example.com", "item": [{"time": "x", "relayTraffic": "1"}]}
                ]
            }
        },
    }
    with pytest.raises(MalformedResponse, match=r"groups\[0\]\.item\[0\]\.time"):
        points("relay_traffic", bad, day)


def test_a_cdnetworks_legacy_answer_may_come_as_xml() -> None:
    """Like domainflow, domaintraffic may answer XML: one `<dataSeries>` is still a
    series, and none at all an empty one."""
    q = query("domainflow", ("www.example.com",))
    for recorded, expected in (
        ("domaintraffic.xml", [(T1005, 1201 * MB)]),
        ("domaintraffic_empty.xml", []),
    ):
        body = (FIXTURES / "cdnetworks" / recorded).read_bytes()
        classified = CDNETWORKS.classify(HttpResponse(200, {}, body))
        assert classified.outcome is Outcome.SUCCESS, classified.message
        got = points("domainflow", classified.payload, q)
        assert [(p.end, p.value) for p in got] == expected
