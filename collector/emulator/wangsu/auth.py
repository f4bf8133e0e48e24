"""Wangsu request verification, written from the reference's algorithm (§3.2, §3.5, §4).

Deliberately separate from the exporter's signer: both are checked against the
reference's test vectors, so a misreading of the algorithm on one side fails a test.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

AKSK_SCHEME = "CNC-HMAC-SHA256"


class AuthError(Exception):
    """A request the gateway would refuse; the message says why."""


def _lookup(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def aksk_fields(authorization: str) -> dict[str, str]:
    """`Credential`, `SignedHeaders` and `Signature` of a CNC-HMAC-SHA256 header."""
    scheme, _, rest = authorization.partition(" ")
    if scheme != AKSK_SCHEME:
        raise AuthError("not a CNC-HMAC-SHA256 Authorization header")
    fields = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise AuthError("malformed CNC-HMAC-SHA256 Authorization header")
    return fields


def aksk_string_to_sign(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    signed_headers: str,
    timestamp: str,
) -> str:
    """Steps 1-8 of §3.2 over the request as received."""
    method = method.upper()
    query = "" if method == "POST" else unquote(raw_query)  # step 3
    header_lines = "".join(
        f"{name}:{_lookup(headers, name).lower()}\n" for name in signed_headers.split(";")
    )
    payload = body if method in ("POST", "PUT") else b""  # step 6
    canonical = "\n".join(
        (
            method,
            raw_path,
            query,
            header_lines,
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        )
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{AKSK_SCHEME}\n{timestamp}\n{digest}"


def aksk_signature(secret_key: str, string_to_sign: str) -> str:
    """Step 9: lower-case hex HMAC-SHA256 keyed by the raw secret, no derivation."""
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def check_aksk(
    fields: Mapping[str, str],
    secret_key: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    max_skew: int,
) -> None:
    """§3.5: timestamp within the skew, then the recomputed signature, constant time."""
    timestamp = _lookup(headers, "x-cnc-timestamp")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise AuthError("x-cnc-timestamp must be Unix seconds")
    if abs(now - int(timestamp)) > max_skew:
        raise AuthError("x-cnc-timestamp is more than 5 minutes from server time")
    to_sign = aksk_string_to_sign(
        method, raw_path, raw_query, headers, body, fields["SignedHeaders"], timestamp
    )
    # Exact comparison: whether upper-case hex is accepted is unknown (§9).
    # [I] The documented replay protection (a repeated timestamp) is not enforced.
    if not hmac.compare_digest(aksk_signature(secret_key, to_sign), fields["Signature"]):
        raise AuthError("signature does not match")


def basic_credentials(token: str) -> tuple[str, str]:
    """(username, password) of the Basic scheme's base64 token."""
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise AuthError("malformed Basic credentials") from None
    username, _, password = decoded.partition(":")
    return username, password


def apikey_password(api_key: str, date: str) -> str:
    """§4 step 2: Base64(HMAC-SHA1(key=apiKey, msg=date string))."""
    return base64.b64encode(
        hmac.new(api_key.encode(), date.encode(), hashlib.sha1).digest()
    ).decode()


def check_apikey(
    password: str, api_key: str, headers: Mapping[str, str], now: float, max_skew: int
) -> None:
    """§4: the password is the HMAC of whichever date header was sent."""
    # x-cnc-date stands in for Date where a client cannot set Date, so it wins.
    date = _lookup(headers, "x-cnc-date") or _lookup(headers, "date")
    try:
        sent = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise AuthError("missing or unreadable Date header") from None
    if sent.tzinfo is None:
        raise AuthError("the Date header must be in GMT")
    if abs(now - sent.timestamp()) > max_skew:
        raise AuthError("the Date header is more than 5 minutes from server time")
    if not hmac.compare_digest(apikey_password(api_key, date), password):
        raise AuthError("password does not match")
