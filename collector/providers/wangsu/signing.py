"""Wangsu/CDNetworks request signing, sans-I/O: AK/SK CNC-HMAC-SHA256 and legacy apikey."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

ALGORITHM = "CNC-HMAC-SHA256"
DEFAULT_SIGNED_HEADERS = "content-type;host"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup; a missing header signs as empty (as the SDK does)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def canonical_request(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    signed_headers: str = DEFAULT_SIGNED_HEADERS,
) -> str:
    """Build the canonical request of reference §3.2.

    POST never signs its query string; other methods sign it percent-decoded,
    unsorted. Header values are lower-cased. The body is hashed as sent.
    """
    method = method.upper()
    query = "" if method == "POST" else unquote(raw_query)
    names = signed_headers.split(";")
    block = "".join(f"{name}:{_header(headers, name).lower()}\n" for name in names)
    payload_hash = hashlib.sha256(body).hexdigest() if method != "GET" else EMPTY_BODY_SHA256
    return "\n".join([method, path, query, block, signed_headers, payload_hash])


def string_to_sign(timestamp: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{digest}"


def signature(secret_key: str, timestamp: str, canonical: str) -> str:
    """Lower-case hex HMAC-SHA256 of the string to sign; no key derivation."""
    message = string_to_sign(timestamp, canonical).encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def authorization(access_key: str, signed_headers: str, sig: str) -> str:
    return f"{ALGORITHM} Credential={access_key}, SignedHeaders={signed_headers}, Signature={sig}"


def sign_aksk(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    timestamp: int,
) -> dict[str, str]:
    """Return the auth headers to add to a request. `headers` must hold Content-Type
    and Host exactly as they will be sent."""
    parts = urlsplit(url)
    ts = str(int(timestamp))
    canonical = canonical_request(method, parts.path or "/", parts.query, headers, body)
    sig = signature(secret_key, ts, canonical)
    return {
        "x-cnc-auth-method": "AKSK",
        "x-cnc-accessKey": access_key,
        "x-cnc-timestamp": ts,
        "Authorization": authorization(access_key, DEFAULT_SIGNED_HEADERS, sig),
    }


def http_date(epoch: float) -> str:
    """RFC 1123 date in GMT, e.g. `Tue, 14 Nov 2023 22:13:20 GMT` (never local time)."""
    return formatdate(epoch, usegmt=True)


def apikey_password(api_key: str, date: str) -> str:
    """Base64 HMAC-SHA1 of the Date header string, keyed by the API key."""
    mac = hmac.new(api_key.encode("utf-8"), date.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def sign_apikey(username: str, api_key: str, epoch: float) -> dict[str, str]:
    """Return the legacy Basic-auth headers (Date + Authorization) for time `epoch`."""
    date = http_date(epoch)
    credentials = f"{username}:{apikey_password(api_key, date)}".encode()
    return {
        "Date": date,
        "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
    }
