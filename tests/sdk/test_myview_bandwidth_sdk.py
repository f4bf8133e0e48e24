"""The myview bandwidth reports through the official Python SDK: request objects built
from `wangsu.reportbandwidth.models` (the fields a user of the SDK would set, beyond the
exporter's own bodies that `test_wangsu_sdk.py` sends), signed and sent by
`AkSkAuth.invoke` to the emulator over loopback; each answer fills the SDK's Response
model (`from_map` then `validate()`) and the exporter's parser reads it. Also the
documented validation: `dataformat` xml by default, the route's own fields refused with
24102001 outside the values the model lists, every channel unknown a 403, bad dates
24102021."""

from __future__ import annotations

import json
from typing import Any

import pytest

from collector.emulator import Emulator
from collector.http import HttpResponse
from collector.model import Outcome
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.timeslices import DAY, Window

from .conftest import CST, NOW, WangsuSdk
from .sdkmodels import differences, round_trip

# NOW is 2023-11-15 13:00 +08:00; the hour from 11:00 has settled.
START, END = NOW - 2 * 3600, NOW - 3600
DAY_END = NOW - 13 * 3600  # 2023-11-15 00:00 +08:00: the end of 2023-11-14


def models() -> Any:
    import wangsu.reportbandwidth.models as m

    return m


async def send(
    wangsu: WangsuSdk, emulator: Emulator, path: str, request: Any, account: str = "demo-wangsu"
) -> tuple[int, str]:
    reply = await wangsu.call(path, json.dumps(request.to_map()), emulator.account(account))
    return reply.status, reply.text


def filled(response_model: type[Any], text: str) -> Any:
    """The answer in the SDK's Response model, losslessly, with its required fields."""
    answer = json.loads(text)
    assert differences(answer, round_trip(response_model, answer)) == []
    model = response_model().from_map(answer)
    model.validate()
    return model


def parsed(endpoint: str, text: str, domain: str, window: Window) -> list[Any]:
    classified = WANGSU.classify(HttpResponse(200, {}, text.encode()))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return list(
        CATALOG[endpoint].parse(classified.payload, Query(endpoint, (domain,), window, CST))
    )


