"""The Wangsu/CDNetworks provider: sign and address report calls, sort their answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import orjson

from collector.http import HttpRequest, HttpResponse, host_header, retry_after
from collector.model import Outcome
from collector.providers.base import CallTarget, Classified, Provider, fan_out
from collector.providers.discovery import Lister, ListingPage
from collector.providers.endpoint import Endpoint, EndpointSettings, Query
from collector.providers.wangsu import discovery, signing
from collector.providers.wangsu.catalog import CATALOG, CDNETWORKS_CATALOG
from collector.providers.wangsu.config import WangsuAccount
from collector.providers.wangsu.wire import FLOW_DATA, decode_xml
from collector.timeslices import HOUR, format_offset

# Documented error codes (reference §5.7) with a fixed meaning. 24102019 ("number of
# domain exceeds the limit") must not be read as throttling although it says "limit".
_CLIENT_CODES = frozenset(
    {
        "24102006",
        "24102008",
        "24102013",
        "24102014",
        "24102019",
        "24102020",
        "24102021",
        "InvalidHTTPRequest",
        "InvalidDatePeriod",
        "DateSpanError",
        "NoSuchDomain",
    }
)
# "System error ... please try again", sent with HTTP 400: retryable, so a server error.
_SERVER_CODES = frozenset({"24102500"})
# The real throttle answer is undocumented (reference §9): match its likely wording.
_THROTTLE_WORDS = ("frequen", "throttl", "limit", "too many", "频率", "频繁", "限流")
_XML_FIELD = {
    key: re.compile(rf"<{key}>\s*(.*?)\s*</{key}>", re.DOTALL) for key in ("code", "message")
}
_MESSAGE_CAP = 300


def time_zone_header(offset_seconds: int) -> str | None:
    """`X-Time-Zone` for the request offset, or None when it is not whole hours.

    Response times carry no zone; sending the same offset we put in dateFrom/dateTo
    pins the zone they come back in. The documented form is `GMT±HH:00` only.
    """
    if offset_seconds % HOUR:
        return None
    return "GMT" + format_offset(offset_seconds)


_NOT_JSON: Any = object()


def _decode(body: bytes) -> tuple[Any, bool]:
    """The body decoded once: the JSON value, an XML body as the dict its JSON twin
    decodes to, or `_NOT_JSON` (a JSON `null` body is None); and whether it was JSON."""
    try:
        return orjson.loads(body), True
    except orjson.JSONDecodeError:
        pass
    if body.lstrip().startswith(b"<"):
        try:
            return decode_xml(body), False
        except ValueError:
            pass
    return _NOT_JSON, False


# The lists a success answer may hold: `result` or `data` (styles A, B), `flow-data`
# beside `flow-summary` (legacy style C), its CDNetworks spelling `dataSeries` beside
# `totalTraffic`, domainbandwidth's `bandwidthReport` and the certificate list's
# `ssl-certificates`.
_ENVELOPE_LISTS = (
    "result",
    "data",
    FLOW_DATA,
    "dataSeries",
    "bandwidthReport",
    "ssl-certificates",
)


def _has_envelope(decoded: dict[str, Any]) -> bool:
    """A success envelope: one of the `_ENVELOPE_LISTS`, a `data` object beside a `code`
    (/cdn/traffic/relay's report), or a myview `provider` object."""
    if any(
        key in decoded and (decoded[key] is None or isinstance(decoded[key], list))
        for key in _ENVELOPE_LISTS
    ):
        return True
    if "code" in decoded and isinstance(decoded.get("data"), dict):
        return True
    return isinstance(decoded.get("provider"), (dict, list))


def _code_message(decoded: Any, body: bytes) -> tuple[str | None, str]:
    """The provider's error code and message from a JSON or XML error body."""
    if isinstance(decoded, dict):
        code = decoded.get("code")
        message = decoded.get("message")
        return (
            None if code is None else str(code),
            "" if message is None else str(message),
        )
    if decoded is _NOT_JSON and body.lstrip().startswith(b"<"):
        text = body.decode("utf-8", errors="replace")
        found = {key: pattern.search(text) for key, pattern in _XML_FIELD.items()}
        code_match, message_match = found["code"], found["message"]
        return (
            code_match.group(1) if code_match else None,
            message_match.group(1) if message_match else "",
        )
    return None, ""


def _is_ok_code(code: Any) -> bool:
    return not isinstance(code, bool) and code in ("0", 0)


def _mentions_throttling(code: str | None, message: str) -> bool:
    if code in _CLIENT_CODES or code in _SERVER_CODES:
        return False
    text = f"{code or ''} {message}".lower()
    return any(word in text for word in _THROTTLE_WORDS)


def _describe(code: str | None, message: str, request_id: str | None) -> str:
    """Provider code, message and request id for the log (the caller adds the status)."""
    parts: list[str] = []
    if code is not None:
        parts.append(f"code={code}")
    if message:
        parts.append(f"message={message}")
    if request_id:
        parts.append(f"request_id={request_id}")
    text = " ".join(parts)
    return text if len(text) <= _MESSAGE_CAP else text[: _MESSAGE_CAP - 3] + "..."


class WangsuProvider:
    """Wangsu (open.chinanetcenter.com) or CDNetworks (api.cdnetworks.com): one wire protocol."""

    def __init__(
        self, name: str, default_base_url: str, catalog: Mapping[str, Endpoint] = CATALOG
    ) -> None:
        self.name = name
        self.default_base_url = default_base_url
        # The reports as this brand spells them by default (an account's api_dialect
        # may pick the other spelling: config.py).
        self.catalog: Mapping[str, Endpoint] = catalog

    def __repr__(self) -> str:
        return f"WangsuProvider({self.name!r}, {self.default_base_url!r})"

    def build_request(
        self, account: WangsuAccount, spec: Endpoint, query: Query, now: float
    ) -> HttpRequest:
        url = (account.base_url or self.default_base_url).rstrip("/") + spec.path
        if spec.build_query is not None:
            # Every reserved character percent-encoded, `+` as %2B (reference §7.6): the
            # signer signs the decoded query for GET and none for POST.
            url += "?" + urlencode(spec.build_query(query), quote_via=quote, safe="")
        # Serialised once: these exact bytes are hashed into the signature and sent.
        # A GET has no body.
        body = b"" if spec.method == "GET" else orjson.dumps(spec.build_body(query))
        return self._signed(account, spec.method, url, body, query.offset_seconds, now)

    def _signed(
        self, account: WangsuAccount, method: str, url: str, body: bytes, offset: int, now: float
    ) -> HttpRequest:
        headers: dict[str, str] = {
            "Host": host_header(url),
            # Explicit, so no client library substitutes text/plain (it is signed).
            "Content-Type": "application/json",
            # Without it the API may answer XML.
            "Accept": "application/json",
            # The ISP x province reports print ISP and province names in this language:
            # zh-CN (the default) gives Chinese names, en-US stable codes (reference §5.6).
            # Sent on every request, as the other reports ignore it; Chinese names that
            # still come back are mapped to the same codes (names.py).
            "Accept-Language": "en-US",
        }
        zone = time_zone_header(offset)
        if zone is not None:
            headers["X-Time-Zone"] = zone
        auth = account.credentials
        if auth.method == "aksk":
            headers.update(
                signing.sign_aksk(
                    method,
                    url,
                    headers,
                    body,
                    access_key=auth.access_key,
                    secret_key=auth.secret_key,
                    timestamp=int(now),
                )
            )
        else:
            headers.update(signing.sign_apikey(auth.username, auth.api_key, now))
        return HttpRequest(method=method, url=url, headers=headers, body=body)

    # Domain discovery (collector/providers/discovery.py's Lister).
    listing_limit = discovery.LISTING_LIMIT

    def build_listing_request(self, account: WangsuAccount, page: int, now: float) -> HttpRequest:
        url = (account.base_url or self.default_base_url).rstrip("/") + discovery.PATH
        body = orjson.dumps(discovery.listing_body(page))
        return self._signed(account, discovery.METHOD, url, body, account.offset_seconds, now)

    def classify_listing(self, response: HttpResponse) -> Classified:
        """A 2xx listing object is a success; anything else is sorted like a report's
        answer (the listing has no `code`/`data` envelope)."""
        decoded, is_json = _decode(response.body)
        if 200 <= response.status < 300 and is_json and discovery.is_listing(decoded):
            return Classified(Outcome.SUCCESS, payload=decoded)
        return self._classify(response, decoded, is_json)

    def parse_listing(self, payload: Any) -> ListingPage:
        return discovery.parse_listing(payload)

    def call_targets(self, account: WangsuAccount, settings: EndpointSettings) -> list[CallTarget]:
        """Domains split as the endpoint declares; Wangsu has no other fan-out values."""
        return fan_out(settings.spec.fan_out, settings.max_domains_per_call, account.domains)

    def query_filters(self, account: WangsuAccount) -> object:
        return None

    def classify(self, response: HttpResponse) -> Classified:
        return self._classify(response, *_decode(response.body))

    def _classify(self, response: HttpResponse, decoded: Any, is_json: bool) -> Classified:
        """Sort an answer already decoded (`is_json`: the body was JSON)."""
        status = response.status
        code, message = _code_message(decoded, response.body)
        text = _describe(code, message, response.headers.get("x-cnc-request-id"))

        if status in (429, 503) or (code != "0" and _mentions_throttling(code, message)):
            return Classified(
                Outcome.THROTTLED, message=text, retry_after=retry_after(response.headers)
            )
        if status in (401, 403):
            return Classified(Outcome.AUTH_FAILURE, message=text)
        if code in _SERVER_CODES or status >= 500:
            return Classified(Outcome.SERVER_ERROR, message=text)
        if not 200 <= status < 300:
            # 4xx, and redirects or informational answers we never asked for.
            return Classified(Outcome.CLIENT_ERROR, message=text)

        if not isinstance(decoded, dict):
            what = "not JSON" if decoded is _NOT_JSON else f"JSON {type(decoded).__name__}"
            start = response.body[:40].decode("utf-8", errors="replace")
            return Classified(
                Outcome.MALFORMED,
                message=f"body is {what}, not an object: {start!r} {text}".strip(),
                decodes=is_json,
            )
        if "code" in decoded and not _is_ok_code(decoded["code"]):
            # 2xx with an error code in the body is still an error (reference §7.9).
            return Classified(Outcome.CLIENT_ERROR, message=text)
        if not _has_envelope(decoded):
            keys = ", ".join(sorted(map(str, decoded))[:8])
            # An XML one counts as not decoding: we ask for JSON, and an XML page without
            # a report envelope is a gateway's page as likely as an answer.
            return Classified(
                Outcome.MALFORMED,
                message=f"no result, data, flow-data or provider (keys: {keys}) {text}".strip(),
                decodes=is_json,
            )
        return Classified(Outcome.SUCCESS, payload=decoded, message=text)


if TYPE_CHECKING:
    _conforms: Provider[WangsuAccount] = WangsuProvider("", "")
    _lists: Lister = WangsuProvider("", "")

WANGSU = WangsuProvider("wangsu", "https://open.chinanetcenter.com")
CDNETWORKS = WangsuProvider("cdnetworks", "https://api.cdnetworks.com", CDNETWORKS_CATALOG)
