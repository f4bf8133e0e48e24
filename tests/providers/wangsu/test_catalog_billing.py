"""The Wangsu/CDNetworks billing reports on recorded fixtures: Channelvalue's charge
value per channel (JSON and XML, methods mapped, units converted) and perzone-billing's
zone detail billed by the billing core, and their month-to-date request bodies."""

from __future__ import annotations

import calendar
import copy
from pathlib import Path
from typing import Any

import pytest

from collector.http import HttpResponse
from collector.model import MEGABIT_PER_SECOND, Outcome, Point
from collector.providers.endpoint import MalformedResponse, Query, Reason
from collector.providers.wangsu import catalog_billing as billing
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG, DECLARED_IN
from collector.providers.wangsu.provider import WANGSU
from collector.timeslices import HOUR, Window
from tests.billing.test_billing_properties import brute_force

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wangsu"
CST = 8 * HOUR
FEB = calendar.timegm((2026, 2, 1, 0, 0, 0)) - CST  # 2026-02-01 00:00 +08:00
AT_2 = FEB + 2 * HOUR  # the fixtures' range end: 02:00 +08:00


def wire(name: str) -> Any:
    """A fixture as the classifier decodes it off the wire (JSON or XML)."""
    classified = WANGSU.classify(HttpResponse(200, {}, (FIXTURES / name).read_bytes()))
    assert classified.outcome is Outcome.SUCCESS, classified.message
    return classified.payload


def query(endpoint: str, domains: tuple[str, ...], start: int = AT_2, offset: int = CST) -> Query:
    return Query(endpoint, domains, Window(start, start + HOUR, HOUR), offset)


def values(points: list[Point]) -> list[tuple[str, tuple[str, ...], int, float]]:
    return [(p.family.name, p.labels, p.end, p.value) for p in points]


def test_both_reports_are_opt_in_in_both_brands_and_declared_in_catalog_billing() -> None:
    for name in ("channel_value", "perzone_billing"):
        assert CATALOG[name].opt_in
        assert CDNETWORKS_CATALOG[name] is CATALOG[name]
        assert DECLARED_IN[name] == "catalog_billing"
        assert CATALOG[name].point_at_window_start
        assert CATALOG[name].slices[0].seconds == HOUR


# -- Channelvalue -----------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["channel_value.json", "channel_value.xml"])
def test_channel_value_is_the_channels_billed_bandwidth_at_the_ranges_end(fixture: str) -> None:
    points = CATALOG["channel_value"].parse(
        wire(fixture), query("channel_value", ("img.example.com",))
    )
    family = billing.CHANNEL_CHARGE_BANDWIDTH.name
    labels = ("img.example.com", "daily_peak_average")  # 日峰值月平均
    assert values(points) == [(family, labels, AT_2, 161.50 * MEGABIT_PER_SECOND)]


@pytest.mark.parametrize(
    ("raw", "method"),
    [
        ("月95峰值", "p95"),
        ("95th", "p95"),
        (" Daily_Peak-Average ", "daily_peak_average"),
        ("月第四峰值", "fourth_daily_peak"),
        ("4th Daily Peak", "fourth_daily_peak"),
        ("包月带宽", "包月带宽"),  # unmapped: the provider's own name, no billing figure
    ],
)
def test_charge_methods_map_to_ours_or_keep_their_own_name(raw: str, method: str) -> None:
    assert billing.charge_method(raw) == method


def _information(**changes: str) -> dict[str, Any]:
    answer = copy.deepcopy(wire("channel_value.json"))
    answer["provider"]["date"]["information"].update(changes)
    return answer


@pytest.mark.parametrize(
    ("unit", "factor"), [("Gbps", 1e9 / 8), ("kbps", 1e3 / 8), ("MBPS", MEGABIT_PER_SECOND)]
)
def test_channel_value_is_converted_by_its_unit(unit: str, factor: float) -> None:
    q = query("channel_value", ("img.example.com",))
    (point,) = CATALOG["channel_value"].parse(_information(unit=unit, value="2.5"), q)
    assert point.value == pytest.approx(2.5 * factor)


def test_a_channel_billed_by_traffic_gives_no_bandwidth_figure() -> None:
    q = query("channel_value", ("img.example.com",))
    answer = _information(chargeMethod="流量", unit="GB", value="12.5")
    assert CATALOG["channel_value"].parse(answer, q) == []


def test_an_unknown_unit_is_malformed() -> None:
    q = query("channel_value", ("img.example.com",))
    with pytest.raises(MalformedResponse) as caught:
        CATALOG["channel_value"].parse(_information(unit="furlongs"), q)
    assert caught.value.reason == Reason.SHAPE