@pytest.mark.parametrize("account", ["demo-wangsu", "demo-cdnetworks"])
async def test_bandwidth_channel_separate_and_merged(
    account: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    m = models()
    domains = emulator.account(account).domains[:2]
    request = m.BandwidthChannelRequest(
        startdate="2023-11-15 11:05",
        enddate="2023-11-15 12:00",
        channel=";".join(domains),
        dataformat="json",
        result_type="3",  # merged and separate
    )
    status, text = await send(wangsu, emulator, "/myview/bandwidth-channel", request, account)
    assert status == 200, text
    answer = json.loads(text)
    channels = answer["provider"]["date"]["channel"]
    # Three channel objects: the JSON lists what the model nests as one (like the XML).
    assert [c["name"] for c in channels] == [";".join(domains), *domains]
    for channel in channels:
        item = m.BandwidthChannelResponseProviderDateChannel().from_map(channel)
        item.validate()
        assert len(item.bandwidth) == 12  # 11:05 .. 12:00
    merged = [float(b["text"]) for b in channels[0]["bandwidth"]]
    parts = [[float(b["text"]) for b in c["bandwidth"]] for c in channels[1:]]
    assert merged == pytest.approx([a + b for a, b in zip(*parts, strict=True)], abs=0.011)


async def test_bandwidth_channel_flow_info_and_flow_details(
    wangsu: WangsuSdk, emulator: Emulator
) -> None:
    """`optionalFields=flowInfo` and `needFlow=1`: fields the Go model has (peakValue,
    peakTime, totalFlow on the date; flow[] per channel), the Python one does not."""
    m = models()
    domain = emulator.account("demo-wangsu").domains[0]
    request = m.BandwidthChannelRequest(
        startdate="2023-11-15 11:05",
        enddate="2023-11-15 12:00",
        channel=domain,
        dataformat="json",
        optional_fields="flowInfo",
        need_flow="1",
    )
    status, text = await send(wangsu, emulator, "/myview/bandwidth-channel", request)
    assert status == 200, text
    date = json.loads(text)["provider"]["date"]
    series = [float(b["text"]) for b in date["channel"]["bandwidth"]]
    assert float(date["peakValue"]) == max(series)
    flows = [float(f["text"]) for f in date["channel"]["flow"]]  # MB a slice
    assert flows == pytest.approx([v * 300 / 8 for v in series], rel=0.01, abs=0.01)


async def test_bandwidth_middle_model_and_parser(wangsu: WangsuSdk, emulator: Emulator) -> None:
    m = models()
    domain = emulator.account("demo-wangsu").domains[0]
    request = m.BandwidthMiddleRequest(
        startdate="2023-11-15",
        enddate="2023-11-15",
        channel=domain,
        dataformat="json",
        type="hit",
        father_type="stafu",
    )
    status, text = await send(wangsu, emulator, "/myview/bandwidth-middle", request)
    assert status == 200, text
    model = filled(m.BandwidthMiddleResponse, text)
    rows = model.provider.date.channel.bandwidth
    assert rows, "the day so far"
    for row in rows:
        # `summary` sums what `type` and `fatherType` picked: static hits here.
        assert row.summary == row.stafu_hit
    points = parsed("bandwidth_middle", text, domain, Window(START, END, 300))
    assert {p.end for p in points} == set(range(START + 300, END + 1, 300))
    assert {p.labels[1:] for p in points} == {
        ("static", "hit"),
        ("static", "miss"),
        ("dynamic", "hit"),
        ("dynamic", "miss"),
    }


async def test_bandwidth_log_time_from_zero_and_bps(wangsu: WangsuSdk, emulator: Emulator) -> None:
    m = models()
    domain = emulator.account("demo-wangsu").domains[0]

    async def series(**fields: str) -> list[dict[str, str]]:
        request = m.GetBandwidthLogRequest(
            startdate="2023-11-15 11:05",
            enddate="2023-11-15 12:00",
            channel=domain,
            dataformat="json",
            timezone="GMT+08:00",
            **fields,
        )
        status, text = await send(wangsu, emulator, "/myview/bandwidth-log", request)
        assert status == 200, text
        model = filled(m.GetBandwidthLogResponse, text)
        return [row.to_map() for row in model.provider.date.channel.bandwidth]

    ends = await series()
    starts = await series(time_from_zero="1", flow_unit="bps")
    assert ends[0]["time"] == "2023-11-15 11:05"
    assert starts[0]["time"] == "2023-11-15 11:00"
    assert float(starts[0]["text"]) == pytest.approx(float(ends[0]["text"]) * 1e6, rel=1e-3)


async def test_peak_ranking_ranks_every_channel_asked(
    wangsu: WangsuSdk, emulator: Emulator
) -> None:
    m = models()
    domains = emulator.account("demo-cdnetworks").domains
    request = m.BandwidthPeakRankingRequest(
        startdate="2023-11-14",
        enddate="2023-11-14",
        channel=";".join(domains),
        dataformat="json",
        datatype="3",  # https
    )
    status, text = await send(
        wangsu, emulator, "/myview/bandwidth-peak-ranking", request, "demo-cdnetworks"
    )
    assert status == 200, text
    peaks = json.loads(text)["provider"]["date"]["channelPeak"]
    peaks = peaks if isinstance(peaks, list) else [peaks]
    for item in peaks:
        m.BandwidthPeakRankingResponseProviderDateChannelPeak().from_map(item).validate()
    assert sorted(p["channel"] for p in peaks) == sorted(domains)
    values = [float(p["peakValue"]) for p in peaks]
    assert values == sorted(values, reverse=True)  # a ranking
    points = list(
        CATALOG["bandwidth_peak_ranking"].parse(
            json.loads(text), Query("x", domains, Window(DAY_END - DAY, DAY_END, DAY), CST)
        )
    )
    assert {p.end for p in points} == {DAY_END}
    assert len(points) == len(domains)


async def test_p2p_box_and_total(wangsu: WangsuSdk, emulator: Emulator) -> None:
    m = models()
    domain = emulator.account("demo-wangsu").domains[0]

    async def rows(box: str) -> list[Any]:
        request = m.QueryP2PBandwidthRequest(
            startdate="2023-11-15", enddate="2023-11-15", channel=domain, dataformat="json", box=box
        )
        status, text = await send(wangsu, emulator, "/myview/BandWidthP2p", request)
        assert status == 200, text
        return list(filled(m.QueryP2PBandwidthResponse, text).provider.date.channel.bandwidth)

    for row in await rows("1"):
        total = float(row.p_2p) + float(row.cdn) + float(row.box)
        assert float(row.total) == pytest.approx(total, abs=0.02)
    assert {row.box for row in await rows("0")} == {"0.00"}  # box=0: cdn + p2p only


async def test_dedicated_line_camel_case_dates(wangsu: WangsuSdk, emulator: Emulator) -> None:
    m = models()
    domain = emulator.account("demo-wangsu").domains[0]
    request = m.QueryCPSBandwidthRequest(
        start_date="2023-11-15",
        end_date="2023-11-15",
        channel=domain,
        timezone="GMT+08:00",
        optional_fields="flowInfo",
        line_type="hk",
    )
    status, text = await send(wangsu, emulator, "/myview/bandwidth-HK", request)
    assert status == 200, text
    answer = json.loads(text)
    assert (answer["code"], answer["message"]) == ("0", "success")
    detail = answer["data"]["detail"]
    for item in detail:
        m.QueryCPSBandwidthResponseDataDetail().from_map(item).validate()
    assert float(answer["data"]["peakValue"]) == max(float(d["text"]) for d in detail)
    points = parsed("dedicated_line_bandwidth", text, domain, Window(START, END, 300))
    assert len(points) == 12


async def test_xml_by_default(wangsu: WangsuSdk, emulator: Emulator) -> None:
    m = models()
    domain = emulator.account("demo-wangsu").domains[0]
    request = m.BandwidthChannelRequest(
        startdate="2023-11-15 11:05", enddate="2023-11-15 12:00", channel=domain
    )
    status, text = await send(wangsu, emulator, "/myview/bandwidth-channel", request)
    assert status == 200
    assert text.lstrip().startswith("<?xml")
    window = Window(START, END, 300)
    json_request = m.BandwidthChannelRequest(
        startdate="2023-11-15 11:05", enddate="2023-11-15 12:00", channel=domain, dataformat="json"
    )
    _, json_text = await send(wangsu, emulator, "/myview/bandwidth-channel", json_request)
    as_xml = parsed("bandwidth_channel", text, domain, window)
    assert as_xml == parsed("bandwidth_channel", json_text, domain, window)
    assert len(as_xml) == 12


# Each route by its SDK Request class.
ROUTES = {
    "channel": ("/myview/bandwidth-channel", "BandwidthChannelRequest"),
    "middle": ("/myview/bandwidth-middle", "BandwidthMiddleRequest"),
    "log": ("/myview/bandwidth-log", "GetBandwidthLogRequest"),
    "ranking": ("/myview/bandwidth-peak-ranking", "BandwidthPeakRankingRequest"),
    "p2p": ("/myview/BandWidthP2p", "QueryP2PBandwidthRequest"),
    "hk": ("/myview/bandwidth-HK", "QueryCPSBandwidthRequest"),
}


@pytest.mark.parametrize(
    ("route", "fields", "status", "code"),
    [
        ("channel", {"result_type": "4"}, 400, "24102001"),
        ("channel", {"dataformat": "csv"}, 400, "24102001"),
        ("channel", {"startdate": "15/11/2023"}, 400, "24102021"),
        ("channel", {"channel": "nobody.example"}, 403, "24102008"),
        ("middle", {"type": "hit;stale"}, 400, "24102001"),
        ("middle", {"startdate": "2023-11-15 10:00"}, 400, "24102021"),
        ("log", {"flow_unit": "GB"}, 400, "24102001"),
        ("log", {"timezone": "CST"}, 400, "24102020"),
        ("ranking", {"datatype": "2", "isp": "dx"}, 400, "24102001"),
        ("p2p", {"box": "yes"}, 400, "24102001"),
        ("hk", {"line_type": "us"}, 400, "24102001"),
        ("hk", {"start_date": "2023-11-16", "end_date": "2023-11-15"}, 400, "24102006"),
    ],
)
async def test_documented_validation(
    route: str,
    fields: dict[str, str],
    status: int,
    code: str,
    wangsu: WangsuSdk,
    emulator: Emulator,
) -> None:
    path, request_class = ROUTES[route]
    request = getattr(models(), request_class)(**fields)
    got, text = await send(wangsu, emulator, path, request)
    assert got == status, text
    assert json.loads(text)["code"] == code, text


async def test_dedicated_line_refuses_the_lower_case_dates(
    wangsu: WangsuSdk, emulator: Emulator
) -> None:
    account = emulator.account("demo-wangsu")
    body = json.dumps({"startdate": "2023-11-15", "enddate": "2023-11-15"})
    reply = await wangsu.call("/myview/bandwidth-HK", body, account)
    assert reply.status == 400
    assert "startDate" in reply.json["message"]
