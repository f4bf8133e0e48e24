"""Timestamped-slice families: one per measured family, named after it, never colliding."""

from __future__ import annotations

from collector.families import BANDWIDTH, CACHE_HIT_RATIO, TRAFFIC, slice_family
from collector.model import Kind
from collector.providers import get_provider, slice_help_for


def test_a_slice_family_drops_total_and_is_a_gauge_with_the_same_labels() -> None:
    assert slice_family(TRAFFIC).name == "cdn_slice_traffic_bytes"
    assert slice_family(BANDWIDTH).name == "cdn_slice_bandwidth_bytes_per_second"
    assert slice_family(CACHE_HIT_RATIO).name == "cdn_slice_cache_hit_ratio"
    assert slice_family(TRAFFIC).kind is Kind.GAUGE
    assert slice_family(TRAFFIC).labels == TRAFFIC.labels


def test_every_declared_family_has_its_own_slice_family_and_help() -> None:
    families = {
        m.family
        for name in ("wangsu", "volcengine")
        for spec in get_provider(name).catalog.values()
        for m in spec.shape.measures
    }
    names = {f.name for f in families}
    sliced = [slice_family(f).name for f in families]
    assert len(set(sliced)) == len(families)  # no two families share a slice family
    assert not names & set(sliced)  # nor does one take an existing family's name
    help_text = slice_help_for(TRAFFIC)
    assert "stamped with the slice's end time" in help_text
    assert "/api/report/flow-request" in help_text
    assert "MB read as 10^6 bytes" in help_text
