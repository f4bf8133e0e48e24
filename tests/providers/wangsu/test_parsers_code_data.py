"""Parsers of the `{"code", "message", "data": [...]}` reports on recorded-style fixtures:
string numbers, units, labels, empty lists, missing optional fields, bad shapes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from collector.model import Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.wangsu import catalog_code_data as cd
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import DAY, Window

Load = Callable[[str], Any]
CST = 8 * 3600
T1005, T1010, T1015 = 1699927500, 1699927800, 1699928100  # 2023-11-14 10:05.. +08:00
WWW, IMG = "www.example.com", "img.example.com"
T1001, T1002 = 1699927260, 1699927320  # 2023-11-14 10:01, 10:02 +08:00
# Endpoints reading another's fixture (the same call, read another way).
FIXTURE = {"stream_online_users_by_stream": "stream_online_users"}


def query(
    endpoint: str,
    domains: tuple[str, ...] = (WWW, IMG),
    slice_seconds: int = 300,
    offset: int = CST,
) -> Query:
    return Query(
        endpoint=endpoint,
        domains=domains,
        window=Window(start=1699927200, end=1699928100, slice_seconds=slice_seconds),
        offset_seconds=offset,
    )


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    return CATALOG[endpoint].parse(payload, q or query(endpoint))


def triples(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, pytest.approx(p.value)) for p in points]


def test_every_family_carries_its_label_names(load: Load) -> None:
    cases = {
        "up_flow_domain_country": query("up_flow_domain_country"),
        "multi_ip_version": query("multi_ip_version"),
        "bandwidth_saving_ratio": query("bandwidth_saving_ratio", (WWW,)),
        "p2p_share_ratio": query("p2p_share_ratio"),
        "flow_byte": query("flow_byte", ()),
        "stream_detail": query("stream_detail"),
        "request_hit_ratio": query("request_hit_ratio", (WWW,)),
        "stream_online_users": query("stream_online_users", slice_seconds=60),
        "stream_online_users_by_stream": query("stream_online_users_by_stream", slice_seconds=60),
    }
    for name, q in cases.items():
        points = parse(name, load(FIXTURE.get(name, name)), q)
        assert points, name
        assert {p.family for p in points} == set(CATALOG[name].families), name
        for point in points:
            assert len(point.labels) == len(point.family.labels), (name, point)


# up_flow_domain_country -----------------------------------------------------------------


def test_up_flow_domain_country(load: Load) -> None:
    points = parse("up_flow_domain_country", load("up_flow_domain_country"))
    t, b = cd.CLIENT_COUNTRY_UPLOAD_TRAFFIC.name, cd.CLIENT_COUNTRY_UPLOAD_BANDWIDTH.name
    cn, us = (WWW, "cn"), (WWW, "us")
    assert triples(points) == [
        (t, cn, T1005, 12_500_000.0),
        (b, cn, T1005, 41_250.0),  # 0.33 Mbps / 8
        (t, cn, T1010, 11_750_000.0),
        (b, cn, T1010, 38_750.0),
        (t, cn, T1015, 12_350_000.0),
        (b, cn, T1015, 41_250.0),
        (t, us, T1005, 3_000_000.0),
        (b, us, T1005, 10_000.0),
        (t, us, T1010, 2_900_000.0),
        (b, us, T1010, 10_000.0),
        (t, us, T1015, 3_000_000.0),
        (b, us, T1015, 10_000.0),
    ]


def test_up_flow_domain_country_is_a_breakdown_read_a_day_late() -> None:
    spec = CATALOG["up_flow_domain_country"]
    assert spec.opt_in
    assert spec.data_delay == DAY
    assert spec.granularities == (300, DAY)


def test_up_flow_domain_country_empty_data(load: Load) -> None:
    assert parse("up_flow_domain_country", load("up_flow_domain_country_empty")) == []


def test_up_flow_domain_country_without_summary_fields(load: Load) -> None:
    payload = load("up_flow_domain_country")
    for country in payload["data"][0]["countryData"]:
        for key in ("countryName", "flowSum", "flowPercentage"):
            del country[key]  # read by nobody: their absence is no error
    assert len(parse("up_flow_domain_country", payload)) == 12


def test_up_flow_domain_country_missing_bandwidth(load: Load) -> None:
    payload = load("up_flow_domain_country")
    del payload["data"][0]["countryData"][1]["flowData"][2]["bandwidth"]
    with pytest.raises(MalformedResponse) as caught:
        parse("up_flow_domain_country", payload)
    assert caught.value.reason == Reason.MISSING_FIELD
    assert "countryData[1].flowData[2]" in str(caught.value)


def test_up_flow_domain_country_body() -> None:
    body = CATALOG["up_flow_domain_country"].build_body(query("up_flow_domain_country"))
    assert body == {
        "dateFrom": "2023-11-14T10:00:00+08:00",
        "dateTo": "2023-11-14T10:15:00+08:00",
        "domain": [WWW, IMG],
        "dataInterval": "5m",
        "groupBy": ["domain", "country"],
    }


# multi_ip_version -------------------------------------------------------------------------


def test_multi_ip_version_is_an_ip_version_label(load: Load) -> None:
    points = parse("multi_ip_version", load("multi_ip_version"))
    name = cd.IP_VERSION_BANDWIDTH.name
    assert triples(points) == [
        (name, (WWW, "v4"), T1005, 10_000_000.0),  # 80 Mbps
        (name, (WWW, "v6"), T1005, 2_500_000.0),
        (name, (WWW, "v4"), T1010, 9_550_000.0),
        (name, (WWW, "v6"), T1010, 2_450_000.0),
    ]


def test_multi_ip_version_body_asks_for_bandwidth_per_domain() -> None:
    body = CATALOG["multi_ip_version"].build_body(query("multi_ip_version", slice_seconds=60))
    assert body["queryBy"] == "bandwidth"
    assert body["groupBy"] == ["domain"]
    assert body["dataInterval"] == "1m"


def test_multi_ip_version_number_values(load: Load) -> None:
    payload = load("multi_ip_version")
    payload["data"][0]["detailList"][0]["v6Value"] = 20  # a JSON number, read leniently
    assert parse("multi_ip_version", payload)[1].value == pytest.approx(2_500_000.0)


def test_multi_ip_version_item_without_domain(load: Load) -> None:
    payload = load("multi_ip_version")
    del payload["data"][0]["domain"]  # the aggregated form (no groupBy): never asked for
    with pytest.raises(MalformedResponse) as caught:
        parse("multi_ip_version", payload)
    assert caught.value.reason == Reason.MISSING_FIELD


# bandwidth_saving_ratio -------------------------------------------------------------------


def test_bandwidth_saving_ratio_is_labelled_by_the_calls_domain(load: Load) -> None:
    points = parse("bandwidth_saving_ratio", load("bandwidth_saving_ratio"), query("x", (IMG,)))
    name = cd.BANDWIDTH_SAVING_RATIO.name
    assert triples(points) == [
        (name, (IMG,), T1005, 0.865),
        (name, (IMG,), T1010, 0.87),
        (name, (IMG,), T1015, 0.8787),
    ]


def test_bandwidth_saving_ratio_fans_out_per_domain() -> None:
    spec = CATALOG["bandwidth_saving_ratio"]
    assert spec.max_domains_per_call == 1
    assert spec.opt_in  # one call per domain
    with pytest.raises(MalformedResponse):
        spec.parse({"code": "0", "message": "success", "data": []}, query("x", (WWW, IMG)))


def test_bandwidth_saving_ratio_percent_reads_as_ratio(load: Load) -> None:
    # [?] documented default: a fraction; a value above 1 can only be percent.
    payload = load("bandwidth_saving_ratio")
    payload["data"][0]["savingBandwidthDatas"][0]["savingBandwidth"] = "86.50"
    point = parse("bandwidth_saving_ratio", payload, query("x", (WWW,)))[0]
    assert point.value == pytest.approx(0.865)
    payload["data"][0]["savingBandwidthDatas"][0]["savingBandwidth"] = "186.50"
    with pytest.raises(MalformedResponse) as caught:
        parse("bandwidth_saving_ratio", payload, query("x", (WWW,)))
    assert caught.value.reason == Reason.OUT_OF_RANGE


def test_bandwidth_saving_ratio_empty_series(load: Load) -> None:
    payload = load("bandwidth_saving_ratio")
    payload["data"][0]["savingBandwidthDatas"] = []
    payload["data"][0]["realDate"] = ""
    assert parse("bandwidth_saving_ratio", payload, query("x", (WWW,))) == []


# p2p_share_ratio --------------------------------------------------------------------------


def test_p2p_share_ratio_percent_becomes_a_ratio(load: Load) -> None:
    points = parse("p2p_share_ratio", load("p2p_share_ratio"))
    name = cd.P2P_SHARE_RATIO.name
    # "0.50" is half a percent, not half: the unit is documented as percent.
    assert triples(points) == [(name, (WWW,), T1005, 0.352), (name, (WWW,), T1010, 0.005)]


def test_p2p_share_ratio_body_names_no_platform() -> None:
    body = CATALOG["p2p_share_ratio"].build_body(query("p2p_share_ratio"))
    assert "platform" not in body  # every platform: the config names none
    assert body["groupBy"] == ["domain"]


def test_p2p_share_ratio_negative_value(load: Load) -> None:
    payload = load("p2p_share_ratio")
    payload["data"][0]["detailList"][1]["value"] = "-1.00"
    with pytest.raises(MalformedResponse) as caught:
        parse("p2p_share_ratio", payload)
    assert caught.value.reason == Reason.NEGATIVE


# flow_byte --------------------------------------------------------------------------------


def test_flow_byte_is_an_account_total_in_bytes(load: Load) -> None:
    points = parse("flow_byte", load("flow_byte"), query("flow_byte", ()))
    name = cd.ACCOUNT_TRAFFIC.name
    assert triples(points) == [
        (name, (), T1005, 2_179_654_092.0),
        (name, (), T1010, 2_128_529_803.0),
        (name, (), T1015, 2_235_027_092.0),
    ]


def test_flow_byte_family_is_not_a_per_domain_family() -> None:
    spec = CATALOG["flow_byte"]
    assert cd.ACCOUNT_TRAFFIC.labels == ()
    assert spec.max_domains_per_call == 0
    same_name = [
        f for other in CATALOG.values() for f in other.families if f.name == cd.ACCOUNT_TRAFFIC.name
    ]
    assert all(f.labels == () for f in same_name)  # never a per-domain series of it


def test_flow_byte_body_has_no_domain() -> None:
    body = CATALOG["flow_byte"].build_body(query("flow_byte", (), slice_seconds=3600))
    assert body == {
        "dateFrom": "2023-11-14T10:00:00+08:00",
        "dateTo": "2023-11-14T10:15:00+08:00",
        "dataInterval": "1h",
    }


def test_flow_byte_without_flow_summary(load: Load) -> None:
    payload = load("flow_byte")
    del payload["data"][0]["flowSummary"]
    assert len(parse("flow_byte", payload, query("flow_byte", ()))) == 3


def test_flow_byte_bad_timestamp(load: Load) -> None:
    payload = load("flow_byte")
    payload["data"][0]["flowData"][0]["timestamp"] = "yesterday"
    with pytest.raises(MalformedResponse) as caught:
        parse("flow_byte", payload, query("flow_byte", ()))
    assert caught.value.reason == Reason.BAD_TIMESTAMP


# stream_detail ----------------------------------------------------------------------------


def test_stream_detail_keeps_only_the_domains_asked_for(load: Load) -> None:
    points = parse("stream_detail", load("stream_detail"))
    name = cd.STREAM_TRAFFIC.name
    main, backup = (WWW, "live/test-20180101-test"), (WWW, "live/backup")
    # other.example.com was not asked for: counting it would double count across calls.
    assert triples(points) == [
        (name, main, T1005, 10_600_000.0),
        (name, main, T1010, 10_750_000.0),
        (name, backup, T1005, 700_000.0),
        (name, backup, T1010, 500_000.0),
    ]


def test_stream_detail_without_online_users_or_totals(load: Load) -> None:
    payload = load("stream_detail")
    stream = payload["data"][0]["domainOfStreamList"][1]
    del stream["totalFlow"], stream["bandwidthPeakValue"]
    for item in stream["detailList"]:
        item.pop("onlineUser", None)  # only with isReturnOnline at 1m
    assert len(parse("stream_detail", payload)) == 4


def test_stream_detail_body_asks_for_every_stream_of_each_domain() -> None:
    body = CATALOG["stream_detail"].build_body(query("stream_detail"))
    assert body["domainStream"] == [{"domain": WWW}, {"domain": IMG}]
    assert body["dataType"] == "flow"
    assert "domain" not in body


def test_stream_detail_stream_name_must_be_a_string(load: Load) -> None:
    payload = copy.deepcopy(load("stream_detail"))
    payload["data"][0]["domainOfStreamList"][0]["stream"] = 7
    with pytest.raises(MalformedResponse) as caught:
        parse("stream_detail", payload)
    assert caught.value.reason == Reason.WRONG_TYPE


def test_stream_detail_spans_ten_minutes() -> None:
    assert CATALOG["stream_detail"].max_span == 600
    assert CATALOG["stream_detail"].opt_in


def test_help_texts_name_the_wire_fields() -> None:
    assert CATALOG["flow_byte"].shape.source(cd.ENDPOINTS[4].shape.measures[0]) == (
        "data[].flowData[].flow"
    )
    stream = CATALOG["stream_detail"].shape
    assert stream.source(stream.measures[0]) == "data[].domainOfStreamList[].detailList[].value"


# stream_online_users, stream_online_users_by_stream ----------------------------------------


def minute_query(name: str) -> Query:
    return query(name, slice_seconds=60)


def test_online_users_per_domain_sum_the_streams_of_each_minute(load: Load) -> None:
    points = parse("stream_online_users", load("stream_online_users"), minute_query("x"))
    name = cd.ONLINE_USERS.name
    # other.example.com was not asked for; img's stream lists 10:02 only.
    assert triples(points) == [
        (name, (WWW,), T1001, 123.0),
        (name, (WWW,), T1002, 118.0),
        (name, (IMG,), T1002, 7.0),
    ]


def test_online_users_per_stream_split_publishing_point_and_name(load: Load) -> None:
    points = parse("stream_online_users_by_stream", load("stream_online_users"), minute_query("x"))
    name = cd.STREAM_ONLINE_USERS.name
    main = (WWW, "live", "test-20180101-test")
    assert triples(points) == [
        (name, main, T1001, 120.0),
        (name, main, T1002, 118.0),
        (name, (WWW, "live", "backup"), T1001, 3.0),
        (name, (WWW, "live", "backup"), T1002, 0.0),
        (name, (IMG, "", "lobby"), T1002, 7.0),  # no publishing point
    ]


@pytest.mark.parametrize("name", ["stream_online_users", "stream_online_users_by_stream"])
def test_a_stream_listed_twice_counts_once(load: Load, name: str) -> None:
    payload = load("stream_online_users")
    once = parse(name, payload, minute_query(name))
    streams = payload["data"][0]["domainOfStreamList"]
    streams.append(copy.deepcopy(streams[0]))
    assert parse(name, payload, minute_query(name)) == once


@pytest.mark.parametrize("name", ["stream_online_users", "stream_online_users_by_stream"])
def test_online_users_are_required_once_asked_for(load: Load, name: str) -> None:
    # Asked for (isReturnOnline at 1m), an answer without them is no answer to the call.
    payload = load("stream_online_users")
    del payload["data"][0]["domainOfStreamList"][1]["detailList"][0]["onlineUser"]
    with pytest.raises(MalformedResponse) as caught:
        parse(name, payload, minute_query(name))
    assert caught.value.reason == Reason.MISSING_FIELD


def test_online_users_summed_past_any_number_are_malformed(load: Load) -> None:
    payload = load("stream_online_users")
    for stream in payload["data"][0]["domainOfStreamList"]:
        stream["detailList"][0]["onlineUser"] = 1e308
    with pytest.raises(MalformedResponse) as caught:
        parse("stream_online_users", payload, minute_query("stream_online_users"))
    assert caught.value.reason == Reason.NOT_FINITE


def test_online_users_ask_for_them_at_one_minute() -> None:
    for name in ("stream_online_users", "stream_online_users_by_stream"):
        spec = CATALOG[name]
        body = spec.build_body(minute_query(name))
        assert body["isReturnOnline"] == "true"
        assert body["dataInterval"] == "1m"
        assert body["domainStream"] == [{"domain": WWW}, {"domain": IMG}]
        assert spec.granularities == (60,)
        assert spec.max_span == 600
        assert spec.opt_in
        assert spec.path == CATALOG["stream_detail"].path
    assert "isReturnOnline" not in CATALOG["stream_detail"].build_body(query("stream_detail"))


def test_the_stream_report_declarations_share_its_limit() -> None:
    on_path = [s for s in CATALOG.values() if s.path == CATALOG["stream_detail"].path]
    assert sorted(s.name for s in on_path) == [
        "stream_detail",
        "stream_online_users",
        "stream_online_users_by_stream",
    ]
    assert {s.rate_limit.period for s in on_path} == {300}
    assert sum(s.rate_limit.calls for s in on_path) <= 300  # the assumed 300/5min


def test_online_users_help_names_onlineuser_and_the_sum() -> None:
    per_domain = CATALOG["stream_online_users"].shape
    assert per_domain.source(per_domain.measures[0]) == (
        "data[].domainOfStreamList[].detailList[].onlineUser summed over the domain's "
        "streams at each minute (each stream once)"
    )
    assert cd.ONLINE_USERS.labels == ("domain",)
    assert cd.STREAM_ONLINE_USERS.labels == ("domain", "app", "stream")


# request_hit_ratio --------------------------------------------------------------------


def test_request_hit_ratio_is_labelled_by_the_calls_domain(load: Load) -> None:
    points = parse("request_hit_ratio", load("request_hit_ratio"), query("x", (IMG,)))
    name = cd.REQUEST_HIT_RATIO.name
    assert triples(points) == [
        (name, (IMG,), T1005, 0.935),
        (name, (IMG,), T1010, 0.9421),
        (name, (IMG,), T1015, 0.9465),
    ]


def test_request_hit_ratio_reads_hourly_and_daily_times(load: Load) -> None:
    # "yyyy-MM-dd HH" ends the hour it names; "yyyy-MM-dd" is the day itself.
    payload = load("request_hit_ratio")
    series = payload["data"][0]["hitRatioDatas"]
    series[:] = [{"timestamp": "2023-11-14 11", "hitRatio": "0.9"}]
    assert parse("request_hit_ratio", payload, query("x", (WWW,)))[0].end == T1015 + 45 * 60
    series[:] = [{"timestamp": "2023-11-14", "hitRatio": "0.9"}]
    midnight = 1699977600  # 2023-11-15 00:00 +08:00
    assert parse("request_hit_ratio", payload, query("x", (WWW,)))[0].end == midnight
