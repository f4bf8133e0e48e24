"""Wangsu/CDNetworks `GetPagingDomainList`: `POST /api/domain/list`, the paged domain list.

Written from the official SDK's `wangsu/domainmanagement/models.py`
(`GetPagingDomainListRequest`, `GetPagingDomainListResponse`,
`GetPagingDomainListResponseResultList`) and the SDK README's API table (path, method).
The answer is the bare response object: no `code`/`data` envelope.
"""

from __future__ import annotations

import math
from typing import Any

from collector.emulator.bodies import json_object, string_list
from collector.emulator.core import CallResult, EmulatedAccount, Reject
from collector.model import RateLimit

NAME = "domain_list"  # the route's name in call counts
PATH = "/api/domain/list"
METHOD = "POST"
# [I] Unpublished, like most report limits: the reference's "assume 300 per 5 minutes".
RATE_LIMIT = RateLimit(calls=300, period=300)
# GetPagingDomainListRequest's keys (its to_map); anything else is refused.
REQUEST_KEYS = frozenset(
    {"pageNumber", "pageSize", "serviceTypes", "domainNames", "startTime", "endTime", "status"}
)
STATUSES = frozenset(
    {"enabled", "disabled", "deploying", "checking", "disabling", "deployFailed", "disableFailed"}
)
SERVICE_TYPES = ["wsa"]  # [?] every emulated domain is a content-acceleration one
CREATED = "2023-01-01T00:00:00+08:00"  # [?]


def _bad(message: str) -> Reject:
    # [?] The domain API's error codes are unpublished; the reports' InvalidHTTPRequest.
    return Reject(400, "InvalidHTTPRequest", message, CallResult.BAD_REQUEST)


def _positive(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(f"{key} must be a positive integer greater than 0")
    return value


def answer(account: EmulatedAccount, raw: bytes, now: float) -> dict[str, Any]:
    """Validate a request body (GetPagingDomainListRequest) and build the answer."""
    body = json_object(raw, REQUEST_KEYS, _bad)
    page = _positive(body, "pageNumber")
    size = _positive(body, "pageSize")
    # "If it is passed, pageSize is required" (the SDK's field doc).
    if page is not None and size is None:
        raise _bad("pageSize is required with pageNumber")
    names = string_list(body, "domainNames", _bad)
    services = string_list(body, "serviceTypes", _bad)
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise _bad(f"status must be one of {', '.join(sorted(STATUSES))}")
    rows = []
    for index, (domain, serving) in enumerate(account.listed(now)):
        state = "enabled" if serving else "disabled"
        if names is not None and domain not in names:
            continue
        if services is not None and not set(services) & set(SERVICE_TYPES):
            continue
        if status is not None and status != state:
            continue
        rows.append(
            {
                "cname": f"{domain}.wscdns.com",
                "createTime": CREATED,
                "domainId": str(100000 + index),
                "domainName": domain,
                "serviceTypes": SERVICE_TYPES,
                "status": state,
                "enabled": "true" if serving else "false",
            }
        )
    total = len(rows)
    if page is None or size is None:  # no paging: everything on one page
        page, size = 1, max(total, 1)
    chunk = rows[(page - 1) * size : page * size]
    return {
        "totalCount": total,
        "totalPageNumber": math.ceil(total / size),
        "pageNumber": page,
        "pageSize": size,
        "resultList": chunk,
    }
