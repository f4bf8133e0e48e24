"""What a provider is: a catalog of declarations, a sans-I/O request builder, a classifier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from collector.http import HttpRequest, HttpResponse
from collector.model import Outcome
from collector.providers.endpoint import (
    Endpoint,
    EndpointSettings,
    FanOut,
    MalformedResponse,
    Query,
    chunks,
)

AccountT = TypeVar("AccountT", contravariant=True)
"""The provider's own frozen account type (collector/providers/<name>/config.py)."""

__all__ = ["CallTarget", "Classified", "MalformedResponse", "Provider", "Query", "fan_out"]


@dataclass(frozen=True, slots=True)
class Classified:
    """A response sorted into an outcome; `payload` is the decoded body on success.
    A MALFORMED one has `decodes` False if its body is not the API's JSON at all
    (truncated, a proxy's page): the classifier's one decode says so for the retry
    decision, so nothing decodes the body again."""

    outcome: Outcome
    payload: Any = None
    message: str = ""
    retry_after: float | None = None
    decodes: bool = True


@dataclass(frozen=True, slots=True)
class CallTarget:
    """What one call of a window covers: its domains and its other fan-out values."""

    domains: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()


def fan_out(
    kind: FanOut, cap: int, domains: Sequence[str], scope: Sequence[str] = ()
) -> list[CallTarget]:
    """The calls one window takes under a declared fan-out. `cap` bounds a batch;
    `scope` holds the group or vhost values for the fan-outs that split on them."""
    if kind is FanOut.DOMAIN_BATCHES:
        return [CallTarget(domains=batch) for batch in chunks(domains, cap)]
    if kind is FanOut.PER_DOMAIN:
        return [CallTarget(domains=batch) for batch in chunks(domains, 1)]
    if kind is FanOut.GROUP_BATCHES:
        return [CallTarget(scope=batch) for batch in chunks(scope, cap)]
    if kind is FanOut.PER_VHOST:
        return [CallTarget(scope=batch) for batch in chunks(scope, 1)]
    return [CallTarget()]


class Provider(Protocol[AccountT]):
    """A CDN provider: its declarations and its wire protocol, free of I/O."""

    name: str
    catalog: Mapping[str, Endpoint]
    default_base_url: str

    def build_request(
        self, account: AccountT, spec: Endpoint, query: Query, now: float
    ) -> HttpRequest:
        """Serialise, sign and address one call."""

    def call_targets(self, account: AccountT, settings: EndpointSettings) -> list[CallTarget]:
        """The calls that cover one window, from the endpoint's declared fan-out."""

    def query_filters(self, account: AccountT) -> object:
        """The account's typed filters, carried by every query (None if it has none)."""

    def classify(self, response: HttpResponse) -> Classified:
        """Sort a response into an outcome and decode its payload."""
