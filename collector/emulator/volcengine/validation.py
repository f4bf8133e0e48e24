"""Volcengine request validation: the documented checks, turned into a validated call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from collector.emulator.core import CallResult, EmulatedAccount, Emulator, Reject
from collector.emulator.traffic import PROVINCES
from collector.emulator.volcengine.facts import CST, HISTORY, ISPS, PROTOCOLS, ApiFacts
from collector.timeslices import (
    TimestampError,
    align_down,
    format_request_time,
    parse_rfc3339,
)

# The data delay the emulator's own visible_after/final_after stand for: an API with a
# longer documented delay shifts its slices by the difference (Record: 7 h - 15 min).
USUAL_DELAY = 15 * 60
# Our choice: the traffic model's countries grouped into areas; provinces are China's only.
AREAS: Mapping[str, tuple[str, ...]] = {
    "CN": ("cn",),
    "AP": ("hk", "sg"),
    "EU": ("de",),
    "NA": ("us",),
}


def bad(message: str, code: str = "InvalidParameter") -> Reject:
    return Reject(400, code, message, CallResult.BAD_REQUEST)


@dataclass(frozen=True)
class Call:
    """A validated request: what it asks for and which of its buckets are visible."""

    emulator: Emulator
    account: EmulatedAccount
    body: Mapping[str, Any]
    start: int
    end: int
    aggregation: int
    buckets: tuple[tuple[int, float], ...]  # visible (bucket start, revision factor)
    domains: tuple[str, ...]
    isps: tuple[str, ...] | None  # None: no ISPList filter
    protocols: tuple[str, ...] | None
    cells: tuple[Mapping[str, str], ...]  # region cells of the traffic model; ({},): all
    detail: tuple[str, ...]  # DetailField dimensions that split (two or more values)

    @property
    def model_account(self) -> str:
        return self.account.name

    def stamp(self, bucket_start: int) -> str:
        return format_request_time(bucket_start, CST)


def string_list(body: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad(f"{key} must be a list of non-empty strings")
    return tuple(value)


def _time(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if value is None:
        raise bad(f"{key} is required", "MissingParameter")
    try:
        return parse_rfc3339(value)
    except TimestampError:
        raise bad(f"{key} must be RFC 3339 with an offset, got {value!r}") from None


def _cells(body: Mapping[str, Any]) -> tuple[Mapping[str, str], ...]:
    """RegionList or UserRegionList as traffic-model cells; ({},) when neither is given."""
    regions, users = body.get("RegionList"), body.get("UserRegionList")
    if regions and users:
        raise bad("RegionList and UserRegionList cannot be used together")
    entries = regions or users
    if not entries:
        return ({},)
    if not isinstance(entries, list):
        raise bad("RegionList must be a list of {Area, Country, Province}")
    cells: list[Mapping[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("Area") not in AREAS:
            raise bad(f"unknown region {entry!r}; see DescribeLiveRegionData")
        countries = AREAS[entry["Area"]]
        country = entry.get("Country")
        province = entry.get("Province")
        if province and not country:
            raise bad("filtering by Province needs Area and Country")
        if country:
            if str(country).lower() not in countries:
                raise bad(f"unknown country {country!r} in area {entry['Area']}")
            countries = (str(country).lower(),)
        if province:
            if countries != ("cn",) or province not in PROVINCES:
                raise bad(f"unknown province {province!r} (China only)")
            cells.append({"country": "cn", "province": str(province)})
        else:
            cells.extend({"country": c} for c in countries)
    return tuple(cells)


def _visible(
    emulator: Emulator, api: ApiFacts, start: int, end: int, aggregation: int
) -> tuple[tuple[int, float], ...]:
    """Buckets starting in [start, end), aligned to +08:00, that the data delay shows."""
    now = emulator.clock.time()
    if not api.aggregations:  # one bucket: the whole range, once the delay has passed
        if end > now:
            return ()
        factor = emulator.revision_factor(end + api.data_delay - USUAL_DELAY)
        return () if factor is None else ((start, factor),)
    shift = api.aggregations[aggregation].data_delay - USUAL_DELAY
    out = []
    first = align_down(start, aggregation, CST)
    for bucket in range(first, end, aggregation):
        bucket_end = bucket + aggregation
        if bucket_end > now:
            break
        factor = emulator.revision_factor(bucket_end + shift)
        if factor is not None:
            out.append((bucket, factor))
    return tuple(out)


def validate(api: ApiFacts, emulator: Emulator, account: EmulatedAccount, raw: bytes) -> Call:
    """Check a request body against the Action's documented rules."""
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise bad("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    now = emulator.clock.time()
    start, end = _time(body, "StartTime"), _time(body, "EndTime")
    if end <= start:
        raise bad("EndTime must be after StartTime")
    allowed = api.aggregations
    if not allowed:  # no series: the range is one bucket
        aggregation = end - start
        if "Aggregation" in body:
            raise bad(f"{api.action} takes no Aggregation")
        if end - start > api.max_span:
            raise bad(f"the time span exceeds the limit of {api.max_span // 3600} hours")
    else:
        aggregation = body.get("Aggregation", api.default_aggregation)
        if type(aggregation) is not int or aggregation not in allowed:
            raise bad(f"Aggregation must be one of {sorted(allowed)}")
        if end - start > allowed[aggregation].max_span:
            raise bad(f"the time span exceeds the limit for Aggregation {aggregation}")
    if start < now - HISTORY:
        raise bad("StartTime is more than 366 days ago")
    # [I] Whether the service rejects fields an API does not take is unknown; rejecting
    # them here catches an exporter that sends a filter to the wrong API.
    unknown = {k for k in body if k not in api.takes | _COMMON}
    if unknown:
        raise bad(f"{api.action} does not take {sorted(unknown)}")

    for key, accepted in api.choices.items():
        if key in body and body[key] not in accepted:
            raise bad(f"{key} must be one of {sorted(accepted)}")
    domains = string_list(body, "DomainList") or ()
    single = body.get("Domain")
    if single is not None:
        if domains:
            raise bad("DomainList and Domain are mutually exclusive")
        if not isinstance(single, str) or not single:
            raise bad("Domain must be a non-empty string")
        domains = (single,)
    foreign = [d for d in domains if d not in account.domains]
    if foreign:
        raise bad(f"DomainList has domains not in this account: {foreign}")
    isps = string_list(body, "ISPList")
    if isps is not None and not set(isps) <= set(ISPS):
        raise bad(f"ISPList has unknown ISPs; see DescribeLiveISPData: {isps}")
    protocols = string_list(body, "ProtocolList")
    if protocols is not None:
        if not set(protocols) <= set(PROTOCOLS):
            raise bad(f"ProtocolList accepts {list(PROTOCOLS)}")
        if "QUIC" in protocols and len(protocols) > 1:
            raise bad("QUIC cannot be combined with other protocols")
    fields = string_list(body, "DetailField") or ()
    if not set(fields) <= api.detail_fields:
        raise bad(f"DetailField accepts {sorted(api.detail_fields)}")
    split_span = api.split_spans.get(aggregation)
    if split_span is not None and len(fields) >= 2 and end - start > split_span:
        raise bad(
            f"the time span exceeds the limit for Aggregation {aggregation} "
            "with two or more DetailField dimensions"
        )
    lists = {
        "Domain": domains,
        "ISP": isps or (),
        "Protocol": protocols or (),
        "Group": string_list(body, "GroupList") or (),
    }
    return Call(
        emulator=emulator,
        account=account,
        body=body,
        start=start,
        end=end,
        aggregation=aggregation,
        buckets=_visible(emulator, api, start, end, aggregation),
        domains=domains or account.domains,
        isps=isps,
        protocols=protocols,
        cells=_cells(body),
        # A split comes back only when its filter list has two or more values.
        detail=tuple(f for f in fields if len(lists[f]) >= 2),
    )


_COMMON = frozenset({"StartTime", "EndTime", "Aggregation"})
