"""A faithful loopback emulator of the providers' report APIs, for demos and tests."""

from __future__ import annotations

from collector.emulator.core import (
    CallCounts,
    CallKey,
    CallResult,
    Dialect,
    DomainSpan,
    EmulatedAccount,
    Emulator,
    Fault,
    FaultKind,
    Reject,
    demo_accounts,
)
from collector.emulator.server import RunningEmulator, build_app, serve_forever, start
from collector.emulator.traffic import Quantity, TrafficModel

__all__ = [
    "CallCounts",
    "CallKey",
    "CallResult",
    "Dialect",
    "DomainSpan",
    "EmulatedAccount",
    "Emulator",
    "Fault",
    "FaultKind",
    "Quantity",
    "Reject",
    "RunningEmulator",
    "TrafficModel",
    "build_app",
    "demo_accounts",
    "serve_forever",
    "start",
]
