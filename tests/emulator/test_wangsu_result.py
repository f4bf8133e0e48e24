"""The emulated `result` reports beyond the first six, over loopback HTTP: documented
validation (bad span, too many domains, bad granularity or parameter), the
route-specific bodies (`domainDir`, `domainStream`, `dataType`, `protocolType`,
`dirHierarchy`, `exactDomain`), and answers that match the ground truth exactly."""

from __future__ import annotations

from typing import Any

import pytest

from collector.emulator import Emulator
from collector.emulator.truth import (
    wangsu_client_country_traffic_bytes,
    wangsu_directory_traffic_bytes,
    wangsu_parent_node_traffic_bytes,
    wangsu_part_traffic_bytes,
    wangsu_protocol_traffic_bytes,
)
from collector.emulator.wangsu.catalog_result import exact_domains
from collector.providers.endpoint import MalformedResponse, Query
from collector.providers.wangsu import catalog_result
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import Window

from .conftest import CST, NOW, ApiClient, iso

HOUR = 3600
DAY = 86400
WWW = "www.example.com"
MANY = [f"d{i}.example.com" for i in range(21)]
# An hour that ended an hour ago: every slice visible and final.
END = NOW - HOUR
START = END - HOUR
DATES = {"dateFrom": iso(START), "dateTo": iso(END)}


def good(endpoint: str, domains: list[str] | None = None) -> dict[str, Any]:
    """The exporter's own body for the settled hour."""
    spec = CATALOG[endpoint]
    seconds = spec.slices[0].seconds
    query = Query(endpoint, tuple(domains or [WWW]), Window(START, END, seconds), CST)
    return spec.build_body(query)


def _objects(key: str, part: str, domains: list[str]) -> dict[str, Any]:
    return {key: [{"domain": d, part: []} for d in domains]}


@pytest.mark.parametrize(
    ("endpoint", "change", "code"),
    [
        # bad span
        ("parent_node", {"dateFrom": iso(END - 7 * DAY - 300)}, "24102006"),
        ("protocol", {"dateFrom": iso(END - 7 * DAY - 300)}, "24102006"),
        ("client_country", {"dateFrom": iso(END - 7 * DAY - 300)}, "24102006"),
        ("exact_domain", {"dateFrom": iso(END - DAY - 300)}, "24102006"),
        ("dir_info", {"dateFrom": iso(END - 31 * DAY - 300)}, "24102006"),
        ("live_dir", {"dateFrom": iso(END - 7 * DAY - 300)}, "24102006"),
        ("stream", {"dateFrom": iso(END - DAY - 300)}, "24102006"),
        # dates are required by the directory and stream routes
        ("live_dir", {"dateFrom": None, "dateTo": None}, "24102006"),
        # too many domains
        ("parent_node", {"domain": MANY}, "24102019"),
        ("protocol", {"domain": MANY}, "24102019"),
        ("client_country", {"domain": MANY}, "24102019"),
        ("exact_domain", {"domain": MANY}, "24102019"),
        ("dir_info", _objects("domainDir", "dir", [WWW, "img.example.com"]), "24102019"),
        ("live_dir", _objects("domainDir", "dir", MANY), "24102019"),
        ("stream", _objects("domainStream", "stream", MANY), "24102019"),
        # no domain
        ("parent_node", {"domain": None}, "24102008"),
        ("client_country", {"domain": None}, "24102008"),
        ("dir_info", {"domainDir": None}, "24102008"),
        ("live_dir", {"domainDir": []}, "24102008"),
        ("stream", {"domainStream": [{"stream": []}]}, "24102008"),
        # bad granularity or parameter
        ("parent_node", {"dataInterval": "1h"}, "24102001"),
        ("protocol", {"dataInterval": "2h"}, "24102001"),
        ("client_country", {"dataInterval": "1h"}, "24102001"),
        ("client_country", {"groupBy": ["domain", "aggregatedOversea"]}, "24102001"),
        ("exact_domain", {"dataInterval": "1m"}, "24102001"),
        ("live_dir", {"dataInterval": "1h"}, "24102001"),
        ("stream", {"dataInterval": "1d"}, "24102001"),
        ("protocol", {"protocolType": "quic"}, "24102001"),
        ("dir_info", {"dirHierarchy": "5"}, "24102001"),
        ("dir_info", {"dirHierarchy": None}, "24102001"),
        ("live_dir", {"dataType": None}, "24102001"),
        ("stream", {"dataType": "requests"}, "24102001"),
        ("stream", {"filterEmptyStream": 2}, "24102001"),
    ],
)
async def test_invalid_bodies(
    client: ApiClient, emulator: Emulator, endpoint: str, change: dict[str, Any], code: str
) -> None:
    body = {k: v for k, v in {**good(endpoint), **change}.items() if v is not None}
    reply = await client.call(endpoint, body)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == code, reply.json
    assert reply.json["message"]
    assert emulator.totals().bad_requests == 1


