"""Render metric families to Prometheus text format 0.0.4, once per poll, into bytes."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from collector import gzipjoin
from collector.gzipjoin import Piece

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


# repr's spellings of the values Prometheus spells its own way.
_SPECIAL_VALUES = {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}


def format_value(value: float) -> str:
    """Sample value as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, else shortest repr
    (repr gives "1e+16" and "1234.5" alike; Prometheus parses both forms)."""
    text = repr(float(value))
    if text[-1] in "fn":  # inf, -inf, nan
        return _SPECIAL_VALUES[text]
    return text


def escape_label_value(value: str) -> str:
    if "\\" not in value and '"' not in value and "\n" not in value:
        return value
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _series_prefix(name: str, label_names: tuple[str, ...], labels: tuple[str, ...]) -> str:
    if not label_names:
        return name + " "
    pairs = ",".join(
        f'{n}="{escape_label_value(v)}"' for n, v in zip(label_names, labels, strict=True)
    )
    return f"{name}{{{pairs}}} "


class RenderedMetrics:
    """A rendered body, served unchanged to every scrape, kept as its chunks' deflate
    pieces (a tenth of the text): a gzip scrape gets them as one gzip stream (the pieces
    and their combined CRC joined once, at the first gzip scrape after the render, then
    the scrape's own pieces and the trailer), an identity scrape their text inflated
    piece by piece, so the text itself is never kept."""

    __slots__ = ("_joined", "openmetrics", "pieces", "size")

    def __init__(
        self, pieces: Sequence[Piece], openmetrics: Callable[[], RenderedMetrics] | None = None
    ) -> None:
        self.pieces: tuple[Piece, ...] = tuple(pieces)
        self.size = sum(p.size for p in self.pieces)  # the identity body's Content-Length
        self._joined: tuple[bytes, int, int] | None = None  # gzipjoin.opening(pieces)
        # The same samples with OpenMetrics family heads (no `# EOF`), joined at the first
        # scrape that asks; None for that OpenMetrics body itself.
        self.openmetrics = openmetrics

    def plain_parts(self) -> Iterator[bytes]:
        """The text, in pieces of at most `_PIECE` bytes (an identity scrape of a large
        body yields to the event loop between them)."""
        for piece in self.pieces:
            yield from gzipjoin.inflate(piece.deflated, _PIECE)

    @property
    def plain(self) -> bytes:
        """The whole text (not kept: whoever asks pays the inflation)."""
        return b"".join(self.plain_parts())

    def gzip_parts(self, *extra: Piece) -> tuple[bytes, ...]:
        """One gzip stream of the body then `extra`: the gzip header and the body's pieces
        (joined once), each extra piece, the trailer."""
        if self._joined is None:
            self._joined = gzipjoin.opening(self.pieces)
        joined, crc, size = self._joined
        crc, size = gzipjoin.combine(crc, size, extra)
        return (joined, *(p.deflated for p in extra), gzipjoin.trailer(crc, size))

    @property
    def gzipped(self) -> bytes:
        return b"".join(self.gzip_parts())


_PIECE = 1 << 18  # about a millisecond to inflate


def openmetrics_header(name: bytes, help_text: bytes, kind: bytes) -> bytes:
    if kind == b"counter":
        if name.endswith(b"_total"):
            # An OpenMetrics counter family is named without `_total`; its samples keep it.
            name = name.removesuffix(b"_total")
        else:
            kind = b"unknown"  # an OpenMetrics counter's samples must end in _total
    # The text format escapes backslash and newline in HELP; OpenMetrics also `"`.
    help_text = help_text.replace(b'"', b'\\"')
    return b"# TYPE %s %s\n# HELP %s %s" % (name, kind, name, help_text)


_EMPTY = Piece.of(b"")


@dataclass(slots=True)
class _Head:
    """A family's HELP and TYPE lines, in both formats."""

    kind: str
    help: str
    text: Piece
    openmetrics: Piece

    @classmethod
    def of(cls, name: str, kind: str, help_text: str, level: int) -> _Head:
        escaped = escape_help(help_text)
        text = f"# HELP {name} {escaped}\n# TYPE {name} {kind}\n".encode()
        om = openmetrics_header(name.encode(), escaped.encode(), kind.encode()) + b"\n"
        return cls(kind, help_text, Piece.of(text, level), Piece.of(om, level))


@dataclass(frozen=True, slots=True)
class RowSamples:
    """A family's samples as a store keeps them: row r is `rows[r]` labels (after
    `base`) with `values[r]`, exported unless `ends[r]` is `hidden`. `version` changes
    whenever rows come or go, so the sorted order and the escaped prefixes are built
    once per version, not per render."""

    name: str
    kind: str
    help: str
    label_names: tuple[str, ...]  # base names first
    base: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    values: Sequence[float]
    ends: Sequence[int]
    count: int
    version: int
    hidden: int


@dataclass(slots=True)
class _Owner:
    order: tuple[str, ...]
    chunks: dict[str, Piece] = field(default_factory=dict)  # family name -> its samples
    prefixes: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict)
    # family name -> (version, count, sorted rows, their prefixes)
    layouts: dict[str, _Layout] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SliceSamples:
    """A family's retained slices as a store keeps them, each sample stamped with its
    slice's end: row r is `rows[r]` labels (after `base`), `columns[i][r]` its value of
    the slice ending at `ends[i]` (NaN: none). Layouts are cached per `version` as for
    `RowSamples`."""

    name: str
    kind: str
    help: str
    label_names: tuple[str, ...]  # base names first
    base: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    ends: Sequence[int]  # ascending, Unix seconds
    columns: Sequence[Sequence[float]]
    count: int
    version: int


