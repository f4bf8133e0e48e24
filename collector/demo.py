"""Demo mode: the emulator's demo accounts as an exporter configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from collector.clock import Clock
from collector.config.loading import validate
from collector.config.runtime import Config
from collector.emulator.core import EmulatedAccount, Emulator, demo_accounts
from collector.emulator.server import RunningEmulator, serve_forever, start
from collector.emulator.volcengine import GROUPS as DEMO_PULL_TO_PUSH_GROUPS
from collector.emulator.volcengine import account_vhosts

# The demo turns on exactly what the two dashboards show (tests/e2e/test_dashboards_e2e.py
# runs every query of both against it): the opt-in breakdowns of cdn-overview.json, and
# `slices: true` on the endpoints cdn-slices.json reads. Slices summed over the window that
# ended an hour ago (`offset 1h`) re-read an hour, so the first poll already exposes slices
# that old; the calls stay within each limit (one window per call, domains batched).
_SLICES: dict[str, Any] = {"slices": True}
_SLICES_HOUR: dict[str, Any] = {"slices": True, "reread": "1h"}
_DEMO_ENDPOINTS: dict[str, dict[str, Any]] = {
    "wangsu": {
        "flow_request": _SLICES_HOUR,
        "flow_request_origin": _SLICES_HOUR,
        "edge_hit_ratio": _SLICES,
        "isp_province": {"enabled": True},
        "hit_rate_isp_province": {"enabled": True},
        "protocol": {"enabled": True},
        "client_country": {"enabled": True},
        "multi_ip_version": {"enabled": True},
        "dir_info": {"enabled": True},
        "stream": {"enabled": True},
        # Wangsu's own billing series, billed like ours: the provider figure beside the
        # whole-account group's.
        "perzone_billing": {"enabled": True},
    },
    "cdnetworks": {
        "flow_request": _SLICES_HOUR,
        "flow_request_origin": _SLICES_HOUR,
        "edge_hit_ratio": _SLICES,
        "country_bandwidth": {"enabled": True},
        # CDNetworks' own reports too: static/dynamic and per-PoP traffic.
        "static_dynamic": {"enabled": True},
        "pop_traffic": {"enabled": True},
    },
    "volcengine": {
        "bandwidth": _SLICES,
        "traffic": _SLICES_HOUR,
        "pull_to_push_bandwidth": _SLICES,
        "pull_to_push": _SLICES_HOUR,
        "record": _SLICES,
        "transcode": _SLICES,
        "snapshot": _SLICES_HOUR,
        "audit": _SLICES,
        "time_shift": _SLICES,
        # The opt-in breakdowns too: per-code status counts, and per-stream users (capped).
        "status_codes_by_code": {"enabled": True},
        "stream_sessions": _SLICES,
        "stream_sessions_by_stream": {"enabled": True, "max_series": 100, "slices": True},
    },
}


def _aksk(account: EmulatedAccount) -> dict[str, Any]:
    return {"method": "aksk", "access_key": account.access_key, "secret_key": account.secret_key}


def _apikey(account: EmulatedAccount) -> dict[str, Any]:
    return {"method": "apikey", "username": account.username, "api_key": account.api_key}


# The CDNetworks demo account signs with the legacy API key, so both Wangsu schemes run.
_AUTH = {"wangsu": _aksk, "cdnetworks": _apikey, "volcengine": _aksk}
# CDNetworks docs use UTC: exercise another offset; its account spells the reports as
# CDNetworks documents them (the default, said aloud). Volcengine: named groups and vhosts
# give per-group and per-vhost series instead of account totals.
_EXTRA: dict[str, Callable[[EmulatedAccount], dict[str, Any]]] = {
    "wangsu": lambda account: {},
    "cdnetworks": lambda account: {"time_offset": "+00:00", "api_dialect": "cdnetworks"},
    "volcengine": lambda account: {
        "filters": {
            "pull_to_push_groups": list(DEMO_PULL_TO_PUSH_GROUPS),
            "time_shift_vhosts": list(account_vhosts(account)),
        }
    },
}


def account_config(
    account: EmulatedAccount,
    base_url: str,
    endpoints: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The `accounts[]` entry that polls an emulated account at `base_url`: the one
    builder behind the demo and the integration tests. `extra` overrides any key."""
    return {
        "name": account.name,
        "provider": account.provider,
        "base_url": base_url,
        "auth": _AUTH[account.provider](account),
        "domains": list(account.domains),
        "endpoints": _DEMO_ENDPOINTS.get(account.provider, {}) if endpoints is None else endpoints,
        **_EXTRA[account.provider](account),
        **extra,
    }


# The Wangsu demo account is billed as one group whose p95 (about 128 Mbps) approaches
# its commit, and whose peaks pass it: every billing figure and alert has something to show.
DEMO_BILLING = {
    "groups": [
        {
            "name": "account",
            "commit": {"bandwidth": "135Mbps"},
            "price": {"currency": "CNY", "flat": 25},
        }
    ]
}
# Volcengine publishes its own P95 per domain: a one-domain group shows it beside ours.
DEMO_LIVE_BILLING = {"groups": [{"name": "play", "domains": ["play.live.example.com"]}]}
BILLING: dict[str, dict[str, Any]] = {"wangsu": DEMO_BILLING, "volcengine": DEMO_LIVE_BILLING}


def demo_settings(base_url: str) -> Config:
    """The exporter configuration that polls the demo accounts at `base_url`."""
    accounts = [
        account_config(
            a, base_url, **({"billing": BILLING[a.provider]} if a.provider in BILLING else {})
        )
        for a in demo_accounts()
    ]
    return validate({"accounts": accounts, "account_jitter": 2})


async def start_demo_emulator(clock: Clock) -> tuple[RunningEmulator, Config]:
    """Start the emulator in-process on a free loopback port; return it and the config."""
    running = await start(Emulator(demo_accounts(), clock=clock, on_request_fields=True))
    return running, demo_settings(running.base_url)


async def serve_demo_emulator(host: str, port: int) -> None:
    """Serve the emulator with the demo accounts until cancelled."""
    await serve_forever(host, port, Emulator(demo_accounts(), on_request_fields=True))
