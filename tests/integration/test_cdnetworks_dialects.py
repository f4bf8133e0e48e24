"""One CDNetworks account polled in both spellings gets identical metric values.

The same emulated account is configured twice: once as CDNetworks documents its API
(`api_dialect: cdnetworks`, the default: `/api/report/traffic-request`, `granularity`,
`dataSeries`, ...) and once pinned to the Wangsu spellings (`api_dialect: wangsu`:
`/api/report/flow-request`, `dataInterval`, `flowRequestData`, ...). Every report with
a CDNetworks twin must be asked for on its own brand's path and export the same series
with the same values: dashboards, alerts and sums work across both spellings.
"""

from __future__ import annotations

from typing import Any

from collector.clock import VirtualClock
from collector.demo import account_config
from collector.emulator import EmulatedAccount
from collector.emulator.core import CallKey
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG
from tests.integration.conftest import running

DAY = 86400
START = 1_700_000_000 - 1_700_000_000 % DAY + 3 * 3600 + 60
ACCOUNT = EmulatedAccount(
    provider="cdnetworks",
    name="both-spellings",
    access_key="BOTH_AK",
    secret_key="BOTH_SK_0123456789",
    username="both-spellings",
    api_key="BOTH_APIKEY",
    domains=("video.example.net", "dl.example.net", "img.example.net"),
)
# The reports CDNetworks renamed, by config name: the same name in both spellings
# (edge_hit_ratio_batched reads the renamed isp-province/hit-rate/total too).
RENAMED = sorted(
    name for name, spec in CDNETWORKS_CATALOG.items() if name in CATALOG and spec != CATALOG[name]
)
# Emulated route names (the emulator's own) of each spelling.
CDNETWORKS_ROUTES = {
    "traffic_request",
    "traffic_request_origin",
    "traffic_domain_country",
    "traffic_protocol",
    "traffic",
    "domaintraffic",
    "saving_bandwidth",
    "traffic_isp_province_hit_rate_total",
}
WANGSU_ROUTES = {
    "flow_request",
    "flow_request_origin",
    "client_country",
    "protocol",
    "account_traffic",
    "domainflow",
    "bandwidth_saving_ratio",
    "isp_province_hit_rate_total",
}


def _endpoints() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {name: {"enabled": False} for name in CATALOG}
    for name in RENAMED:
        spec = CATALOG[name]
        # Hourly polls of slices up to an hour keep the run short; client country's
        # day-late settling is an hour here (the emulator's data is final in 15 minutes).
        granularity = max(g for g in spec.granularities if g <= 3600)
        out[name] = {"enabled": True, "interval": "1h", "granularity": f"{granularity}s"}
        if spec.data_delay > 3600:
            out[name]["delay"] = "1h"
    return out


def _series(exporter: Any, account: str) -> dict[tuple[str, str, tuple[str, ...]], float]:
    return {
        (poller.settings.spec.name, family.name, labels): value
        for poller in exporter.pollers
        if poller.account.name == account
        for family, labels, value in poller.store.series()
    }


async def test_both_spellings_export_identical_values() -> None:
    assert len(RENAMED) == 9, RENAMED
    assert len({CDNETWORKS_CATALOG[name].path for name in RENAMED}) == 8
    clock = VirtualClock(START)

    def configure(base_url: str) -> list[dict[str, object]]:
        endpoints = _endpoints()
        return [
            account_config(ACCOUNT, base_url, endpoints, name="cdn-spelling"),
            account_config(
                ACCOUNT, base_url, endpoints, name="wangsu-spelling", api_dialect="wangsu"
            ),
        ]

    async with running(clock, [ACCOUNT], configure, on_request_fields=True) as (server, exporter):
        paths = {
            (p.account.name, p.settings.spec.name): p.settings.spec.path for p in exporter.pollers
        }
        assert paths[("cdn-spelling", "flow_request")] == "/api/report/traffic-request"
        assert paths[("wangsu-spelling", "flow_request")] == "/api/report/flow-request"
        await clock.run_until(START + 6 * 3600)
        calls = server.emulator.calls
        totals = server.emulator.totals()
        assert totals.throttled == 0
        assert totals.bad_requests == 0
        for route in CDNETWORKS_ROUTES | WANGSU_ROUTES:
            assert calls[CallKey("cdnetworks", ACCOUNT.name, route)].ok > 0, route
        cdn = _series(exporter, "cdn-spelling")
        wangsu = _series(exporter, "wangsu-spelling")
    assert {name for name, _, _ in cdn} == set(RENAMED)
    assert len(cdn) > 50
    assert cdn == wangsu
