"""Volcengine Live domain listing: `ListDomainDetail` (Version 2023-01-01, `POST /`).

Field names are the official SDK's (`ListDomainDetailRequest` in
`live/models/request/request_live.proto`: PageNum, PageSize, DomainStatusList, ...;
the answer's `Result` is `DomainListInfo {DomainList[] {Domain, Status, Type, ...},
Total}`); the Action is in `live/v20230101/live_config.py`.
"""

from __future__ import annotations

import math
from typing import Any

from collector.model import RateLimit
from collector.providers.discovery import ListingPage, MalformedListing, host_names

ACTION = "ListDomainDetail"
PAGE_SIZE = 100  # our choice
# [I] The usage APIs allow 30 calls a second (reference §4.1); the domain API's limit
# is not in the reference: assumed far lower, as a listing is needed once an hour.
LISTING_LIMIT = RateLimit(10, 60, assumed=True)
# [I] Status 0 is a serving domain; other values (auditing, disabled, deleted,
# suspended) are left out so their series expire.
SERVING = 0


def listing_body(page: int) -> dict[str, Any]:
    """ListDomainDetailRequest: one page of every push and play domain."""
    return {"PageNum": page, "PageSize": PAGE_SIZE}


def parse_listing(result: Any) -> ListingPage:
    """The serving domains of one `Result`; the page count from `Total`."""
    if not isinstance(result, dict):
        raise MalformedListing("Result is not an object")
    items = result.get("DomainList")
    if items is None:
        items = []  # proto3 JSON leaves an empty repeated field out
    if not isinstance(items, list):
        raise MalformedListing("DomainList is not a list")
    total = result.get("Total", 0)
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise MalformedListing(f"Total is {total!r}, not a count")
    domains: list[str] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Domain"), str):
            raise MalformedListing(f"DomainList item without a Domain: {item!r:.80}")
        if item.get("Status", SERVING) == SERVING:
            domains.append(item["Domain"])
    kept, rejected = host_names(domains, ACTION)
    return ListingPage(kept, math.ceil(total / PAGE_SIZE), rejected)
