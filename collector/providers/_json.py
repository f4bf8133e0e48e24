"""Readers for decoded JSON answers that name the path of whatever is malformed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from collector.providers.endpoint import MalformedResponse


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
