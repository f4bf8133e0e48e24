"""Every Wangsu/CDNetworks report by config key, and the module that declares it.

A report is declared in one `catalog_*` module, and the emulator answers it from the
module of the same name in `collector/emulator/wangsu/`. The modules group reports by
the answers they read: `catalog_core` the first reports (traffic, hit ratio, ISP x
province, server country), `catalog_isp_province` the other ISP x province reports,
`catalog_result` the other `{"result": [...]}` reports, `catalog_code_data` the other
`{"code", "message", "data": [...]}` reports, `catalog_legacy` the `flow-data` and
`myview` reports. `DECLARED_IN` (the README's "declared in" column) says which holds a
report: adding one to a module's ENDPOINTS is all it takes to list it here.
"""

from __future__ import annotations

from types import ModuleType

from collector.providers.endpoint import Endpoint
from collector.providers.wangsu import (
    catalog_code_data,
    catalog_core,
    catalog_isp_province,
    catalog_legacy,
    catalog_result,
)

MODULES: tuple[ModuleType, ...] = (
    catalog_core,
    catalog_isp_province,
    catalog_result,
    catalog_code_data,
    catalog_legacy,
)


def _declared(module: ModuleType) -> tuple[Endpoint, ...]:
    endpoints: tuple[Endpoint, ...] = module.ENDPOINTS
    return endpoints


CATALOG: dict[str, Endpoint] = {spec.name: spec for module in MODULES for spec in _declared(module)}
# Report name -> the module declaring it (and its emulator answer), e.g. "catalog_result".
DECLARED_IN: dict[str, str] = {
    spec.name: module.__name__.rpartition(".")[2]
    for module in MODULES
    for spec in _declared(module)
}
