"""Wangsu/CDNetworks domain listing: `GetPagingDomainList`, `POST /api/domain/list`.

Request and answer keys are the official SDK's (`wangsu/domainmanagement/models.py`,
`GetPagingDomainListRequest` / `GetPagingDomainListResponse`); the path is the SDK
README's API table. The answer is the bare object (`totalCount`, `totalPageNumber`,
`pageNumber`, `pageSize`, `resultList[] {domainName, enabled, status, ...}`), not the
reports' `code`/`data` envelope.
"""

from __future__ import annotations

from typing import Any

from collector.model import RateLimit
from collector.providers.discovery import ListingPage, MalformedListing, host_names

PATH = "/api/domain/list"
METHOD = "POST"
PAGE_SIZE = 100  # our choice; the SDK sets no maximum
# [I] No published limit for the domain API: assumed, like the reports' 300/5m, and
# kept far below it since a listing is needed once an hour.
LISTING_LIMIT = RateLimit(30, 300, assumed=True)


def listing_body(page: int) -> dict[str, Any]:
    """GetPagingDomainListRequest: one page of every domain, whatever its service."""
    return {"pageNumber": page, "pageSize": PAGE_SIZE}


def is_listing(decoded: Any) -> bool:
    """Whether a decoded 2xx answer is a listing object (else an error for the
    provider's classifier)."""
    return isinstance(decoded, dict) and isinstance(decoded.get("resultList"), list)


def parse_listing(payload: Any) -> ListingPage:
    """Enabled domains only: a disabled one serves nothing, and its series expire."""
    if not isinstance(payload, dict) or not isinstance(payload.get("resultList"), list):
        raise MalformedListing("no resultList list")
    pages = payload.get("totalPageNumber")
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        raise MalformedListing(f"totalPageNumber is {pages!r}, not a count")
    domains: list[str] = []
    for item in payload["resultList"]:
        if not isinstance(item, dict) or not isinstance(item.get("domainName"), str):
            raise MalformedListing(f"resultList item without a domainName: {item!r:.80}")
        # `enabled` is a string in the SDK model ("true"/"false"); accept a boolean too.
        if str(item.get("enabled", "true")).lower() == "true":
            domains.append(item["domainName"])
    kept, rejected = host_names(domains, "GetPagingDomainList")
    return ListingPage(kept, pages, rejected)
