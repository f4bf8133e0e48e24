"""Wangsu/CDNetworks reports answering `{"result": [...]}`, beyond the first six.

Directory and stream reports poll every directory or stream of a domain (an empty
`dir`/`stream` list asks for all of them): the account config has no place for a
directory or stream list, so none is sent. `protocol` polls `protocolType: https`
only: the SDK models the `httpsFlowData` answer alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.model import Family, Kind, Point
from collector.providers._json import field_of, list_of, number
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    MalformedResponse,
    Measure,
    Query,
    Reason,
)
from collector.providers.wangsu.declare import (
    ASSUMED_300,
    COUNTRY_DELAY,
    COUNTRY_LABELS,
    DOMAINS,
    INTERVAL,
    PER_5MIN_30,
    Body,
    From,
    slices,
)
from collector.providers.wangsu.families import STREAM_TRAFFIC
from collector.providers.wangsu.wire import MB, MBPS, ROOT, Level, Nested
from collector.timeslices import DAY, HOUR, MINUTE

# -- families -------------------------------------------------------------------------

PARENT_NODE_TRAFFIC = Family(
    "cdn_parent_node_traffic_bytes_total",
    Kind.COUNTER,
    "Traffic the parent (shield) PoPs sent on to edge nodes, in bytes",
)
PROTOCOL_TRAFFIC = Family(
    "cdn_protocol_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by transport protocol",
    ("domain", "protocol"),
)
CLIENT_COUNTRY_TRAFFIC = Family(
    "cdn_client_country_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by the country of the client",
    COUNTRY_LABELS,
)
CLIENT_COUNTRY_BANDWIDTH = Family(
    "cdn_client_country_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second by the country of the client",
    COUNTRY_LABELS,
)
# The answer names exact domains only, never the wildcard domain they fall under.
EXACT_DOMAIN_TRAFFIC = Family(
    "cdn_exact_domain_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by exact domain under a wildcard domain",
    ("exact_domain",),
)
_DIR_LABELS = ("domain", "directory")
DIRECTORY_TRAFFIC = Family(
    "cdn_directory_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by first-level directory",
    _DIR_LABELS,
)
DIRECTORY_PEAK_BANDWIDTH = Family(
    "cdn_directory_peak_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Peak 5-minute edge bandwidth in bytes per second within the slice, by first-level directory",
    _DIR_LABELS,
)
LIVE_DIRECTORY_TRAFFIC = Family(
    "cdn_livestream_directory_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes by directory of a live-streaming domain",
    _DIR_LABELS,
)

RESULT_FAMILIES: tuple[Family, ...] = (
    PARENT_NODE_TRAFFIC,
    PROTOCOL_TRAFFIC,
    CLIENT_COUNTRY_TRAFFIC,
    CLIENT_COUNTRY_BANDWIDTH,
    EXACT_DOMAIN_TRAFFIC,
    DIRECTORY_TRAFFIC,
    DIRECTORY_PEAK_BANDWIDTH,
    LIVE_DIRECTORY_TRAFFIC,
    STREAM_TRAFFIC,
)

# -- a route-specific wire shape ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Totals over the whole request window, without timestamps (`dir/info`):
    `result[] {domain, <parts>[] {<label>, <measures>}}`. Each call asks for exactly
    one slice (the declaration's span is its slice), so a total is that slice's value,
    ending at the window's end."""

    parts: str
    label: str
    measures: tuple[Measure, ...]
    envelope: str = "result"

    def source(self, measure: Measure) -> str:
        return f"result[].{self.parts}[].{measure.field} (window total)"

    def parse(self, payload: Any, query: Query) -> Sequence[Point]:
        window = query.window
        if window.end - window.start != window.slice_seconds:
            raise MalformedResponse(
                f"{query.endpoint} answers window totals; the query spans "
                f"{window.end - window.start}s, not one {window.slice_seconds}s slice"
            )
        out: list[Point] = []
        for i, item in enumerate(list_of(payload, "result", ROOT)):
            where = f"result[{i}]"
            domain = _text(item, "domain", where)
            for j, part in enumerate(list_of(item, self.parts, where)):
                path = f"{where}.{self.parts}[{j}]"
                name = _text(part, self.label, path)
                for measure in self.measures:
                    at = f"{path}.{measure.field}"
                    if measure.optional and (
                        not isinstance(part, dict) or part.get(measure.field) is None
                    ):
                        continue
                    value = measure.unit.convert(
                        number(field_of(part, measure.field, path), at), at
                    )
                    out.append(
                        Point(measure.family, (domain, name, *measure.labels), window.end, value)
                    )
        return out


def _text(item: Any, key: str, path: str) -> str:
    value = field_of(item, key, path)
    if not isinstance(value, str):
        raise MalformedResponse(
            f"{path}.{key}: expected a string, got {value!r}", Reason.WRONG_TYPE
        )
    return value


# -- bodies ---------------------------------------------------------------------------

# Per domain: dataInterval, groupBy domain.
PER_DOMAIN_BODY = Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": ("domain",)})
# One group per domain with an empty `dir`/`stream` list: every directory or stream.
DOMAIN_DIRS = From(lambda query: [{"domain": d, "dir": []} for d in query.domains])
DOMAIN_STREAMS = From(lambda query: [{"domain": d, "stream": []} for d in query.domains])


