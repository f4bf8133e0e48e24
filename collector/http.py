"""HTTP wire types and header helpers: what the transport seam sends and returns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A fully signed request, ready to send byte for byte."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What came back: status, headers (lower-case names) and raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_header(url: str) -> str:
    """The Host value aiohttp sends for `url`: host, plus the port unless it is the
    scheme's default. Both providers sign it, so it must match byte for byte."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal: urlsplit strips the brackets the header needs
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds (lower-case header names); HTTP-date forms are ignored,
    since classifying a response needs no clock."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
