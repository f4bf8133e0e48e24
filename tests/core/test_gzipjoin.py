"""Pieces deflated apart join into one gzip stream whose CRC-32 zlib agrees with."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.gzipjoin import (
    _X2N,
    Piece,
    _advance,
    _multiply,
    combine,
    crc32_combine_by_hand,
    stream,
    trailer,
)

TEXTS = st.lists(st.binary(max_size=3000) | st.text(max_size=2000).map(str.encode), max_size=8)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_pieces_join_into_a_single_member_holding_their_texts(texts: list[bytes]) -> None:
    pieces = [Piece.of(text) for text in texts]
    joined = stream(pieces)
    whole = b"".join(texts)
    reader = zlib.decompressobj(wbits=31)
    assert reader.decompress(joined) == whole
    # Exactly one member, complete: what curl and browsers read.
    assert reader.eof
    assert reader.unused_data == b""
    assert gzip.decompress(joined) == whole
    assert combine(0, 0, pieces) == (zlib.crc32(whole), len(whole))
    # The hand-written combine, whether or not this Python's zlib has its own.
    crc = 0
    for piece in pieces:
        crc = crc32_combine_by_hand(crc, piece.crc, piece.size)
    assert crc == zlib.crc32(whole)


def test_a_crc_carries_on_over_later_pieces() -> None:
    first, second = b"cdn_up 1.0\n" * 1000, b"cdn_exporter_build_info 1.0\n"
    crc, size = combine(zlib.crc32(first), len(first), [Piece.of(second)])
    assert crc == zlib.crc32(first + second)
    assert size == len(first + second)
    assert trailer(crc, size).endswith(len(first + second).to_bytes(4, "little"))


def test_level_zero_stores_the_text_in_blocks_of_at_most_65535_bytes() -> None:
    for text in (b"", b"x" * 10_000, bytes(range(256)) * 700):  # 179,200 bytes: 3 blocks
        stored = Piece.of(text, level=0)
        blocks = -(-len(text) // 0xFFFF)
        assert len(stored.deflated) == len(text) + 5 * blocks
        assert gzip.decompress(stream([stored])) == text
    assert len(Piece.of(b"x" * 10_000).deflated) < 1_000


@pytest.mark.parametrize("size", [0, 1, 255, 65_535, 65_536, 1 << 20, 12_345_678, 2**33 + 7])
def test_the_crc_tables_agree_with_plain_multiplication(size: int) -> None:
    crc = 0x1234ABCD
    expected, n, k = crc, size, 3  # crc * x^(8 * size), one bit of 8 * size at a time
    while n:
        if n & 1:
            expected = _multiply(_X2N[k], expected)
        n >>= 1
        k += 1
    assert _advance(crc, size) == expected
