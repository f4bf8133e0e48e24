"""Billing reconciliation with Wangsu/CDNetworks' own billing reports, over loopback HTTP
against the emulator on a virtual clock: twelve hours into February 2026, a Wangsu
one-domain group gets its channel's billed value from `/myview/Channelvalue` and a
CDNetworks whole-account group the figures of its billing series from
`/myview/perzone-billing`; each equals the emulator's truth over the range the report
covers, is exported as the provider's figure, and agrees with ours within the 2 % that
CdnBillingProviderMismatch tolerates."""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from collector.billing.families import PROVIDER_BANDWIDTH
from collector.billing.ledger import Method
from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import Emulator
from collector.emulator.traffic import Quantity, decimal
from collector.emulator.wangsu.catalog_billing import charge_method
from collector.model import MEGABIT_PER_SECOND
from collector.providers.wangsu.catalog_billing import (
    CHANNEL_CHARGE_BANDWIDTH,
    PERZONE_BILLING_BANDWIDTH,
)
from tests.billing.test_billing_properties import brute_force
from tests.integration.conftest import CDNETWORKS, HEALTH_OFF, WANGSU, running

HOUR = 3600
CST = 8 * HOUR
START = calendar.timegm((2026, 2, 1, 0, 0, 0)) - CST + HOUR  # 01:00 +08:00
FLOW_REQUEST = {"interval": "1h", "delay": "15m", "reread": "10m"}
OFF = {"enabled": False}


def printed(emulator: Emulator, account: str, domain: str, end: int) -> float:
    """A domain's 5-minute bandwidth as the reports print it (2-decimal Mbps)."""
    mbps = emulator.traffic.value(account, domain, Quantity.BANDWIDTH, end - 300, 300)
    return float(decimal(mbps, 2))


def configure(base_url: str) -> list[dict[str, Any]]:
    common = {
        "flow_request": FLOW_REQUEST,
        "flow_request_origin": OFF,
        "edge_hit_ratio": OFF,
        **HEALTH_OFF,
    }
    wangsu_groups = [{"name": "img", "domains": ["img.example.com"]}, {"name": "rest"}]
    return [
        account_config(
            WANGSU,
            base_url,
            {**common, "channel_value": {"enabled": True}},
            billing={"groups": wangsu_groups},
        ),
        account_config(
            CDNETWORKS,
            base_url,
            {**common, "perzone_billing": {"enabled": True}},
            billing={"groups": [{"name": "all"}]},
        ),
    ]


@pytest.mark.slow
async def test_wangsu_and_cdnetworks_groups_reconcile_with_the_providers_billing_reports() -> None:
    clock = VirtualClock(START)
    async with running(clock, [WANGSU, CDNETWORKS], configure) as (server, exporter):
        await clock.run_until(START + 12 * HOUR)
        emulator = server.emulator
        month = calendar.timegm((2026, 2, 1, 0, 0, 0)) - CST
        samples = {(s.family.name, s.labels): s.value for s in exporter.billing.samples()}

        # Channelvalue: the one-domain group's figure is its channel's charge value.
        raw, _ = charge_method(WANGSU.name, "img.example.com")
        assert raw == "日峰值月平均"  # the emulator bills img.example.com by daily peaks
        method = Method.DAILY_PEAK_AVERAGE
        poller = next(
            p
            for p in exporter.pollers
            if p.account.name == WANGSU.name and p.settings.spec.name == "channel_value"
        )
        gauges = {
            labels: point
            for (family, labels), point in poller.store.gauges.items()
            if family == CHANNEL_CHARGE_BANDWIDTH
        }
        # One call a channel: www.example.com is billed by its 4th daily peak (0 so far).
        assert set(gauges) == {
            ("img.example.com", "daily_peak_average"),
            ("www.example.com", "fourth_daily_peak"),
        }
        assert gauges[("www.example.com", "fourth_daily_peak")][1] == 0.0
        end, value = gauges[("img.example.com", "daily_peak_average")]
        truth = {
            e: printed(emulator, WANGSU.name, "img.example.com", e) * MEGABIT_PER_SECOND
            for e in range(month + 300, end + 1, 300)
        }
        assert value == pytest.approx(brute_force(truth, CST, "2026-02", True, 0.0)[method])
        img = exporter.billing.accounts[WANGSU.name].books["img"].ledger.months["2026-02"]
        assert img.provider == {method: value}
        assert value == pytest.approx(img.figures().bandwidth(method), rel=0.02)
        labels = (WANGSU.name, "img", str(method), "2026-02")
        assert samples[(PROVIDER_BANDWIDTH.name, labels)] == value
        # The rest of an account with a listed group is no report's answer.
        rest = exporter.billing.accounts[WANGSU.name].books["rest"].ledger.months["2026-02"]
        assert rest.provider == {}

        # perzone-billing: the whole account's series, billed by every method.
        poller = next(
            p
            for p in exporter.pollers
            if p.account.name == CDNETWORKS.name and p.settings.spec.name == "perzone_billing"
        )
        figures = {
            labels[1]: point
            for (family, labels), point in poller.store.gauges.items()
            if family == PERZONE_BILLING_BANDWIDTH
        }
        end = figures["p95"][0]
        book = exporter.billing.accounts[CDNETWORKS.name]
        # Asked in GMT+08:00, the group's zone (the account's is UTC).
        assert (book.account.offset_seconds, book.books["all"].group.offset) == (0, CST)
        truth = {
            e: float(
                decimal(
                    sum(printed(emulator, CDNETWORKS.name, d, e) for d in CDNETWORKS.domains), 2
                )
            )
            * MEGABIT_PER_SECOND
            for e in range(month + 300, end + 1, 300)
        }
        expected = brute_force(truth, CST, "2026-02", True, 0.0)
        ledger = book.books["all"].ledger.months["2026-02"]
        for each in (Method.P95, Method.DAILY_PEAK_AVERAGE, Method.FOURTH_DAILY_PEAK):
            assert figures[str(each)][1] == pytest.approx(expected[each]), each
            assert ledger.provider[each] == figures[str(each)][1]
            labels = (CDNETWORKS.name, "all", str(each), "2026-02")
            assert samples[(PROVIDER_BANDWIDTH.name, labels)] == ledger.provider[each]
        assert ledger.provider[Method.P95] == pytest.approx(ledger.figures().p95, rel=0.02)
        assert b"cdn_billing_provider_bandwidth_bytes_per_second{" in exporter.rendered.plain
