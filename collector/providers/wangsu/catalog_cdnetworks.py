"""CDNetworks' spellings: the twins of the renamed Wangsu reports, and its own reports.

CDNetworks' SDK renamed eight report paths and their keys in November 2025
(cdnetworks-brand-api.md §6): `TWINS` gives each renamed Wangsu path its twin, applied
to every declaration on that path (catalog.py builds the CDNetworks catalog with them).
`ENDPOINTS` are the reports only CDNetworks documents: the DWA (dynamic web
acceleration) variants, which keep the Wangsu names and keys (§7), the static/dynamic
and per-PoP traffic and the daily channel report (§7), and the `reportbandwidth`
reports beyond server country that answer series (§8), relay traffic among them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from collector import families as core
from collector.model import Family, Kind, Point
from collector.providers._json import field_of, list_of, number, text_of
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    MalformedResponse,
    Measure,
    Query,
    Reason,
    Unit,
)
from collector.providers.wangsu import catalog_code_data, catalog_core, catalog_legacy
from collector.providers.wangsu.declare import (
    ASSUMED_30,
    DOMAINS,
    DOWN,
    HISTORY,
    INTERVAL,
    Body,
    dates,
    slices,
)
from collector.providers.wangsu.dialect import Twin
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.providers.wangsu.wire import BYTES, MB, MBPS, ROOT, FlowData, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE, TimestampError, format_request_time

# -- the renamed reports (§6) ---------------------------------------------------------

# The renames shared by every twin (§6.9): `dataInterval` and `type` are `granularity`.
_GRANULARITY = {"dataInterval": "granularity", "type": "granularity"}
# flow-request's and its origin twin's series and totals (§6.1, §6.2).
_TRAFFIC_REQUEST = {
    "flowRequestData": "dataSeries",
    "flowRequestOriginData": "dataSeries",
    "flow": "traffic",
    "request": "requests",
}
_FLOW_DATA = {"flow-data": "dataSeries", "flow": "traffic"}  # §6.5, §6.6

# Wangsu path -> its CDNetworks twin.
TWINS: dict[str, Twin] = {
    "/api/report/flow-request": Twin(
        path="/api/report/traffic-request",
        answer=_TRAFFIC_REQUEST,
        max_domains_per_call=1000,  # Wangsu's 200, "1000 default" here
        sdk_model="reportflow.Gettrafficrequestsandpeakbandwidthformultidomains",
    ),
    "/api/report/flow-request/origin": Twin(
        path="/api/report/traffic-request/origin",
        request=_GRANULARITY,
        answer=_TRAFFIC_REQUEST,
        sdk_model="reportflow.Getorigintrafficandrequestsformultidomains",
    ),
    "/api/report/flow/domain-country": Twin(
        path="/api/report/traffic/domain-country",
        request=_GRANULARITY,
        answer={"flowData": "dataSeries", "value": "traffic"},
        sdk_model="reportflow.Gettrafficandbandwidthbyclientcountry",
    ),
    "/api/report/flow/protocol": Twin(
        path="/api/report/traffic/protocol",
        request=_GRANULARITY,
        answer={"httpsFlowData": "dataSeries", "httpFlowData": "dataSeries", "value": "traffic"},
        sdk_model="reportflow.Gettrafficbyprotocol",
    ),
    "/api/report/flow": Twin(
        path="/api/report/traffic",
        request=_GRANULARITY,
        answer=_FLOW_DATA,
        sdk_model="reportflow.Gettotaltrafficforalldomains",
    ),
    "/api/report/domainflow": Twin(
        path="/api/report/domaintraffic",
        request=_GRANULARITY,
        answer=_FLOW_DATA,
        # 1000 a call, but the answer is one series for them all: still one a call.
        max_domains_per_call=1000,
        sdk_model="reportflow.Querytotaltrafficformultidomains",
    ),
    "/api/report/request/saving-bandwidth/total": Twin(
        path="/api/report/bandwidth/saving-bandwidth/total",
        request=_GRANULARITY,
        answer={"savingBandwidthDatas": "dataSeries", "savingBandwidth": "savedBandwidthRatio"},
        sdk_model="reportflow.Getbandwidthsavingratio",
    ),
    "/api/report/flow/isp-province/hit-rate/total": Twin(
        path="/api/report/traffic/isp-province/hit-rate/total",
        request=_GRANULARITY,
        answer={"detailList": "dataSeries"},
        sdk_model="reportflow.Gettrafficandrequestshitratiobyispprovince1mingranularity",
    ),
}

# -- families of what only CDNetworks reports -----------------------------------------

# /flow/static-dynamic: traffic by layer (edge or parent), content and direction.
STATIC_DYNAMIC_TRAFFIC = Family(
    "cdn_static_dynamic_traffic_bytes_total",
    Kind.COUNTER,
    "Traffic in bytes by layer (edge or parent), content (static or dynamic) and direction",
    ("domain", "layer", "content", "direction"),
)
# /flow/pop: edge traffic by PoP, content and direction.
POP_TRAFFIC = Family(
    "cdn_pop_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by point of presence, content (static or dynamic) and direction",
    ("domain", "pop", "content", "direction"),
)
# /cdn/traffic/relay: traffic relayed between CDNetworks nodes, per domain.
RELAY_TRAFFIC = Family(
    "cdn_relay_traffic_bytes_total",
    Kind.COUNTER,
    "Traffic relayed between CDN nodes in bytes (billed relay traffic)",
)
# [?] GB as 10^9 bytes, like MB as 10^6 (the account's `units.megabyte` does not apply).
GB = Unit(1e9, "GB read as 10^9 bytes")

# `dataUnit`: Bytes are exact integers, where MB are rounded to two decimals.
_BYTE_UNIT = "Byte"
_EDGE_FIELDS = (
    ("edgeStaticUp", ("static", "up")),
    ("edgeStaticDown", ("static", "down")),
    ("edgeDynamicUp", ("dynamic", "up")),
    ("edgeDynamicDown", ("dynamic", "down")),
)
_PARENT_FIELDS = (
    ("parentStaticDown", ("static", "down")),
    ("parentDynamicDown", ("dynamic", "down")),
)


def _query_lower(query: Query) -> dict[str, str]:
    """The DWA legacy reports' query string: lower-case `datefrom`/`dateto` (§7, §8)."""
    return {
        "datefrom": format_request_time(query.window.start, query.offset_seconds),
        "dateto": format_request_time(query.window.end, query.offset_seconds),
        "type": catalog_legacy.LEGACY_TYPES[query.window.slice_seconds],
    }


