"""One gzip stream joined from separately compressed pieces: each cached chunk is deflated
once, and a body of any chunks in any order is a single gzip member (curl decodes only the
first of several) without compressing anything again.

A piece is raw deflate blocks ending in a sync flush: byte-aligned and not final, so
pieces follow one another in one deflate stream, each referring only to its own text.
The stream's CRC-32 is combined from the pieces' CRCs with zlib's `crc32_combine` when
the running Python's zlib module offers it, else by hand the way zlib does it: moving a
CRC past n bytes multiplies it by x^(8n) modulo the CRC polynomial, a few table lookups
per piece.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, OS unknown
_FINAL = b"\x03\x00"  # an empty final block with fixed codes
_POLY = 0xEDB88320  # CRC-32, bit-reflected


def _multiply(a: int, b: int) -> int:
    """a(x) * b(x) modulo the CRC polynomial (bit-reflected: bit 31 is x^0)."""
    m = 1 << 31
    product = 0
    while a:
        if a & m:
            product ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _powers() -> list[int]:
    """x^(2^k) modulo the polynomial, k = 0..63."""
    table, p = [], 1 << 30  # x^1
    for _ in range(64):
        table.append(p)
        p = _multiply(p, p)
    return table


_X2N = _powers()
# Multiplying by a fixed x^(2^k) is linear: per k, what each byte of the other factor
# contributes, built the first time k is needed (a few dozen k cover any length).
_BY_BYTE: dict[int, tuple[list[int], ...]] = {}


def _times_x2n(k: int, b: int) -> int:
    """x^(2^k) * b(x) modulo the polynomial, a table lookup per byte of `b`."""
    tables = _BY_BYTE.get(k)
    if tables is None:
        a = _X2N[k]
        tables = _BY_BYTE[k] = tuple(
            [_multiply(a, byte << shift) for byte in range(256)] for shift in (0, 8, 16, 24)
        )
    t0, t1, t2, t3 = tables
    return t0[b & 0xFF] ^ t1[(b >> 8) & 0xFF] ^ t2[(b >> 16) & 0xFF] ^ t3[b >> 24]


def _advance(crc: int, size: int) -> int:
    """crc(x) * x^(8 * size) modulo the polynomial: a CRC moved past `size` more bytes."""
    n, k = size, 3  # 8 * size = size * 2^3
    while n:
        if n & 1:
            crc = _times_x2n(k, crc)
        n >>= 1
        k += 1
    return crc


def crc32_combine_by_hand(crc1: int, crc2: int, size2: int) -> int:
    """zlib's crc32_combine: the CRC-32 of A then B from A's CRC, B's CRC and B's length."""
    return _advance(crc1, size2) ^ crc2


_crc32_combine: Callable[[int, int, int], int] = (
    getattr(zlib, "crc32_combine", None) or crc32_combine_by_hand
)


def _stored(text: bytes) -> bytes:
    """`text` as stored (uncompressed) deflate blocks, none final: deflate level 0."""
    blocks: list[bytes] = []
    for start in range(0, len(text), 0xFFFF):
        part = text[start : start + 0xFFFF]
        blocks += (struct.pack("<BHH", 0, len(part), len(part) ^ 0xFFFF), part)
    return b"".join(blocks)


@dataclass(frozen=True, slots=True)
class Piece:
    """Some text as raw deflate blocks, with what a join needs: its CRC-32 and length."""

    deflated: bytes
    crc: int
    size: int

    @classmethod
    def of(cls, text: bytes, level: int = 1) -> Piece:
        """Level 1 by default: a tenth of level 9's cost, the body only ~15% larger."""
        if level == 0:
            data = _stored(text)
        else:
            # A small text pays more for zlib's hash tables than for compressing: smaller
            # tables for it (memLevel 4 costs big texts 2% in size).
            deflate = zlib.compressobj(level, zlib.DEFLATED, -15, 4 if len(text) < 1 << 16 else 8)
            data = deflate.compress(text) + deflate.flush(zlib.Z_SYNC_FLUSH)
        return cls(data, zlib.crc32(text), len(text))


def combine(crc: int, size: int, pieces: Iterable[Piece]) -> tuple[int, int]:
    """The CRC-32 and length of text of CRC `crc` and length `size` followed by `pieces`
    (zlib's crc32_combine, one piece after the other)."""
    crc32_combine = _crc32_combine
    for piece in pieces:
        crc = crc32_combine(crc, piece.crc, piece.size)
        size += piece.size
    return crc, size


def trailer(crc: int, size: int) -> bytes:
    """What ends a stream of text with CRC-32 `crc` and length `size`."""
    return _FINAL + struct.pack("<II", crc, size & 0xFFFFFFFF)


def opening(pieces: Sequence[Piece]) -> tuple[bytes, int, int]:
    """A gzip stream's start holding the pieces' texts in order (more pieces and the
    `trailer` may follow), with that text's CRC-32 and length."""
    crc, size = combine(0, 0, pieces)
    return b"".join([_HEADER, *(p.deflated for p in pieces)]), crc, size


def stream(pieces: Sequence[Piece]) -> bytes:
    """One gzip member holding the pieces' texts in order."""
    start, crc, size = opening(pieces)
    return start + trailer(crc, size)


def inflate(deflated: bytes, piece_size: int) -> Iterable[bytes]:
    """The text of a piece's deflate blocks, at most `piece_size` bytes at a time."""
    inflater = zlib.decompressobj(wbits=-15)
    data = deflated
    while data:
        out = inflater.decompress(data, piece_size)
        data = inflater.unconsumed_tail
        if out:
            yield out
    if tail := inflater.flush():
        yield tail
