"""The billing keeper: group sums of the settled slices, recorded once unless revised,
months opened at their first instant and dropped a few days after their end, the
provider's figure where it is the group's own, the state file's billing section, and the
backfill's pace."""

from __future__ import annotations

import calendar
import logging
from pathlib import Path
from typing import Any

import pytest

from collector import state
from collector.app import Exporter
from collector.billing.ledger import Method
from collector.billingkeeper import FINISHED_MONTH_KEPT, AccountBilling, backfill_pace
from collector.clock import FakeClock
from collector.config.loading import validate
from collector.families import BANDWIDTH
from collector.model import Point
from collector.planner import Plan
from collector.poller import EndpointPoller
from collector.providers.volcengine.families import P95_PEAK_BANDWIDTH
from collector.providers.wangsu.catalog_billing import (
    CHANNEL_CHARGE_BANDWIDTH,
    PERZONE_BILLING_BANDWIDTH,
)

HOUR = 3600
# 2026-03-10 12:00 +08:00: far from any month's end in +08:00 and -05:00.
NOW = calendar.timegm((2026, 3, 10, 4, 0, 0))
GROUPS = [
    {"name": "a", "domains": ["a.example.com"]},
    {"name": "rest", "time_zone": "-05:00"},
]


def wangsu(
    tmp_path: Path, groups: list[dict[str, Any]] = GROUPS, reports: tuple[str, ...] = ()
) -> Any:
    """The account; `reports`: opt-in reports turned on beside flow_request."""
    return validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "wangsu",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": ["a.example.com", "b.example.com", "c.example.com"],
                    # flow_request alone: the billing groups read its bandwidth.
                    "endpoints": {
                        **{
                            name: {"enabled": False}
                            for name in (
                                "flow_request_origin",
                                "edge_hit_ratio",
                                "status_codes",
                                "origin_status_codes",
                                "origin_response_time",
                                "certificates",
                            )
                        },
                        **{name: {"enabled": True} for name in reports},
                    },
                    **({"billing": {"groups": groups}} if groups else {}),
                }
            ],
            "state_file": str(tmp_path / "state.json"),
        }
    )


def poll(exporter: Exporter, poller: EndpointPoller, points: list[Point], horizon: float) -> bool:
    """What a poll leaves: the points settled in the store at `horizon`; then the
    keeper's step after it."""
    poller.store.ingest(points, horizon)
    poller.horizon = horizon
    if poller.up is None:
        poller.up = True  # every call succeeded
    return exporter.billing.after_poll(poller, horizon + 900)


def bandwidth(domain: str, end: int, down: float, up: float = 0.0) -> list[Point]:
    return [
        Point(BANDWIDTH, (domain, "down"), end, down),
        Point(BANDWIDTH, (domain, "up"), end, up),
    ]


def book(exporter: Exporter) -> AccountBilling:
    return exporter.billing.accounts["main"]


def month_of(exporter: Exporter, group: str, key: str) -> Any:
    return book(exporter).books[group].ledger.months[key]


def test_each_group_sums_its_domains_and_directions_per_slice(tmp_path: Path) -> None:
    exporter = Exporter(wangsu(tmp_path), FakeClock(NOW))
    [poller] = exporter.pollers
    end = NOW - 900
    points = [*bandwidth("a.example.com", end, 10.0, 1.0)]
    points += [*bandwidth("b.example.com", end, 20.0), *bandwidth("c.example.com", end, 5.0)]
    assert poll(exporter, poller, points, end)
    figures = month_of(exporter, "a", "2026-03").figures()
    assert (figures.points, figures.p95) == (1, 11.0)
    figures = month_of(exporter, "rest", "2026-03").figures()
    assert (figures.points, figures.p95) == (1, 25.0)
    # Exported with the account first, then the family's labels.
    samples = {(s.family.name, s.labels): s.value for s in exporter.billing.samples()}
    key = ("cdn_billing_bandwidth_bytes_per_second", ("main", "rest", "p95", "2026-03"))
    assert samples[key] == 25.0
    # On /metrics every billing family starts with provider and account, like the others.
    (family,) = [f for f in exporter.billing.families() if f.name == key[0]]
    assert family.label_names[:2] == ("provider", "account")
    assert (("wangsu", *key[1]), 25.0) in family.samples


def test_an_unchanged_re_read_is_not_recorded_again_and_a_revision_replaces(
    tmp_path: Path,
) -> None:
    exporter = Exporter(wangsu(tmp_path), FakeClock(NOW))
    [poller] = exporter.pollers
    first = NOW - 6 * HOUR
    for step in range(80):  # past the ledger's window: the first slices freeze
        end = first + 300 * step
        poll(exporter, poller, bandwidth("a.example.com", end, 1.0 + step), end)
    # The store still holds the re-read window: an unchanged re-read records nothing.
    last = first + 300 * 79
    assert not poll(exporter, poller, bandwidth("a.example.com", last, 80.0), last)
    # A revision inside the window replaces the old value.
    assert poll(exporter, poller, bandwidth("a.example.com", last, 500.0), last)
    ledger = month_of(exporter, "a", "2026-03")
    figures = ledger.figures()
    assert figures.points == 80
    assert figures.traffic == pytest.approx((sum(range(1, 80)) + 500.0) * 300)
    assert ledger.late_revisions == 0


