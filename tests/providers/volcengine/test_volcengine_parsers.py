"""Volcengine Live parsers on recorded responses: all ten APIs, empty results, bad shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from collector.families import BANDWIDTH, TRAFFIC
from collector.http import HttpResponse
from collector.model import GIBIBYTE, GIGABYTE, MEGABIT_PER_SECOND, Outcome, Point
from collector.providers.endpoint import MalformedResponse, Query
from collector.providers.volcengine import families as live
from collector.providers.volcengine.catalog import CATALOG
from collector.providers.volcengine.filters import LiveQueryFilters, Region
from collector.providers.volcengine.provider import VOLCENGINE
from collector.timeslices import Window

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "volcengine"
A, B = "pull-a.example.com", "pull-b.example.com"
CST = 8 * 3600
T0 = 1710000000  # 2024-03-10T00:00:00+08:00, start of the 5-minute fixtures
D1 = T0 - 2 * 86400  # 2024-03-08T00:00:00+08:00, first day of the daily fixtures
DAY = 86400


def result(name: str) -> Any:
    """The fixture's Result, through classify as the poller would get it."""
    raw = (FIXTURES / f"{name}.json").read_bytes()
    classified = VOLCENGINE.classify(HttpResponse(200, {}, raw))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return classified.payload


def query(
    endpoint: str,
    domains: tuple[str, ...] = (A, B),
    start: int = T0,
    end: int = T0 + 900,
    slice_seconds: int = 300,
    **options: Any,
) -> Query:
    """A query; group and vhost lists become its scope, the rest its typed filters."""
    scope = tuple(options.pop("pull_to_push_groups", ()) or options.pop("time_shift_vhosts", ()))
    options.pop("time_shift_vhosts", None)
    for key in ("regions", "user_regions"):
        if key in options:
            options[key] = tuple(
                Region(r.get("area") or r["Area"], r.get("country"), r.get("province"))
                for r in options[key]
            )
    fields = {k: tuple(v) for k, v in options.items()}
    return Query(
        endpoint, domains, Window(start, end, slice_seconds), CST, scope, LiveQueryFilters(**fields)
    )


def parse(endpoint: str, payload: Any, q: Query) -> list[Point]:
    return CATALOG[endpoint].parse(payload, q)


def values(points: list[Point], *labels: str) -> dict[int, float]:
    """end -> value for one label set."""
    return {p.end: p.value for p in points if p.labels == labels}


ENDS_5M = [T0 + 300, T0 + 600, T0 + 900]


# ---- bandwidth and traffic (core families, direction label) ---------------------------


def test_bandwidth_multi_domain_uses_the_detail_list() -> None:
    points = parse("bandwidth", result("bandwidth_multi"), query("bandwidth"))
    assert {p.family for p in points} == {BANDWIDTH}
    assert len(points) == 2 * 2 * 3  # domains x directions x buckets
    assert values(points, A, "down") == {
        e: v * MEGABIT_PER_SECOND for e, v in zip(ENDS_5M, [12.5, 13.75, 11.0], strict=True)
    }
    assert values(points, B, "up")[T0 + 900] == 0.25 * MEGABIT_PER_SECOND


def test_bandwidth_single_domain_takes_the_top_level_series() -> None:
    points = parse("bandwidth", result("bandwidth_single"), query("bandwidth", domains=(A,)))
    assert {p.labels for p in points} == {(A, "down"), (A, "up")}
    assert values(points, A, "down")[T0 + 600] == 13.75 * MEGABIT_PER_SECOND


def test_multi_domain_with_detail_ignores_the_top_level_total() -> None:
    points = parse("traffic", result("traffic_multi"), query("traffic"))
    assert {p.labels[0] for p in points} == {A, B}


def test_traffic_counts_gb_base_1000() -> None:
    points = parse("traffic", result("traffic_multi"), query("traffic"))
    assert {p.family for p in points} == {TRAFFIC}
    down_a = values(points, A, "down")
    assert sum(down_a.values()) == pytest.approx(1.396875 * GIGABYTE)
    assert values(points, B, "up")[T0 + 900] == pytest.approx(0.009375 * GIGABYTE)


def test_traffic_without_domains_is_the_account_total() -> None:
    points = parse("traffic", result("traffic_all"), query("traffic", domains=()))
    assert {p.labels for p in points} == {("*", "down"), ("*", "up")}
    assert sum(values(points, "*", "down").values()) == pytest.approx(1.678125 * GIGABYTE)


