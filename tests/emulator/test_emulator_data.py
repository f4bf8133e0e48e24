"""Response shapes, number formats, time labels, data delay, revisions and ground truth."""

from __future__ import annotations

import re
from typing import Any

from collector.clock import FakeClock
from collector.emulator import Emulator, Quantity, TrafficModel
from collector.emulator import truth as ground
from collector.emulator.traffic import Member
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.families import ISP_PROVINCE_CACHE_HIT_RATIO
from collector.timeslices import Window

from .conftest import CST, NOW, ApiClient, iso

HOUR = 3600
DAY = 86400
WWW = "www.example.com"
TWO_DP = re.compile(r"^\d+\.\d{2}$")
FOUR_DP = re.compile(r"^[01]\.\d{4}$")
INTEGER = re.compile(r"^\d+$")


def body(start: int, end: int, offset: int = CST, **extra: Any) -> dict[str, Any]:
    return {"dateFrom": iso(start, offset), "dateTo": iso(end, offset), "domain": [WWW], **extra}


def series(reply_json: dict[str, Any], key: str = "flowRequestData") -> list[dict[str, str]]:
    result: list[dict[str, str]] = reply_json["result"][0][key]
    return result


async def test_flow_request_shape_and_number_formats(client: ApiClient) -> None:
    reply = await client.call("flow_request", body(NOW - HOUR, NOW, groupBy=["domain"]))
    item = reply.json["result"][0]
    assert set(item) == {
        "domain",
        "totalFlow",
        "totalRequest",
        "peakBandwidth",
        "peakTime",
        "peakRequest",
        "peakRequestTime",
        "flowRequestData",
    }
    for point in item["flowRequestData"]:
        assert set(point) == {"timestamp", "flow", "bandwidth", "request"}
        assert TWO_DP.match(point["flow"])
        assert TWO_DP.match(point["bandwidth"])
        assert INTEGER.match(point["request"])
        # Bandwidth is the slice's traffic in Mbit over its 300 seconds.
        assert abs(float(point["bandwidth"]) - float(point["flow"]) * 8 / 300) < 0.02
    assert TWO_DP.match(item["totalFlow"])
    assert INTEGER.match(item["totalRequest"])
    peak = max(item["flowRequestData"], key=lambda p: float(p["bandwidth"]))
    assert (item["peakBandwidth"], item["peakTime"]) == (peak["bandwidth"], peak["timestamp"])


async def test_timestamps_are_end_labels_in_the_request_offset(client: ApiClient) -> None:
    cst = series((await client.call("flow_request", body(NOW - HOUR, NOW))).json)
    utc = series((await client.call("flow_request", body(NOW - HOUR, NOW, offset=0))).json)
    # NOW is 13:00 +08:00; the first slice 12:00-12:05 is labelled by its end.
    assert cst[0]["timestamp"] == "2023-11-15 12:05"
    assert utc[0]["timestamp"] == "2023-11-15 04:05"
    assert [p["flow"] for p in cst] == [p["flow"] for p in utc]


async def test_hourly_labels_run_01_to_next_day_00(client: ApiClient, clock: FakeClock) -> None:
    midnight = NOW - 13 * HOUR  # 2023-11-15 00:00 +08:00
    clock.set(midnight + DAY + HOUR)
    reply = await client.call(
        "isp_province", body(midnight, midnight + DAY, dataInterval="1h", groupBy=["domain"])
    )
    flow = reply.json["result"][0]["ispData"][0]["provinceData"][0]["flowData"]
    assert [p["timestamp"] for p in flow][:2] == ["2023-11-15 01", "2023-11-15 02"]
    assert flow[-1]["timestamp"] == "2023-11-16 00"
    assert len(flow) == 24


async def test_delay_hides_young_slices(client: ApiClient, clock: FakeClock) -> None:
    labels = [
        p["timestamp"]
        for p in series((await client.call("flow_request", body(NOW - HOUR, NOW))).json)
    ]
    assert labels[-1] == "2023-11-15 12:55"  # the slice ending at 13:00 is 0 s old
    clock.advance(299)
    assert len(series((await client.call("flow_request", body(NOW - HOUR, NOW))).json)) == 11
    clock.advance(1)
    assert (
        series((await client.call("flow_request", body(NOW - HOUR, NOW))).json)[-1]["timestamp"]
        == "2023-11-15 13:00"
    )


