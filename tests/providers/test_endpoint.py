"""The catalog types: declarations, derived families, generated HELP, fan-out, listing."""

from __future__ import annotations

import math

import orjson
import pytest

from collector import families as core
from collector.cli import main
from collector.model import Family, Kind
from collector.providers import get_provider, help_for, sources
from collector.providers.base import CallTarget, fan_out
from collector.providers.endpoint import FanOut, Granularity, MalformedResponse, Unit, UnitChoices
from collector.providers.listing import endpoint_rows
from collector.providers.wangsu.catalog import CATALOG as WANGSU
from collector.providers.wangsu.wire import HIT_RATIO, MB

PROVIDERS = ("wangsu", "cdnetworks", "volcengine")


def test_help_is_generated_from_every_declaration_feeding_the_family() -> None:
    text = help_for(core.TRAFFIC)
    assert text.startswith("Edge traffic in bytes, each settled slice added once (")
    # Wangsu: field path, slice length and unit conversion, from the declaration.
    assert "/api/report/flow-request result[].flowRequestData[].flow, 5m slices" in text
    assert "MB read as 10^6 bytes" in text
    # Volcengine feeds the same family, so its source is named too.
    assert "DescribeLiveTrafficData Result.TrafficDataList[].DownTraffic" in text
    assert "GB read as 10^9 bytes" in text
    assert help_for(core.BANDWIDTH).startswith("Edge bandwidth in bytes per second in the newest")


def test_every_family_of_every_endpoint_has_a_source_and_help() -> None:
    for provider in PROVIDERS:
        for spec in get_provider(provider).catalog.values():
            assert spec.families, spec.name
            for family in spec.families:
                assert family.name in sources()
                assert "no source declared" not in help_for(family)
                assert (family.kind is Kind.COUNTER) == family.name.endswith("_total")


def test_families_follow_the_declared_measures() -> None:
    assert WANGSU["flow_request"].families == (core.TRAFFIC, core.BANDWIDTH, core.REQUESTS)


def test_granularity_lookup_names_what_is_offered() -> None:
    spec = WANGSU["hit_rate_isp_province"]
    assert spec.granularity(3600) == Granularity(3600, 7 * 86400, 900)
    with pytest.raises(ValueError, match=r"not offered \(5m, 1h\)"):
        spec.granularity(86400)


def test_units_convert_to_base_units_and_reject_negatives() -> None:
    assert MB.convert(1.5, "x") == 1_500_000.0
    assert HIT_RATIO.convert(93.12, "x") == pytest.approx(0.9312)
    assert HIT_RATIO.convert(0.5, "x") == 0.5
    with pytest.raises(MalformedResponse, match=r"^x\.y: negative"):
        Unit(1.0, "a count").convert(-1.0, "x.y")
    # Found by the property tests: finite on the wire, infinite in bytes.
    with pytest.raises(MalformedResponse, match="out of range") as caught:
        MB.convert(1e308, "x")
    assert caught.value.reason == "not_finite"


@pytest.mark.parametrize("unit", [MB, HIT_RATIO, HIT_RATIO.resolve(UnitChoices(ratio="fraction"))])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_the_value_gate_refuses_what_is_not_finite_for_every_unit(unit: Unit, value: float) -> None:
    # NaN compares false with every bound: a NaN ratio once passed the range checks.
    with pytest.raises(MalformedResponse, match="not a finite number") as caught:
        unit.convert(value, "x")
    assert caught.value.reason == "not_finite"


@pytest.mark.parametrize(
    ("kind", "cap", "domains", "scope", "expected"),
    [
        (FanOut.DOMAIN_BATCHES, 2, ("a", "b", "c"), (), [("a", "b"), ("c",)]),
        (FanOut.PER_DOMAIN, 200, ("a", "b"), (), [("a",), ("b",)]),
        (FanOut.DOMAIN_BATCHES, 2, (), (), [()]),
        (FanOut.ACCOUNT, 0, ("a",), ("g",), [()]),
    ],
)
def test_domain_fan_outs(
    kind: FanOut,
    cap: int,
    domains: tuple[str, ...],
    scope: tuple[str, ...],
    expected: list[tuple[str, ...]],
) -> None:
    assert [t.domains for t in fan_out(kind, cap, domains, scope)] == expected


def test_scope_fan_outs() -> None:
    assert fan_out(FanOut.PER_VHOST, 0, ("d",), ("v1", "v2")) == [
        CallTarget(scope=("v1",)),
        CallTarget(scope=("v2",)),
    ]
    assert fan_out(FanOut.GROUP_BATCHES, 100, (), ("g1", "g2")) == [CallTarget(scope=("g1", "g2"))]


def test_a_domain_fan_out_needs_a_domain_cap() -> None:
    spec = WANGSU["flow_request"]
    from dataclasses import replace

    with pytest.raises(ValueError, match="needs a per-call domain cap"):
        replace(spec, max_domains_per_call=0)


