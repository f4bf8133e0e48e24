"""Wangsu routes: who is calling (signature checks against the emulated accounts) and
one handler per documented route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from collector.emulator.core import CallResult, EmulatedAccount, Emulator, Reject
from collector.emulator.wangsu import auth, catalog_health, listing
from collector.emulator.wangsu.catalog import ROUTES, SHAPES
from collector.emulator.wangsu.facts import MAX_SKEW, RouteFacts
from collector.emulator.wangsu.responses import (
    DIALECT,
    RouteBody,
    Shape,
    envelope,
    render,
)
from collector.emulator.wangsu.validation import validate, wants_xml

ACCOUNT_PROVIDERS = ("wangsu", "cdnetworks")  # both brands answer on the same routes


def _auth_failure(message: str, account: EmulatedAccount | None = None) -> Reject:
    # [?] The real status and code are unpublished (§5.7): 401 AuthFailure is our choice.
    return Reject(401, "AuthFailure", message, CallResult.AUTH_FAILURE, account)


def authenticate(emulator: Emulator, request: web.Request, body: bytes) -> EmulatedAccount:
    """The account a request is signed for (AK/SK §3.5 or apikey Basic §4), or Reject."""
    header = request.headers.get("Authorization", "")
    now = emulator.clock.time()
    if header.startswith(auth.AKSK_SCHEME + " "):
        try:
            fields = auth.aksk_fields(header)
        except auth.AuthError as error:
            raise _auth_failure(str(error)) from None
        access_key = request.headers.get("x-cnc-accessKey", "")
        if not access_key or fields["Credential"] != access_key:
            raise _auth_failure("Credential does not match x-cnc-accessKey")
        account = emulator.find_account(ACCOUNT_PROVIDERS, access_key=access_key)
        if account is None:
            raise _auth_failure("unknown access key")
        path, _, query = request.raw_path.partition("?")
        try:
            auth.check_aksk(
                fields,
                account.secret_key,
                request.method,
                path,
                query,
                request.headers,
                body,
                now,
                MAX_SKEW,
            )
        except auth.AuthError as error:
            raise _auth_failure(str(error), account) from None
        return account
    if header[:6].lower() == "basic ":
        try:
            username, password = auth.basic_credentials(header[6:])
        except auth.AuthError as error:
            raise _auth_failure(str(error)) from None
        account = emulator.find_account(ACCOUNT_PROVIDERS, username=username)
        if account is None:
            raise _auth_failure("unknown username")
        try:
            auth.check_apikey(password, account.api_key, request.headers, now, MAX_SKEW)
        except auth.AuthError as error:
            raise _auth_failure(str(error), account) from None
        return account
    raise _auth_failure("missing or unsupported Authorization header")


def _bind(shape: Shape, body: bytes) -> tuple[bytes, Shape]:
    """A `RouteBody` reads its own body first: the body the common checks see, and the
    shape answering this request. Anything but a JSON object is left to `validate`."""
    if not isinstance(shape, RouteBody):
        return body, shape
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body, shape
    if not isinstance(payload, dict):
        return body, shape
    checked, answer = shape.bind(payload)
    return orjson.dumps(checked), answer


def _handler(
    emulator: Emulator, facts: RouteFacts, shape: Shape
) -> Callable[[web.Request], Awaitable[web.Response]]:
    dimensions = tuple(level.dimension for level in shape.levels)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()

        def respond(account: EmulatedAccount) -> web.Response:
            xml = wants_xml(request)
            checked, answer = _bind(shape, body)
            call = validate(emulator, facts, dimensions, account, request, checked)
            if call.xml is not None:
                xml = call.xml  # myview: `dataformat`, XML by default
            omit = frozenset() if emulator.on_request_fields else facts.on_request_fields
            return render(envelope(facts.envelope, answer.build(call, omit)), xml=xml)

        return await emulator.handle(
            dialect=DIALECT,
            endpoint=facts.name,
            rate_limit=facts.rate_limit,
            authenticate=lambda: authenticate(emulator, request, body),
            respond=respond,
        )

    return handle


def _listing_handler(emulator: Emulator) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()

        def respond(account: EmulatedAccount) -> web.Response:
            return render(listing.answer(account, body, emulator.clock.time()))

        return await emulator.handle(
            dialect=DIALECT,
            endpoint=listing.NAME,
            rate_limit=listing.RATE_LIMIT,
            authenticate=lambda: authenticate(emulator, request, body),
            respond=respond,
        )

    return handle


def register(app: web.Application, emulator: Emulator) -> None:
    """Add one route per documented report, the certificate list and the domain list."""
    app.router.add_route(listing.METHOD, listing.PATH, _listing_handler(emulator))
    for facts in ROUTES:
        app.router.add_route(
            facts.method, facts.path, _handler(emulator, facts, SHAPES[facts.name])
        )
    health = catalog_health.CERTIFICATES
    app.router.add_route(
        health.method, health.path, catalog_health.certificate_handler(emulator, authenticate)
    )
