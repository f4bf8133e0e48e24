"""Domain discovery against the official SDKs: the exporter's listing request bodies are
what the SDK request models hold, and the emulator's answers, fetched through the SDKs'
own signing clients, round-trip through the SDK response models unchanged and parse.

Wangsu: `GetPagingDomainListRequest` / `GetPagingDomainListResponse` (Tea models,
`wangsu/domainmanagement/models.py`), sent with `AkSkAuth.invoke` to `POST
/api/domain/list`. Volcengine: `LiveService.list_domain_detail`, the request and
`Result` checked against the protobuf models `ListDomainDetailRequest` and
`DomainListInfo` (json_format refuses unknown fields and wrong types).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from collector.demo import account_config
from collector.emulator import Emulator, RunningEmulator
from collector.providers import get_lister
from collector.providers.volcengine import discovery as volcengine_discovery
from collector.providers.wangsu import discovery as wangsu_discovery
from tests.accounts import load_account

from .conftest import NOW, Volcengine, WangsuSdk
from .sdkmodels import differences, round_trip, type_mismatches

WANGSU_ACCOUNTS = ("demo-wangsu", "demo-cdnetworks")


def exporter_body(emulator: Emulator, running: RunningEmulator, name: str, page: int) -> Any:
    """The body the exporter's lister sends for `page` of account `name`."""
    emulated = emulator.account(name)
    entry = account_config(emulated, running.base_url, domains="auto")
    account = load_account(entry)
    request = get_lister(account.provider).build_listing_request(account, page, NOW)
    return orjson.loads(request.body)


# -- Wangsu / CDNetworks ---------------------------------------------------------------


def _wangsu_models() -> tuple[type[Any], type[Any], type[Any]]:
    from wangsu.domainmanagement.models import (
        GetPagingDomainListRequest,
        GetPagingDomainListResponse,
        GetPagingDomainListResponseResultList,
    )

    return (
        GetPagingDomainListRequest,
        GetPagingDomainListResponse,
        GetPagingDomainListResponseResultList,
    )


@pytest.mark.parametrize("name", WANGSU_ACCOUNTS)
@pytest.mark.parametrize("page", [1, 3])
async def test_wangsu_request_model_holds_the_exporters_body(
    name: str, page: int, emulator: Emulator, running: RunningEmulator
) -> None:
    request_model, _, _ = _wangsu_models()
    body = exporter_body(emulator, running, name, page)
    assert type_mismatches(request_model, body) == []
    assert differences(body, round_trip(request_model, body)) == []


@pytest.mark.parametrize("name", WANGSU_ACCOUNTS)
async def test_wangsu_sdk_lists_the_emulators_domains(
    name: str, wangsu: WangsuSdk, emulator: Emulator, running: RunningEmulator
) -> None:
    _, response_model, item_model = _wangsu_models()
    account = emulator.account(name)
    body = exporter_body(emulator, running, name, 1)
    reply = await wangsu.call(wangsu_discovery.PATH, json.dumps(body), account)
    assert reply.status == 200, reply.text
    answer = reply.json
    assert type_mismatches(response_model, answer) == []
    assert differences(answer, round_trip(response_model, answer)) == []
    response_model().from_map(answer).validate()  # every required field is there
    for item in answer["resultList"]:
        item_model().from_map(item).validate()
    page = get_lister(account.provider).parse_listing(answer)
    assert page.domains == account.domains
    assert page.pages == 1


async def test_wangsu_sdk_pages_through_the_list(wangsu: WangsuSdk, emulator: Emulator) -> None:
    account = emulator.account("demo-wangsu")
    seen: list[str] = []
    for number in (1, 2):
        body = {"pageNumber": number, "pageSize": 1}
        reply = await wangsu.call(wangsu_discovery.PATH, json.dumps(body), account)
        assert reply.status == 200, reply.text
        assert reply.json["totalPageNumber"] == 2
        seen += [item["domainName"] for item in reply.json["resultList"]]
    assert tuple(seen) == account.domains


async def test_wangsu_refuses_a_key_the_sdk_model_does_not_have(
    wangsu: WangsuSdk, emulator: Emulator
) -> None:
    account = emulator.account("demo-wangsu")
    reply = await wangsu.call(wangsu_discovery.PATH, json.dumps({"page": 1}), account)
    assert reply.status == 400, reply.text


async def test_wangsu_wrong_secret_is_rejected(wangsu: WangsuSdk, emulator: Emulator) -> None:
    account = emulator.account("demo-wangsu")
    body = json.dumps({"pageNumber": 1, "pageSize": 100})
    reply = await wangsu.call(
        wangsu_discovery.PATH, body, account, secret_key=account.secret_key + "x"
    )
    assert reply.status == 401, reply.text


# -- Volcengine ----------------------------------------------------------------------


def _volcengine_models() -> tuple[type[Any], type[Any]]:
    from volcengine.live.models.business.domain_pb2 import DomainListInfo
    from volcengine.live.models.request.request_live_pb2 import ListDomainDetailRequest

    return ListDomainDetailRequest, DomainListInfo


def _parse(model: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """`data` through the protobuf model and back, as JSON keeps it."""
    from google.protobuf import json_format

    message = json_format.ParseDict(data, model())  # raises on unknown fields, bad types
    out: dict[str, Any] = json_format.MessageToDict(
        message,
        always_print_fields_with_no_presence=True,  # proto3 leaves zeros and "" out
        preserving_proto_field_name=True,
        unquote_int64_if_possible=True,
    )
    return out


async def test_volcengine_request_model_holds_the_exporters_body(
    emulator: Emulator, running: RunningEmulator
) -> None:
    request_model, _ = _volcengine_models()
    body = exporter_body(emulator, running, "demo-volcengine", 2)
    again = _parse(request_model, body)
    assert {k: v for k, v in again.items() if k in body} == body
    assert all(v == [] for k, v in again.items() if k not in body)


async def test_volcengine_sdk_lists_the_emulators_domains(
    volcengine: Volcengine, emulator: Emulator, running: RunningEmulator
) -> None:
    _, result_model = _volcengine_models()
    body = exporter_body(emulator, running, "demo-volcengine", 1)
    answer = await volcengine.call("list_domain_detail", body)
    meta = answer["ResponseMetadata"]
    assert "Error" not in meta, meta
    assert meta["Action"] == volcengine_discovery.ACTION
    result = answer["Result"]
    again = _parse(result_model, result)
    assert differences(result, again) == []
    account = emulator.account("demo-volcengine")
    page = get_lister("volcengine").parse_listing(result)
    assert page.domains == account.domains
    assert page.pages == 1


async def test_volcengine_sdk_pages_through_the_list(
    volcengine: Volcengine, emulator: Emulator
) -> None:
    account = emulator.account("demo-volcengine")
    seen: list[str] = []
    for number in (1, 2):
        answer = await volcengine.call("list_domain_detail", {"PageNum": number, "PageSize": 1})
        assert answer["Result"]["Total"] == 2
        seen += [item["Domain"] for item in answer["Result"]["DomainList"]]
    assert tuple(seen) == account.domains
