"""The CDNetworks spelling of a Wangsu report: its twin, applied as a pure key renaming."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from collector.providers.endpoint import Endpoint, Query

DIALECTS = ("cdnetworks", "wangsu")

# The fields of a wire shape (Nested, FlowData, AskedDomainsOnly) and of its parts
# (Level, Measure) that hold a key of the answer, and those holding parts.
_KEY_FIELDS = frozenset({"series", "top_label", "key", "label", "field"})
_PART_FIELDS = frozenset({"levels", "measures", "nested"})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Twin:
    """How CDNetworks spells one Wangsu report since its SDK's November 2025 rename
    (cdnetworks-brand-api.md §6): its path, the request keys (`dataInterval`/`type` ->
    `granularity`) and answer keys (`flowRequestData` -> `dataSeries`, ...) it renames,
    and its domain cap where it is higher. Families, labels and units stay the same."""

    path: str
    request: Mapping[str, str] = field(default_factory=dict, hash=False)
    answer: Mapping[str, str] = field(default_factory=dict, hash=False)
    max_domains_per_call: int | None = None  # None: the Wangsu cap
    sdk_model: str = ""

    def of(self, spec: Endpoint) -> Endpoint:
        """`spec` as CDNetworks spells it."""
        query = spec.build_query
        cap = spec.max_domains_per_call
        if self.max_domains_per_call is not None and cap > 1:
            # A report fanned out one domain a call (its answer names none) stays so.
            cap = self.max_domains_per_call
        return replace(
            spec,
            path=self.path,
            max_domains_per_call=cap,
            build_body=RenamedKeys(spec.build_body, self.request),
            build_query=None if query is None else RenamedKeys(query, self.request),
            shape=renamed(spec.shape, self.answer),
            sdk_model=self.sdk_model or spec.sdk_model,
        )


@dataclass(frozen=True, slots=True)
class RenamedKeys:
    """A body or query-string builder whose top-level keys are renamed."""

    build: Callable[[Query], dict[str, Any]]
    keys: Mapping[str, str] = field(hash=False)

    def __call__(self, query: Query) -> dict[str, Any]:
        return {self.keys.get(key, key): value for key, value in self.build(query).items()}


def renamed(shape: T, keys: Mapping[str, str]) -> T:
    """A frozen wire shape with every answer key in `keys` renamed: the series, level
    and label keys and the measures' fields, in its parts too (parsers stay generic)."""
    changes: dict[str, Any] = {}
    for f in fields(shape):  # type: ignore[arg-type]
        value = getattr(shape, f.name)
        if f.name in _KEY_FIELDS and isinstance(value, str):
            changes[f.name] = keys.get(value, value)
        elif f.name in _PART_FIELDS:
            if isinstance(value, tuple):
                changes[f.name] = tuple(renamed(part, keys) for part in value)
            else:
                changes[f.name] = renamed(value, keys)
    return replace(shape, **changes)  # type: ignore[type-var]