def test_only_the_asked_channel_is_read_from_a_list() -> None:
    answer = copy.deepcopy(wire("channel_value.json"))
    own = answer["provider"]["date"]["information"]
    other = {**own, "channel": "cdn.img.example.com", "value": "999"}  # a suffix match
    answer["provider"]["date"]["information"] = [other, own]
    points = CATALOG["channel_value"].parse(answer, query("channel_value", ("img.example.com",)))
    assert [p.value for p in points] == [161.50 * MEGABIT_PER_SECOND]


def test_channel_value_asks_the_month_to_date_in_gmt8() -> None:
    body = CATALOG["channel_value"].build_body(query("channel_value", ("img.example.com",)))
    assert body == {
        "startdate": "2026-02-01 00:05",
        "enddate": "2026-02-01 02:00",
        "channel": "img.example.com",
        "dataformat": "json",
    }
    # Right after the month turns (in GMT+08:00 whatever the account's zone): all January.
    q = query("channel_value", ("img.example.com",), start=FEB, offset=-5 * HOUR)
    body = CATALOG["channel_value"].build_body(q)
    assert (body["startdate"], body["enddate"]) == ("2026-01-01 00:05", "2026-02-01 00:00")


# -- perzone-billing --------------------------------------------------------------------


def _detail(answer: Any) -> dict[int, float]:
    """The fixture's series, slice end -> bytes per second."""
    zone = answer["provider"]["date"]["areaMap"]["perzone"]
    return {
        FEB + 300 * (i + 1): float(item["text"]) * MEGABIT_PER_SECOND
        for i, item in enumerate(zone["detail"])
    }


def test_perzone_billing_bills_the_providers_series_up_to_the_ranges_end() -> None:
    answer = wire("perzone_billing.json")
    series = _detail(answer)
    assert max(series) > AT_2  # the answer runs past the range: those points are not read
    within = {end: value for end, value in series.items() if end <= AT_2}
    expected = brute_force(within, CST, "2026-02", True, 0.0)
    points = CATALOG["perzone_billing"].parse(answer, query("perzone_billing", ()))
    family = billing.PERZONE_BILLING_BANDWIDTH.name
    assert values(points) == [
        (family, ("*", "p95"), AT_2, pytest.approx(expected["p95"])),
        (family, ("*", "daily_peak_average"), AT_2, pytest.approx(expected["daily_peak_average"])),
        (family, ("*", "fourth_daily_peak"), AT_2, 0.0),  # fewer than four days
    ]


def test_perzone_billing_sums_its_zones_per_time() -> None:
    answer = wire("perzone_billing.json")
    whole = CATALOG["perzone_billing"].parse(answer, query("perzone_billing", ()))
    zone = answer["provider"]["date"]["areaMap"]["perzone"]
    halves = [
        {
            **zone,
            "name": name,
            "detail": [{**d, "text": f"{float(d['text']) / 2}"} for d in zone["detail"]],
        }
        for name in ("cn", "ov")
    ]
    answer["provider"]["date"]["areaMap"]["perzone"] = halves
    split = CATALOG["perzone_billing"].parse(answer, query("perzone_billing", ()))
    assert [p.value for p in split] == pytest.approx([p.value for p in whole], rel=1e-12)


def test_perzone_billing_with_nothing_in_range_gives_no_figure() -> None:
    answer = wire("perzone_billing.json")
    assert CATALOG["perzone_billing"].parse(answer, query("perzone_billing", (), start=FEB)) == []


def test_a_bad_detail_time_is_malformed() -> None:
    answer = wire("perzone_billing.json")
    answer["provider"]["date"]["areaMap"]["perzone"]["detail"][0]["time"] = "yesterday"
    with pytest.raises(MalformedResponse) as caught:
        CATALOG["perzone_billing"].parse(answer, query("perzone_billing", ()))
    assert caught.value.reason == Reason.BAD_TIMESTAMP


def test_perzone_billing_asks_whole_days_of_the_month_in_gmt8() -> None:
    # 2026-02-16 05:00 +08:00 (the 15th, 16:00, in the account's -05:00).
    q = query("perzone_billing", (), start=FEB + 15 * 86400 + 5 * HOUR, offset=-5 * HOUR)
    assert CATALOG["perzone_billing"].build_body(q) == {
        "startDate": "2026-02-01",
        "endDate": "2026-02-16",
        "timezone": "GMT+08:00",
        "type": "1",
    }
    # Right after the month turns: all January.
    body = CATALOG["perzone_billing"].build_body(query("perzone_billing", (), start=FEB))
    assert (body["startDate"], body["endDate"]) == ("2026-01-01", "2026-01-31")


def test_perzone_billing_reads_its_times_in_gmt8_whatever_the_accounts_zone() -> None:
    answer = wire("perzone_billing.json")
    cst = CATALOG["perzone_billing"].parse(answer, query("perzone_billing", ()))
    utc = CATALOG["perzone_billing"].parse(answer, query("perzone_billing", (), offset=0))
    assert values(utc) == values(cst)
