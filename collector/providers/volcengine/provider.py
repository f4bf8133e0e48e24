"""The Volcengine Live provider: request building, signing and response classification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson

from collector.http import HttpRequest, HttpResponse, host_header, retry_after
from collector.model import Outcome
from collector.providers.base import CallTarget, Classified, Provider, fan_out
from collector.providers.discovery import Lister, ListingPage
from collector.providers.endpoint import Endpoint, EndpointSettings, FanOut, Query
from collector.providers.volcengine import discovery
from collector.providers.volcengine.catalog import CATALOG
from collector.providers.volcengine.config import VolcengineAccount
from collector.providers.volcengine.declare import MAX_GROUPS, VERSION
from collector.providers.volcengine.signing import (
    DEFAULT_SERVICE,
    format_x_date,
    sign,
)

DEFAULT_BASE_URL = "https://live.volcengineapi.com"

# Reference §3.2 and §9: throttling has no confirmed code, so match any of these.
THROTTLING_MARKERS = ("FlowLimitExceeded", "RequestLimitExceeded", "Throttling")
AUTH_CODES = frozenset(
    {
        "MissingAuthenticationToken",
        "MissingSignature",
        "MissingRequestInfo",
        "SignatureDoesNotMatch",
        "InvalidAccessKey",
        "InvalidTimestamp",
        "InvalidAuthorization",
        "InvalidCredential",
        "InvalidSecretToken",
        "AccessDenied",
        "LackPolicy",
        "LackProjectPolicy",
    }
)
# The gateway's numeric codes (reference §3.2), for an Error that carries CodeN only.
CODE_N = {
    100002: "MissingParameter",
    100003: "MissingAuthenticationToken",
    100004: "MissingRequestInfo",
    100005: "MissingSignature",
    100006: "InvalidTimestamp",
    100007: "ServiceNotFound",
    100008: "InvalidActionOrVersion",
    100009: "InvalidAccessKey",
    100010: "SignatureDoesNotMatch",
    100012: "LackPolicy",
    100013: "AccessDenied",
    100014: "InternalError",
    100016: "InternalServiceTimeout",
    100018: "FlowLimitExceeded",
    100019: "ServiceUnavailableTemp",
}
SERVER_CODE_MARKERS = ("InternalError", "InternalServiceError", "ServiceUnavailable", "Timeout")


def fan_out_scope(account: VolcengineAccount, kind: FanOut) -> tuple[str, ...]:
    """The non-domain values a fan-out splits on: pull-to-push groups or vhosts."""
    if kind is FanOut.GROUP_BATCHES:
        return account.pull_to_push_groups
    if kind is FanOut.PER_VHOST:
        return account.time_shift_vhosts
    return ()


def _error_of(decoded: Any) -> dict[str, Any] | None:
    """ResponseMetadata.Error when it reports an error (a Code, or a non-zero CodeN)."""
    if not isinstance(decoded, dict):
        return None
    meta = decoded.get("ResponseMetadata")
    error = meta.get("Error") if isinstance(meta, dict) else None
    if not isinstance(error, dict):
        return None
    if error.get("Code") or error.get("CodeN") not in (None, 0, "0", ""):
        return error
    return None


def _code_of(code_n: Any) -> str:
    try:
        return CODE_N.get(int(code_n), "")
    except (TypeError, ValueError):
        return ""


def _by_status(status: int) -> Outcome:
    if status == 429:
        return Outcome.THROTTLED
    if status in (401, 403):
        return Outcome.AUTH_FAILURE
    if status >= 500:
        return Outcome.SERVER_ERROR
    return Outcome.CLIENT_ERROR


def _by_code(code: str, status: int) -> Outcome:
    if status == 429 or any(marker in code for marker in THROTTLING_MARKERS):
        return Outcome.THROTTLED
    if code in AUTH_CODES:
        return Outcome.AUTH_FAILURE
    if status >= 500 or any(marker in code for marker in SERVER_CODE_MARKERS):
        return Outcome.SERVER_ERROR
    if 400 <= status < 500:
        return _by_status(status)
    # An unknown error code inside a 2xx: the request was understood and refused.
    return Outcome.CLIENT_ERROR


class VolcengineProvider:
    """Volcengine Live (Version 2023-01-01): POST /?Action=X&Version=..., V4-signed JSON."""

    name = "volcengine"
    default_base_url = DEFAULT_BASE_URL
    catalog: Mapping[str, Endpoint] = CATALOG

    def url(self, account: VolcengineAccount, spec: Endpoint) -> str:
        base = (account.base_url or DEFAULT_BASE_URL).rstrip("/")
        return f"{base}/?{urlencode({'Action': spec.path, 'Version': VERSION})}"

    def build_request(
        self, account: VolcengineAccount, spec: Endpoint, query: Query, now: float
    ) -> HttpRequest:
        """Serialise the body once and sign those exact bytes, with X-Date from `now`."""
        url = self.url(account, spec)
        return self._signed(account, spec.method, url, orjson.dumps(spec.build_body(query)), now)

    def _signed(
        self, account: VolcengineAccount, method: str, url: str, body: bytes, now: float
    ) -> HttpRequest:
        # Host is set explicitly so the signed value is the one sent, whatever the client.
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Host": host_header(url),
        }
        headers.update(
            sign(
                method,
                url,
                headers,
                body,
                access_key=account.access_key,
                secret_key=account.secret_key,
                x_date=format_x_date(now),
                region=account.region,
                service=DEFAULT_SERVICE,
                session_token=account.session_token,
            )
        )
        return HttpRequest(method=method, url=url, headers=headers, body=body)

    # Domain discovery (collector/providers/discovery.py's Lister).
    listing_limit = discovery.LISTING_LIMIT

    def build_listing_request(
        self, account: VolcengineAccount, page: int, now: float
    ) -> HttpRequest:
        base = (account.base_url or DEFAULT_BASE_URL).rstrip("/")
        url = f"{base}/?{urlencode({'Action': discovery.ACTION, 'Version': VERSION})}"
        return self._signed(account, "POST", url, orjson.dumps(discovery.listing_body(page)), now)

    def classify_listing(self, response: HttpResponse) -> Classified:
        return self.classify(response)

    def parse_listing(self, payload: Any) -> ListingPage:
        return discovery.parse_listing(payload)

    def call_targets(
        self, account: VolcengineAccount, settings: EndpointSettings
    ) -> list[CallTarget]:
        """No domains configured: one call for the account total, labelled `*`."""
        kind = settings.spec.fan_out
        cap = MAX_GROUPS if kind is FanOut.GROUP_BATCHES else settings.max_domains_per_call
        return fan_out(kind, cap, account.domains, fan_out_scope(account, kind))

    def query_filters(self, account: VolcengineAccount) -> object:
        return account.filters

    def classify(self, response: HttpResponse) -> Classified:
        """ResponseMetadata.Error means failure whatever the status; success needs Result."""
        wait = retry_after(response.headers)
        try:
            decoded = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            snippet = response.body[:200].decode("utf-8", "replace")
            if 200 <= response.status < 300:
                return Classified(
                    Outcome.MALFORMED, message=f"not JSON: {snippet!r}", decodes=False
                )
            # A proxy's HTML error page still says what happened through its status.
            return Classified(
                _by_status(response.status),
                message=f"not JSON: {snippet!r}",
                retry_after=wait,
            )
        error = _error_of(decoded)
        if error is not None:
            code = str(error.get("Code") or "") or _code_of(error.get("CodeN"))
            meta = decoded["ResponseMetadata"]
            message = f"{code or error.get('CodeN')}: {error.get('Message') or ''}"
            if meta.get("RequestId"):
                message += f" (RequestId {meta['RequestId']})"
            return Classified(_by_code(code, response.status), message=message, retry_after=wait)
        if not 200 <= response.status < 300:
            return Classified(
                _by_status(response.status),
                message="no error envelope",
                retry_after=wait,
            )
        result = decoded.get("Result") if isinstance(decoded, dict) else None
        if not isinstance(result, dict):
            return Classified(Outcome.MALFORMED, message="no Result object in a success response")
        return Classified(Outcome.SUCCESS, payload=result)


if TYPE_CHECKING:
    _conforms: Provider[VolcengineAccount] = VolcengineProvider()
    _lists: Lister = VolcengineProvider()

VOLCENGINE = VolcengineProvider()
