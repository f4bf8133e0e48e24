"""The Volcengine Live emulator: V4 verification, envelope, limits, delay and data shapes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from collector.client import AiohttpTransport
from collector.clock import FakeClock
from collector.config.runtime import Account
from collector.emulator import CallKey, EmulatedAccount, Emulator, RunningEmulator, start
from collector.emulator import truth as ground
from collector.emulator import volcengine as emu
from collector.families import TRAFFIC
from collector.http import HttpRequest, HttpResponse, host_header
from collector.model import Outcome, Point
from collector.poller import EndpointPoller
from collector.providers.base import Query
from collector.providers.volcengine import signing
from collector.providers.volcengine.catalog import CATALOG
from collector.providers.volcengine.provider import VOLCENGINE
from collector.selfmetrics import SelfMetrics
from collector.timeslices import DAY, HOUR, Window
from tests.accounts import load_account

from .conftest import CST, NOW

ACCOUNT = "demo-volcengine"
P1, P2 = "pull.live.example.com", "play.live.example.com"


def scope_of(options: dict[str, Any]) -> tuple[str, ...]:
    """A query's scope: the groups or the vhost a call names."""
    return tuple(options.get("pull_to_push_groups") or options.get("time_shift_vhosts") or ())


@dataclass
class Live:
    """Signs with the provider's own build_request and sends through its transport."""

    running: RunningEmulator
    emulator: Emulator
    clock: FakeClock
    transport: AiohttpTransport

    def account(self, **auth: str) -> Account:
        demo = self.emulator.account(ACCOUNT)
        keys = {"access_key": demo.access_key, "secret_key": demo.secret_key, **auth}
        return load_account(
            {
                "name": ACCOUNT,
                "provider": "volcengine",
                "auth": keys,
                "base_url": self.running.base_url,
                "domains": list(demo.domains),
            }
        )

    def request(
        self,
        endpoint: str,
        domains: tuple[str, ...] = (P1, P2),
        window: Window | None = None,
        *,
        signed_at: float | None = None,
        account: Account | None = None,
        **options: Any,
    ) -> HttpRequest:
        spec = CATALOG[endpoint]
        step = spec.granularities[0]
        window = window or Window(NOW - 2 * HOUR, NOW - HOUR, step)
        query = Query(endpoint, domains, window, CST, scope_of(options))
        when = self.clock.time() if signed_at is None else signed_at
        return VOLCENGINE.build_request(account or self.account(), spec, query, when)

    async def send(self, request: HttpRequest) -> HttpResponse:
        return await self.transport.send(request, 10.0)

    async def raw(self, action: str, body: bytes = b"", version: str = "2023-01-01") -> Any:
        """A signed call to any Action (the lookups have no catalog entry)."""
        demo = self.emulator.account(ACCOUNT)
        url = f"{self.running.base_url}/?Action={action}&Version={version}"
        headers = {"Content-Type": "application/json", "Host": host_header(url)}
        x_date = signing.format_x_date(self.clock.time())
        headers.update(
            signing.sign("POST", url, headers, body, demo.access_key, demo.secret_key, x_date)
        )
        response = await self.send(HttpRequest("POST", url, headers, body))
        return response.status, orjson.loads(response.body)

    async def points(self, endpoint: str, **kwargs: Any) -> list[Point]:
        request = self.request(endpoint, **kwargs)
        classified = VOLCENGINE.classify(await self.send(request))
        assert classified.outcome is Outcome.SUCCESS, classified.message
        query = Query(
            endpoint,
            kwargs.get("domains", (P1, P2)),
            kwargs.get("window") or Window(NOW - 2 * HOUR, NOW - HOUR, request_step(endpoint)),
            CST,
            scope_of(kwargs),
        )
        return CATALOG[endpoint].parse(classified.payload, query)


def request_step(endpoint: str) -> int:
    return CATALOG[endpoint].granularities[0]


@pytest.fixture
async def live(
    running: RunningEmulator, emulator: Emulator, clock: FakeClock
) -> AsyncIterator[Live]:
    transport = AiohttpTransport()
    try:
        yield Live(running, emulator, clock, transport)
    finally:
        await transport.close()


def body_of(response: HttpResponse) -> Any:
    return orjson.loads(response.body)


def error_of(response: HttpResponse) -> tuple[str, int | None]:
    error = body_of(response)["ResponseMetadata"]["Error"]
    return error["Code"], error.get("CodeN")


# ---- authentication -------------------------------------------------------------------


