"""The official Volcengine SDK (`volcengine`, `LiveService` of Live 2023-01-01) against the
emulator: every API of the exporter's Volcengine catalog (ten usage APIs, four health
and audience APIs and ListCertV2), signed and sent by the
SDK over loopback HTTP (`set_scheme('http')`, `set_host('127.0.0.1:PORT')`, the demo
account's keys, region cn-north-1, the only region the Live SDK knows and the one the
emulator serves).

Bodies are the exporter's own (`Endpoint.build_body`), handed to the SDK method as the
dict it serialises. Expected Result keys are the references' (§4.2, health §3; the Go SDK's
generated models), not the emulator's code: each API's always-present fields, the
series item fields, and the split list when DetailField asks for a split of two or
more values (`SnapshotDetailData`, sic, for snapshots). Wrong keys must be answered with
the documented gateway codes (§3.2): SignatureDoesNotMatch (100010) for a wrong secret
key, InvalidAccessKey (100009) for an unknown access key.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from collector.clock import FakeClock
from collector.emulator import Emulator
from collector.providers.endpoint import Endpoint, FanOut, Query
from collector.providers.listing import endpoint_rows
from collector.providers.volcengine.catalog import CATALOG
from collector.providers.volcengine.declare import VERSION
from collector.timeslices import DAY, HOUR, Window, align_down

from .conftest import CST, NOW, Volcengine

ACCOUNT = "demo-volcengine"
REGION = "cn-north-1"
# Pull-to-push task groups and a time-shift vhost, as an account's config would name them.
GROUPS = ("relay-main", "relay-backup")
VHOST = "live.example.com"
ECHO = ("StartTime", "EndTime", "Aggregation")


@dataclass(frozen=True)
class Expect:
    """What a successful Result holds (reference §4.2)."""

    method: str  # the LiveService method
    keys: tuple[str, ...]  # always present
    series: str | None = None  # the time series list
    item: tuple[str, ...] = ()  # fields of each series item
    split: str | None = None  # the split list, when DetailField splits two or more values
    split_label: str | None = None  # the field naming each split item


EXPECT: dict[str, Expect] = {
    "DescribeLiveBandwidthData": Expect(
        "describe_live_bandwidth_data",
        ("PeakUpBandwidth", "PeakDownBandwidth", "BandwidthDataList", *ECHO),
        "BandwidthDataList",
        ("TimeStamp", "UpBandwidth", "DownBandwidth"),
        "BandwidthDetailDataList",
        "Domain",
    ),
    "DescribeLiveTrafficData": Expect(
        "describe_live_traffic_data",
        ("TotalUpTraffic", "TotalDownTraffic", "TrafficDataList", *ECHO),
        "TrafficDataList",
        ("TimeStamp", "UpTraffic", "DownTraffic"),
        "TrafficDetailDataList",
        "Domain",
    ),
    "DescribeLiveP95PeakBandwidthData": Expect(
        "describe_live_p95_peak_bandwidth_data",
        ("P95PeakBandwidth", "P95PeakTimestamp", *ECHO),
    ),
    "DescribeLivePullToPushBandwidthData": Expect(
        "describe_live_pull_to_push_bandwidth_data",
        ("PeakUpBandwidth", "BandwidthDataList"),
        "BandwidthDataList",
        ("TimeStamp", "UpBandwidth"),
        "BandwidthDetailDataList",
        "Group",
    ),
    "DescribeLivePullToPushData": Expect(
        "describe_live_pull_to_push_data",
        ("TotalDuration", "PullToPushDataList"),
        "PullToPushDataList",
        ("TimeStamp", "Value"),
        "PullToPushDetailDataList",
        "Group",
    ),
    "DescribeLiveRecordData": Expect(
        "describe_live_record_data",
        ("RecordPeak", "RecordDataList"),
        "RecordDataList",
        ("TimeStamp", "Value"),
        "RecordDetailDataList",
        "Domain",
    ),
    "DescribeLiveTranscodeData": Expect(
        "describe_live_transcode_data",
        ("Duration", "TranscodeDataList"),
        "TranscodeDataList",
        ("TimeStamp", "Duration", "Resolution", "TranscodeType"),
    ),
    "DescribeLiveSnapshotData": Expect(
        "describe_live_snapshot_data",
        ("Total", "SnapshotDataList"),
        "SnapshotDataList",
        ("TimeStamp", "Value"),
        "SnapshotDetailData",
        "Domain",
    ),
    "DescribeLiveAuditData": Expect(
        "describe_live_audit_data",
        ("TotalCount", "AuditDataList", "AuditDetailDataList", "DetailField", "DomainList"),
        "AuditDataList",
        ("TimeStamp", "Count"),
        "AuditDetailDataList",
        "Domain",
    ),
    "DescribeLiveTimeShiftData": Expect(
        "describe_live_time_shift_data",
        ("TimeShiftDataList",),
        "TimeShiftDataList",
        ("TimeStamp", "Storage"),
    ),
    # The health APIs (volcengine-health-billing-api.md §3, from the same Go models).
    "DescribeLivePlayStatusCodeData": Expect(
        "describe_live_play_status_code_data",
        ("StatusSummaryDataList", "StatusDataList", "Type", *ECHO),
        "StatusDataList",
        ("TimeStamp", "StatusSummaryDataList"),
        "StatusDetailDataList",
        "Domain",
    ),
    "DescribeLiveStreamSessionData": Expect(
        "describe_live_stream_session_data",
        ("PeakOnlineUser", "TotalRequest", "SessionDataList", *ECHO),
        "SessionDataList",
        ("TimeStamp", "OnlineUser", "Request"),
        "SessionDetailDataList",
        "Domain",
    ),
    "DescribeLiveSourceTrafficData": Expect(
        "describe_live_source_traffic_data",
        ("TotalTraffic", "PeakBandwidth", "TrafficDataList"),
        "TrafficDataList",
        ("TimeStamp", "Traffic", "Bandwidth"),
        "TrafficDetailDataList",
        "Domain",
    ),
    "DescribeLiveBatchStreamSessionData": Expect(
        "describe_live_batch_stream_session_data",
        ("PeakOnlineUser", "TotalRequest", "StreamInfoList", "Pagination"),
        "StreamInfoList",
        ("Domain", "App", "Stream", "PeakOnlineUser", "TotalRequest"),
    ),
    "ListCertV2": Expect(
        "list_cert_v2",
        ("CertList", "ExpirationInfo"),
        "CertList",
        ("CertID", "CertName", "CertDomainList", "NotBefore", "NotAfter", "Status"),
    ),
}

ENDPOINTS = sorted(CATALOG)
GRANULARITIES = [(name, g.seconds) for name in ENDPOINTS for g in CATALOG[name].slices]


def query_for(
    spec: Endpoint, emulator: Emulator, now: float = NOW, seconds: int | None = None
) -> Query:
    """A settled window at `seconds` (default: the endpoint's default Aggregation): the
    two local days before today for daily data, else the hour ending ten hours ago (past
    Record's 7-hour delay)."""
    seconds = seconds or spec.slices[0].seconds
    if seconds == DAY:
        end = align_down(now, DAY, CST)
        window = Window(end - 2 * DAY, end, DAY)
    else:
        end = align_down(now, HOUR) - 10 * HOUR
        window = Window(end - HOUR, end, seconds)
    domains = emulator.account(ACCOUNT).domains
    scope: tuple[str, ...] = ()
    if spec.fan_out is FanOut.DOMAIN_BATCHES:
        picked = domains[: spec.max_domains_per_call]
    elif spec.fan_out is FanOut.PER_DOMAIN:
        picked = domains[:1]
    elif spec.fan_out is FanOut.ACCOUNT:
        picked = ()
    else:
        picked = ()
        scope = GROUPS if spec.fan_out is FanOut.GROUP_BATCHES else (VHOST,)
    return Query(spec.name, tuple(picked), window, CST, scope=scope)


def splits(query: Query) -> bool:
    """Whether the body asks for a split that comes back (two or more values)."""
    return len(query.domains) >= 2 or len(query.scope) >= 2


async def call(
    volcengine: Volcengine, emulator: Emulator, endpoint: str, seconds: int | None = None
) -> tuple[Query, Any]:
    spec = CATALOG[endpoint]
    query = query_for(spec, emulator, seconds=seconds)
    answer = await volcengine.call(EXPECT[spec.path].method, spec.build_body(query))
    return query, answer


def test_every_catalog_api_is_called() -> None:
    assert {spec.path for spec in CATALOG.values()} == set(EXPECT)
    assert len(EXPECT) == 15


def test_sdk_aims_at_the_emulator_only(volcengine: Volcengine) -> None:
    info = volcengine.service.service_info
    assert info.scheme == "http"
    assert info.host.startswith("127.0.0.1:")
    assert info.credentials.region == REGION
    assert info.credentials.service == "live"


@pytest.mark.parametrize(("endpoint", "seconds"), GRANULARITIES)
async def test_live_service_call_succeeds(
    endpoint: str, seconds: int, volcengine: Volcengine, emulator: Emulator
) -> None:
    """Every Aggregation the catalog offers for every API."""
    query, answer = await call(volcengine, emulator, endpoint, seconds)
    action = CATALOG[endpoint].path
    expect = EXPECT[action]
    meta = answer["ResponseMetadata"]
    assert "Error" not in meta, meta
    assert {k: meta.get(k) for k in ("Action", "Version", "Service", "Region")} == {
        "Action": action,
        "Version": VERSION,
        "Service": "live",
        "Region": REGION,
    }
    assert meta.get("RequestId")
    result = answer["Result"]
    missing = [k for k in expect.keys if k not in result]
    assert missing == [], f"{action}: Result lacks {missing}; has {sorted(result)}"
    if expect.series is not None:
        series = result[expect.series]
        assert series, f"{action}: empty {expect.series}"
        bad = [item for item in series if not set(expect.item) <= set(item)]
        assert bad == [], f"{action}: {expect.series} items lack {expect.item}: {bad[:1]}"
    if expect.split is not None and splits(query):
        detail = result.get(expect.split)
        assert detail, f"{action}: no {expect.split} though the body asks for a split"
        labels = [item.get(expect.split_label) for item in detail]
        assert sorted(labels) == sorted(query.domains or query.scope), labels
        assert all(expect.series in item for item in detail), detail[:1]
    counts = emulator.totals(provider="volcengine")
    assert (counts.total, counts.ok) == (1, 1), counts


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_exporter_parses_what_live_service_got(
    endpoint: str, volcengine: Volcengine, emulator: Emulator
) -> None:
    query, answer = await call(volcengine, emulator, endpoint)
    points = CATALOG[endpoint].parse(answer["Result"], query)  # the provider unwraps Result
    assert points, f"{endpoint}: no points"


def gateway_error(exc: BaseException) -> dict[str, Any]:
    """The SDK raises a bare Exception carrying the error body's bytes (reference §6)."""
    raw = exc.args[0]
    body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    error: dict[str, Any] = body["ResponseMetadata"]["Error"]
    assert "Result" not in body
    return error


async def test_wrong_secret_key_is_rejected(volcengine: Volcengine, emulator: Emulator) -> None:
    volcengine.service.set_sk(emulator.account(ACCOUNT).secret_key + "x")
    with pytest.raises(Exception, match="SignatureDoesNotMatch") as info:
        await call(volcengine, emulator, "bandwidth")
    error = gateway_error(info.value)
    assert (error.get("CodeN"), error["Code"]) == (100010, "SignatureDoesNotMatch")
    counts = emulator.totals(provider="volcengine")
    assert (counts.total, counts.auth_failures) == (1, 1), counts


async def test_wrong_access_key_is_rejected(volcengine: Volcengine, emulator: Emulator) -> None:
    volcengine.service.set_ak("AKLTNOSUCHKEY0000")
    with pytest.raises(Exception, match="InvalidAccessKey") as info:
        await call(volcengine, emulator, "bandwidth")
    error = gateway_error(info.value)
    assert (error.get("CodeN"), error["Code"]) == (100009, "InvalidAccessKey")
    counts = emulator.totals(provider="volcengine")
    assert (counts.total, counts.auth_failures) == (1, 1), counts


class TestRealSdkClock:
    """The SDK's own X-Date, unpatched: the emulator clock is set to the real time."""

    @pytest.fixture
    def sdk_clock(self) -> bool:
        return False

    async def test_unpatched_sdk_date_is_accepted(
        self, volcengine: Volcengine, emulator: Emulator, clock: FakeClock
    ) -> None:
        now = float(int(time.time()))
        clock.set(now)
        spec = CATALOG["traffic"]
        query = query_for(spec, emulator, now)
        answer = await volcengine.call(EXPECT[spec.path].method, spec.build_body(query))
        assert "Error" not in answer["ResponseMetadata"]
        assert answer["Result"]["TrafficDataList"]

    async def test_date_far_from_server_time_is_rejected(
        self, volcengine: Volcengine, emulator: Emulator, clock: FakeClock
    ) -> None:
        clock.set(float(int(time.time())) - 3600)  # server an hour behind the SDK
        with pytest.raises(Exception, match="InvalidTimestamp") as info:
            await call(volcengine, emulator, "bandwidth")
        assert gateway_error(info.value)["Code"] == "InvalidTimestamp"


def test_every_listed_api_is_covered() -> None:
    """What `cdn-exporter --list-endpoints --output json` prints, against EXPECT."""
    listed = {row["path"] for row in endpoint_rows() if row["provider"] == "volcengine"}
    assert listed == set(EXPECT)
