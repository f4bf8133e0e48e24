"""Choosing between documented alternative sources: the fresher plan for the account's
domains, unless the config names one; plans from the same numbers the daemon uses."""

from __future__ import annotations

from typing import Any

import pytest

from collector.config.loading import ConfigError, validate
from collector.jobs import job_specs


def account(domains: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "main",
        "provider": "wangsu",
        "auth": {"access_key": "AK", "secret_key": "SK"},
        "domains": [f"d{i:05d}.example.com" for i in range(domains)],
        **extra,
    }


def hit_ratio_source(domains: int, **extra: Any) -> tuple[str, int, str]:
    """(endpoint feeding cdn_cache_hit_ratio, its planned interval, the plan's note)."""
    config = validate({"accounts": [account(domains, **extra)]})
    (spec,) = [
        s
        for s in job_specs(config)
        if "cdn_cache_hit_ratio" in {f.name for f in s.settings.spec.families}
    ]
    return spec.settings.spec.name, spec.plan.interval, spec.settings.chosen_over


@pytest.mark.parametrize(
    ("domains", "source", "interval"),
    [
        (10, "edge_hit_ratio", 60),  # one call a domain fits the limit: the default stays
        (1_000, "edge_hit_ratio_batched", 60),  # 50 calls instead of 1,000
        (10_000, "edge_hit_ratio_batched", 540),  # 500 calls; edge_hit_ratio: 10,200 s
    ],
)
def test_the_fresher_source_is_chosen_for_the_domain_count(
    domains: int, source: str, interval: int
) -> None:
    chosen, planned, note = hit_ratio_source(domains)
    assert (chosen, planned) == (source, interval)
    if source == "edge_hit_ratio":
        assert note == ""
    else:
        # The plan says what it replaced and why.
        assert note.startswith(f"edge_hit_ratio for {domains} domains: every {interval}s")
    # Staleness at 10,000 domains: settle 900 s + a slice + the interval, under 30 min.
    if domains == 10_000:
        assert 900 + 60 + planned <= 1800


def test_the_config_decides_when_it_names_either_source() -> None:
    forced = {"endpoints": {"edge_hit_ratio": {"enabled": True}}}
    assert hit_ratio_source(1_000, **forced)[0] == "edge_hit_ratio"
    chosen = {"endpoints": {"edge_hit_ratio": {"enabled": False},
                            "edge_hit_ratio_batched": {"enabled": True}}}  # fmt: skip
    assert hit_ratio_source(10, **chosen)[0] == "edge_hit_ratio_batched"


def test_an_alternative_on_a_path_already_polled_is_not_taken() -> None:
    # isp_province_hit_rate_total polls the same API (and rate limit) for its own families.
    busy = {"endpoints": {"isp_province_hit_rate_total": {"enabled": True}}}
    assert hit_ratio_source(1_000, **busy)[0] == "edge_hit_ratio"


def test_discovered_domains_choose_once_their_count_is_known() -> None:
    config = validate({"accounts": [{**account(0), "domains": "auto"}]})

    def sources(discovered: dict[str, int] | None) -> dict[str, str]:
        return {
            s.settings.spec.name: s.settings.chosen_over
            for s in job_specs(config, discovered)
            if "cdn_cache_hit_ratio" in {f.name for f in s.settings.spec.families}
        }

    # Before the first listing: the declared source, the choice deferred.
    assert sources(None) == {"edge_hit_ratio": ""}
    assert sources({"main": 10}) == {"edge_hit_ratio": ""}
    (note,) = sources({"main": 10_000}).values()
    assert list(sources({"main": 10_000})) == ["edge_hit_ratio_batched"]
    assert note.startswith("edge_hit_ratio for 10000 domains: every 540s")
    assert sources({"other": 10_000}) == {"edge_hit_ratio": ""}  # another account's count


def test_a_configured_source_is_not_deferred_for_discovered_domains() -> None:
    forced = {"endpoints": {"edge_hit_ratio": {"interval": "2m"}}}
    config = validate({"accounts": [{**account(0, **forced), "domains": "auto"}]})
    names = {s.settings.spec.name for s in job_specs(config, {"main": 10_000})}
    assert "edge_hit_ratio" in names
    assert "edge_hit_ratio_batched" not in names


def test_enabling_both_sources_is_refused() -> None:
    both = {"endpoints": {"edge_hit_ratio_batched": {"enabled": True}}}
    with pytest.raises(ConfigError) as error:
        validate({"accounts": [account(10, **both)]})
    assert "accounts.0.endpoints.edge_hit_ratio_batched: feeds cdn_cache_hit_ratio" in str(
        error.value.problems
    )
