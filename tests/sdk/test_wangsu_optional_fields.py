"""Fields the Wangsu SDK documents as not returned by default (or optional): the exporter
must not require them.

How they are found: every field comment (`{"en": .., "zh_CN": ..}`) of each catalog
endpoint's SDK Response model tree is searched for "not returned by default",
"默认不返回" (not returned by default), "optional", "可选" (optional) and similar
wordings (`MARKERS`).

Findings (wangsu-sdk-python 1.0.0):

- ReportFlowHitRateIspProvinceServiceResponse (endpoint hit_rate_isp_province,
  /api/report/flow/hit-rate/isp-province):
  `result[].ispData[].provinceData[].hitRateData[].hitFlow`, documented (zh_CN only;
  the English text omits it) as "命中流量值,单位MB,保留2位小数; 默认不返回该字段,
  需要返回的请联系技术支持": hit traffic in MB, 2 decimals; *not returned by default,
  contact support to have it returned*.
- No other field of the six catalog models (QueryTrafficRequestInTotalAndPeakValue,
  QueryBacktoOriginTrafficAndRequest, QueryEdgeByteHitRatioService,
  ReportFlowIspProvinceService, ReportCountryServerBandwidthService) is documented so;
  neither is any other Response model in the SDK's reportflow, reportbandwidth and
  reportrequest packages (`test_census_of_the_whole_sdk`).

What is asserted: the finding above, pinned (a new SDK release that documents more
fields fails here and names them); the exporter declares each such field an optional
measure; and the exporter's parser (`Endpoint.parse`) reads an emulator answer with
those fields deleted without `MalformedResponse`, still yielding the other measures.
The emulator cannot be asked to leave `hitFlow` out (it always returns it), so the test
deletes it from a real emulator answer.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import pytest

from collector.emulator import Emulator
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.wire import Nested

from .conftest import WangsuSdk
from .sdkmodels import walk
from .test_wangsu_sdk import SDK_APIS, call

MARKERS = re.compile(
    r"not returned by default|not return(?:ed)? by default|returned only|默认不返回|不默认返回"
    r"|非必返|不一定返回|可能不返回|optional|可选",
    re.IGNORECASE,
)

DOCUMENTED_OPTIONAL: dict[str, dict[str, tuple[str, ...]]] = {
    "hit_rate_isp_province": {
        "ReportFlowHitRateIspProvinceServiceResponse": (
            "result[].ispData[].provinceData[].hitRateData[].hitFlow",
        ),
    },
}


# Marker hits that do not mean "optional", with why; the exporter reads none of them.
NOT_OPTIONAL: dict[str, dict[str, tuple[str, ...]]] = {
    # `dns-names` is "证书使用者可选名称" (the subject alternative names), and the
    # `share-ssl` doc says "optional values are true and false"; certificates reads
    # `certificate-validity-to`, `name`, `certificate-id` and `related-domains` only.
    "certificates": {
        "QueryCertificateListResponse": (
            "ssl-certificates[].share-ssl",
            "ssl-certificates[].dns-names",
        ),
    },
}


def documented_optional(cls: type[Any]) -> tuple[str, ...]:
    """Wire paths under Response model `cls` whose field docs mark them optional."""
    return tuple(path for path, _, field in walk(cls) if MARKERS.search(field.doc))


def delete(node: Any, path: list[str]) -> int:
    """Remove the field at `path` (`key[]` descends a list) everywhere; how many."""
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(node, dict) and head in node:
            del node[head]
            return 1
        return 0
    child = node.get(head.removesuffix("[]")) if isinstance(node, dict) else None
    children = child if head.endswith("[]") and isinstance(child, list) else [child]
    return sum(delete(c, rest) for c in children if c is not None)


def test_documented_optional_fields_per_model() -> None:
    found = {}
    for endpoint, api in sorted(SDK_APIS.items()):
        model = api.model("Response")
        paths = documented_optional(model)
        if paths:
            found[endpoint] = {model.__name__: paths}
    assert found == {**DOCUMENTED_OPTIONAL, **NOT_OPTIONAL}


def test_census_of_the_whole_sdk() -> None:
    """Beyond the catalog: no other Response model of the report packages has any."""
    found = []
    for package in ("reportflow", "reportbandwidth", "reportrequest"):
        module = importlib.import_module(f"wangsu.{package}.models")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if name.endswith("Response") and cls.__module__ == module.__name__:
                found += [f"{package}.{name}: {p}" for p in documented_optional(cls)]
    assert found == [
        "reportflow.ReportFlowHitRateIspProvinceServiceResponse: "
        "result[].ispData[].provinceData[].hitRateData[].hitFlow"
    ]


@pytest.mark.parametrize("endpoint", sorted(DOCUMENTED_OPTIONAL))
def test_exporter_declares_them_optional(endpoint: str) -> None:
    shape = CATALOG[endpoint].shape
    assert isinstance(shape, Nested)
    for paths in DOCUMENTED_OPTIONAL[endpoint].values():
        for path in paths:
            *parents, field = path.split(".")
            assert parents[-1] == f"{shape.series}[]", path
            measures = [m for m in shape.measures if m.field == field]
            assert measures, f"{endpoint}: {field} is no declared measure"
            assert all(m.optional for m in measures), f"{endpoint}: {field} is required"


@pytest.mark.parametrize("endpoint", sorted(DOCUMENTED_OPTIONAL))
async def test_exporter_parses_answers_without_them(
    endpoint: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    query, reply = await call(wangsu, emulator, endpoint, "demo-wangsu")
    assert reply.status == 200, reply.text
    payload = reply.json
    full = CATALOG[endpoint].parse(payload, query)
    dropped_fields = set()
    for paths in DOCUMENTED_OPTIONAL[endpoint].values():
        for path in paths:
            assert delete(payload, path.split(".")) > 0, f"the emulator did not send {path}"
            dropped_fields.add(path.rsplit(".", 1)[-1])
    points = CATALOG[endpoint].parse(payload, query)  # MalformedResponse would fail here
    kept = {m.family for m in CATALOG[endpoint].shape.measures if m.field not in dropped_fields}
    gone = {m.family for m in CATALOG[endpoint].shape.measures if m.field in dropped_fields}
    assert {p.family for p in points} == kept
    assert points == [p for p in full if p.family not in gone]
