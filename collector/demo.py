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

# Opt-in breakdowns are switched on in the demo so every dashboard panel has data.
_DEMO_ENDPOINTS: dict[str, dict[str, Any]] = {
    "wangsu": {
        "isp_province": {"enabled": True},
        "hit_rate_isp_province": {"enabled": True},
        "protocol": {"enabled": True},
        "client_country": {"enabled": True},
        "multi_ip_version": {"enabled": True},
        "dir_info": {"enabled": True},
        "stream": {"enabled": True},
    },
    "cdnetworks": {"country_bandwidth": {"enabled": True}},
    "volcengine": {"stream_sessions_by_stream": {"enabled": True}},
}


def _aksk(account: EmulatedAccount) -> dict[str, Any]:
    return {"method": "aksk", "access_key": account.access_key, "secret_key": account.secret_key}


def _apikey(account: EmulatedAccount) -> dict[str, Any]:
    return {"method": "apikey", "username": account.username, "api_key": account.api_key}


# The CDNetworks demo account signs with the legacy API key, so both Wangsu schemes run.
_AUTH = {"wangsu": _aksk, "cdnetworks": _apikey, "volcengine": _aksk}
# CDNetworks docs use UTC: exercise another offset. Volcengine: named groups and vhosts
# give per-group and per-vhost series instead of account totals.
_EXTRA: dict[str, Callable[[EmulatedAccount], dict[str, Any]]] = {
    "wangsu": lambda account: {},
    "cdnetworks": lambda account: {"time_offset": "+00:00"},
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


def demo_settings(base_url: str) -> Config:
    """The exporter configuration that polls the demo accounts at `base_url`."""
    accounts = [account_config(a, base_url) for a in demo_accounts()]
    return validate({"accounts": accounts, "account_jitter": 2})


async def start_demo_emulator(clock: Clock) -> tuple[RunningEmulator, Config]:
    """Start the emulator in-process on a free loopback port; return it and the config."""
    running = await start(Emulator(demo_accounts(), clock=clock, on_request_fields=True))
    return running, demo_settings(running.base_url)


async def serve_demo_emulator(host: str, port: int) -> None:
    """Serve the emulator with the demo accounts until cancelled."""
    await serve_forever(host, port, Emulator(demo_accounts(), on_request_fields=True))
