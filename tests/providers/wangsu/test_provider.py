"""WangsuProvider: catalog values, request bodies, signed requests and response classification."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
import pytest
from aiohttp import web

from collector.config.runtime import Account
from collector.emulator.wangsu.auth import aksk_fields
from collector.http import HttpRequest, HttpResponse, host_header
from collector.model import Outcome
from collector.providers.endpoint import Query
from collector.providers.wangsu import signing
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG
from collector.providers.wangsu.catalog_core import ENDPOINTS as CORE
from collector.providers.wangsu.provider import (
    CDNETWORKS,
    WANGSU,
    time_zone_header,
)
from collector.timeslices import Window
from tests.accounts import load_account

AK = "AK_TEST_0123456789"
SK = "SK_TEST_abcdefghijklmnopqrstuvwxyz"
NOW = 1700000000.75
T1000, T1100 = 1699927200, 1699930800  # 2023-11-14 10:00 and 11:00 +08:00
DOMAINS = ("www.example.com", "img.example.com")
FLOW = "/api/report/flow-request"


def account(base_url: str | None = None, **extra: Any) -> Account:
    data: dict[str, Any] = {
        "name": "main",
        "provider": "wangsu",
        "auth": {"method": "aksk", "access_key": AK, "secret_key": SK},
        "domains": list(DOMAINS),
        "base_url": base_url,
        **extra,
    }
    return load_account(data)


def apikey_account() -> Account:
    return load_account(
        {
            "name": "legacy",
            "provider": "cdnetworks",
            "auth": {"method": "apikey", "username": "testuser", "api_key": "TESTAPIKEY123"},
            "domains": list(DOMAINS),
        }
    )


def query(endpoint: str, slice_seconds: int = 300, offset: int = 8 * 3600) -> Query:
    return Query(
        endpoint=endpoint,
        domains=DOMAINS,
        window=Window(start=T1000, end=T1100, slice_seconds=slice_seconds),
        offset_seconds=offset,
    )


def verify(request: HttpRequest, secret: str = SK) -> str:
    """Check the request's signature the way the server does, from the request's own
    fields; return the canonical request."""
    fields = aksk_fields(request.headers["Authorization"])
    assert fields["Credential"] == request.headers["x-cnc-accessKey"]
    parts = urlsplit(request.url)
    canonical = signing.canonical_request(
        request.method,
        parts.path,
        parts.query,
        request.headers,
        request.body,
        fields["SignedHeaders"],
    )
    expected = signing.signature(secret, request.headers["x-cnc-timestamp"], canonical)
    assert fields["Signature"] == expected
    return canonical


# Catalog --------------------------------------------------------------------------------


def test_catalog_table() -> None:
    rows = {
        name: (
            s.path,
            s.method,
            (s.rate_limit.calls, s.rate_limit.period),
            s.max_domains_per_call,
            s.granularities,
            s.max_span,
            s.data_delay,
            s.envelope,
            s.opt_in,
        )
        for name, s in CATALOG.items()
        # The group modules' endpoints are tabled in their own test modules.
        if name in {spec.name for spec in CORE}
    }
    week = 7 * 86400
    assert rows == {
        "flow_request": (
            "/api/report/flow-request",
            "POST",
            (300, 300),
            200,
            (300,),
            86400,
            900,
            "result",
            False,
        ),
        "flow_request_origin": (
            "/api/report/flow-request/origin",
            "POST",
            (300, 300),
            200,
            (300, 60),
            86400,
            900,
            "result",
            False,
        ),
        "edge_hit_ratio": (
            "/api/report/flow/edge-hit-ratio/total",
            "POST",
            (300, 300),
            1,
            (60,),
            week,
            900,
            "result",
            False,
        ),
        # edge_hit_ratio's alternative: chosen over it for many domains (config/endpoints).
        "edge_hit_ratio_batched": (
            "/api/report/flow/isp-province/hit-rate/total",
            "POST",
            (300, 300),
            20,
            (60, 300),
            86400,
            900,
            "code-data",
            True,
        ),
        "hit_rate_isp_province": (
            "/api/report/flow/hit-rate/isp-province",
            "POST",
            (30, 300),
            20,
            (300, 3600),
            week,
            900,
            "result",
            True,
        ),
        "isp_province": (
            "/api/report/flow/isp-province",
            "POST",
            (300, 300),
            20,
            (300, 3600),
            week,
            900,
            "result",
            True,
        ),
        "country_bandwidth": (
            "/api/report/server/country-bandwidth",
            "POST",
            (300, 300),
            20,
            (300, 3600),
            week,
            900,
            "code-data",
            True,
        ),
    }
    assert all(name == spec.name for name, spec in CATALOG.items())


def test_each_brand_polls_its_own_spelling_of_the_reports() -> None:
    assert WANGSU.catalog is CATALOG
    assert CDNETWORKS.catalog is CDNETWORKS_CATALOG
    # Every Wangsu report under its own name; the renamed ones on CDNetworks' paths.
    assert set(CATALOG) < set(CDNETWORKS_CATALOG)
    assert CDNETWORKS.catalog["flow_request"].path == "/api/report/traffic-request"
    assert CDNETWORKS.catalog["isp_province"] is CATALOG["isp_province"]
    assert (WANGSU.name, WANGSU.default_base_url) == ("wangsu", "https://open.chinanetcenter.com")
    assert (CDNETWORKS.name, CDNETWORKS.default_base_url) == (
        "cdnetworks",
        "https://api.cdnetworks.com",
    )


# Bodies ---------------------------------------------------------------------------------

DATES = {"dateFrom": "2023-11-14T10:00:00+08:00", "dateTo": "2023-11-14T11:00:00+08:00"}
DOMAIN_LIST = ["www.example.com", "img.example.com"]


@pytest.mark.parametrize(
    ("endpoint", "slice_seconds", "expected"),
    [
        ("flow_request", 300, {**DATES, "domain": DOMAIN_LIST, "groupBy": ["domain"]}),
        (
            "flow_request_origin",
            60,
            {**DATES, "domain": DOMAIN_LIST, "groupBy": ["domain"], "dataInterval": "1m"},
        ),
        ("edge_hit_ratio", 60, {**DATES, "domain": DOMAIN_LIST}),
        (
            "isp_province",
            3600,
            {
                **DATES,
                "domain": DOMAIN_LIST,
                "dataInterval": "1h",
                "groupBy": ["domain", "province", "isp"],
            },
        ),
        (
            "hit_rate_isp_province",
            300,
            {
                **DATES,
                "domain": DOMAIN_LIST,
                "dataInterval": "5m",
                "groupBy": ["domain", "province", "isp"],
            },
        ),
        ("country_bandwidth", 300, {**DATES, "domain": DOMAIN_LIST, "dataInterval": "5m"}),
    ],
)
def test_bodies(endpoint: str, slice_seconds: int, expected: dict[str, Any]) -> None:
    assert CATALOG[endpoint].build_body(query(endpoint, slice_seconds)) == expected


def test_body_times_follow_the_offset() -> None:
    body = CATALOG["flow_request"].build_body(query("flow_request", offset=0))
    assert (body["dateFrom"], body["dateTo"]) == (
        "2023-11-14T02:00:00+00:00",
        "2023-11-14T03:00:00+00:00",
    )


# build_request --------------------------------------------------------------------------


def test_build_request_aksk() -> None:
    spec = CATALOG["flow_request"]
    request = WANGSU.build_request(account(), spec, query("flow_request"), NOW)
    assert request.method == "POST"
    assert request.url == "https://open.chinanetcenter.com/api/report/flow-request"
    assert request.body == (
        b'{"dateFrom":"2023-11-14T10:00:00+08:00","dateTo":"2023-11-14T11:00:00+08:00",'
        b'"domain":["www.example.com","img.example.com"],"groupBy":["domain"]}'
    )
    headers = dict(request.headers)
    authorization = headers.pop("Authorization")
    assert headers == {
        "Host": "open.chinanetcenter.com",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": "en-US",
        "X-Time-Zone": "GMT+08:00",
        "x-cnc-auth-method": "AKSK",
        "x-cnc-accessKey": AK,
        "x-cnc-timestamp": "1700000000",
    }
    assert authorization.startswith(
        f"CNC-HMAC-SHA256 Credential={AK}, SignedHeaders=content-type;host, Signature="
    )
    canonical = verify(request)
    # The hash in the signature is of the bytes that are sent.
    assert canonical.rsplit("\n", 1)[1] == hashlib.sha256(request.body).hexdigest()
    assert "host:open.chinanetcenter.com\n" in canonical


def test_build_request_cdnetworks_default_host() -> None:
    spec = CATALOG["country_bandwidth"]
    request = CDNETWORKS.build_request(account(), spec, query("country_bandwidth"), NOW)
    assert request.url == "https://api.cdnetworks.com/api/report/server/country-bandwidth"
    assert request.headers["Host"] == "api.cdnetworks.com"
    assert orjson.loads(request.body)["dataInterval"] == "5m"
    verify(request)


def test_wrong_secret_does_not_verify() -> None:
    request = WANGSU.build_request(account(), CATALOG["flow_request"], query("flow_request"), NOW)
    with pytest.raises(AssertionError):
        verify(request, secret="not-the-secret")


@pytest.mark.parametrize(
    ("base_url", "url", "host"),
    [
        (
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/api/report/flow-request",
            "127.0.0.1:8080",
        ),
        ("https://emu.test:443", "https://emu.test:443/api/report/flow-request", "emu.test"),
        ("http://emu.test:80", "http://emu.test:80/api/report/flow-request", "emu.test"),
        ("https://emu.test:8443", "https://emu.test:8443/api/report/flow-request", "emu.test:8443"),
        ("http://emu.test:443", "http://emu.test:443/api/report/flow-request", "emu.test:443"),
        ("https://emu.test:80", "https://emu.test:80/api/report/flow-request", "emu.test:80"),
        ("http://[::1]:9000", "http://[::1]:9000/api/report/flow-request", "[::1]:9000"),
        ("https://Open.ChinaNetCenter.com", None, "open.chinanetcenter.com"),
        (
            "http://127.0.0.1:8080/proxy/",
            "http://127.0.0.1:8080/proxy/api/report/flow-request",
            "127.0.0.1:8080",
        ),
    ],
)
def test_host_and_port_rules(base_url: str, url: str | None, host: str) -> None:
    request = WANGSU.build_request(
        account(base_url), CATALOG["flow_request"], query("flow_request"), NOW
    )
    if url is not None:
        assert request.url == url
    assert request.headers["Host"] == host
    canonical = verify(request)
    assert f"\nhost:{host.lower()}\n" in canonical
    assert canonical.split("\n")[1] == urlsplit(request.url).path


def test_build_request_apikey() -> None:
    request = CDNETWORKS.build_request(
        apikey_account(), CATALOG["flow_request"], query("flow_request"), 1700000000.0
    )
    assert dict(request.headers) == {
        "Host": "api.cdnetworks.com",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": "en-US",
        "X-Time-Zone": "GMT+08:00",
        "Date": "Tue, 14 Nov 2023 22:13:20 GMT",
        "Authorization": "Basic dGVzdHVzZXI6YTJ1aGM3TEUyUWZoM1Fra0ZLMDNESzY0SXZNPQ==",
    }
    assert orjson.loads(request.body)["domain"] == DOMAIN_LIST


@pytest.mark.parametrize(
    ("offset", "header"),
    [(8 * 3600, "GMT+08:00"), (0, "GMT+00:00"), (-5 * 3600, "GMT-05:00"), (19800, None)],
)
def test_time_zone_header(offset: int, header: str | None) -> None:
    assert time_zone_header(offset) == header
    request = WANGSU.build_request(
        account(), CATALOG["flow_request"], query("flow_request", offset=offset), NOW
    )
    assert request.headers.get("X-Time-Zone") == header


def test_host_header_function() -> None:
    assert host_header("https://api.cdnetworks.com/x") == "api.cdnetworks.com"
    assert host_header("HTTPS://API.cdnetworks.com:443/x") == "api.cdnetworks.com"


async def test_signed_host_is_the_host_aiohttp_sends() -> None:
    """Send the built request over loopback and verify it as the server sees it."""
    seen: list[tuple[str, bytes, dict[str, str]]] = []

    async def handler(req: web.Request) -> web.Response:
        seen.append((req.path_qs, await req.read(), dict(req.headers)))
        return web.json_response({"result": []})

    app = web.Application()
    app.router.add_post("/api/report/flow-request", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        request = WANGSU.build_request(
            account(base), CATALOG["flow_request"], query("flow_request"), NOW
        )
        async with aiohttp.ClientSession() as session:
            async with session.post(
                request.url, data=request.body, headers=dict(request.headers)
            ) as response:
                assert response.status == 200
            # What aiohttp sends on its own agrees with our rule too.
            async with session.post(request.url, data=b"{}") as response:
                assert response.status == 200
    finally:
        await runner.cleanup()
    (path, body, received), (_, _, auto) = seen
    assert received["Host"] == request.headers["Host"] == auto["Host"] == f"127.0.0.1:{port}"
    assert received["Content-Type"] == "application/json"
    assert body == request.body
    signed = {"Content-Type": received["Content-Type"], "Host": received["Host"]}
    canonical = signing.canonical_request("POST", path, "", signed, body)
    fields = aksk_fields(received["Authorization"])
    assert signing.signature(SK, received["x-cnc-timestamp"], canonical) == fields["Signature"]


# classify -------------------------------------------------------------------------------


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


@pytest.mark.parametrize(
    ("status", "body", "payload"),
    [
        (200, {"result": []}, {"result": []}),
        (200, {"result": None}, {"result": None}),
        (200, {"code": "0", "message": "success", "data": []}, None),
        (200, {"code": 0, "data": [{"domain": "a"}]}, None),
        (200, {"code": "0", "message": "success", "result": [{"domain": "a"}]}, None),
    ],
)
def test_classify_success(status: int, body: dict[str, Any], payload: Any) -> None:
    classified = WANGSU.classify(response(status, body))
    assert classified.outcome is Outcome.SUCCESS
    assert classified.payload == (payload if payload is not None else body)


def test_classify_then_parse_recorded_bytes(raw: Callable[[str], bytes]) -> None:
    classified = WANGSU.classify(
        response(200, raw("country_bandwidth_doc_example"), **{"x-cnc-request-id": "r-1"})
    )
    assert classified.outcome is Outcome.SUCCESS
    q = Query("country_bandwidth", ("www.example1.com", "www.example2.com"), Window(0, 0, 300), 0)
    points = CATALOG["country_bandwidth"].parse(classified.payload, q)
    assert len(points) == 16
    assert classified.message == "code=0 message=success request_id=r-1"


@pytest.mark.parametrize(
    ("status", "body", "headers", "retry_after"),
    [
        (429, b"", {"retry-after": "30"}, 30.0),
        (429, {"code": "x", "message": "slow down"}, {"retry-after": " 2.5 "}, 2.5),
        (429, b"Too Many Requests", {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        (503, b"<html>Service Unavailable</html>", {}, None),
        (429, b"", {"retry-after": "-1"}, None),
        (400, {"code": "RequestLimitExceeded", "message": "Request limit exceeded"}, {}, None),
        (
            403,
            {"code": "40301", "message": "Access frequency too high"},
            {"retry-after": "60"},
            60.0,
        ),
        (200, {"code": "1", "message": "API call frequency exceeded", "data": []}, {}, None),
        (400, {"code": "Throttling", "message": "try later"}, {}, None),
        (400, {"message": "请求频率超过限制"}, {}, None),
        (400, b"<error><code>Throttled</code><message>x</message></error>", {}, None),
    ],
)
def test_classify_throttled(
    status: int, body: Any, headers: dict[str, str], retry_after: float | None
) -> None:
    classified = WANGSU.classify(response(status, body, **headers))
    assert classified.outcome is Outcome.THROTTLED
    assert classified.retry_after == retry_after
    assert classified.payload is None


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (401, {"code": "AuthFailed", "message": "signature mismatch"}, Outcome.AUTH_FAILURE),
        (403, b"<html>Forbidden</html>", Outcome.AUTH_FAILURE),
        (403, b"", Outcome.AUTH_FAILURE),
        (
            400,
            {
                "code": "24102019",
                "message": "The request was rejected because the number of domain exceeds "
                "the limit.",
            },
            Outcome.CLIENT_ERROR,
        ),
        (400, {"code": "24102021", "message": "Date format error."}, Outcome.CLIENT_ERROR),
        (400, {"code": "InvalidDatePeriod", "message": "bad period"}, Outcome.CLIENT_ERROR),
        (
            400,
            b"<error><code>DateSpanError</code><message>span too long</message></error>",
            Outcome.CLIENT_ERROR,
        ),
        (404, b"Not Found", Outcome.CLIENT_ERROR),
        (301, b"", Outcome.CLIENT_ERROR),
        (400, {"code": "24102500", "message": "System error"}, Outcome.SERVER_ERROR),
        (200, {"code": "24102500", "message": "System error"}, Outcome.SERVER_ERROR),
        (500, {"code": "x", "message": "boom"}, Outcome.SERVER_ERROR),
        (502, b"<html>Bad Gateway</html>", Outcome.SERVER_ERROR),
        (504, b"", Outcome.SERVER_ERROR),
        (200, {"code": "24102008", "message": "domain is null or invalid", "data": []}, None),
        # Legacy style C (flow-summary/flow-data, XML too) is an envelope; a scalar is not.
        (200, b"<flow-report><flow-data>x</flow-data></flow-report>", Outcome.MALFORMED),
        (200, b"", Outcome.MALFORMED),
        (200, b"null", Outcome.MALFORMED),
        (200, [{"domain": "a"}], Outcome.MALFORMED),
        (200, {"flow-summary": "1.00", "flow-data": {}}, Outcome.MALFORMED),
        (200, {"result": {"domain": "a"}}, Outcome.MALFORMED),
        (200, {"code": "0", "message": "success"}, Outcome.MALFORMED),
        (204, b"", Outcome.MALFORMED),
    ],
)
def test_classify_failures(status: int, body: Any, outcome: Outcome | None) -> None:
    classified = WANGSU.classify(response(status, body))
    assert classified.outcome is (outcome or Outcome.CLIENT_ERROR)
    assert classified.payload is None
    assert classified.retry_after is None


@pytest.mark.parametrize(
    ("body", "decodes"),
    [
        # Not JSON at all (truncated, a gateway's page): the call may be worth repeating.
        (b"", False),
        (b'{"result": [{"domain": "a.exa', False),
        (b"<html>truncated", False),
        (b"<xml>not json</xml>", False),  # XML without a report envelope
        # JSON of the wrong shape would come back the same.
        (b"null", True),
        (b'[{"domain": "a"}]', True),
        (b'{"result": {"domain": "a"}}', True),
    ],
)
def test_a_malformed_answer_says_whether_it_decoded(body: bytes, decodes: bool) -> None:
    classified = WANGSU.classify(response(200, body))
    assert classified.outcome is Outcome.MALFORMED
    assert classified.decodes is decodes


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"totalPageNumber": 1, "resultList": []}, Outcome.SUCCESS),
        # Anything but a 2xx listing object is sorted like a report answer.
        (401, {"code": "AuthFailure"}, Outcome.AUTH_FAILURE),
        (503, b"<html>busy</html>", Outcome.THROTTLED),
        (200, {"code": "24102500", "message": "System error"}, Outcome.SERVER_ERROR),
        (200, b'{"resultList": [', Outcome.MALFORMED),
        (200, {"resultList": "none"}, Outcome.MALFORMED),
    ],
)
def test_classify_listing(status: int, body: Any, outcome: Outcome) -> None:
    classified = WANGSU.classify_listing(response(status, body))
    assert classified.outcome is outcome
    if outcome is Outcome.SUCCESS:
        assert classified.payload == body
    if outcome is Outcome.MALFORMED:
        # Truncated: worth asking again; a listing of the wrong shape is not.
        assert classified.decodes is isinstance(body, dict)


def test_classify_messages() -> None:
    legacy = WANGSU.classify(
        response(400, b"<error><code>DateSpanError</code><message>too long</message></error>")
    )
    assert legacy.message == "code=DateSpanError message=too long"
    new = WANGSU.classify(
        response(
            400,
            {"code": "24102006", "message": "The date specified is invalid."},
            **{"x-cnc-request-id": "abc123"},
        )
    )
    assert new.message == ("code=24102006 message=The date specified is invalid. request_id=abc123")
    xml = WANGSU.classify(response(200, b"<?xml version='1.0'?><flow-report/>"))
    assert xml.message == "no result, data, flow-data or provider (keys: flow-report)"
    long = WANGSU.classify(response(500, {"code": "E", "message": "x" * 1000}))
    assert len(long.message) == 300
    assert long.message.endswith("...")
