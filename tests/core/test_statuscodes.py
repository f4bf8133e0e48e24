"""The status vocabulary: codes, class rows and type names map to one set of classes."""

from __future__ import annotations

import pytest

from collector.statuscodes import CLASSES, class_of_code, class_of_row, is_total_row


@pytest.mark.parametrize(
    ("code", "expected"),
    [(100, "1xx"), (200, "2xx"), (206, "2xx"), (304, "3xx"), (404, "4xx"), (499, "4xx"),
     (500, "5xx"), (599, "5xx"), (0, "other"), (99, "other"), (600, "other"), (-1, "other")],
)  # fmt: skip
def test_a_code_falls_in_its_hundred(code: int, expected: str) -> None:
    assert class_of_code(code) == expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [("1XX", "1xx"), ("2XX", "2xx"), ("3xx", "3xx"), ("4XX", "4xx"), ("5XX", "5xx"),
     ("OTHERS", "other"), ("502", "5xx"), ("200", "2xx"), ("Success", "2xx"),
     ("Redirect", "3xx"), ("Not-Modified", "3xx"), ("Permission", "4xx"),
     ("Not-Found", "4xx"), ("Server Error", "5xx"), ("Other", "other"),
     ("something new", "other")],
)  # fmt: skip
def test_rows_and_type_names_map_to_one_vocabulary(row: str, expected: str) -> None:
    assert class_of_row(row) == expected
    assert expected in CLASSES
    assert not is_total_row(row)


@pytest.mark.parametrize("row", ["all", "ALL", " all "])
def test_the_all_row_is_never_a_class(row: str) -> None:
    assert class_of_row(row) is None
    assert is_total_row(row)
