"""The Wangsu/CDNetworks health routes over loopback HTTP: documented validation, answer
shapes, status counts against the ground truth, error bursts from the fault API, the
certificate list."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from collector.clock import FakeClock
from collector.emulator import Emulator, RunningEmulator
from collector.emulator import truth as ground
from collector.emulator.volcengine.certificates import certificates
from collector.emulator.wangsu.catalog_health import BURST_CODE, certificate_list
from collector.families import HTTP_RESPONSES, ORIGIN_RESPONSE_TIME
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.timeslices import Window

from .conftest import CST, NOW, ApiClient, iso

HOUR, DAY = 3600, 86400
WWW, IMG = "www.example.com", "img.example.com"
SETTLED = NOW - HOUR


def body(endpoint: str, start: int, end: int, domains: tuple[str, ...] = (WWW, IMG)) -> Any:
    q = Query(endpoint, domains, Window(start, end, CATALOG[endpoint].slices[0].seconds), CST)
    return CATALOG[endpoint].build_body(q)


@pytest.mark.parametrize(
    ("endpoint", "change", "code"),
    [
        ("status_codes", {"dateFrom": iso(NOW - 7 * DAY - 300)}, "24102006"),  # 7 days
        ("status_codes", {"domain": [f"d{i}.example.com" for i in range(21)]}, "24102019"),
        ("status_codes", {"dataInterval": "1m"}, "24102001"),  # 5m only
        ("status_codes", {"queryBy": "2XX"}, "24102001"),  # classes only on real-time/origin
        ("origin_status_codes", {"domain": None}, "24102008"),  # required there
        ("origin_status_codes", {"dateFrom": "2023-11-15 12:00:00"}, "24102021"),
        ("origin_response_time", {"dateFrom": iso(NOW - 7 * DAY - 60)}, "24102006"),
        ("origin_response_time", {"domain": [f"d{i}.example.com" for i in range(21)]}, "24102019"),
    ],
)
async def test_invalid_bodies(
    client: ApiClient, emulator: Emulator, endpoint: str, change: dict[str, Any], code: str
) -> None:
    sent = {k: v for k, v in {**body(endpoint, NOW - HOUR, NOW), **change}.items() if v is not None}
    reply = await client.call(endpoint, sent)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == code
    assert emulator.totals().bad_requests == 1


async def test_edge_codes_equal_the_ground_truth(client: ApiClient, emulator: Emulator) -> None:
    start, end = SETTLED - HOUR, SETTLED
    reply = await client.call("status_codes", body("status_codes", start, end))
    assert reply.status == 200, reply.body
    items = reply.json["result"]
    assert [item["domain"] for item in items] == [WWW, IMG]
    for item in items:
        truth = ground.wangsu_status_counts(
            emulator, "demo-wangsu", item["domain"], "edge", start, end
        )
        printed = {
            int(row["statusCode"]): sum(int(p["value"]) for p in row["requestData"])
            for row in item["statusCodeData"]
        }
        assert printed == {code: n for code, n in truth.items() if n}
        for row in item["statusCodeData"]:
            assert row["totalRequest"] == str(printed[int(row["statusCode"])])
            assert len(row["requestData"]) == 12  # every 5-minute slice of the hour
        types = {row["statusCode"]: row["statusCodeType"] for row in item["statusCodeData"]}
        assert (types["200"], types["404"]) == ("Success", "Not-Found")


async def test_query_by_type_names_the_types(client: ApiClient) -> None:
    sent = {**body("status_codes", SETTLED - HOUR, SETTLED), "queryBy": "statusCodeType"}
    reply = await client.call("status_codes", sent)
    assert reply.status == 200, reply.body
    names = {row["statusCode"] for row in reply.json["result"][0]["statusCodeData"]}
    assert names <= {"Success", "Redirect", "Not-Modified", "Permission", "Not-Found",
                     "Server Error", "Other"}  # fmt: skip
    assert {"Success", "Server Error"} <= names


async def test_origin_codes_equal_the_ground_truth(client: ApiClient, emulator: Emulator) -> None:
    start, end = SETTLED - HOUR, SETTLED
    reply = await client.call("origin_status_codes", body("origin_status_codes", start, end))
    assert reply.status == 200, reply.body
    item = reply.json["result"][0]
    assert set(item) == {"domain", "statusCodeType", "statusCodeOriginData"}
    truth = ground.wangsu_status_counts(emulator, "demo-wangsu", WWW, "origin", start, end)
    printed = {
        int(row["statusCode"]): sum(int(p["value"]) for p in row["requestData"])
        for row in item["statusCodeOriginData"]
    }
    assert printed == {code: n for code, n in truth.items() if n}


async def burst(running: RunningEmulator, payload: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        url = f"{running.base_url}/_emulator/error-bursts"
        async with session.post(url, json=payload) as response:
            return response.status, await response.json()


async def test_an_error_burst_shows_as_5xx_and_in_the_truth(
    client: ApiClient, emulator: Emulator, running: RunningEmulator, clock: FakeClock
) -> None:
    start = NOW - 2 * HOUR
    status, answer = await burst(
        running, {"seconds": 600, "share": 0.5, "domain": WWW, "start": start}
    )
    assert status == 200, answer
    assert answer["bursts"][0]["share"] == 0.5
    reply = await client.call("status_codes", body("status_codes", start - 600, start + 1200))
    spec = CATALOG["status_codes"]
    q = Query("status_codes", (WWW, IMG), Window(start - 600, start + 1200, 300), CST)
    points = spec.parse(reply.json, q)
    share: dict[tuple[str, int], float] = {}
    totals: dict[tuple[str, int], float] = {}
    for p in points:
        if p.family is HTTP_RESPONSES:
            totals[(p.labels[0], p.end)] = totals.get((p.labels[0], p.end), 0) + p.value
            if p.labels[1] == "5xx":
                share[(p.labels[0], p.end)] = p.value
    for end in range(start - 300, start + 1201, 300):
        ratio = share[(WWW, end)] / totals[(WWW, end)]
        inside = start < end <= start + 600
        assert (ratio >= 0.5) == inside, (end - start, ratio)
        assert share[(IMG, end)] / totals[(IMG, end)] < 0.05  # another domain: untouched
    truth = ground.wangsu_status_counts(emulator, "demo-wangsu", WWW, "edge", start, start + 600)
    assert truth[BURST_CODE] >= 0.5 * sum(truth.values()) - 2
    # Bursts are listed, and cleared by DELETE.
    async with aiohttp.ClientSession() as session:
        url = f"{running.base_url}/_emulator/error-bursts"
        async with session.delete(url) as response:
            assert (await response.json()) == {"bursts": []}
    assert emulator.burst_share("demo-wangsu", WWW, start, start + 300) is None


@pytest.mark.parametrize(
    "payload",
    [{"seconds": 0, "share": 0.5}, {"seconds": 60, "share": 1.5}, {"seconds": "x", "share": 1},
     {"seconds": 60, "share": 0.5, "domain": 3}, []],
)  # fmt: skip
async def test_bad_bursts_are_refused(running: RunningEmulator, payload: Any) -> None:
    status, answer = await burst(running, payload)
    assert status == 400
    assert answer["code"] == "InvalidBurst"


async def test_origin_response_time_per_minute_in_ms(client: ApiClient) -> None:
    start, end = SETTLED - 600, SETTLED
    reply = await client.call("origin_response_time", body("origin_response_time", start, end))
    assert reply.status == 200, reply.body
    payload = reply.json
    assert set(payload) == {"data"}  # no code or message (the SDK model)
    item = payload["data"][0]
    assert item["domain"] == WWW
    stamps = [parse_end_labelled(d["timestamp"], CST) for d in item["detailList"]]
    assert stamps == list(range(start + 60, end + 1, 60))
    q = Query("origin_response_time", (WWW, IMG), Window(start, end, 60), CST)
    points = CATALOG["origin_response_time"].parse(payload, q)
    assert all(p.family is ORIGIN_RESPONSE_TIME and 0.03 < p.value < 0.3 for p in points)


def test_the_certificate_list_is_the_accounts_certificates_in_cst(emulator: Emulator) -> None:
    account = emulator.account("demo-wangsu")
    items = certificate_list(account, NOW)
    expected = certificates(account, NOW)
    assert [item["name"] for item in items] == [c.name for c in expected]
    for item, cert in zip(items, expected, strict=True):
        assert parse_end_labelled(item["certificate-validity-to"], CST) == cert.not_after
        assert [d["domain-name"] for d in item["related-domains"]] == list(cert.domains)
        assert all(isinstance(v, str) for k, v in item.items() if not isinstance(v, list))


async def test_avg_speed_spans_an_hour_and_answers_every_cell(client: ApiClient) -> None:
    too_long = body("avg_speed_isp_province", NOW - HOUR - 300, NOW)
    reply = await client.call("avg_speed_isp_province", too_long)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == "24102006"
    start, end = SETTLED - HOUR, SETTLED
    spec = CATALOG["avg_speed_isp_province"]
    reply = await client.call(spec.name, body(spec.name, start, end, (WWW,)))
    assert reply.status == 200, reply.body
    q = Query(spec.name, (WWW,), Window(start, end, 300), CST)
    points = spec.parse(reply.json, q)
    cells = {p.labels for p in points}
    assert len(cells) > 10  # every ISP x province of the domain
    assert {p.end for p in points} == set(range(start + 300, end + 1, 300))
    assert all(p.value > 0 for p in points)
