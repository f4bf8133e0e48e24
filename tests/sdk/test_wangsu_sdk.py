"""The official Wangsu SDK (`wangsu-sdk-python`) against the emulator, for every endpoint
of the exporter's Wangsu/CDNetworks catalog, for both demo accounts (Wangsu, CDNetworks).

Each request body is the exporter's own (`Endpoint.build_body`), read into the SDK's
Request model and sent as `json.dumps(request.to_map())`, signed and sent by
`AkSkAuth.invoke` (the SDK README's entry point) over loopback HTTP. The emulator must
accept it (HTTP 200, success envelope, data in it), and its answer must survive the
SDK's Response model losslessly: `Response().from_map(answer).to_map() == answer`, with
every value of the JSON type the model annotates (all `str` in these models) and the
model's own `validate()` (its required fields) passing. That holds at every granularity
the catalog offers, and for an answer without data (a window too young to show).

Known emulator mismatch (left failing on purpose, for the emulator's owner): for a
window without visible slices the emulator answers JSON null for summary fields the SDK
types as required `str`: edge_hit_ratio `result[].realDate`; flow_request
`result[].peakTime` and `peakRequestTime`; flow_request_origin
`result[].peakBandwidthTime` and `peakRequestTime`. `from_map` drops the nulls (the
round trip loses the keys) and `validate()` rejects the answer.

Which SDK model is which endpoint: the SDK ships no paths in its models; the mapping
below is the SDK README's ActionName -> uri table (reportflow README, reference seed
000) and, for country-bandwidth, the reportbandwidth product's
ReportCountryServerBandwidthService (reference seed 003, §6.8).

Documented differences, named here and nowhere else:

- country_bandwidth envelope. The reference (§6.8) and the CDNetworks page's example
  answer (seed 003) give style B, `{"code": "0", "message": "success", "data": [...]}`;
  the SDK's `ReportCountryServerBandwidthServiceResponse` is `{domain, countryData}`,
  i.e. one item of `data[]`: the SDK has no model of the envelope. We follow the
  reference (the emulator answers style B, the exporter parses style B); the test
  round-trips every `data[]` item through the SDK model and checks `code`/`message`
  itself (`ENVELOPE_OUTSIDE_MODEL`).
- Style A (`{"result": [...]}`) answers carry no success code; whether real answers add
  `code`/`message` beside `result` is unknown (reference §5.7 [?]). Success there is HTTP
  200 with a `result` list; a `code`, if present, would have to be "0".
- stream_detail onlineUser. The SDK's Response model requires `online_user` in every
  `detailList[]` point, but its Request model's `isReturnOnline` doc returns it only when
  asked ("true") at `dataInterval` 1m, never by default. stream_detail (traffic) does not
  ask, so its answers lack it and `validate()` names it (`ASKED_FOR_ONLY`); the
  online-users declarations on the same path ask, and their answers validate.
- Auth failures: the real status and code are unpublished (reference §3.5 [?]); the test
  requires HTTP 401 or 403, an error body with a `code`, and that the emulator counted an
  auth failure (`CallResult.AUTH_FAILURE`), not a success.
"""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from collector.clock import FakeClock
from collector.emulator import CallResult, EmulatedAccount, Emulator
from collector.providers.endpoint import Endpoint, Query
from collector.providers.listing import endpoint_rows
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import DAY, HOUR, Window, align_down

from .conftest import CST, NOW, WangsuReply, WangsuSdk
from .sdkmodels import differences, round_trip, type_mismatches

ACCOUNTS = ("demo-wangsu", "demo-cdnetworks")


@dataclass(frozen=True)
class SdkApi:
    """The SDK's models for one endpoint: `wangsu.<package>.models.<action>{Request,Response}`."""

    package: str
    action: str

    def model(self, suffix: str) -> type[Any]:
        module = importlib.import_module(f"wangsu.{self.package}.models")
        cls: type[Any] = getattr(module, self.action + suffix)
        return cls


SDK_APIS: dict[str, SdkApi] = {
    name: SdkApi(*spec.sdk_model.split(".")) for name, spec in CATALOG.items()
}

