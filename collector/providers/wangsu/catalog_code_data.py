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
from collector.providers.wangsu.declare import (
    ASSUMED_30,  # [I] the reportrequest routes publish no limit (health-billing §9)
    ASSUMED_300,
    COUNTRY_DELAY,
    COUNTRY_LABELS,
    DOMAINS,
    HISTORY,
    INTERVAL,
    Body,
    From,
    slices,
)
from collector.providers.wangsu.families import ACCOUNT_TRAFFIC, STREAM_TRAFFIC
from collector.providers.wangsu.wire import BYTES, HIT_RATIO, MB, MBPS, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE

# p2p `value` is documented as percent ("分享率,单位%").
PERCENT = Unit(0.01, "percent, divided by 100")
# [?] Saving-bandwidth is a fraction per third-party evidence only (reference §6.11);
# default: a fraction, a value above 1 read as percent.
SAVING_RATIO = HIT_RATIO

# -- families -------------------------------------------------------------------------

CLIENT_COUNTRY_UPLOAD_TRAFFIC = Family(
    "cdn_client_country_upload_traffic_bytes_total",
    Kind.COUNTER,
    "Client-to-edge (upload) traffic in bytes by the client's country",
    COUNTRY_LABELS,
)
CLIENT_COUNTRY_UPLOAD_BANDWIDTH = Family(
    "cdn_client_country_upload_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Client-to-edge (upload) bandwidth in bytes per second by the client's country",
    COUNTRY_LABELS,
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
REQUEST_HIT_RATIO = Family(
    "cdn_request_hit_ratio",
    Kind.GAUGE,
    "Share of edge requests served from cache (0 to 1)",
)

FAMILIES: tuple[Family, ...] = (
    CLIENT_COUNTRY_UPLOAD_TRAFFIC,
    CLIENT_COUNTRY_UPLOAD_BANDWIDTH,
    IP_VERSION_BANDWIDTH,
    BANDWIDTH_SAVING_RATIO,
    P2P_SHARE_RATIO,
    REQUEST_HIT_RATIO,
    ACCOUNT_TRAFFIC,
    STREAM_TRAFFIC,
)


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
        # Omitting countryCode asks for every country; groupBy both, so nothing aggregates.
        build_body=Body(
            fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": COUNTRY_LABELS}
        ),
        shape=Nested(
            envelope="code-data",
            levels=(Level(key="countryData", label="countryCode"),),
            series="flowData",
            measures=(
                Measure(field="value", family=CLIENT_COUNTRY_UPLOAD_TRAFFIC, unit=MB),
                Measure(field="bandwidth", family=CLIENT_COUNTRY_UPLOAD_BANDWIDTH, unit=MBPS),
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
        # queryBy request would need a second route declaration on the same path.
        build_body=Body(
            fields={
                "domain": DOMAINS,
                "dataInterval": INTERVAL,
                "queryBy": "bandwidth",
                "groupBy": ("domain",),
            }
        ),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="detailList",
            measures=(
                Measure(field="v4Value", family=IP_VERSION_BANDWIDTH, unit=MBPS, labels=("v4",)),
                Measure(field="v6Value", family=IP_VERSION_BANDWIDTH, unit=MBPS, labels=("v6",)),
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
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL}),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="savingBandwidthDatas",
            measures=(
                Measure(field="savingBandwidth", family=BANDWIDTH_SAVING_RATIO, unit=SAVING_RATIO),
            ),
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
        # No `platform`: every platform (the config names none).
        build_body=Body(
            fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": ("domain",)}
        ),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="detailList",
            measures=(Measure(field="value", family=P2P_SHARE_RATIO, unit=PERCENT),),
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
        # No domain parameter: the route answers for the whole account.
        build_body=Body(fields={"dataInterval": INTERVAL}),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="flowData",
            measures=(Measure(field="flow", family=ACCOUNT_TRAFFIC, unit=BYTES),),
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
        # One group per domain without `stream`: every stream of that domain.
        build_body=Body(
            fields={
                "domainStream": From(lambda query: [{"domain": d} for d in query.domains]),
                "dataInterval": INTERVAL,
                "dataType": "flow",
            }
        ),
        shape=AskedDomainsOnly(
            Nested(
                envelope="code-data",
                levels=(Level(key="domainOfStreamList", label="stream"),),
                series="detailList",
                measures=(Measure(field="value", family=STREAM_TRAFFIC, unit=MB),),
            )
        ),
        opt_in=True,
        sdk_model="reportflow.QueryMultipleStreamTrafficAndBandwidthUnderTheDomain",
        description="Edge traffic by live stream (every stream of each domain).",
    ),
    Endpoint(
        name="request_hit_ratio",
        path="/api/report/request/hit-ratio/total",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        # The route answers one series aggregated over every domain it is given, so
        # one domain per call keeps a series per domain.
        max_domains_per_call=1,
        slices=slices(5 * MINUTE, MINUTE, HOUR, DAY, span=31 * DAY),
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL}),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="hitRatioDatas",
            # "Cache hit ratio, keep 4 decimal places": [?] fraction or percent.
            measures=(Measure(field="hitRatio", family=REQUEST_HIT_RATIO, unit=HIT_RATIO),),
            top_label=None,
            call_label=True,
        ),
        # Off by default: one call per domain under an assumed 30 calls per 5 minutes.
        opt_in=True,
        sdk_model="reportrequest.QueryRequestHitRatio",
        description="Request hit ratio per domain (the share of requests served from cache).",
    ),
)