def test_a_month_opens_at_its_first_instant_and_a_finished_one_leaves_days_later(
    tmp_path: Path,
) -> None:
    exporter = Exporter(wangsu(tmp_path, [{"name": "all"}]), FakeClock(NOW))
    [poller] = exporter.pollers
    april = calendar.timegm((2026, 4, 1, 0, 0, 0)) - 8 * HOUR  # 00:00 +08:00
    last_of_march = april - 1200
    poll(exporter, poller, bandwidth("a.example.com", last_of_march, 7.0), last_of_march)
    ledger = book(exporter).books["all"].ledger
    assert sorted(ledger.months) == ["2026-03"]
    exporter.billing.after_poll(poller, april - 1)
    assert sorted(ledger.months) == ["2026-03"]
    exporter.billing.after_poll(poller, april)
    assert sorted(ledger.months) == ["2026-03", "2026-04"]
    assert ledger.months["2026-04"].figures().points == 0
    # March's last slices still land in March; its figures stay exported a few days.
    poll(exporter, poller, bandwidth("a.example.com", april, 9.0), april)
    assert ledger.months["2026-03"].figures().points == 2
    exporter.billing.after_poll(poller, april + FINISHED_MONTH_KEPT - 1)
    assert "2026-03" in ledger.months
    exporter.billing.after_poll(poller, april + FINISHED_MONTH_KEPT)
    assert sorted(ledger.months) == ["2026-04"]
    months = {s.labels[-1] for s in exporter.billing.samples() if s.family.name.endswith("points")}
    assert months == {"2026-04"}


def volcengine(groups: list[dict[str, Any]]) -> Any:
    return validate(
        {
            "accounts": [
                {
                    "name": "main",
                    "provider": "volcengine",
                    "auth": {"access_key": "AK", "secret_key": "SK"},
                    "domains": ["one.example.com", "two.example.com", "three.example.com"],
                    "billing": {"groups": groups},
                }
            ]
        }
    )


def test_the_provider_p95_is_reconciled_where_it_is_the_group_s_own() -> None:
    groups = [
        {"name": "one", "domains": ["one.example.com"]},
        {"name": "pair", "domains": ["two.example.com", "three.example.com"]},
    ]
    exporter = Exporter(volcengine(groups), FakeClock(NOW))
    pollers = {p.settings.spec.name: p for p in exporter.pollers}
    end = NOW - 3600
    points = [
        Point(P95_PEAK_BANDWIDTH, (d,), end, 40.0)
        for d in ("one.example.com", "two.example.com", "three.example.com")
    ]
    p95 = pollers["p95_peak_bandwidth"]
    assert poll(exporter, p95, points, end)
    assert month_of(exporter, "one", "2026-03").provider == {Method.P95: 40.0}
    # A sum of per-domain P95s is never the pair's P95: nothing to compare with.
    assert month_of(exporter, "pair", "2026-03").provider == {}


def test_the_wangsu_billing_reports_feed_their_own_groups_in_their_own_zones(
    tmp_path: Path,
) -> None:
    groups = [
        {"name": "a", "domains": ["a.example.com"]},
        {"name": "b", "domains": ["b.example.com"], "time_zone": "-05:00"},
        {"name": "c", "domains": ["c.example.com"]},
    ]
    exporter = Exporter(wangsu(tmp_path, groups, ("channel_value",)), FakeClock(NOW))
    pollers = {p.settings.spec.name: p for p in exporter.pollers}
    end = NOW - 3600
    points = [
        Point(CHANNEL_CHARGE_BANDWIDTH, ("a.example.com", "daily_peak_average"), end, 30.0),
        Point(CHANNEL_CHARGE_BANDWIDTH, ("a.example.com", "包月带宽"), end, 99.0),
        Point(CHANNEL_CHARGE_BANDWIDTH, ("b.example.com", "p95"), end, 20.0),
        Point(CHANNEL_CHARGE_BANDWIDTH, ("c.example.com", "包月带宽"), end, 10.0),
    ]
    assert poll(exporter, pollers["channel_value"], points, end)
    # Ours where the method is; an unmapped charge method feeds no group.
    assert month_of(exporter, "a", "2026-03").provider == {Method.DAILY_PEAK_AVERAGE: 30.0}
    # Channelvalue's months are GMT+08:00: not the -05:00 group's.
    assert month_of(exporter, "b", "2026-03").provider == {}
    assert month_of(exporter, "c", "2026-03").provider == {}