def test_family_kind_and_suffix_agree() -> None:
    with pytest.raises(ValueError, match="_total"):
        Family("cdn_x_bytes", Kind.COUNTER, "x")


def test_list_endpoints_json_has_every_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-endpoints", "--output", "json"]) == 0
    rows = orjson.loads(capsys.readouterr().out)
    declared = {
        (provider, name) for provider in PROVIDERS for name in get_provider(provider).catalog
    }
    assert {(r["provider"], r["name"]) for r in rows} == declared
    for row in rows:
        for key in ("path", "method", "granularities", "data_delay", "families", "opt_in"):
            assert key in row
        assert set(row["rate_limit"]) == {"calls", "period", "assumed"}
    flow = next(r for r in rows if r["name"] == "flow_request")
    assert flow["rate_limit"] == {"calls": 300, "period": 300, "assumed": True}
    assert flow["families"] == [
        "cdn_traffic_bytes_total",
        "cdn_bandwidth_bytes_per_second",
        "cdn_requests_total",
    ]
    assert rows == endpoint_rows()


# cdnetworks-brand-api.md §5: the 23 `reportflow` actions' paths, and §8's
# `reportbandwidth` routes that answer time series.
CDNETWORKS_REPORTFLOW = {
    "/api/report/traffic-request",
    "/api/report/traffic-request/origin",
    "/api/report/traffic/domain-country",
    "/api/report/traffic/protocol",
    "/api/report/traffic",
    "/api/report/domaintraffic",
    "/api/report/bandwidth/saving-bandwidth/total",
    "/api/report/traffic/isp-province/hit-rate/total",
    "/api/report/flow-request/dwa",
    "/api/report/domainflow/dwa",
    "/api/report/flow/dwa",
    "/api/report/flow/byte/dwa",
    "/api/report/flow/area/dwa",
    "/api/report/flow/byte",
    "/api/report/flow/edge-hit-ratio/total",
    "/api/report/flow/parent-node",
    "/api/report/flow/dir/detail",
    "/api/report/flow/stream/detail",
    "/api/report/flow-bandwidth/stream/detail",
    "/api/report/flow/static-dynamic",
    "/api/report/flow/pop",
    "/myview/CdnwEdgeReportForKeywordAquan",
    "/myview/Wctquery",
}
CDNETWORKS_REPORTBANDWIDTH = {
    "/api/report/server/country-bandwidth",
    "/api/report/bandwidth/multi-domain/real-time/edge",
    "/api/report/bandwidth/multi-domain/real-time/origin",
    "/api/report/domainbandwidth",
    "/api/report/domainbandwidth/dwa",
    "/cdn/traffic/relay",
}


def test_list_endpoints_json_lists_cdnetworks_reports_on_their_own_paths(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--list-endpoints", "--output", "json"]) == 0
    rows = orjson.loads(capsys.readouterr().out)
    cdnetworks = {r["path"]: r for r in rows if r["provider"] == "cdnetworks"}
    assert len(CDNETWORKS_REPORTFLOW) == 23
    assert set(cdnetworks) >= CDNETWORKS_REPORTFLOW | CDNETWORKS_REPORTBANDWIDTH
    assert all(r["config_providers"] == ["cdnetworks"] for r in cdnetworks.values())
    # The renamed ones are CDNetworks' only; Wangsu's rows keep Wangsu's paths.
    wangsu = {r["path"] for r in rows if r["provider"] == "wangsu"}
    assert "/api/report/flow-request" in wangsu
    assert not {"/api/report/traffic-request", "/api/report/flow/pop"} & wangsu
    assert "/api/report/flow-request" not in cdnetworks
    traffic = cdnetworks["/api/report/traffic-request"]
    assert (traffic["name"], traffic["max_domains_per_call"]) == ("flow_request", 1000)
    assert traffic["declared_in"] == "catalog_core.py"
    assert cdnetworks["/api/report/flow/pop"]["declared_in"] == "catalog_cdnetworks.py"
    assert cdnetworks["/api/report/flow/pop"]["opt_in"] is True


def test_list_endpoints_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-endpoints"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["provider", "name", "path", "limit"]
    assert len(lines) == 1 + len(endpoint_rows())
    shift = next(line for line in lines if " time_shift " in line)
    assert "DescribeLiveTimeShiftData" in shift
    assert "one call per vhost" in shift


def test_a_family_name_is_declared_once_per_provider() -> None:
    """Two Family objects of one name (say with other labels or HELP) would render as
    one family with conflicting metadata: a name is one declaration."""
    from collector.providers import get_provider
    from collector.providers.listing import CATALOGS

    for provider, _, _ in CATALOGS:
        by_name: dict[str, object] = {}
        for spec in get_provider(provider).catalog.values():
            for family in spec.families:
                assert by_name.setdefault(family.name, family) is family, (provider, family.name)
