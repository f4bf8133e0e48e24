"""Parsers of the health reports (catalog_health) on recorded-style fixtures: classes from
codes, every class in every slice, class and `all` rows, ms to seconds, certificates in
CST, bad shapes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from collector.families import (
    CERTIFICATE_DOMAIN,
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_HTTP_RESPONSES,
    ORIGIN_RESPONSE_TIME,
)
from collector.model import Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.catalog_health import (
    ISP_PROVINCE_DOWNLOAD_SPEED,
    ISP_PROVINCE_FIRST_PACKET_TIME,
    ISP_PROVINCE_RESPONSE_TIME,
)
from collector.timeslices import HOUR, Window

Load = Callable[[str], Any]
CST = 8 * 3600
T1005, T1010 = 1699927500, 1699927800  # 2023-11-14 10:05 and 10:10 +08:00
WWW, IMG = "www.example.com", "img.example.com"


def query(endpoint: str, domains: tuple[str, ...] = (WWW, IMG), seconds: int = 300) -> Query:
    return Query(endpoint, domains, Window(1699927200, 1699927800, seconds), CST)


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    return CATALOG[endpoint].parse(payload, q or query(endpoint))


def values(points: list[Point]) -> dict[tuple[str, tuple[str, ...], int], float]:
    out: dict[tuple[str, tuple[str, ...], int], float] = {}
    for p in points:
        out[(p.family.name, p.labels, p.end)] = p.value
    return out


def test_edge_classes_are_summed_from_codes_with_every_class_in_every_slice(load: Load) -> None:
    found = values(parse("status_codes", load("status_codes")))
    name = HTTP_RESPONSES.name
    assert found[(name, (WWW, "2xx"), T1005)] == 1000
    assert found[(name, (WWW, "4xx"), T1010)] == 4
    # 502 and 504 in one class; a slice with none is still there, at 0.
    assert found[(name, (WWW, "5xx"), T1005)] == 2
    assert found[(name, (WWW, "5xx"), T1010)] == 5
    assert found[(name, (IMG, "5xx"), T1005)] == 0
    assert found[(name, (IMG, "3xx"), T1010)] == 5
    assert len(found) == 2 * 2 * 6  # two domains, two slices, six classes


def test_per_code_keeps_only_the_codes_seen(load: Load) -> None:
    found = values(parse("status_codes_by_code", load("status_codes")))
    name = HTTP_RESPONSES_BY_CODE.name
    assert found[(name, (WWW, "502"), T1010)] == 5
    assert found[(name, (IMG, "304"), T1005)] == 1
    assert {labels for _, labels, _ in found} == {
        (WWW, "200"),
        (WWW, "404"),
        (WWW, "502"),
        (WWW, "504"),
        (IMG, "200"),
        (IMG, "304"),
    }


def test_class_rows_count_only_without_codes_and_the_all_row_never(load: Load) -> None:
    payload = copy.deepcopy(load("status_codes"))
    img = payload["result"][1]["statusCodeData"]
    series = [{"timestamp": "2023-11-14 10:05", "value": "999"}]
    # Beside single codes, class and total rows are summaries: never added again.
    img.append({"statusCode": "3XX", "requestData": series})
    img.append({"statusCode": "all", "requestData": series})
    found = values(parse("status_codes", payload))
    assert found[(HTTP_RESPONSES.name, (IMG, "3xx"), T1005)] == 1
    # An answer of class rows only: those are the counts, still without `all`.
    payload["result"][1]["statusCodeData"] = [
        {"statusCode": "5XX", "requestData": series},
        {"statusCode": "OTHERS", "requestData": series},
        {"statusCode": "all", "requestData": [{"timestamp": "2023-11-14 10:05", "value": "5"}]},
    ]
    found = values(parse("status_codes", payload))
    assert found[(HTTP_RESPONSES.name, (IMG, "5xx"), T1005)] == 999
    assert found[(HTTP_RESPONSES.name, (IMG, "other"), T1005)] == 999
    assert found[(HTTP_RESPONSES.name, (IMG, "2xx"), T1005)] == 0
    by_code = values(parse("status_codes_by_code", payload))
    assert not [k for k in by_code if k[1][0] == IMG]


def test_a_domain_without_codes_has_no_slices(load: Load) -> None:
    assert parse("status_codes", load("status_codes_empty")) == []


def test_origin_classes(load: Load) -> None:
    found = values(parse("origin_status_codes", load("origin_status_codes")))
    name = ORIGIN_HTTP_RESPONSES.name
    assert found[(name, (WWW, "5xx"), T1010)] == 9
    assert found[(name, (WWW, "2xx"), T1005)] == 90
    assert found[(name, (WWW, "4xx"), T1005)] == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p["result"][0]["statusCodeData"][0].update(statusCode=200), Reason.WRONG_TYPE),
        (
            lambda p: p["result"][0]["statusCodeData"][0]["requestData"][0].update(value="-1"),
            Reason.NEGATIVE,
        ),
        (
            lambda p: p["result"][0]["statusCodeData"][0]["requestData"][0].update(timestamp="x"),
            Reason.BAD_TIMESTAMP,
        ),
        (lambda p: p["result"][0].pop("domain"), Reason.MISSING_FIELD),
    ],
    ids=["numeric code", "negative count", "bad timestamp", "no domain"],
)
def test_bad_status_answers_are_malformed(
    load: Load, change: Callable[[Any], Any], reason: str
) -> None:
    payload = copy.deepcopy(load("status_codes"))
    change(payload)
    with pytest.raises(MalformedResponse) as caught:
        parse("status_codes", payload)
    assert caught.value.reason == reason


def test_status_bodies_ask_per_code_grouped_by_domain() -> None:
    for name in ("status_codes", "status_codes_by_code", "origin_status_codes"):
        body = CATALOG[name].build_body(query(name))
        assert body["queryBy"] == "statusCode"
        assert body["groupBy"] == ["domain"]
        assert body["domain"] == [WWW, IMG]
        assert "dataInterval" not in body
        assert "dataPadding" not in body
    assert CATALOG["status_codes_by_code"].opt_in
    assert not CATALOG["status_codes"].opt_in
    assert not CATALOG["origin_status_codes"].opt_in


def test_two_edge_declarations_share_the_assumed_limit() -> None:
    edge = [CATALOG[n].rate_limit for n in ("status_codes", "status_codes_by_code")]
    assert sum(limit.calls for limit in edge) == 30
    assert {limit.period for limit in edge} == {300}
    assert CATALOG["origin_status_codes"].rate_limit.calls == 30


def test_origin_response_time_is_read_in_seconds(load: Load) -> None:
    found = values(
        parse("origin_response_time", load("origin_response_time"), query("x", (WWW, IMG), 60))
    )
    name = ORIGIN_RESPONSE_TIME.name
    assert found[(name, (WWW,), 1699927260)] == pytest.approx(0.0855)
    assert found[(name, (WWW,), 1699927320)] == pytest.approx(0.12025)
    assert found[(name, (IMG,), 1699927260)] == pytest.approx(0.04)
    body = CATALOG["origin_response_time"].build_body(query("origin_response_time"))
    assert set(body) == {"dateFrom", "dateTo", "domain"}


def test_certificates_expire_in_cst_and_list_related_domains(load: Load) -> None:
    q = Query("certificates", (), Window(1699927200, 1699927200 + HOUR, HOUR), CST)
    found = values(parse("certificates", load("certificates"), q))
    end = q.window.end
    # 2023-11-30 08:00:00 CST is 00:00 UTC; an unnamed certificate goes by its id.
    assert found[(CERTIFICATE_NOT_AFTER.name, ("example.com",), end)] == 1701302400
    assert found[(CERTIFICATE_NOT_AFTER.name, ("100002",), end)] == 1704038400
    assert found[(CERTIFICATE_DOMAIN.name, ("example.com", WWW), end)] == 1
    assert found[(CERTIFICATE_DOMAIN.name, ("example.com", IMG), end)] == 1
    assert len(found) == 4  # dns-names are not domains the certificate is deployed on


def test_a_certificate_with_a_bad_date_is_malformed(load: Load) -> None:
    payload = copy.deepcopy(load("certificates"))
    payload["ssl-certificates"][0]["certificate-validity-to"] = "30/11/2023"
    q = Query("certificates", (), Window(1699927200, 1699927200 + HOUR, HOUR), CST)
    with pytest.raises(MalformedResponse) as caught:
        parse("certificates", payload, q)
    assert caught.value.reason == Reason.BAD_TIMESTAMP


def test_avg_speed_by_isp_and_province_in_base_units(load: Load) -> None:
    found = values(parse("avg_speed_isp_province", load("avg_speed_isp_province")))
    cell = (WWW, "telecom", "guangdong")
    assert found[(ISP_PROVINCE_DOWNLOAD_SPEED.name, cell, T1005)] == pytest.approx(2_048_500)
    assert found[(ISP_PROVINCE_RESPONSE_TIME.name, cell, T1010)] == pytest.approx(0.04)
    assert found[(ISP_PROVINCE_FIRST_PACKET_TIME.name, cell, T1010)] == pytest.approx(0.0155)
    # A name the table does not know is kept as printed; totalResponseTime is not read.
    other = (WWW, "unknown-isp", "beijing")
    assert found[(ISP_PROVINCE_RESPONSE_TIME.name, other, T1005)] == pytest.approx(0.08)
    assert len(found) == 3 * 3
    spec = CATALOG["avg_speed_isp_province"]
    assert spec.opt_in
    assert spec.max_span == HOUR
    body = spec.build_body(query("avg_speed_isp_province"))
    assert body["dataInterval"] == "5m"
    assert sorted(body["groupBy"]) == ["domain", "isp", "province"]


def test_certificates_without_domains_or_at_all(load: Load) -> None:
    q = Query("certificates", (), Window(1699927200, 1699927200 + HOUR, HOUR), CST)
    assert parse("certificates", load("certificates_empty"), q) == []
    found = values(parse("certificates", load("certificates_unused"), q))
    # 2024-02-29 11:59:59 CST: a leap day, 03:59:59 UTC.
    assert found == {(CERTIFICATE_NOT_AFTER.name, ("spare.example.net",), q.window.end): 1709179199}
