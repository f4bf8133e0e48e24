"""Wangsu/CDNetworks legacy reports: `flow-summary`/`flow-data` and the `myview` family."""

from __future__ import annotations

from collector.providers.endpoint import Endpoint

ENDPOINTS: tuple[Endpoint, ...] = ()