@dataclass(frozen=True, slots=True)
class _Layout:
    """How a store family's rows are written while its rows stay the same (`version`,
    `count`): their sorted `order`, the text every line starts with (`head`: the name and
    the base labels, shared by the whole chunk) and each row's own escaped labels
    (`tails`, in `order`), so a series keeps only its own part of the prefix."""

    version: int
    count: int
    order: Sequence[int]
    head: str
    tails: list[str]

    def join(self, lines: list[str]) -> bytes:
        """The chunk of `lines` (each a tail and what follows it), every one headed."""
        if not lines:
            return b""
        head = self.head
        return (head + ("\n" + head).join(lines) + "\n").encode("utf-8")


def _layout(family: RowSamples | SliceSamples, old: _Layout | None) -> _Layout:
    """The rows' sorted order and escaped labels: reused while the rows are the same."""
    if old is not None and old.version == family.version and old.count == family.count:
        return old
    rows = family.rows
    # An int array, not a list: 8 bytes a series instead of 36.
    order = array("l", sorted(range(family.count), key=rows.__getitem__))
    names = family.label_names
    if not names:
        return _Layout(family.version, family.count, order, family.name, [" "] * len(order))
    base = [f'{n}="{escape_label_value(v)}"' for n, v in zip(names, family.base, strict=False)]
    own = names[len(family.base) :]
    head = f"{family.name}{{{','.join(base)}{',' if base and own else ''}"
    tails = [
        ",".join(f'{n}="{escape_label_value(v)}"' for n, v in zip(own, rows[r], strict=True)) + "} "
        for r in order
    ]
    return _Layout(family.version, family.count, order, head, tails)


def _slice_lines(family: SliceSamples, old: _Layout | None) -> tuple[bytes, _Layout]:
    """A slice family's sample lines: per series (sorted), one per slice, oldest first,
    each ending in the slice end in milliseconds (the text format's timestamps)."""
    layout = _layout(family, old)
    stamps = [f" {end * 1000}" for end in family.ends]
    columns = family.columns
    lines: list[str] = []
    append = lines.append
    for tail, r in zip(layout.tails, layout.order, strict=True):
        for stamp, column in zip(stamps, columns, strict=True):
            value = column[r]
            if value == value:  # NaN: the series has no value for this slice
                append(tail + format_value(value) + stamp)
    return layout.join(lines), layout


def _row_lines(family: RowSamples, old: _Layout | None) -> tuple[bytes, _Layout]:
    """A family's sample lines from store rows, reusing the layout if rows are the same."""
    layout = _layout(family, old)
    values, ends, hidden = family.values, family.ends, family.hidden
    lines: list[str] = []
    append = lines.append
    for tail, r in zip(layout.tails, layout.order, strict=True):
        if ends[r] != hidden:
            append(tail + format_value(values[r]))
    return layout.join(lines), layout


