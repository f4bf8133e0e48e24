"""Basic auth against bcrypt hashes, as exporter-toolkit checks it: Go's rules for a hash,
equal cost for unknown users, one bcrypt at a time off the event loop, results cached."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
from collections import OrderedDict

import bcrypt

# Checked for an unknown user, so a wrong user name takes as long as a wrong password:
# a bcrypt hash (of "fakepassword") whose cost is set to the configured users' highest.
_DUMMY_HASH = "$2b${cost:02d}$YvPJIb2twVotfF17/g6UcuibFnXFJCcxqlKAVw0J1iVefLV4PiJPW"
_DEFAULT_COST = 10  # Go's bcrypt.DefaultCost, for a dummy hash when no cost is known
_BCRYPT_MIN_LENGTH = 59  # Go's bcrypt minHashSize
_BCRYPT_MAX_PASSWORD = 72  # bytes bcrypt reads of a password


def bcrypt_cost(hashed: str) -> int:
    """The cost of a bcrypt hash, checked as Go's `bcrypt.Cost` (what exporter-toolkit
    runs on every user's hash); ValueError with Go's reason otherwise."""
    raw = hashed.encode("utf-8")
    if len(raw) < _BCRYPT_MIN_LENGTH:
        raise ValueError("hashedSecret too short to be a bcrypted password")
    if raw[0:1] != b"$":
        raise ValueError(f"invalid hash prefix {raw[0:1]!r}: a bcrypt hash starts with $2")
    if raw[1] > ord("2"):
        raise ValueError(f"bcrypt algorithm version {chr(raw[1])!r} is too new")
    start = 3 if raw[2:3] == b"$" else 4
    digits = raw[start : start + 2].decode("utf-8", errors="replace")
    if not re.fullmatch(r"[+-]?\d+", digits):
        raise ValueError(f"invalid bcrypt cost {digits!r}")
    cost = int(digits)
    if not 4 <= cost <= 31:
        raise ValueError(f"cost {cost} is outside allowed range (4,31)")
    return cost


def _check_password(password: bytes, hashed: bytes) -> bool:
    try:
        # bcrypt reads 72 bytes at most; newer libraries refuse longer input instead.
        return bcrypt.checkpw(password[:_BCRYPT_MAX_PASSWORD], hashed)
    except ValueError:
        return False  # a hash Go's bcrypt.Cost accepts but no password matches


def parse_basic_authorization(header: str) -> tuple[str, bytes] | None:
    """`Basic base64(user:password)` into (user, password bytes), else None."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    try:
        return user.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def _cost_or_none(hashed: str) -> int | None:
    try:
        return bcrypt_cost(hashed)
    except ValueError:
        return None


class BasicAuth:
    """Checks `Authorization: Basic` against bcrypt hashes, like exporter-toolkit: an
    unknown user is checked against a dummy hash of the users' highest cost (same time
    as a wrong password), one
    bcrypt runs at a time off the event loop, and results are cached by a digest of
    (user, hash, password) so a scrape every 15 s costs one bcrypt, not one per scrape."""

    CACHE_SIZE = 1024

    def __init__(self, users: dict[str, str]) -> None:
        self._users = {user: hashed.encode("utf-8") for user, hashed in users.items()}
        costs = [_cost_or_none(hashed) for hashed in users.values()]
        cost = max((c for c in costs if c is not None), default=_DEFAULT_COST)
        self._dummy = _DUMMY_HASH.format(cost=cost).encode()
        self._cache: OrderedDict[bytes, bool] = OrderedDict()
        self._lock = asyncio.Lock()

    async def check(self, user: str, password: bytes) -> bool:
        hashed = self._users.get(user)
        known = hashed is not None
        candidate = hashed if hashed is not None else self._dummy
        # Length-prefixed parts: no user name or password can forge another's key.
        parts = (user.encode("utf-8"), candidate, password)
        key = hashlib.sha256(b"".join(b"%d:%s" % (len(p), p) for p in parts)).digest()
        cached = self._cache.get(key)
        if cached is None:
            async with self._lock:
                matches = await asyncio.to_thread(_check_password, password, candidate)
            cached = known and matches
            self._cache[key] = cached
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return cached
