"""Domain discovery, free of I/O: settings, the include/exclude filter, a listing page.

Each provider lists an account's domains through its own paged API
(`wangsu/discovery.py`, `volcengine/discovery.py`); `collector/discovery.py` runs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Protocol

from collector.accountconfig import HOSTNAME
from collector.http import HttpRequest, HttpResponse
from collector.model import RateLimit
from collector.providers.base import Classified

log = logging.getLogger(__name__)

DEFAULT_REFRESH = 3600
_DEFAULT_LIMIT = RateLimit(10, 60)
ENDPOINT = "discovery"  # the `endpoint` label of the listing calls' self-metrics


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    """How an account's domains are discovered."""

    refresh: int = DEFAULT_REFRESH
    include: tuple[str, ...] = ()  # glob patterns; empty: every domain
    exclude: tuple[str, ...] = ()
    rate_limit: RateLimit = _DEFAULT_LIMIT

    def wants(self, domain: str) -> bool:
        """Whether a listed domain is kept: matches an include pattern (if any) and no
        exclude pattern; case-insensitive, as host names are."""
        name = domain.lower()
        if self.include and not any(fnmatchcase(name, p.lower()) for p in self.include):
            return False
        return not any(fnmatchcase(name, p.lower()) for p in self.exclude)


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a domain listing: the serving domains on it and the page count."""

    domains: tuple[str, ...]
    pages: int
    rejected: int = 0  # listed names that are not host names, left out


# Names already logged as rejected: each is logged once, not at every refresh. Bounded,
# as a listing is the provider's to fill.
_REPORTED: set[str] = set()
_REPORTED_MAX = 10_000


def host_names(listed: list[str], api: str) -> tuple[tuple[str, ...], int]:
    """The listed names that are host names (sent back to the provider and exported as
    `domain` labels), and how many others were left out; each left out is logged once."""
    kept = tuple(name for name in listed if HOSTNAME.fullmatch(name))
    rejected = [name for name in listed if not HOSTNAME.fullmatch(name)]
    new = [name for name in rejected if name not in _REPORTED]
    if new:
        log.warning(
            "%s listed %d name(s) that are not host names, left out: %s",
            api,
            len(new),
            ", ".join(repr(name[:80]) for name in new[:5]),
        )
        if len(_REPORTED) < _REPORTED_MAX:
            _REPORTED.update(new)
    return kept, len(rejected)


class MalformedListing(ValueError):
    """A listing answer without the documented shape."""


class Lister(Protocol):
    """A provider's domain listing API."""

    listing_limit: RateLimit  # the client-side default for the listing calls

    def build_listing_request(self, account: Any, page: int, now: float) -> HttpRequest:
        """Serialise, sign and address the call for page `page` (1-based)."""

    def classify_listing(self, response: HttpResponse) -> Classified:
        """Sort a listing answer into an outcome and decode its payload."""

    def parse_listing(self, payload: Any) -> ListingPage:
        """The domains of one page; MalformedListing if its shape is wrong."""


def settings_from(
    refresh: int | None,
    include: list[str],
    exclude: list[str],
    limit: RateLimit | None,
    default_limit: RateLimit,
) -> DiscoverySettings:
    """Runtime settings from the validated config values."""
    return DiscoverySettings(
        refresh=refresh or DEFAULT_REFRESH,
        include=tuple(include),
        exclude=tuple(exclude),
        rate_limit=limit or default_limit,
    )


def limit_problem(limit: RateLimit, default: RateLimit) -> str | None:
    """A configured listing limit may only lower the provider's default."""
    if limit.calls > default.calls or limit.calls / limit.period > default.calls / default.period:
        return (
            f"discovery.rate_limit: {limit.calls}/{limit.period}s is above the listing "
            f"API's budget of {default.calls}/{default.period}s"
        )
    return None