def _sample_lines(
    name: str,
    label_names: tuple[str, ...],
    samples: Sequence[tuple[tuple[str, ...], float]],
    old: dict[tuple[str, ...], str],
) -> tuple[bytes, dict[tuple[str, ...], str]]:
    """A family's sample lines (sorted by labels) and the prefixes they used."""
    new: dict[tuple[str, ...], str] = {}
    lines: list[str] = []
    append = lines.append
    for labels, value in sorted(samples, key=itemgetter(0)):
        prefix = old.get(labels)
        if prefix is None:
            prefix = _series_prefix(name, label_names, labels)
        new[labels] = prefix
        append(prefix + format_value(value))
    if not lines:
        return b"", new
    lines.append("")
    return "\n".join(lines).encode("utf-8"), new


class BodyAssembler:
    """The /metrics body built from cached chunks, one per (family, owner).

    An owner (one endpoint of one account, say) replaces only its own chunks when it
    changes; the body is then joined from every chunk, families sorted by name with one
    HELP/TYPE head each, owners in `order` within a family. Each chunk is deflated once
    (`gzipjoin.Piece`) and the gzip body is one stream of those pieces; the OpenMetrics
    body swaps only
    the family heads. With each owner's samples sorted and owners' orders separating
    their label values (provider, account first), the result is byte for byte a render
    of every family at once.
    """

    def __init__(self, *, level: int = 1) -> None:
        self._owners: dict[Hashable, _Owner] = {}
        self._heads: dict[str, _Head] = {}
        self.level = level  # of deflate; 0 stores the text (the benchmark's plain figure)

    def update(
        self,
        owner: Hashable,
        order: tuple[str, ...],
        families: Iterable[FamilySamples | RowSamples | SliceSamples],
    ) -> None:
        """Replace `owner`'s chunks with `families` (rendered now). A `RowSamples` family
        without an exported row is left out, as a store's `series()` leaves it out."""
        current = self._owners.get(owner)
        old_prefixes = current.prefixes if current is not None else {}
        old_layouts = current.layouts if current is not None else {}
        fresh = _Owner(order)
        for family in families:
            if isinstance(family, RowSamples | SliceSamples):
                old_layout = old_layouts.get(family.name)
                if isinstance(family, RowSamples):
                    data, layout = _row_lines(family, old_layout)
                else:
                    data, layout = _slice_lines(family, old_layout)
                fresh.layouts[family.name] = layout
                if not data:
                    continue
            else:
                data, prefixes = _sample_lines(
                    family.name,
                    family.label_names,
                    family.samples,
                    old_prefixes.get(family.name, {}),
                )
                fresh.prefixes[family.name] = prefixes
            fresh.chunks[family.name] = Piece.of(data, self.level) if data else _EMPTY
            head = self._heads.get(family.name)
            if head is None or head.kind != family.kind or head.help != family.help:
                self._heads[family.name] = _Head.of(
                    family.name, family.kind, family.help, self.level
                )
        self._owners[owner] = fresh
        self._drop_unused_heads()

    def remove(self, owner: Hashable) -> None:
        if self._owners.pop(owner, None) is not None:
            self._drop_unused_heads()

    def owners(self) -> list[Hashable]:
        return list(self._owners)

    def _drop_unused_heads(self) -> None:
        used = {name for owner in self._owners.values() for name in owner.chunks}
        for name in [n for n in self._heads if n not in used]:
            del self._heads[name]

    def assemble(self) -> RenderedMetrics:
        """The body in both formats as the cached chunks in order: no text is compressed
        again, so a small poll costs its own chunks and a list of pieces."""
        owners = sorted(self._owners.values(), key=lambda o: o.order)
        parts: list[tuple[_Head, list[Piece]]] = []
        for name in sorted(self._heads):
            chunks = [c for o in owners if (c := o.chunks.get(name)) is not None and c.size]
            parts.append((self._heads[name], chunks))

        def body(openmetrics: bool) -> list[Piece]:
            pieces = []
            for head, chunks in parts:  # immutable chunks of this assembly
                pieces.append(head.openmetrics if openmetrics else head.text)
                pieces.extend(chunks)
            return pieces

        return RenderedMetrics(body(False), lambda: RenderedMetrics(body(True)))
