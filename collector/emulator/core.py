"""Emulator state: accounts, call counts, sliding-window rate limits, faults, data delay."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from aiohttp import web

from collector.clock import Clock, SystemClock
from collector.emulator.faults import (
    ALTERING,
    DEEP_XML_LEVELS,
    ErrorBurst,
    Fault,
    FaultKind,
    fault_from_json,
    series_not_finite,
)
from collector.emulator.traffic import TrafficModel
from collector.model import RateLimit

log = logging.getLogger(__name__)

# The `too_large` fault's default size: a byte past the exporter's documented default
# answer cap (64 MiB), written here, not imported: the emulator shares no exporter code.
OVERSIZE_BYTES = 64 * 1024 * 1024 + 1
PROVIDERS = ("wangsu", "cdnetworks", "volcengine")
UNKNOWN_ACCOUNT = ""  # the account name calls are counted under when none is identified

# A slice between `visible_after` and `final_after` old shows this fraction of its final
# value at first, rising linearly to the whole of it.
PARTIAL_FLOOR = 0.6


DAY = 86400
LISTING_OFFSET = 8 * 3600  # domain lifetimes are given in +08:00 days


@dataclass(frozen=True, slots=True)
class DomainSpan:
    """A domain the listing APIs show only part of each simulated day: from `start` to
    `end` seconds into the +08:00 day (`start > end` wraps past midnight). Outside it
    the domain is disabled (Wangsu) or deleted (Volcengine); the report APIs still
    answer for it, as the real ones do for a domain's history."""

    domain: str
    start: int
    end: int

    def listed(self, now: float) -> bool:
        second = (int(now) + LISTING_OFFSET) % DAY
        if self.start <= self.end:
            return self.start <= second < self.end
        return second >= self.start or second < self.end


@dataclass(frozen=True, slots=True)
class EmulatedAccount:
    """One provider account the emulator answers for. Credentials are plain strings:
    the emulator only ever holds fake ones."""

    provider: str  # "wangsu" | "cdnetworks" | "volcengine"
    name: str
    access_key: str
    secret_key: str
    username: str
    api_key: str
    domains: tuple[str, ...]
    session_token: str | None = None
    # Domains of `domains` that come and go over the day (the demo accounts have none).
    churn: tuple[DomainSpan, ...] = ()

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown provider {self.provider!r}")
        stray = [span.domain for span in self.churn if span.domain not in self.domains]
        if stray:
            raise ValueError(f"churn domains not in domains: {stray}")

    def listed(self, now: float) -> list[tuple[str, bool]]:
        """Every domain with whether the listing shows it serving at `now`, in order."""
        spans = {span.domain: span for span in self.churn}
        return [
            (domain, spans[domain].listed(now) if domain in spans else True)
            for domain in self.domains
        ]

    def __repr__(self) -> str:  # keep secrets out of logs and test failure output
        return f"EmulatedAccount({self.provider!r}, {self.name!r}, domains={self.domains!r})"


def demo_accounts() -> tuple[EmulatedAccount, ...]:
    """The demo accounts (fake, public credentials), also used by config/demo.yaml:

    - demo-wangsu (wangsu): access key DEMO_WANGSU_AK, secret key
      DEMO_WANGSU_SK_0123456789abcdef; username demo-wangsu, api key DEMO_WANGSU_APIKEY;
      domains www.example.com, img.example.com.
    - demo-cdnetworks (cdnetworks): access key DEMO_CDNETWORKS_AK, secret key
      DEMO_CDNETWORKS_SK_0123456789abcd; username demo-cdnetworks, api key
      DEMO_CDNETWORKS_APIKEY; domains video.example.net, dl.example.net.
    - demo-volcengine (volcengine): access key AKLTDEMOVOLCENGINE0000, secret key
      DEMO_VOLCENGINE_SK_0123456789abcd; no username/api key; live domains
      pull.live.example.com, play.live.example.com.
    """
    return (
        EmulatedAccount(
            provider="wangsu",
            name="demo-wangsu",
            access_key="DEMO_WANGSU_AK",
            secret_key="DEMO_WANGSU_SK_0123456789abcdef",
            username="demo-wangsu",
            api_key="DEMO_WANGSU_APIKEY",
            domains=("www.example.com", "img.example.com"),
        ),
        EmulatedAccount(
            provider="cdnetworks",
            name="demo-cdnetworks",
            access_key="DEMO_CDNETWORKS_AK",
            secret_key="DEMO_CDNETWORKS_SK_0123456789abcd",
            username="demo-cdnetworks",
            api_key="DEMO_CDNETWORKS_APIKEY",
            domains=("video.example.net", "dl.example.net"),
        ),
        EmulatedAccount(
            provider="volcengine",
            name="demo-volcengine",
            access_key="AKLTDEMOVOLCENGINE0000",
            secret_key="DEMO_VOLCENGINE_SK_0123456789abcd",
            username="",
            api_key="",
            domains=("pull.live.example.com", "play.live.example.com"),
        ),
    )


