"""The Volcengine catalog as data: actions, limits, granularities, delays and families."""

from __future__ import annotations

import pytest

from collector.config.endpoints import enabled_endpoints
from collector.families import (
    BANDWIDTH,
    HEALTH_FAMILIES,
    ORIGIN_BANDWIDTH,
    ORIGIN_RESPONSE_TIME,
    ORIGIN_TRAFFIC,
    REQUESTS,
    TRAFFIC,
)
from collector.model import Kind, RateLimit
from collector.providers import get_provider, help_for
from collector.providers.volcengine.catalog import (
    CATALOG,
    data_delay_for,
    max_span_for,
)
from collector.providers.volcengine.config import VolcengineAccountModel
from collector.providers.volcengine.families import LIVE_FAMILIES
from collector.providers.volcengine.provider import VOLCENGINE

DAY, HOUR, MINUTE = 86400, 3600, 60

EXPECTED = {
    # name: (action, granularities, default max span, data delay, domains per call)
    "bandwidth": ("DescribeLiveBandwidthData", (300, HOUR, DAY), 31 * DAY, 900, 100),
    "traffic": ("DescribeLiveTrafficData", (300, HOUR, DAY), 31 * DAY, 900, 100),
    "p95_peak_bandwidth": ("DescribeLiveP95PeakBandwidthData", (300,), 93 * DAY, 900, 1),
    "pull_to_push_bandwidth": (
        "DescribeLivePullToPushBandwidthData", (300, HOUR, DAY), 31 * DAY, 900, 0,
    ),
    "pull_to_push": ("DescribeLivePullToPushData", (MINUTE, HOUR, DAY), DAY, 900, 0),
    "record": ("DescribeLiveRecordData", (300, HOUR, DAY), 31 * DAY, 7 * HOUR, 100),
    "transcode": ("DescribeLiveTranscodeData", (DAY,), 93 * DAY, 20 * MINUTE, 1),
    "snapshot": ("DescribeLiveSnapshotData", (300, HOUR, DAY), 31 * DAY, 900, 100),
    "audit": ("DescribeLiveAuditData", (DAY,), 93 * DAY, 900, 100),
    "time_shift": ("DescribeLiveTimeShiftData", (DAY,), 93 * DAY, 8 * HOUR, 0),
    "status_codes": ("DescribeLivePlayStatusCodeData", (300, MINUTE, HOUR), 31 * DAY, 900, 100),
    "status_codes_by_code": (
        "DescribeLivePlayStatusCodeData", (300, MINUTE, HOUR), 31 * DAY, 900, 100,
    ),
    "origin_status_codes": (
        "DescribeLivePlayStatusCodeData", (300, MINUTE, HOUR), 31 * DAY, 900, 100,
    ),
    "source_traffic": ("DescribeLiveSourceTrafficData", (300, MINUTE, HOUR), 31 * DAY, 900, 100),
    "stream_sessions": ("DescribeLiveStreamSessionData", (300, MINUTE, HOUR), 31 * DAY, 900, 100),
    "stream_sessions_by_stream": (
        "DescribeLiveBatchStreamSessionData", (300, HOUR), 300, 300, 100,
    ),
    "certificates": ("ListCertV2", (HOUR,), 31 * DAY, 0, 0),
}  # fmt: skip
OPT_IN = {"status_codes_by_code", "stream_sessions_by_stream"}
STATUS_CODES = {"status_codes", "status_codes_by_code", "origin_status_codes"}


def test_every_api() -> None:
    assert set(CATALOG) == set(EXPECTED)
    assert get_provider("volcengine") is VOLCENGINE
    assert VOLCENGINE.default_base_url == "https://live.volcengineapi.com"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entry(name: str) -> None:
    spec = CATALOG[name]
    action, granularities, span, delay, domains = EXPECTED[name]
    assert spec.name == name
    assert (spec.path, spec.method, spec.envelope) == (action, "POST", "volcengine")
    # ListCertV2's own 10/s; the three status-code declarations share one Action's 30/s.
    shares = name == "certificates" or name in STATUS_CODES
    assert spec.rate_limit == (RateLimit(10, 1) if shares else RateLimit(30, 1))
    assert spec.opt_in == (name in OPT_IN)
    assert spec.granularities == granularities
    assert spec.max_span == span
    assert spec.data_delay == delay
    assert spec.max_domains_per_call == domains
    assert spec.families
    assert spec.description


def test_spans_and_delays_per_granularity() -> None:
    assert max_span_for("bandwidth", HOUR) == 93 * DAY
    assert max_span_for("pull_to_push", MINUTE) == DAY
    assert max_span_for("pull_to_push", DAY) == 93 * DAY
    assert data_delay_for("pull_to_push", MINUTE) == 5 * MINUTE
    assert data_delay_for("pull_to_push", HOUR) == 15 * MINUTE
    assert data_delay_for("record", HOUR) == 7 * HOUR
    with pytest.raises(ValueError, match="not offered"):
        max_span_for("transcode", 300)
    for name, spec in CATALOG.items():
        assert all(max_span_for(name, g) >= g for g in spec.granularities)
        # The spec's delay is safe for every granularity it offers.
        assert all(data_delay_for(name, g) <= spec.data_delay for g in spec.granularities)


def test_core_families_feed_bandwidth_and_traffic() -> None:
    assert CATALOG["bandwidth"].families == (BANDWIDTH,)
    assert CATALOG["traffic"].families == (TRAFFIC,)
    assert BANDWIDTH.labels == ("domain", "direction") == TRAFFIC.labels


def test_live_families() -> None:
    names = {f.name: f for f in LIVE_FAMILIES}
    assert set(names) == {
        "cdn_live_p95_peak_bandwidth_bytes_per_second",
        "cdn_live_pull_to_push_bandwidth_bytes_per_second",
        "cdn_live_pull_to_push_duration_seconds_total",
        "cdn_live_recording_concurrent",
        "cdn_live_transcode_duration_seconds_total",
        "cdn_live_snapshots_total",
        "cdn_live_audit_images_total",
        "cdn_live_time_shift_storage_bytes",
        "cdn_live_online_users",
        "cdn_live_stream_online_users",
    }
    for family in LIVE_FAMILIES:
        assert (family.kind is Kind.COUNTER) == family.name.endswith("_total")
        assert "Volcengine Describe" in help_for(family)
    assert names["cdn_live_transcode_duration_seconds_total"].labels == (
        "domain",
        "resolution",
        "codec",
    )
    assert names["cdn_live_pull_to_push_bandwidth_bytes_per_second"].labels == ("group",)
    assert names["cdn_live_time_shift_storage_bytes"].labels == ("vhost",)
    assert "2^30" in help_for(names["cdn_live_time_shift_storage_bytes"])
    assert "minutes times 60" in help_for(names["cdn_live_pull_to_push_duration_seconds_total"])
    covered = {f for spec in CATALOG.values() for f in spec.families}
    assert covered == set(LIVE_FAMILIES) | {BANDWIDTH, TRAFFIC, REQUESTS} | (
        set(HEALTH_FAMILIES) - {ORIGIN_RESPONSE_TIME}
    ) | {
        ORIGIN_BANDWIDTH,
        ORIGIN_TRAFFIC,
    }


def test_every_endpoint_is_enabled_by_default() -> None:
    account = VolcengineAccountModel.model_validate(
        {"name": "v", "provider": "volcengine", "auth": {"access_key": "a", "secret_key": "s"}}
    )
    assert account.region == "cn-north-1"
    settings = enabled_endpoints(account, VOLCENGINE)
    assert {s.spec.name for s in settings} == set(EXPECTED) - OPT_IN
