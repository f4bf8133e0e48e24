"""The CDNetworks spellings over loopback HTTP: the renamed routes and CDNetworks' own
(collector/emulator/wangsu/catalog_cdnetworks.py), requests built and signed by the
exporter's CDNetworks provider, answers classified and parsed by it; plus the documented
validation of the renamed keys and caps, and the ground truth."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from collector.emulator import Emulator, RunningEmulator
from collector.emulator import truth as ground
from collector.emulator.traffic import Quantity
from collector.http import HttpRequest, HttpResponse
from collector.model import Outcome
from collector.providers.endpoint import Query
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG
from collector.providers.wangsu.provider import CDNETWORKS
from collector.providers.wangsu.signing import sign_aksk
from collector.timeslices import DAY, HOUR, Window, align_down
from tests.accounts import load_account

from .conftest import CST, NOW, Reply
from .test_wangsu_legacy import send

# Every report CDNetworks spells its own way, or documents alone.
SPELLED = sorted(
    name
    for name, spec in CDNETWORKS_CATALOG.items()
    if name not in CATALOG or spec.path != CATALOG[name].path
)
AK, SK = "DEMO_CDNETWORKS_AK", "DEMO_CDNETWORKS_SK_0123456789abcd"


def account(base_url: str) -> Any:
    return load_account(
        {
            "name": "demo-cdnetworks",
            "provider": "cdnetworks",
            "auth": {"method": "aksk", "access_key": AK, "secret_key": SK},
            "domains": ["video.example.net", "dl.example.net"],
            "base_url": base_url,
        }
    )


def settled_query(endpoint: str, seconds: int) -> Query:
    spec = CDNETWORKS_CATALOG[endpoint]
    if seconds >= DAY:
        end = align_down(NOW, DAY, CST)
        window = Window(end - 2 * DAY, end, DAY)
    else:
        end = align_down(NOW, HOUR) - HOUR
        window = Window(end - min(HOUR, spec.granularity(seconds).max_span), end, seconds)
    domains = ("video.example.net", "dl.example.net")[: spec.max_domains_per_call]
    return Query(endpoint, domains, window, CST)


async def exporter_call(running: RunningEmulator, query: Query) -> Reply:
    spec = CDNETWORKS_CATALOG[query.endpoint]
    return await send(CDNETWORKS.build_request(account(running.base_url), spec, query, NOW))


def _classified(reply: Reply) -> Any:
    response = HttpResponse(
        reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.body
    )
    return CDNETWORKS.classify(response)


def test_the_spelled_reports_are_the_renamed_and_cdnetworks_own() -> None:
    assert len(SPELLED) == 9 + 14  # 8 renamed paths (9 reports), 14 of CDNetworks' own


@pytest.mark.parametrize(
    ("endpoint", "seconds"),
    [(name, g.seconds) for name in SPELLED for g in CDNETWORKS_CATALOG[name].slices],
)
async def test_exporter_call_is_answered_and_parsed(
    endpoint: str, seconds: int, running: RunningEmulator, emulator: Emulator
) -> None:
    query = settled_query(endpoint, seconds)
    reply = await exporter_call(running, query)
    assert reply.status == 200, reply.body
    classified = _classified(reply)
    assert classified.outcome is Outcome.SUCCESS, classified.message
    points = CDNETWORKS_CATALOG[endpoint].parse(classified.payload, query)
    assert points, reply.body[:300]
    assert {p.family for p in points} == set(CDNETWORKS_CATALOG[endpoint].families)
    assert max(p.end for p in points) == query.window.end
    assert emulator.totals().ok == 1


async def raw_call(
    running: RunningEmulator,
    path: str,
    body: dict[str, Any] | None,
    query_string: str = "",
    *,
    language: str | None = None,
) -> Reply:
    url = running.base_url + path + (f"?{query_string}" if query_string else "")
    method = "GET" if body is None else "POST"
    data = b"" if body is None else orjson.dumps(body)
    headers = {
        "Host": f"127.0.0.1:{running.port}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    if language is not None:
        headers["Accept-Language"] = language
    headers |= sign_aksk(method, url, headers, data, AK, SK, int(NOW))
    return await send(HttpRequest(method, url, headers, data))


def _iso(epoch: int) -> str:
    from collector.timeslices import format_request_time

    return format_request_time(epoch, CST)


_FROM, _TO = _iso(int(NOW) - 2 * HOUR), _iso(int(NOW) - HOUR)
_Q_FROM = _FROM.replace(":", "%3A").replace("+", "%2B")
_Q_TO = _TO.replace(":", "%3A").replace("+", "%2B")


@pytest.mark.parametrize(
    ("path", "body", "query_string", "code", "fragment"),
    [
        # The Wangsu key on a renamed route is refused ([?] ours), the renamed one taken.
        (
            "/api/report/traffic-request/origin",
            {"dateFrom": _FROM, "dateTo": _TO, "dataInterval": "1m"},
            "",
            "24102001",
            "dataInterval is spelled granularity",
        ),
        (
            "/api/report/traffic-request/origin",
            {"dateFrom": _FROM, "dateTo": _TO, "granularity": "1d"},
            "",
            "24102001",
            "granularity '1d' is not supported",
        ),
        (
            "/api/report/traffic",
            None,
            f"datefrom={_Q_FROM}&dateto={_Q_TO}&type=hourly",
            "InvalidHTTPRequest",  # the legacy family's code
            "type is spelled granularity",
        ),
        # The relay report takes days, in `timezone`.
        (
            "/cdn/traffic/relay",
            {"dateFrom": _FROM, "dateTo": _TO, "granularity": "1d"},
            "",
            "24102021",
            "yyyy-MM-dd",
        ),
        (
            "/cdn/traffic/relay",
            {"dateFrom": "2023-11-14", "dateTo": "2023-11-14", "timezone": "UTC"},
            "",
            "24102020",
            "X-Time-Zone",
        ),
        # 1000 domains a call on traffic-request (200 on Wangsu's flow-request).
        (
            "/api/report/traffic-request",
            {
                "dateFrom": _FROM,
                "dateTo": _TO,
                "domain": [f"d{i}.example.net" for i in range(1001)],
            },
            "",
            "24102019",
            "number of domain exceeds",
        ),
        (
            "/api/report/flow-request",
            {"dateFrom": _FROM, "dateTo": _TO, "domain": [f"d{i}.example.net" for i in range(201)]},
            "",
            "24102019",
            "number of domain exceeds",
        ),
    ],
)
async def test_documented_validation(
    running: RunningEmulator,
    path: str,
    body: dict[str, Any] | None,
    query_string: str,
    code: str,
    fragment: str,
) -> None:
    reply = await raw_call(running, path, body, query_string)
    assert reply.status == 400, reply.body
    assert reply.json["code"] == code
    assert fragment in reply.json["message"]


async def test_renamed_answers_carry_only_cdnetworks_keys(running: RunningEmulator) -> None:
    reply = await raw_call(
        running,
        "/api/report/traffic-request",
        {"dateFrom": _FROM, "dateTo": _TO, "domain": ["video.example.net"], "groupBy": ["domain"]},
    )
    [item] = reply.json["result"]
    assert set(item) == {
        "domain",
        "totalTraffic",
        "totalRequests",
        "peakBandwidth",
        "peakBandwidthTimestamp",
        "peakRequests",
        "peakRequestsTimestamp",
        "dataSeries",
    }
    assert set(item["dataSeries"][0]) == {"timestamp", "traffic", "bandwidth", "requests"}
    traffic = await raw_call(
        running,
        "/api/report/traffic",
        None,
        f"datefrom={_Q_FROM}&dateto={_Q_TO}&granularity=hourly",
    )
    assert set(traffic.json) == {"totalTraffic", "dataSeries"}
    # The DWA variant keeps Wangsu's keys (cdnetworks-brand-api.md §7).
    dwa = await raw_call(
        running,
        "/api/report/flow-request/dwa",
        {"dateFrom": _FROM, "dateTo": _TO, "domain": ["video.example.net"], "groupBy": ["domain"]},
    )
    assert "flowRequestData" in dwa.json["result"][0]


async def test_traffic_request_counters_match_the_ground_truth(running: RunningEmulator) -> None:
    query = settled_query("flow_request", 300)
    reply = await exporter_call(running, query)
    points = CDNETWORKS_CATALOG["flow_request"].parse(_classified(reply).payload, query)
    for domain in query.domains:
        got = sum(
            p.value
            for p in points
            if p.family.name == "cdn_traffic_bytes_total" and p.labels[0] == domain
        )
        truth = ground.wangsu_traffic_bytes(
            running.emulator, "demo-cdnetworks", domain, query.window.start, query.window.end
        )
        assert got == pytest.approx(truth, rel=1e-12)
        assert truth > 0


async def test_static_and_dynamic_edge_traffic_add_up_to_the_edge_traffic(
    running: RunningEmulator,
) -> None:
    query = settled_query("static_dynamic", 300)
    reply = await exporter_call(running, query)
    points = CDNETWORKS_CATALOG["static_dynamic"].parse(_classified(reply).payload, query)
    emulator = running.emulator
    for domain in query.domains:
        down = sum(
            p.value
            for p in points
            if p.labels[0] == domain and p.labels[1] == "edge" and p.labels[3] == "down"
        )
        truth = sum(
            emulator.traffic.value("demo-cdnetworks", domain, Quantity.FLOW, end - 300, 300)
            for end in range(int(query.window.start) + 300, int(query.window.end) + 1, 300)
        )
        # Each of the two halves is rounded to whole bytes.
        assert down == pytest.approx(truth * 1e6, abs=12 * 2)
        assert truth > 0