class CallResult(StrEnum):
    """How the emulator answered one call; each call counts under exactly one."""

    OK = "ok"
    THROTTLED = "throttled"  # a real rate-limit violation (injected throttles are faults)
    AUTH_FAILURE = "auth_failures"
    BAD_REQUEST = "bad_requests"
    FAULT = "faults"


class CallKey(NamedTuple):
    provider: str
    account: str  # UNKNOWN_ACCOUNT when the credentials named no account
    endpoint: str


@dataclass(slots=True)
class CallCounts:
    total: int = 0
    ok: int = 0
    throttled: int = 0
    auth_failures: int = 0
    bad_requests: int = 0
    faults: int = 0

    def add(self, result: CallResult) -> None:
        self.total += 1
        setattr(self, result.value, getattr(self, result.value) + 1)

    def merge(self, other: CallCounts) -> None:
        for name, count in asdict(other).items():
            setattr(self, name, getattr(self, name) + count)


class _ConnectionReset(web.Response):
    """Not an answer: preparing it drops the connection (a RESET fault)."""

    async def prepare(self, request: web.BaseRequest) -> None:
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("connection reset (injected)")


class EmulatedRateLimit:
    """A provider's rate limit as the emulator enforces it (its own code, independent of
    the exporter's limiter): at most `calls` admitted calls in any `period` seconds, per key.

    Rejected calls do not take a place in the window: a client that keeps calling while
    throttled recovers as soon as its old calls age out. Whether the real API counts
    rejected calls is unknown; this is the lenient choice, and the exporter must not
    depend on it because it must never be throttled in the first place.
    """

    def __init__(self) -> None:
        self._admitted: dict[tuple[str, str], deque[float]] = {}

    def admit(self, key: tuple[str, str], limit: RateLimit, now: float) -> bool:
        times = self._admitted.setdefault(key, deque())
        while times and times[0] <= now - limit.period:
            times.popleft()
        if len(times) >= limit.calls:
            return False
        times.append(now)
        return True

    def reset(self) -> None:
        self._admitted.clear()


class Reject(Exception):
    """Raised by route code to answer with a provider error and count the call."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        result: CallResult = CallResult.BAD_REQUEST,
        account: EmulatedAccount | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.result = result
        self.account = account  # for auth failures: the account the credentials named


class Dialect(Protocol):
    """How one provider words its errors and faults."""

    @property
    def provider(self) -> str:
        """Provider name to count calls under when no account is identified."""

    def error(self, status: int, code: str, message: str) -> web.Response:
        """A provider error response."""

    def throttled(self, message: str) -> web.Response:
        """The provider's answer to a call over its rate limit."""

    def fault(self, kind: FaultKind) -> web.Response:
        """The answer for SERVER_ERROR, THROTTLE and ERROR_CODE faults."""


