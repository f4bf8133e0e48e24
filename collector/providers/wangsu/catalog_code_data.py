"""Wangsu/CDNetworks reports answering `{"code", "message", "data": [...]}`.

Families are declared beside their endpoints. Request values the account config cannot
give today are left out where the API defaults to "all": the p2p `platform` (all
platforms), the stream names of `domainStream` (all streams of the domain).

`/api/report/flow-bandwidth/stream/detail` is read by three declarations: per-stream
traffic, and online users (`onlineUser`, asked for with `isReturnOnline`) per domain and
per stream. Each keeps a third of the path's limit, so any of them together stay within it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.families import ONLINE_USERS, STREAM_ONLINE_USERS
from collector.model import Family, Kind, Point, RateLimit
from collector.providers.endpoint import Endpoint, FanOut, Measure, Query, Unit, checked
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
# onlineUser: "Number of online users at a time point" (models.py), an integer.
USERS_AT_THE_MINUTE = Unit(1.0, "users online at the 1-minute time point")

# [I] flow-bandwidth/stream/detail publishes no limit (the assumed 300/5min); three
# declarations read it (stream_detail, stream_online_users, stream_online_users_by_stream):
# each keeps a third, so together they never exceed it.
STREAM_REPORT_SHARE = RateLimit(calls=ASSUMED_300.calls // 3, period=300, assumed=True)

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
    ONLINE_USERS,
    STREAM_ONLINE_USERS,
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


@dataclass(frozen=True, slots=True)
class StreamAudience:
    """`onlineUser` of each stream of a `domainOfStreamList` answer, per stream (labels
    domain, app, stream: `live/test` is publishing point `live`, stream `test`) or, with
    `per_domain`, summed over the domain's streams at each minute.

    A stream is one series: listed twice in an answer, it counts once (its last value,
    as the store keeps a repeated slice), in its own series and in the domain's sum."""

    streams: AskedDomainsOnly
    per_domain: bool

    @property
    def envelope(self) -> str:
        return self.streams.envelope

    @property
    def measures(self) -> tuple[Measure, ...]:
        return self.streams.measures

    def source(self, measure: Measure) -> str:
        path = self.streams.source(measure)
        if self.per_domain:
            return f"{path} summed over the domain's streams at each minute (each stream once)"
        return f"{path} per stream (`app/stream` split at its first /)"

    def parse(self, payload: Any, query: Query) -> Sequence[Point]:
        (family,) = {m.family for m in self.measures}
        latest: dict[tuple[str, str, int], float] = {}
        for point in self.streams.parse(payload, query):
            domain, stream = point.labels
            latest[(domain, stream, point.end)] = point.value
        if not self.per_domain:
            return [
                Point(family, (domain, *_app_and_stream(stream)), end, value)
                for (domain, stream, end), value in latest.items()
            ]
        sums: dict[tuple[str, int], float] = {}
        for (domain, _, end), value in latest.items():
            total = sums.get((domain, end), 0.0) + value
            sums[(domain, end)] = checked(total, "onlineUser summed over a domain's streams")
        return [Point(family, (domain,), end, value) for (domain, end), value in sums.items()]


def _app_and_stream(name: str) -> tuple[str, str]:
    """`live/test-20180101-test` as (`live`, `test-20180101-test`): the SDK's "publishing
    point + stream name"; a name without a publishing point has an empty `app`."""
    app, slash, stream = name.partition("/")
    return (app, stream) if slash else ("", name)


# One group per domain without `stream`: every stream of that domain.
_DOMAIN_STREAMS = From(lambda query: [{"domain": d} for d in query.domains])
# The zh_CN doc: dateFrom and dateTo at most 10 minutes apart.
_STREAM_SPAN = 10 * MINUTE


def _stream_audience(name: str, family: Family, *, per_domain: bool, description: str) -> Endpoint:
    return Endpoint(
        name=name,
        path="/api/report/flow-bandwidth/stream/detail",
        method="POST",
        rate_limit=STREAM_REPORT_SHARE,  # [I]
        max_domains_per_call=20,
        # onlineUser comes only at 1m ("仅当dataInterval=1m时,返回在线人数,5min时不返回").
        slices=slices(MINUTE, span=_STREAM_SPAN),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "domainStream": _DOMAIN_STREAMS,
                "dataInterval": INTERVAL,
                "dataType": "flow",
                # A string in the SDK's Request model; without it no onlineUser at all.
                "isReturnOnline": "true",
            }
        ),
        shape=StreamAudience(
            AskedDomainsOnly(
                Nested(
                    envelope="code-data",
                    levels=(Level(key="domainOfStreamList", label="stream"),),
                    series="detailList",
                    measures=(
                        Measure(field="onlineUser", family=family, unit=USERS_AT_THE_MINUTE),
                    ),
                )
            ),
            per_domain=per_domain,
        ),
        opt_in=True,
        sdk_model="reportflow.QueryMultipleStreamTrafficAndBandwidthUnderTheDomain",
        description=description,
    )


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
        rate_limit=STREAM_REPORT_SHARE,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, MINUTE, span=_STREAM_SPAN),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "domainStream": _DOMAIN_STREAMS,
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
    _stream_audience(
        "stream_online_users",
        ONLINE_USERS,
        per_domain=True,
        description="Online users per live domain: the sum over its streams at each minute.",
    ),
    _stream_audience(
        "stream_online_users_by_stream",
        STREAM_ONLINE_USERS,
        per_domain=False,
        description="Online users per live stream (one series per stream: set max_series).",
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
