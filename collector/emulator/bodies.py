"""Request-body checks the emulated routes share: a JSON object of known keys, string lists.

Each provider words the refusal itself: `bad` turns a message into its Reject.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import orjson

from collector.emulator.core import Reject

Bad = Callable[[str], Reject]


def json_object(raw: bytes, known: Collection[str], bad: Bad) -> dict[str, Any]:
    """The body as a JSON object (an empty body is `{}`) holding only `known` keys."""
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        raise bad("the body is not JSON") from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise bad(f"unknown parameters: {', '.join(unknown)}")
    return body


def string_list(body: dict[str, Any], key: str, bad: Bad) -> list[str] | None:
    """`body[key]` as a list of strings, or None when it is absent."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"{key} must be a list of strings")
    return value