def test_perzone_billing_feeds_the_whole_account_group_in_the_accounts_zone(
    tmp_path: Path,
) -> None:
    exporter = Exporter(wangsu(tmp_path, [{"name": "all"}], ("perzone_billing",)), FakeClock(NOW))
    pollers = {p.settings.spec.name: p for p in exporter.pollers}
    end = NOW - 3600
    points = [
        Point(PERZONE_BILLING_BANDWIDTH, ("*", "p95"), end, 50.0),
        Point(PERZONE_BILLING_BANDWIDTH, ("*", "fourth_daily_peak"), end, 45.0),
    ]
    assert poll(exporter, pollers["perzone_billing"], points, end)
    assert month_of(exporter, "all", "2026-03").provider == {
        Method.P95: 50.0,
        Method.FOURTH_DAILY_PEAK: 45.0,
    }
    # Another zone than the account's: another month, not compared.
    other = Exporter(
        wangsu(tmp_path, [{"name": "all", "time_zone": "-05:00"}], ("perzone_billing",)),
        FakeClock(NOW),
    )
    pollers = {p.settings.spec.name: p for p in other.pollers}
    poll(other, pollers["perzone_billing"], points, end)
    assert month_of(other, "all", "2026-03").provider == {}


def test_billing_continues_from_the_state_file_and_a_changed_zone_starts_afresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = Exporter(wangsu(tmp_path), FakeClock(NOW))
    [poller] = exporter.pollers
    end = NOW - 900
    poll(
        exporter,
        poller,
        [*bandwidth("a.example.com", end, 3.0), *bandwidth("b.example.com", end, 4.0)],
        end,
    )
    path = tmp_path / "state.json"
    path.write_bytes(state.encode([], NOW, exporter.billing.to_dict()))
    # Endpoint state decodes as before: the billing section is optional and apart.
    assert state.decode(path.read_bytes()) == []
    assert state.decode_billing(state.encode([], NOW)) is None

    caplog.set_level(logging.INFO, logger="collector")
    moved = [{"name": "a", "domains": ["a.example.com"]}, {"name": "rest", "time_zone": "+01:00"}]
    again = Exporter(wangsu(tmp_path, moved), FakeClock(NOW))
    assert month_of(again, "a", "2026-03").figures().p95 == 3.0
    assert book(again).books["a"].recorded == {end: 3.0}
    assert book(again).books["rest"].ledger.months == {}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("group rest: its time_zone or valid_days_only changed" in w for w in warnings)


def test_the_backfill_takes_only_the_calls_the_plan_leaves() -> None:
    exporter = Exporter(wangsu(Path("/nonexistent")), FakeClock(NOW))
    [poller] = exporter.pollers
    settings = poller.settings  # 300 calls per 300 s

    def plan(share: float) -> Plan:
        return Plan("main", "flow_request", 300, 1, share, 300, 1)

    assert backfill_pace(settings, plan(0.0)) == 1
    assert backfill_pace(settings, plan(0.5)) == 2  # 150 spare calls per 300 s
    assert backfill_pace(settings, plan(0.999)) is None  # less than one spare call


def test_a_reload_keeps_unchanged_groups_and_starts_changed_ones_afresh(tmp_path: Path) -> None:
    exporter = Exporter(wangsu(tmp_path), FakeClock(NOW))
    [poller] = exporter.pollers
    end = NOW - 900
    points = [*bandwidth("a.example.com", end, 3.0), *bandwidth("b.example.com", end, 4.0)]
    poll(exporter, poller, points, end)
    before = book(exporter).books
    # A new group takes b.example.com from the rest: `a` keeps its ledger, the rest
    # (other domains now) starts afresh, the new group too.
    groups = [*GROUPS, {"name": "b", "domains": ["b.example.com"]}]
    exporter.billing.follow(wangsu(tmp_path, groups).accounts)
    after = book(exporter).books
    assert after["a"] is before["a"]
    assert after["rest"] is not before["rest"]
    assert after["rest"].ledger.months == {} == after["b"].ledger.months
    # The same config again keeps everything.
    exporter.billing.follow(wangsu(tmp_path, groups).accounts)
    assert book(exporter).books is after


def test_a_poll_with_a_failed_call_records_nothing(tmp_path: Path) -> None:
    exporter = Exporter(wangsu(tmp_path), FakeClock(NOW))
    [poller] = exporter.pollers
    end = NOW - 900
    poller.up = False  # one batch of domains failed: a group's sum could miss some
    poll(exporter, poller, bandwidth("a.example.com", end, 3.0), end)  # the month opens
    assert book(exporter).books["a"].ledger.months["2026-03"].figures().points == 0
    assert book(exporter).settled_until == end  # the coverage still counts the slice
    poller.up = True
    assert poll(exporter, poller, bandwidth("a.example.com", end, 3.0), end)
    assert book(exporter).books["a"].ledger.months["2026-03"].figures().points == 1


async def test_a_reload_that_adds_billing_keeps_the_pollers_and_widens_the_store(
    tmp_path: Path,
) -> None:
    exporter = Exporter(wangsu(tmp_path, []), FakeClock(NOW))
    [poller] = exporter.pollers
    narrow = poller.store.retention
    assert exporter.billing.accounts == {}
    plan = await exporter.apply(wangsu(tmp_path))
    assert plan.rebuild == ()
    assert exporter.pollers == [poller]
    assert poller.store.retention > narrow
    assert set(book(exporter).books) == {"a", "rest"}
