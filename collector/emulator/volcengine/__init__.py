"""The emulated Volcengine Live usage API: facts, auth, validation, responses, routes."""

from __future__ import annotations

from collector.emulator.volcengine.responses import GROUPS, account_vhosts
from collector.emulator.volcengine.routes import register

__all__ = ["GROUPS", "account_vhosts", "register"]