@pytest.mark.parametrize(
    ("endpoint", "fixture", "kwargs"),
    [
        ("bandwidth", "bandwidth_empty", {}),
        ("traffic", "traffic_empty", {"domains": (A,)}),
        ("p95_peak_bandwidth", "p95_peak_bandwidth_empty", {"domains": (A,)}),
        ("pull_to_push_bandwidth", "pull_to_push_bandwidth_empty", {}),
        ("pull_to_push", "pull_to_push_empty", {"slice_seconds": 60, "end": T0 + 180}),
        ("record", "record_empty", {}),
        ("transcode", "transcode_empty", {"start": D1, "end": T0, "slice_seconds": DAY}),
        ("snapshot", "snapshot_empty", {}),
        ("audit", "audit_empty", {"start": D1, "end": T0, "slice_seconds": DAY}),
        ("time_shift", "time_shift_empty", {"start": D1, "end": T0, "slice_seconds": DAY}),
    ],
)
def test_empty_results_give_no_points(endpoint: str, fixture: str, kwargs: Any) -> None:
    assert parse(endpoint, result(fixture), query(endpoint, **kwargs)) == []


# ---- the other eight APIs -------------------------------------------------------------


def test_p95_is_one_point_at_the_end_of_the_billing_range() -> None:
    q = query("p95_peak_bandwidth", domains=(A,), start=T0, end=T0 + 1800)
    points = parse("p95_peak_bandwidth", result("p95_peak_bandwidth"), q)
    assert [(p.family, p.labels, p.end) for p in points] == [(live.P95_PEAK_BANDWIDTH, (A,), T0)]
    assert points[0].value == pytest.approx(842.37 * MEGABIT_PER_SECOND)


def test_pull_to_push_bandwidth_per_group() -> None:
    q = query(
        "pull_to_push_bandwidth", domains=(), pull_to_push_groups=["relay-east", "relay-west"]
    )
    points = parse("pull_to_push_bandwidth", result("pull_to_push_bandwidth_groups"), q)
    assert {p.family for p in points} == {live.PULL_TO_PUSH_BANDWIDTH}
    assert values(points, "relay-west") == {
        e: v * MEGABIT_PER_SECOND for e, v in zip(ENDS_5M, [3.5, 3.0, 3.25], strict=True)
    }


def test_pull_to_push_minutes_become_seconds() -> None:
    q = query(
        "pull_to_push",
        domains=(),
        end=T0 + 180,
        slice_seconds=60,
        pull_to_push_groups=["relay-east"],
    )
    points = parse("pull_to_push", result("pull_to_push"), q)
    assert values(points, "relay-east") == {T0 + 60: 180.0, T0 + 120: 150.0, T0 + 180: 120.0}
    assert {p.family for p in points} == {live.PULL_TO_PUSH_DURATION}


def test_record_per_domain() -> None:
    points = parse("record", result("record_multi"), query("record"))
    assert values(points, A) == {T0 + 300: 4, T0 + 600: 4, T0 + 900: 3}
    assert values(points, B) == {T0 + 300: 3, T0 + 600: 2, T0 + 900: 2}
    assert {p.family for p in points} == {live.RECORDING_CONCURRENT}


def test_transcode_by_resolution_and_codec_with_repeats_added() -> None:
    q = query("transcode", domains=(A,), start=D1, end=T0, slice_seconds=DAY)
    points = parse("transcode", result("transcode"), q)
    assert {p.family for p in points} == {live.TRANSCODE_DURATION}
    assert values(points, A, "720P", "Normal_H264") == {D1 + DAY: 36000.0, D1 + 2 * DAY: 60000.0}
    assert values(points, A, "1080P", "ByteHD_H265") == {D1 + DAY: 240.25 * 60}
    assert values(points, A, "0P", "Audio") == {D1 + 2 * DAY: 90.25 * 60}


def test_snapshot_reads_the_snapshot_detail_data_quirk() -> None:
    payload = result("snapshot_multi")
    assert "SnapshotDetailData" in payload
    assert "SnapshotDetailDataList" not in payload
    points = parse("snapshot", payload, query("snapshot"))
    assert values(points, A) == {T0 + 300: 12, T0 + 600: 12, T0 + 900: 12}
    assert values(points, B) == {T0 + 300: 8, T0 + 600: 10, T0 + 900: 12}


