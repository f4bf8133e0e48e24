"""Reload edge cases without a network: a loader or a switch that fails changes nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import collector.app
from collector.app import Exporter
from collector.client import MockTransport
from collector.clock import FakeClock, VirtualClock
from collector.config.loading import validate
from collector.config.runtime import Config
from collector.http import HttpRequest, HttpResponse

CONFIG: dict[str, Any] = {
    "accounts": [
        {
            "name": "main",
            "provider": "wangsu",
            "auth": {"access_key": "AK", "secret_key": "SK_0123456789"},
            "domains": ["www.example.com"],
            "endpoints": {"flow_request_origin": {"enabled": False}},
        }
    ]
}


async def empty_answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, {}, b'{"result": []}')


def make(loader: Any, clock: FakeClock | VirtualClock | None = None) -> Exporter:
    # A VirtualClock nobody drives: started jobs park on it and never poll.
    return Exporter(
        validate(CONFIG),
        clock or FakeClock(),
        transport_factory=lambda: MockTransport(empty_answer),
        config_loader=loader,
    )


def successful(exporter: Exporter) -> float | None:
    return exporter.metrics.registry.get_sample_value("cdn_exporter_config_last_reload_successful")


async def test_a_loader_that_raises_anything_is_a_failed_reload() -> None:
    def loader() -> Config:
        raise RuntimeError("boom")

    exporter = make(loader)
    before = dict(exporter.jobs)
    result = await exporter.reload()
    assert not result.ok
    assert result.problems == ("(config): RuntimeError: boom",)
    assert exporter.jobs == before
    assert successful(exporter) == 0


async def test_a_switch_that_fails_keeps_the_running_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = copy.deepcopy(CONFIG)
    changed["accounts"][0]["endpoints"] = {"flow_request": {"delay": "20m"}}

    exporter = make(lambda: validate(changed), VirtualClock())
    exporter.start()
    try:
        before = dict(exporter.jobs)
        names = exporter.scheduler.names if exporter.scheduler else []

        def broken(**kwargs: Any) -> None:
            raise ValueError("cannot build")

        monkeypatch.setattr(collector.app, "EndpointPoller", broken)
        result = await exporter.reload()
        assert not result.ok
        assert result.problems == ("(internal): ValueError('cannot build')",)
        assert exporter.jobs == before
        assert exporter.scheduler is not None
        assert exporter.scheduler.names == names
        assert successful(exporter) == 0

        monkeypatch.undo()
        result = await exporter.reload()
        assert result.ok
        assert result.plan is not None
        assert result.plan.rebuild == (("main", "flow_request"),)
        assert successful(exporter) == 1
    finally:
        await exporter.close()
