"""What a provider is: an endpoint catalog, a sans-I/O request builder and a classifier."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from collector.http import HttpRequest, HttpResponse
from collector.model import Family, Outcome, Point, RateLimit
from collector.timeslices import Window

if TYPE_CHECKING:
    from collector.config.schema import Account


class MalformedResponse(ValueError):
    """A response body that does not have the documented shape."""


@dataclass(frozen=True, slots=True)
class Query:
    """One call's worth of work: which domains, which window, which filters."""

    endpoint: str
    domains: tuple[str, ...]
    window: Window
    offset_seconds: int
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Classified:
    """A response sorted into an outcome; `payload` is the decoded body on success."""

    outcome: Outcome
    payload: Any = None
    message: str = ""
    retry_after: float | None = None


BodyBuilder = Callable[[Query], dict[str, Any]]
CallPlan = list[tuple[tuple[str, ...], dict[str, Any]]]
"""The calls one window of an endpoint takes: (domains, options) per call."""
Parser = Callable[[Any, Query], list[Point]]


@dataclass(frozen=True)
class EndpointSpec:
    """One report endpoint, as data: everything the planner, poller and emulator need."""

    name: str  # config key and `endpoint` label, e.g. "flow_request"
    path: str  # URL path (Wangsu) or Action name (Volcengine)
    method: str
    rate_limit: RateLimit
    max_domains_per_call: int  # 0: the endpoint takes no domain list
    granularities: tuple[int, ...]  # allowed slice lengths in seconds, default first
    max_span: int  # longest window one call may ask for, seconds
    data_delay: int  # documented data delay: the default settle delay, seconds
    envelope: str  # "result" | "code-data" | "volcengine"
    families: tuple[Family, ...]
    build_body: BodyBuilder
    parse: Parser
    opt_in: bool = False  # breakdowns that multiply series are off unless enabled
    description: str = ""


class Provider(Protocol):
    """A CDN provider: its catalog and its wire protocol, free of I/O."""

    name: str
    catalog: Mapping[str, EndpointSpec]
    default_base_url: str

    def build_request(
        self, account: Account, spec: EndpointSpec, query: Query, now: float
    ) -> HttpRequest:
        """Serialise, sign and address one call."""

    def call_plan(self, account: Account, spec: EndpointSpec) -> CallPlan:
        """The calls that cover one window: domain batches and their options."""

    def classify(self, response: HttpResponse) -> Classified:
        """Sort a response into an outcome and decode its payload."""


def chunks(values: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Split `values` into calls of at most `size`; nothing to split is one empty call."""
    if not values or size <= 0:
        return [()]
    return [tuple(values[i : i + size]) for i in range(0, len(values), size)]


def number(value: Any, where: str) -> float:
    """Read a provider number that may be a JSON string ("12.34") or a number."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise MalformedResponse(f"{where}: expected a number, got {value!r}") from None
    else:
        raise MalformedResponse(f"{where}: expected a number, got {value!r}")
    if not math.isfinite(result):
        raise MalformedResponse(f"{where}: not a finite number: {value!r}")
    return result


def field_of(obj: Any, key: str, where: str) -> Any:
    """`obj[key]` for a JSON object, or a MalformedResponse naming the path."""
    if not isinstance(obj, dict):
        raise MalformedResponse(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise MalformedResponse(f"{where}: missing field {key!r}")
    return obj[key]


def list_of(obj: Any, key: str, where: str, *, optional: bool = False) -> Sequence[Any]:
    """`obj[key]` as a list; `None` or a missing optional key reads as empty."""
    if not isinstance(obj, dict):
        raise MalformedResponse(f"{where}: expected an object, got {type(obj).__name__}")
    value = obj.get(key)
    if value is None:
        if optional or key in obj:
            return []
        raise MalformedResponse(f"{where}: missing list {key!r}")
    if not isinstance(value, list):
        raise MalformedResponse(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return value