async def test_a_slice_is_revised_until_final_then_stays(
    client: ApiClient, clock: FakeClock, emulator: Emulator
) -> None:
    async def last_flow() -> float:
        points = series((await client.call("flow_request", body(NOW - HOUR, NOW))).json)
        assert points[-1]["timestamp"] == "2023-11-15 13:00"
        return float(points[-1]["flow"])

    seen = []
    for age in (300, 500, 700, 899, 900, 1500, 5000):
        clock.set(NOW + age)
        seen.append(await last_flow())
    growing, settled = seen[:4], seen[4:]
    assert growing == sorted(growing)
    assert len(set(growing)) == 4
    assert settled == [settled[0]] * 3
    assert settled[0] > growing[-1]
    final = ground.printed_sum(emulator, "demo-wangsu", WWW, Quantity.FLOW, NOW - 300, NOW)
    assert settled[0] == final


async def test_ground_truth_equals_the_sum_of_settled_slices(
    client: ApiClient, emulator: Emulator
) -> None:
    reply = await client.call("flow_request", body(NOW - DAY, NOW))
    points = series(reply.json)
    settled_until = NOW - 900
    settled = [p for p in points if p["timestamp"] <= "2023-11-15 12:45"]
    assert len(settled) == 288 - 3
    traffic = sum(float(p["flow"]) * 1e6 for p in settled)
    requests = sum(int(p["request"]) for p in settled)
    truth = ground.wangsu_traffic_bytes(emulator, "demo-wangsu", WWW, NOW - DAY, settled_until)
    assert abs(truth - traffic) < 1e-3
    assert (
        ground.wangsu_requests(emulator, "demo-wangsu", WWW, NOW - DAY, settled_until) == requests
    )


async def test_isp_province_breakdown_adds_up_to_the_domain_total(client: ApiClient) -> None:
    window = body(NOW - HOUR, NOW - 900, groupBy=["domain", "isp", "province"])
    totals = series((await client.call("flow_request", body(NOW - HOUR, NOW - 900))).json)
    result = (await client.call("isp_province", window)).json["result"]
    assert [r["domain"] for r in result] == [WWW]
    isps = result[0]["ispData"]
    assert {i["isp"] for i in isps} == {"中国电信", "中国联通", "中国移动"}
    assert {p["province"] for p in isps[0]["provinceData"]} >= {"北京", "上海", "广东"}
    cells = [p["flowData"] for i in isps for p in i["provinceData"]]
    for n, total in enumerate(totals):
        assert all(cell[n]["timestamp"] == total["timestamp"] for cell in cells)
        flow = sum(float(cell[n]["value"]) for cell in cells)
        bandwidth = sum(float(cell[n]["bandwidth"]) for cell in cells)
        assert abs(flow - float(total["flow"])) <= 0.005 * (len(cells) + 1)
        assert abs(bandwidth - float(total["bandwidth"])) <= 0.005 * (len(cells) + 1)


