"""Wangsu/CDNetworks `myview` bandwidth reports of `reportbandwidth`: same paths in both dialects.

Both SDKs list them (Python `wangsu.reportbandwidth`, Go `cdnetworks/reportbandwidth`):
/myview/bandwidth-channel, bandwidth-middle, bandwidth-log, bandwidth-peak-ranking,
BandWidthP2p and bandwidth-HK. They take the myview form fields (`startdate`/`enddate`,
`channel` `;`-separated, `dataformat` xml by default: the exporter asks for JSON and
reads XML too) and nest `provider -> date -> channel`; bandwidth-HK answers
`{code, message, data {.., detail[]}}`. The `resultType` 1 default merges every channel
asked for into one series, so the series reports ask for one channel a call. Where the
Python model has no `timezone` the answer is in the documented default, GMT+08:00; where
`startdate`/`enddate` are whole days the answer covers them, and only the slices of the
polled window are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.model import Family, Kind, Point, RateLimit
from collector.providers._json import field_of, number
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    MalformedResponse,
    Measure,
    Query,
    Reason,
)
from collector.providers.wangsu.catalog_legacy import (
    CHANNEL_BANDWIDTH,
    CHANNELS,
    DAILY_DELAY,
    FIRST_SLICE_END,
    LAST_SLICE_END,
    MYVIEW_DEFAULT_OFFSET,
    TIMEZONE,
)
from collector.providers.wangsu.declare import ASSUMED_30, HISTORY, Body, From, slices
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.providers.wangsu.wire import MBPS, ROOT, MyView, Node, one_or_many
from collector.timeslices import DAY, MINUTE, TimestampError, align_up, format_local

# -- families -------------------------------------------------------------------------

PARENT_BANDWIDTH = Family(
    "cdn_channel_parent_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Middle (parent) cache tier bandwidth in bytes per second per channel (domain), "
    "by content (static or dynamic parent) and cache (hit or miss)",
    ("domain", "content", "cache"),
)
LOG_BANDWIDTH = Family(
    "cdn_channel_log_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Edge bandwidth in bytes per second per channel (domain) computed from access logs",
)
P2P_BANDWIDTH = Family(
    "cdn_channel_p2p_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Bandwidth in bytes per second per channel (domain) that P2P peers or box devices "
    "served instead of the CDN, by source (p2p or box)",
    ("domain", "source"),
)
PEAK_RANKING_BANDWIDTH = Family(
    "cdn_channel_peak_ranking_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Peak edge bandwidth in bytes per second per channel (domain) of a GMT+08:00 day, "
    "from the peak ranking",
)
DEDICATED_LINE_BANDWIDTH = Family(
    "cdn_channel_dedicated_line_bandwidth_bytes_per_second",
    Kind.GAUGE,
    "Dedicated-line (China Premium Service) bandwidth in bytes per second per channel (domain)",
)

# -- shared pieces --------------------------------------------------------------------

# "100/5min, ≤2000 channels" (documents.cdnetworks.com, productCode=1660).
PER_5MIN_100 = RateLimit(calls=100, period=300)
PEAK_RANKING_CHANNELS = 2000
# [I] The 5-minute slices of these reports are not documented: 5 minutes like the
# other myview bandwidth series (Flowchannel), the reference's 5-15 minute delay.
FIVE_MINUTES = slices(5 * MINUTE, span=DAY)


def _day(epoch: int, offset: int) -> str:
    return format_local(epoch, offset, "%Y-%m-%d")


# Whole GMT+08:00 days from the one holding the window's first slice to the one holding
# its last (the reports without `timezone` whose dates are days).
FIRST_CST_DAY = From(lambda query: _day(query.window.start, MYVIEW_DEFAULT_OFFSET))
LAST_CST_DAY = From(lambda query: _day(query.window.end - 1, MYVIEW_DEFAULT_OFFSET))
# The same in the query's zone, which `timezone` names (bandwidth-HK).
FIRST_LOCAL_DAY = From(lambda query: _day(query.window.start, query.offset_seconds))
LAST_LOCAL_DAY = From(lambda query: _day(query.window.end - 1, query.offset_seconds))


def _local_minute(epoch: int, offset: int) -> str:
    return format_local(epoch, offset, "%Y-%m-%d %H:%M")


# bandwidth-log: first and last slice end, to the minute, in the zone `timezone` names.
FIRST_LOCAL_SLICE_END = From(
    lambda query: _local_minute(
        query.window.start + query.window.slice_seconds, query.offset_seconds
    )
)
LAST_LOCAL_SLICE_END = From(lambda query: _local_minute(query.window.end, query.offset_seconds))


def _cst_day_ending_in(query: Query) -> int:
    """The end of the one GMT+08:00 day that ends within the (one-day) window."""
    return align_up(query.window.start + 1, DAY, MYVIEW_DEFAULT_OFFSET)


# bandwidth-peak-ranking: the GMT+08:00 day ending within the window (every 24-hour
# window holds exactly one such midnight), as `startdate` and `enddate`.
PEAK_RANKING_DAY = From(lambda query: _day(_cst_day_ending_in(query) - DAY, MYVIEW_DEFAULT_OFFSET))


def _in_window(points: list[Point], query: Query) -> list[Point]:
    return [p for p in points if query.window.start < p.end <= query.window.end]


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowedMyView:
    """A myview answer over whole days: only the slices of the polled window are read,
    so a slice is never published before it settles (or twice by two windows)."""

    myview: MyView
    envelope: str = "myview"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return self.myview.measures

    def source(self, measure: Measure) -> str:
        return self.myview.source(measure)

    def parse(self, payload: Any, query: Query) -> list[Point]:
        return _in_window(self.myview.parse(payload, query), query)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeakRanking:
    """bandwidth-peak-ranking: `provider.date.channelPeak {channel, peakTime, peakValue,
    totalFlow}` per channel over the day asked for, stamped at that day's end. A channel
    not asked for is skipped (another call's, it would be read twice)."""

    measures: tuple[Measure, ...]
    envelope: str = "myview"

    def source(self, measure: Measure) -> str:
        return f"provider.date.channelPeak[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        asked = set(query.domains)
        end = _cst_day_ending_in(query)
        out: list[Point] = []
        for path, provider in one_or_many(payload, "provider", ""):
            for date_path, date in one_or_many(provider, "date", path):
                for item_path, item in one_or_many(date, "channelPeak", date_path):
                    channel = field_of(item, "channel", item_path)
                    if not isinstance(channel, str):
                        raise MalformedResponse(f"{item_path}.channel: expected a string")
                    if channel not in asked:
                        continue
                    for m in self.measures:
                        where = f"{item_path}.{m.field}"
                        value = m.unit.convert(
                            number(field_of(item, m.field, item_path), where), where
                        )
                        out.append(Point(m.family, (channel, *m.labels), end, value))
        return out


def _end(item: Any, path: str, offset: int) -> int:
    value = field_of(item, "time", path)
    try:
        if not isinstance(value, str):
            raise TimestampError(f"expected a string, got {value!r}")
        return parse_end_labelled(value, offset)
    except TimestampError as exc:
        raise MalformedResponse(f"{path}.time: {exc}", Reason.BAD_TIMESTAMP) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class DedicatedLine:
    """bandwidth-HK: `{code, message, data {totalFlow, peakTime, peakValue, detail[] {time,
    text}}}`, the channels asked for summed: one channel a call (`call_label`), only the
    slices of the polled window read (the dates are whole days)."""

    measures: tuple[Measure, ...]
    call_label: bool = True
    # {"code", "message", "data": {..}}: `data` an object, as /cdn/traffic/relay's.
    envelope: str = "code-report"

    def source(self, measure: Measure) -> str:
        return f"data.detail[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        if len(query.domains) != 1:
            raise MalformedResponse(
                f"{query.endpoint} answers carry no channel; the query named {len(query.domains)}"
            )
        data = field_of(payload, "data", ROOT)
        out: list[Point] = []
        for path, item in one_or_many(data, "detail", "data"):
            end = _end(item, path, query.offset_seconds)
            for m in self.measures:
                where = f"{path}.{m.field}"
                value = m.unit.convert(number(field_of(item, m.field, path), where), where)
                out.append(Point(m.family, (query.domains[0], *m.labels), end, value))
        return _in_window(out, query)


_CHANNEL_LEVELS = (Node(key="date"), Node(key="channel", labels=("name",)))

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="bandwidth_channel",
        path="/myview/bandwidth-channel",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        # resultType 1 (the default) merges the channels asked for: one a call.
        max_domains_per_call=1,
        slices=FIVE_MINUTES,
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
            levels=_CHANNEL_LEVELS,
            series="bandwidth",
            measures=(Measure(field="text", family=CHANNEL_BANDWIDTH, unit=MBPS),),
            offset=MYVIEW_DEFAULT_OFFSET,  # no `timezone` in the Python model
        ),
        opt_in=True,  # flow_channel reports the same family: only one may be on
        sdk_model="reportbandwidth.BandwidthChannel",
        description="Edge bandwidth per channel (myview bandwidth-channel).",
    ),
    Endpoint(
        name="bandwidth_middle",
        path="/myview/bandwidth-middle",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=1,  # resultType 1 merges the channels: one a call
        slices=FIVE_MINUTES,
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startdate": FIRST_CST_DAY,
                "enddate": LAST_CST_DAY,
                "channel": CHANNELS,
                "dataformat": "json",
                # Each of hit and miss, of each parent, rather than only their sum.
                "type": "hit;miss",
                "fatherType": "stafu;dynfu",
            },
            dates=False,
        ),
        # `summary` (their sum) and `thirdWs` (undocumented [?]) are not read.
        shape=WindowedMyView(
            myview=MyView(
                levels=_CHANNEL_LEVELS,
                series="bandwidth",
                measures=tuple(
                    Measure(field=key, family=PARENT_BANDWIDTH, unit=MBPS, labels=labels)
                    for key, labels in (
                        ("stafuHit", ("static", "hit")),
                        ("stafuMiss", ("static", "miss")),
                        ("dynfuHit", ("dynamic", "hit")),
                        ("dynfuMiss", ("dynamic", "miss")),
                    )
                ),
                offset=MYVIEW_DEFAULT_OFFSET,
            )
        ),
        opt_in=True,
        sdk_model="reportbandwidth.BandwidthMiddle",
        description="Middle (parent) cache tier bandwidth per channel, hit and miss.",
    ),
    Endpoint(
        name="bandwidth_log",
        path="/myview/bandwidth-log",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=1,  # resultType 1 merges the channels: one a call
        slices=FIVE_MINUTES,
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startdate": FIRST_LOCAL_SLICE_END,
                "enddate": LAST_LOCAL_SLICE_END,
                "timezone": TIMEZONE,
                "channel": CHANNELS,
                "dataformat": "json",
                "timeFromZero": "0",  # times 00:05..24:00: slice ends
            },
            dates=False,
        ),
        shape=MyView(
            levels=_CHANNEL_LEVELS,
            series="bandwidth",
            measures=(Measure(field="text", family=LOG_BANDWIDTH, unit=MBPS),),
        ),
        opt_in=True,
        sdk_model="reportbandwidth.GetBandwidthLog",
        description="Log-based edge bandwidth per channel (myview bandwidth-log).",
    ),
    Endpoint(
        name="bandwidth_peak_ranking",
        path="/myview/bandwidth-peak-ranking",
        method="POST",
        history=HISTORY,
        rate_limit=PER_5MIN_100,
        max_domains_per_call=PEAK_RANKING_CHANNELS,  # each answered by name
        # One GMT+08:00 day a call, asked for once it is over.
        slices=slices(DAY, span=DAY, delay=DAILY_DELAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=Body(
            fields={
                "startdate": PEAK_RANKING_DAY,
                "enddate": PEAK_RANKING_DAY,
                "channel": CHANNELS,
                "dataformat": "json",
                "datatype": "1",  # the total bandwidth (2 http, 3 https)
            },
            dates=False,
        ),
        # `totalFlow` (GB) is not read: flow_day has the channel's daily traffic.
        shape=PeakRanking(
            measures=(Measure(field="peakValue", family=PEAK_RANKING_BANDWIDTH, unit=MBPS),)
        ),
        opt_in=True,
        sdk_model="reportbandwidth.BandwidthPeakRanking",
        description="Daily peak bandwidth per channel (myview bandwidth-peak-ranking).",
    ),
    Endpoint(
        name="p2p_bandwidth",
        path="/myview/BandWidthP2p",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=1,  # one channel object per date: one a call
        slices=FIVE_MINUTES,
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startdate": FIRST_CST_DAY,
                "enddate": LAST_CST_DAY,
                "channel": CHANNELS,
                "dataformat": "json",
                "box": "1",  # box bandwidth too
            },
            dates=False,
        ),
        # `cdn` is the edge bandwidth other reports export and `total` the sum of all
        # three: neither is read, so no sum over `source` counts a part twice.
        shape=WindowedMyView(
            myview=MyView(
                levels=_CHANNEL_LEVELS,
                series="bandwidth",
                measures=(
                    Measure(field="p2p", family=P2P_BANDWIDTH, unit=MBPS, labels=("p2p",)),
                    Measure(field="box", family=P2P_BANDWIDTH, unit=MBPS, labels=("box",)),
                ),
                offset=MYVIEW_DEFAULT_OFFSET,
            )
        ),
        opt_in=True,
        sdk_model="reportbandwidth.QueryP2PBandwidth",
        description="P2P and box bandwidth offloaded per channel (myview BandWidthP2p).",
    ),
    Endpoint(
        name="dedicated_line_bandwidth",
        path="/myview/bandwidth-HK",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=1,  # "returns the sum of the channels": one a call
        slices=FIVE_MINUTES,
        fan_out=FanOut.PER_DOMAIN,
        build_body=Body(
            fields={
                "startDate": FIRST_LOCAL_DAY,
                "endDate": LAST_LOCAL_DAY,
                "channel": CHANNELS,
                "timezone": TIMEZONE,
                # The peak and total the Python model requires ("not selected will not
                # be showed"); the exporter reads the series only.
                "optionalFields": "flowInfo",
            },
            dates=False,
        ),
        shape=DedicatedLine(
            measures=(Measure(field="text", family=DEDICATED_LINE_BANDWIDTH, unit=MBPS),)
        ),
        opt_in=True,
        sdk_model="reportbandwidth.QueryCPSBandwidth",
        description="Dedicated-line bandwidth per channel (myview bandwidth-HK).",
    ),
)
