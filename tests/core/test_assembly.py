"""The /metrics body joined from cached chunks is the full render, byte for byte, in both
formats and both codings, after any sequence of updates (no timing here)."""

from __future__ import annotations

import gzip
import zlib
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from collector.exposition import (
    BodyAssembler,
    FamilySamples,
    RenderedMetrics,
    SliceSamples,
)
from tests.core.rendering import openmetrics_from_text, render_families

# Owners are (provider, account) pairs, as the exporter's pollers are; each feeds some
# of the families, and several owners share a family.
OWNERS = [("wangsu", "a"), ("wangsu", "b"), ("cdnetworks", "a"), ("volcengine", "z")]
FAMILIES = {
    "cdn_traffic_bytes_total": ("counter", "Edge traffic in bytes", ("domain", "direction")),
    "cdn_bandwidth_bytes_per_second": ("gauge", 'Bandwidth\\ "bytes"\nper s', ("domain",)),
    "cdn_cache_hit_ratio": ("gauge", "Hit ratio", ("domain",)),
    "cdn_weird_counter": ("counter", "A counter without the suffix", ()),
}
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12).map(float),
)
DOMAINS = st.sampled_from(["www.example.com", 'we"ird\\one', "new\nline", "ü.example"])


def family_samples(owner: tuple[str, str], name: str, rows: dict[str, float]) -> FamilySamples:
    kind, help_text, labels = FAMILIES[name]
    samples = [((*owner, d, "down")[: 2 + len(labels)], v) for d, v in rows.items()]
    return FamilySamples(name, kind, help_text, ("provider", "account", *labels), samples)


UPDATE = st.tuples(
    st.sampled_from(range(len(OWNERS))),
    st.dictionaries(
        st.sampled_from(sorted(FAMILIES)), st.dictionaries(DOMAINS, VALUES, max_size=3), max_size=4
    ),
    st.booleans(),  # remove the owner instead
)


def full_render(state: dict[int, dict[str, dict[str, float]]]) -> bytes:
    merged: dict[str, FamilySamples] = {}
    for index in sorted(state):
        for name, rows in state[index].items():
            part = family_samples(OWNERS[index], name, rows)
            if name in merged:
                merged[name] = FamilySamples(
                    name,
                    part.kind,
                    part.help,
                    part.label_names,
                    [*merged[name].samples, *part.samples],
                )
            else:
                merged[name] = part
    return render_families(merged.values())


def members(data: bytes) -> list[bytes]:
    """The gzip members `data` holds (each must decode on its own)."""
    found = []
    while data:
        d = zlib.decompressobj(wbits=31)
        d.decompress(data)
        assert d.eof
        found.append(data[: len(data) - len(d.unused_data)])
        data = d.unused_data
    return found


def check(assembled: RenderedMetrics, expected: bytes) -> None:
    assert assembled.plain == expected
    assert gzip.decompress(assembled.gzipped) == expected
    assert assembled.openmetrics is not None
    om = assembled.openmetrics()
    assert om.plain == openmetrics_from_text(expected)
    assert gzip.decompress(om.gzipped) == om.plain


@settings(max_examples=150, deadline=None)
@given(st.lists(UPDATE, max_size=12))
def test_any_sequence_of_updates_assembles_the_full_render(
    updates: list[tuple[int, dict[str, dict[str, float]], bool]],
) -> None:
    assembler = BodyAssembler()
    state: dict[int, dict[str, dict[str, float]]] = {}
    check(assembler.assemble(), b"")
    for index, families, remove in updates:
        if remove:
            assembler.remove(OWNERS[index])
            state.pop(index, None)
        else:
            assembler.update(
                OWNERS[index],
                OWNERS[index],
                [family_samples(OWNERS[index], name, rows) for name, rows in families.items()],
            )
            state[index] = families
        check(assembler.assemble(), full_render(state))


def test_the_gzip_body_is_one_stream_of_cached_pieces_and_only_changed_chunks_change() -> None:
    assembler = BodyAssembler()
    for owner in OWNERS[:2]:
        assembler.update(
            owner, owner, [family_samples(owner, "cdn_cache_hit_ratio", {"www.example.com": 1.0})]
        )
    before = assembler.assemble()
    assert len(before.pieces) == 3  # one head, two owners' chunks
    # One gzip member (curl reads only the first of several).
    assert len(members(before.gzipped)) == 1
    assembler.update(
        OWNERS[1],
        OWNERS[1],
        [family_samples(OWNERS[1], "cdn_cache_hit_ratio", {"www.example.com": 0.5})],
    )
    after = assembler.assemble()
    # The unchanged owner's piece is reused as it was: nothing is compressed again.
    assert after.pieces[:2] == before.pieces[:2]
    assert after.pieces[1] is before.pieces[1]
    assert after.pieces[2] != before.pieces[2]
    assert after.plain.endswith(b"0.5\n")
    assert len(members(after.gzipped)) == 1


def test_slice_samples_carry_one_line_per_slice_stamped_with_its_end_in_milliseconds() -> None:
    nan = float("nan")
    rows = [("www.example.com", "edge"), ("img.example.com", "edge")]
    columns = [array("d", [1.5, nan]), array("d", [2.0, 3e9])]
    family = SliceSamples(
        "cdn_slice_traffic_bytes",
        "gauge",
        "Edge traffic",
        ("provider", "account", "domain", "direction"),
        ("wangsu", "a"),
        rows,
        (1_700_000_100, 1_700_000_400),
        columns,
        2,
        1,
    )
    assembler = BodyAssembler()
    assembler.update(("wangsu", "a"), ("wangsu", "a"), [family])
    body = assembler.assemble()
    prefix = 'cdn_slice_traffic_bytes{provider="wangsu",account="a",'
    assert body.plain.decode().splitlines() == [
        "# HELP cdn_slice_traffic_bytes Edge traffic",
        "# TYPE cdn_slice_traffic_bytes gauge",
        # Sorted by labels; per series oldest first; NaN (no value) is left out.
        prefix + 'domain="img.example.com",direction="edge"} 3000000000.0 1700000400000',
        prefix + 'domain="www.example.com",direction="edge"} 1.5 1700000100000',
        prefix + 'domain="www.example.com",direction="edge"} 2.0 1700000400000',
    ]
    assert gzip.decompress(body.gzipped) == body.plain
    (parsed,) = text_string_to_metric_families(body.plain.decode())
    assert [(s.value, s.timestamp) for s in parsed.samples][1:] == [
        (1.5, 1_700_000_100),
        (2.0, 1_700_000_400),
    ]
    # The same rows later (same version): the cached layout, new values.
    columns[0][1] = 4.0
    assembler.update(("wangsu", "a"), ("wangsu", "a"), [family])
    assert b'img.example.com",direction="edge"} 4.0 1700000100000' in assembler.assemble().plain