def _query_dates(query: Query) -> dict[str, str]:
    return {**dates(query), "type": catalog_legacy.LEGACY_TYPES[query.window.slice_seconds]}


def _wangsu(name: str) -> Endpoint:
    endpoints: tuple[Endpoint, ...] = (
        *catalog_core.ENDPOINTS,
        *catalog_code_data.ENDPOINTS,
        *catalog_legacy.ENDPOINTS,
    )
    return next(spec for spec in endpoints if spec.name == name)


def _dwa(name: str, path: str, sdk_model: str, **changes: object) -> Endpoint:
    """The DWA twin of Wangsu report `name`: the same keys, families and slices on its
    own path, opt-in (an account's DWA domains are usually not its CDN domains)."""
    spec = _wangsu(name)
    return replace(
        spec,
        name=f"{name}_dwa",
        path=path,
        rate_limit=ASSUMED_30,  # [I]
        opt_in=True,
        alternatives=(),
        sdk_model=sdk_model,
        description=f"{spec.description.rstrip('.')}, for DWA (dynamic acceleration) domains.",
        **changes,  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DayTotals:
    """A `{code, message, data[] {name, <measures>}}` answer of totals over the call's
    window (one day), an item per channel (domain) named by `name`: each value is the
    slice ending at the window's end."""

    measures: tuple[Measure, ...]
    envelope: str = "code-data"

    def source(self, measure: Measure) -> str:
        return f"data[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        out: list[Point] = []
        asked = set(query.domains)
        end = int(query.window.end)
        for i, item in enumerate(list_of(payload, "data", ROOT)):
            path = f"data[{i}]"
            name = text_of(item, "name", path)
            if name not in asked:
                continue  # an item for a channel not asked for would be counted twice
            for m in self.measures:
                where = f"{path}.{m.field}"
                value = m.unit.convert(number(field_of(item, m.field, path), where), where)
                out.append(Point(m.family, (str(name), *m.labels), end, value))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayGroups:
    """/cdn/traffic/relay: `{code, message, data {report {.., groups[] {domain, item[]
    {time, <measures>}}}}}`, `data` an object. Daily `time` labels the day it covers."""

    measures: tuple[Measure, ...]
    envelope: str = "code-report"  # {"code", "message", "data": {"report": ...}}

    def source(self, measure: Measure) -> str:
        return f"data.report.groups[].item[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        report = field_of(field_of(payload, "data", ROOT), "report", "data")
        asked = set(query.domains)
        out: list[Point] = []
        for i, group in enumerate(list_of(report, "groups", "data.report")):
            path = f"data.report.groups[{i}]"
            domain = text_of(group, "domain", path)
            if domain not in asked:
                continue  # a group for a domain not asked for would be counted twice
            for j, item in enumerate(list_of(group, "item", path)):
                where = f"{path}.item[{j}]"
                text = field_of(item, "time", where)
                try:
                    end = parse_end_labelled(text, query.offset_seconds)
                except TimestampError as exc:
                    raise MalformedResponse(f"{where}.time: {exc}", Reason.BAD_TIMESTAMP) from None
                for m in self.measures:
                    at = f"{where}.{m.field}"
                    value = m.unit.convert(number(field_of(item, m.field, where), at), at)
                    out.append(Point(m.family, (str(domain), *m.labels), end, value))
        return out


# domainflow's body: {"domain-list": {"domain-name": [...]}}.
_DOMAIN_LIST = _wangsu("domainflow").build_body

ENDPOINTS: tuple[Endpoint, ...] = (
    _dwa(
        "flow_request",
        "/api/report/flow-request/dwa",
        "reportflow.Queryrequestnumberandpeakbandwidthformultidomain",
    ),
    _dwa(
        "domainflow",
        "/api/report/domainflow/dwa",
        "reportflow.Querytrafficformultidomain",
        build_query=_query_lower,
    ),
    _dwa(
        "account_traffic",
        "/api/report/flow/dwa",
        "reportflow.Querytotaltrafficforalldomainsunderdwa",
    ),
    _dwa(
        "flow_byte",
        "/api/report/flow/byte/dwa",
        "reportflow.QuerytotaltrafficinbyteforalldomainsunderdwaByte",
    ),
    _dwa(
        "settlement_area",
        "/api/report/flow/area/dwa",
        "reportflow.Querytrafficforselectedbillingarea",
    ),
    Endpoint(
        name="static_dynamic",
        path="/api/report/flow/static-dynamic",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=250,
        slices=slices(5 * MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "domain": DOMAINS,
                "dataInterval": INTERVAL,
                "groupBy": ("domain",),
                "dataUnit": _BYTE_UNIT,
            }
        ),
        shape=Nested(
            envelope="result",
            levels=(),
            series="flowData",
            measures=tuple(
                Measure(field=key, family=STATIC_DYNAMIC_TRAFFIC, unit=BYTES, labels=(layer, *rest))
                for layer, pairs in (("edge", _EDGE_FIELDS), ("parent", _PARENT_FIELDS))
                for key, rest in pairs
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.Querystaticdynamictrafficbyprotocol",
        description="Edge and parent traffic per domain, static and dynamic, up and down.",
    ),
    Endpoint(
        name="pop_traffic",
        path="/api/report/flow/pop",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=200,
        slices=slices(5 * MINUTE, span=DAY),  # [I] no dataInterval values are documented
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "domain": DOMAINS,
                "dataInterval": INTERVAL,
                "groupBy": ("domain",),
                "dataUnit": _BYTE_UNIT,
            }
        ),
        shape=Nested(
            envelope="result",
            levels=(Level(key="popData", label="pop"),),
            series="flowData",
            measures=tuple(
                Measure(field=key, family=POP_TRAFFIC, unit=BYTES, labels=rest)
                for key, rest in _EDGE_FIELDS
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.Queryspecificpoptraffic",
        description="Edge traffic per domain and PoP, static and dynamic, up and down.",
    ),
    Endpoint(
        name="daily_edge_report",
        path="/myview/CdnwEdgeReportForKeywordAquan",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        # Up to 500 channels a call, each answered by name.
        max_domains_per_call=500,
        # One day a call ("≤1 d"), asked for once the day is over.
        slices=slices(DAY, span=DAY, delay=catalog_legacy.DAILY_DELAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        # No `cust`: [?] the customer name is optional as far as the model says.
        build_body=Body(
            fields={
                "startdate": catalog_legacy.FIRST_DAY,
                "enddate": catalog_legacy.LAST_DAY,
                "channel": catalog_legacy.CHANNELS,
                "timezone": catalog_legacy.TIMEZONE,
            },
            dates=False,
        ),
        # [?] Units are not stated: MB and Mbps like every other myview report. The
        # billing-style `peakAvg` is not exported (its meaning is undocumented).
        shape=DayTotals(
            measures=(
                Measure(field="totalFlow", family=catalog_legacy.CHANNEL_DAILY_TRAFFIC, unit=MB),
                Measure(
                    field="peakValue",
                    family=catalog_legacy.CHANNEL_DAILY_PEAK_BANDWIDTH,
                    unit=MBPS,
                ),
            )
        ),
        opt_in=True,  # flow_day reports the same daily figures
        sdk_model="reportflow.QueryKeywordaquanEdgereport",
        description="Daily traffic and peak bandwidth per channel (CdnwEdgeReportForKeywordAquan).",
    ),
    # -- reportbandwidth (§8) --
    Endpoint(
        name="realtime_bandwidth",
        path="/api/report/bandwidth/multi-domain/real-time/edge",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=20,
        slices=slices(MINUTE, 5 * MINUTE, span=HOUR),  # "max 1 h"
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": "domain"}),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="bandwidthData",
            measures=(Measure(field="value", family=core.BANDWIDTH, unit=MBPS, labels=DOWN),),
        ),
        opt_in=True,  # flow_request reports the same bandwidth (5m)
        sdk_model="reportbandwidth.Queryrealtimebandwidthformultidomain",
        description="Edge bandwidth per domain, minute by minute (flow_request's alternative).",
    ),
    Endpoint(
        name="realtime_origin_bandwidth",
        path="/api/report/bandwidth/multi-domain/real-time/origin",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=50,
        slices=slices(5 * MINUTE, MINUTE, HOUR, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": "domain"}),
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="originBandwidthData",
            measures=(Measure(field="value", family=core.ORIGIN_BANDWIDTH, unit=MBPS),),
        ),
        opt_in=True,  # flow_request_origin reports the same bandwidth
        sdk_model="reportbandwidth.Querybandwidthoforiginminutely",
        description="Back-to-origin bandwidth per domain, by the minute if asked.",
    ),
    Endpoint(
        name="domainbandwidth",
        path="/api/report/domainbandwidth",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        # Up to 1000 a call, but one series for them all: one domain a call.
        max_domains_per_call=1,
        slices=(
            *slices(5 * MINUTE, HOUR, span=31 * DAY),
            *slices(DAY, span=31 * DAY, delay=catalog_legacy.DAILY_DELAY),
        ),
        fan_out=FanOut.PER_DOMAIN,
        build_body=_DOMAIN_LIST,
        build_query=_query_dates,
        shape=FlowData(
            measures=(Measure(field="bandwidth", family=core.BANDWIDTH, unit=MBPS, labels=DOWN),),
            call_label=True,
            series="bandwidthReport",
        ),
        opt_in=True,  # flow_request reports the same bandwidth
        sdk_model="reportbandwidth.Querydomainbandwidth",
        description="Edge bandwidth per domain from the legacy domainbandwidth report.",
    ),
)

ENDPOINTS += (
    Endpoint(
        name="relay_traffic",
        path="/cdn/traffic/relay",
        method="POST",
        history=730 * DAY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=2000,
        # Dates are whole days (`yyyy-MM-dd`): one day a call, asked for once it is over.
        # [?] Finer slices label 5m by their end and 1h by their start: not offered.
        slices=slices(DAY, span=DAY, delay=catalog_legacy.DAILY_DELAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "dateFrom": catalog_legacy.FIRST_DAY,
                "dateTo": catalog_legacy.LAST_DAY,
                "timezone": catalog_legacy.TIMEZONE,
                # [?] The model names one `domain` field: `;`-separated like the
                # other multi-domain strings.
                "domain": catalog_legacy.CHANNELS,
                "granularity": "1d",
                "groupBy": "domain",
            },
            dates=False,
        ),
        shape=RelayGroups(measures=(Measure(field="relayTraffic", family=RELAY_TRAFFIC, unit=GB),)),
        opt_in=True,
        sdk_model="reportbandwidth.Getcdnrelaytraffic",
        description="Relay traffic per domain and day (billed traffic between CDN nodes).",
    ),
    replace(
        ENDPOINTS[-1],
        name="domainbandwidth_dwa",
        path="/api/report/domainbandwidth/dwa",
        build_query=_query_lower,
        sdk_model="reportbandwidth.Querybandwidthformultidomain",
        description="Edge bandwidth per DWA (dynamic acceleration) domain.",
    ),
)
