"""The emulated `myview` bandwidth reports of `reportbandwidth`: facts and answers.

Written from the references (cdnetworks-brand-api.md §8, §10; wangsu-health-billing-api.md
§7) and the SDK models (Python `wangsu.reportbandwidth.models`, Go
`cdnetworks/reportbandwidth/models.go`). Both brands list these routes on the same paths.
The myview form fields (`startdate`/`enddate`, `channel`, `dataformat` xml by default,
`isExactMatch`, `timezone` where the model has it) are checked by the common myview
validation; each shape here reads its route's own fields (`resultType`, `type`,
`fatherType`, `datatype`, `box`, `isLog`, `flowUnit`, `timeFromZero`, `lineType`,
`optionalFields`) in `bind` and refuses a value the model does not list with 24102001.
The series are our model's ([?] the data is ours): the parent tier carries the edge's
misses, the log bandwidth and the P2P, box and dedicated-line parts are stable shares
(`unit_hash`) of the edge bandwidth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from collector.emulator.traffic import Member, Quantity, decimal, unit_hash
from collector.emulator.wangsu.facts import (
    DAY,
    INVALID_PARAMETER,
    MINUTE,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import MB, MBPS, Level, RouteBody, Shape
from collector.emulator.wangsu.validation import Call, bad, legacy_label
from collector.model import RateLimit
from collector.timeslices import format_local

# -- facts ----------------------------------------------------------------------------

# [I] No published limit: CDNetworks' API overview recommends at most 30 calls per 5
# minutes to a single API (cdnetworks-brand-api.md §10).
ASSUMED_30 = RateLimit(calls=30, period=300)
# bandwidth-peak-ranking: "100/5min, ≤2000 channels" (documents.cdnetworks.com).
PER_5MIN_100 = RateLimit(calls=100, period=300)
# [I] Undocumented: the channel cap and span of the other routes, as Flowchannel's.
CHANNELS = 20
MONTH = 31 * DAY


def _route(name: str, path: str, source: str, **facts: Any) -> RouteFacts:
    defaults: dict[str, Any] = {
        "rate_limit": ASSUMED_30,  # [I]
        "max_span": DAY,  # [I]
        "max_domains": CHANNELS,  # [I]
        "intervals": (5 * MINUTE,),  # [I] the models name no granularity
        "interval_param": False,
        "envelope": Envelope.MYVIEW,
        "params": "myview",
        "domain_key": "channel",
    }
    return RouteFacts(name=name, path=path, method="POST", source=source, **(defaults | facts))


ROUTES: tuple[RouteFacts, ...] = (
    # startdate/enddate `yyyy-mm-dd hh:MM` (first and last slice end); no `timezone`
    # in the Python model: GMT+08:00.
    _route("bandwidth_channel", "/myview/bandwidth-channel", "§8; models.py BandwidthChannel*"),
    # startdate/enddate `yyyy-mm-dd` only: whole days.
    _route(
        "bandwidth_middle",
        "/myview/bandwidth-middle",
        "§8; models.py BandwidthMiddle*",
        max_span=MONTH,  # [I]
        day_dates=True,
    ),
    _route("bandwidth_log", "/myview/bandwidth-log", "§8; models.py GetBandwidthLog*"),
    _route(
        "bandwidth_peak_ranking",
        "/myview/bandwidth-peak-ranking",
        "§8, §10; models.py BandwidthPeakRanking*",
        rate_limit=PER_5MIN_100,
        max_domains=2000,
        intervals=(DAY,),  # whole days: one peak per channel over them
    ),
    _route(
        "p2p_bandwidth",
        "/myview/BandWidthP2p",
        "§8; models.py QueryP2PBandwidth*",
        max_span=MONTH,  # [I]
        day_dates=True,
    ),
    # startDate/endDate (camel case) `yyyy-mm-dd`, `timezone`; no `dataformat`: JSON
    # `{code, message, data {..}}`, `data` one object.
    _route(
        "dedicated_line_bandwidth",
        "/myview/bandwidth-HK",
        "§8; models.py QueryCPSBandwidth*",
        max_span=MONTH,  # [I]
        day_dates=True,
        envelope=Envelope.CODE_REPORT,
    ),
)

# -- request fields -------------------------------------------------------------------


def _choice(payload: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = payload.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in allowed:
        raise bad(INVALID_PARAMETER, f"{key} accepts {', '.join(allowed)}.")
    return value


def _choices(
    payload: Mapping[str, Any], key: str, allowed: tuple[str, ...]
) -> tuple[str, ...] | None:
    """A `;`-separated field: the values asked for, or None if absent."""
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad(INVALID_PARAMETER, f"{key} must be a ;-separated string.")
    asked = tuple(dict.fromkeys(v.strip() for v in value.split(";") if v.strip()))
    if not asked or any(v not in allowed for v in asked):
        raise bad(INVALID_PARAMETER, f"{key} accepts {', '.join(allowed)}.")
    return asked


def _flow_info(payload: Mapping[str, Any]) -> bool:
    return _choice(payload, "optionalFields", ("flowInfo",), "") == "flowInfo"


# -- model shares ([?] ours) ----------------------------------------------------------


def _share(account: str, domain: str, what: str, low: float, high: float) -> float:
    return low + (high - low) * unit_hash(account, domain, what)


def _days(call: Call) -> tuple[str, str]:
    """The first and last local day the call's slices cover (today without a slice)."""
    if not call.slices:
        today = format_local(int(call.emulator.clock.time()), call.offset, "%Y-%m-%d")
        return today, today
    first = format_local(call.slices[0][0] - 1, call.offset, "%Y-%m-%d")
    return first, format_local(call.slices[-1][0] - 1, call.offset, "%Y-%m-%d")


