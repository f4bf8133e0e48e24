"""Units the reference leaves open ([?]) are per-account choices with documented defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from collector.config.loading import ConfigError, validate
from collector.providers.endpoint import MalformedResponse, UnitChoices
from collector.providers.wangsu import families as wf
from collector.providers.wangsu.catalog import CATALOG

from .test_parsers import Load, query


def _parse(endpoint: str, payload: object, units: UnitChoices) -> dict[str, list[float]]:
    points = CATALOG[endpoint].parse(payload, replace(query(endpoint), units=units))
    out: dict[str, list[float]] = {}
    for p in points:
        out.setdefault(p.family.name, []).append(p.value)
    return out


def test_megabytes_are_decimal_by_default_and_binary_on_request(load: Load) -> None:
    payload = load("hit_rate_isp_province")
    hit = wf.ISP_PROVINCE_CACHE_HIT_TRAFFIC.name
    decimal = _parse("hit_rate_isp_province", payload, UnitChoices())[hit]
    binary = _parse("hit_rate_isp_province", payload, UnitChoices(megabyte="binary"))[hit]
    assert decimal[0] == pytest.approx(2.99 * 10**6)
    assert binary[0] == pytest.approx(2.99 * 2**20)


def test_binary_megabytes_reach_a_shape_wrapped_in_a_filter(load: Load) -> None:
    """stream_detail's walker sits inside AskedDomainsOnly: the choice still reaches it."""
    payload = load("stream_detail")
    decimal = _parse("stream_detail", payload, UnitChoices())
    binary = _parse("stream_detail", payload, UnitChoices(megabyte="binary"))
    (name,) = decimal
    assert decimal[name]
    assert binary[name] == pytest.approx([value * 2**20 / 10**6 for value in decimal[name]])


def test_hit_ratio_auto_fraction_and_percent(load: Load) -> None:
    ratio = wf.ISP_PROVINCE_CACHE_HIT_RATIO.name
    fraction = load("hit_rate_isp_province")  # values like "0.9312"
    assert _parse("hit_rate_isp_province", fraction, UnitChoices())[ratio][0] == 0.9312
    strict = _parse("hit_rate_isp_province", fraction, UnitChoices(ratio="fraction"))
    assert strict[ratio][0] == 0.9312
    # Read as percent, 0.9312 is 0.9312 %, not 93 %: the account said so.
    assert _parse("hit_rate_isp_province", fraction, UnitChoices(ratio="percent"))[ratio][
        0
    ] == pytest.approx(0.009312)


def test_a_fraction_account_refuses_percent_values() -> None:
    payload = {
        "result": [
            {
                "domain": "www.example.com",
                "ispData": [
                    {
                        "isp": "telecom",
                        "provinceData": [
                            {
                                "province": "beijing",
                                "hitRateData": [
                                    {"timestamp": "2023-11-14 10:05", "value": "93.12"}
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    assert _parse("hit_rate_isp_province", payload, UnitChoices())[
        wf.ISP_PROVINCE_CACHE_HIT_RATIO.name
    ] == [pytest.approx(0.9312)]
    with pytest.raises(MalformedResponse, match="above 1"):
        _parse("hit_rate_isp_province", payload, UnitChoices(ratio="fraction"))


def _account(**extra: object) -> dict[str, object]:
    return {
        "name": "main",
        "provider": "wangsu",
        "auth": {"access_key": "AK", "secret_key": "SK_0123456789"},
        "domains": ["www.example.com"],
        **extra,
    }


def test_the_config_key_reaches_the_account() -> None:
    config = validate(
        {"accounts": [_account(units={"megabyte": "binary", "hit_ratio": "percent"})]}
    )
    assert config.accounts[0].units == UnitChoices(megabyte="binary", ratio="percent")
    assert validate({"accounts": [_account()]}).accounts[0].units == UnitChoices()


def test_a_bad_unit_choice_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        validate({"accounts": [_account(units={"megabyte": "1024"})]})
    assert any(p.startswith("accounts.0.units.megabyte:") for p in caught.value.problems)
