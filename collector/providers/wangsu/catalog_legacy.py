"""Wangsu/CDNetworks legacy reports: `flow-summary`/`flow-data` and the `myview` family.

The `flow-data` reports answer one series for the whole call: GET /api/report/flow for
the account (its own family), /api/report/domainflow and /api/report/flow/area for the
domains listed (asked one domain per call, so the series keeps its domain). They take
`type` (fiveminutes | hourly | daily) or `dataInterval`, and label the last slice of a
day `yyyy-MM-dd 24:00`. The `myview` reports take form-style fields (`startdate`,
`enddate`, `channel`, `dataformat`) and nest provider -> date -> channel; they answer
XML unless `dataformat` is json (the exporter asks for JSON and reads XML too).
Daily slices end at local midnight and are only asked for once the day is over, so a
partial day is never published.
"""

from __future__ import annotations

from collector.model import Family, Kind
from collector.providers.endpoint import Endpoint, FanOut, Granularity, Measure, Query, Unit
from collector.providers.wangsu.declare import (
    ASSUMED_300,
    DOMAINS,
    INTERVAL,
    PER_5MIN_30,
    Body,
    From,
    dates,
    slices,
)
from collector.providers.wangsu.families import ACCOUNT_TRAFFIC
from collector.providers.wangsu.wire import MB, MBPS, FlowData, MyView, Node
from collector.timeslices import (
    DAY,
    HOUR,
    MINUTE,
    format_local,
    format_offset,
    format_request_time,
)

# -- families -------------------------------------------------------------------------

DOMAINFLOW_TRAFFIC = Family(
    "cdn_domainflow_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes per domain, from the legacy domainflow report",
)
SETTLEMENT_AREA_TRAFFIC = Family(
    "cdn_settlement_area_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes per domain and settlement (billing) area",
    ("domain", "area"),
)
CHANNEL_BANDWIDTH = Family(
    "cdn_channel_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second per channel (domain), from the myview report",
)
CHANNEL_DAILY_TRAFFIC = Family(
    "cdn_channel_daily_traffic_bytes_total",
    Kind.COUNTER,
    "Edge traffic in bytes per channel (domain) and day, from the myview daily report",
)
CHANNEL_DAILY_PEAK_BANDWIDTH = Family(
    "cdn_channel_daily_peak_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Peak edge bandwidth in bytes per second per channel (domain) of a day",
)

VOD_TRANSCODING = Family(
    "cdn_vod_transcoding_seconds_total",
    Kind.COUNTER,
    "Video-on-demand transcoding output duration in seconds per operation, per day",
    ("transcoding",),
)

# -- shared pieces --------------------------------------------------------------------

# `type` of the legacy reports (reference §5.2); the API's default is daily.
LEGACY_TYPES = {5 * MINUTE: "fiveminutes", HOUR: "hourly", DAY: "daily"}
# [I] A day's figures are final some time after midnight; none is documented. Daily
# slices settle an hour after the day ends (the day is never asked for before it ends).
DAILY_DELAY = HOUR
MONTH = 31 * DAY  # "dateFrom and dateTo ... cannot be longer than 31 days"
# The settlement area asked for: [?] one area per call keeps the series per area; "cn"
# (mainland China) is the one most accounts are billed in.
SETTLEMENT_AREA = "cn"
# Flowchannel takes no `timezone`: its times are in the documented default, GMT+08:00.
MYVIEW_DEFAULT_OFFSET = 8 * HOUR


# Wctquery: the transcoding operation asked for. [?] One per call keeps the series per
# operation (the SDK's JSON nests one `date` object); "trans" is H.264 video transcoding.
TRANSCODING = "trans"
# [?] The answer names its `unit`; for video transcoding it is minutes of output.
MINUTES = Unit(60.0, "minutes (the answer's unit [?]) read as 60 s")


def _legacy_slices(span: int) -> tuple[Granularity, ...]:
    return (
        *slices(5 * MINUTE, HOUR, span=span),
        *slices(DAY, span=span, delay=DAILY_DELAY),
    )


def query_account_traffic(query: Query) -> dict[str, str]:
    # GET /api/report/flow spells its parameters in lower case (SDK Parameters class).
    return {
        "datefrom": format_request_time(query.window.start, query.offset_seconds),
        "dateto": format_request_time(query.window.end, query.offset_seconds),
        "type": LEGACY_TYPES[query.window.slice_seconds],
    }


def query_domainflow(query: Query) -> dict[str, str]:
    # POST with the dates in the query string (not signed for POST).
    return {**dates(query), "type": LEGACY_TYPES[query.window.slice_seconds]}


def _myview_minute(epoch: int, offset: int) -> str:
    return format_local(epoch, offset, "%Y-%m-%d %H:%M")


# `channel`: the domains, `;`-separated.
CHANNELS = From(lambda query: ";".join(query.domains))
# Flowchannel: `startdate`/`enddate` name the first and last slice ends, to the minute.
FIRST_SLICE_END = From(
    lambda query: _myview_minute(
        query.window.start + query.window.slice_seconds, MYVIEW_DEFAULT_OFFSET
    )
)
LAST_SLICE_END = From(lambda query: _myview_minute(query.window.end, MYVIEW_DEFAULT_OFFSET))
# flow-day and Wctquery: whole local days, the first and last day of the window (its
# end is a midnight), in the zone `timezone` names.
FIRST_DAY = From(lambda query: format_local(query.window.start, query.offset_seconds, "%Y-%m-%d"))
LAST_DAY = From(
    lambda query: format_local(query.window.end - DAY, query.offset_seconds, "%Y-%m-%d")
)
TIMEZONE = From(lambda query: "GMT" + format_offset(query.offset_seconds))


