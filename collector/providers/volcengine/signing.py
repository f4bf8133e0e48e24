"""Volcengine V4 request signing (HMAC-SHA256), sans-I/O (the emulator has the verifier)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from time import gmtime, strftime
from urllib.parse import parse_qsl, quote, urlsplit

from collector.http import host_header

ALGORITHM = "HMAC-SHA256"
DEFAULT_REGION = "cn-north-1"
DEFAULT_SERVICE = "live"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
X_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def format_x_date(epoch: float) -> str:
    """`20240101T000000Z`: UTC, second precision."""
    return strftime(X_DATE_FORMAT, gmtime(int(epoch)))


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def rfc3986(text: str) -> str:
    """Percent-encode everything but `A-Za-z0-9-_.~`; a space becomes `%20`, never `+`."""
    return quote(text, safe="")


def canonical_query(raw_query: str) -> str:
    """Decode the query as sent (`+` is a space) and re-encode it sorted by key."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    # A stable sort on the key alone, as the SDKs do: repeated keys keep their order.
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in pairs)


def canonical_uri(path: str) -> str:
    """Percent-encode each path segment; Live always uses `/`."""
    return quote(path or "/", safe="/")


def canonical_host(value: str) -> str:
    """The Host value as signed: a `:80` or `:443` suffix is dropped, other ports kept."""
    value = value.strip()
    for default in (":80", ":443"):
        if value.endswith(default):
            return value[: -len(default)]
    return value


def is_signed_header(name: str) -> bool:
    """Content-Type, Content-Md5, Host and every `X-*` header are signed; nothing else."""
    lowered = name.lower()
    return lowered in ("content-type", "content-md5", "host") or lowered.startswith("x-")


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def canonical_headers(headers: Mapping[str, str], signed: list[str]) -> str:
    """`name:value\\n` per signed header, names lower-case, values trimmed."""
    lowered = _lowered(headers)
    lines = []
    for name in signed:
        value = lowered.get(name, "").strip()
        if name == "host":
            value = canonical_host(value)
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed: list[str],
    body_sha256: str,
) -> str:
    """Reference §2.1 step 7. The header block ends in a newline and the join adds
    another, which leaves the empty line before the SignedHeaders list."""
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(raw_query),
            canonical_headers(headers, signed),
            ";".join(signed),
            body_sha256,
        ]
    )


def credential_scope(short_date: str, region: str, service: str) -> str:
    return f"{short_date}/{region}/{service}/request"


def string_to_sign(x_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{x_date}\n{scope}\n{digest}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, short_date: str, region: str, service: str) -> bytes:
    """kDate -> kRegion -> kService -> kSigning. Unlike AWS there is no prefix on the key."""
    k_date = _hmac(secret_key.encode("utf-8"), short_date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "request")


def signature(key: bytes, to_sign: str) -> str:
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key: str, scope: str, signed: list[str], sig: str) -> str:
    return (
        f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={sig}"
    )


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    x_date: str,
    region: str = DEFAULT_REGION,
    service: str = DEFAULT_SERVICE,
    session_token: str | None = None,
) -> dict[str, str]:
    """Return the headers to add: X-Date, X-Content-Sha256, [X-Security-Token], Authorization.

    `headers` are the other headers exactly as they will be sent; every one of them
    that is signable (Content-Type, Host, X-*) is signed. When no Host is given, the
    one aiohttp would send for `url` is signed.
    """
    parts = urlsplit(url)
    body_sha256 = sha256_hex(body)
    added = {"X-Date": x_date, "X-Content-Sha256": body_sha256}
    if session_token:
        added["X-Security-Token"] = session_token
    all_headers = {**headers, **added}
    if "host" not in _lowered(all_headers):
        all_headers["Host"] = host_header(url)
    signed = sorted({name.lower() for name in all_headers if is_signed_header(name)})
    canonical = canonical_request(method, parts.path, parts.query, all_headers, signed, body_sha256)
    scope = credential_scope(x_date[:8], region, service)
    key = signing_key(secret_key, x_date[:8], region, service)
    sig = signature(key, string_to_sign(x_date, scope, canonical))
    return {**added, "Authorization": authorization(access_key, scope, signed, sig)}
