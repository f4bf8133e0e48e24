"""Demo mode: the emulator's demo accounts as an exporter configuration."""

from __future__ import annotations

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
    },
    "cdnetworks": {"country_bandwidth": {"enabled": True}},
    "volcengine": {},
}


def _account_config(account: EmulatedAccount, base_url: str) -> dict[str, Any]:
    if account.provider == "cdnetworks":
        # The CDNetworks demo account signs with the legacy API key, so both schemes run.
        auth = {"method": "apikey", "username": account.username, "api_key": account.api_key}
    else:
        auth = {
            "method": "aksk",
            "access_key": account.access_key,
            "secret_key": account.secret_key,
        }
    config: dict[str, Any] = {
        "name": account.name,
        "provider": account.provider,
        "base_url": base_url,
        "auth": auth,
        "domains": list(account.domains),
        "endpoints": _DEMO_ENDPOINTS.get(account.provider, {}),
    }
    if account.provider == "cdnetworks":
        config["time_offset"] = "+00:00"  # CDNetworks docs use UTC; exercise another offset
    if account.provider == "volcengine":
        # Named groups and vhosts give per-group and per-vhost series instead of totals.
        config["filters"] = {
            "pull_to_push_groups": list(DEMO_PULL_TO_PUSH_GROUPS),
            "time_shift_vhosts": list(account_vhosts(account)),
        }
    return config


def demo_settings(base_url: str) -> Config:
    """The exporter configuration that polls the demo accounts at `base_url`."""
    accounts = [_account_config(a, base_url) for a in demo_accounts()]
    return validate({"accounts": accounts, "account_jitter": 2})


async def start_demo_emulator(clock: Clock) -> tuple[RunningEmulator, Config]:
    """Start the emulator in-process on a free loopback port; return it and the config."""
    running = await start(Emulator(demo_accounts(), clock=clock))
    return running, demo_settings(running.base_url)


async def serve_demo_emulator(host: str, port: int) -> None:
    """Serve the emulator with the demo accounts until cancelled."""
    await serve_forever(host, port, Emulator(demo_accounts()))
