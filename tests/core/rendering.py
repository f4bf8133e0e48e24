"""The reference render the tests compare the exporter's cached body with: every family at
once, sorted by name, samples sorted by labels, no caching."""

from __future__ import annotations

from collections.abc import Iterable

from collector.exposition import FamilySamples, escape_help, escape_label_value, format_value


def _series(family: FamilySamples, labels: tuple[str, ...]) -> str:
    if not family.label_names:
        return family.name
    pairs = ",".join(
        f'{n}="{escape_label_value(v)}"' for n, v in zip(family.label_names, labels, strict=True)
    )
    return f"{family.name}{{{pairs}}}"


def render_families(families: Iterable[FamilySamples]) -> bytes:
    """Text format 0.0.4 of `families`: what `BodyAssembler` must join byte for byte."""
    lines: list[str] = []
    for family in sorted(families, key=lambda f: f.name):
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in sorted(family.samples, key=lambda s: s[0]):
            lines.append(f"{_series(family, labels)} {format_value(value)}")
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
