"""Readers for decoded JSON answers that name the path of whatever is malformed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collector.providers.endpoint import MalformedResponse, Reason


def number(value: Any, where: str) -> float:
    """Read a provider number that may be a JSON string ("12.34") or a number; whether
    it is a value the exporter takes ("NaN" reads as a float) is `Unit.convert`'s call."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: expected a number, got {value!r}", Reason.WRONG_TYPE)
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise MalformedResponse(
                f"{where}: expected a number, got {value!r}", Reason.WRONG_TYPE
            ) from None
    else:
        raise MalformedResponse(f"{where}: expected a number, got {value!r}", Reason.WRONG_TYPE)
    return result


def field_of(obj: Any, key: str, where: str) -> Any:
    """`obj[key]` for a JSON object, or a MalformedResponse naming the path."""
    if not isinstance(obj, dict):
        raise MalformedResponse(
            f"{where}: expected an object, got {type(obj).__name__}", Reason.WRONG_TYPE
        )
    if key not in obj:
        raise MalformedResponse(f"{where}: missing field {key!r}", Reason.MISSING_FIELD)
    return obj[key]


def list_of(obj: Any, key: str, where: str, *, optional: bool = False) -> Sequence[Any]:
    """`obj[key]` as a list; `None` or a missing optional key reads as empty."""
    if not isinstance(obj, dict):
        raise MalformedResponse(
            f"{where}: expected an object, got {type(obj).__name__}", Reason.WRONG_TYPE
        )
    value = obj.get(key)
    if value is None:
        if optional or key in obj:
            return []
        raise MalformedResponse(f"{where}: missing list {key!r}", Reason.MISSING_FIELD)
    if not isinstance(value, list):
        raise MalformedResponse(
            f"{where}.{key}: expected a list, got {type(value).__name__}", Reason.WRONG_TYPE
        )
    return value


def text_of(obj: Any, key: str, where: str) -> str:
    """`obj[key]` as a JSON string (a name or label), or a MalformedResponse naming the path."""
    value = field_of(obj, key, where)
    if not isinstance(value, str):
        raise MalformedResponse(
            f"{where}.{key}: expected a string, got {type(value).__name__}", Reason.WRONG_TYPE
        )
    return value
