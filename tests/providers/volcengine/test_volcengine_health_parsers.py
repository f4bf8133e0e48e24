"""Volcengine health parsers on recorded responses: status codes per class and per code,
origin pulls, online users and certificates; totals never summed, bad shapes refused."""

from __future__ import annotations

import copy
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest

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
from collector.http import HttpResponse
from collector.model import GIGABYTE, MEGABIT_PER_SECOND, Outcome, Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.volcengine.catalog import CATALOG
from collector.providers.volcengine.families import ONLINE_USERS, STREAM_ONLINE_USERS
from collector.providers.volcengine.provider import VOLCENGINE
from collector.timeslices import Window, parse_rfc3339

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "volcengine"
A, B = "pull-a.example.com", "pull-b.example.com"
CST = 8 * 3600
T0 = 1710000000  # 2024-03-10T00:00:00+08:00
WINDOW = Window(T0, T0 + 900, 300)  # three buckets; the fixtures carry a fourth past it


def result(name: str) -> Any:
    raw = (FIXTURES / f"{name}.json").read_bytes()
    classified = VOLCENGINE.classify(HttpResponse(200, {}, raw))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return classified.payload


def parse(
    endpoint: str, payload: Any, domains: tuple[str, ...] = (A, B), window: Window = WINDOW
) -> list[Point]:
    return list(CATALOG[endpoint].parse(payload, Query(endpoint, domains, window, CST)))


def summed(points: list[Point], family_name: str) -> dict[tuple[str, ...], float]:
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    for point in points:
        if point.family.name == family_name:
            sums[point.labels] += point.value
    return dict(sums)


def test_edge_status_classes_from_counts_per_domain() -> None:
    points = parse("status_codes", result("status_codes_multi"))
    assert {p.family for p in points} == {HTTP_RESPONSES}
    # Every class in every bucket, 0 when none of its codes came back.
    assert summed(points, HTTP_RESPONSES.name) == {
        (A, "1xx"): 0, (A, "2xx"): 3040, (A, "3xx"): 20, (A, "4xx"): 12, (A, "5xx"): 7,
        (A, "other"): 0,
        (B, "1xx"): 0, (B, "2xx"): 1490, (B, "3xx"): 10, (B, "4xx"): 4, (B, "5xx"): 6,
        (B, "other"): 0,
    }  # fmt: skip
    assert len(points) == 2 * 6 * 3
    # The bucket starting at 00:15 ends past the window: partial, not read.
    assert {p.end for p in points} == {T0 + 300, T0 + 600, T0 + 900}
    first = {p.labels: p.value for p in points if p.end == T0 + 300}
    assert first[(A, "5xx")] == 3


def test_per_code_counts_keep_each_code() -> None:
    points = parse("status_codes_by_code", result("status_codes_multi"))
    got = summed(points, HTTP_RESPONSES_BY_CODE.name)
    assert {code: v for (d, code), v in got.items() if d == A} == {
        "200": 3000, "206": 40, "304": 20, "404": 12, "500": 1, "502": 4, "504": 2,
    }  # fmt: skip


def test_origin_status_classes_of_one_domain() -> None:
    points = parse("origin_status_codes", result("origin_status_codes_single"), (A,))
    assert summed(points, ORIGIN_HTTP_RESPONSES.name) == {
        (A, "1xx"): 0,
        (A, "2xx"): 225,
        (A, "3xx"): 12,
        (A, "4xx"): 0,
        (A, "5xx"): 13,
        (A, "other"): 0,
    }


def test_an_empty_answer_has_no_points() -> None:
    assert parse("status_codes", result("status_codes_empty")) == []


def test_percent_is_never_read_and_a_total_row_never_summed() -> None:
    payload = copy.deepcopy(result("origin_status_codes_single"))
    rows = payload["StatusDataList"][0]["StatusSummaryDataList"]
    for row in rows:
        row["Percent"] = "not a number"
    rows.append({"StatusCode": "all", "Value": 96, "Percent": 100})
    rows.append({"StatusCode": "OTHERS", "Value": 1, "Percent": 1})
    points = parse("origin_status_codes", payload, (A,))
    got = summed(points, ORIGIN_HTTP_RESPONSES.name)
    assert got[(A, "2xx")] == 225
    assert got[(A, "other")] == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"StatusCode": True}, Reason.WRONG_TYPE),
        ({"StatusCode": None}, Reason.WRONG_TYPE),
        ({"Value": -1}, Reason.NEGATIVE),
        ({"Value": "many"}, Reason.WRONG_TYPE),
    ],
)
def test_bad_status_rows_are_malformed(change: dict[str, Any], reason: str) -> None:
    payload = copy.deepcopy(result("origin_status_codes_single"))
    payload["StatusDataList"][0]["StatusSummaryDataList"][0].update(change)
    with pytest.raises(MalformedResponse) as info:
        parse("origin_status_codes", payload, (A,))
    assert info.value.reason == reason