async def test_accepts_a_request_signed_by_the_provider(live: Live, emulator: Emulator) -> None:
    response = await live.send(live.request("traffic"))
    assert response.status == 200, response.body
    payload = body_of(response)
    meta = payload["ResponseMetadata"]
    assert (meta["Action"], meta["Version"], meta["Service"], meta["Region"]) == (
        "DescribeLiveTrafficData",
        "2023-01-01",
        "live",
        "cn-north-1",
    )
    assert "Error" not in meta
    result = payload["Result"]
    assert [d["Domain"] for d in result["TrafficDetailDataList"]] == [P1, P2]
    stamps = [i["TimeStamp"] for i in result["TrafficDataList"]]
    assert len(stamps) == 12
    assert all(s.endswith("+08:00") for s in stamps)
    assert emulator.calls[CallKey("volcengine", ACCOUNT, "traffic")].ok == 1


async def test_rejects_a_changed_body_byte(live: Live, emulator: Emulator) -> None:
    request = live.request("traffic")
    tampered = request.body.replace(b'"Aggregation":300', b'"Aggregation":301')
    assert tampered != request.body
    response = await live.send(dataclasses.replace(request, body=tampered))
    assert response.status == 401
    assert error_of(response) == ("SignatureDoesNotMatch", 100010)
    assert "Result" not in body_of(response)
    assert emulator.calls[CallKey("volcengine", ACCOUNT, "traffic")].auth_failures == 1
    assert VOLCENGINE.classify(response).outcome is Outcome.AUTH_FAILURE


async def test_rejects_a_wrong_secret_key(live: Live) -> None:
    demo = live.emulator.account(ACCOUNT)
    account = live.account(secret_key=demo.secret_key + "x")
    response = await live.send(live.request("traffic", account=account))
    assert (response.status, error_of(response)) == (401, ("SignatureDoesNotMatch", 100010))


async def test_rejects_an_unknown_access_key(live: Live) -> None:
    response = await live.send(live.request("traffic", account=live.account(access_key="AKLTno")))
    assert (response.status, error_of(response)) == (401, ("InvalidAccessKey", 100009))


async def test_rejects_a_stale_x_date(live: Live) -> None:
    response = await live.send(live.request("traffic", signed_at=NOW - 901))
    assert (response.status, error_of(response)) == (400, ("InvalidTimestamp", 100006))
    response = await live.send(live.request("traffic", signed_at=NOW + 901))
    assert error_of(response) == ("InvalidTimestamp", 100006)
    assert (await live.send(live.request("traffic", signed_at=NOW - 600))).status == 200


async def test_rejects_a_missing_authorization(live: Live) -> None:
    request = live.request("traffic")
    headers = {k: v for k, v in request.headers.items() if k != "Authorization"}
    response = await live.send(dataclasses.replace(request, headers=headers))
    assert (response.status, error_of(response)) == (401, ("MissingAuthenticationToken", 100003))


async def test_sts_session_token(clock: FakeClock) -> None:
    sts = EmulatedAccount(
        "volcengine", ACCOUNT, "AKLTsts", "stsSecret", "", "", (P1, P2), session_token="tok"
    )
    emulator = Emulator([sts], clock=clock)
    async with await start(emulator) as running:
        transport = AiohttpTransport()
        try:
            live = Live(running, emulator, clock, transport)
            good = live.account(access_key="AKLTsts", secret_key="stsSecret", session_token="tok")
            assert (await live.send(live.request("traffic", account=good))).status == 200
            bad = live.account(access_key="AKLTsts", secret_key="stsSecret", session_token="no")
            response = await live.send(live.request("traffic", account=bad))
            assert (response.status, error_of(response)[0]) == (401, "InvalidSecretToken")
        finally:
            await transport.close()


# ---- routing, throttling, faults ------------------------------------------------------


async def test_unknown_action_or_version(live: Live) -> None:
    status, payload = await live.raw("DescribeLiveTrafficDatta")
    assert status == 404
    assert payload["ResponseMetadata"]["Error"]["Code"] == "InvalidActionOrVersion"
    assert payload["ResponseMetadata"]["Error"]["CodeN"] == 100008
    status, _ = await live.raw("DescribeLiveTrafficData", version="2020-08-01")
    assert status == 404


async def test_thirty_calls_per_second_per_action(live: Live, emulator: Emulator) -> None:
    window = Window(NOW - HOUR, NOW - HOUR + 300, 300)
    for _ in range(30):
        assert (await live.send(live.request("traffic", (P1,), window))).status == 200
    response = await live.send(live.request("traffic", (P1,), window))
    assert response.status == 429
    assert error_of(response) == ("FlowLimitExceeded", 100018)
    assert VOLCENGINE.classify(response).outcome is Outcome.THROTTLED
    assert emulator.calls[CallKey("volcengine", ACCOUNT, "traffic")].throttled == 1
    # The limit is per Action: another API still answers in the same second.
    assert (await live.send(live.request("bandwidth", (P1,), window))).status == 200
    live.clock.advance(1.0)
    assert (await live.send(live.request("traffic", (P1,), window))).status == 200