async def test_hit_rate_breakdown_is_consistent(client: ApiClient, emulator: Emulator) -> None:
    emulator.on_request_fields = True  # hitFlow, enabled for this account
    window = body(NOW - HOUR, NOW - 900, groupBy=["domain", "isp", "province"])
    isps = (await client.call("hit_rate_isp_province", window)).json["result"][0]["ispData"]
    cells = [p["hitRateData"] for i in isps for p in i["provinceData"]]
    for point in cells[0]:
        assert FOUR_DP.match(point["value"])
        assert 0 < float(point["value"]) < 1
        assert TWO_DP.match(point["hitFlow"])
    # The cells' hit traffic adds up to the domain's, in the first slice as in any.
    hit = emulator.traffic.value("demo-wangsu", WWW, Quantity.HIT_FLOW, NOW - HOUR, 300)
    assert abs(sum(float(c[0]["hitFlow"]) for c in cells) - hit) < 0.005 * (len(cells) + 1)
    # Origin traffic is what the cache did not serve: flow - hit flow.
    whole = body(NOW - HOUR, NOW - 900, groupBy=["domain"])
    ratio = (await client.call("hit_rate_isp_province", whole)).json["result"][0]
    only = ratio["ispData"][0]["provinceData"][0]["hitRateData"]
    assert ratio["ispData"][0]["isp"] == "全部"
    origin = series((await client.call("flow_request_origin", whole)).json, "flowRequestOriginData")
    edge = series((await client.call("flow_request", whole)).json)
    for e, o, h in zip(edge, origin, only, strict=True):
        assert abs(float(e["flow"]) - float(h["hitFlow"]) - float(o["flow"])) <= 0.015
        assert abs(float(o["flow"]) / float(e["flow"]) - (1 - float(h["value"]))) < 1e-3


async def test_hourly_is_the_sum_of_five_minutes_and_the_peak_bandwidth(
    client: ApiClient,
) -> None:
    hour = body(NOW - 2 * HOUR, NOW - HOUR, groupBy=["domain"])
    fine = series((await client.call("flow_request", hour)).json)
    coarse = (await client.call("isp_province", {**hour, "dataInterval": "1h"})).json
    point = coarse["result"][0]["ispData"][0]["provinceData"][0]["flowData"]
    assert [p["timestamp"] for p in point] == ["2023-11-15 12"]
    assert abs(float(point[0]["value"]) - sum(float(p["flow"]) for p in fine)) <= 0.07
    assert abs(float(point[0]["bandwidth"]) - max(float(p["bandwidth"]) for p in fine)) <= 0.01


async def test_without_group_by_domains_are_aggregated(client: ApiClient) -> None:
    both = {**body(NOW - HOUR, NOW), "domain": [WWW, "img.example.com"]}
    per_domain = (await client.call("flow_request", {**both, "groupBy": ["domain"]})).json
    total = (await client.call("flow_request", both)).json["result"]
    assert len(total) == 1
    assert total[0]["domain"] == "www.example.com,img.example.com"
    www, img = (r["flowRequestData"] for r in per_domain["result"])
    for a, b, t in zip(www, img, total[0]["flowRequestData"], strict=True):
        assert abs(float(a["flow"]) + float(b["flow"]) - float(t["flow"])) <= 0.015


async def test_origin_minute_series(client: ApiClient) -> None:
    reply = await client.call("flow_request_origin", body(NOW - HOUR, NOW, dataInterval="1m"))
    points = series(reply.json, "flowRequestOriginData")
    assert points[0]["timestamp"] == "2023-11-15 12:01"
    assert points[-1]["timestamp"] == "2023-11-15 12:55"  # minutes younger than 5 m hidden
    assert all(TWO_DP.match(p["flow"]) and INTEGER.match(p["request"]) for p in points)
    assert set(reply.json["result"][0]) >= {"peakBandwidthTime", "peakRequestTime"}


async def test_edge_hit_ratio_is_traffic_weighted_over_domains(
    client: ApiClient, emulator: Emulator
) -> None:
    domains = [WWW, "img.example.com"]
    reply = await client.call("edge_hit_ratio", {**body(NOW - HOUR, NOW), "domain": domains})
    (item,) = reply.json["result"]
    assert set(item) == {"realDate", "totalAvg", "hitRatioDatas"}
    points = item["hitRatioDatas"]
    assert points[0]["timestamp"] == "2023-11-15 12:01"
    assert item["realDate"] == "2023-11-15 12:55"
    members: list[Member] = [(d, {}) for d in domains]
    start = NOW - HOUR
    expected = emulator.traffic.aggregate("demo-wangsu", members, Quantity.HIT_RATIO, start, 60)
    assert points[0]["edgeHitRatio"] == f"{expected:.4f}"
    ratios = [float(p["edgeHitRatio"]) for p in points]
    assert min(ratios) <= float(item["totalAvg"]) <= max(ratios)
    assert all(FOUR_DP.match(p["edgeHitRatio"]) for p in points)


