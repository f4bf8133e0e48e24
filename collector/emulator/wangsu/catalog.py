"""Every emulated Wangsu route: its documented facts and its answer, by route name.

Each `catalog_*` module holds the routes of the exporter's module of the same name
(`collector/providers/wangsu/`), written from the reference, not from those
declarations (`tests/emulator/test_catalog_agreement.py` compares the two).
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.emulator.wangsu import (
    catalog_bandwidth_ip,
    catalog_billing,
    catalog_cdnetworks,
    catalog_code_data,
    catalog_core,
    catalog_health,
    catalog_isp_province,
    catalog_legacy,
    catalog_myview_bandwidth,
    catalog_result,
)
from collector.emulator.wangsu.facts import RouteFacts
from collector.emulator.wangsu.responses import Shape

_MODULES = (
    catalog_core,
    catalog_isp_province,
    catalog_result,
    catalog_code_data,
    catalog_legacy,
    catalog_health,
    catalog_myview_bandwidth,
    catalog_billing,
    catalog_cdnetworks,
    catalog_bandwidth_ip,
)

_CDNETWORKS_ONLY = (
    frozenset(route.name for route in catalog_cdnetworks.ROUTES)
    | catalog_bandwidth_ip.CDNETWORKS_ONLY
)
ROUTES: tuple[RouteFacts, ...] = tuple(route for module in _MODULES for route in module.ROUTES)
BY_NAME: Mapping[str, RouteFacts] = {route.name: route for route in ROUTES}
SHAPES: Mapping[str, Shape] = {
    name: shape for module in _MODULES for name, shape in module.SHAPES.items()
}
# The routes each spelling names (the server answers them all, to either brand):
# Wangsu's, and CDNetworks' (its renamed routes for their Wangsu twins, and its own).
WANGSU_ROUTES = tuple(r for r in ROUTES if r.name not in _CDNETWORKS_ONLY)
CDNETWORKS_ROUTES = tuple(r for r in ROUTES if r.name not in catalog_cdnetworks.RENAMED)