ENDPOINTS = [spec.name for spec in catalog_result.ENDPOINTS]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_the_exporters_body_is_accepted(client: ApiClient, endpoint: str) -> None:
    reply = await client.call(endpoint, good(endpoint))
    assert reply.status == 200, reply.body
    assert reply.json["result"]


def parsed(endpoint: str, payload: Any, domains: tuple[str, ...] = (WWW,)) -> dict[Any, float]:
    """Each series' sum over the hour, in base units, through the exporter's parser."""
    spec = CATALOG[endpoint]
    query = Query(endpoint, domains, Window(START, END, spec.slices[0].seconds), CST)
    sums: dict[Any, float] = {}
    for point in spec.parse(payload, query):
        key = (point.family.name, point.labels)
        sums[key] = sums.get(key, 0.0) + point.value
    return sums


async def test_parent_node_matches_the_ground_truth(client: ApiClient, emulator: Emulator) -> None:
    reply = await client.call("parent_node", good("parent_node"))
    sums = parsed("parent_node", reply.json)
    truth = wangsu_parent_node_traffic_bytes(emulator, "demo-wangsu", WWW, START, END)
    assert sums == {("cdn_parent_node_traffic_bytes_total", (WWW,)): pytest.approx(truth)}
    item = reply.json["result"][0]
    assert float(item["totalFlow"]) == pytest.approx(truth / 1e6, abs=0.01 * 12)


async def test_protocol_answers_the_protocol_asked_for(
    client: ApiClient, emulator: Emulator
) -> None:
    https = await client.call("protocol", good("protocol"))
    sums = parsed("protocol", https.json)
    truth = wangsu_protocol_traffic_bytes(emulator, "demo-wangsu", WWW, START, END)
    assert sums == {("cdn_protocol_traffic_bytes_total", (WWW, "https")): pytest.approx(truth)}
    http = await client.call("protocol", {**good("protocol"), "protocolType": "http"})
    item = http.json["result"][0]
    assert set(item) == {"domain", "httpFlowData"}
    http_bytes = sum(float(p["value"]) for p in item["httpFlowData"]) * 1e6
    assert http_bytes == pytest.approx(
        wangsu_protocol_traffic_bytes(emulator, "demo-wangsu", WWW, START, END, "http")
    )
    # Without protocolType the default is https.
    body = {k: v for k, v in good("protocol").items() if k != "protocolType"}
    assert "httpsFlowData" in (await client.call("protocol", body)).json["result"][0]


async def test_client_country_matches_the_ground_truth(
    client: ApiClient, emulator: Emulator
) -> None:
    reply = await client.call("client_country", good("client_country"))
    sums = parsed("client_country", reply.json)
    countries = [c["countryCode"] for c in reply.json["result"][0]["countryData"]]
    assert countries == ["cn", "hk", "sg", "us", "de"]
    for country in countries:
        truth = wangsu_client_country_traffic_bytes(
            emulator, "demo-wangsu", WWW, country, START, END
        )
        assert sums[("cdn_client_country_traffic_bytes_total", (WWW, country))] == (
            pytest.approx(truth)
        )
    shares = [float(c["flowPercentage"]) for c in reply.json["result"][0]["countryData"]]
    assert sum(shares) == pytest.approx(100, abs=0.05)  # percent, 2 decimals each
    one = await client.call("client_country", {**good("client_country"), "countryCode": ["HK"]})
    assert [c["countryCode"] for c in one.json["result"][0]["countryData"]] == ["hk"]