def test_a_missing_split_is_malformed() -> None:
    payload = copy.deepcopy(result("status_codes_multi"))
    del payload["StatusDetailDataList"]
    with pytest.raises(MalformedResponse, match="StatusDetailDataList"):
        parse("status_codes", payload)


def test_origin_pull_traffic_and_bandwidth() -> None:
    points = parse("source_traffic", result("source_traffic_multi"))
    traffic = summed(points, ORIGIN_TRAFFIC.name)
    assert traffic == {
        (A,): pytest.approx(0.525 * GIGABYTE),
        (B,): pytest.approx(0.05625 * GIGABYTE),
    }
    bandwidth = {(p.labels, p.end): p.value for p in points if p.family is ORIGIN_BANDWIDTH}
    assert bandwidth[((A,), T0 + 600)] == 8.0 * MEGABIT_PER_SECOND
    assert len(bandwidth) == 6


def test_online_users_and_requests() -> None:
    points = parse("stream_sessions", result("stream_sessions_single"), (A,))
    users = {p.end: p.value for p in points if p.family is ONLINE_USERS}
    assert users == {T0 + 300: 120, T0 + 600: 150, T0 + 900: 90}
    assert summed(points, REQUESTS.name) == {(A,): 9100}


def test_certificates_are_stamped_at_the_window_end() -> None:
    hour = Window(T0, T0 + 3600, 3600)
    points = parse("certificates", result("certificates"), (), hour)
    assert {p.end for p in points} == {T0 + 3600}
    expiry = {p.labels: p.value for p in points if p.family is CERTIFICATE_NOT_AFTER}
    # Two certificates named live-a: the later expiry; an unnamed one goes by its CertID.
    assert expiry == {
        ("live-a",): parse_rfc3339("2024-05-30T00:00:00Z"),
        ("cert-b",): parse_rfc3339("2024-03-09T00:00:00Z"),
    }
    domains = {p.labels for p in points if p.family is CERTIFICATE_DOMAIN}
    assert domains == {("live-a", A), ("live-a", "*.live-a.example.com"), ("cert-b", B)}
    assert all(p.value == 1.0 for p in points if p.family is CERTIFICATE_DOMAIN)


def test_certificates_without_a_list_have_no_points() -> None:
    payload = {"ExpirationInfo": {"ActiveNum": 0, "ClosingExpireNum": 0, "ExpireNum": 0}}
    assert parse("certificates", payload, (), Window(T0, T0 + 3600, 3600)) == []


@pytest.mark.parametrize("not_after", ["soon", 1710000000, "2024-03-20T00:00:00"])
def test_a_bad_expiry_is_a_bad_timestamp(not_after: object) -> None:
    payload = copy.deepcopy(result("certificates"))
    payload["CertList"][0]["NotAfter"] = not_after
    with pytest.raises(MalformedResponse) as info:
        parse("certificates", payload, (), Window(T0, T0 + 3600, 3600))
    assert info.value.reason == Reason.BAD_TIMESTAMP


def test_the_request_bodies() -> None:
    def body(endpoint: str, domains: tuple[str, ...] = (A, B)) -> Any:
        spec = CATALOG[endpoint]
        return orjson.loads(orjson.dumps(spec.build_body(Query(endpoint, domains, WINDOW, CST))))

    assert body("status_codes") == {
        "StartTime": "2024-03-10T00:00:00+08:00",
        "EndTime": "2024-03-10T00:15:00+08:00",
        "Aggregation": 300,
        "DomainList": [A, B],
        "DetailField": ["Domain"],
        "Type": "Access",
    }
    assert body("origin_status_codes", (A,))["Type"] == "Source"
    assert "DetailField" not in body("origin_status_codes", (A,))
    assert body("stream_sessions")["OnlineUserType"] == "Online"
    assert body("certificates", ()) == {}


def test_stream_peaks_per_stream_stamped_at_the_window_end() -> None:
    window = Window(T0, T0 + 300, 300)
    points = parse("stream_sessions_by_stream", result("stream_sessions_by_stream"), window=window)
    assert {p.labels: p.value for p in points if p.family is STREAM_ONLINE_USERS} == {
        (A, "live", "match-1"): 120,
        (A, "live", "match-2"): 40,
        (B, "radio", "fm"): 30,
    }
    assert {p.end for p in points} == {T0 + 300}
    payload = copy.deepcopy(result("stream_sessions_by_stream"))
    payload["StreamInfoList"][0]["Stream"] = ""
    with pytest.raises(MalformedResponse) as info:
        parse("stream_sessions_by_stream", payload, window=window)
    assert info.value.reason == Reason.WRONG_TYPE
