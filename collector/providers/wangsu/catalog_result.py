"""Wangsu/CDNetworks reports answering `{"result": [...]}`, beyond the first six."""

from __future__ import annotations

from collector.providers.endpoint import Endpoint

ENDPOINTS: tuple[Endpoint, ...] = ()
