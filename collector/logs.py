"""Logging setup: logfmt or JSON lines on stderr, control characters escaped."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime

import orjson

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

# Characters that would let a provider's string move the cursor, end a line, recolour a
# terminal or reorder text: C0 and C1 controls, DEL, invisible format characters
# (bidirectional overrides, zero-width), line and paragraph separators.
_BEYOND_C0 = (
    "\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_UNSAFE_CHARACTER = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# JSON escapes C0 itself (\n, \u001b); the rest would reach the line raw.
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control or invisible format character escaped (`\\n`, `\\r`,
    `\\x1b`, `\\u202e`): safe on one line of a log or a plain-text body, and readable."""
    return _UNSAFE_CHARACTER.sub(_escape, text)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields: dict[str, object] = {
        "ts": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    # The `extra=` keys of the call, each a field of its own (see setup_logging).
    for key, value in record.__dict__.items():
        if key not in _RESERVED and not key.startswith("_"):
            fields[key] = value
    return fields


def _logfmt_value(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' ="\\') and not _UNSAFE_CHARACTER.search(text):
        return text
    # Backslash first, so that an escape in the text stays distinguishable from ours.
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + printable(text) + '"'


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in _fields(record).items())


def _json_value(value: object) -> object:
    if isinstance(value, str):
        return _UNSAFE_IN_JSON.sub(_escape, value)
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {key: _json_value(value) for key, value in _fields(record).items()}
        return orjson.dumps(fields, default=lambda v: _json_value(str(v))).decode()


def setup_logging(level: str, fmt: str) -> None:
    """One line per record on stderr, logfmt or JSON. A call's `extra=` keys become
    fields of their own: a log line about one API call or poll passes
    `extra={"account": ..., "endpoint": ..., "outcome": ..., "duration": seconds}`, so
    JSON consumers filter on them instead of parsing `msg`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(max(logging.WARNING, root.level))