async def test_error_inside_a_200_fault(live: Live, emulator: Emulator) -> None:
    emulator.inject("record", "error_code")
    response = await live.send(live.request("record"))
    assert response.status == 200
    assert "Result" not in body_of(response)
    assert VOLCENGINE.classify(response).outcome is Outcome.SERVER_ERROR


async def test_server_error_fault(live: Live, emulator: Emulator) -> None:
    emulator.inject("traffic", "server_error")
    response = await live.send(live.request("traffic"))
    assert (response.status, error_of(response)) == (500, ("InternalError", 100014))


async def test_isp_and_region_lookups(live: Live) -> None:
    status, payload = await live.raw("DescribeLiveISPData")
    assert status == 200
    codes = {i["Code"] for i in payload["Result"]["ISPList"]}
    assert {"telecom", "unicom", "mobile", "huashu"} <= codes
    status, payload = await live.raw("DescribeLiveRegionData", b"{}")
    assert status == 200
    china = next(a for a in payload["Result"]["Areas"] if a["Code"] == "CN")
    assert china["Countries"][0]["Code"] == "CN"
    assert {p["Code"] for p in china["Countries"][0]["Provinces"]} >= {"beijing"}


# ---- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("DescribeLiveTrafficData", {"StartTime": "2023-11-15T10:00:00+08:00"}),
        (
            "DescribeLiveTrafficData",
            {
                "StartTime": "2023-11-15T10:00:00+08:00",
                "EndTime": "2023-11-15T11:00:00+08:00",
                "Aggregation": 60,
            },
        ),
        (
            "DescribeLiveTrafficData",
            {
                "StartTime": "2023-09-01T00:00:00+08:00",
                "EndTime": "2023-11-01T00:00:00+08:00",
                "Aggregation": 300,
            },
        ),
        (
            "DescribeLiveBandwidthData",
            {
                "StartTime": "2023-11-15T10:00:00+08:00",
                "EndTime": "2023-11-15T11:00:00+08:00",
                "RegionList": [{"Area": "CN"}],
                "UserRegionList": [{"Area": "CN"}],
            },
        ),
        (
            "DescribeLiveBandwidthData",
            {
                "StartTime": "2023-11-15T10:00:00+08:00",
                "EndTime": "2023-11-15T11:00:00+08:00",
                "ProtocolList": ["QUIC", "RTMP"],
            },
        ),
        (
            "DescribeLiveTranscodeData",
            {
                "StartTime": "2023-11-14T00:00:00+08:00",
                "EndTime": "2023-11-15T00:00:00+08:00",
                "Aggregation": 300,
            },
        ),
        (
            "DescribeLiveTrafficData",
            {
                "StartTime": "2023-11-15T10:00:00+08:00",
                "EndTime": "2023-11-15T11:00:00+08:00",
                "DomainList": ["not.in.account.example"],
            },
        ),
    ],
    ids=["no-end", "aggregation", "span", "both-regions", "quic", "transcode-300", "domain"],
)
async def test_invalid_parameters(live: Live, action: str, body: dict[str, Any]) -> None:
    status, payload = await live.raw(action, orjson.dumps(body))
    assert status == 400
    assert payload["ResponseMetadata"]["Error"]["Code"] in ("InvalidParameter", "MissingParameter")


# ---- shapes -----------------------------------------------------------------------------


async def test_detail_only_with_two_or_more_values(live: Live) -> None:
    single = body_of(await live.send(live.request("traffic", (P1,))))["Result"]
    assert "TrafficDetailDataList" not in single
    both = body_of(await live.send(live.request("traffic", (P1, P2))))["Result"]
    per_domain = {d["Domain"]: d for d in both["TrafficDetailDataList"]}
    assert per_domain[P1]["TrafficDataList"] == single["TrafficDataList"]


async def test_snapshot_detail_data_quirk(live: Live) -> None:
    result = body_of(await live.send(live.request("snapshot")))["Result"]
    assert "SnapshotDetailDataList" not in result
    assert [d["Domain"] for d in result["SnapshotDetailData"]] == [P1, P2]
    assert result["Total"] == sum(d["Total"] for d in result["SnapshotDetailData"])


