"""The validated configuration as frozen objects: what the daemon runs with, no pydantic."""

from __future__ import annotations

from dataclasses import dataclass

from collector.providers.volcengine.config import VolcengineAccount
from collector.providers.wangsu.config import WangsuAccount

Account = WangsuAccount | VolcengineAccount


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration, validated and resolved (secrets read, endpoints chosen)."""

    accounts: tuple[Account, ...]
    listen_address: str
    account_jitter: int
    readiness_grace: int = 120
    max_series: int = 1_000_000  # the global cap on CDN series; 0: none
    state_file: str | None = None  # counter continuity across restarts; None: none
    max_backfill: int = 6 * 3600  # how far back polls re-read after outages and restarts
    rate_budget_share: float = 1.0  # the share of every rate limit this replica uses
    max_response_bytes: int = 64 * 1024 * 1024  # the largest provider answer read
