"""Legacy Wangsu/CDNetworks reports on recorded-style fixtures: the `flow-summary` /
`flow-data` answers (JSON and XML, `24:00` day ends, integer-typed domainflow) and the
old `myview` family (provider -> date -> channel, JSON single objects or XML
attributes), through the classifier as they come off the wire."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from collector.http import HttpResponse
from collector.model import MEGABIT_PER_SECOND, MEGABYTE, Outcome, Point
from collector.providers.endpoint import MalformedResponse, Query, Reason, Source, help_text
from collector.providers.wangsu import catalog_legacy as legacy
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.providers.wangsu.wire import decode_xml
from collector.timeslices import DAY, Window

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wangsu"
CST = 8 * 3600
T1005, T1010, T1015 = 1699927500, 1699927800, 1699928100  # 2023-11-14 10:05.. +08:00
T2350, T2355, MIDNIGHT = 1699977000, 1699977300, 1699977600  # .. 2023-11-15 00:00 +08:00
T23 = 1699974000  # 2023-11-14 23:00 +08:00
NOV14 = MIDNIGHT - DAY  # 2023-11-14 00:00 +08:00, the end of 2023-11-13


def query(
    endpoint: str,
    domains: tuple[str, ...] = ("www.example.com",),
    slice_seconds: int = 300,
    offset: int = CST,
    window: Window | None = None,
) -> Query:
    window = window or Window(start=1699927200, end=1699928100, slice_seconds=slice_seconds)
    return Query(endpoint, domains, window, offset)


def wire(name: str, status: int = 200) -> Any:
    """A fixture as the classifier decodes it off the wire (JSON or XML)."""
    body = (FIXTURES / name).read_bytes()
    classified = WANGSU.classify(HttpResponse(status, {}, body))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return classified.payload


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    return CATALOG[endpoint].parse(payload, q or query(endpoint))


def values(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, p.value) for p in points]


# -- the catalog ------------------------------------------------------------------------


def test_legacy_catalog_table() -> None:
    rows = {
        s.name: (
            s.path,
            s.method,
            (s.rate_limit.calls, s.rate_limit.period),
            s.max_domains_per_call,
            s.granularities,
            s.max_span,
            s.envelope,
            s.opt_in,
        )
        for s in legacy.ENDPOINTS
    }
    month = 31 * DAY
    assert rows == {
        "account_traffic": (
            "/api/report/flow",
            "GET",
            (300, 300),
            0,
            (300, 3600, DAY),
            month,
            "flow-data",
            True,
        ),
        "domainflow": (
            "/api/report/domainflow",
            "POST",
            (300, 300),
            1,
            (300, 3600, DAY),
            month,
            "flow-data",
            True,
        ),
        "settlement_area": (
            "/api/report/flow/area",
            "POST",
            (30, 300),
            1,
            (DAY, 3600, 300),
            month,
            "flow-data",
            True,
        ),
        "flow_channel": ("/myview/Flowchannel", "POST", (300, 300), 1, (300,), DAY, "myview", True),
        "flow_day": ("/myview/flow-day", "POST", (300, 300), 1, (DAY,), month, "myview", True),
        "vod_transcoding": (
            "/myview/Wctquery",
            "POST",
            (300, 300),
            0,
            (DAY,),
            month,
            "myview",
            True,
        ),
    }
    assert all(CATALOG[name] is spec for name, spec in ((s.name, s) for s in legacy.ENDPOINTS))


def test_request_parameters() -> None:
    q = query("account_traffic")
    assert legacy.query_account_traffic(q) == {
        "datefrom": "2023-11-14T10:00:00+08:00",
        "dateto": "2023-11-14T10:15:00+08:00",
        "type": "fiveminutes",
    }
    hourly = query("domainflow", slice_seconds=3600)
    assert legacy.query_domainflow(hourly)["type"] == "hourly"
    assert set(legacy.query_domainflow(hourly)) == {"dateFrom", "dateTo", "type"}
    assert CATALOG["domainflow"].build_body(q) == {
        "domain-list": {"domain-name": ["www.example.com"]}
    }
    area = CATALOG["settlement_area"].build_body(query("settlement_area", slice_seconds=DAY))
    assert area["areaCode"] == "cn"
    assert area["dataInterval"] == "1d"
    assert CATALOG["flow_channel"].build_body(q) == {
        "startdate": "2023-11-14 10:05",
        "enddate": "2023-11-14 10:15",
        "channel": "www.example.com",
        "dataformat": "json",
    }
    days = Window(NOV14 - DAY, MIDNIGHT, DAY)
    assert CATALOG["flow_day"].build_body(query("flow_day", window=days)) == {
        "startdate": "2023-11-13",
        "enddate": "2023-11-14",
        "channel": "www.example.com",
        "dataformat": "json",
        "timezone": "GMT+08:00",
    }
    wct = CATALOG["vod_transcoding"].build_body(query("vod_transcoding", domains=(), window=days))
    assert "channel" not in wct
    assert wct["transcoding"] == "trans"


def test_help_names_the_source_field_and_unit() -> None:
    spec = CATALOG["account_traffic"]
    text = help_text(legacy.ACCOUNT_TRAFFIC, [Source("wangsu", spec, spec.shape.measures[0])])
    assert "/api/report/flow flow-data[].flow" in text
    assert "5m or 1h or 1d slices" in text
    assert "MB read as 10^6 bytes" in text
    wct = CATALOG["vod_transcoding"]
    text = help_text(legacy.VOD_TRANSCODING, [Source("wangsu", wct, wct.shape.measures[0])])
    assert "provider.date.wct.data[].text" in text


# -- flow-data ----------------------------------------------------------------------------


def test_account_traffic_string_numbers_and_24_00() -> None:
    points = parse("account_traffic", wire("account_traffic.json"))
    assert values(points) == [
        ("cdn_account_traffic_bytes_total", (), T2350, 1200.50 * MEGABYTE),
        ("cdn_account_traffic_bytes_total", (), T2355, 1156.28 * MEGABYTE),
        ("cdn_account_traffic_bytes_total", (), MIDNIGHT, 1100.00 * MEGABYTE),
    ]


def test_account_traffic_xml_reads_as_its_json_twin() -> None:
    assert wire("account_traffic.xml") == {
        "flow-summary": "3456.78",
        "flow-data": [
            {"timestamp": "2023-11-14 23:50", "flow": "1200.50"},
            {"timestamp": "2023-11-14 23:55", "flow": "1156.28"},
            {"timestamp": "2023-11-14 24:00", "flow": "1100.00"},
        ],
    }
    assert parse("account_traffic", wire("account_traffic.xml")) == parse(
        "account_traffic", wire("account_traffic.json")
    )


def test_account_traffic_hourly_24_is_midnight() -> None:
    points = parse("account_traffic", wire("account_traffic_hourly.json"), query("x", (), 3600))
    assert [p.end for p in points] == [T23, MIDNIGHT]


def test_account_traffic_empty_list_and_missing_summary() -> None:
    assert parse("account_traffic", {"flow-summary": "0.00", "flow-data": []}) == []
    payload = orjson.loads((FIXTURES / "account_traffic.json").read_bytes())
    del payload["flow-summary"]  # not read: its absence costs nothing
    assert len(parse("account_traffic", payload)) == 3


def test_domainflow_integers_or_strings_labelled_by_the_call_domain() -> None:
    points = parse("domainflow", wire("domainflow.json"))
    assert values(points) == [
        ("cdn_domainflow_traffic_bytes_total", ("www.example.com",), T1005, 1201 * MEGABYTE),
        ("cdn_domainflow_traffic_bytes_total", ("www.example.com",), T1010, 1156.28 * MEGABYTE),
    ]


def test_domainflow_xml_one_item_and_none() -> None:
    points = parse("domainflow", wire("domainflow.xml"))
    assert values(points) == [
        ("cdn_domainflow_traffic_bytes_total", ("www.example.com",), T1005, 1201 * MEGABYTE)
    ]
    assert parse("domainflow", wire("domainflow_empty.xml")) == []


def test_domainflow_needs_exactly_one_domain() -> None:
    with pytest.raises(MalformedResponse, match="carry no domain"):
        parse("domainflow", wire("domainflow.json"), query("domainflow", ("a", "b")))


def test_settlement_area_daily_slices_end_at_local_midnight() -> None:
    q = query("settlement_area", slice_seconds=DAY)
    points = parse("settlement_area", wire("settlement_area.json"), q)
    assert values(points) == [
        (
            "cdn_settlement_area_traffic_bytes_total",
            ("www.example.com", "cn"),
            NOV14,
            205496.79 * MEGABYTE,
        ),
        (
            "cdn_settlement_area_traffic_bytes_total",
            ("www.example.com", "cn"),
            MIDNIGHT,
            205359.82 * MEGABYTE,
        ),
    ]


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"timestamp": "2023-11-14 24:05", "flow": "1"}, Reason.BAD_TIMESTAMP),
        ({"timestamp": "2023-11-14 10:05"}, Reason.MISSING_FIELD),
        ({"timestamp": "2023-11-14 10:05", "flow": "-1"}, Reason.NEGATIVE),
        ({"timestamp": "2023-11-14 10:05", "flow": "n/a"}, Reason.WRONG_TYPE),
    ],
)
def test_flow_data_bad_items(item: dict[str, str], reason: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        parse("account_traffic", {"flow-summary": "1", "flow-data": [item]})
    assert caught.value.reason == reason


def test_not_xml_is_not_json() -> None:
    classified = WANGSU.classify(HttpResponse(200, {}, b"<flow-report><unclosed>"))
    assert classified.outcome is Outcome.MALFORMED


def test_xml_nested_50000_deep_is_a_malformed_answer_not_a_recursion_error() -> None:
    body = b"<flow-report>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</flow-report>"
    with pytest.raises(ValueError, match="nested over 64 elements deep"):
        decode_xml(body)
    assert WANGSU.classify(HttpResponse(200, {}, body)).outcome is Outcome.MALFORMED
    shallow = b"<r>" + b"<a>" * 62 + b"1" + b"</a>" * 62 + b"</r>"  # 63 deep: allowed
    value: object = decode_xml(shallow)
    for _ in range(62):
        assert isinstance(value, dict)
        value = value["a"]
    assert value == "1"


def test_xml_error_body_keeps_its_code() -> None:
    body = b"<error><code>DateSpanError</code><message>too long</message></error>"
    classified = WANGSU.classify(HttpResponse(200, {}, body))
    assert classified.outcome is Outcome.CLIENT_ERROR
    assert "code=DateSpanError" in classified.message
    assert decode_xml(body) == {"code": "DateSpanError", "message": "too long"}


# -- myview -----------------------------------------------------------------------------


def test_flow_channel_json() -> None:
    points = parse("flow_channel", wire("flow_channel.json"))
    family = "cdn_channel_bandwidth_bytes_per_second"
    assert values(points) == [
        (family, ("www.example.com",), T1005, 30.91 * MEGABIT_PER_SECOND),
        (family, ("www.example.com",), T1010, 31.71 * MEGABIT_PER_SECOND),
        (family, ("www.example.com",), T1015, 29.36 * MEGABIT_PER_SECOND),
    ]


def test_flow_channel_xml_attributes_and_bare_times() -> None:
    """The XML form: attributes as fields, the text as `text`, a bare `HH:mm` on the
    date of its `date` element."""
    assert parse("flow_channel", wire("flow_channel.xml")) == parse(
        "flow_channel", wire("flow_channel.json")
    )


def test_flow_channel_answers_in_gmt8_whatever_the_account_offset() -> None:
    """Flowchannel takes no timezone: its times are GMT+08:00 (the documented default)."""
    points = parse("flow_channel", wire("flow_channel.json"), query("flow_channel", offset=0))
    assert points[0].end == T1005


def test_flow_channel_lists_of_dates_and_channels() -> None:
    payload = wire("flow_channel.json")
    other = copy.deepcopy(payload["provider"]["date"])
    other["channel"]["name"] = "img.example.com"
    payload["provider"]["date"] = [payload["provider"]["date"], other]
    points = parse("flow_channel", payload)
    assert {p.labels for p in points} == {("www.example.com",), ("img.example.com",)}
    assert len(points) == 6


def test_flow_channel_empty_list_and_missing_unread_fields() -> None:
    payload = wire("flow_channel.json")
    payload["provider"]["date"]["channel"]["flow"] = []
    assert parse("flow_channel", payload) == []
    payload = wire("flow_channel.json")
    del payload["provider"]["resultType"], payload["provider"]["type"]
    assert len(parse("flow_channel", payload)) == 3


def test_flow_day_daily_traffic_and_peak() -> None:
    q = query("flow_day", window=Window(NOV14 - DAY, MIDNIGHT, DAY))
    points = parse("flow_day", wire("flow_day.json"), q)
    assert values(points) == [
        ("cdn_channel_daily_traffic_bytes_total", ("www.example.com",), NOV14, 398736.24e6),
        (
            "cdn_channel_daily_peak_bandwidth_bytes_per_second",
            ("www.example.com",),
            NOV14,
            75.55 * MEGABIT_PER_SECOND,
        ),
        ("cdn_channel_daily_traffic_bytes_total", ("www.example.com",), MIDNIGHT, 398470.45e6),
        (
            "cdn_channel_daily_peak_bandwidth_bytes_per_second",
            ("www.example.com",),
            MIDNIGHT,
            74.34 * MEGABIT_PER_SECOND,
        ),
    ]


def test_flow_day_missing_peak_time_costs_nothing_but_a_missing_value_does() -> None:
    payload = wire("flow_day.json")
    for peak in payload["provider"]["date"]["channel"]["channel-peak"]:
        del peak["peakTime"]
    assert len(parse("flow_day", payload)) == 4
    del payload["provider"]["date"]["channel"]["channel-peak"][0]["totalFlow"]
    with pytest.raises(MalformedResponse) as caught:
        parse("flow_day", payload)
    assert caught.value.reason == Reason.MISSING_FIELD
    assert "channel-peak[0]: missing field 'totalFlow'" in str(caught.value)


def test_vod_transcoding_sums_five_minute_detail_per_day() -> None:
    points = parse("vod_transcoding", wire("vod_transcoding.json"), query("vod_transcoding", ()))
    assert values(points) == [
        ("cdn_vod_transcoding_seconds_total", ("trans",), MIDNIGHT, pytest.approx(6.0 * 60)),
        ("cdn_vod_transcoding_seconds_total", ("trans",), MIDNIGHT + DAY, pytest.approx(240.0)),
    ]


def test_vod_transcoding_empty_list() -> None:
    payload = wire("vod_transcoding.json")
    payload["provider"]["date"]["wct"]["data"] = []
    assert parse("vod_transcoding", payload, query("vod_transcoding", ())) == []


def test_myview_without_provider_is_malformed() -> None:
    classified = WANGSU.classify(HttpResponse(200, {}, b'{"date": {}}'))
    assert classified.outcome is Outcome.MALFORMED
    with pytest.raises(MalformedResponse) as caught:
        parse("flow_day", {"provider": {"name": "x"}})
    assert caught.value.reason == Reason.MISSING_FIELD


# -- requests -------------------------------------------------------------------------


def _account() -> Any:
    from tests.accounts import load_account

    return load_account(
        {
            "name": "main",
            "provider": "wangsu",
            "auth": {"method": "aksk", "access_key": "AK_TEST", "secret_key": "SK_TEST"},
            "domains": ["www.example.com"],
        }
    )


def test_get_signs_the_decoded_query_and_sends_no_body() -> None:
    from urllib.parse import unquote, urlsplit

    from collector.providers.wangsu import signing

    request = WANGSU.build_request(
        _account(), CATALOG["account_traffic"], query("account_traffic", ()), 1699928400
    )
    assert request.method == "GET"
    assert request.body == b""
    parts = urlsplit(request.url)
    assert parts.query == (
        "datefrom=2023-11-14T10%3A00%3A00%2B08%3A00"
        "&dateto=2023-11-14T10%3A15%3A00%2B08%3A00&type=fiveminutes"
    )
    canonical = signing.canonical_request("GET", parts.path, parts.query, request.headers, b"")
    assert canonical.split("\n")[2] == unquote(parts.query)
    sig = signing.signature("SK_TEST", "1699928400", canonical)
    assert request.headers["Authorization"].endswith(f"Signature={sig}")


def test_post_with_a_query_string_signs_no_query() -> None:
    from urllib.parse import urlsplit

    from collector.providers.wangsu import signing

    request = WANGSU.build_request(
        _account(), CATALOG["domainflow"], query("domainflow"), 1699928400
    )
    parts = urlsplit(request.url)
    assert parts.query.startswith("dateFrom=2023-11-14T10%3A00%3A00%2B08%3A00&dateTo=")
    assert orjson.loads(request.body) == {"domain-list": {"domain-name": ["www.example.com"]}}
    canonical = signing.canonical_request("POST", parts.path, "", request.headers, request.body)
    sig = signing.signature("SK_TEST", "1699928400", canonical)
    assert request.headers["Authorization"].endswith(f"Signature={sig}")