# -- declarations ---------------------------------------------------------------------

# Exact-domain data arrives 3 to 5 hours late (reference §6.12): the upper bound.
EXACT_DOMAIN_DELAY = 5 * HOUR

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="parent_node",
        path="/api/report/flow/parent-node",
        method="POST",
        rate_limit=PER_5MIN_30,
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=PER_DOMAIN_BODY,
        shape=Nested(
            envelope="result",
            levels=(),
            series="flowData",
            measures=(Measure(field="value", family=PARENT_NODE_TRAFFIC, unit=MB),),
        ),
        sdk_model="reportflow.QueryOutputTrafficUnderShieldPoP",
        opt_in=True,  # not on by default: one more report to poll, asked for by name
        description="Traffic the parent (shield) PoPs sent on to edge nodes, per domain.",
    ),
    Endpoint(
        name="protocol",
        path="/api/report/flow/protocol",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, MINUTE, HOUR, DAY, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "domain": DOMAINS,
                "dataInterval": INTERVAL,
                "groupBy": ("domain",),
                "protocolType": "https",
            }
        ),
        shape=Nested(
            envelope="result",
            levels=(),
            series="httpsFlowData",
            measures=(Measure(field="value", family=PROTOCOL_TRAFFIC, unit=MB, labels=("https",)),),
        ),
        sdk_model="reportflow.QueryTrafficBySpecificProtocol",
        opt_in=True,  # not on by default: one more report to poll, asked for by name
        description="Edge traffic over HTTPS per domain (protocolType https).",
    ),
    Endpoint(
        name="client_country",
        path="/api/report/flow/domain-country",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, DAY, span=7 * DAY, delay=COUNTRY_DELAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        # Omitting countryCode asks for every country.
        build_body=Body(
            fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": COUNTRY_LABELS}
        ),
        shape=Nested(
            envelope="result",
            levels=(Level(key="countryData", label="countryCode"),),
            series="flowData",
            # flowSum and flowPercentage (percent) are window summaries: not exported.
            measures=(
                Measure(field="value", family=CLIENT_COUNTRY_TRAFFIC, unit=MB),
                Measure(field="bandwidth", family=CLIENT_COUNTRY_BANDWIDTH, unit=MBPS),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowDomainCountryService",
        description="Edge traffic and bandwidth by client country (read 24 h late).",
    ),
    Endpoint(
        name="exact_domain",
        path="/api/report/flow/exact-domain",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, DAY, span=DAY, delay=EXACT_DOMAIN_DELAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        # Omitting exactDomain asks for every exact domain under the wildcard domains.
        build_body=Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL}),
        shape=Nested(
            envelope="result",
            levels=(),
            series="flowData",
            measures=(Measure(field="value", family=EXACT_DOMAIN_TRAFFIC, unit=MB),),
            top_label="exactDomain",
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowExactDomainService",
        description="Edge traffic by exact domain under wildcard domains (3-5 h late).",
    ),
    Endpoint(
        name="dir_info",
        path="/api/report/flow/dir/info",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=1,  # domainDir takes one domain by default
        # The answer is a total over the window: one hour a call makes it hourly slices.
        slices=slices(HOUR, span=HOUR),
        fan_out=FanOut.PER_DOMAIN,
        # An empty `dir` asks for every directory; level 1 keeps series few.
        build_body=Body(fields={"dirHierarchy": "1", "domainDir": DOMAIN_DIRS}),
        shape=WindowTotals(
            parts="details",
            label="dir",
            measures=(
                Measure(field="totalFlow", family=DIRECTORY_TRAFFIC, unit=MB),
                Measure(field="bandwidthPeakValue", family=DIRECTORY_PEAK_BANDWIDTH, unit=MBPS),
            ),
        ),
        opt_in=True,
        sdk_model="reportflow.ReportFlowDirInfoService",
        description="Edge traffic and peak bandwidth by first-level directory (hourly).",
    ),
    Endpoint(
        name="live_dir",
        path="/api/report/flow/dir/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, MINUTE, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={"domainDir": DOMAIN_DIRS, "dataInterval": INTERVAL, "dataType": "flow"}
        ),
        shape=Nested(
            envelope="result",
            levels=(Level(key="details", label="dir"),),
            series="details",
            measures=(Measure(field="value", family=LIVE_DIRECTORY_TRAFFIC, unit=MB),),
        ),
        opt_in=True,
        sdk_model="reportflow.QueryDirectoryBandwidthTrafficUnderLivestreamDomain",
        description="Edge traffic by directory of live-streaming domains (dataType flow).",
    ),
    Endpoint(
        name="stream",
        path="/api/report/flow/stream/detail",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, MINUTE, span=DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={"domainStream": DOMAIN_STREAMS, "dataInterval": INTERVAL, "dataType": "flow"}
        ),
        shape=Nested(
            envelope="result",
            levels=(Level(key="details", label="stream"),),
            series="details",
            measures=(Measure(field="value", family=STREAM_TRAFFIC, unit=MB),),
        ),
        opt_in=True,
        sdk_model="reportflow.QueryStreamTrafficUnderMALBDomain",
        description="Edge traffic by stream (dataType flow).",
    ),
)
"""The other `result` report endpoints, each declared once."""