# Endpoints whose SDK Response model is one item of the envelope list: the envelope
# keys around it, and the list they hold the items in.
ENVELOPE_OUTSIDE_MODEL: dict[str, tuple[tuple[str, ...], str]] = {
    "country_bandwidth": (("code", "message"), "data"),
}
# Where the emulator prints a type other than the SDK annotation, by choice: the field
# paths it applies to, and why.
TYPE_CHOICES: dict[str, tuple[str, ...]] = {
    # The SDK annotates totalAvg as int, but it is an average ratio (reference §6.11:
    # fractions 0 to 1, "4 decimal places" like edge-hit-ratio's totalAvg): a 4-decimal
    # string, which the SDK model still round-trips losslessly.
    "bandwidth_saving_ratio": ("data[0].totalAvg:",),
}
# Fields the SDK's validate() requires that the route returns only when the request asks
# (see the module doc): the endpoints that do not ask, and the validate() message.
ASKED_FOR_ONLY: dict[str, str] = {"stream_detail": '"online_user" is required.'}
# Legacy envelopes (reference §5.7 style C, §6.12 myview): the key holding the data.
# The certificate list (health reference §6) is a bare `{"ssl-certificates": [...]}`;
# bandwidth-HK's `{code, message, data {..}}` holds one object.
LEGACY_ENVELOPES = {
    "flow-data": "flow-data",
    "myview": "provider",
    "ssl-certificates": "ssl-certificates",
    "code-report": "data",
}
# Where the SDK models one object but the answer lists several (the myview models nest
# a single object where the XML repeats elements; health reference §7 "expect a list"):
# the path to the list. Each item is checked in the model's place, one at a time.
ONE_OBJECT_IN_MODEL: dict[str, tuple[str, ...]] = {
    "bandwidth_peak_ranking": ("provider", "date", "channelPeak"),  # up to 2000 channels
    "dedicated_line_bandwidth": ("data", "detail"),  # a time series
}
SUCCESS = {"code": "0", "message": "success"}  # style B success (reference §5.7, seed 003)

ENDPOINTS = sorted(CATALOG)
GRANULARITIES = [(name, g.seconds) for name in ENDPOINTS for g in CATALOG[name].slices]


def query_for(
    spec: Endpoint,
    account: EmulatedAccount,
    now: float = NOW,
    seconds: int | None = None,
    *,
    fresh: bool = False,
) -> Query:
    """One call's worth at `seconds` (default: the endpoint's default granularity), as
    many domains as allowed: the hour that ended an hour before `now` (settled, so every
    slice is in the answer), or with `fresh` the one slice ending at `now` (too young
    for the emulator to show: an answer without data)."""
    seconds = seconds or spec.slices[0].seconds
    if seconds >= DAY and not fresh:
        # Whole local days: yesterday, over and settled.
        end = align_down(now, DAY, CST)
        window = Window(end - DAY, end, seconds)
    elif fresh:
        window = Window(int(now) - seconds, int(now), seconds)
    else:
        end = align_down(now, HOUR) - HOUR
        window = Window(end - min(HOUR, spec.granularity(seconds).max_span), end, seconds)
    domains = account.domains[: spec.max_domains_per_call]
    return Query(spec.name, tuple(domains), window, CST)


def sdk_body(endpoint: str, query: Query) -> str:
    """The exporter's body, as the SDK's Request model serialises it (README usage)."""
    spec = CATALOG[endpoint]
    request = SDK_APIS[endpoint].model("Request")().from_map(spec.build_body(query))
    return json.dumps(request.to_map())


async def call(
    wangsu: WangsuSdk,
    emulator: Emulator,
    endpoint: str,
    account_name: str,
    seconds: int | None = None,
    *,
    fresh: bool = False,
) -> tuple[Query, WangsuReply]:
    account = emulator.account(account_name)
    spec = CATALOG[endpoint]
    query = query_for(spec, account, seconds=seconds, fresh=fresh)
    reply = await wangsu.call(
        sdk_path(endpoint, query), sdk_body(endpoint, query), account, method=spec.method
    )
    return query, reply


def sdk_path(endpoint: str, query: Query) -> str:
    """The path, with the exporter's query-string parameters (legacy reports) as the SDK's
    `...Parameters` model serialises them, percent-encoded."""
    spec = CATALOG[endpoint]
    if spec.build_query is None:
        return spec.path
    params = SDK_APIS[endpoint].model("Parameters")().from_map(spec.build_query(query))
    return spec.path + "?" + urlencode(params.to_map(), quote_via=quote, safe="")


