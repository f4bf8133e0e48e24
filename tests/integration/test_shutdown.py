"""SIGTERM and SIGINT mid-poll: exit 0 within 5 s, in-flight calls cancelled, no traceback."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from collector.emulator import FaultKind
from tests.integration.conftest import HEALTH_OFF
from tests.integration.daemon import config_for, daemon, emulator, wait_for, write_config

SHUTDOWN_BOUND = 5.0  # seconds from the signal to the process's exit


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_mid_poll_exits_0_within_5_seconds_without_a_traceback(
    sig: signal.Signals, tmp_path: Path
) -> None:
    # The emulator holds a `timeout` fault's answer back for a minute; the exporter's
    # call timeout is 30 s: when the signal comes, that call is in flight.
    async with emulator(fault_delay=60.0) as server:
        server.emulator.inject("flow_request", FaultKind.TIMEOUT, count=1)
        config = tmp_path / "config.yaml"
        write_config(
            config,
            config_for(
                server.base_url,
                {
                    "flow_request_origin": {"enabled": False},
                    **HEALTH_OFF,
                    "edge_hit_ratio": {"enabled": False},
                },
            ),
        )
        async with daemon(config, tmp_path) as running:

            async def call_held() -> bool:
                return not server.emulator.pending_faults

            await wait_for(call_held, "the exporter's call reaches the held-back answer")
            code, took = await running.stop(sig)
            log = running.log()
    assert code == 0, log
    assert took < SHUTDOWN_BOUND, f"exit took {took:.1f}s\n{log}"
    assert "Traceback" not in log, log
    assert "CancelledError" not in log, log
    assert "Unclosed" not in log, log  # every aiohttp session and connector closed
    assert f"received {sig.name}, shutting down" in log
    assert "stopped" in log.splitlines()[-1]
