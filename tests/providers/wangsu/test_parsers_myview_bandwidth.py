"""The `myview` bandwidth reports of `reportbandwidth` on recorded-style fixtures: the
provider -> date -> channel trees (JSON single objects or XML attributes), whole-day
answers read only within the polled window, the peak ranking's channels, bandwidth-HK's
`{code, message, data {detail[]}}`, and their declarations and request bodies."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from collector.http import HttpResponse
from collector.model import MEGABIT_PER_SECOND, Outcome, Point
from collector.providers.endpoint import MalformedResponse, Query, Reason, Source, help_text
from collector.providers.wangsu import catalog_myview_bandwidth as myview_bw
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG, DECLARED_IN
from collector.providers.wangsu.provider import WANGSU
from collector.timeslices import DAY, HOUR, Window

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wangsu"
CST = 8 * HOUR
START = 1699927200  # 2023-11-14 10:00 +08:00
T1005, T1010, T1015 = START + 300, START + 600, START + 900
NOV14 = 1699891200  # 2023-11-14 00:00 +08:00, the end of 2023-11-13
MBPS = MEGABIT_PER_SECOND  # bytes per second in one Mbps
NAMES = (
    "bandwidth_channel",
    "bandwidth_middle",
    "bandwidth_log",
    "bandwidth_peak_ranking",
    "p2p_bandwidth",
    "dedicated_line_bandwidth",
)


def query(
    endpoint: str,
    domains: tuple[str, ...] = ("www.example.com",),
    window: Window | None = None,
    offset: int = CST,
) -> Query:
    return Query(endpoint, domains, window or Window(START, T1015, 300), offset)


def day_query(domains: tuple[str, ...], offset: int = CST) -> Query:
    return query("bandwidth_peak_ranking", domains, Window(NOV14 - DAY, NOV14, DAY), offset)


def wire(name: str) -> Any:
    """A fixture as the classifier decodes it off the wire (JSON or XML)."""
    classified = WANGSU.classify(HttpResponse(200, {}, (FIXTURES / name).read_bytes()))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return classified.payload


def rows(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, round(p.value, 6)) for p in points]


def parse(endpoint: str, payload: Any, q: Query | None = None) -> list[Point]:
    return list(CATALOG[endpoint].parse(payload, q or query(endpoint)))


# -- the declarations -------------------------------------------------------------------


def test_catalog_table() -> None:
    table = {
        s.name: (
            s.path,
            (s.rate_limit.calls, s.rate_limit.period, s.rate_limit.assumed),
            s.max_domains_per_call,
            s.granularities,
            s.max_span,
            s.data_delay,
            s.envelope,
            s.opt_in,
        )
        for s in myview_bw.ENDPOINTS
    }
    five = (300,)
    assert table == {
        "bandwidth_channel": (
            "/myview/bandwidth-channel",
            (30, 300, True),
            1,
            five,
            DAY,
            900,
            "myview",
            True,
        ),
        "bandwidth_middle": (
            "/myview/bandwidth-middle",
            (30, 300, True),
            1,
            five,
            DAY,
            900,
            "myview",
            True,
        ),
        "bandwidth_log": (
            "/myview/bandwidth-log",
            (30, 300, True),
            1,
            five,
            DAY,
            900,
            "myview",
            True,
        ),
        "bandwidth_peak_ranking": (
            "/myview/bandwidth-peak-ranking",
            (100, 300, False),
            2000,
            (DAY,),
            DAY,
            HOUR,
            "myview",
            True,
        ),
        "p2p_bandwidth": (
            "/myview/BandWidthP2p",
            (30, 300, True),
            1,
            five,
            DAY,
            900,
            "myview",
            True,
        ),
        "dedicated_line_bandwidth": (
            "/myview/bandwidth-HK",
            (30, 300, True),
            1,
            five,
            DAY,
            900,
            "code-report",
            True,
        ),
    }


def test_both_spellings_list_them_on_the_same_paths() -> None:
    for name in NAMES:
        assert DECLARED_IN[name] == "catalog_myview_bandwidth"
        assert CATALOG[name] is CDNETWORKS_CATALOG[name]


def test_only_bandwidth_channel_shares_a_family() -> None:
    """bandwidth-channel is flow_channel's measure (one family: the config refuses the
    two together, tests/config/corpus/cdnetworks_two_channel_bandwidth_reports.bad.yaml);
    every other family here is fed by its one report."""
    feeders: dict[str, set[str]] = {}
    for spec in CDNETWORKS_CATALOG.values():
        for family in spec.families:
            feeders.setdefault(family.name, set()).add(spec.name)
    shared = {
        family.name: feeders[family.name]
        for name in NAMES
        for family in CATALOG[name].families
        if len(feeders[family.name]) > 1
    }
    assert shared == {
        "cdn_channel_bandwidth_bytes_per_second": {"flow_channel", "bandwidth_channel"}
    }


def test_request_bodies() -> None:
    q = query("bandwidth_channel")
    assert CATALOG["bandwidth_channel"].build_body(q) == {
        "startdate": "2023-11-14 10:05",
        "enddate": "2023-11-14 10:15",
        "channel": "www.example.com",
        "dataformat": "json",
    }
    # bandwidth-log names the zone; its minutes are in the query's offset.
    utc = query("bandwidth_log", offset=0)
    assert CATALOG["bandwidth_log"].build_body(utc) == {
        "startdate": "2023-11-14 02:05",
        "enddate": "2023-11-14 02:15",
        "timezone": "GMT+00:00",
        "channel": "www.example.com",
        "dataformat": "json",
        "timeFromZero": "0",
    }
    # Whole GMT+08:00 days holding the window: one, or two across midnight.
    across = Window(NOV14 - 600, NOV14 + 600, 300)
    middle = CATALOG["bandwidth_middle"].build_body(query("bandwidth_middle", window=across))
    assert (middle["startdate"], middle["enddate"]) == ("2023-11-13", "2023-11-14")
    assert (middle["type"], middle["fatherType"]) == ("hit;miss", "stafu;dynfu")
    p2p = CATALOG["p2p_bandwidth"].build_body(query("p2p_bandwidth"))
    assert (p2p["startdate"], p2p["enddate"], p2p["box"]) == ("2023-11-14", "2023-11-14", "1")
    hk = CATALOG["dedicated_line_bandwidth"].build_body(query("dedicated_line_bandwidth"))
    assert hk == {
        "startDate": "2023-11-14",
        "endDate": "2023-11-14",
        "channel": "www.example.com",
        "timezone": "GMT+08:00",
        "optionalFields": "flowInfo",
    }
    ranking = CATALOG["bandwidth_peak_ranking"].build_body(
        day_query(("www.example.com", "img.example.com"))
    )
    assert ranking == {
        "startdate": "2023-11-13",
        "enddate": "2023-11-13",
        "channel": "www.example.com;img.example.com",
        "dataformat": "json",
        "datatype": "1",
    }


def test_peak_ranking_asks_for_the_gmt8_day_ending_in_a_window_of_another_zone() -> None:
    # The local day 2023-11-13 at -05:00 runs from 13:00 to 13:00 +08:00: the GMT+08:00
    # day ending within it is 2023-11-13, stamped at its end (2023-11-14 00:00 +08:00).
    minus5 = -5 * HOUR
    start = NOV14 - DAY + 13 * HOUR
    q = query("bandwidth_peak_ranking", window=Window(start, start + DAY, DAY), offset=minus5)
    assert CATALOG["bandwidth_peak_ranking"].build_body(q)["startdate"] == "2023-11-13"
    points = parse("bandwidth_peak_ranking", wire("bandwidth_peak_ranking.json"), q)
    assert {p.end for p in points} == {NOV14}


# -- the answers ------------------------------------------------------------------------


def test_bandwidth_channel_json() -> None:
    family = "cdn_channel_bandwidth_bytes_per_second"
    assert rows(parse("bandwidth_channel", wire("bandwidth_channel.json"))) == [
        (family, ("www.example.com",), T1005, round(30.91 * MBPS, 6)),
        (family, ("www.example.com",), T1010, round(31.71 * MBPS, 6)),
        (family, ("www.example.com",), T1015, round(29.36 * MBPS, 6)),
    ]


def test_bandwidth_channel_xml_attributes_and_bare_times() -> None:
    """XML: attributes as fields, the element's text as `text`, `HH:mm` on startdate's day."""
    assert parse("bandwidth_channel", wire("bandwidth_channel.xml")) == parse(
        "bandwidth_channel", wire("bandwidth_channel.json")
    )


def test_bandwidth_channel_answers_in_gmt8_whatever_the_account_offset() -> None:
    points = parse("bandwidth_channel", wire("bandwidth_channel.json"), query("x", offset=0))
    assert [p.end for p in points] == [T1005, T1010, T1015]


def test_bandwidth_log_reads_the_zone_it_named() -> None:
    points = parse("bandwidth_log", wire("bandwidth_log.json"))
    assert rows(points)[0] == (
        "cdn_channel_log_bandwidth_bytes_per_second",
        ("www.example.com",),
        T1005,
        round(31.02 * MBPS, 6),
    )
    utc = parse("bandwidth_log", wire("bandwidth_log.json"), query("bandwidth_log", offset=0))
    assert [p.end for p in utc] == [T1005 + CST, T1010 + CST, T1015 + CST]


def test_bandwidth_middle_splits_parent_and_cache_within_the_window() -> None:
    """The whole day's answer: only the window's slices (10:05-10:15), four series, and
    neither `summary` nor `thirdWs`."""
    points = parse("bandwidth_middle", wire("bandwidth_middle.json"))
    assert {p.end for p in points} == {T1005, T1010, T1015}
    at_1010 = {p.labels: p.value for p in points if p.end == T1010}
    assert at_1010 == {
        ("www.example.com", "static", "hit"): 6.0 * MBPS,
        ("www.example.com", "static", "miss"): 2.5 * MBPS,
        ("www.example.com", "dynamic", "hit"): 0.5 * MBPS,
        ("www.example.com", "dynamic", "miss"): 3.0 * MBPS,
    }
    assert {p.family.name for p in points} == {"cdn_channel_parent_bandwidth_bytes_per_second"}


def test_p2p_exports_p2p_and_box_never_cdn_or_total() -> None:
    points = parse("p2p_bandwidth", wire("p2p_bandwidth.json"))
    assert {p.end for p in points} == {T1005, T1010, T1015}  # 10:20 is not the window's
    at_1005 = {p.labels: p.value for p in points if p.end == T1005}
    assert at_1005 == {
        ("www.example.com", "p2p"): pytest.approx(12.40 * MBPS),
        ("www.example.com", "box"): pytest.approx(2.10 * MBPS),
    }
    # A sum over `source` is the offload: total - cdn, never the total itself.
    assert sum(at_1005.values()) == pytest.approx((45.41 - 30.91) * MBPS)


def test_peak_ranking_reads_the_channels_asked_for_at_the_days_end() -> None:
    q = day_query(("www.example.com", "img.example.com"))
    points = parse("bandwidth_peak_ranking", wire("bandwidth_peak_ranking.json"), q)
    family = "cdn_channel_peak_ranking_bandwidth_bytes_per_second"
    assert sorted(rows(points)) == [
        (family, ("img.example.com",), NOV14, round(412.50 * MBPS, 6)),
        (family, ("www.example.com",), NOV14, round(96.80 * MBPS, 6)),
    ]


def test_peak_ranking_one_channel_is_an_object() -> None:
    payload = wire("bandwidth_peak_ranking.json")
    payload["provider"]["date"]["channelPeak"] = payload["provider"]["date"]["channelPeak"][1]
    points = parse("bandwidth_peak_ranking", payload, day_query(("www.example.com",)))
    assert [(p.labels, p.end) for p in points] == [(("www.example.com",), NOV14)]


def test_dedicated_line_labels_the_calls_channel_within_the_window() -> None:
    points = parse("dedicated_line_bandwidth", wire("dedicated_line_bandwidth.json"))
    assert rows(points) == [
        (
            "cdn_channel_dedicated_line_bandwidth_bytes_per_second",
            ("www.example.com",),
            end,
            round(value * MBPS, 6),
        )
        for end, value in ((T1005, 6.10), (T1010, 6.40), (T1015, 5.95))
    ]


def test_dedicated_line_needs_exactly_one_channel() -> None:
    two = query("dedicated_line_bandwidth", ("a.example.com", "b.example.com"))
    with pytest.raises(MalformedResponse, match="carry no channel"):
        parse("dedicated_line_bandwidth", wire("dedicated_line_bandwidth.json"), two)


def test_dedicated_line_one_slice_is_an_object_and_none_an_empty_list() -> None:
    one = parse("dedicated_line_bandwidth", wire("dedicated_line_bandwidth_one_slice.json"))
    assert [(p.end, p.value) for p in one] == [(T1005, pytest.approx(6.10 * MBPS))]
    assert parse("dedicated_line_bandwidth", wire("dedicated_line_bandwidth_empty.json")) == []


@pytest.mark.parametrize(
    ("endpoint", "fixture", "path"),
    [
        ("bandwidth_channel", "bandwidth_channel.json", ("provider", "date", "channel")),
        ("dedicated_line_bandwidth", "dedicated_line_bandwidth.json", ("data",)),
    ],
)
def test_bad_timestamp_is_malformed(endpoint: str, fixture: str, path: tuple[str, ...]) -> None:
    payload = copy.deepcopy(wire(fixture))
    node = payload
    for key in path:
        node = node[key]
    series = node["bandwidth" if endpoint == "bandwidth_channel" else "detail"]
    series[0]["time"] = "yesterday"
    with pytest.raises(MalformedResponse) as caught:
        parse(endpoint, payload)
    assert caught.value.reason == Reason.BAD_TIMESTAMP


def test_peak_ranking_missing_peak_is_malformed() -> None:
    payload = wire("bandwidth_peak_ranking.json")
    del payload["provider"]["date"]["channelPeak"][1]["peakValue"]
    with pytest.raises(MalformedResponse) as caught:
        parse("bandwidth_peak_ranking", payload, day_query(("www.example.com",)))
    assert caught.value.reason == Reason.MISSING_FIELD
    assert "channelPeak[1]" in str(caught.value)
    assert "peakValue" in str(caught.value)


def test_help_names_the_source_field_and_conversion() -> None:
    spec = CATALOG["p2p_bandwidth"]
    family = myview_bw.P2P_BANDWIDTH
    sources = [Source("wangsu", spec, m) for m in spec.shape.measures]
    text = help_text(family, sources)
    assert "provider.date.channel.bandwidth[].p2p" in text
    assert "provider.date.channel.bandwidth[].box" in text
    assert "Mbps" in text
