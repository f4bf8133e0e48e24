"""Volcengine Live `ListDomainDetail` (Version 2023-01-01): the paged domain list.

Written from the official SDK: the Action in `live/v20230101/live_config.py`, the request
`ListDomainDetailRequest {PageNum, PageSize, VhostList, DomainStatusList, DomainTypeList,
DomainRegionList, DomainNameList}` and the `Result` `DomainListInfo {DomainList[]
{Vhost, Domain, Status, Type, Region, CName, ...}, Total}` from its protobuf models
(`live/models/request/request_live_pb2.py`, `live/models/business/domain_pb2.py`).
"""

from __future__ import annotations

from typing import Any

from collector.emulator.bodies import json_object, string_list
from collector.emulator.core import EmulatedAccount
from collector.emulator.volcengine.validation import bad

ACTION = "ListDomainDetail"
REQUEST_KEYS = frozenset(
    {
        "PageNum",
        "PageSize",
        "VhostList",
        "DomainStatusList",
        "DomainTypeList",
        "DomainRegionList",
        "DomainNameList",
    }
)
# [I] Status 0 is a serving domain; a domain outside its span is deleted (not listed).
SERVING = 0
MAX_PAGE_SIZE = 1000  # [?]
CREATED = "2023-01-01T00:00:00+08:00"  # [?]


def domain_type(domain: str) -> str:
    """[?] Push domains are named push.*; every other one is a play domain."""
    return "push" if domain.startswith("push") else "pull"


def _count(body: dict[str, Any], key: str, default: int, ceiling: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ceiling:
        raise bad(f"{key} must be an integer from 1 to {ceiling}")
    return value


def result(account: EmulatedAccount, raw: bytes, now: float) -> dict[str, Any]:
    """Validate a ListDomainDetailRequest body and build the Result."""
    body = json_object(raw, REQUEST_KEYS, bad)
    page = _count(body, "PageNum", 1, 1_000_000)
    size = _count(body, "PageSize", 10, MAX_PAGE_SIZE)
    names = string_list(body, "DomainNameList", bad)
    types = string_list(body, "DomainTypeList", bad)
    statuses = body.get("DomainStatusList")
    if statuses is not None and (
        not isinstance(statuses, list) or not all(isinstance(v, int) for v in statuses)
    ):
        raise bad("DomainStatusList must be a list of integers")
    rows = []
    for domain, serving in account.listed(now):
        if not serving:
            continue
        kind = domain_type(domain)
        if names is not None and domain not in names:
            continue
        if types is not None and kind not in types:
            continue
        if statuses is not None and SERVING not in statuses:
            continue
        rows.append(
            {
                "Vhost": domain.split(".", 1)[-1],
                "Domain": domain,
                "Status": SERVING,
                "Type": kind,
                "Region": "cn",
                "CName": f"{domain}.volcliveedge.com",
                "CnameCheck": 1,
                "DomainCheck": 1,
                "ICPCheck": 1,
                "CreateTime": CREATED,
                "CertDomain": "",
                "ChainID": "",
                "CertName": "",
                "PushDomain": "",
            }
        )
    return {"DomainList": rows[(page - 1) * size : page * size], "Total": len(rows)}