async def test_country_bandwidth_style_b(client: ApiClient) -> None:
    window = body(NOW - HOUR, NOW - 900)
    reply = (await client.call("country_bandwidth", window)).json
    assert (reply["code"], reply["message"]) == ("0", "success")
    (item,) = reply["data"]
    codes = [c["countryCode"] for c in item["countryData"]]
    assert len(codes) >= 3
    assert "hk" in codes
    totals = series((await client.call("flow_request", window)).json)
    for n, total in enumerate(totals):
        flow = sum(float(c["detailList"][n]["flow"]) for c in item["countryData"])
        assert abs(flow - float(total["flow"])) <= 0.005 * (len(codes) + 1)
    only = (await client.call("country_bandwidth", {**window, "countryCode": ["HK"]})).json
    assert [c["countryCode"] for c in only["data"][0]["countryData"]] == ["hk"]
    point = only["data"][0]["countryData"][0]["detailList"][0]
    assert set(point) == {"timestamp", "value", "flow"}


async def test_english_breakdown_codes(client: ApiClient) -> None:
    window = body(NOW - HOUR, NOW, groupBy=["domain", "isp", "province"], isp=["telecom"])
    reply = await client.call("isp_province", window, headers={"Accept-Language": "en-US"})
    (isp,) = reply.json["result"][0]["ispData"]
    assert isp["isp"] == "telecom"
    assert "beijing" in {p["province"] for p in isp["provinceData"]}


def test_traffic_is_deterministic_and_peaks_in_the_evening() -> None:
    a, b = TrafficModel(), TrafficModel()
    evening = NOW + 8 * HOUR  # 21:00 +08:00
    small_hours = NOW - 9 * HOUR  # 04:00 +08:00
    value_a = a.value("demo-wangsu", WWW, Quantity.FLOW, evening, 300)
    assert value_a == b.value("demo-wangsu", WWW, Quantity.FLOW, evening, 300)
    assert value_a > 2 * a.value("demo-wangsu", WWW, Quantity.FLOW, small_hours, 300)
    five = sum(a.value("demo-wangsu", WWW, Quantity.FLOW, evening + 60 * i, 60) for i in range(5))
    assert abs(five - value_a) < 1e-6
    # Neighbouring slices differ a little, never wildly: a smooth curve.
    next_slice = a.value("demo-wangsu", WWW, Quantity.FLOW, evening + 300, 300)
    assert 0.8 < next_slice / value_a < 1.25
    other = a.value("demo-wangsu", "img.example.com", Quantity.FLOW, evening, 300)
    assert other != value_a  # each domain has its own scale


async def test_on_request_fields_can_be_left_out_and_the_parser_does_not_need_them(
    client: ApiClient, emulator: Emulator
) -> None:
    """hitFlow is documented as "not returned by default" (SDK models.py); an account
    without it enabled still parses, with its hit ratios and no hit traffic."""
    window = body(NOW - HOUR, NOW - 900, groupBy=["domain", "isp", "province"])
    emulator.on_request_fields = False
    answer = (await client.call("hit_rate_isp_province", window)).json
    cells = [
        point
        for isp in answer["result"][0]["ispData"]
        for province in isp["provinceData"]
        for point in province["hitRateData"]
    ]
    assert cells
    assert all("hitFlow" not in p and "value" in p for p in cells)
    spec = CATALOG["hit_rate_isp_province"]
    query = Query(
        "hit_rate_isp_province",
        ("www.example.com",),
        Window(NOW - HOUR, NOW - 900, 300),
        CST,
    )
    points = spec.parse(answer, query)
    assert len(points) == len(cells)
    assert {p.family for p in points} == {ISP_PROVINCE_CACHE_HIT_RATIO}
    emulator.on_request_fields = True
    served = spec.parse((await client.call("hit_rate_isp_province", window)).json, query)
    assert len(served) == 2 * len(cells)
