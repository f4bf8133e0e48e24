"""Volcengine V4 request signing (HMAC-SHA256), sans-I/O: signer and verifier."""

from __future__ import annotations

import hashlib
import hmac
from calendar import timegm
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import gmtime, strftime, strptime
from urllib.parse import parse_qsl, quote, urlsplit

from collector.http import host_header

ALGORITHM = "HMAC-SHA256"
DEFAULT_REGION = "cn-north-1"
DEFAULT_SERVICE = "live"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
X_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# No documented tolerance; 900 s mirrors the X-Expires default of the query-signing doc.
DEFAULT_MAX_SKEW = 900

# Error codes `verify` returns (reference §3.2).
MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationToken"
INVALID_AUTHORIZATION = "InvalidAuthorization"
INVALID_CREDENTIAL = "InvalidCredential"
INVALID_ACCESS_KEY = "InvalidAccessKey"
INVALID_TIMESTAMP = "InvalidTimestamp"
INVALID_SECRET_TOKEN = "InvalidSecretToken"
SIGNATURE_DOES_NOT_MATCH = "SignatureDoesNotMatch"


def format_x_date(epoch: float) -> str:
    """`20240101T000000Z`: UTC, second precision."""
    return strftime(X_DATE_FORMAT, gmtime(int(epoch)))


def parse_x_date(text: str) -> int:
    """Read an X-Date back as UTC epoch seconds; ValueError when it is not one."""
    if len(text) != 16:
        raise ValueError(f"not an X-Date: {text!r}")
    return timegm(strptime(text, X_DATE_FORMAT))


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


@dataclass(frozen=True, slots=True)
class Authorization:
    """A parsed Authorization header."""

    access_key: str
    short_date: str
    region: str
    service: str
    terminator: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> Authorization | str:
    """Split `HMAC-SHA256 Credential=AK/scope, SignedHeaders=a;b, Signature=hex`.

    Returns the parts, or the error code: InvalidAuthorization for a bad header,
    InvalidCredential for a Credential that is not `AK/date/region/service/request`.
    """
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        return INVALID_AUTHORIZATION
    fields: dict[str, str] = {}
    for part in value[len(prefix) :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep or not val:
            return INVALID_AUTHORIZATION
        fields[key] = val
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return INVALID_AUTHORIZATION
    credential = fields["Credential"].split("/")
    if len(credential) != 5 or not all(credential):
        return INVALID_CREDENTIAL
    access_key, short_date, region, service, terminator = credential
    return Authorization(
        access_key=access_key,
        short_date=short_date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=fields["SignedHeaders"].split(";"),
        signature=fields["Signature"],
    )


def access_key_of(headers: Mapping[str, str]) -> str | None:
    """The AK a request claims, for per-AK accounting before or after verification."""
    parsed = parse_authorization(_lowered(headers).get("authorization", ""))
    return parsed.access_key if isinstance(parsed, Authorization) else None


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What the verifier knows about an AK: its secret and, for STS keys, the token."""

    secret_key: str
    session_token: str | None = None


def verify(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    lookup: Callable[[str], StoredKey | None],
    now: float,
    *,
    region: str = DEFAULT_REGION,
    service: str = DEFAULT_SERVICE,
    max_skew: int = DEFAULT_MAX_SKEW,
) -> str | None:
    """Check a received request the way the gateway does (reference §8 step 2).

    `raw_query` is the query string as received (still percent-encoded);
    `headers` may be any case. Returns None for a good request, else the error code.
    """
    lowered = _lowered(headers)
    header = lowered.get("authorization", "").strip()
    if not header:
        return MISSING_AUTHENTICATION_TOKEN
    parsed = parse_authorization(header)
    if isinstance(parsed, str):
        return parsed
    stored = lookup(parsed.access_key)
    if stored is None:
        return INVALID_ACCESS_KEY
    if (parsed.region, parsed.service, parsed.terminator) != (region, service, "request"):
        return INVALID_CREDENTIAL
    x_date = lowered.get("x-date", "").strip()
    try:
        signed_at = parse_x_date(x_date)
    except ValueError:
        return INVALID_TIMESTAMP
    if abs(now - signed_at) > max_skew:
        return INVALID_TIMESTAMP
    token = lowered.get("x-security-token")
    if (stored.session_token or None) != (token or None):
        return INVALID_SECRET_TOKEN
    # The docs require host and x-date to be signed; a header listed but absent cannot be.
    signed = parsed.signed_headers
    if "host" not in signed or "x-date" not in signed or any(n not in lowered for n in signed):
        return SIGNATURE_DOES_NOT_MATCH
    if parsed.short_date != x_date[:8]:
        return SIGNATURE_DOES_NOT_MATCH
    body_sha256 = sha256_hex(body)
    claimed = lowered.get("x-content-sha256")
    if claimed is not None and claimed.strip() != body_sha256:
        return SIGNATURE_DOES_NOT_MATCH
    canonical = canonical_request(method, path, raw_query, lowered, signed, body_sha256)
    scope = credential_scope(parsed.short_date, region, service)
    key = signing_key(stored.secret_key, parsed.short_date, region, service)
    expected = signature(key, string_to_sign(x_date, scope, canonical))
    if not hmac.compare_digest(expected, parsed.signature):
        return SIGNATURE_DOES_NOT_MATCH
    return None
