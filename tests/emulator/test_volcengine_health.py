"""The Volcengine health APIs in the emulator, read through the exporter's declarations:
status codes (edge and origin), origin-pull traffic, online users and certificates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator

import orjson
import pytest

from collector.client import AiohttpTransport
from collector.clock import FakeClock
from collector.emulator import CallKey, Emulator, RunningEmulator
from collector.emulator import truth as ground
from collector.emulator.volcengine.catalog_health import live_streams
from collector.families import (
    CERTIFICATE_DOMAIN,
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_BANDWIDTH,
    ORIGIN_HTTP_RESPONSES,
    ORIGIN_TRAFFIC,
    REQUESTS,
)
from collector.model import Outcome, Point
from collector.poller import EndpointPoller
from collector.providers.volcengine.families import ONLINE_USERS, STREAM_ONLINE_USERS
from collector.providers.volcengine.provider import VOLCENGINE
from collector.selfmetrics import SelfMetrics
from collector.timeslices import HOUR, Window
from tests.accounts import load_account

from .conftest import NOW
from .test_volcengine import ACCOUNT, P1, P2, Live, error_of

SETTLED = Window(NOW - 2 * HOUR, NOW - HOUR, 300)


@pytest.fixture
async def live(
    running: RunningEmulator, emulator: Emulator, clock: FakeClock
) -> AsyncIterator[Live]:
    transport = AiohttpTransport()
    try:
        yield Live(running, emulator, clock, transport)
    finally:
        await transport.close()


def by_labels(points: list[Point], family_name: str) -> dict[tuple[str, ...], float]:
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    for point in points:
        if point.family.name == family_name:
            sums[point.labels] += point.value
    return dict(sums)


def classes(counts: dict[int, int]) -> dict[str, int]:
    """Counts per class; every class is exported, 0 when none of its codes came back."""
    out = dict.fromkeys(("1xx", "2xx", "3xx", "4xx", "5xx", "other"), 0)
    for code, value in counts.items():
        out[f"{code // 100}xx"] += value
    return out


async def test_edge_status_classes_equal_the_ground_truth(live: Live, emulator: Emulator) -> None:
    points = await live.points("status_codes", window=SETTLED)
    got = by_labels(points, HTTP_RESPONSES.name)
    for domain in (P1, P2):
        truth = ground.volcengine_status_counts(
            emulator, ACCOUNT, domain, "Access", SETTLED.start, SETTLED.end
        )
        assert {c: v for (d, c), v in got.items() if d == domain} == classes(truth)
        assert truth[200] > truth.get(502, 0) > 0
    # One point per domain, class and 5-minute bucket.
    assert {p.end for p in points} == set(range(SETTLED.start + 300, SETTLED.end + 1, 300))


async def test_origin_status_classes_read_type_source(live: Live, emulator: Emulator) -> None:
    request = live.request("origin_status_codes", window=SETTLED)
    assert orjson.loads(request.body)["Type"] == "Source"
    points = await live.points("origin_status_codes", window=SETTLED)
    got = by_labels(points, ORIGIN_HTTP_RESPONSES.name)
    truth = ground.volcengine_status_counts(
        emulator, ACCOUNT, P1, "Source", SETTLED.start, SETTLED.end
    )
    assert {c: v for (d, c), v in got.items() if d == P1} == classes(truth)
    edge = by_labels(await live.points("status_codes", window=SETTLED), HTTP_RESPONSES.name)
    assert got[(P1, "5xx")] / sum(v for (d, _), v in got.items() if d == P1) > edge[
        (P1, "5xx")
    ] / sum(v for (d, _), v in edge.items() if d == P1)


async def test_per_code_counts_keep_each_code(live: Live, emulator: Emulator) -> None:
    points = await live.points("status_codes_by_code", domains=(P1,), window=SETTLED)
    got = by_labels(points, HTTP_RESPONSES_BY_CODE.name)
    truth = ground.volcengine_status_counts(
        emulator, ACCOUNT, P1, "Access", SETTLED.start, SETTLED.end
    )
    assert got == {(P1, str(code)): float(v) for code, v in truth.items() if v}


async def test_status_codes_reject_what_the_api_does_not_take(live: Live) -> None:
    request = live.request("status_codes", window=SETTLED)
    body = orjson.loads(request.body)
    for bad in ({"Type": "Edge"}, {"ProtocolList": ["RTMP"]}, {"Aggregation": 30}):
        status, payload = await live.raw("DescribeLivePlayStatusCodeData", orjson.dumps(body | bad))
        assert status == 400, bad
        assert payload["ResponseMetadata"]["Error"]["Code"] == "InvalidParameter"
    # 60-second buckets span at most a day.
    too_long = body | {"Aggregation": 60, "StartTime": "2023-11-13T13:00:00+08:00"}
    status, _ = await live.raw("DescribeLivePlayStatusCodeData", orjson.dumps(too_long))
    assert status == 400


async def test_origin_pull_traffic_and_bandwidth(live: Live) -> None:
    points = await live.points("source_traffic", window=SETTLED)
    traffic = by_labels(points, ORIGIN_TRAFFIC.name)
    assert set(traffic) == {(P1,), (P2,)}
    assert all(v > 0 for v in traffic.values())
    assert {p.labels for p in points if p.family is ORIGIN_BANDWIDTH} == {(P1,), (P2,)}


async def test_sessions_split_spans_and_exclusive_domain(live: Live) -> None:
    points = await live.points("stream_sessions", window=SETTLED)
    assert {p.labels for p in points if p.family is ONLINE_USERS} == {(P1,), (P2,)}
    assert all(p.value > 0 for p in points if p.family is REQUESTS)
    body = orjson.loads(live.request("stream_sessions", window=SETTLED).body)
    assert body["OnlineUserType"] == "Online"
    # Two split dimensions: 300-second data spans one day, not 31.
    two = body | {
        "DetailField": ["Domain", "ISP"],
        "ISPList": ["telecom", "unicom"],
        "StartTime": "2023-11-13T13:00:00+08:00",
    }
    status, _ = await live.raw("DescribeLiveStreamSessionData", orjson.dumps(two))
    assert status == 400
    assert (await live.raw("DescribeLiveStreamSessionData", orjson.dumps(body)))[0] == 200
    both = body | {"Domain": P1}
    assert (await live.raw("DescribeLiveStreamSessionData", orjson.dumps(both)))[0] == 400


async def test_certificates_are_a_snapshot_at_the_window_end(
    live: Live, emulator: Emulator
) -> None:
    status, payload = await live.raw("ListCertV2", b"{}")
    assert status == 200
    result = payload["Result"]
    certs = result["CertList"]
    assert certs
    assert result["Total"] == len(certs)
    info = result["ExpirationInfo"]
    assert info["ActiveNum"] + info["ExpireNum"] == len(certs)
    assert all(c["NotAfter"].endswith("Z") for c in certs)
    window = Window(NOW - HOUR, NOW, HOUR)
    points = await live.points("certificates", domains=(), window=window)
    assert {p.end for p in points} == {NOW}
    expiry = {p.labels[0]: p.value for p in points if p.family is CERTIFICATE_NOT_AFTER}
    assert set(expiry) == {c["CertName"] for c in certs}
    assert all(30 * 86400 <= v - NOW <= 90 * 86400 for v in expiry.values())
    covered = {p.labels for p in points if p.family is CERTIFICATE_DOMAIN}
    assert covered == {(c["CertName"], d) for c in certs for d in c["CertDomainList"]}
    # Filters: Domain is exact, Available with Expiring picks expired ones.
    one = orjson.dumps({"Domain": certs[0]["CertDomainList"][0]})
    assert [c["CertID"] for c in (await live.raw("ListCertV2", one))[1]["Result"]["CertList"]] == [
        certs[0]["CertID"]
    ]
    expired = orjson.dumps({"Available": True, "Expiring": True})
    assert (await live.raw("ListCertV2", expired))[1]["Result"]["CertList"] == []
    status, payload = await live.raw("ListCertV2", b'{"Page": 1}')
    assert status == 400


async def test_certificates_allow_ten_calls_a_second(live: Live, emulator: Emulator) -> None:
    window = Window(NOW - HOUR, NOW, HOUR)
    for _ in range(10):
        request = live.request("certificates", (), window)
        assert (await live.send(request)).status == 200
    response = await live.send(live.request("certificates", (), window))
    assert response.status == 429
    assert error_of(response) == ("FlowLimitExceeded", 100018)
    assert VOLCENGINE.classify(response).outcome is Outcome.THROTTLED
    assert emulator.calls[CallKey("volcengine", ACCOUNT, "certificates")].throttled == 1


async def test_stream_peaks_one_per_stream_at_the_window_end(live: Live) -> None:
    window = Window(NOW - 2 * HOUR, NOW - 2 * HOUR + 300, 300)
    body = orjson.loads(live.request("stream_sessions_by_stream", window=window).body)
    assert "Aggregation" not in body
    assert (body["OnlineUserType"], body["PageNum"], body["PageSize"]) == ("Online", 1, 1000)
    points = await live.points("stream_sessions_by_stream", window=window)
    expected = {
        (domain, app, stream)
        for domain in (P1, P2)
        for app, stream, _ in live_streams(ACCOUNT, domain)
    }
    assert {p.labels for p in points} == expected
    assert {p.end for p in points} == {window.end}
    assert all(p.family is STREAM_ONLINE_USERS for p in points)
    assert sum(p.value for p in points) > 0


async def test_stream_sessions_validation_and_paging(live: Live) -> None:
    window = Window(NOW - 2 * HOUR, NOW - HOUR, HOUR)
    body = orjson.loads(live.request("stream_sessions_by_stream", window=window).body)
    action = "DescribeLiveBatchStreamSessionData"
    for bad in (
        {"Aggregation": 300},
        {"PageSize": 50},
        {"OnlineUserType": "ClientIP"},
        {"StartTime": "2023-11-13T13:00:00+08:00"},  # more than 24 hours
    ):
        status, payload = await live.raw(action, orjson.dumps(body | bad))
        assert status == 400, bad
        assert payload["ResponseMetadata"]["Error"]["Code"] == "InvalidParameter", bad
    status, payload = await live.raw(action, orjson.dumps(body | {"PageSize": 100}))
    assert status == 200
    result = payload["Result"]
    streams = sum(len(live_streams(ACCOUNT, d)) for d in (P1, P2))
    assert result["Pagination"] == {"PageNum": 1, "PageSize": 100, "TotalCount": streams}
    # The default OnlineUserType here is Viewer, a different (larger) quantity.
    viewers = orjson.dumps({k: v for k, v in body.items() if k != "OnlineUserType"})
    default = (await live.raw(action, viewers))[1]["Result"]
    assert default["PeakOnlineUser"] > result["PeakOnlineUser"]


async def test_stream_series_are_capped_by_max_series(live: Live) -> None:
    demo = live.emulator.account(ACCOUNT)
    account = load_account(
        {
            "name": ACCOUNT,
            "provider": "volcengine",
            "auth": {"access_key": demo.access_key, "secret_key": demo.secret_key},
            "base_url": live.running.base_url,
            "domains": list(demo.domains),
            "endpoints": {"stream_sessions_by_stream": {"enabled": True, "max_series": 3}},
        }
    )
    (settings,) = [s for s in account.endpoints if s.spec.name == "stream_sessions_by_stream"]
    poller = EndpointPoller(
        provider=VOLCENGINE,
        account=account,
        settings=settings,
        transport=live.transport,
        clock=live.clock,
        metrics=SelfMetrics(),
    )
    await poller.poll()
    assert poller.up
    assert len(list(poller.store.series())) == 3
