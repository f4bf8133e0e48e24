"""The official Wangsu SDK asks flow-bandwidth/stream/detail for online users.

The SDK's Request model documents `isReturnOnline` (a string): "传true, 仅当dataInterval=1m
时,返回在线人数,5min时不返回; 不传或传false，则默认不返回在线人数" (true returns the online
users only at 1m, not at 5m; not sent or false: not returned). Its Response model then
requires `online_user` in every point. Sent through `AkSkAuth.invoke`, the emulator
answers so (even though this emulator serves every on-request field: the request decides
here), and the exporter's per-domain sum equals the ground truth.
"""

from __future__ import annotations

import json

import pytest
from wangsu.reportflow import models

from collector.emulator import Emulator
from collector.emulator import truth as ground
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import HOUR, Window, align_down, format_request_time

from .conftest import CST, NOW, WangsuSdk

API = "QueryMultipleStreamTrafficAndBandwidthUnderTheDomain"
PATH = "/api/report/flow-bandwidth/stream/detail"
END = align_down(NOW, HOUR) - HOUR  # settled: every minute final
START = END - 600  # the route's longest span


def sdk_request(interval: str, is_return_online: str | None, domains: tuple[str, ...]) -> str:
    request = getattr(models, API + "Request")(
        date_from=format_request_time(START, CST),
        date_to=format_request_time(END, CST),
        domain_stream=[getattr(models, API + "RequestDomainStream")(domain=d) for d in domains],
        data_interval=interval,
        data_type="flow",
        is_return_online=is_return_online,
    )
    request.validate()
    return json.dumps(request.to_map())


@pytest.mark.parametrize(
    ("interval", "is_return_online", "served"),
    [("1m", "true", True), ("1m", None, False), ("1m", "false", False), ("5m", "true", False)],
)
async def test_online_users_come_only_when_the_sdk_asks_at_one_minute(
    wangsu: WangsuSdk,
    emulator: Emulator,
    interval: str,
    is_return_online: str | None,
    served: bool,
) -> None:
    account = emulator.account("demo-wangsu")
    body = sdk_request(interval, is_return_online, account.domains)
    reply = await wangsu.call(PATH, body, account)
    assert reply.status == 200, reply.text
    response = getattr(models, API + "Response")().from_map(reply.json)
    points = [
        point
        for item in response.data
        for stream in item.domain_of_stream_list
        for point in stream.detail_list
    ]
    assert len(points) == len(account.domains) * 3 * (10 if interval == "1m" else 2)
    if served:
        response.validate()  # online_user is required in the model: every point has it
        assert all(type(point.online_user) is int for point in points)
    else:
        assert all(point.online_user is None for point in points)


async def test_the_exporter_reads_the_sdk_asked_answer_as_the_truth(
    wangsu: WangsuSdk, emulator: Emulator
) -> None:
    account = emulator.account("demo-wangsu")
    reply = await wangsu.call(PATH, sdk_request("1m", "true", account.domains), account)
    assert reply.status == 200, reply.text
    query = Query("stream_online_users", account.domains, Window(START, END, 60), CST)
    points = CATALOG["stream_online_users"].parse(reply.json, query)
    assert any(p.value > 0 for p in points)
    assert {(p.labels[0], p.end): p.value for p in points} == {
        (domain, minute): ground.wangsu_domain_online_users(emulator, account.name, domain, minute)
        for domain in account.domains
        for minute in range(START + 60, END + 1, 60)
    }
