"""HTTP content negotiation for /metrics, pure: which format (`Accept`) and which coding
(`Accept-Encoding`, RFC 9110 §12.5.3) a scrape gets."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Format(StrEnum):
    TEXT = "text/plain; version=0.0.4; charset=utf-8"
    OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class Coding(StrEnum):
    IDENTITY = "identity"
    GZIP = "gzip"


@dataclass(frozen=True, slots=True)
class _Range:
    value: str  # lower-cased media range or coding
    params: dict[str, str]
    q: float
    order: int


def _q(text: str) -> float | None:
    """A qvalue (0 to 1, three decimals at most); None when malformed."""
    try:
        q = float(text)
    except ValueError:
        return None
    return q if 0.0 <= q <= 1.0 else None


def _ranges(header: str) -> list[_Range]:
    """`a;p=1;q=0.5, b` into ranges; malformed qvalues drop their element."""
    result = []
    for order, element in enumerate(header.split(",")):
        value, *parts = (p.strip() for p in element.split(";"))
        if not value:
            continue
        params: dict[str, str] = {}
        q: float | None = 1.0
        for part in parts:
            key, _, raw = part.partition("=")
            key = key.strip().lower()
            raw = raw.strip().strip('"')
            if key == "q":
                q = _q(raw)
            elif key:
                params[key] = raw
        if q is not None:
            result.append(_Range(value.lower(), params, q, order))
    return result


# What each format matches: its type, its type's wildcard, and the versions it is.
_TYPES = {
    Format.TEXT: ("text/plain", "text/*", ("0.0.4",)),
    Format.OPENMETRICS: ("application/openmetrics-text", "application/*", ("1.0.0", "0.0.1")),
}


def _format_q(fmt: Format, ranges: list[_Range]) -> tuple[float, int]:
    """The q of the most specific range matching `fmt` (and its position), or (0, -1)."""
    media, wildcard, versions = _TYPES[fmt]
    best: tuple[int, float, int] = (-1, 0.0, -1)  # specificity, q, order
    for r in ranges:
        if r.value == media:
            version = r.params.get("version")
            if version is not None and version not in versions:
                continue
            specificity = 3 if version is not None else 2
        elif r.value == wildcard:
            specificity = 1
        elif r.value == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, r.q, r.order)
    return best[1], best[2]


def negotiate_format(accept: str | None) -> Format:
    """OpenMetrics when the scraper prefers it (Prometheus asks for it first), else the
    text format 0.0.4: on a tie, with no Accept header, or when nothing offered matches
    (as client_golang does)."""
    if not accept:
        return Format.TEXT
    ranges = _ranges(accept)
    om_q, om_order = _format_q(Format.OPENMETRICS, ranges)
    text_q, text_order = _format_q(Format.TEXT, ranges)
    if om_q > text_q or (om_q == text_q and om_q > 0 and 0 <= om_order < text_order):
        return Format.OPENMETRICS
    return Format.TEXT


def negotiate_coding(accept_encoding: str | None) -> Coding | None:
    """The coding to answer with, or None when the header excludes both gzip and identity
    (answer 406). No header: identity. `gzip;q=0`, `*;q=0` and `identity;q=0` mean what
    RFC 9110 says; `x-gzip` is gzip. Gzip wins a tie: it is what scrapers ask for."""
    if accept_encoding is None:
        return Coding.IDENTITY
    ranges = _ranges(accept_encoding)
    if not ranges:
        # An empty header: no content coding wanted.
        return Coding.IDENTITY
    star = next((r.q for r in ranges if r.value == "*"), None)
    # A coding not listed is acceptable only through `*`; identity always is, unless
    # excluded by `identity;q=0` or by `*;q=0` without an entry of its own.
    gzip_q = next(
        (r.q for r in ranges if r.value in ("gzip", "x-gzip")), 0.0 if star is None else star
    )
    identity_q = next((r.q for r in ranges if r.value == "identity"), 1.0 if star is None else star)
    if gzip_q > 0 and gzip_q >= identity_q:
        return Coding.GZIP
    if identity_q > 0:
        return Coding.IDENTITY
    if gzip_q > 0:
        return Coding.GZIP
    return None
