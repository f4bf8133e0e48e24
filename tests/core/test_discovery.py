"""Domain discovery without a network: the filter, both providers' listing parsers, the
discoverer's paging, limiter and last-good list, and pollers following the list."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from collector.client import MockTransport
from collector.clock import FakeClock
from collector.config.endpoints import resolve_endpoint
from collector.config.runtime import Account
from collector.discovery import DomainDiscoverer
from collector.http import HttpRequest, HttpResponse
from collector.model import RateLimit
from collector.poller import EndpointPoller
from collector.providers import get_lister
from collector.providers.discovery import DiscoverySettings, MalformedListing
from collector.providers.volcengine import discovery as volcengine
from collector.providers.wangsu import discovery as wangsu
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.selfmetrics import SelfMetrics
from tests.accounts import load_account

NOW = 1_700_000_000.0


def wangsu_account(**discovery: Any) -> Account:
    return load_account(
        {
            "name": "main",
            "provider": "wangsu",
            "auth": {"access_key": "AK", "secret_key": "SK"},
            "domains": "auto",
            "discovery": discovery,
        }
    )


def wangsu_page(domains: list[tuple[str, str]], page: int, pages: int) -> dict[str, Any]:
    return {
        "totalCount": len(domains),
        "totalPageNumber": pages,
        "pageNumber": page,
        "pageSize": 100,
        "resultList": [
            {
                "cname": f"{d}.wscdns.com",
                "createTime": "2024-01-01T00:00:00+08:00",
                "domainId": "1",
                "domainName": d,
                "serviceTypes": ["wsa"],
                "status": "enabled" if enabled == "true" else "disabled",
                "enabled": enabled,
            }
            for d, enabled in domains
        ],
    }


# -- settings and parsers ------------------------------------------------------------


def test_include_and_exclude_patterns() -> None:
    settings = DiscoverySettings(include=("*.example.com", "cdn.*"), exclude=("*.test.*",))
    assert settings.wants("www.example.com")
    assert settings.wants("WWW.Example.COM")  # host names are case-insensitive
    assert settings.wants("cdn.example.net")
    assert not settings.wants("www.example.net")
    assert not settings.wants("a.test.example.com")  # exclude wins
    assert DiscoverySettings().wants("anything.example.org")


def test_domains_auto_is_discovery_with_the_defaults() -> None:
    account = load_account(
        {
            "name": "main",
            "provider": "wangsu",
            "auth": {"access_key": "AK", "secret_key": "SK"},
            "domains": "auto",
        }
    )
    assert account.domains == ()
    assert account.discovery == DiscoverySettings(refresh=3600, rate_limit=wangsu.LISTING_LIMIT)
    listed = load_account(
        {
            "name": "main",
            "provider": "wangsu",
            "auth": {"access_key": "AK", "secret_key": "SK"},
            "domains": ["www.example.com"],
        }
    )
    assert listed.discovery is None


def test_wangsu_listing_keeps_enabled_domains() -> None:
    payload = wangsu_page([("a.example.com", "true"), ("b.example.com", "false")], 1, 3)
    page = wangsu.parse_listing(payload)
    assert page.domains == ("a.example.com",)
    assert page.pages == 3


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"resultList": {}},
        {"resultList": [], "totalPageNumber": "2"},
        {"resultList": [{"enabled": "true"}], "totalPageNumber": 1},
    ],
)
def test_wangsu_listing_of_the_wrong_shape(payload: Any) -> None:
    with pytest.raises(MalformedListing):
        wangsu.parse_listing(payload)


def test_volcengine_listing_keeps_serving_domains() -> None:
    result = {
        "DomainList": [
            {"Domain": "play.example.com", "Status": 0, "Type": "pull"},
            {"Domain": "push.example.com", "Type": "push"},  # proto3 leaves 0 out
            {"Domain": "off.example.com", "Status": 2, "Type": "pull"},
        ],
        "Total": 250,
    }
    page = volcengine.parse_listing(result)
    assert page.domains == ("play.example.com", "push.example.com")
    assert page.pages == 3  # 250 domains, 100 a page
    assert volcengine.parse_listing({}).domains == ()


@pytest.mark.parametrize(
    "result", [[], {"DomainList": {}}, {"Total": -1}, {"DomainList": [{"Status": 0}]}]
)
def test_volcengine_listing_of_the_wrong_shape(result: Any) -> None:
    with pytest.raises(MalformedListing):
        volcengine.parse_listing(result)


def test_wangsu_listing_request_is_signed_post() -> None:
    account = wangsu_account()
    request = get_lister("wangsu").build_listing_request(account, 2, NOW)
    assert request.method == "POST"
    assert request.url == "https://open.chinanetcenter.com/api/domain/list"
    assert orjson.loads(request.body) == {"pageNumber": 2, "pageSize": 100}
    assert request.headers["Authorization"].startswith("CNC-HMAC-SHA256 ")


def test_volcengine_listing_request_is_signed_post() -> None:
    account = load_account(
        {
            "name": "live",
            "provider": "volcengine",
            "auth": {"access_key": "AK", "secret_key": "SK"},
            "domains": "auto",
        }
    )
    request = get_lister("volcengine").build_listing_request(account, 1, NOW)
    assert request.url == (
        "https://live.volcengineapi.com/?Action=ListDomainDetail&Version=2023-01-01"
    )
    assert orjson.loads(request.body) == {"PageNum": 1, "PageSize": 100}
    assert request.headers["Authorization"].startswith("HMAC-SHA256 ")


# -- the discoverer ------------------------------------------------------------------


class Listing:
    """A Wangsu domain API answering from a mutable list, `per_page` a page."""

    def __init__(self, domains: list[str], per_page: int = 100) -> None:
        self.domains = domains
        self.per_page = per_page
        self.fail = 0  # the next `fail` calls answer 500
        self.times: list[float] = []

    def handler(self, clock: FakeClock) -> Any:
        async def handle(request: HttpRequest) -> HttpResponse:
            self.times.append(clock.time())
            if self.fail:
                self.fail -= 1
                return HttpResponse(500, {}, b'{"code": "500", "message": "boom"}')
            page = orjson.loads(request.body)["pageNumber"]
            size = self.per_page
            pages = -(-len(self.domains) // size)
            chunk = self.domains[(page - 1) * size : page * size]
            body = wangsu_page([(d, "true") for d in chunk], page, pages)
            return HttpResponse(200, {}, orjson.dumps(body))

        return handle


def discoverer(
    account: Account, listing: Listing, clock: FakeClock
) -> tuple[DomainDiscoverer, SelfMetrics]:
    metrics = SelfMetrics()
    assert account.discovery is not None
    return (
        DomainDiscoverer(
            provider=get_lister("wangsu"),
            provider_name="wangsu",
            account=account,
            settings=account.discovery,
            transport=MockTransport(listing.handler(clock)),
            clock=clock,
            metrics=metrics,
        ),
        metrics,
    )


def gauge(metrics: SelfMetrics, name: str) -> float | None:
    value = metrics.registry.get_sample_value(name, {"provider": "wangsu", "account": "main"})
    return value


async def test_every_page_is_listed_and_filtered() -> None:
    clock = FakeClock(NOW)
    names = [f"d{i}.example.com" for i in range(5)] + ["x.test.example.com"]
    listing = Listing(names, per_page=2)
    found, metrics = discoverer(wangsu_account(exclude=["*.test.*"]), listing, clock)
    assert await found.run() is None
    assert found.domains == tuple(sorted(names[:5]))
    assert len(listing.times) == 3
    assert gauge(metrics, "cdn_exporter_discovered_domains") == 5
    assert gauge(metrics, "cdn_exporter_discovery_last_success_timestamp_seconds") == NOW


async def test_listing_calls_wait_for_their_own_limiter() -> None:
    clock = FakeClock(NOW)
    listing = Listing([f"d{i}.example.com" for i in range(6)], per_page=1)
    account = wangsu_account(rate_limit={"calls": 2, "period": "1m"})
    found, _ = discoverer(account, listing, clock)
    await found.run()
    assert found.domains is not None
    assert len(found.domains) == 6
    assert len(listing.times) == 6
    limit = RateLimit(2, 60)
    for t in listing.times:
        assert sum(1 for u in listing.times if t <= u < t + limit.period) <= limit.calls


async def test_a_failed_listing_keeps_the_last_good_list() -> None:
    clock = FakeClock(NOW)
    listing = Listing(["a.example.com"])
    found, metrics = discoverer(wangsu_account(), listing, clock)
    listing.fail = 3  # every try of the first run
    retry = await found.run()
    assert retry is not None
    assert found.domains is None
    assert gauge(metrics, "cdn_exporter_discovered_domains") == 0  # exported from the start
    assert await found.run() is None
    assert found.domains == ("a.example.com",)
    listing.domains = ["a.example.com", "b.example.com"]
    listing.fail = 100
    assert await found.run() is not None
    assert found.domains == ("a.example.com",)
    assert found.last_error is not None
    assert "server_error" in found.last_error
    requests = metrics.registry.get_sample_value(
        "cdn_exporter_api_requests_total",
        {"provider": "wangsu", "account": "main", "endpoint": "discovery", "result": "success"},
    )
    assert requests == 1


async def test_repeated_listing_failures_warn_once_and_recovery_counts_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(NOW)
    listing = Listing(["a.example.com"])
    found, _ = discoverer(wangsu_account(), listing, clock)
    listing.fail = 3 * 4  # every try of four runs
    caplog.set_level(logging.DEBUG, logger="collector.discovery")
    for _ in range(4):
        assert await found.run() is not None
    assert await found.run() is None
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    failed = [level for level, message in lines if "listing failed" in message]
    assert failed == [logging.WARNING] + [logging.DEBUG] * 3
    assert lines[-2] == (
        logging.INFO,
        "main/discovery: domain listing recovered after 4 failed run(s)",
    )
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert (warning.account, warning.outcome) == ("main", "server_error")  # type: ignore[attr-defined]


async def test_a_listing_page_is_retried_like_a_report_call() -> None:
    """Two quick retries, after 2 s and 4 s or a longer Retry-After, of a throttled
    page or one whose body does not decode; a page of the wrong shape is not retried."""
    clock = FakeClock(NOW)
    listing = Listing(["a.example.com"])
    found, metrics = discoverer(wangsu_account(), listing, clock)
    good = listing.handler(clock)
    answers = [
        HttpResponse(429, {"retry-after": "30"}, b"{}"),
        HttpResponse(200, {}, b'{"resultList": ['),
    ]

    async def flaky(request: HttpRequest) -> HttpResponse:
        if answers:
            listing.times.append(clock.time())
            return answers.pop(0)
        response: HttpResponse = await good(request)
        return response

    found.pipeline.transport = MockTransport(flaky)
    assert await found.run() is None
    assert found.domains == ("a.example.com",)
    assert [t - NOW for t in listing.times] == [0, 30, 34]

    answers.append(HttpResponse(200, {}, b'{"resultList": "none"}'))
    listing.times.clear()
    assert await found.run() is not None
    assert len(listing.times) == 1
    assert found.domains == ("a.example.com",)  # the last good list is kept
    assert found.last_error is not None
    assert found.last_error.startswith("malformed: ")
    malformed = metrics.registry.get_sample_value(
        "cdn_exporter_api_requests_total",
        {"provider": "wangsu", "account": "main", "endpoint": "discovery", "result": "malformed"},
    )
    assert malformed == 2


# -- pollers following the list ------------------------------------------------------


async def test_a_poller_waits_for_discovery_then_follows_the_list() -> None:
    clock = FakeClock(NOW)
    current: list[tuple[str, ...] | None] = [None]
    sent: list[HttpRequest] = []

    async def handle(request: HttpRequest) -> HttpResponse:
        sent.append(request)
        body = orjson.loads(request.body)
        return HttpResponse(
            200,
            {},
            orjson.dumps(
                {"result": [{"domain": d, "flowRequestData": []} for d in body["domain"]]}
            ),
        )

    poller = EndpointPoller(
        provider=WANGSU,
        account=wangsu_account(),
        settings=resolve_endpoint(CATALOG["flow_request"], None),
        transport=MockTransport(handle),
        clock=clock,
        metrics=SelfMetrics(),
        domains=lambda: current[0],
    )
    retry = await poller.poll()
    assert retry is not None
    assert retry.after == 10.0
    assert sent == []
    assert poller.last_success is None
    assert poller.last_error == "waiting for the first domain discovery"

    current[0] = ("a.example.com", "b.example.com")
    assert await poller.poll() is None
    assert {d for r in sent for d in orjson.loads(r.body)["domain"]} == set(current[0])

    sent.clear()
    current[0] = ()  # nothing listed: no call (an empty list would mean every domain)
    assert await poller.poll() is None
    assert sent == []


async def test_the_budget_follows_the_discovered_domains(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(NOW)
    current: list[tuple[str, ...] | None] = [("a.example.com",)]

    async def handle(request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, {}, orjson.dumps({"result": []}))

    metrics = SelfMetrics()
    poller = EndpointPoller(
        provider=WANGSU,
        account=wangsu_account(),
        settings=resolve_endpoint(CATALOG["edge_hit_ratio"], None),  # one call per domain
        transport=MockTransport(handle),
        clock=clock,
        metrics=metrics,
        domains=lambda: current[0],
    )
    labels = {"provider": "wangsu", "account": "main", "endpoint": "edge_hit_ratio"}

    def ratio() -> float | None:
        return metrics.registry.get_sample_value("cdn_exporter_rate_budget_ratio", labels)

    await poller.poll()
    small = ratio()
    assert small is not None
    assert 0 < small < 0.1
    # 400 domains, a call each every minute, do not fit 300 calls per 5 minutes.
    current[0] = tuple(f"d{i}.example.com" for i in range(400))
    with caplog.at_level("WARNING"):
        await poller.poll()
    big = ratio()
    assert big is not None
    assert big > small
    assert "400 discovered domain(s) need" in caplog.text
    assert poller.up


async def test_a_poll_that_saw_the_list_change_runs_again_soon() -> None:
    clock = FakeClock(NOW)
    current: list[tuple[str, ...] | None] = [("a.example.com",)]

    async def handle(request: HttpRequest) -> HttpResponse:
        current[0] = ("a.example.com", "b.example.com")  # discovery ran meanwhile
        return HttpResponse(200, {}, orjson.dumps({"result": []}))

    poller = EndpointPoller(
        provider=WANGSU,
        account=wangsu_account(),
        settings=resolve_endpoint(CATALOG["flow_request"], None),
        transport=MockTransport(handle),
        clock=clock,
        metrics=SelfMetrics(),
        domains=lambda: current[0],
    )
    retry = await poller.poll()
    assert retry is not None
    assert retry.after == 1.0
    assert poller.up
    assert not poller.polling
    assert await poller.poll() is None
    assert poller.domains == ("a.example.com", "b.example.com")
