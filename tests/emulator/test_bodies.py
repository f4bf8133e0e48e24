"""The shared body checks refuse what a route cannot read, in the route's own words."""

from __future__ import annotations

import pytest

from collector.emulator.bodies import json_object, string_list
from collector.emulator.core import CallResult, Reject


def bad(message: str) -> Reject:
    return Reject(400, "Bad", message, CallResult.BAD_REQUEST)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"{", "not JSON"), (b"[]", "JSON object"), (b'{"a": 1, "z": 2}', "unknown parameters: z")],
)
def test_a_body_that_is_not_an_object_of_known_keys_is_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(Reject, match=reason):
        json_object(raw, {"a"}, bad)


def test_an_empty_body_is_an_empty_object_and_lists_are_typed() -> None:
    assert json_object(b"  ", {"a"}, bad) == {}
    body = json_object(b'{"a": ["x", "y"]}', {"a"}, bad)
    assert string_list(body, "a", bad) == ["x", "y"]
    assert string_list(body, "missing", bad) is None
    with pytest.raises(Reject, match="a must be a list of strings"):
        string_list({"a": ["x", 1]}, "a", bad)
