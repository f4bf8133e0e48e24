"""The emulated Wangsu/CDNetworks report API: facts, auth, validation, responses, routes."""

from __future__ import annotations

from collector.emulator.wangsu.routes import register

__all__ = ["register"]
