"""Every Wangsu request body and query string, byte for byte, as recorded before bodies became data.

`tests/fixtures/wangsu/request_bodies.json` holds what the code sent when the bodies were
still one function each: regenerate it only for an intended change of the wire
(`python3 tests/providers/wangsu/test_request_bodies.py > <that file>`, PYTHONPATH set).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import orjson
import pytest

from collector.providers.endpoint import Endpoint, Query
from collector.providers.wangsu.catalog import CATALOG
from collector.timeslices import HOUR, Window

RECORD = Path(__file__).resolve().parents[2] / "fixtures" / "wangsu" / "request_bodies.json"
# A UTC midnight: every slice length below a day is aligned at it, whatever the offset.
MIDNIGHT = 1_780_012_800
DOMAIN_SETS = (("a.example.com",), ("a.example.com", "b.example.net", "c.example.org"))


def queries(spec: Endpoint) -> Iterator[tuple[str, Query]]:
    """A few queries per endpoint: each slice length, one and several domains, two offsets."""
    domain_sets = DOMAIN_SETS if spec.max_domains_per_call != 0 else ((),)
    for granularity in spec.slices:
        for offset in (8 * HOUR, -5 * HOUR):
            start = MIDNIGHT - offset  # a local midnight, so daily windows are whole days
            window = Window(start, start + 2 * granularity.seconds, granularity.seconds)
            for domains in domain_sets:
                if 0 < spec.max_domains_per_call < len(domains):
                    domains = domains[: spec.max_domains_per_call]
                key = f"{granularity.seconds}s {offset:+d} {','.join(domains)}"
                yield key, Query(spec.name, domains, window, offset)


def wire(spec: Endpoint, query: Query) -> dict[str, str]:
    """What a call sends: the body bytes (a GET sends none) and the query string."""
    body = b"" if spec.method == "GET" else orjson.dumps(spec.build_body(query))
    params = spec.build_query(query) if spec.build_query is not None else {}
    return {
        "body": body.decode(),
        "query": urlencode(params, quote_via=quote, safe=""),
    }


def record() -> dict[str, dict[str, dict[str, str]]]:
    return {
        name: {key: wire(spec, query) for key, query in queries(spec)}
        for name, spec in sorted(CATALOG.items())
    }


RECORDED: dict[str, dict[str, dict[str, str]]] = (
    orjson.loads(RECORD.read_bytes()) if RECORD.exists() else {}
)


def test_the_record_covers_the_reports_it_was_made_for() -> None:
    # Reports added later are checked by the emulator, which validates every body (the
    # two ISP/IPv6 bandwidth breakdowns were recorded when declared); a report dropped
    # from the catalog must be dropped from the record too.
    assert len(RECORDED) == 42
    assert set(RECORDED) <= set(CATALOG)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_each_body_is_the_recorded_bytes(name: str) -> None:
    spec = CATALOG[name]
    sent = {key: wire(spec, query) for key, query in queries(spec)}
    assert sent == RECORDED[name]


if __name__ == "__main__":
    sys.stdout.write(orjson.dumps(record(), option=orjson.OPT_INDENT_2).decode() + "\n")
