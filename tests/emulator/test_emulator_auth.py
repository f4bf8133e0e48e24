"""The emulator verifies AK/SK and apikey signatures exactly, over real loopback HTTP."""

from __future__ import annotations

from typing import Any

import orjson

from collector.emulator import CallKey, Emulator
from collector.providers.wangsu.signing import http_date

from .conftest import NOW, ApiClient, iso

BODY: dict[str, Any] = {
    "dateFrom": iso(NOW - 3600),
    "dateTo": iso(NOW),
    "domain": ["www.example.com"],
    "groupBy": ["domain"],
}


async def test_accepts_a_correctly_signed_aksk_request(client: ApiClient) -> None:
    reply = await client.call("flow_request", BODY)
    assert reply.status == 200, reply.body
    assert reply.json["result"][0]["domain"] == "www.example.com"
    assert reply.headers["x-cnc-request-id"]


async def test_accepts_the_apikey_scheme_with_date_or_x_cnc_date(client: ApiClient) -> None:
    assert (await client.call("flow_request", BODY, scheme="apikey")).status == 200
    # A client that cannot set Date sends the signed string as x-cnc-date.
    reply = await client.call("flow_request", BODY, scheme="apikey", headers={"Date": ""})
    assert reply.status == 401
    reply = await client.call(
        "flow_request",
        BODY,
        scheme="apikey",
        headers={"x-cnc-date": http_date(NOW), "Date": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    assert reply.status == 200


async def test_accepts_cdnetworks_accounts_on_the_same_routes(
    client: ApiClient, emulator: Emulator
) -> None:
    account = emulator.account("demo-cdnetworks")
    body = {**BODY, "domain": ["video.example.net"]}
    reply = await client.call("flow_request", body, account=account)
    assert reply.status == 200
    assert emulator.calls[CallKey("cdnetworks", "demo-cdnetworks", "flow_request")].ok == 1


async def test_rejects_a_changed_body_byte(client: ApiClient, emulator: Emulator) -> None:
    data = orjson.dumps(BODY)
    tampered = data.replace(b"www.example.com", b"img.example.com")
    reply = await client.call("flow_request", data, sent_body=tampered)
    assert reply.status == 401
    assert reply.json["code"] == "AuthFailure"
    assert emulator.calls[CallKey("wangsu", "demo-wangsu", "flow_request")].auth_failures == 1


async def test_rejects_a_wrong_secret(client: ApiClient) -> None:
    assert (await client.call("flow_request", BODY, secret="not-the-secret")).status == 401
    assert (await client.call("flow_request", BODY, scheme="apikey", secret="nope")).status == 401


async def test_rejects_a_stale_timestamp(client: ApiClient) -> None:
    assert (await client.call("flow_request", BODY, timestamp=NOW - 301)).status == 401
    assert (await client.call("flow_request", BODY, timestamp=NOW + 301)).status == 401
    assert (await client.call("flow_request", BODY, timestamp=NOW - 299)).status == 200
    assert (
        await client.call("flow_request", BODY, scheme="apikey", timestamp=NOW - 400)
    ).status == 401


async def test_rejects_a_signature_for_another_host(client: ApiClient) -> None:
    reply = await client.call("flow_request", BODY, headers={"Host": "open.chinanetcenter.com"})
    assert reply.status == 401


async def test_rejects_mismatched_credential_and_unknown_keys(
    client: ApiClient, emulator: Emulator
) -> None:
    reply = await client.call("flow_request", BODY, headers={"x-cnc-accessKey": "SOMEONE_ELSE"})
    assert reply.status == 401
    volc = emulator.account("demo-volcengine")  # a Volcengine key is not a Wangsu key
    assert (await client.call("flow_request", BODY, account=volc)).status == 401
    assert (await client.call("flow_request", BODY, headers={"Authorization": ""})).status == 401
    assert emulator.calls[CallKey("wangsu", "", "flow_request")].auth_failures == 3
