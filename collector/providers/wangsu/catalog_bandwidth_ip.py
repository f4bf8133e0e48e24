"""The `reportbandwidth` visitor-IP breakdowns: bandwidth by ISP and province, and by IPv6.

The reference names these three reports without their answers (cdnetworks-brand-api.md
§8): the SDK models are the authority. Both SDKs list the ISP x province report
(Querybandwidthbyispprovince) and its IPv6 cells (Queryipv6bandwidthofeachispandprovince);
only CDNetworks' lists `/api/report/bandwidth/ipv6` (Querymultidomainsipv6oripv4bandwidth;
the Python SDK's ReportIPV6BandwidthService is another report, `/api/report/ipv6-bandwidth`),
so `CDNETWORKS_ENDPOINTS` holds it and catalog.py adds it to the CDNetworks catalog only.

Each report is attributed by the visitor's IP ("according to the visitor visit log"),
like `isp_province_shorttime`, and asks for one IP type a call (`IPType`/`ipType`): IPv6,
since the all-types figure is what the other bandwidth families already carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.model import Family, Kind, Point
from collector.providers.endpoint import Endpoint, FanOut, Measure, Query
from collector.providers.wangsu.catalog_code_data import IP_VERSION_BANDWIDTH, AskedDomainsOnly
from collector.providers.wangsu.declare import (
    ASSUMED_30,
    DOMAINS,
    HISTORY,
    INTERVAL,
    ISP_GROUP_BY,
    ISP_LEVELS,
    Body,
    slices,
)
from collector.providers.wangsu.wire import MBPS, Nested
from collector.timeslices import DAY, HOUR, MINUTE

# -- families -------------------------------------------------------------------------

ISP_PROVINCE_VISITOR_TOTAL_BANDWIDTH = Family(
    "cdn_isp_province_visitor_total_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second per domain by the visitor's IP, over every ISP "
    "and province (ISP x province bandwidth report)",
    ("domain",),
)
ISP_PROVINCE_VISITOR_IPV6_BANDWIDTH = Family(
    "cdn_isp_province_visitor_ipv6_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth over IPv6 in bytes per second by the ISP and province of the visitor's IP",
    ("domain", "isp", "province"),
)
# The aggregate an ISP or province left out of groupBy would be labelled with (names.py).
_ALL = "all"


@dataclass(frozen=True, slots=True)
class CellsOnly(AskedDomainsOnly):
    """An ISP x province answer read cell by cell: an item for a domain not asked for,
    or an aggregate ("all") row beside the cells, would be counted twice in a sum."""

    def parse(self, payload: Any, query: Query) -> Sequence[Point]:
        asked = set(query.domains)
        return self.nested.parse(payload, query).select(
            lambda labels: labels[0] in asked and _ALL not in labels[1:3]
        )


# -- endpoints ------------------------------------------------------------------------

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="isp_province_bandwidth",
        path="/api/report/bandwidth/area/isp-province",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        # Up to 20 a call, but the answer is one series for every domain, ISP and
        # province asked (no labels at all): one domain a call keeps a series per domain.
        max_domains_per_call=1,
        slices=slices(5 * MINUTE, span=31 * DAY),  # "支持5m"; ≤31 days
        fan_out=FanOut.PER_DOMAIN,
        # No areaCode, province or isp: every area, ISP and province (the defaults).
        build_body=Body(fields={"dataInterval": INTERVAL, "domain": DOMAINS}),
        shape=Nested(
            envelope="result",
            levels=(),
            series="bandwidthData",
            measures=(
                Measure(field="value", family=ISP_PROVINCE_VISITOR_TOTAL_BANDWIDTH, unit=MBPS),
            ),
            top_label=None,
            call_label=True,  # the answer names no domain: the call's one domain labels it
        ),
        opt_in=True,  # one call per domain under an assumed 30 calls per 5 minutes
        sdk_model="reportbandwidth.QueryBandwidthbyISPProvince",
        description="Edge bandwidth per domain by visitor IP over every ISP and province.",
    ),
    Endpoint(
        name="isp_province_ipv6_bandwidth",
        path="/api/report/bandwidth/isp-province/ipv6",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=200,
        slices=slices(5 * MINUTE, HOUR, span=DAY),  # ≤1 day (31 via support)
        fan_out=FanOut.DOMAIN_BATCHES,
        # No province or isp filter: every value; groupBy all three, so nothing aggregates.
        build_body=Body(
            fields={
                "domain": DOMAINS,
                "dataInterval": INTERVAL,
                "IPType": "IPV6",
                "groupBy": ISP_GROUP_BY,
            }
        ),
        shape=CellsOnly(
            Nested(
                envelope="result",
                levels=ISP_LEVELS,
                series="bandwidthData",
                measures=(
                    Measure(field="value", family=ISP_PROVINCE_VISITOR_IPV6_BANDWIDTH, unit=MBPS),
                ),
            )
        ),
        opt_in=True,  # a series per domain, ISP and province
        sdk_model="reportbandwidth.QueryIPV6BandwidthOfeachISPandProvince",
        description="Edge bandwidth over IPv6 by the visitor IP's ISP and province.",
    ),
)

# Only the CDNetworks SDK documents this report.
CDNETWORKS_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="bandwidth_ipv6",
        path="/api/report/bandwidth/ipv6",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=200,
        slices=slices(5 * MINUTE, HOUR, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        # No region: every region (the default).
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "ipType": "IPV6"}),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="detailList",
            # multi_ip_version's family, its v6 half (enabling both is refused: one family).
            measures=(
                Measure(field="value", family=IP_VERSION_BANDWIDTH, unit=MBPS, labels=("v6",)),
            ),
        ),
        opt_in=True,  # multi_ip_version reports the same IPv6 bandwidth
        sdk_model="reportbandwidth.Querymultidomainsipv6oripv4bandwidth",
        description="Edge bandwidth over IPv6 per domain (multi_ip_version's v6 half).",
    ),
)
