"""The emulated Wangsu ISP x province reports beyond the first two: facts and answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collector.emulator.traffic import Quantity, decimal
from collector.emulator.wangsu.facts import (
    ASSUMED_300,
    DAY,
    HOUR,
    MINUTE,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    DOMAIN,
    ISP_LEVELS,
    MB,
    MBPS,
    RATIO,
    Column,
    Shape,
)
from collector.emulator.wangsu.validation import Call

# -- facts ----------------------------------------------------------------------------

_ISP_FILTERS = {"isp": "isp", "province": "province"}
_CELLS = frozenset({"domain", "isp", "province"})
# [I] Every route here publishes no rate limit: the assumed 300/5 min (§5.8). queryBy
# (flow | request | bandwidth) is not emulated: every answer is by flow.

ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="origin_isp_province",
        path="/api/report/flow/origin/isp-province",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.12; models.py ReportFlowOriginIspProvinceServiceRequest",
    ),
    RouteFacts(
        name="isp_province_byte",
        path="/api/report/flow/isp-province/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,  # the SDK model requires `domain`
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.3 variants; models.py ReportFlowIspProvinceByteServiceRequest",
    ),
    RouteFacts(
        name="origin_isp_province_byte",
        path="/api/report/flow/origin/isp-province/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.12; models.py ReportFlowOriginIspProvinceByteServiceRequest",
    ),
    RouteFacts(
        name="hit_rate_isp_province_byte",
        path="/api/report/flow/hit-rate/isp-province/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I] (the MB report's 30/5 min is not stated for it)
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.4 variants; models.py ReportFlowHitRateIspProvinceByteServiceRequest",
    ),
    RouteFacts(
        name="isp_province_shorttime",
        path="/api/report/flow/isp-province/shorttime",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # The zh text: "允许查询最大间隔：2小时"; the English one says 7 and 2 hours.
        max_span=2 * HOUR,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE, HOUR),
        envelope=Envelope.RESULT,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.3 variants; models.py ReportFlowIspProvinceShortTimeServiceRequest",
    ),
    RouteFacts(
        name="isp_province_total",
        path="/api/report/flow/isp-province/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,
        intervals=(MINUTE, 5 * MINUTE),
        envelope=Envelope.CODE_DATA,
        # groupBy is one string here, "domain" (the default) or "all" (merged), which the
        # list-valued groupBy check cannot read: left out, so the route is per domain,
        # as by default. [I] "all" is not emulated.
        filters=_ISP_FILTERS,
        source="§6.3 variants; models.py ReportFlowIspProvinceTotalServiceRequest",
    ),
    RouteFacts(
        name="isp_province_hit_rate_total",
        path="/api/report/flow/isp-province/hit-rate/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_span=DAY,
        max_domains=20,
        intervals=(MINUTE, 5 * MINUTE),
        envelope=Envelope.CODE_DATA,
        # groupBy: one string, not checked; per domain as by default (as above).
        filters=_ISP_FILTERS,
        source="§6.4 variants; models.py QueryISPProvinceHitRateRequest",
    ),
    RouteFacts(
        name="isp_province_hit_rate_detail",
        path="/api/report/flow/isp-province/hit-rate/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # ≤24 hours, ≤6 hours at 1m: one span per route here, so 1m allows 24 hours.
        max_span=DAY,
        max_domains=20,
        intervals=(5 * MINUTE, MINUTE),
        envelope=Envelope.CODE_DATA,
        group_by=_CELLS,
        filters=_ISP_FILTERS,
        source="§6.4 variants; models.py ReportFlowIspProvinceHitRateDetailServiceRequest",
    ),
)

# -- answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bytes(Shape):
    """A Shape whose `in_bytes` columns are MB quantities printed as whole Bytes (the
    `/byte` reports, §5.4): 10^6 bytes a MB, as the exporter reads MB."""

    in_bytes: frozenset[str] = frozenset()

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        rows = call.rows(call.members(picked), [q for _, q, _ in self.columns])
        series = [
            {"timestamp": call.label(end)}
            | {
                key: decimal(values[q] * (1e6 if key in self.in_bytes else 1.0), places)
                for key, q, places in self.columns
                if key not in omit
            }
            for end, values in rows
        ]
        return {self.series: series}


BYTE = 0  # decimals of a Bytes column: whole bytes

SHAPES: Mapping[str, Shape] = {
    "origin_isp_province": Shape(
        levels=ISP_LEVELS,
        series="originFlowData",
        columns=(
            Column(field="value", quantity=Quantity.ORIGIN_FLOW, decimals=MB),
            Column(field="originBandwidth", quantity=Quantity.ORIGIN_BANDWIDTH, decimals=MBPS),
        ),
    ),
    "isp_province_byte": _Bytes(
        levels=ISP_LEVELS,
        series="flowData",
        columns=(Column(field="value", quantity=Quantity.FLOW, decimals=BYTE),),
        in_bytes=frozenset({"value"}),
    ),
    "origin_isp_province_byte": _Bytes(
        levels=ISP_LEVELS,
        series="originFlowData",
        columns=(Column(field="value", quantity=Quantity.ORIGIN_FLOW, decimals=BYTE),),
        in_bytes=frozenset({"value"}),
    ),
    "hit_rate_isp_province_byte": _Bytes(
        levels=ISP_LEVELS,
        series="hitRateData",
        columns=(
            Column(field="value", quantity=Quantity.HIT_RATIO, decimals=RATIO),
            Column(field="hitFlow", quantity=Quantity.HIT_FLOW, decimals=BYTE),
        ),
        in_bytes=frozenset({"hitFlow"}),
    ),
    "isp_province_shorttime": Shape(
        levels=ISP_LEVELS,
        series="flowData",
        columns=(
            Column(field="value", quantity=Quantity.FLOW, decimals=MB),
            Column(field="bandwidth", quantity=Quantity.BANDWIDTH, decimals=MBPS),
        ),
    ),
    # Per domain (or all of them), over the ISPs and provinces asked: no ISP levels.
    "isp_province_total": Shape(
        levels=(DOMAIN,),
        series="detailList",
        columns=(Column(field="value", quantity=Quantity.FLOW, decimals=MB),),
    ),
    "isp_province_hit_rate_total": Shape(
        levels=(DOMAIN,),
        series="detailList",
        columns=(
            Column(field="hitValue", quantity=Quantity.HIT_FLOW, decimals=MB),
            Column(field="hitRate", quantity=Quantity.HIT_RATIO, decimals=RATIO),
        ),
    ),
    "isp_province_hit_rate_detail": Shape(
        levels=ISP_LEVELS,
        series="details",
        columns=(
            Column(field="hitValue", quantity=Quantity.HIT_FLOW, decimals=MB),
            Column(field="hitRate", quantity=Quantity.HIT_RATIO, decimals=RATIO),
        ),
    ),
}