def _bandwidth(call: Call, domain: str) -> list[tuple[int, float]]:
    """The domain's observed edge bandwidth (Mbps) per visible slice."""
    rows = call.rows([(domain, {})], [Quantity.BANDWIDTH])
    return [(end, values[Quantity.BANDWIDTH]) for end, values in rows]


def _one_or_list(items: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    # The SDK's JSON models nest one object where the XML repeats elements.
    return items[0] if len(items) == 1 else items


def _provider(
    call: Call, kind: str, date: dict[str, Any], result_type: str | None
) -> list[dict[str, Any]]:
    provider: dict[str, Any] = {"name": call.account.name, "type": kind}
    if result_type is not None:
        provider["resultType"] = result_type
    return [{"provider": provider | {"date": date}}]


# -- bandwidth-channel and bandwidth-log: channel {name, bandwidth[] {time, text}} -----


def log_share(account: str, domain: str) -> float:
    """Log-based over sampled edge bandwidth: within a few percent ([?] ours)."""
    return _share(account, domain, "log bandwidth", 0.97, 1.03)


_FLOW_UNITS = {"Mbps": 1.0, "bps": 1e6}


@dataclass(frozen=True)
class _ChannelBandwidthShape(RouteBody):
    """provider {name, type, resultType, date {startdate, enddate, channel {name,
    bandwidth[] {time, text}}}}. `resultType` 1 (default) one channel, the channels
    asked for summed and named `;`-joined; 2 one per channel; 3 both. bandwidth-channel
    `optionalFields=flowInfo` adds the date's peakValue/peakTime/totalFlow (GB) and
    `needFlow=1` each channel's flow[] {time, text (MB)} (Go model); bandwidth-log reads
    `flowUnit` (Mbps default, bps) and `timeFromZero` (0 slice ends, 1 slice starts)."""

    kind: str = "bandwidth-channel"
    log: bool = False
    result_type: str = "1"
    flow_info: bool = False
    need_flow: bool = False
    unit: str = "Mbps"
    from_zero: bool = False

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        options: dict[str, Any] = {
            "result_type": _choice(payload, "resultType", ("1", "2", "3"), "1")
        }
        if self.log:
            options["unit"] = _choice(payload, "flowUnit", tuple(_FLOW_UNITS), "Mbps")
            options["from_zero"] = _choice(payload, "timeFromZero", ("0", "1"), "0") == "1"
        else:
            options["flow_info"] = _flow_info(payload)
            options["need_flow"] = _choice(payload, "needFlow", ("0", "1"), "0") == "1"
        return payload, replace(self, **options)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        account = call.account.name
        domains = call.selected["domain"]
        per_domain = {
            d: [
                (end, value * (log_share(account, d) if self.log else 1.0))
                for end, value in _bandwidth(call, d)
            ]
            for d in domains
        }
        groups: list[tuple[str, tuple[str, ...]]] = []
        if self.result_type in ("1", "3"):
            groups.append((";".join(domains), domains))
        if self.result_type in ("2", "3"):
            groups += [(d, (d,)) for d in domains]
        summed = {
            name: [
                (end, sum(per_domain[d][i][1] for d in members))
                for i, (end, _) in enumerate(per_domain[domains[0]])
            ]
            for name, members in groups
        }
        channels = [self._channel(call, name, series) for name, series in summed.items()]
        first, last = _days(call)
        date: dict[str, Any] = {"startdate": first, "enddate": last}
        if self.flow_info:
            merged = summed[groups[0][0]]
            end, peak = max(merged, key=lambda row: row[1], default=(0, 0.0))
            date |= {
                "peakValue": decimal(peak, MBPS),
                "peakTime": call.label(end) if merged else "",
                "totalFlow": decimal(sum(v for _, v in merged) * call.slice_seconds / 8 / 1000, MB),
            }
        date["channel"] = _one_or_list(channels)
        return _provider(call, self.kind, date, self.result_type)

    def _channel(self, call: Call, name: str, series: list[tuple[int, float]]) -> dict[str, Any]:
        factor = _FLOW_UNITS[self.unit]
        channel: dict[str, Any] = {
            "name": name,
            "bandwidth": [
                {
                    "time": legacy_label(
                        end - call.slice_seconds if self.from_zero else end,
                        call.offset,
                        call.slice_seconds,
                    ),
                    "text": decimal(value * factor, MBPS),
                }
                for end, value in series
            ],
        }
        if self.need_flow:
            channel["flow"] = [
                {
                    "time": legacy_label(end, call.offset, call.slice_seconds),
                    "text": decimal(value * call.slice_seconds / 8, MB),
                }
                for end, value in series
            ]
        return channel


# -- bandwidth-middle: bandwidth[] {time, summary, stafuHit, ..., thirdWs} --------------


def parent_shares(account: str, domain: str) -> dict[str, float]:
    """The parent tier's bandwidth by field, as shares of the edge's origin (miss)
    bandwidth: static and dynamic parents, each answering hits and misses ([?] ours)."""
    static = _share(account, domain, "static parent", 0.5, 0.9)
    hit = _share(account, domain, "parent hit", 0.4, 0.8)
    return {
        "stafuHit": static * hit,
        "stafuMiss": static * (1.0 - hit),
        "dynfuHit": 0.0,  # dynamic content is not cached
        "dynfuMiss": 1.0 - static,
    }


_PARENT_FIELDS = ("stafuHit", "stafuMiss", "dynfuHit", "dynfuMiss")


@dataclass(frozen=True)
class _MiddleShape(RouteBody):
    """provider {name, type, resultType, date {startdate, enddate, channel {name,
    bandwidth[] {time, summary, stafuHit, dynfuHit, stafuMiss, dynfuMiss, thirdWs}}}}.
    `type` (hit;miss) and `fatherType` (stafu;dynfu;all) pick what `summary` sums; every
    field is printed (the model requires them). [?] `thirdWs` is undocumented: 0."""

    picked: tuple[str, ...] = _PARENT_FIELDS
    result_type: str = "1"

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        kinds = _choices(payload, "type", ("hit", "miss")) or ("hit", "miss")
        parents = _choices(payload, "fatherType", ("stafu", "dynfu", "all")) or ("all",)
        if "all" in parents:
            parents = ("stafu", "dynfu")
        picked = tuple(f"{p}{k.capitalize()}" for p in parents for k in kinds)
        result_type = _choice(payload, "resultType", ("1", "2", "3"), "1")
        return payload, replace(self, picked=picked, result_type=result_type)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        account = call.account.name
        domains = call.selected["domain"]
        groups: list[tuple[str, tuple[str, ...]]] = []
        if self.result_type in ("1", "3"):
            groups.append((";".join(domains), domains))
        if self.result_type in ("2", "3"):
            groups += [(d, (d,)) for d in domains]
        origin = {d: call.rows([(d, {})], [Quantity.ORIGIN_BANDWIDTH]) for d in domains}
        channels = []
        for name, members in groups:
            series = []
            for i, (end, _) in enumerate(origin[domains[0]]):
                fields = dict.fromkeys(_PARENT_FIELDS, 0.0)
                for d in members:
                    value = origin[d][i][1][Quantity.ORIGIN_BANDWIDTH]
                    for key, share in parent_shares(account, d).items():
                        fields[key] += value * share
                series.append(
                    {
                        "time": legacy_label(end, call.offset, call.slice_seconds),
                        "summary": decimal(sum(fields[k] for k in self.picked), MBPS),
                        **{key: decimal(value, MBPS) for key, value in fields.items()},
                        "thirdWs": decimal(0.0, MBPS),
                    }
                )
            channels.append({"name": name, "bandwidth": series})
        first, last = _days(call)
        date = {"startdate": first, "enddate": last, "channel": _one_or_list(channels)}
        return _provider(call, "bandwidth-middle", date, self.result_type)


# -- bandwidth-peak-ranking: channelPeak[] {channel, peakTime, peakValue, totalFlow} ----


def https_share(account: str, domain: str) -> float:
    """The part of a channel's bandwidth served over HTTPS ([?] ours)."""
    return _share(account, domain, "https bandwidth", 0.5, 0.9)


@dataclass(frozen=True)
class _PeakRankingShape(RouteBody):
    """provider {name, type, date {startdate, enddate, channelPeak[] {channel, peakTime,
    peakValue (Mbps), totalFlow (GB)}}}: each channel's peak 5-minute bandwidth over the
    days asked for, highest first. `datatype` 1 total, 2 http, 3 https ("when 2 or 3,
    isp is not supported")."""

    datatype: str = "1"

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        datatype = _choice(payload, "datatype", ("1", "2", "3"), "1")
        if datatype != "1" and payload.get("isp"):
            raise bad(INVALID_PARAMETER, "isp is not supported with datatype 2 or 3.")
        return payload, replace(self, datatype=datatype)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        traffic = call.emulator.traffic
        account = call.account.name
        peaks = []
        for domain in call.selected["domain"]:
            https = https_share(account, domain)
            share = {"1": 1.0, "2": 1.0 - https, "3": https}[self.datatype]
            member: list[Member] = [(domain, {})]
            best, at, flow = 0.0, 0, 0.0
            for end, factor in call.slices:
                flow += factor * traffic.aggregate(account, member, Quantity.FLOW, end - DAY, DAY)
                for t in range(end - DAY, end, 300):
                    value = factor * traffic.aggregate(account, member, Quantity.BANDWIDTH, t, 300)
                    if value > best:
                        best, at = value, t + 300
            peaks.append(
                {
                    "channel": domain,
                    "peakTime": format_local(at, call.offset, "%Y-%m-%d %H:%M") if at else "",
                    "peakValue": decimal(best * share, MBPS),
                    "totalFlow": decimal(flow * share / 1000, MB),  # GB
                }
            )
        peaks.sort(key=lambda item: -float(item["peakValue"]))
        first, last = _days(call)
        date = {"startdate": first, "enddate": last, "channelPeak": _one_or_list(peaks)}
        return _provider(call, "bandwidth-peak-ranking", date, None)


# -- BandWidthP2p: bandwidth[] {time, p2p, cdn, box, total} ---------------------------


def p2p_shares(account: str, domain: str) -> tuple[float, float]:
    """P2P and box bandwidth as shares of the CDN's own ([?] ours)."""
    return (
        _share(account, domain, "p2p bandwidth", 0.1, 0.6),
        _share(account, domain, "box bandwidth", 0.0, 0.2),
    )


@dataclass(frozen=True)
class _P2pShape(RouteBody):
    """provider {name, type, date {startdate, enddate, channel {name, bandwidth[] {time
    (`yyyy-MM-dd hh:mm:ss`), p2p, cdn, box, total}}}}, Mbps, the channels asked for
    summed. `isLog=1` reads the log bandwidth as `cdn`; `box=1` adds box bandwidth to
    `total` ([?] with box=0 `box` reads 0: the model requires it)."""

    is_log: bool = False
    box: bool = False

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        is_log = _choice(payload, "isLog", ("0", "1"), "0") == "1"
        box = _choice(payload, "box", ("0", "1"), "0") == "1"
        _choice(payload, "flow", ("0", "1"), "0")  # flow details: not modelled [?]
        return payload, replace(self, is_log=is_log, box=box)

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        account = call.account.name
        domains = call.selected["domain"]
        rows: dict[int, list[float]] = {}
        for domain in domains:
            p2p, box = p2p_shares(account, domain)
            log = log_share(account, domain) if self.is_log else 1.0
            for end, value in _bandwidth(call, domain):
                sums = rows.setdefault(end, [0.0, 0.0, 0.0])
                sums[0] += value * p2p
                sums[1] += value * log
                sums[2] += value * box if self.box else 0.0
        series = [
            {
                "time": legacy_label(end, call.offset, call.slice_seconds) + ":00",
                "p2p": decimal(p2p, MBPS),
                "cdn": decimal(cdn, MBPS),
                "box": decimal(box, MBPS),
                "total": decimal(p2p + cdn + box, MBPS),
            }
            for end, (p2p, cdn, box) in rows.items()
        ]
        first, last = _days(call)
        channel = {"name": ";".join(domains), "bandwidth": series}
        date = {"startdate": first, "enddate": last, "channel": channel}
        return _provider(call, "BandWidthP2p", date, None)


# -- bandwidth-HK: {code, message, data {totalFlow, peakTime, peakValue, detail[]}} -----


def dedicated_share(account: str, domain: str) -> float:
    """The part of a channel's bandwidth over the dedicated line ([?] ours)."""
    return _share(account, domain, "dedicated line", 0.05, 0.3)


_LINE_TYPES = ("hk", "jp", "eu", "all")  # "eu" and "all": "not applicable to CDNW"


@dataclass(frozen=True)
class _DedicatedLineShape(RouteBody):
    """data {totalFlow (GB), peakTime, peakValue (Mbps), detail[] {time, text (Mbps)}}:
    the channels asked for summed, over the days `startDate`/`endDate` (camel case, the
    model's spelling) name. The peak and total are shown with `optionalFields=flowInfo`
    only ("not selected will not be showed"). `lineType` hk;jp;eu;all. No `dataformat`:
    JSON."""

    flow_info: bool = False

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        for lower, camel in (("startdate", "startDate"), ("enddate", "endDate")):
            if lower in payload:
                raise bad(INVALID_PARAMETER, f"{lower} is spelled {camel} here.")
        _choices(payload, "lineType", _LINE_TYPES)
        common = {k: v for k, v in payload.items() if k not in ("startDate", "endDate")}
        common |= {"dataformat": "json"}
        for camel, lower in (("startDate", "startdate"), ("endDate", "enddate")):
            if camel in payload:
                common[lower] = payload[camel]
        return common, replace(self, flow_info=_flow_info(payload))

    def build(
        self,
        call: Call,
        omit: frozenset[str] = frozenset(),
        levels: tuple[Level, ...] | None = None,
        picked: Mapping[str, tuple[str, ...]] | None = None,
    ) -> list[dict[str, Any]]:
        account = call.account.name
        sums: dict[int, float] = {}
        for domain in call.selected["domain"]:
            share = dedicated_share(account, domain)
            for end, value in _bandwidth(call, domain):
                sums[end] = sums.get(end, 0.0) + value * share
        detail = [
            {"time": legacy_label(end, call.offset, call.slice_seconds), "text": decimal(v, MBPS)}
            for end, v in sums.items()
        ]
        data: dict[str, Any] = {}
        if self.flow_info:
            end, peak = max(sums.items(), key=lambda row: row[1], default=(0, 0.0))
            data = {
                "totalFlow": decimal(sum(sums.values()) * call.slice_seconds / 8 / 1000, MB),
                "peakTime": call.label(end) if sums else "",
                "peakValue": decimal(peak, MBPS),
            }
        return [data | {"detail": detail}]


_NO_LEVELS: tuple[Level, ...] = ()

SHAPES: Mapping[str, Shape] = {
    "bandwidth_channel": _ChannelBandwidthShape(levels=_NO_LEVELS, series="bandwidth", columns=()),
    "bandwidth_log": _ChannelBandwidthShape(
        levels=_NO_LEVELS, series="bandwidth", columns=(), kind="bandwidth-log", log=True
    ),
    "bandwidth_middle": _MiddleShape(levels=_NO_LEVELS, series="bandwidth", columns=()),
    "bandwidth_peak_ranking": _PeakRankingShape(
        levels=_NO_LEVELS, series="channelPeak", columns=()
    ),
    "p2p_bandwidth": _P2pShape(levels=_NO_LEVELS, series="bandwidth", columns=()),
    "dedicated_line_bandwidth": _DedicatedLineShape(levels=_NO_LEVELS, series="detail", columns=()),
}
