"""One status vocabulary: provider status codes, class rows and type names as `1xx`..`other`."""

from __future__ import annotations

from collections.abc import Mapping

CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "other")
"""Every `status_class` label value, in order."""

# Class rows the status-code reports print beside (or instead of) single codes. An `all`
# row is the sum of the others: it maps to None so that nothing ever adds it to a sum.
_ROWS: Mapping[str, str | None] = {
    "1xx": "1xx",
    "2xx": "2xx",
    "3xx": "3xx",
    "4xx": "4xx",
    "5xx": "5xx",
    "others": "other",
    "other": "other",
    "all": None,
}

# Wangsu/CDNetworks `statusCodeType` names (queryBy=statusCodeType): Not-Modified is 304,
# Permission 403 and Not-Found 404, so each type falls inside one class.
_TYPES: Mapping[str, str] = {
    "success": "2xx",
    "redirect": "3xx",
    "not-modified": "3xx",
    "permission": "4xx",
    "not-found": "4xx",
    "server error": "5xx",
    "other": "other",
}


def class_of_code(code: int) -> str:
    """The class of one HTTP status code: 100-599 by hundreds, anything else `other`."""
    return f"{code // 100}xx" if 100 <= code <= 599 else "other"


def class_of_row(row: str) -> str | None:
    """The class of a status row as a report prints it: a code (`404`), a class row
    (`4XX`, `OTHERS`) or a type name (`Not-Found`); None for the `all` row, which is a
    total of the others and must never be added to them. Unknown names are `other`."""
    name = row.strip().lower()
    if name.isdigit():
        return class_of_code(int(name))
    if name in _ROWS:
        return _ROWS[name]
    return _TYPES.get(name, "other")


def is_total_row(row: str) -> bool:
    """Whether `row` is the `all` row: a total, never a part."""
    return class_of_row(row) is None
