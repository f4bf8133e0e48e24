"""The status page (collector.statuspage): grouped, worst first, escaped, pictures."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from collector.billing.ledger import Method
from collector.status import (
    BillingStatus,
    DiscoveryStatus,
    EndpointStatus,
    NextPoll,
    PollResult,
    Status,
)
from collector.statuspage import (
    ERROR_SUMMARY,
    Health,
    amount,
    duration,
    groups,
    health_of,
    render,
)

NOW = 1_700_000_000.0

OK = EndpointStatus(
    account="main",
    provider="wangsu",
    endpoint="flow_request",
    chosen_over="",
    interval=300,
    calls_per_poll=2,
    fewest_calls=1,
    budget_share=0.25,
    polls=12,
    up=True,
    last_success=NOW - 100,
    data_end=NOW - 1200,
    counting_from=NOW - 3600,
    expected_data_age=1500,
    next_poll=NOW + 200,
    next_kind=NextPoll.DUE,
    last_error=None,
    recent=(PollResult.OK,) * 3,
)


# 40 Mbps so far, 80 Mbps forecast, against a 100 Mbps commit (bytes per second).
P95 = BillingStatus(
    account="main",
    group="video",
    month="2026-03",
    points=2700,
    expected_points=2726,
    backfilling=True,
    method=Method.P95,
    billed=5e6,
    forecast=10e6,
    commit=12.5e6,
    burst_points=440,
    cost=1600.0,
    currency="CNY",
)


def status(
    *endpoints: EndpointStatus,
    discovery: tuple[DiscoveryStatus, ...] = (),
    billing: tuple[BillingStatus, ...] = (),
) -> Status:
    return Status(
        now=NOW,
        endpoints=endpoints,
        discovery=discovery,
        sharded=False,
        shard="Not sharded (--total-shards 1): every account (2)",
        ready=True,
        healthy=True,
        billing=billing,
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59.4, "59 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (3720, "1 h 2 min"),
        (113229, "31 h"),
        (118800, "33 h"),
        (3 * 86400, "3 d"),
        (-5, "0 s"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_an_endpoint_is_failing_late_waiting_or_up() -> None:
    assert health_of(OK, NOW) is Health.OK
    assert health_of(replace(OK, data_end=NOW - 1501), NOW) is Health.LATE
    assert health_of(replace(OK, data_end=NOW - 1500), NOW) is Health.OK
    # A failing poll is worse than late data.
    assert health_of(replace(OK, up=False, data_end=NOW - 9999), NOW) is Health.FAILING
    waiting = replace(OK, up=None, polls=0, data_end=None, last_success=None)
    assert health_of(waiting, NOW) is Health.WAITING


def rows(page: str) -> list[tuple[str, str]]:
    """(row class, endpoint name) of every endpoint row, in page order."""
    return re.findall(r'<tr class="(\w+)"><td data-label="endpoint".*?<b>(\w+)</b>', page)


def test_accounts_group_their_endpoints_failing_and_late_first() -> None:
    late = replace(OK, endpoint="p95_peak_bandwidth", data_end=NOW - 1900)
    other = replace(OK, account="second", provider="volcengine", endpoint="traffic")
    failing = replace(OK, account="second", provider="volcengine", endpoint="bandwidth", up=False)
    page = render(status(OK, late, other, failing), "9.9")
    # The account with a failing endpoint comes first; within it, the failing row.
    assert rows(page) == [
        ("failing", "bandwidth"),
        ("ok", "traffic"),
        ("late", "p95_peak_bandwidth"),
        ("ok", "flow_request"),
    ]
    assert page.index("<h2>second <small>volcengine</small>") < page.index("<h2>main ")
    assert [g.account for g in groups((OK, late, other, failing), NOW)] == ["second", "main"]
    # One table, so the columns line up across accounts; each account repeats the heads.
    assert page.count('<table class="endpoints">') == 1
    assert page.count('<tbody class="account">') == page.count('<tr class="head">') == 2
    assert "<title>cdn-exporter (1 failing) (1 late)</title>" in page
    assert '<span class="badge failing">1 failing</span>' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # Human durations: the late endpoint's age against its expected age.
    assert "31 min <small>/ 25 min</small>" in page
    assert "2 call(s)/poll (fewest 1)" in page
    assert "in 3 min" in page
    assert "1 min ago" in page
    # No external assets: nothing is loaded from elsewhere (not even a favicon).
    assert not re.search(r"<(script|img)\b|url\(|src=", page)
    assert re.findall(r"<link [^>]*>", page) == ['<link rel="icon" href="data:,">']


def test_every_dynamic_string_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    hostile = replace(
        OK,
        account=f'a"{evil}',
        endpoint=evil,
        chosen_over=evil,
        up=False,
        last_error=f"server_error: {evil}",
    )
    listing = DiscoveryStatus(evil, 3600, None, 1, None, evil)
    billing = replace(P95, account=evil, group=evil, month=evil, currency=evil)
    hostile_status = status(hostile, discovery=(listing,), billing=(billing,))
    page = render(replace(hostile_status, shard=evil), evil)
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= 10


def test_a_long_error_is_shortened_with_the_whole_text_on_demand() -> None:
    long = "server_error: HTTP 502 " + "x" * 300 + " END"
    page = render(status(replace(OK, up=False, last_error=long)), "1")
    summary = re.search(r"<summary>(.*?)</summary><div>(.*?)</div>", page)
    assert summary is not None
    assert summary.group(1) == long[:ERROR_SUMMARY] + "…"
    assert summary.group(2) == long
    short = render(status(replace(OK, up=False, last_error="auth_failure: HTTP 401")), "1")
    assert '<span class="err">auth_failure: HTTP 401</span>' in short
    assert "<details" not in short


def test_pictures_of_data_age_budget_and_recent_polls() -> None:
    recent = (PollResult.OK, PollResult.THROTTLED, PollResult.FAILED, PollResult.OK)
    page = render(status(replace(OK, recent=recent, budget_share=0.5)), "1")
    strip = re.search(r'<svg class="strip".*?</svg>', page)
    assert strip is not None
    assert re.findall(r"<title>(\w+)</title></rect>", strip.group(0)) == [
        "ok",
        "throttled",
        "failed",
        "ok",
    ]
    assert 'aria-label="last 4 polls: 2 ok, 1 failed, 1 throttled"' in strip.group(0)
    # Data age 1200 s of 1500 s on a scale of twice the expected age: 40% of 120 px.
    assert 'aria-label="data age 1200 s, expected 1500 s"' in page
    assert '<rect x="0" y="2" width="48" height="8" rx="2" fill="#2e7d32"/>' in page
    # Budget share 50%: half the bar.
    assert '<rect x="0" y="2" width="60" height="8" rx="2" fill="#1565c0"/>' in page
    late = render(status(replace(OK, data_end=NOW - 4000)), "1")
    # Past twice the expected age the bar is full, and orange.
    assert '<rect x="0" y="2" width="120" height="8" rx="2" fill="#ef8f00"/>' in late
    nothing = render(status(replace(OK, data_end=None, recent=())), "1")
    assert "no data yet" in nothing
    assert "none yet" in nothing


def test_the_page_says_why_counters_have_not_started() -> None:
    # Up, but the newest settled slice is the start-up baseline: counters read 0.
    starting = replace(OK, data_end=NOW - 1200, counting_from=NOW - 1100)
    page = render(status(starting), "1")
    assert "Counters of 1 endpoint(s) have not started yet" in page
    assert "one slice and one poll interval later at most" in page
    assert '<small class="dim sub">counters not started</small>' in page
    counting = render(status(OK), "1")
    assert "have not started" not in counting
    assert "counters not started</small>" not in counting


def test_discovery_is_listed_failing_first() -> None:
    good = DiscoveryStatus("main", 3600, 12, 3, NOW - 60, None)
    bad = DiscoveryStatus("other", 3600, None, 2, None, "auth_failure: HTTP 401")
    page = render(status(OK, discovery=(good, bad)), "1")
    section = page[page.index("Domain discovery") :]
    assert section.index("<b>other</b>") < section.index("<b>main</b>")
    assert '<td data-label="domains">12</td>' in section
    assert '<td data-label="domains">not listed yet</td>' in section
    assert "Domain discovery" not in render(status(OK), "1")


@pytest.mark.parametrize(
    ("value", "traffic", "text"),
    [
        (12.5e6, False, "100 Mbps"),  # bytes per second, read as bits per second
        (156.25e6, False, "1.25 Gbps"),
        (124.99e6, False, "1 Gbps"),  # 999.92 Mbps rounds up a unit
        (0.0, False, "0 bps"),
        (3.2e12, True, "3.2 TB"),  # traffic in bytes
        (512e9, True, "512 GB"),
    ],
)
def test_billing_amounts_read_as_invoices_print_them(
    value: float, traffic: bool, text: str
) -> None:
    assert amount(value, traffic) == text


def billing_section(page: str) -> str:
    return page[page.index("<h2>Billing</h2>") : page.index("</table>", page.index("Billing"))]


def test_each_billing_group_shows_its_month_against_its_commit() -> None:
    assert "<h2>Billing</h2>" not in render(status(OK), "1")
    traffic = replace(
        P95,
        account="cdn",
        group="downloads",
        backfilling=False,
        points=2726,
        method=Method.TRAFFIC,
        billed=1.5e12,
        forecast=5e12,
        commit=None,
        burst_points=None,
        cost=None,
        currency=None,
    )
    section = billing_section(render(status(OK, billing=(P95, traffic)), "1"))
    # Groups in the order given (accounts, then groups, as configured).
    assert section.index("<b>video</b>") < section.index("<b>downloads</b>")
    assert '<small class="dim sub">main, p95</small>' in section
    assert '<td data-label="month" class="nowrap">2026-03</td>' in section
    # The bar: a scale of 1.25 x the larger of commit and forecast (15.625 MB/s): month to
    # date 38 px over the forecast 77 px, both blue, the commit a tick at 96 px.
    assert 'aria-label="month to date 40 Mbps, forecast 80 Mbps, commit 100 Mbps"' in section
    assert '<rect x="0" y="2" width="77" height="8" rx="2" fill="#90caf9"/>' in section
    assert '<rect x="0" y="2" width="38" height="8" rx="2" fill="#1565c0"/>' in section
    assert '<rect x="95" y="0" width="2" height="12" fill="#333"/>' in section
    assert '<small class="sub">forecast 80 Mbps</small>' in section
    assert '<td data-label="commit" class="nowrap">100 Mbps</td>' in section
    assert '<td data-label="burst points left" class="nowrap">440</td>' in section
    assert '<td data-label="estimated cost" class="nowrap">1,600.00 CNY</td>' in section
    assert '<td data-label="points">2700/2726 (99%) backfilling</td>' in section
    assert '<span class="badge waiting">backfilling</span>' in section
    # Traffic in bytes, no commit (no tick), no price, no burst points: empty cells.
    assert "month to date 1.5 TB, forecast 5 TB" in section
    assert '<td data-label="commit" class="nowrap">none</td>' in section
    assert '<td data-label="estimated cost" class="nowrap"></td>' in section
    assert '<td data-label="points">2726/2726 (100%)</td>' in section
    assert section.count('fill="#333"') == 1
    assert "#c62828" not in section


def test_a_forecast_over_the_commit_is_red() -> None:
    over = replace(P95, billed=10e6, forecast=20e6)  # 160 Mbps forecast, 100 Mbps commit
    section = billing_section(render(status(OK, billing=(over,)), "1"))
    assert '<tr class="failing">' in section
    assert '<span class="badge failing">over commit</span>' in section
    # The scale is 1.25 x the forecast (25 MB/s): the commit's tick at 60 px.
    assert '<rect x="0" y="2" width="96" height="8" rx="2" fill="#ef9a9a"/>' in section
    assert '<rect x="0" y="2" width="48" height="8" rx="2" fill="#c62828"/>' in section
    assert '<rect x="59" y="0" width="2" height="12" fill="#333"/>' in section
    # Month to date over the commit but the forecast under it (a burst): not red.
    burst = replace(P95, billed=13e6, forecast=12e6)
    assert "#c62828" not in billing_section(render(status(OK, billing=(burst,)), "1"))