_AREA_LABEL = (SETTLEMENT_AREA,)  # the `area` label: the one area asked for

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="account_traffic",
        path="/api/report/flow",
        method="GET",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=0,
        slices=_legacy_slices(MONTH),
        fan_out=FanOut.ACCOUNT,
        build_body=Body(dates=False),  # a GET: sent in the query string
        build_query=query_account_traffic,
        shape=FlowData(measures=(Measure(field="flow", family=ACCOUNT_TRAFFIC, unit=MB),)),
        opt_in=True,  # flow_request's per-domain traffic already sums to it
        sdk_model="reportflow.QuerySumUpTrafficUnderAccount",
        description="Edge traffic of all the account's domains together.",
    ),
    Endpoint(
        name="domainflow",
        path="/api/report/domainflow",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # The answer is one series over every listed domain: one domain per call.
        max_domains_per_call=1,
        slices=_legacy_slices(MONTH),
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={"domain-list": From(lambda query: {"domain-name": list(query.domains)})},
            dates=False,
        ),
        build_query=query_domainflow,
        shape=FlowData(
            measures=(Measure(field="flow", family=DOMAINFLOW_TRAFFIC, unit=MB),), call_label=True
        ),
        opt_in=True,  # the same traffic flow_request reports, by another route
        sdk_model="reportflow.QueryDomainTotalTraffic",
        description="Edge traffic per domain from the legacy domainflow report.",
    ),
    Endpoint(
        name="settlement_area",
        path="/api/report/flow/area",
        method="POST",
        rate_limit=PER_5MIN_30,
        max_domains_per_call=1,  # one series for all listed domains: one per call
        # 1d first: the API's default, and daily polls keep one call per domain an hour.
        slices=(
            *slices(DAY, span=MONTH, delay=DAILY_DELAY),
            *slices(HOUR, 5 * MINUTE, span=MONTH),
        ),
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={"domain": DOMAINS, "dataInterval": INTERVAL, "areaCode": SETTLEMENT_AREA}
        ),
        shape=FlowData(
            measures=(
                Measure(field="flow", family=SETTLEMENT_AREA_TRAFFIC, unit=MB, labels=_AREA_LABEL),
            ),
            call_label=True,
        ),
        opt_in=True,
        sdk_model="reportflow.QueryDomainTrafficUnderSpecificSettlementArea",
        description="Edge traffic per domain in the mainland-China settlement area.",
    ),
    Endpoint(
        name="flow_channel",
        path="/myview/Flowchannel",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        # JSON nests one channel object per date: one channel per call.
        max_domains_per_call=1,
        slices=slices(5 * MINUTE, span=DAY),
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startdate": FIRST_SLICE_END,
                "enddate": LAST_SLICE_END,
                "channel": CHANNELS,
                "dataformat": "json",
            },
            dates=False,
        ),
        shape=MyView(
            levels=(Node(key="date"), Node(key="channel", labels=("name",))),
            series="flow",
            measures=(Measure(field="text", family=CHANNEL_BANDWIDTH, unit=MBPS),),
            offset=MYVIEW_DEFAULT_OFFSET,
        ),
        opt_in=True,  # the same bandwidth flow_request reports, by another route
        sdk_model="reportflow.FlowChannel",
        description="Edge bandwidth per channel from the myview report (5m).",
    ),
    Endpoint(
        name="flow_day",
        path="/myview/flow-day",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=1,  # one channel object per date in JSON
        slices=slices(DAY, span=MONTH, delay=DAILY_DELAY),
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startdate": FIRST_DAY,
                "enddate": LAST_DAY,
                "channel": CHANNELS,
                "dataformat": "json",
                "timezone": TIMEZONE,
            },
            dates=False,
        ),
        shape=MyView(
            levels=(Node(key="date"), Node(key="channel", labels=("name",))),
            series="channel-peak",
            measures=(
                Measure(field="totalFlow", family=CHANNEL_DAILY_TRAFFIC, unit=MB),
                Measure(field="peakValue", family=CHANNEL_DAILY_PEAK_BANDWIDTH, unit=MBPS),
            ),
            time_field="date",
        ),
        opt_in=True,
        sdk_model="reportflow.FlowDay",
        description="Daily traffic and peak bandwidth per channel (myview flow-day).",
    ),
    Endpoint(
        name="vod_transcoding",
        path="/myview/Wctquery",
        method="POST",
        rate_limit=ASSUMED_300,  # [I]
        max_domains_per_call=0,  # account-wide: no channel list
        # A daily report: the 5-minute detail of whole days, summed per day, so a day
        # is asked for once it is over and never published in part.
        slices=slices(DAY, span=MONTH, delay=DAILY_DELAY),
        fan_out=FanOut.ACCOUNT,
        # Whole days, as flow-day; the answer's 5-minute detail is summed per day.
        build_body=Body(
            fields={
                "startdate": FIRST_DAY,
                "enddate": LAST_DAY,
                "dataformat": "json",
                "timezone": TIMEZONE,
                "transcoding": TRANSCODING,
            },
            dates=False,
        ),
        shape=MyView(
            levels=(Node(key="date", labels=("transcoding",)), Node(key="wct")),
            series="data",
            measures=(Measure(field="text", family=VOD_TRANSCODING, unit=MINUTES),),
            per_day=True,
        ),
        opt_in=True,
        sdk_model="reportflow.WctQuery",
        description="Daily VOD transcoding output duration (myview Wctquery, H.264).",
    ),
)