async def test_data_delay_hides_then_revises_the_newest_buckets(live: Live) -> None:
    window = Window(NOW - HOUR, NOW, 300)
    result = body_of(await live.send(live.request("traffic", (P1,), window)))["Result"]
    stamps = [i["TimeStamp"] for i in result["TrafficDataList"]]
    # Buckets younger than visible_after (5 min) are missing: the last shown ends at NOW-5m.
    assert stamps[-1] == "2023-11-15T12:50:00+08:00"
    assert len(stamps) == 11
    start_of = {i["TimeStamp"]: i["DownTraffic"] for i in result["TrafficDataList"]}
    partial = start_of["2023-11-15T12:50:00+08:00"]
    final = ground.volcengine_down_traffic_gb(live.emulator, ACCOUNT, P1, NOW - 600)
    assert partial < final
    settled = start_of["2023-11-15T12:40:00+08:00"]  # ended 15 minutes ago: final
    assert settled == ground.volcengine_down_traffic_gb(live.emulator, ACCOUNT, P1, NOW - 1200)


async def test_record_waits_seven_hours(live: Live) -> None:
    window = Window(NOW - 8 * HOUR, NOW, 300)
    result = body_of(await live.send(live.request("record", (P1,), window)))["Result"]
    # Shown (partial) from 6 h 50 min after the bucket ends, final at 7 h.
    assert result["RecordDataList"][-1]["TimeStamp"] == "2023-11-15T06:05:00+08:00"


async def test_all_ten_apis_parse_through_the_provider(live: Live) -> None:
    day = Window(NOW - 13 * HOUR - DAY, NOW - 13 * HOUR, DAY)  # 2023-11-14 +08:00
    hour = Window(NOW - 9 * HOUR, NOW - 8 * HOUR, 300)
    cases: dict[str, dict[str, Any]] = {
        "bandwidth": {},
        "traffic": {},
        "p95_peak_bandwidth": {"domains": (P1,)},
        "pull_to_push_bandwidth": {"domains": (), "pull_to_push_groups": list(emu.GROUPS)},
        "pull_to_push": {
            "domains": (),
            "window": Window(NOW - 2 * HOUR, NOW - HOUR, 60),
            "pull_to_push_groups": ["relay-main"],
        },
        "record": {"window": hour},
        "transcode": {"domains": (P1,), "window": day},
        "snapshot": {},
        "audit": {"window": day},
        "time_shift": {"domains": (), "window": day, "time_shift_vhosts": ["live.example.com"]},
    }
    for endpoint, kwargs in cases.items():
        points = await live.points(endpoint, **kwargs)
        assert points, endpoint
        assert {p.family for p in points} <= set(CATALOG[endpoint].families), endpoint
    relays = await live.points("pull_to_push_bandwidth", **cases["pull_to_push_bandwidth"])
    labels = {p.labels for p in relays}
    assert labels == {("relay-main",), ("relay-backup",)}


async def test_daily_traffic_matches_the_ground_truth(live: Live) -> None:
    """Per-domain DownTraffic over a settled day, parsed as the exporter does."""
    window = Window(NOW - 13 * HOUR - DAY, NOW - 13 * HOUR, 300)  # 2023-11-14 +08:00
    points = await live.points("traffic", window=window)
    for domain in (P1, P2):
        down = [p for p in points if p.family is TRAFFIC and p.labels == (domain, "down")]
        assert len(down) == 288
        total = 0.0
        for point in sorted(down, key=lambda p: p.end):
            total += point.value
        truth = ground.volcengine_down_traffic_bytes(
            live.emulator, ACCOUNT, domain, window.start, window.end
        )
        assert total == pytest.approx(truth, rel=1e-12)
    assert ground.volcengine_settled_through(live.emulator) == NOW - 900


async def test_every_endpoint_polls_cleanly_and_fills_its_families(live: Live) -> None:
    """The exporter's own poller, default settings, against the emulator: no failures,
    and every default Volcengine family gets series (settled data from the first poll)."""
    account = live.account()
    metrics = SelfMetrics()
    filled = set()
    for settings in account.endpoints:
        poller = EndpointPoller(
            provider=VOLCENGINE,
            account=account,
            settings=settings,
            transport=live.transport,
            clock=live.clock,
            metrics=metrics,
        )
        await poller.poll()
        assert poller.up, settings.spec.name
        filled |= {family for family, _, _ in poller.store.series()}
    # Opt-in endpoints (per-code status counts) are off by default.
    assert filled == {f for spec in CATALOG.values() if not spec.opt_in for f in spec.families}
    assert live.emulator.totals("volcengine").throttled == 0
