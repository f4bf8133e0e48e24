"""Basic auth against bcrypt hashes, as exporter-toolkit checks it: Go's rules for a hash,
unknown users timed like known ones, bcrypt off the loop in fair turns, results cached."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

import bcrypt

# Checked for an unknown user, so a wrong user name takes as long as a wrong password:
# a bcrypt hash (of "fakepassword") at the cost of the class the name is dealt to.
_DUMMY_HASH = "$2b${cost:02d}$YvPJIb2twVotfF17/g6UcuibFnXFJCcxqlKAVw0J1iVefLV4PiJPW"
_DEFAULT_COST = 10  # Go's bcrypt.DefaultCost, for a dummy hash when no cost is known
_BCRYPT_MIN_LENGTH = 59  # Go's bcrypt minHashSize
_BCRYPT_MAX_PASSWORD = 72  # bytes bcrypt reads of a password
# bcrypt checks running at once (each holds a thread and a core for its duration).
WORKERS = 2
# Checks a user (all unknown names together) may have waiting; more fail at once.
MAX_WAITING = 32
_UNKNOWN = ""  # the turn every unknown user name waits in


def bcrypt_cost(hashed: str) -> int:
    """The cost of a bcrypt hash, checked as Go's `bcrypt.Cost` (what exporter-toolkit
    runs on every user's hash); ValueError with Go's reason otherwise. The reasons quote
    none of the text: a password pasted where its hash belongs must not reach a log,
    not even its first byte."""
    raw = hashed.encode("utf-8")
    if len(raw) < _BCRYPT_MIN_LENGTH:
        raise ValueError("hashedSecret too short to be a bcrypted password")
    if raw[0:1] != b"$":
        raise ValueError("invalid hash prefix: a bcrypt hash starts with $2")
    if raw[1] > ord("2"):
        raise ValueError("bcrypt algorithm version is too new (a bcrypt hash starts with $2)")
    start = 3 if raw[2:3] == b"$" else 4
    digits = raw[start : start + 2].decode("utf-8", errors="replace")
    if not re.fullmatch(r"[+-]?\d+", digits):
        raise ValueError("invalid bcrypt cost: not a number")
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


@dataclass(slots=True)
class _Job:
    password: bytes
    hashed: bytes
    done: asyncio.Future[bool]


class FairChecks:
    """bcrypt checks in `WORKERS` threads, taken in turns from one queue per user (all
    unknown names share one): a flood of wrong passwords for one user name waits in its
    own queue, bounded by `MAX_WAITING` (more fail at once), while another user's first
    check is taken next."""

    def __init__(self, check: Callable[[bytes, bytes], bool] = _check_password) -> None:
        self._check = check
        self._free = WORKERS
        self._turns: OrderedDict[str, deque[_Job]] = OrderedDict()

    async def run(self, turn: str, password: bytes, hashed: bytes) -> bool | None:
        """Whether `password` matches `hashed`; None, at once, when `turn` already has
        `MAX_WAITING` checks waiting (a flood: no bcrypt is spent on it)."""
        queue = self._turns.get(turn)
        if queue is not None and len(queue) >= MAX_WAITING:
            return None
        job = _Job(password, hashed, asyncio.get_running_loop().create_future())
        self._turns.setdefault(turn, deque()).append(job)
        self._dispatch()
        return await job.done

    def _dispatch(self) -> None:
        while self._free and self._turns:
            turn, queue = next(iter(self._turns.items()))
            job = queue.popleft()
            if queue:
                self._turns.move_to_end(turn)  # the next user's turn
            else:
                del self._turns[turn]
            if job.done.cancelled():
                continue  # the client went away while it waited
            self._free -= 1
            task = asyncio.ensure_future(asyncio.to_thread(self._check, job.password, job.hashed))
            task.add_done_callback(functools.partial(self._finished, job=job))

    def _finished(self, task: asyncio.Future[bool], *, job: _Job) -> None:
        self._free += 1
        if not job.done.done():
            if task.cancelled():
                job.done.cancel()
            elif task.exception() is not None:
                job.done.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                job.done.set_result(task.result())
        self._dispatch()


class BasicAuth:
    """Checks `Authorization: Basic` against bcrypt hashes, like exporter-toolkit.

    Results are cached by a digest of (user, hash, password), so a scrape every 15 s
    costs one bcrypt, not one per scrape (good and wrong ones apart, so wrong ones
    cannot evict a good one); a new digest waits its user's turn
    (`FairChecks`). An unknown user name is checked against a dummy hash at the cost of
    one of the configured users' hashes, the same one for the same name in this run
    (dealt by a keyed digest of the name, in proportion to the users of each cost): it
    takes as long as a wrong password of a user of that cost. Hidden: whether a name
    exists. Not hidden: which costs the configured hashes use (a name's timing shows
    its class), and across restarts an unknown name may be dealt another class."""

    CACHE_SIZE = 1024

    def __init__(self, users: dict[str, str]) -> None:
        self._users = {user: hashed.encode("utf-8") for user, hashed in users.items()}
        costs = sorted(_cost_or_none(hashed) or _DEFAULT_COST for hashed in users.values())
        self._classes = [_DUMMY_HASH.format(cost=c).encode() for c in costs] or [
            _DUMMY_HASH.format(cost=_DEFAULT_COST).encode()
        ]
        self._deal_key = os.urandom(32)
        self._good: OrderedDict[bytes, None] = OrderedDict()  # digests that matched
        self._bad: OrderedDict[bytes, None] = OrderedDict()
        self._checks = FairChecks()

    def dummy_for(self, user: str) -> bytes:
        """The dummy hash an unknown `user` is checked against: the same all run."""
        digest = hmac.new(self._deal_key, user.encode("utf-8"), hashlib.sha256).digest()
        return self._classes[int.from_bytes(digest[:8], "big") % len(self._classes)]

    async def check(self, user: str, password: bytes) -> bool:
        hashed = self._users.get(user)
        known = hashed is not None
        candidate = hashed if hashed is not None else self.dummy_for(user)
        # Length-prefixed parts: no user name or password can forge another's key.
        parts = (user.encode("utf-8"), candidate, password)
        key = hashlib.sha256(b"".join(b"%d:%s" % (len(p), p) for p in parts)).digest()
        # Good credentials first, in a cache of their own: a flood of wrong passwords
        # (each a new digest) can only evict other wrong ones.
        for cache in (self._good, self._bad):
            if key in cache:
                cache.move_to_end(key)
                return cache is self._good
        matches = await self._checks.run(user if known else _UNKNOWN, password, candidate)
        if matches is None:
            return False  # turned away unchecked: nothing learnt, nothing cached
        ok = known and matches
        cache = self._good if ok else self._bad
        cache[key] = None
        if len(cache) > self.CACHE_SIZE:
            cache.popitem(last=False)
        return ok
