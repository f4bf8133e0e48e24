"""Wangsu/CDNetworks ISP x province reports beyond the first two: origin, bytes, hit rates."""

from __future__ import annotations

from collector.providers.endpoint import Endpoint

ENDPOINTS: tuple[Endpoint, ...] = ()
