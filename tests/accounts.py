"""One `accounts[]` entry validated alone, as the daemon validates a whole file."""

from __future__ import annotations

from typing import Any

from collector.config.loading import validate
from collector.config.runtime import Account


def load_account(data: dict[str, Any]) -> Account:
    """The entry's frozen form; ConfigError as for a file holding only this account."""
    return validate({"accounts": [data]}).accounts[0]
