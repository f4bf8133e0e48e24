"""Bad requests get HTTP 400 and the documented 241020xx codes, and are counted."""

from __future__ import annotations

from typing import Any

import pytest

from collector.emulator import Emulator

from .conftest import NOW, ApiClient, iso

HOUR = 3600
DAY = 86400
GOOD: dict[str, Any] = {
    "dateFrom": iso(NOW - HOUR),
    "dateTo": iso(NOW),
    "domain": ["www.example.com"],
}


@pytest.mark.parametrize(
    ("endpoint", "change", "code"),
    [
        ("flow_request", {"dateTo": None}, "24102006"),  # only one of the two dates
        ("flow_request", {"dateFrom": "2023-11-15 12:00:00"}, "24102021"),
        ("flow_request", {"dateFrom": "2023-11-15T12:00:00Z"}, "24102021"),
        ("flow_request", {"dateFrom": "2023-13-15T12:00:00+08:00"}, "24102021"),
        ("flow_request", {"dateFrom": iso(NOW), "dateTo": iso(NOW - HOUR)}, "24102006"),
        ("flow_request", {"dateFrom": iso(NOW + HOUR), "dateTo": iso(NOW + 2 * HOUR)}, "24102006"),
        ("flow_request", {"dateFrom": iso(NOW - DAY - 300)}, "24102006"),  # span > 1 day
        ("isp_province", {"dateFrom": iso(NOW - 7 * DAY - 300)}, "24102006"),  # span > 7 d
        (
            "isp_province",
            {"dateFrom": iso(NOW - 184 * DAY), "dateTo": iso(NOW - 183 * DAY)},
            "24102006",
        ),
        ("flow_request", {"domain": [f"d{i}.example.com" for i in range(201)]}, "24102019"),
        ("isp_province", {"domain": [f"d{i}.example.com" for i in range(21)]}, "24102019"),
        ("flow_request", {"domain": ["not-mine.example.org"]}, "24102008"),
        ("flow_request", {"domain": []}, "24102008"),
        ("flow_request", {"domain": "www.example.com"}, "24102008"),
        ("isp_province", {"domain": None}, "24102008"),  # required there
        ("hit_rate_isp_province", {"domain": None}, "24102008"),
        ("flow_request_origin", {"dataInterval": "1h"}, "24102001"),
        ("isp_province", {"dataInterval": "1m"}, "24102001"),
        ("isp_province", {"groupBy": ["country"]}, "24102001"),
        ("country_bandwidth", {"countryCode": "hk"}, "24102001"),
    ],
)
async def test_invalid_bodies(
    client: ApiClient, emulator: Emulator, endpoint: str, change: dict[str, Any], code: str
) -> None:
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    reply = await client.call(endpoint, body)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == code
    assert reply.json["message"]
    assert emulator.totals().bad_requests == 1


async def test_edge_hit_ratio_takes_200_domains_on_the_wire(client: ApiClient) -> None:
    # The catalog sends one domain per call by choice; the wire limit is 200.
    domains = ["www.example.com", *(f"d{i}.example.com" for i in range(199))]
    assert (await client.call("edge_hit_ratio", {**GOOD, "domain": domains})).status == 200
    domains.append("one-too-many.example.com")
    reply = await client.call("edge_hit_ratio", {**GOOD, "domain": domains})
    assert reply.json["code"] == "24102019"


async def test_unknown_domains_are_filtered_silently(client: ApiClient) -> None:
    body = {**GOOD, "domain": ["www.example.com", "nope.example.org"], "groupBy": ["domain"]}
    reply = await client.call("flow_request", body)
    assert reply.status == 200
    assert [r["domain"] for r in reply.json["result"]] == ["www.example.com"]


async def test_omitted_domains_mean_all_the_accounts(client: ApiClient) -> None:
    body = {"dateFrom": GOOD["dateFrom"], "dateTo": GOOD["dateTo"], "groupBy": ["domain"]}
    reply = await client.call("flow_request", body)
    assert [r["domain"] for r in reply.json["result"]] == ["www.example.com", "img.example.com"]


async def test_no_dates_means_the_last_24_hours(client: ApiClient, emulator: Emulator) -> None:
    reply = await client.call("flow_request", {"domain": ["www.example.com"]})
    series = reply.json["result"][0]["flowRequestData"]
    # 288 five-minute slices, less the one still inside the data delay.
    assert len(series) == 288 - 1
    assert series[0]["timestamp"] == "2023-11-14 13:05"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Accept": "text/html"}, "24102013"),
        ({"X-Time-Zone": "Asia/Shanghai"}, "24102020"),
    ],
)
async def test_bad_headers(client: ApiClient, headers: dict[str, str], code: str) -> None:
    reply = await client.call("flow_request", GOOD, headers=headers)
    assert reply.status == 400
    assert reply.json["code"] == code


async def test_content_type_must_be_json(client: ApiClient) -> None:
    # Content-Type is signed, so the client signs the wrong one it sends.
    reply = await client.call("flow_request", GOOD, content_type="text/plain")
    assert reply.status == 400
    assert reply.json["code"] == "24102014"


async def test_missing_body_and_non_json_content_type(client: ApiClient) -> None:
    assert (await client.call("flow_request", b"")).json["code"] == "24102014"
    assert (await client.call("flow_request", b"not json")).json["code"] == "24102014"
    assert (await client.call("flow_request", b"[1, 2]")).json["code"] == "24102014"


async def test_xml_on_request(client: ApiClient) -> None:
    reply = await client.call("flow_request", GOOD, headers={"Accept": "application/xml"})
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/xml")
    assert b"<flowRequestData>" in reply.body
