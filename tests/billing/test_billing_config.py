"""Billing groups in configuration: valid examples and `path: reason` errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from collector.billing.config import BillingModel, parse_quantity
from collector.billing.ledger import Method


def _problems(data: dict[str, Any]) -> list[str]:
    """The errors as the configuration loader words them."""
    try:
        BillingModel.model_validate(data)
    except ValidationError as exc:
        return [
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: "
            + str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        ]
    return []


def test_the_readme_example_is_valid() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Billing (month to date)") :]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None
    (group,) = BillingModel.model_validate(yaml.safe_load(match[1])["billing"]).groups
    assert group.name == "video"


def test_default_is_one_group_for_the_whole_account() -> None:
    (group,) = BillingModel().groups
    assert (group.name, group.domains, group.method) == ("account", [], Method.P95)
    assert group.offset == 8 * 3600
    assert (group.proration, group.valid_days_only) == (False, True)


def test_a_full_example() -> None:
    model = BillingModel.model_validate(
        {
            "groups": [
                {
                    "name": "video",
                    "domains": ["V.example.com", "*.cdn.example.com"],
                    "method": "p95",
                    "commit": {"bandwidth": "500Mbps"},
                    "price": {
                        "currency": "CNY",
                        "tiers": [{"up_to": "1Gbps", "price": 25}, {"price": 20}],
                    },
                    "time_zone": "-05:00",
                    "proration": True,
                },
                {
                    "name": "rest",
                    "method": "traffic",
                    "commit": {"traffic": "100TB"},
                    "price": {"currency": "USD", "flat": 0.01, "per": "1GB"},
                },
            ]
        }
    )
    video, rest = model.groups
    assert video.domains == ["v.example.com", "*.cdn.example.com"]
    assert video.commit is not None
    assert video.commit.bandwidth is not None
    assert video.commit.bandwidth.value == 62_500_000.0
    assert video.offset == -5 * 3600
    assert rest.commit is not None
    assert rest.commit.traffic is not None
    assert rest.commit.traffic.value == 1e14


@pytest.mark.parametrize(
    ("text", "value"),
    [(500, 500.0), (1.5, 1.5), ("500Mbps", 62.5e6), ("1.5Gbps", 187.5e6), ("2TB", 2e12)],
)
def test_quantities(text: object, value: float) -> None:
    assert parse_quantity(text).value == value


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        ({"name": "a b"}, "groups.0.name: not a group name: 'a b'"),
        ({"name": "a", "domains": ["x.com", "X.com"]}, "groups.0.domains: listed twice: x.com"),
        ({"name": "a", "domains": ["not a domain"]}, "groups.0.domains: not a domain name"),
        ({"name": "a", "method": "p99"}, "groups.0.method: Input should be 'p95'"),
        ({"name": "a", "commit": {"bandwidth": "5 MB/s"}}, "groups.0.commit.bandwidth: not a"),
        ({"name": "a", "commit": {"bandwidth": -5}}, "groups.0.commit.bandwidth: not a finite"),
        ({"name": "a", "commit": {"bandwidth": True}}, "groups.0.commit.bandwidth: expected"),
        ({"name": "a", "commit": {}}, "groups.0.commit: give exactly one of bandwidth, traffic"),
        ({"name": "a", "commit": {"bandwidth": "1TB"}}, "groups.0.commit: bandwidth: traffic"),
        (
            {"name": "a", "method": "traffic", "commit": {"bandwidth": 5}},
            "groups.0: commit: method traffic takes a traffic commit",
        ),
        (
            {"name": "a", "price": {"currency": "CNY", "flat": 1, "per": "1GB"}},
            "groups.0: price: traffic units for method p95 (bandwidth)",
        ),
        (
            {"name": "a", "price": {"currency": "yuan", "flat": 1}},
            "groups.0.price.currency: not a currency",
        ),
        (
            {"name": "a", "price": {"currency": "CNY"}},
            "groups.0.price: give exactly one of flat, tiers",
        ),
        (
            {"name": "a", "price": {"currency": "CNY", "flat": -1}},
            "groups.0.price.flat: Input should be",
        ),
        (
            {"name": "a", "price": {"currency": "CNY", "tiers": [{"up_to": 5, "price": 1}]}},
            "groups.0.price: tiers: the last tier has no up_to",
        ),
        (
            {"name": "a", "price": {"currency": "CNY", "tiers": [{"price": 1}, {"price": 2}]}},
            "groups.0.price: tiers: only the last tier may leave out up_to",
        ),
        (
            {
                "name": "a",
                "price": {
                    "currency": "CNY",
                    "tiers": [{"up_to": 9, "price": 1}, {"up_to": 5, "price": 1}, {"price": 1}],
                },
            },
            "groups.0.price: tiers: up_to must increase",
        ),
        (
            {"name": "a", "price": {"currency": "CNY", "flat": 1, "per": 0}},
            "groups.0.price.per: the unit",
        ),
        ({"name": "a", "time_zone": "+08:03"}, "groups.0.time_zone: +08:03: a billing zone's"),
        ({"name": "a", "time_zone": "Asia/Shanghai"}, "groups.0.time_zone: not a UTC offset"),
        ({"name": "a", "proration": "sometimes"}, "groups.0.proration: Input should be"),
        ({"name": "a", "colour": "red"}, "groups.0.colour: Extra inputs are not permitted"),
    ],
)
def test_invalid_groups(group: dict[str, Any], problem: str) -> None:
    problems = _problems({"groups": [group]})
    assert any(p.startswith(problem) for p in problems), problems


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        ([{"name": "a", "domains": ["x.com"]}, {"name": "a"}], "groups: names used twice: a"),
        ([{"name": "a"}, {"name": "b"}], "groups: only one group may leave out domains"),
        (
            [{"name": "a", "domains": ["x.com"]}, {"name": "b", "domains": ["x.com"]}],
            "groups: x.com is in a and b",
        ),
        ([], "groups: List should have at least 1 item"),
    ],
)
def test_invalid_group_sets(groups: list[dict[str, Any]], problem: str) -> None:
    problems = _problems({"groups": groups})
    assert any(problem in p for p in problems), problems
