"""The `{"code", "message", "data": [...]}` routes over loopback HTTP: documented
validation errors, answer shapes, and values against the traffic model's ground truth."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from collector.clock import FakeClock
from collector.emulator import Emulator, Quantity, demo_accounts, start
from collector.emulator import truth as ground
from collector.emulator.wangsu.catalog_code_data import ipv6_share, p2p_share, stream_shares
from collector.model import Point
from collector.providers.endpoint import Query
from collector.providers.wangsu import catalog_code_data as cd
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import Window

from .conftest import CST, NOW, ApiClient, iso

MINUTE, HOUR, DAY = 60, 3600, 86400
WWW, IMG = "www.example.com", "img.example.com"
SETTLED = NOW - HOUR  # every slice ending by then is final (final_after 15 min)
MIDNIGHT = NOW - 13 * HOUR  # 2023-11-15 00:00 +08:00
TWO_DP = re.compile(r"^\d+\.\d{2}$")
FOUR_DP = re.compile(r"^[01]\.\d{4}$")
INTEGER = re.compile(r"^\d+$")


def dates(start: int, end: int) -> dict[str, str]:
    return {"dateFrom": iso(start), "dateTo": iso(end)}


GOOD: dict[str, dict[str, Any]] = {
    "up_flow_domain_country": {**dates(NOW - HOUR, NOW), "domain": [WWW]},
    "multi_ip_version": {**dates(NOW - HOUR, NOW), "domain": [WWW]},
    "bandwidth_saving_ratio": {**dates(NOW - HOUR, NOW), "domain": [WWW]},
    "p2p_share_ratio": {**dates(NOW - HOUR, NOW), "domain": [WWW]},
    "flow_byte": dates(NOW - HOUR, NOW),
    "stream_detail": {**dates(NOW - 600, NOW), "domainStream": [{"domain": WWW}]},
}
MANY = [f"d{i}.example.com" for i in range(201)]


@pytest.mark.parametrize(
    ("endpoint", "change", "code"),
    [
        # spans: 7 days, 1 day, 31 days, 1 day, 31 days, 10 minutes
        ("up_flow_domain_country", {"dateFrom": iso(NOW - 7 * DAY - 300)}, "24102006"),
        ("multi_ip_version", {"dateFrom": iso(NOW - DAY - 300)}, "24102006"),
        ("bandwidth_saving_ratio", {"dateFrom": iso(NOW - 31 * DAY - 300)}, "24102006"),
        ("p2p_share_ratio", {"dateFrom": iso(NOW - DAY - 60)}, "24102006"),
        ("flow_byte", {"dateFrom": iso(NOW - 31 * DAY - 300)}, "24102006"),
        ("stream_detail", {"dateFrom": iso(NOW - 900)}, "24102006"),
        ("flow_byte", {"dateTo": None}, "24102006"),  # only one of the two dates
        ("p2p_share_ratio", {"dateFrom": "2023-11-15 12:00:00"}, "24102021"),
        # domain caps: 20, 20, 200, 20
        ("up_flow_domain_country", {"domain": MANY[:21]}, "24102019"),
        ("multi_ip_version", {"domain": MANY[:21]}, "24102019"),
        ("bandwidth_saving_ratio", {"domain": MANY}, "24102019"),
        ("p2p_share_ratio", {"domain": MANY[:21]}, "24102019"),
        ("bandwidth_saving_ratio", {"domain": None}, "24102008"),  # required there
        ("p2p_share_ratio", {"domain": ["not-mine.example.org"]}, "24102008"),
        # granularities: 5m|1d, 1m|5m|1h, 5m|1h|1d, 1m|5m, 5m|1h|1d, 1m|5m
        ("up_flow_domain_country", {"dataInterval": "1h"}, "24102001"),
        ("multi_ip_version", {"dataInterval": "1d"}, "24102001"),
        ("bandwidth_saving_ratio", {"dataInterval": "1m"}, "24102001"),
        ("p2p_share_ratio", {"dataInterval": "1h"}, "24102001"),
        ("flow_byte", {"dataInterval": "1m"}, "24102001"),
        ("stream_detail", {"dataInterval": "1h"}, "24102001"),
        ("multi_ip_version", {"groupBy": ["country"]}, "24102001"),
        ("up_flow_domain_country", {"countryCode": "hk"}, "24102001"),
    ],
)
async def test_invalid_bodies(
    client: ApiClient, emulator: Emulator, endpoint: str, change: dict[str, Any], code: str
) -> None:
    good = GOOD[endpoint]
    body = {k: v for k, v in {**good, **change}.items() if v is not None}
    reply = await client.call(endpoint, body)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == code
    assert reply.json["message"]
    assert emulator.totals().bad_requests == 1


@pytest.mark.parametrize("endpoint", sorted(GOOD))
async def test_good_bodies_answer_style_b(client: ApiClient, endpoint: str) -> None:
    reply = await client.call(endpoint, GOOD[endpoint])
    assert reply.status == 200, reply.body
    payload = reply.json
    assert set(payload) == {"code", "message", "data"}
    assert (payload["code"], payload["message"]) == ("0", "success")
    assert isinstance(payload["data"], list)
    assert payload["data"]


def window_body(endpoint: str, start: int, end: int, **extra: Any) -> dict[str, Any]:
    return {**GOOD[endpoint], **dates(start, end), **extra}


def query(endpoint: str, domains: tuple[str, ...], start: int, end: int, seconds: int) -> Query:
    return Query(endpoint, domains, Window(start, end, seconds), CST)


def parsed(endpoint: str, payload: Any, q: Query) -> list[Point]:
    return CATALOG[endpoint].parse(payload, q)


# up_flow_domain_country ---------------------------------------------------------------


async def test_up_flow_countries_match_the_ground_truth(
    client: ApiClient, emulator: Emulator
) -> None:
    start, end = SETTLED - HOUR, SETTLED
    spec = CATALOG["up_flow_domain_country"]
    q = query(spec.name, (WWW, IMG), start, end, 300)
    reply = await client.call(spec.name, spec.build_body(q))
    assert reply.status == 200, reply.body
    items = reply.json["data"]
    assert [item["domain"] for item in items] == [WWW, IMG]
    countries = items[0]["countryData"]
    assert [c["countryCode"] for c in countries] == ["cn", "hk", "sg", "us", "de"]
    assert countries[0]["countryName"] == "中国"  # zh-CN by default
    assert sum(float(c["flowPercentage"]) for c in countries) == pytest.approx(100, abs=0.05)
    for country in countries:
        assert TWO_DP.match(country["flowSum"])
        assert len(country["flowData"]) == 12
        assert all(set(p) == {"timestamp", "value", "bandwidth"} for p in country["flowData"])

    points = parsed(spec.name, reply.json, q)
    for domain in (WWW, IMG):
        for country in ("cn", "us"):
            counted = sum(
                p.value
                for p in points
                if p.family is cd.CLIENT_COUNTRY_UPLOAD_TRAFFIC and p.labels == (domain, country)
            )
            truth = ground.wangsu_up_flow_country_bytes(
                emulator, "demo-wangsu", domain, country, start, end
            )
            assert counted == pytest.approx(truth, rel=1e-12)


async def test_up_flow_is_a_small_share_of_the_download(client: ApiClient) -> None:
    up = await client.call(
        "up_flow_domain_country", window_body("up_flow_domain_country", SETTLED - HOUR, SETTLED)
    )
    down = await client.call(
        "flow_request", {**dates(SETTLED - HOUR, SETTLED), "domain": [WWW], "groupBy": ["domain"]}
    )
    up_mb = sum(float(c["flowSum"]) for c in up.json["data"][0]["countryData"])
    down_mb = float(down.json["result"][0]["totalFlow"])
    assert 0.005 * down_mb < up_mb < 0.06 * down_mb


async def test_up_flow_one_day_slices(client: ApiClient) -> None:
    body = window_body("up_flow_domain_country", MIDNIGHT - DAY, MIDNIGHT, dataInterval="1d")
    reply = await client.call("up_flow_domain_country", body)
    assert reply.status == 200, reply.body
    series = reply.json["data"][0]["countryData"][0]["flowData"]
    assert [p["timestamp"] for p in series] == ["2023-11-15 00"]  # the day ending then


# multi_ip_version ---------------------------------------------------------------------


async def test_multi_ip_version_splits_the_edge_bandwidth(client: ApiClient) -> None:
    window = dates(SETTLED - HOUR, SETTLED)
    reply = await client.call(
        "multi_ip_version",
        {**window, "domain": [WWW], "queryBy": "bandwidth", "groupBy": ["domain"]},
    )
    flow = await client.call("flow_request", {**window, "domain": [WWW], "groupBy": ["domain"]})
    detail = reply.json["data"][0]["detailList"]
    edge = flow.json["result"][0]["flowRequestData"]
    assert [p["timestamp"] for p in detail] == [p["timestamp"] for p in edge]
    share = ipv6_share("demo-wangsu", WWW)
    for ip, total in zip(detail, edge, strict=True):
        assert TWO_DP.match(ip["v4Value"])
        assert TWO_DP.match(ip["v6Value"])
        both = float(ip["v4Value"]) + float(ip["v6Value"])
        assert both == pytest.approx(float(total["bandwidth"]), abs=0.011)
        assert float(ip["v6Value"]) == pytest.approx(float(total["bandwidth"]) * share, abs=0.01)


async def test_multi_ip_version_without_group_by_aggregates(client: ApiClient) -> None:
    body = {**dates(SETTLED - HOUR, SETTLED), "domain": [WWW, IMG]}
    reply = await client.call("multi_ip_version", body)
    assert [item["domain"] for item in reply.json["data"]] == [f"{WWW},{IMG}"]


# bandwidth_saving_ratio ---------------------------------------------------------------


async def test_saving_ratio_is_the_byte_hit_ratio(client: ApiClient, emulator: Emulator) -> None:
    body = window_body("bandwidth_saving_ratio", SETTLED - HOUR, SETTLED, dataInterval="5m")
    reply = await client.call("bandwidth_saving_ratio", body)
    item = reply.json["data"][0]
    assert set(item) == {"realDate", "totalAvg", "savingBandwidthDatas"}
    series = item["savingBandwidthDatas"]
    assert len(series) == 12
    first = emulator.traffic.value("demo-wangsu", WWW, Quantity.HIT_RATIO, SETTLED - HOUR, 300)
    assert series[0]["savingBandwidth"] == f"{first:.4f}"
    assert all(FOUR_DP.match(p["savingBandwidth"]) for p in series)


async def test_saving_ratio_defaults_to_one_day(client: ApiClient) -> None:
    body = {**dates(MIDNIGHT - DAY, MIDNIGHT), "domain": [WWW]}
    reply = await client.call("bandwidth_saving_ratio", body)
    assert len(reply.json["data"][0]["savingBandwidthDatas"]) == 1


# p2p_share_ratio ----------------------------------------------------------------------


async def test_p2p_share_is_a_percentage_per_domain(client: ApiClient) -> None:
    body = window_body(
        "p2p_share_ratio", SETTLED - HOUR, SETTLED, domain=[WWW, IMG], groupBy=["domain"]
    )
    reply = await client.call("p2p_share_ratio", body)
    items = {item["domain"]: item["detailList"] for item in reply.json["data"]}
    assert set(items) == {WWW, IMG}
    for domain, series in items.items():
        expected = f"{100 * p2p_share('demo-wangsu', domain):.2f}"
        assert {p["value"] for p in series} == {expected}
    spec = CATALOG["p2p_share_ratio"]
    points = parsed(
        spec.name, reply.json, query(spec.name, (WWW, IMG), SETTLED - HOUR, SETTLED, 300)
    )
    assert all(0 < p.value < 1 for p in points)


async def test_p2p_share_one_minute(client: ApiClient) -> None:
    body = window_body("p2p_share_ratio", SETTLED - 10 * MINUTE, SETTLED, dataInterval="1m")
    reply = await client.call("p2p_share_ratio", body)
    assert len(reply.json["data"][0]["detailList"]) == 10


# flow_byte ----------------------------------------------------------------------------


async def test_flow_byte_is_the_account_total(client: ApiClient, emulator: Emulator) -> None:
    start, end = SETTLED - HOUR, SETTLED
    spec = CATALOG["flow_byte"]
    q = query(spec.name, (), start, end, 300)
    reply = await client.call(spec.name, spec.build_body(q))
    (item,) = reply.json["data"]
    assert set(item) == {"flowSummary", "flowData"}
    assert all(INTEGER.match(p["flow"]) for p in item["flowData"])
    assert int(item["flowSummary"]) == sum(int(p["flow"]) for p in item["flowData"])
    counted = sum(p.value for p in parsed(spec.name, reply.json, q))
    assert counted == ground.wangsu_flow_byte_traffic_bytes(emulator, "demo-wangsu", start, end)
    # The same traffic as the per-domain totals, within their 2-decimal MB rounding.
    per_domain = sum(
        ground.wangsu_traffic_bytes(emulator, "demo-wangsu", domain, start, end)
        for domain in (WWW, IMG)
    )
    assert counted == pytest.approx(per_domain, abs=2 * 12 * 5_000)


# stream_detail ------------------------------------------------------------------------


async def test_stream_detail_streams_add_up_to_the_domain(
    client: ApiClient, emulator: Emulator
) -> None:
    start, end = SETTLED - 600, SETTLED
    spec = CATALOG["stream_detail"]
    q = query(spec.name, (WWW,), start, end, 300)
    reply = await client.call(spec.name, spec.build_body(q))
    assert reply.status == 200, reply.body
    item = next(i for i in reply.json["data"] if i["domain"] == WWW)
    streams = item["domainOfStreamList"]
    assert [s["stream"] for s in streams] == list(stream_shares("demo-wangsu", WWW))
    for stream in streams:
        assert {"stream", "totalFlow", "bandwidthPeakValue", "detailList"} == set(stream)
        # onlineUser is on request only (isReturnOnline at 1m): left out by default.
        assert all(set(p) == {"timestamp", "value"} for p in stream["detailList"])
    points = parsed(spec.name, reply.json, q)
    assert {p.labels[0] for p in points} == {WWW}  # other account domains dropped
    for name in stream_shares("demo-wangsu", WWW):
        counted = sum(p.value for p in points if p.labels == (WWW, name))
        truth = ground.wangsu_stream_traffic_bytes(emulator, "demo-wangsu", WWW, name, start, end)
        assert counted == pytest.approx(truth, rel=1e-12)
    total = sum(p.value for p in points)
    assert total == pytest.approx(
        ground.wangsu_traffic_bytes(emulator, "demo-wangsu", WWW, start, end), abs=3 * 2 * 5_000
    )


@pytest.mark.parametrize(
    ("asked", "interval", "served"),
    [
        ({"isReturnOnline": "true"}, "1m", True),
        ({"isReturnOnline": True}, "1m", True),  # a JSON true reads the same
        ({}, "1m", False),  # not asked: never (whatever support enabled)
        ({"isReturnOnline": "false"}, "1m", False),
        ({"isReturnOnline": "true"}, "5m", False),  # "5min时不返回"
    ],
)
async def test_stream_detail_online_users_only_when_asked_at_one_minute(
    clock: FakeClock, asked: dict[str, Any], interval: str, served: bool
) -> None:
    # An emulator serving every on-request field: onlineUser still follows the request.
    emulator = Emulator(demo_accounts(), clock=clock, on_request_fields=True)
    async with await start(emulator) as server, aiohttp.ClientSession() as session:
        client = ApiClient(session, server, clock, emulator.account("demo-wangsu"))
        body = window_body("stream_detail", SETTLED - 600, SETTLED, dataInterval=interval)
        reply = await client.call("stream_detail", {**body, **asked})
    assert reply.status == 200, reply.body
    (item,) = reply.json["data"]
    points = [p for s in item["domainOfStreamList"] for p in s["detailList"]]
    assert len(points) == 3 * (10 if interval == "1m" else 2)
    assert all(("onlineUser" in p) is served for p in points)
    assert all(isinstance(p.get("onlineUser", 0), int) for p in points)


async def test_online_users_per_domain_are_the_sum_of_its_streams(
    client: ApiClient, emulator: Emulator
) -> None:
    start, end = SETTLED - 600, SETTLED
    per_domain, per_stream = (
        CATALOG["stream_online_users"],
        CATALOG["stream_online_users_by_stream"],
    )
    q = query(per_domain.name, (WWW, IMG), start, end, MINUTE)
    body = per_domain.build_body(q)
    assert body == per_stream.build_body(q)  # the same call, read two ways
    assert (body["isReturnOnline"], body["dataInterval"]) == ("true", "1m")
    reply = await client.call("stream_detail", body)
    assert reply.status == 200, reply.body
    domains = parsed(per_domain.name, reply.json, q)
    streams = parsed(per_stream.name, reply.json, q)
    minutes = range(start + MINUTE, end + 1, MINUTE)
    assert {(p.labels, p.end): p.value for p in domains} == {
        ((domain,), minute): ground.wangsu_domain_online_users(
            emulator, "demo-wangsu", domain, minute
        )
        for domain in (WWW, IMG)
        for minute in minutes
    }
    # Per stream: publishing point and stream name apart; together they are the domain's.
    names = {
        (d, *name.split("/", 1)) for d in (WWW, IMG) for name in stream_shares("demo-wangsu", d)
    }
    assert {p.labels for p in streams} == names
    for domain in (WWW, IMG):
        for minute in minutes:
            summed = sum(p.value for p in streams if p.labels[0] == domain and p.end == minute)
            (total,) = [p.value for p in domains if p.labels == (domain,) and p.end == minute]
            assert summed == total
    assert any(p.value > 0 for p in domains)


async def test_stream_detail_answers_the_domains_of_domain_stream(client: ApiClient) -> None:
    reply = await client.call("stream_detail", GOOD["stream_detail"])
    assert [item["domain"] for item in reply.json["data"]] == [WWW]


async def test_stream_detail_too_many_groups(client: ApiClient) -> None:
    groups = [{"domain": domain} for domain in MANY[:21]]
    reply = await client.call("stream_detail", {**GOOD["stream_detail"], "domainStream": groups})
    assert reply.status == 400, reply.body
    assert reply.json["code"] == "24102019"