def test_snapshot_accepts_the_regular_name_too() -> None:
    payload = result("snapshot_multi")
    payload["SnapshotDetailDataList"] = payload.pop("SnapshotDetailData")
    assert len(parse("snapshot", payload, query("snapshot"))) == 6


def test_audit_daily_per_domain() -> None:
    q = query("audit", start=D1, end=T0, slice_seconds=DAY)
    points = parse("audit", result("audit_multi"), q)
    assert values(points, B) == {D1 + DAY: 700, D1 + 2 * DAY: 756}
    assert {p.family for p in points} == {live.AUDIT_IMAGES}


def test_time_shift_gb_base_1024_per_vhost() -> None:
    q = query(
        "time_shift",
        domains=(),
        start=D1,
        end=T0,
        slice_seconds=DAY,
        time_shift_vhosts=["vhost.example.com"],
    )
    points = parse("time_shift", result("time_shift"), q)
    assert values(points, "vhost.example.com") == {
        D1 + DAY: 12.5 * GIBIBYTE,
        D1 + 2 * DAY: 13.25 * GIBIBYTE,
    }


# ---- time handling --------------------------------------------------------------------


def _record(stamps: list[str]) -> dict[str, Any]:
    return {"RecordDataList": [{"TimeStamp": s, "Value": 1} for s in stamps]}


def test_offsets_come_from_the_timestamp_itself() -> None:
    same = ["2024-03-10T00:05:00+08:00", "2024-03-09T16:05:00Z", "2024-03-09T17:05:00+01:00"]
    for stamp in same:
        points = parse("record", _record([stamp]), query("record", domains=(A,)))
        assert [p.end for p in points] == [T0 + 600]


def test_buckets_outside_the_window_are_dropped() -> None:
    stamps = ["2024-03-09T23:55:00+08:00", "2024-03-10T00:10:00+08:00", "2024-03-10T00:15:00+08:00"]
    points = parse("record", _record(stamps), query("record", domains=(A,)))
    assert [p.end for p in points] == [T0 + 900]


# ---- malformed shapes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ([], "Result: expected an object"),
        ({"RecordDataList": "nope"}, "Result.RecordDataList: expected a list"),
        ({"RecordDataList": [{"Value": 1}]}, "Result.RecordDataList[0]: missing field 'TimeStamp'"),
        ({"RecordDataList": [{"TimeStamp": "yesterday", "Value": 1}]}, "[0].TimeStamp"),
        (
            {"RecordDataList": [{"TimeStamp": "2024-03-10T00:00:00", "Value": 1}]},
            "has no offset",
        ),
        (
            {"RecordDataList": [{"TimeStamp": "2024-03-10T00:00:00+08:00", "Value": "x"}]},
            "Result.RecordDataList[0].Value",
        ),
    ],
)
def test_malformed_series_names_the_path(payload: Any, path: str) -> None:
    with pytest.raises(MalformedResponse) as info:
        parse("record", payload, query("record", domains=(A,)))
    assert path in str(info.value)


def test_missing_split_with_data_is_malformed() -> None:
    payload = result("bandwidth_multi")
    del payload["BandwidthDetailDataList"]
    with pytest.raises(MalformedResponse, match="BandwidthDetailDataList: missing"):
        parse("bandwidth", payload, query("bandwidth"))


def test_detail_entry_without_its_dimension_is_malformed() -> None:
    payload = result("audit_multi")
    del payload["AuditDetailDataList"][1]["Domain"]
    q = query("audit", start=D1, end=T0, slice_seconds=DAY)
    with pytest.raises(MalformedResponse, match=r"AuditDetailDataList\[1\]: missing field"):
        parse("audit", payload, q)


def test_string_numbers_are_read() -> None:
    payload = {"SnapshotDataList": [{"TimeStamp": "2024-03-10T00:00:00+08:00", "Value": "7"}]}
    points = parse("snapshot", payload, query("snapshot", domains=(A,)))
    assert [p.value for p in points] == [7.0]


def test_error_envelope_never_reaches_a_parser() -> None:
    for name in ("error_signature", "error_throttled", "error_in_200", "error_invalid_action"):
        raw = (FIXTURES / f"{name}.json").read_bytes()
        got = VOLCENGINE.classify(HttpResponse(200, {}, raw))
        assert got.outcome is not Outcome.SUCCESS
        assert got.payload is None
        assert "Result" not in orjson.loads(raw)
