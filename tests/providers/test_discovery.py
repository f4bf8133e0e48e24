"""Discovered domains: only host names go back to the provider and into `domain` labels."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from collector.providers.discovery import ListingPage
from collector.providers.volcengine import discovery as volcengine
from collector.providers.wangsu import discovery as wangsu

HOSTILE = [
    "evil\r\nready 1.example.com",
    "\x1b[31mred.example.com",
    "has space.example.com",
    "https://www.example.com/",
    "",
]


def wangsu_page(names: list[str]) -> dict[str, object]:
    items = [{"domainName": name, "enabled": "true"} for name in names]
    return {"resultList": items, "totalPageNumber": 1}


def volcengine_result(names: list[str]) -> dict[str, object]:
    return {"DomainList": [{"Domain": name, "Status": 0} for name in names], "Total": len(names)}


@pytest.mark.parametrize(
    "parse",
    [
        lambda names: wangsu.parse_listing(wangsu_page(names)),
        lambda names: volcengine.parse_listing(volcengine_result(names)),
    ],
    ids=["wangsu", "volcengine"],
)
def test_names_that_are_not_host_names_are_left_out_and_counted(
    parse: Callable[[list[str]], ListingPage],
) -> None:
    names = ["www.example.com", *HOSTILE, "*.img.example.com"]
    page = parse(names)
    assert page.domains == ("www.example.com", "*.img.example.com")
    assert page.rejected == len(HOSTILE)


def test_each_left_out_name_is_logged_once_and_escaped(caplog: pytest.LogCaptureFixture) -> None:
    names = ["ok.example.com", "once\x1b[2J.example.com", "twice bad.example.com"]
    with caplog.at_level(logging.WARNING, logger="collector.providers.discovery"):
        wangsu.parse_listing(wangsu_page(names))
        wangsu.parse_listing(wangsu_page(names))  # the next refresh lists them again
    [record] = caplog.records
    message = record.getMessage()
    assert "GetPagingDomainList listed 2 name(s) that are not host names" in message
    assert "'once\\x1b[2J.example.com'" in message
    assert "\x1b" not in message
