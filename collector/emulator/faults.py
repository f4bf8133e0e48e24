"""The emulator's injected faults and error bursts: what they are, how an answer is altered
for one, and how they are read from the fault API's JSON."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

log = logging.getLogger(__name__)


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"  # HTTP 5xx
    THROTTLE = "throttle"  # the provider's throttle answer, without a real violation
    TIMEOUT = "timeout"  # no answer for `fault_delay` real seconds
    MALFORMED = "malformed"  # HTTP 200 with a truncated JSON body
    ERROR_CODE = "error_code"  # HTTP 200 whose body carries an error code
    RESET = "reset"  # the connection is dropped without an answer
    NOT_FINITE = "not_finite"  # HTTP 200, the real answer with every series value "NaN"
    TOO_LARGE = "too_large"  # HTTP 200, the real answer padded past `oversize_bytes`
    DEEP_XML = "deep_xml"  # HTTP 200, an XML body nested `DEEP_XML_LEVELS` elements deep


# Far past any parser's depth bound, yet small on the wire (7 KB).
DEEP_XML_LEVELS = 1_000


@dataclass(slots=True)
class Fault:
    """A pending injected fault: fires on the next `remaining` matching calls."""

    kind: FaultKind
    remaining: int
    endpoint: str | None = None  # None: any endpoint
    account: str | None = None  # None: any account

    def matches(self, endpoint: str, account: str) -> bool:
        return self.endpoint in (None, endpoint) and self.account in (None, account)


@dataclass(frozen=True, slots=True)
class ErrorBurst:
    """A stretch of emulator time when `share` of the requests of `account`'s `domain`
    (None: every account, every domain) end in 5xx: the status-code reports show it in
    every slice overlapping [start, end), and the ground truth counts it."""

    start: float
    end: float
    share: float
    account: str | None = None
    domain: str | None = None

    def covers(self, account: str, domain: str, start: float, end: float) -> bool:
        return (
            self.account in (None, account)
            and self.domain in (None, domain)
            and start < self.end
            and self.start < end
        )


# The faults that answer with the real body altered (not an error of their own).
ALTERING = frozenset({FaultKind.MALFORMED, FaultKind.NOT_FINITE, FaultKind.TOO_LARGE})


def series_not_finite(body: bytes) -> bytes:
    """A JSON answer with every number inside a list item (the series values, not the
    envelope's codes) turned into the string "NaN", as a broken provider prints it."""

    def walk(node: Any, in_item: bool) -> Any:
        if isinstance(node, list):
            return [walk(item, True) for item in node]
        if isinstance(node, dict):
            return {key: walk(value, in_item) for key, value in node.items()}
        if in_item and _numeric(node):
            return "NaN"
        return node

    try:
        return orjson.dumps(walk(orjson.loads(body), False))
    except orjson.JSONDecodeError:
        return body  # not JSON (an XML answer): served as it is


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            return math.isfinite(float(value))
        except ValueError:
            return False
    return False


def fault_from_json(data: Any) -> tuple[str | None, FaultKind, int, str | None]:
    """Read `{"endpoint", "kind", "count", "account"}` (the admin route's body)."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    endpoint = data.get("endpoint")
    account = data.get("account")
    count = data.get("count", 1)
    if endpoint is not None and not isinstance(endpoint, str):
        raise ValueError("endpoint must be a string or null")
    if account is not None and not isinstance(account, str):
        raise ValueError("account must be a string or null")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("count must be a positive integer")
    try:
        kind = FaultKind(str(data.get("kind")))
    except ValueError:
        raise ValueError(f"kind must be one of {[k.value for k in FaultKind]}") from None
    return endpoint, kind, count, account


def burst_from_json(data: Any) -> dict[str, Any]:
    """Read `{"seconds", "share", "account"?, "domain"?, "start"?}` (the admin route's body)
    as keyword arguments of `Emulator.add_error_burst`."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    out: dict[str, Any] = {}
    for key in ("seconds", "share", "start"):
        value = data.get(key)
        if value is None and key == "start":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number")
        out[key] = float(value)
    for key in ("account", "domain"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be a string or null")
        out[key] = value
    return out