def model_items(endpoint: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, dict) pairs that the SDK's Response model describes, in an answer."""
    if endpoint in ENVELOPE_OUTSIDE_MODEL:
        _, key = ENVELOPE_OUTSIDE_MODEL[endpoint]
        return [(f"{key}[{i}]", item) for i, item in enumerate(payload[key])]
    if endpoint in ONE_OBJECT_IN_MODEL:
        *parents, key = ONE_OBJECT_IN_MODEL[endpoint]
        node = payload
        for parent in parents:
            node = node[parent]
        if isinstance(node[key], list):
            where = ".".join((*parents, key))
            return [
                (f"{where}[{i}]", _with(payload, (*parents, key), item))
                for i, item in enumerate(node[key])
            ]
    return [("", payload)]


def _with(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """`payload` with the value at `path` replaced."""
    head, *rest = path
    inner = _with(payload[head], tuple(rest), value) if rest else value
    return {**payload, head: inner}


def test_every_catalog_endpoint_has_an_sdk_model() -> None:
    assert set(SDK_APIS) == set(CATALOG), "map each new catalog endpoint to its SDK models"
    for api in SDK_APIS.values():
        api.model("Request")
        api.model("Response")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_exporter_body_fits_the_sdk_request_model(endpoint: str, emulator: Emulator) -> None:
    """Every key the exporter sends is a field of the SDK's Request model."""
    query = query_for(CATALOG[endpoint], emulator.account("demo-wangsu"))
    body = CATALOG[endpoint].build_body(query)
    request_model = SDK_APIS[endpoint].model("Request")
    assert differences(body, round_trip(request_model, body)) == []
    assert type_mismatches(request_model, body) == []
    build_query = CATALOG[endpoint].build_query
    if build_query is not None:
        params = build_query(query)
        params_model = SDK_APIS[endpoint].model("Parameters")
        assert differences(params, round_trip(params_model, params)) == []


@pytest.mark.parametrize("account_name", ACCOUNTS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_sdk_signed_call_is_accepted(
    endpoint: str, account_name: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    _, reply = await call(wangsu, emulator, endpoint, account_name)
    assert reply.status == 200, f"{endpoint}: HTTP {reply.status}: {reply.text}"
    payload = reply.json
    if endpoint in ENVELOPE_OUTSIDE_MODEL:
        keys, data = ENVELOPE_OUTSIDE_MODEL[endpoint]
        assert set(payload) == {*keys, data}, f"{endpoint}: envelope keys {sorted(payload)}"
        assert {k: payload[k] for k in keys} == SUCCESS
        assert payload[data], f"{endpoint}: empty {data}"
    elif CATALOG[endpoint].envelope in LEGACY_ENVELOPES:
        key = LEGACY_ENVELOPES[CATALOG[endpoint].envelope]
        assert payload.get(key), f"{endpoint}: no {key}: {payload}"
        assert payload.get("code", "0") == "0", payload
    else:
        # Style A `result`, or style B `data` where the SDK models the envelope too.
        items = payload.get("result", payload.get("data"))
        assert isinstance(items, list), payload
        assert items, f"{endpoint}: empty result"
        assert payload.get("code", "0") == "0", payload
    counts = emulator.totals(account=account_name)
    assert (counts.total, counts.ok) == (1, 1), counts


def model_mismatches(endpoint: str, payload: dict[str, Any]) -> list[str]:
    """Where an answer and the SDK's Response model disagree: what `from_map`/`to_map`
    loses or changes, values of another JSON type than annotated, and what the model's
    own `validate()` (its required fields) rejects."""
    response_model = SDK_APIS[endpoint].model("Response")
    out: list[str] = []
    for path, item in model_items(endpoint, payload):
        out += differences(item, round_trip(response_model, item), path)
        out += [
            line
            for line in type_mismatches(response_model, item, path)
            if not any(line.startswith(f) for f in TYPE_CHOICES.get(endpoint, ()))
        ]
        try:
            response_model().from_map(item).validate()
        except Exception as exc:  # Tea raises a bare Exception naming the field
            if str(exc) != ASKED_FOR_ONLY.get(endpoint):
                out.append(f"{path or 'body'}: SDK validate() fails: {exc}")
    return [f"{endpoint}: {line}" for line in out]


@pytest.mark.parametrize("account_name", ACCOUNTS)
@pytest.mark.parametrize(("endpoint", "seconds"), GRANULARITIES)
async def test_answer_round_trips_through_the_sdk_response_model(
    endpoint: str, seconds: int, account_name: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    """Every granularity the catalog offers: `to_map(from_map(answer)) == answer`."""
    _, reply = await call(wangsu, emulator, endpoint, account_name, seconds)
    assert reply.status == 200, reply.text
    assert reply.json, reply.text
    mismatches = model_mismatches(endpoint, reply.json)
    assert mismatches == [], "\n".join(mismatches)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_answer_without_data_round_trips_through_the_sdk_response_model(
    endpoint: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    """A window whose slices are too young to show: still an answer the SDK can hold.

    The SDK types every summary field (peak times, realDate) as a required `str`; a
    JSON null is not one, and `from_map` drops it, so the round trip would lose it."""
    _, reply = await call(wangsu, emulator, endpoint, "demo-wangsu", fresh=True)
    assert reply.status == 200, reply.text
    mismatches = model_mismatches(endpoint, reply.json)
    assert mismatches == [], "\n".join(mismatches)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_exporter_parses_the_answer_the_sdk_accepted(
    endpoint: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    query, reply = await call(wangsu, emulator, endpoint, "demo-wangsu")
    assert reply.status == 200, reply.text
    points = CATALOG[endpoint].parse(reply.json, query)
    assert points, f"{endpoint}: no points"
    assert {p.family for p in points} == set(CATALOG[endpoint].families)


def assert_auth_failure(reply: WangsuReply, emulator: Emulator) -> None:
    """HTTP 401/403 with an error code, counted by the emulator as an auth failure."""
    assert reply.status in (401, 403), f"HTTP {reply.status}: {reply.text}"
    assert reply.json.get("code"), reply.text
    counts = emulator.totals()
    assert counts.total == 1, counts
    assert getattr(counts, CallResult.AUTH_FAILURE.value) == 1, counts


@pytest.mark.parametrize("account_name", ACCOUNTS)
async def test_wrong_secret_key_is_rejected(
    account_name: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    account = emulator.account(account_name)
    query = query_for(CATALOG["flow_request"], account)
    reply = await wangsu.call(
        CATALOG["flow_request"].path,
        sdk_body("flow_request", query),
        account,
        secret_key=account.secret_key + "x",
    )
    assert_auth_failure(reply, emulator)


@pytest.mark.parametrize("account_name", ACCOUNTS)
async def test_wrong_access_key_is_rejected(
    account_name: str, wangsu: WangsuSdk, emulator: Emulator
) -> None:
    account = emulator.account(account_name)
    query = query_for(CATALOG["flow_request"], account)
    reply = await wangsu.call(
        CATALOG["flow_request"].path,
        sdk_body("flow_request", query),
        account,
        access_key="NOT_" + account.access_key,
    )
    assert_auth_failure(reply, emulator)


class TestRealSdkClock:
    """The SDK's own `time.time()`, unpatched: the emulator clock is set to the real time."""

    @pytest.fixture
    def sdk_clock(self) -> bool:
        return False

    async def test_unpatched_sdk_timestamp_is_accepted(
        self, wangsu: WangsuSdk, emulator: Emulator, clock: FakeClock
    ) -> None:
        now = float(int(time.time()))
        clock.set(now)
        account = emulator.account("demo-wangsu")
        query = query_for(CATALOG["flow_request"], account, now)
        reply = await wangsu.call(
            CATALOG["flow_request"].path, sdk_body("flow_request", query), account
        )
        assert reply.status == 200, reply.text
        assert reply.json["result"]

    async def test_timestamp_far_from_server_time_is_rejected(
        self, wangsu: WangsuSdk, emulator: Emulator, clock: FakeClock
    ) -> None:
        clock.set(float(int(time.time())) - 3600)  # server an hour behind the SDK
        account = emulator.account("demo-wangsu")
        query = query_for(CATALOG["flow_request"], account, clock.time())
        reply = await wangsu.call(
            CATALOG["flow_request"].path, sdk_body("flow_request", query), account
        )
        assert_auth_failure(reply, emulator)


def test_every_listed_endpoint_is_covered() -> None:
    """What `cdn-exporter --list-endpoints --output json` prints, against the SDK map."""
    listed = {(row["name"], row["path"]) for row in endpoint_rows() if row["provider"] == "wangsu"}
    assert listed == {(name, CATALOG[name].path) for name in SDK_APIS}
