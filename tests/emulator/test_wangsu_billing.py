"""The emulated Wangsu/CDNetworks billing reports over loopback HTTP: `/myview/Channelvalue`
and `/myview/perzone-billing`, asked by the exporter's provider and parsed by it, their
answer formats (`dataformat`) and their documented validation."""

from __future__ import annotations

from typing import Any

import pytest

from collector.emulator import RunningEmulator
from collector.model import Outcome
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.timeslices import HOUR, Window, align_down

from .conftest import CST, NOW
from .test_wangsu_legacy import _response, exporter_call, raw_call

START = align_down(NOW, HOUR) - 2 * HOUR  # the range's end: settled


def query(endpoint: str) -> Query:
    # The emulator bills www.example.com of demo-wangsu by its daily peaks (img by traffic).
    domains = ("www.example.com",)[: CATALOG[endpoint].max_domains_per_call]
    return Query(endpoint, domains, Window(START, START + HOUR, HOUR), CST)


@pytest.mark.parametrize("endpoint", ["channel_value", "perzone_billing"])
async def test_exporter_call_is_answered_in_json_and_parsed(
    endpoint: str, running: RunningEmulator
) -> None:
    q = query(endpoint)
    reply = await exporter_call(running, q)
    assert reply.status == 200, reply.body
    assert reply.body.startswith(b"{")
    classified = WANGSU.classify(_response(reply))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    points = CATALOG[endpoint].parse(classified.payload, q)
    assert points
    assert {p.end for p in points} == {START}


async def test_a_channel_billed_by_traffic_answers_gb_and_gives_no_figure(
    running: RunningEmulator,
) -> None:
    spec = CATALOG["channel_value"]
    q = Query("channel_value", ("img.example.com",), Window(START, START + HOUR, HOUR), CST)
    reply = await raw_call(running, spec.path, {**spec.build_body(q)})
    information = reply.json["provider"]["date"]["information"]
    assert (information["chargeMethod"], information["unit"]) == ("流量", "GB")
    assert float(information["value"]) > 0
    assert spec.parse(reply.json, q) == []


def _body(endpoint: str, **changes: Any) -> dict[str, Any]:
    body = CATALOG[endpoint].build_body(query(endpoint))
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(
    ("endpoint", "fmt", "xml"),
    [
        ("channel_value", None, True),  # the myview default
        ("channel_value", "xml", True),
        ("perzone_billing", None, False),  # [I] its SDK model has no dataformat
        ("perzone_billing", "xml", True),
        ("perzone_billing", "json", False),
    ],
)
async def test_dataformat_picks_the_answers_format(
    endpoint: str, fmt: str | None, xml: bool, running: RunningEmulator
) -> None:
    spec = CATALOG[endpoint]
    reply = await raw_call(running, spec.path, _body(endpoint, dataformat=fmt))
    assert reply.status == 200, reply.body
    assert reply.body.startswith(b"<?xml") is xml
    classified = WANGSU.classify(_response(reply))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    json_reply = await raw_call(running, spec.path, _body(endpoint, dataformat="json"))
    q = query(endpoint)
    assert spec.parse(classified.payload, q) == spec.parse(json_reply.json, q)


async def test_dataformat_other_than_xml_or_json_is_refused(running: RunningEmulator) -> None:
    reply = await raw_call(
        running, "/myview/Channelvalue", _body("channel_value", dataformat="csv")
    )
    assert reply.status == 400
    assert reply.json["code"] == "24102001"


@pytest.mark.parametrize(("key", "value"), [("type", "3"), ("dwa", "2")])
async def test_perzone_billing_refuses_an_unknown_type_or_dwa(
    key: str, value: str, running: RunningEmulator
) -> None:
    reply = await raw_call(
        running, "/myview/perzone-billing", _body("perzone_billing", **{key: value})
    )
    assert reply.status == 400
    assert reply.json["code"] == "24102001"


async def test_perzone_billing_traffic_is_its_bandwidth_over_each_slice(
    running: RunningEmulator,
) -> None:
    def detail(reply: Any) -> list[float]:
        zone = reply.json["provider"]["date"]["areaMap"]["perzone"]
        return [float(item["text"]) for item in zone["detail"]]

    bandwidth = await raw_call(running, "/myview/perzone-billing", _body("perzone_billing"))
    traffic = await raw_call(running, "/myview/perzone-billing", _body("perzone_billing", type="2"))
    assert traffic.json["provider"]["date"]["type"] == "2"
    mbps, mb = detail(bandwidth), detail(traffic)
    assert len(mbps) == len(mb) > 12
    # Mbps over 300 s is MB x 8 (each printed to 2 decimals).
    assert mb == pytest.approx([v * 300 / 8 for v in mbps], abs=0.2)


async def test_perzone_billing_reads_its_dates_in_camel_case(running: RunningEmulator) -> None:
    # startDate/endDate per the SDK model: the lower-case myview keys are not its own, so
    # without startDate/endDate it answers today (the documented default), a shorter range.
    body = _body("perzone_billing")
    month = await raw_call(running, "/myview/perzone-billing", body)
    lower = {
        "startdate": body.pop("startDate"),
        "enddate": body.pop("endDate"),
        **body,
    }
    today = await raw_call(running, "/myview/perzone-billing", lower)
    assert today.status == month.status == 200
    first = today.json["provider"]["date"]["startDate"]
    assert first > month.json["provider"]["date"]["startDate"]
