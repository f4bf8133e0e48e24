"""Every Wangsu/CDNetworks report by config key, and the module that declares it.

A report is declared in one `catalog_*` module, and the emulator answers it from the
module of the same name in `collector/emulator/wangsu/`. The modules group reports by
the answers they read: `catalog_core` the first reports (traffic, hit ratio, ISP x
province, server country), `catalog_isp_province` the other ISP x province reports,
`catalog_result` the other `{"result": [...]}` reports, `catalog_code_data` the other
`{"code", "message", "data": [...]}` reports, `catalog_legacy` the `flow-data` and
`myview` reports, `catalog_health` the status-code, origin response-time, average-speed
and certificate reports, `catalog_myview_bandwidth` the `myview` bandwidth reports of
`reportbandwidth` (both SDKs list them, on the same paths), `catalog_bandwidth_ip` the
visitor-IP bandwidth breakdowns (ISP x province, IPv6), `catalog_billing` the provider's
own billing reports (Channelvalue, perzone-billing). `DECLARED_IN` (the README's
"declared in" column) says which holds a report: adding one to a module's ENDPOINTS is
all it takes to list it here.

CDNetworks spells eight of these reports its own way and documents reports Wangsu does
not: `catalog_cdnetworks` holds both (its `TWINS` and `ENDPOINTS`; a module's own
CDNetworks-only reports are its `CDNETWORKS_ENDPOINTS`), and
`CDNETWORKS_CATALOG` is what a `provider: cdnetworks` account polls by default. An
account's `api_dialect` picks the spelling (`DIALECTS`).
"""

from __future__ import annotations

from types import ModuleType

from collector.providers.endpoint import Endpoint
from collector.providers.wangsu import (
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

MODULES: tuple[ModuleType, ...] = (
    catalog_core,
    catalog_isp_province,
    catalog_result,
    catalog_code_data,
    catalog_legacy,
    catalog_health,
    catalog_myview_bandwidth,
    catalog_bandwidth_ip,
    catalog_billing,
)
# Reports only CDNetworks documents.
CDNETWORKS_ENDPOINTS: tuple[Endpoint, ...] = (
    *catalog_cdnetworks.ENDPOINTS,
    *catalog_bandwidth_ip.CDNETWORKS_ENDPOINTS,
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

# Every Wangsu report, renamed where CDNetworks renamed it, then CDNetworks' own.
CDNETWORKS_CATALOG: dict[str, Endpoint] = {
    name: (
        catalog_cdnetworks.TWINS[spec.path].of(spec)
        if spec.path in catalog_cdnetworks.TWINS
        else spec
    )
    for name, spec in CATALOG.items()
} | {spec.name: spec for spec in CDNETWORKS_ENDPOINTS}
CDNETWORKS_DECLARED_IN: dict[str, str] = (
    DECLARED_IN
    | {spec.name: "catalog_cdnetworks" for spec in catalog_cdnetworks.ENDPOINTS}
    | {spec.name: "catalog_bandwidth_ip" for spec in catalog_bandwidth_ip.CDNETWORKS_ENDPOINTS}
)
# `api_dialect` -> the spelling of every report: CDNetworks' reports keep theirs in both.
DIALECTS: dict[str, dict[str, Endpoint]] = {
    "cdnetworks": CDNETWORKS_CATALOG,
    "wangsu": CDNETWORKS_CATALOG | CATALOG,
}
