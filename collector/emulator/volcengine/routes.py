"""Volcengine routes: who is calling (V4 signatures against the emulated accounts) and
`POST /?Action=...&Version=2023-01-01` for the usage and health APIs, the certificate
list, the domain list and the two lookups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from collector.emulator.core import UNKNOWN_ACCOUNT, CallResult, EmulatedAccount, Emulator, Reject
from collector.emulator.volcengine import auth, certificates, listing
from collector.emulator.volcengine.catalog_health import HEALTH_BUILDERS
from collector.emulator.volcengine.facts import (
    BY_ACTION,
    CERT_ACTION,
    CERT_RATE_LIMIT,
    ERRORS,
    LOOKUP_ACTIONS,
    MAX_SKEW,
    RATE_LIMIT,
    REGION,
    SERVICE,
    VERSION,
)
from collector.emulator.volcengine.responses import (
    BUILDERS,
    LOOKUPS,
    PROVIDER,
    VolcengineDialect,
    metadata,
    render,
)
from collector.emulator.volcengine.validation import validate

# Every Action's Result builder: the usage Actions' and the health Actions'.
_BUILDERS = {**BUILDERS, **HEALTH_BUILDERS}

_MESSAGES = {
    "MissingAuthenticationToken": "the request has no Authorization header",
    "InvalidAuthorization": "the Authorization header is malformed",
    "InvalidCredential": "the Credential is not AK/date/cn-north-1/live/request",
    "InvalidAccessKey": "the access key does not exist",
    "InvalidTimestamp": "请求过期或请求的签名时间来自未来 (X-Date is expired or in the future)",
    "InvalidSecretToken": "the security token is invalid",
    "SignatureDoesNotMatch": "the request signature does not match",
}

_AUTH_CODES = frozenset(_MESSAGES)


def _reject(code: str, account: EmulatedAccount | None = None) -> Reject:
    """A verifier verdict as the gateway's error, counted as an auth failure."""
    status = ERRORS.get(code, (401, None))[0]
    result = CallResult.AUTH_FAILURE if code in _AUTH_CODES else CallResult.BAD_REQUEST
    return Reject(status, code, _MESSAGES.get(code, code), result, account)


def authenticate(emulator: Emulator, request: web.Request, body: bytes) -> EmulatedAccount:
    """The account a V4-signed request belongs to, or Reject with the gateway's code."""
    found: list[EmulatedAccount] = []

    def keys(access_key: str) -> auth.Key | None:
        account = emulator.find_account((PROVIDER,), access_key=access_key)
        if account is None:
            return None
        found.append(account)
        return auth.Key(account.secret_key, account.session_token)

    verdict = auth.verify(
        request.method,
        request.path,
        request.rel_url.raw_query_string,
        request.headers,
        body,
        keys,
        emulator.clock.time(),
        region=REGION,
        service=SERVICE,
        max_skew=MAX_SKEW,
    )
    account = found[0] if found else None
    if verdict is not None:
        raise _reject(verdict, account=account)
    assert account is not None  # verify looked the key up
    return account


def _handler(emulator: Emulator) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        action = request.query.get("Action", "")
        version = request.query.get("Version", "")
        dialect = VolcengineDialect(action, version, emulator)
        if not action or not version:
            emulator.record(PROVIDER, UNKNOWN_ACCOUNT, action or "?", CallResult.BAD_REQUEST)
            return dialect.error(400, "MissingParameter", "Action and Version are required")
        if version != VERSION or (
            action not in BY_ACTION
            and action not in LOOKUP_ACTIONS
            and action not in (listing.ACTION, CERT_ACTION)
        ):
            emulator.record(PROVIDER, UNKNOWN_ACCOUNT, action, CallResult.BAD_REQUEST)
            return dialect.error(
                404,
                "InvalidActionOrVersion",
                f"Could not find operation {action} for version {version}",
            )
        rate_limit = RATE_LIMIT  # 30/s for every API (§4.1) but ListCertV2
        if action == CERT_ACTION:
            endpoint, rate_limit = "certificates", CERT_RATE_LIMIT

            def respond(account: EmulatedAccount) -> web.Response:
                meta = metadata(action, version, emulator.clock.time())
                found = certificates.result(account, body, emulator.clock.time())
                return render({"ResponseMetadata": meta, "Result": found})

        elif action == listing.ACTION:
            endpoint = "domain_list"

            def respond(account: EmulatedAccount) -> web.Response:
                meta = metadata(action, version, emulator.clock.time())
                found = listing.result(account, body, emulator.clock.time())
                return render({"ResponseMetadata": meta, "Result": found})

        elif action in LOOKUP_ACTIONS:
            endpoint, lookup = LOOKUP_ACTIONS[action], LOOKUPS[action]

            def respond(account: EmulatedAccount) -> web.Response:
                meta = metadata(action, version, emulator.clock.time())
                return render({"ResponseMetadata": meta, "Result": lookup()})

        else:
            api, build = BY_ACTION[action], _BUILDERS[action]
            endpoint = api.name

            def respond(account: EmulatedAccount) -> web.Response:
                call = validate(api, emulator, account, body)
                meta = metadata(action, version, emulator.clock.time())
                return render({"ResponseMetadata": meta, "Result": build(call)})

        return await emulator.handle(
            dialect=dialect,
            endpoint=endpoint,
            rate_limit=rate_limit,
            authenticate=lambda: authenticate(emulator, request, body),
            respond=respond,
        )

    return handle


def register(app: web.Application, emulator: Emulator) -> None:
    """Serve every Action on `POST /`."""
    app.router.add_post("/", _handler(emulator))
