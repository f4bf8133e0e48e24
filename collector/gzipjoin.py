"""One gzip stream joined from separately compressed pieces: each cached chunk is deflated
once, and a body of any chunks in any order is a single gzip member (curl decodes only the
first of several) without compressing anything again.

A piece is raw deflate blocks ending in a sync flush: byte-aligned and not final, so
pieces follow one another in one deflate stream, each referring only to its own text.
The stream's CRC-32 is combined from the pieces' CRCs the way zlib's `crc32_combine`
does, which Python's zlib does not offer; each piece keeps x^(8 * its length) modulo the
CRC polynomial, so a join costs one carry-less multiplication per piece.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, OS unknown
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


def _shift(size: int) -> int:
    """x^(8 * size) modulo the polynomial: what moves a CRC past `size` more bytes."""
    p, n, k = 1 << 31, size, 3  # x^0; 8 * size = size * 2^3
    while n:
        if n & 1:
            p = _multiply(_X2N[k], p)
        n >>= 1
        k += 1
    return p


@dataclass(frozen=True, slots=True)
class Piece:
    """Some text as raw deflate blocks, with what a join needs: the text's CRC-32, its
    length and x^(8 * length) modulo the CRC polynomial."""

    deflated: bytes
    crc: int
    size: int
    shift: int

    @classmethod
    def of(cls, text: bytes, level: int = 1) -> Piece:
        # Level 1: a tenth of level 9's cost, and the body only ~15% larger.
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        data = deflate.compress(text) + deflate.flush(zlib.Z_SYNC_FLUSH)
        return cls(data, zlib.crc32(text), len(text), _shift(len(text)))


def combine(crc: int, size: int, pieces: Iterable[Piece]) -> tuple[int, int]:
    """The CRC-32 and length of text of CRC `crc` and length `size` followed by `pieces`."""
    for piece in pieces:
        crc = _multiply(piece.shift, crc) ^ piece.crc
        size += piece.size
    return crc, size


def trailer(crc: int, size: int) -> bytes:
    """What ends a stream of text with CRC-32 `crc` and length `size`."""
    return _FINAL + struct.pack("<II", crc, size & 0xFFFFFFFF)


def stream(pieces: Iterable[Piece]) -> bytes:
    """One gzip member holding the pieces' texts in order."""
    pieces = list(pieces)
    crc, size = combine(0, 0, pieces)
    return b"".join([HEADER, *(p.deflated for p in pieces), trailer(crc, size)])


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