async def test_exact_domains_match_the_ground_truth(client: ApiClient, emulator: Emulator) -> None:
    reply = await client.call("exact_domain", good("exact_domain"))
    sums = parsed("exact_domain", reply.json)
    assert [r["exactDomain"] for r in reply.json["result"]] == list(exact_domains(WWW))
    for name in exact_domains(WWW):
        truth = wangsu_part_traffic_bytes(emulator, "demo-wangsu", WWW, "exact", name, START, END)
        assert sums[("cdn_exact_domain_traffic_bytes_total", (name,))] == pytest.approx(truth)
    asked = exact_domains(WWW)[1]
    one = await client.call("exact_domain", {**good("exact_domain"), "exactDomain": [asked]})
    assert [r["exactDomain"] for r in one.json["result"]] == [asked]


async def test_dir_info_totals_match_the_ground_truth(
    client: ApiClient, emulator: Emulator
) -> None:
    reply = await client.call("dir_info", good("dir_info"))
    sums = parsed("dir_info", reply.json)
    dirs = [d["dir"] for d in reply.json["result"][0]["details"]]
    assert dirs == ["/video", "/images", "/static"]
    for name in dirs:
        truth = wangsu_directory_traffic_bytes(emulator, "demo-wangsu", WWW, name, START, END)
        assert sums[("cdn_directory_traffic_bytes_total", (WWW, name))] == truth
    deeper = await client.call(
        "dir_info",
        {
            **good("dir_info"),
            "dirHierarchy": "2",
            "domainDir": [{"domain": WWW, "dir": ["/images/l2", "/nope"]}],
        },
    )
    assert [d["dir"] for d in deeper.json["result"][0]["details"]] == ["/images/l2"]


async def test_dir_info_refuses_a_window_that_is_not_one_slice() -> None:
    spec = CATALOG["dir_info"]
    query = Query("dir_info", (WWW,), Window(START - HOUR, END, HOUR), CST)
    with pytest.raises(MalformedResponse, match="window totals"):
        spec.parse({"result": []}, query)


@pytest.mark.parametrize(
    ("endpoint", "kind", "key", "label", "family"),
    [
        (
            "live_dir",
            "live-dir",
            "domainDir",
            "dir",
            "cdn_livestream_directory_traffic_bytes_total",
        ),
        ("stream", "stream", "domainStream", "stream", "cdn_stream_traffic_bytes_total"),
    ],
)
async def test_directory_and_stream_details_match_the_ground_truth(
    client: ApiClient,
    emulator: Emulator,
    endpoint: str,
    kind: str,
    key: str,
    label: str,
    family: str,
) -> None:
    domains = [WWW, "img.example.com"]
    reply = await client.call(endpoint, good(endpoint, domains))
    sums = parsed(endpoint, reply.json, tuple(domains))
    assert [r["domain"] for r in reply.json["result"]] == domains
    for item in reply.json["result"]:
        for part in item["details"]:
            name = part[label]
            truth = wangsu_part_traffic_bytes(
                emulator, "demo-wangsu", item["domain"], kind, name, START, END
            )
            assert sums[(family, (item["domain"], name))] == pytest.approx(truth)
    # One part asked for; unknown ones are not returned.
    first = reply.json["result"][0]["details"][0][label]
    body = {**good(endpoint), key: [{"domain": WWW, label: [first, "nope"]}]}
    one = await client.call(endpoint, body)
    assert [p[label] for p in one.json["result"][0]["details"]] == [first]
    # dataType bandwidth answers Mbps values.
    bandwidth = await client.call(endpoint, {**good(endpoint), "dataType": "bandwidth"})
    flows = reply.json["result"][0]["details"][0]["details"]
    rates = bandwidth.json["result"][0]["details"][0]["details"]
    assert float(rates[0]["value"]) == pytest.approx(float(flows[0]["value"]) * 8 / 300, abs=0.01)