class Emulator:
    """Shared state of an emulated provider API. All time decisions use `clock`."""

    def __init__(
        self,
        accounts: Iterable[EmulatedAccount] | None = None,
        *,
        clock: Clock | None = None,
        visible_after: float = 300.0,
        final_after: float = 900.0,
        fault_delay: float = 2.0,
        rate_limits: Mapping[str, RateLimit] | None = None,
        traffic: TrafficModel | None = None,
        on_request_fields: bool = False,
        oversize_bytes: int = OVERSIZE_BYTES,
    ) -> None:
        """`visible_after`: slices younger than this (from their end) are not returned.
        `final_after`: slices younger than this are returned with a partial value.
        `fault_delay`: real seconds a `timeout` fault holds its answer back.
        `oversize_bytes`: the size of a `too_large` fault's answer (by default just past
        the exporter's cap; tests pass a small cap and a small size).
        `rate_limits`: per-endpoint overrides of the documented limits (e.g. small ones in
        tests).
        `on_request_fields`: also serve fields the SDK documents as "not returned by
        default" (as for an account that asked support to enable them); by default they
        are left out, as the real API does.
        """
        if not 0 <= visible_after <= final_after:
            raise ValueError("need 0 <= visible_after <= final_after")
        self.accounts: tuple[EmulatedAccount, ...] = tuple(
            demo_accounts() if accounts is None else accounts
        )
        names = [a.name for a in self.accounts]
        if len(set(names)) != len(names):
            raise ValueError("account names must be unique")
        self.clock: Clock = clock or SystemClock()
        self.visible_after = visible_after
        self.final_after = final_after
        self.fault_delay = fault_delay
        self.oversize_bytes = oversize_bytes
        self.rate_limits: dict[str, RateLimit] = dict(rate_limits or {})
        self.traffic = traffic or TrafficModel()
        self.on_request_fields = on_request_fields
        self._calls: dict[CallKey, CallCounts] = {}
        self._faults: list[Fault] = []
        self._fault_rates: dict[FaultKind, float] = {}
        self._fault_random = random.Random(0)
        self._limiter = EmulatedRateLimit()
        self._bursts: list[ErrorBurst] = []

    # -- accounts ---------------------------------------------------------------------

    def account(self, name: str) -> EmulatedAccount:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(f"no emulated account named {name!r}")

    def find_account(
        self,
        providers: Iterable[str],
        *,
        access_key: str | None = None,
        username: str | None = None,
    ) -> EmulatedAccount | None:
        """The account of one of `providers` with this access key or username."""
        wanted = set(providers)
        for account in self.accounts:
            if account.provider not in wanted:
                continue
            if access_key is not None and account.access_key == access_key:
                return account
            if username and account.username == username:
                return account
        return None

    # -- call counting ----------------------------------------------------------------

    @property
    def calls(self) -> Mapping[CallKey, CallCounts]:
        """Counts per (provider, account name, endpoint)."""
        return self._calls

    def totals(self, provider: str | None = None, account: str | None = None) -> CallCounts:
        """Counts summed over every endpoint (and provider/account unless given)."""
        total = CallCounts()
        for key, counts in self._calls.items():
            if provider in (None, key.provider) and account in (None, key.account):
                total.merge(counts)
        return total

    def calls_json(self) -> dict[str, Any]:
        return {
            "calls": [{**key._asdict(), **asdict(c)} for key, c in sorted(self._calls.items())],
            "totals": asdict(self.totals()),
        }

    def record(self, provider: str, account: str, endpoint: str, result: CallResult) -> None:
        self._calls.setdefault(CallKey(provider, account, endpoint), CallCounts()).add(result)

    def reset(self) -> None:
        """Forget counts, rate-limit windows, pending faults and fault rates."""
        self._calls.clear()
        self._faults.clear()
        self._fault_rates.clear()
        self._limiter.reset()

    # -- rate limits and faults -------------------------------------------------------

    def admit(self, account: EmulatedAccount, endpoint: str, default: RateLimit) -> bool:
        """Take a place in (access key, endpoint)'s window; False if it is full."""
        limit = self.rate_limits.get(endpoint, default)
        # Limits are per user: the apikey scheme of the same user shares this window.
        key = (f"{account.provider}:{account.access_key}", endpoint)
        return self._limiter.admit(key, limit, self.clock.time())

    def inject(
        self,
        endpoint: str | None,
        kind: FaultKind | str,
        count: int = 1,
        account: str | None = None,
    ) -> Fault:
        """Make the next `count` calls to `endpoint` (any if None) by `account` (any if
        None) fail with `kind`. Faults fire in the order injected, after authentication
        and the rate limit, so a faulted call still uses up rate-limit budget."""
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(FaultKind(kind), count, endpoint, account)
        self._faults.append(fault)
        return fault

    @property
    def pending_faults(self) -> list[Fault]:
        return [f for f in self._faults if f.remaining > 0]

    def clear_faults(self) -> None:
        self._faults.clear()

    def add_error_burst(
        self,
        seconds: float,
        share: float,
        account: str | None = None,
        domain: str | None = None,
        start: float | None = None,
    ) -> ErrorBurst:
        """From `start` (default: now) for `seconds`, `share` (0 to 1) of the requests
        end in 5xx in the status-code reports. Bursts stay (they are history); the
        largest share of those overlapping a slice wins."""
        if seconds <= 0 or not 0.0 <= share <= 1.0:
            raise ValueError("need seconds > 0 and 0 <= share <= 1")
        begin = self.clock.time() if start is None else start
        burst = ErrorBurst(begin, begin + seconds, share, account, domain)
        self._bursts.append(burst)
        return burst

    @property
    def error_bursts(self) -> list[ErrorBurst]:
        return list(self._bursts)

    def clear_error_bursts(self) -> None:
        self._bursts.clear()

    def burst_share(self, account: str, domain: str, start: float, end: float) -> float | None:
        """The 5xx share an error burst sets for this slice, or None outside every burst."""
        shares = [b.share for b in self._bursts if b.covers(account, domain, start, end)]
        return max(shares) if shares else None

    def set_fault_rates(self, rates: Mapping[FaultKind | str, float], seed: int = 0) -> None:
        """From now on every call (of any endpoint and account) fails with each kind at
        its probability, drawn from a generator seeded with `seed`; counted faults
        from `inject` fire first. An empty mapping stops them."""
        parsed = {FaultKind(kind): float(rate) for kind, rate in rates.items()}
        if any(not 0.0 <= rate <= 1.0 for rate in parsed.values()) or sum(parsed.values()) > 1:
            raise ValueError("fault rates must lie in [0, 1] and sum to at most 1")
        self._fault_rates = {kind: rate for kind, rate in parsed.items() if rate > 0}
        self._fault_random = random.Random(seed)

    def take_fault(self, endpoint: str, account: str) -> FaultKind | None:
        """Fire the first pending fault matching this call, if any."""
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(endpoint, account):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault.kind
        if self._fault_rates:
            draw = self._fault_random.random()
            for kind, rate in self._fault_rates.items():
                if draw < rate:
                    return kind
                draw -= rate
        return None

    # -- data delay -------------------------------------------------------------------

    def revision_factor(self, slice_end: int) -> float | None:
        """None if a slice ending at `slice_end` is not visible yet; else the fraction of
        its final value it shows now (1.0 once `final_after` has passed)."""
        age = self.clock.time() - slice_end
        if age < self.visible_after:
            return None
        if age >= self.final_after:
            return 1.0
        progress = (age - self.visible_after) / (self.final_after - self.visible_after)
        return PARTIAL_FLOOR + (1.0 - PARTIAL_FLOOR) * progress

    # -- the request pipeline ---------------------------------------------------------

    async def handle(
        self,
        *,
        dialect: Dialect,
        endpoint: str,
        rate_limit: RateLimit,
        authenticate: Callable[[], EmulatedAccount],
        respond: Callable[[EmulatedAccount], web.Response],
    ) -> web.Response:
        """Run one call: authenticate, rate-limit, maybe fault, then answer; count it.

        `authenticate` and `respond` raise `Reject` to answer with an error.
        """
        try:
            account = authenticate()
        except Reject as exc:
            who = exc.account
            self.record(
                who.provider if who else dialect.provider,
                who.name if who else UNKNOWN_ACCOUNT,
                endpoint,
                exc.result,
            )
            return dialect.error(exc.status, exc.code, exc.message)

        def count(result: CallResult) -> None:
            self.record(account.provider, account.name, endpoint, result)

        if not self.admit(account, endpoint, rate_limit):
            count(CallResult.THROTTLED)
            limit = self.rate_limits.get(endpoint, rate_limit)
            log.info("emulator: %s over its limit on %s", account.name, endpoint)
            return dialect.throttled(
                f"request rate exceeds {limit.calls} calls per {limit.period}s for {endpoint}"
            )
        fault = self.take_fault(endpoint, account.name)
        if fault is not None:
            count(CallResult.FAULT)
            log.info("emulator: injected %s fault on %s for %s", fault, endpoint, account.name)
            if fault is FaultKind.TIMEOUT:
                # Real time, not the clock's: it is the client's real timeout under test.
                await asyncio.sleep(self.fault_delay)
            elif fault is FaultKind.RESET:
                return _ConnectionReset()
            elif fault is FaultKind.DEEP_XML:
                deep = b"<a>" * DEEP_XML_LEVELS + b"</a>" * DEEP_XML_LEVELS
                return web.Response(status=200, body=deep, content_type="application/xml")
            elif fault not in ALTERING:
                return dialect.fault(fault)
        try:
            response = respond(account)
        except Reject as exc:
            if fault is None:
                count(exc.result)
            return dialect.error(exc.status, exc.code, exc.message)
        if fault in ALTERING:
            body = response.body if isinstance(response.body, bytes) else b"{}"
            if fault is FaultKind.NOT_FINITE:
                body = series_not_finite(body)
            elif fault is FaultKind.TOO_LARGE:
                body += b" " * max(0, self.oversize_bytes - len(body))  # still valid JSON
            else:
                body = body[: max(1, len(body) // 2)]
            return web.Response(status=200, body=body, content_type="application/json")
        if fault is None:
            count(CallResult.OK)
        return response


# Faults that alter the real answer rather than replace it.
__all__ = [
    "PROVIDERS",
    "CallCounts",
    "CallKey",
    "CallResult",
    "Dialect",
    "EmulatedAccount",
    "EmulatedRateLimit",
    "Emulator",
    "ErrorBurst",
    "Fault",
    "FaultKind",
    "Reject",
    "demo_accounts",
    "fault_from_json",
]
