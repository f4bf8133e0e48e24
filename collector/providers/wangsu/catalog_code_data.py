"""Wangsu/CDNetworks reports answering `{"code", "message", "data": [...]}`."""

from __future__ import annotations

from collector.providers.endpoint import Endpoint

ENDPOINTS: tuple[Endpoint, ...] = ()
