"""Wangsu/CDNetworks reports answering `{"code", "message", "data": [...]}`.

Families are declared beside their endpoints. Request values the account config cannot
give today are left out where the API defaults to "all": the p2p `platform` (all
platforms), the stream names of `domainStream` (all streams of the domain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.model import Family, Kind, Point
from collector.providers.endpoint import Endpoint, FanOut, Measure, Query, Unit
from collector.providers.wangsu.declare import ASSUMED_300, dates, slices
from collector.providers.wangsu.families import ACCOUNT_TRAFFIC, STREAM_TRAFFIC
from collector.providers.wangsu.wire import BYTES, HIT_RATIO, MB, MBPS, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE, granularity_name

# p2p `value` is documented as percent ("分享率,单位%").
PERCENT = Unit(0.01, "percent, divided by 100")
# [?] Saving-bandwidth is a fraction per third-party evidence only (reference §6.11);
# default: a fraction, a value above 1 read as percent.
SAVING_RATIO = HIT_RATIO

# [?] Domain-country data "best queried at least 24 h old" (reference §5.3): settle late.
COUNTRY_DELAY = DAY

# -- families -------------------------------------------------------------------------

_COUNTRY_LABELS = ("domain", "country")

CLIENT_COUNTRY_UPLOAD_TRAFFIC = Family(
    "cdn_client_country_upload_traffic_bytes_total",
    Kind.COUNTER,
    "Client-to-edge (upload) traffic in bytes by the client's country",
    _COUNTRY_LABELS,
)
CLIENT_COUNTRY_UPLOAD_BANDWIDTH = Family(
    "cdn_client_country_upload_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Client-to-edge (upload) bandwidth in bytes per second by the client's country",
    _COUNTRY_LABELS,
)
IP_VERSION_BANDWIDTH = Family(
    "cdn_ip_version_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by the client's IP version (v4, v6)",
    ("domain", "ip_version"),
)
BANDWIDTH_SAVING_RATIO = Family(
    "cdn_bandwidth_saving_ratio",
    Kind.GAUGE,
    "Share of edge bandwidth not fetched from origin (0 to 1)",
)
P2P_SHARE_RATIO = Family(
    "cdn_p2p_share_ratio",
    Kind.GAUGE,
    "Share of traffic served peer to peer (0 to 1), all platforms",
)

FAMILIES: tuple[Family, ...] = (
    CLIENT_COUNTRY_UPLOAD_TRAFFIC,
    CLIENT_COUNTRY_UPLOAD_BANDWIDTH,
    IP_VERSION_BANDWIDTH,
    BANDWIDTH_SAVING_RATIO,
    P2P_SHARE_RATIO,
    ACCOUNT_TRAFFIC,
    STREAM_TRAFFIC,
)

# -- bodies ---------------------------------------------------------------------------


def _interval(query: Query) -> dict[str, Any]:
    return {"dataInterval": granularity_name(query.window.slice_seconds)}


def body_up_flow_domain_country(query: Query) -> dict[str, Any]:
    # Omitting countryCode asks for every country; groupBy both, so nothing aggregates.
    return {
        **dates(query),
        "domain": list(query.domains),
        **_interval(query),
        "groupBy": ["domain", "country"],
    }


def body_multi_ip_version(query: Query) -> dict[str, Any]:
    # queryBy request would need a second route declaration on the same path.
    return {
        **dates(query),
        "domain": list(query.domains),
        **_interval(query),
        "queryBy": "bandwidth",
        "groupBy": ["domain"],
    }


def body_saving_ratio(query: Query) -> dict[str, Any]:
    return {**dates(query), "domain": list(query.domains), **_interval(query)}


def body_p2p_share_ratio(query: Query) -> dict[str, Any]:
    # No `platform`: every platform (the config names none).
    return {
        **dates(query),
        "domain": list(query.domains),
        **_interval(query),
        "groupBy": ["domain"],
    }


def body_flow_byte(query: Query) -> dict[str, Any]:
    # No domain parameter: the route answers for the whole account.
    return {**dates(query), **_interval(query)}


def body_stream_detail(query: Query) -> dict[str, Any]:
    # One group per domain without `stream`: every stream of that domain.
    return {
        **dates(query),
        "domainStream": [{"domain": domain} for domain in query.domains],
        **_interval(query),
        "dataType": "flow",
    }


@dataclass(frozen=True, slots=True)
class AskedDomainsOnly:
    """A nested answer whose items name their domain, kept only for the domains the
    call asked for: an item for another domain would be counted twice (each call of
    a fan-out could repeat it)."""

    nested: Nested

    @property
    def envelope(self) -> str:
        return self.nested.envelope

    @property
    def measures(self) -> tuple[Measure, ...]:
        return self.nested.measures

    def source(self, measure: Measure) -> str:
        return self.nested.source(measure)

    def parse(self, payload: Any, query: Query) -> Sequence[Point]:
        asked = set(query.domains)
        return self.nested.parse(payload, query).select(lambda labels: labels[0] in asked)


# -- endpoints ------------------------------------------------------------------------

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="up_flow_domain_country",
        path="/api/report/up-flow/domain-country",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, DAY, span=7 * DAY, delay=COUNTRY_DELAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_up_flow_domain_country,
        shape=Nested(
            "code-data",
            (Level("countryData", "countryCode"),),
            "flowData",
            (
                Measure("value", CLIENT_COUNTRY_UPLOAD_TRAFFIC, MB),
                Measure("bandwidth", CLIENT_COUNTRY_UPLOAD_BANDWIDTH, MBPS),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportUpFlowDomainCountryService",
        description="Upload traffic and bandwidth by the client's country (read 24 h late).",
    ),
    Endpoint(
        name="multi_ip_version",
        path="/api/report/flow-request/multi-ip-version",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, MINUTE, HOUR, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_multi_ip_version,
        shape=Nested(
            "code-data",
            (),
            "detailList",
            (
                Measure("v4Value", IP_VERSION_BANDWIDTH, MBPS, ("v4",)),
                Measure("v6Value", IP_VERSION_BANDWIDTH, MBPS, ("v6",)),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowRequestMultiIPVersionService",
        description="Edge bandwidth by IPv4 and IPv6 per domain.",
    ),
    Endpoint(
        name="bandwidth_saving_ratio",
        path="/api/report/request/saving-bandwidth/total",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # The route answers one series aggregated over every domain it is given, so
        # one domain per call keeps a series per domain.
        max_domains_per_call=1,
        slices=slices(5 * MINUTE, HOUR, DAY, span=31 * DAY),
        fan_out=FanOut.PER_DOMAIN,
        build_body=body_saving_ratio,
        shape=Nested(
            "code-data",
            (),
            "savingBandwidthDatas",
            (Measure("savingBandwidth", BANDWIDTH_SAVING_RATIO, SAVING_RATIO),),
            top_label=None,
            call_label=True,
        ),
        # Off by default: one call per domain for a figure close to the edge hit ratio.
        opt_in=True,
        sdk_model="reportflow.QueryRequesBandwidthtSavingRatio",
        description="Bandwidth saving ratio per domain.",
    ),
    Endpoint(
        name="p2p_share_ratio",
        path="/api/report/flow/p2p/share-ratio",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_p2p_share_ratio,
        shape=Nested(
            "code-data",
            (),
            "detailList",
            (Measure("value", P2P_SHARE_RATIO, PERCENT),),
        ),
        opt_in=True,  # a separate product: accounts without P2P have nothing to poll
        sdk_model="reportflow.ReportFlowP2pShareRatioService",
        description="P2P share ratio per domain, all platforms.",
    ),
    Endpoint(
        name="flow_byte",
        path="/api/report/flow/byte",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=0,
        slices=slices(5 * MINUTE, HOUR, DAY, span=31 * DAY),
        fan_out=FanOut.ACCOUNT,
        build_body=body_flow_byte,
        shape=Nested(
            "code-data",
            (),
            "flowData",
            (Measure("flow", ACCOUNT_TRAFFIC, BYTES),),
            top_label=None,
        ),
        sdk_model="reportflow.QueryDataTransferForAllDomainByte",
        opt_in=True,  # not on by default: one more report to poll, asked for by name
        description="Edge traffic in bytes over every domain of the account.",
    ),
    Endpoint(
        name="stream_detail",
        path="/api/report/flow-bandwidth/stream/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        # The zh_CN doc: dateFrom and dateTo at most 10 minutes apart.
        slices=slices(5 * MINUTE, MINUTE, span=10 * MINUTE),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=body_stream_detail,
        shape=AskedDomainsOnly(
            Nested(
                "code-data",
                (Level("domainOfStreamList", "stream"),),
                "detailList",
                (Measure("value", STREAM_TRAFFIC, MB),),
            )
        ),
        opt_in=True,
        sdk_model="reportflow.QueryMultipleStreamTrafficAndBandwidthUnderTheDomain",
        description="Edge traffic by live stream (every stream of each domain).",
    ),
)
