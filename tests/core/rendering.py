"""The reference render the tests compare the exporter's cached body with: every family at
once, sorted by name, samples sorted by labels, no caching."""

from __future__ import annotations

from collections.abc import Iterable

from collector.app import Exporter
from collector.exposition import (
    FamilySamples,
    RenderedMetrics,
    escape_help,
    escape_label_value,
    format_value,
    openmetrics_header,
)
from collector.gzipjoin import Piece
from collector.providers import help_for
from collector.rendering import BASE_LABELS, endpoint_families


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


def rendered_of(body: bytes) -> RenderedMetrics:
    """A cached body holding `body` as one piece (what a render of it would serve)."""
    return RenderedMetrics([Piece.of(body)] if body else [])


def _next_head(body: bytes, pos: int) -> int:
    """Where the next line starting with `# HELP ` begins, or -1."""
    found = body.find(b"\n# HELP ", pos)
    return found + 1 if found >= 0 else -1


def openmetrics_from_text(body: bytes) -> bytes:
    """The OpenMetrics 1.0.0 form of a text-format body (without `# EOF`): sample lines
    are the same in both formats (no timestamps, the same escaping, `+Inf`/`NaN`), so only
    the HELP and TYPE lines heading each family change. Sample lines never start with `#`
    and escape their newlines, so a line starting `# HELP ` is always a family's head."""
    parts: list[bytes] = []
    pos = 0
    start = 0 if body.startswith(b"# HELP ") else _next_head(body, 0)
    while start >= 0:
        help_end = body.find(b"\n", start)
        type_end = body.find(b"\n", help_end + 1)
        if help_end < 0 or type_end < 0:
            raise ValueError("a HELP line without its TYPE line")
        name, _, help_text = body[start + len(b"# HELP ") : help_end].partition(b" ")
        type_line = body[help_end + 1 : type_end]
        prefix = b"# TYPE " + name + b" "
        if not type_line.startswith(prefix):
            raise ValueError(f"no TYPE line after the HELP of {name!r}")
        parts.append(body[pos:start])
        parts.append(openmetrics_header(name, help_text, type_line[len(prefix) :]))
        pos = type_end
        start = _next_head(body, pos)
    parts.append(body[pos:])
    return b"".join(parts)


def every_family(exporter: Exporter) -> list[FamilySamples]:
    """Every CDN family and freshness sample, read off the live stores' `series()` (not
    the rows the assembled body is built from), each family once."""
    merged: dict[str, FamilySamples] = {}
    for poller in exporter.pollers:
        base = (poller.provider.name, poller.account.name)
        for family, labels, value in poller.store.series():
            if family.name not in merged:
                names = (*BASE_LABELS, *family.labels)
                merged[family.name] = FamilySamples(
                    family.name, family.kind.value, help_for(family), names, []
                )
            samples = merged[family.name].samples
            assert isinstance(samples, list)
            samples.append(((*base, *labels), value))
    return [*merged.values(), *endpoint_families(exporter.pollers)]
