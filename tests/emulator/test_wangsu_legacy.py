"""The legacy Wangsu routes over loopback HTTP: `flow-data` (GET /api/report/flow,
/api/report/domainflow with query-string dates, /api/report/flow/area) and `myview`
(/myview/Flowchannel, /myview/flow-day), requests built and signed by the exporter's
provider, answers classified and parsed by it; plus the documented validation."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import aiohttp
import orjson
import pytest

from collector.emulator import Emulator, RunningEmulator
from collector.emulator import truth as ground
from collector.http import HttpRequest
from collector.model import Outcome
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.providers.wangsu.signing import sign_aksk
from collector.timeslices import DAY, HOUR, Window, align_down
from tests.accounts import load_account

from .conftest import CST, NOW, Reply

LEGACY = (
    "account_traffic",
    "domainflow",
    "settlement_area",
    "flow_channel",
    "flow_day",
    "vod_transcoding",
)


def account(base_url: str) -> Any:
    return load_account(
        {
            "name": "demo-wangsu",
            "provider": "wangsu",
            "auth": {
                "method": "aksk",
                "access_key": "DEMO_WANGSU_AK",
                "secret_key": "DEMO_WANGSU_SK_0123456789abcdef",
            },
            "domains": ["www.example.com", "img.example.com"],
            "base_url": base_url,
        }
    )


def settled_query(endpoint: str, seconds: int | None = None) -> Query:
    spec = CATALOG[endpoint]
    seconds = seconds or spec.slices[0].seconds
    if seconds >= DAY:
        end = align_down(NOW, DAY, CST)  # today's local midnight: yesterday is over
        window = Window(end - 2 * DAY, end, DAY)
    else:
        end = align_down(NOW, HOUR) - HOUR
        window = Window(end - HOUR, end, seconds)
    domains = ("www.example.com",)[: spec.max_domains_per_call]
    return Query(endpoint, domains, window, CST)


async def send(request: HttpRequest) -> Reply:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            request.method,
            request.url,
            data=request.body or None,
            headers=dict(request.headers),
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response,
    ):
        return Reply(response.status, await response.read(), dict(response.headers))


async def exporter_call(running: RunningEmulator, query: Query) -> Reply:
    spec = CATALOG[query.endpoint]
    return await send(WANGSU.build_request(account(running.base_url), spec, query, NOW))


@pytest.mark.parametrize(
    ("endpoint", "seconds"),
    [(name, g.seconds) for name in LEGACY for g in CATALOG[name].slices],
)
async def test_exporter_call_is_answered_and_parsed(
    endpoint: str, seconds: int, running: RunningEmulator, emulator: Emulator
) -> None:
    query = settled_query(endpoint, seconds)
    reply = await exporter_call(running, query)
    assert reply.status == 200, reply.body
    classified = WANGSU.classify(_response(reply))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    points = CATALOG[endpoint].parse(classified.payload, query)
    assert points, reply.body[:300]
    assert {p.family for p in points} == set(CATALOG[endpoint].families)
    ends = sorted({p.end for p in points})
    assert ends[0] == query.window.start + seconds
    assert ends[-1] == query.window.end  # midnight labelled 24:00 reads as midnight
    assert emulator.totals().ok == 1


def _response(reply: Reply) -> Any:
    from collector.http import HttpResponse

    return HttpResponse(reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.body)


async def test_account_traffic_is_a_get_without_body_with_a_signed_query(
    running: RunningEmulator,
) -> None:
    query = settled_query("account_traffic")
    request = WANGSU.build_request(
        account(running.base_url), CATALOG["account_traffic"], query, NOW
    )
    assert request.method == "GET"
    assert request.body == b""
    assert "datefrom=2023-11-15T11%3A00%3A00%2B08%3A00" in request.url
    assert "type=fiveminutes" in request.url
    reply = await send(request)
    assert reply.status == 200, reply.body
    payload = reply.json
    assert set(payload) == {"flow-summary", "flow-data"}
    assert len(payload["flow-data"]) == 12


async def test_daily_legacy_slices_are_labelled_by_their_day(running: RunningEmulator) -> None:
    reply = await exporter_call(running, settled_query("account_traffic", DAY))
    stamps = [item["timestamp"] for item in reply.json["flow-data"]]
    assert stamps == ["2023-11-13", "2023-11-14"]


async def test_five_minute_legacy_day_ends_at_24_00(running: RunningEmulator) -> None:
    end = align_down(NOW, DAY, CST)
    query = Query("account_traffic", (), Window(end - HOUR, end, 300), CST)
    reply = await exporter_call(running, query)
    stamps = [item["timestamp"] for item in reply.json["flow-data"]]
    assert stamps[-1] == "2023-11-14 24:00"
    assert stamps[0] == "2023-11-14 23:05"


async def test_domainflow_prints_integers_and_may_answer_xml(running: RunningEmulator) -> None:
    query = settled_query("domainflow")
    spec = CATALOG["domainflow"]
    request = WANGSU.build_request(account(running.base_url), spec, query, NOW)
    reply = await send(request)
    assert isinstance(reply.json["flow-summary"], int)
    xml_request = HttpRequest(
        request.method, request.url, {**request.headers, "Accept": "application/xml"}, request.body
    )
    xml_reply = await send(xml_request)
    assert xml_reply.body.startswith(b"<?xml")
    classified = WANGSU.classify(_response(xml_reply))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    assert spec.parse(classified.payload, query) == spec.parse(reply.json, query)


async def test_myview_answers_xml_by_default(running: RunningEmulator) -> None:
    query = settled_query("flow_channel")
    spec = CATALOG["flow_channel"]
    body = spec.build_body(query)
    del body["dataformat"]
    reply = await raw_call(running, spec.path, body)
    assert reply.status == 200, reply.body
    assert reply.body.startswith(b"<?xml")
    classified = WANGSU.classify(_response(reply))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    json_reply = await raw_call(running, spec.path, spec.build_body(query))
    assert spec.parse(classified.payload, query) == spec.parse(json_reply.json, query)


async def raw_call(
    running: RunningEmulator, path: str, body: dict[str, Any], query_string: str = ""
) -> Reply:
    url = running.base_url + path + (f"?{query_string}" if query_string else "")
    data = orjson.dumps(body)
    headers = {
        "Host": f"127.0.0.1:{running.port}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    headers |= sign_aksk(
        "POST", url, headers, data, "DEMO_WANGSU_AK", "DEMO_WANGSU_SK_0123456789abcdef", int(NOW)
    )
    return await send(HttpRequest("POST", url, headers, data))


def _iso(epoch: int) -> str:
    from collector.timeslices import format_request_time

    return format_request_time(epoch, CST).replace(":", "%3A").replace("+", "%2B")


_START = int(NOW) - 2 * HOUR
_DOMAIN_LIST = {"domain-list": {"domain-name": ["www.example.com"]}}


@pytest.mark.parametrize(
    ("path", "body", "query_string", "code"),
    [
        # domainflow: legacy codes (§5.7)
        (
            "/api/report/domainflow",
            _DOMAIN_LIST,
            f"dateFrom={_iso(_START - 40 * DAY)}&dateTo={_iso(_START)}&type=hourly",
            "DateSpanError",
        ),
        (
            "/api/report/domainflow",
            {"domain-list": {"domain-name": [f"d{i}.example.com" for i in range(21)]}},
            f"dateFrom={_iso(_START)}&dateTo={_iso(_START + HOUR)}",
            "24102019",
        ),
        (
            "/api/report/domainflow",
            _DOMAIN_LIST,
            f"dateFrom={_iso(_START)}&dateTo={_iso(_START + HOUR)}&type=minutely",
            "InvalidHTTPRequest",
        ),
        (
            "/api/report/domainflow",
            {"domain-list": {"domain-name": ["not-mine.example.org"]}},
            f"dateFrom={_iso(_START)}&dateTo={_iso(_START + HOUR)}",
            "NoSuchDomain",
        ),
        # flow/area: the newer codes
        (
            "/api/report/flow/area",
            {
                "dateFrom": "2023-10-01T00:00:00+08:00",
                "dateTo": "2023-11-15T00:00:00+08:00",
                "areaCode": "cn",
            },
            "",
            "24102006",
        ),
        (
            "/api/report/flow/area",
            {
                "dateFrom": "2023-11-15T10:00:00+08:00",
                "dateTo": "2023-11-15T11:00:00+08:00",
                "areaCode": "cn",
                "domain": [f"d{i}.example.com" for i in range(21)],
            },
            "",
            "24102019",
        ),
        (
            "/api/report/flow/area",
            {
                "dateFrom": "2023-11-15T10:00:00+08:00",
                "dateTo": "2023-11-15T11:00:00+08:00",
                "areaCode": "cn",
                "dataInterval": "1m",
            },
            "",
            "24102001",
        ),
        (
            "/api/report/flow/area",
            {"dateFrom": "2023-11-15T10:00:00+08:00", "dateTo": "2023-11-15T11:00:00+08:00"},
            "",
            "24102001",  # areaCode is required
        ),
        # myview
        (
            "/myview/flow-day",
            {"startdate": "2023-09-01", "enddate": "2023-11-14", "dataformat": "json"},
            "",
            "24102006",
        ),
        (
            "/myview/flow-day",
            {
                "startdate": "2023-11-13",
                "enddate": "2023-11-14",
                "channel": ";".join(f"d{i}.example.com" for i in range(21)),
            },
            "",
            "24102019",
        ),
        (
            "/myview/Flowchannel",
            {"startdate": "2023-11-15 10:05", "enddate": "2023-11-15 1100"},
            "",
            "24102021",
        ),
    ],
)
async def test_documented_validation(
    path: str, body: dict[str, Any], query_string: str, code: str, running: RunningEmulator
) -> None:
    reply = await raw_call(running, path, body, query_string)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == code, reply.body


async def test_account_traffic_span_error(running: RunningEmulator) -> None:
    spec = CATALOG["account_traffic"]
    end = align_down(NOW, DAY, CST)
    query = Query("account_traffic", (), Window(end - 32 * DAY, end, DAY), CST)
    reply = await send(WANGSU.build_request(account(running.base_url), spec, query, NOW))
    assert reply.status == 400, reply.body
    assert reply.json["code"] == "DateSpanError", reply.body


async def test_myview_channels_all_unknown_is_403(running: RunningEmulator) -> None:
    body = {"startdate": "2023-11-13", "enddate": "2023-11-14", "channel": "nope.example.org"}
    reply = await raw_call(running, "/myview/flow-day", body)
    assert reply.status == 403, reply.body


def _total(points: list[Any]) -> float:
    return sum(p.value for p in points)


async def _parsed(running: RunningEmulator, query: Query) -> list[Any]:
    reply = await exporter_call(running, query)
    classified = WANGSU.classify(_response(reply))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return CATALOG[query.endpoint].parse(classified.payload, query)


@pytest.mark.parametrize("seconds", [300, HOUR, DAY])
async def test_flow_data_counters_match_the_ground_truth(
    seconds: int, running: RunningEmulator, emulator: Emulator
) -> None:
    end = align_down(NOW, DAY, CST)
    window = Window(end - DAY, end, seconds)
    domain = "www.example.com"
    got = await _parsed(running, Query("account_traffic", (), window, CST))
    truth = ground.wangsu_account_traffic_bytes(
        emulator, "demo-wangsu", window.start, window.end, seconds
    )
    assert _total(got) == pytest.approx(truth, rel=1e-12)
    assert truth > 0
    got = await _parsed(running, Query("domainflow", (domain,), window, CST))
    truth = ground.wangsu_domainflow_bytes(
        emulator, "demo-wangsu", domain, window.start, window.end, seconds
    )
    assert _total(got) == pytest.approx(truth, rel=1e-12)
    got = await _parsed(running, Query("settlement_area", (domain,), window, CST))
    truth = ground.wangsu_settlement_area_bytes(
        emulator, "demo-wangsu", domain, "cn", window.start, window.end, seconds
    )
    assert _total(got) == pytest.approx(truth, rel=1e-12)


async def test_myview_daily_counters_match_the_ground_truth(
    running: RunningEmulator, emulator: Emulator
) -> None:
    end = align_down(NOW, DAY, CST)
    window = Window(end - 3 * DAY, end, DAY)
    got = await _parsed(running, Query("flow_day", ("img.example.com",), window, CST))
    traffic = [p for p in got if p.family.kind.value == "counter"]
    truth = ground.wangsu_channel_daily_traffic_bytes(
        emulator, "demo-wangsu", "img.example.com", window.start, window.end
    )
    assert _total(traffic) == pytest.approx(truth, rel=1e-12)
    got = await _parsed(running, Query("vod_transcoding", (), window, CST))
    truth = ground.wangsu_vod_transcoding_seconds(
        emulator, "demo-wangsu", "trans", window.start, window.end
    )
    assert _total(got) == pytest.approx(truth, rel=1e-12)
    assert [p.end for p in got] == [end - 2 * DAY, end - DAY, end]


async def test_settlement_areas_are_shares_of_the_domain_traffic(
    running: RunningEmulator,
) -> None:
    body = {
        "dateFrom": "2023-11-14T00:00:00+08:00",
        "dateTo": "2023-11-15T00:00:00+08:00",
        "domain": ["www.example.com"],
        "dataInterval": "1d",
    }
    by_area = {}
    for area in ("cn", "ov", "cn;ov"):
        reply = await raw_call(running, "/api/report/flow/area", {**body, "areaCode": area})
        assert reply.status == 200, reply.body
        by_area[area] = float(reply.json["flow-summary"])
    assert 0 < by_area["ov"] < by_area["cn"]
    assert by_area["cn;ov"] == pytest.approx(by_area["cn"] + by_area["ov"], abs=0.011)
    reply = await raw_call(running, "/api/report/flow/area", {**body, "areaCode": "mars"})
    assert reply.status == 400
    assert reply.json["code"] == "24102001"


async def test_wctquery_rejects_an_unknown_operation_and_a_bad_timezone(
    running: RunningEmulator,
) -> None:
    body = {"startdate": "2023-11-14", "enddate": "2023-11-14", "dataformat": "json"}
    reply = await raw_call(running, "/myview/Wctquery", {**body, "transcoding": "h266"})
    assert (reply.status, reply.json["code"]) == (400, "24102001")
    reply = await raw_call(running, "/myview/Wctquery", {**body, "timezone": "UTC+8"})
    assert (reply.status, reply.json["code"]) == (400, "24102020")
    reply = await raw_call(running, "/myview/Wctquery", {**body, "startdate": "2023-11-14 10:00"})
    assert (reply.status, reply.json["code"]) == (400, "24102021")


async def test_myview_takes_form_encoded_fields(running: RunningEmulator) -> None:
    url = running.base_url + "/myview/flow-day"
    data = b"startdate=2023-11-14&enddate=2023-11-14&channel=www.example.com&dataformat=json"
    headers = {
        "Host": f"127.0.0.1:{running.port}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    headers |= sign_aksk(
        "POST", url, headers, data, "DEMO_WANGSU_AK", "DEMO_WANGSU_SK_0123456789abcdef", int(NOW)
    )
    reply = await send(HttpRequest("POST", url, headers, data))
    assert reply.status == 200, reply.body
    assert reply.json["provider"]["date"]["channel"]["name"] == "www.example.com"


async def test_a_day_of_every_legacy_endpoint() -> None:
    """The exporter polls every legacy endpoint for a simulated day: no call beyond a
    limit, every family on /metrics (promtool-clean when promtool is installed), and
    the account total and the daily channel traffic equal the ground truth."""
    from collector.clock import VirtualClock
    from collector.demo import account_config
    from tests.integration.conftest import WANGSU as IT_WANGSU
    from tests.integration.conftest import running as running_exporter

    start = 1_700_000_000 - (1_700_000_000 + CST) % DAY + 900 + 60  # after a local midnight
    clock = VirtualClock(start)
    endpoints: dict[str, Any] = {name: {"enabled": True} for name in LEGACY}
    for name in ("flow_request", "flow_request_origin", "edge_hit_ratio"):
        endpoints[name] = {"enabled": False}

    def configure(base_url: str) -> list[dict[str, Any]]:
        return [account_config(IT_WANGSU, base_url, endpoints)]

    async with running_exporter(clock, [IT_WANGSU], configure) as (server, exporter):
        await clock.run_until(start + DAY + 2 * HOUR)
        emulator = server.emulator
        assert emulator.totals().throttled == 0
        assert all(p.up for p in exporter.pollers), [p.last_error for p in exporter.pollers]
        await exporter.render()
        body = exporter.rendered.plain
        for spec in (CATALOG[name] for name in LEGACY):
            for family in spec.families:
                assert f"\n{family.name}{{".encode() in body, family.name
        pollers = {p.settings.spec.name: p for p in exporter.pollers}
        account_poller = pollers["account_traffic"]
        begin, end = account_poller.store.baseline, account_poller.store.newest_settled_end
        assert begin is not None
        assert end is not None
        [(_, _, got)] = list(account_poller.store.series())
        truth = ground.wangsu_account_traffic_bytes(emulator, IT_WANGSU.name, begin, end)
        assert got == pytest.approx(truth, rel=1e-12)
        day_poller = pollers["flow_day"]
        begin, end = day_poller.store.baseline, day_poller.store.newest_settled_end
        assert begin is not None
        assert end is not None
        assert end - begin >= DAY - 2 * HOUR  # one whole day settled, never a partial one
        for family, labels, value in day_poller.store.series():
            if family.name == "cdn_channel_daily_traffic_bytes_total":
                truth = ground.wangsu_channel_daily_traffic_bytes(
                    emulator, IT_WANGSU.name, labels[0], begin, end
                )
                assert value == pytest.approx(truth, rel=1e-12)
                assert truth > 0
    promtool = shutil.which("promtool")
    if promtool is not None:
        process = await asyncio.create_subprocess_exec(
            promtool,
            "check",
            "metrics",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate(body)
        assert process.returncode == 0, output
