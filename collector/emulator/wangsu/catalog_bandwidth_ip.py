"""The emulated `reportbandwidth` visitor-IP breakdowns: by ISP and province, and by IPv6.

`shared/reference/cdnetworks-brand-api.md` §8 names these routes without their answers;
they are written from the SDK models: `wangsu/reportbandwidth/models.py`
(QueryBandwidthbyISPProvince, QueryIPV6BandwidthOfeachISPandProvince) and the CDNetworks
Go SDK's `cdnetworks/reportbandwidth/models.go` (QueryMultiDomainsIPV6OrIPV4Bandwidth,
the one route only CDNetworks documents: `CDNETWORKS_ONLY`). IPv6 is each domain's fixed
share of its bandwidth, the share `multi-ip-version` answers ([?] the data is ours);
every emulated visitor is in the mainland provinces (`traffic.PROVINCES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from collector.emulator.traffic import Quantity, decimal
from collector.emulator.wangsu.catalog_cdnetworks import ASSUMED_30
from collector.emulator.wangsu.catalog_code_data import ipv6_share
from collector.emulator.wangsu.facts import (
    DAY,
    HOUR,
    INVALID_PARAMETER,
    MINUTE,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    DOMAIN,
    ISP_LEVELS,
    MBPS,
    Level,
    RouteBody,
    Shape,
)
from collector.emulator.wangsu.validation import Call, bad

# -- facts ----------------------------------------------------------------------------

_ISP_FILTERS = {"isp": "isp", "province": "province"}
# QueryBandwidthbyISPProvinceRequest.area_code: "cn、hk、ov、apac、am、emea、fg".
AREA_CODES = ("cn", "hk", "ov", "apac", "am", "emea", "fg")
# `IPType` / `ipType`: "可选值为 IPV6、IPV4", absent: every type. The English text of the
# Go model spells them IPv6 and IPv4: [?] read without regard to case.
IP_TYPES = ("IPV6", "IPV4")

# [I] No route here publishes a limit: CDNetworks recommends at most 30 calls per 5
# minutes to a single API (cdnetworks-brand-api.md §10).
ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="isp_province_bandwidth",
        path="/api/report/bandwidth/area/isp-province",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=31 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE,),  # "支持5m", the default
        envelope=Envelope.RESULT,
        filters=_ISP_FILTERS,
        source="§8; models.py QueryBandwidthbyISPProvinceRequest",
    ),
    RouteFacts(
        name="isp_province_ipv6_bandwidth",
        path="/api/report/bandwidth/isp-province/ipv6",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=DAY,  # "不能超过1天" (31 days via support)
        max_domains=200,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain", "isp", "province"}),
        filters=_ISP_FILTERS,
        source="§8; models.py QueryIPV6BandwidthOfeachISPandProvinceRequest",
    ),
    RouteFacts(
        name="bandwidth_ipv6",
        path="/api/report/bandwidth/ipv6",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=7 * DAY,
        max_domains=200,
        intervals=(5 * MINUTE, HOUR),
        envelope=Envelope.CODE_DATA,
        source="§8; models.go QueryMultiDomainsIPV6OrIPV4BandwidthRequest",
    ),
)
CDNETWORKS_ONLY = frozenset({"bandwidth_ipv6"})

# -- answers --------------------------------------------------------------------------


def _ip_type(payload: Mapping[str, Any], key: str) -> str | None:
    """The IP type a body asks for (None: every type), or the route's rejection."""
    raw = payload.get(key)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw.upper() not in IP_TYPES:
        raise bad(INVALID_PARAMETER, f"{key} must be one of {', '.join(IP_TYPES)}.")
    return raw.upper()


def _share(ip_type: str | None, account: str, domain: str) -> float:
    """The part of a domain's bandwidth an IP type carries."""
    if ip_type is None:
        return 1.0
    v6 = ipv6_share(account, domain)
    return v6 if ip_type == "IPV6" else 1.0 - v6


@dataclass(frozen=True, kw_only=True)
class _ByIpType(RouteBody):
    """A bandwidth series (Mbps, 2 dp) of one IP type, read from the body's `ip_key`:
    each domain's cells times its share. A level not in groupBy is aggregated and its
    label key left out ("当没有传递isp,则代表isp聚合展示,同时isp节点则不返回")."""

    ip_key: str
    ip_type: str | None = None

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        return payload, replace(self, ip_type=_ip_type(payload, self.ip_key))

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        level = (self.levels if levels is None else levels)[:1]
        items = super().build(call, omit, levels, picked)
        if level and level[0].dimension not in call.grouped:
            for item in items:
                item.pop(level[0].label_key, None)
        return items

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        cells = {k: v for k, v in picked.items() if k != "domain"}
        totals: dict[int, float] = {}
        for domain in picked.get("domain", call.selected["domain"]):
            share = _share(self.ip_type, call.account.name, domain)
            members = call.members({**cells, "domain": (domain,)})
            for end, values in call.rows(members, [Quantity.BANDWIDTH]):
                totals[end] = totals.get(end, 0.0) + share * values[Quantity.BANDWIDTH]
        return {
            self.series: [
                {"timestamp": call.label(end), "value": decimal(value, MBPS)}
                for end, value in totals.items()
            ]
        }


@dataclass(frozen=True, kw_only=True)
class _Merged(RouteBody):
    """area/isp-province: `result[] {bandwidthData[] {timestamp, value}}`, one item for
    every domain, ISP and province asked, together (the model names none of them).
    `areaCode` is checked; an area list without `cn` holds none of the emulated visitors."""

    mainland: bool = True

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        raw = payload.get("areaCode")
        if raw is None:
            return payload, self
        if not isinstance(raw, list) or not all(a in AREA_CODES for a in raw):
            raise bad(INVALID_PARAMETER, f"areaCode accepts {', '.join(AREA_CODES)}.")
        return payload, replace(self, mainland=not raw or "cn" in raw)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        rows = call.rows(call.members(call.selected), [Quantity.BANDWIDTH])
        scale = 1.0 if self.mainland else 0.0
        series = [
            {
                "timestamp": call.label(end),
                "value": decimal(scale * values[Quantity.BANDWIDTH], MBPS),
            }
            for end, values in rows
        ]
        return [{self.series: series}]


_ISP = Level(dimension="isp", label_key="isp", list_key="ispData")
_PROVINCE = Level(dimension="province", label_key="province", list_key="provinceData")

SHAPES: Mapping[str, Shape] = {
    # The levels name the filters the route reads (isp, province); the answer has none.
    "isp_province_bandwidth": _Merged(levels=(_ISP, _PROVINCE), series="bandwidthData", columns=()),
    "isp_province_ipv6_bandwidth": _ByIpType(
        levels=ISP_LEVELS, series="bandwidthData", columns=(), ip_key="IPType"
    ),
    "bandwidth_ipv6": _ByIpType(levels=(DOMAIN,), series="detailList", columns=(), ip_key="ipType"),
}
