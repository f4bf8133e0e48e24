"""A CDNetworks twin is a pure renaming of a Wangsu declaration; `api_dialect` picks the
spelling an account polls, with the domain cap of that spelling."""

from __future__ import annotations

from typing import Any

import pytest

from collector import families as core
from collector.config.loading import ConfigError, validate
from collector.providers.endpoint import Endpoint, Measure, Query
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG
from collector.providers.wangsu.dialect import RenamedKeys, Twin, renamed
from collector.providers.wangsu.wire import MB, FlowData, Level, Nested
from collector.timeslices import Window

QUERY = Query("x", ("a.example.com",), Window(1699927200, 1699928100, 300), 8 * 3600)


def test_renamed_shapes_rename_every_answer_key_and_nothing_else() -> None:
    shape = Nested(
        envelope="result",
        levels=(Level(key="countryData", label="countryCode"),),
        series="flowData",
        measures=(Measure(field="value", family=core.TRAFFIC, unit=MB, labels=("value",)),),
    )
    keys = {"flowData": "dataSeries", "value": "traffic", "countryData": "countries"}
    out = renamed(shape, keys)
    assert out.series == "dataSeries"
    assert out.levels[0].key == "countries"
    assert out.levels[0].label == "countryCode"
    assert out.measures[0].field == "traffic"
    assert out.measures[0].labels == ("value",)  # a label value, not a key
    assert out.envelope == "result"
    legacy = renamed(FlowData(measures=shape.measures), {"flow-data": "dataSeries"})
    assert (legacy.series, legacy.envelope) == ("dataSeries", "flow-data")


def test_renamed_keys_rename_the_top_level_only() -> None:
    build = RenamedKeys(
        lambda q: {"dataInterval": "5m", "x": {"dataInterval": 1}}, {"dataInterval": "granularity"}
    )
    assert build(QUERY) == {"granularity": "5m", "x": {"dataInterval": 1}}


def test_a_twin_keeps_families_slices_and_limits() -> None:
    spec: Endpoint = CATALOG["flow_request_origin"]
    twin = Twin(path="/new", request={"dataInterval": "granularity"}, max_domains_per_call=1000)
    out = twin.of(spec)
    assert (out.path, out.max_domains_per_call) == ("/new", 1000)
    assert (out.name, out.families, out.slices, out.rate_limit) == (
        spec.name,
        spec.families,
        spec.slices,
        spec.rate_limit,
    )
    # A report asked one domain a call (its answer names none) stays so.
    assert twin.of(CATALOG["domainflow"]).max_domains_per_call == 1


def _account(**extra: Any) -> dict[str, Any]:
    return {
        "name": "a",
        "provider": "cdnetworks",
        "auth": {"access_key": "AK", "secret_key": "SK"},
        "domains": [f"d{i}.example.net" for i in range(3)],
        **extra,
    }


def _flow_request(**extra: Any) -> Any:
    [account] = validate({"accounts": [_account(**extra)]}).accounts
    return next(e for e in account.endpoints if e.spec.name == "flow_request")


def test_a_cdnetworks_account_polls_cdnetworks_spellings_unless_pinned() -> None:
    default = _flow_request()
    assert (default.spec.path, default.max_domains_per_call) == (
        "/api/report/traffic-request",
        1000,
    )
    pinned = _flow_request(api_dialect="wangsu")
    assert pinned.spec is CATALOG["flow_request"]
    assert pinned.max_domains_per_call == 200
    lowered = _flow_request(endpoints={"flow_request": {"max_domains_per_call": 300}})
    assert lowered.max_domains_per_call == 300
    wangsu = _flow_request(provider="wangsu", api_dialect="cdnetworks")
    assert wangsu.spec is CDNETWORKS_CATALOG["flow_request"]
    assert wangsu.max_domains_per_call == 1000


def test_a_cap_above_the_pinned_spelling_is_a_problem() -> None:
    with pytest.raises(ConfigError) as info:
        validate(
            {
                "accounts": [
                    _account(
                        api_dialect="wangsu",
                        endpoints={"flow_request": {"max_domains_per_call": 500}},
                    )
                ]
            }
        )
    assert info.value.problems == [
        "accounts.0.endpoints.flow_request.max_domains_per_call: 500 is above "
        "/api/report/flow-request's 200 (api_dialect: wangsu)"
    ]


def test_a_discovered_accounts_deferred_choice_is_spelled_too() -> None:
    [account] = validate({"accounts": [_account(domains="auto", api_dialect="wangsu")]}).accounts
    edge = next(e for e in account.endpoints if e.spec.name == "edge_hit_ratio")
    assert edge.deferred, "edge_hit_ratio's alternative is chosen once domains are known"
    paths = {option.spec.path for option in edge.deferred}
    assert "/api/report/flow/isp-province/hit-rate/total" in paths
    [cdn] = validate({"accounts": [_account(domains="auto")]}).accounts
    edge = next(e for e in cdn.endpoints if e.spec.name == "edge_hit_ratio")
    assert "/api/report/traffic/isp-province/hit-rate/total" in {o.spec.path for o in edge.deferred}
