"""Render metric families to Prometheus text format 0.0.4, once per poll, into bytes."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BASE_LABELS = ("provider", "account")


@dataclass(frozen=True, slots=True)
class FamilySamples:
    """One family and its samples; label values follow `label_names`."""

    name: str
    kind: str
    help: str
    label_names: tuple[str, ...]
    samples: Sequence[tuple[tuple[str, ...], float]]


def format_value(value: float) -> str:
    """Sample value as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, else shortest repr."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return repr(float(value))


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def render_families(families: Iterable[FamilySamples]) -> bytes:
    """Text exposition for `families`, sorted by name, samples sorted by labels."""
    lines: list[str] = []
    for family in sorted(families, key=lambda f: f.name):
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        names = family.label_names
        for labels, value in sorted(family.samples, key=lambda s: s[0]):
            if names:
                pairs = ",".join(
                    f'{n}="{escape_label_value(v)}"' for n, v in zip(names, labels, strict=True)
                )
                lines.append(f"{family.name}{{{pairs}}} {format_value(value)}")
            else:
                lines.append(f"{family.name} {format_value(value)}")
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


@dataclass(frozen=True, slots=True)
class RenderedMetrics:
    """A rendered body and its gzip form, served unchanged to every scrape."""

    plain: bytes
    gzipped: bytes

    @classmethod
    def of(cls, body: bytes) -> RenderedMetrics:
        # Level 6 is aiohttp's default: a third of level 9's cost for ~10% larger bodies.
        return cls(plain=body, gzipped=gzip.compress(body, compresslevel=6))
