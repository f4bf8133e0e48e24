"""The walker's fast path (no error paths, timestamps parsed once) gives exactly what the
careful per-item reader gives, and falls back to it for anything malformed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.model import Point, PointColumns
from collector.providers.endpoint import MalformedResponse, Query
from collector.providers.wangsu.catalog import CATALOG
from collector.providers.wangsu.wire import Nested
from collector.timeslices import Window

CST = 8 * 3600
QUERY = Query(
    endpoint="flow_request",
    domains=("a.example.com", "b.example.com"),
    window=Window(1_699_977_600, 1_699_977_600 + 3600, 300),
    offset_seconds=CST,
)
NESTED = CATALOG["flow_request"].shape
assert isinstance(NESTED, Nested)


def careful(payload: Any) -> list[Point]:
    """The per-item reader alone, as before the fast path."""
    out = PointColumns()
    for i, entry in enumerate(payload["result"]):
        for k, item in enumerate(entry["flowRequestData"]):
            NESTED._item(item, f"result[{i}].flowRequestData[{k}]", (entry["domain"],), CST, out)
    return list(out)


NUMBER = st.one_of(
    st.integers(0, 10**9),
    st.floats(0, 1e12, allow_nan=False),
    st.integers(0, 10**6).map(lambda n: f" {n / 100:.2f}"),
)
ITEM = st.fixed_dictionaries(
    {
        "timestamp": st.sampled_from(["2023-11-15 00:05", "2023-11-15 00:10", "2023-11-15 24:00"]),
        "flow": NUMBER,
        "bandwidth": NUMBER,
        "request": NUMBER,
    }
)


@settings(max_examples=100, deadline=None)
@given(st.lists(ITEM, max_size=6), st.lists(ITEM, max_size=6))
def test_fast_and_careful_agree(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    payload = {
        "result": [
            {"domain": "a.example.com", "flowRequestData": a},
            {"domain": "b.example.com", "flowRequestData": b},
        ]
    }
    fast = NESTED.parse(payload, QUERY)
    assert isinstance(fast, PointColumns)  # columns: no object built per point
    assert fast == careful(payload)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"flow": True}, "result[0].flowRequestData[1].flow: expected a number"),
        ({"flow": "-1"}, "result[0].flowRequestData[1].flow: negative value"),
        ({"flow": "nan"}, "result[0].flowRequestData[1].flow: not a finite number"),
        ({"timestamp": 5}, "result[0].flowRequestData[1].timestamp: expected a string"),
    ],
)
def test_a_malformed_item_gets_the_careful_readers_error(bad: dict[str, Any], says: str) -> None:
    good = {"timestamp": "2023-11-15 00:05", "flow": "1", "bandwidth": "1", "request": "1"}
    payload = {"result": [{"domain": "a.example.com", "flowRequestData": [good, {**good, **bad}]}]}
    with pytest.raises(MalformedResponse, match=says.replace("[", r"\[").replace("]", r"\]")):
        NESTED.parse(payload, QUERY)


@pytest.mark.parametrize("ratio", ["NaN", "nan", "Infinity", "-inf"])
def test_a_ratio_that_is_not_finite_is_refused_on_the_fast_path(ratio: str) -> None:
    spec = CATALOG["edge_hit_ratio"]
    assert isinstance(spec.shape, Nested)
    [measure] = spec.shape.measures
    item = {"timestamp": "2023-11-15 00:05", measure.field: ratio}
    payload = {"result": [{spec.shape.series: [item]}]}
    query = Query("edge_hit_ratio", ("a.example.com",), QUERY.window, CST)
    with pytest.raises(MalformedResponse, match="not a finite number") as caught:
        spec.parse(payload, query)
    assert caught.value.reason == "not_finite"
