"""Volcengine V4 request verification, written from the reference's algorithm (§2.1).

Deliberately separate from the exporter's signer: both are checked against the
reference's test vectors, so a misreading of the algorithm on one side fails a test.
`verify` returns the gateway's error code (§3.2) instead of raising, since each code
has its own status.
"""

from __future__ import annotations

import hashlib
import hmac
from calendar import timegm
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import strptime
from urllib.parse import parse_qsl, quote

SCHEME = "HMAC-SHA256"


@dataclass(frozen=True)
class Key:
    """What the gateway stores for an access key: its secret and, for STS, the token."""

    secret_key: str
    session_token: str | None = None


@dataclass(frozen=True)
class Credential:
    """The parts of an `Authorization: HMAC-SHA256 Credential=...` header."""

    access_key: str
    scope: tuple[str, str, str, str]  # short date, region, service, "request"
    signed_headers: tuple[str, ...]
    signature: str


def parse(authorization: str) -> Credential | str:
    """The header's parts, or InvalidAuthorization / InvalidCredential (§3.2)."""
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme != SCHEME:
        return "InvalidAuthorization"
    parts = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or not value:
            return "InvalidAuthorization"
        parts[key] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
        return "InvalidAuthorization"
    pieces = parts["Credential"].split("/")
    if len(pieces) != 5 or not all(pieces):
        return "InvalidCredential"
    return Credential(
        pieces[0],
        (pieces[1], pieces[2], pieces[3], pieces[4]),
        tuple(parts["SignedHeaders"].split(";")),
        parts["Signature"],
    )


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")  # RFC 3986 unreserved only (step 5)


def canonical_request(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed: tuple[str, ...],
    body_hash: str,
) -> str:
    """Steps 4 to 7; `headers` keyed lower-case."""
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True), key=lambda kv: kv[0])
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    lines = []
    for name in signed:
        value = headers.get(name, "").strip()
        if name == "host" and value.endswith((":80", ":443")):
            value = value.rsplit(":", 1)[0]  # default ports are not signed (step 4)
        lines.append(f"{name}:{value}\n")
    uri = quote(path or "/", safe="/-_.~")
    return "\n".join((method.upper(), uri, query, "".join(lines), ";".join(signed), body_hash))


def signing_key(secret_key: str, short_date: str, region: str, service: str) -> bytes:
    """Step 10: HMAC chain from the raw secret, no prefix."""
    key = secret_key.encode()
    for part in (short_date, region, service, "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def expected_signature(
    secret_key: str, x_date: str, region: str, service: str, canonical: str
) -> str:
    """Steps 8, 9 and 11."""
    scope = f"{x_date[:8]}/{region}/{service}/request"
    to_sign = "\n".join((SCHEME, x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    key = signing_key(secret_key, x_date[:8], region, service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verify(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Callable[[str], Key | None],
    now: float,
    region: str,
    service: str,
    max_skew: int,
) -> str | None:
    """None for a request the gateway accepts, else its error code."""
    lowered = {name.lower(): value for name, value in headers.items()}
    header = lowered.get("authorization", "")
    if not header.strip():
        return "MissingAuthenticationToken"
    credential = parse(header)
    if isinstance(credential, str):
        return credential
    key = keys(credential.access_key)
    if key is None:
        return "InvalidAccessKey"
    short_date, scope_region, scope_service, terminator = credential.scope
    if (scope_region, scope_service, terminator) != (region, service, "request"):
        return "InvalidCredential"
    x_date = lowered.get("x-date", "").strip()
    try:
        signed_at = timegm(strptime(x_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return "InvalidTimestamp"
    if len(x_date) != 16 or abs(now - signed_at) > max_skew:
        return "InvalidTimestamp"
    if (key.session_token or None) != (lowered.get("x-security-token") or None):
        return "InvalidSecretToken"
    signed = credential.signed_headers
    # host and x-date must be signed (step 3); a listed header that is absent cannot be.
    if "host" not in signed or "x-date" not in signed or any(n not in lowered for n in signed):
        return "SignatureDoesNotMatch"
    if short_date != x_date[:8]:
        return "SignatureDoesNotMatch"
    body_hash = hashlib.sha256(body).hexdigest()
    claimed = lowered.get("x-content-sha256")
    if claimed is not None and claimed.strip() != body_hash:
        return "SignatureDoesNotMatch"
    canonical = canonical_request(method, path, raw_query, lowered, signed, body_hash)
    expected = expected_signature(key.secret_key, x_date, region, service, canonical)
    if not hmac.compare_digest(expected, credential.signature):
        return "SignatureDoesNotMatch"
    return None
