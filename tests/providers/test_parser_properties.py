"""Property-based tests of every parser: generated and mutated answers, seeded by the
recorded fixtures, never raise anything past the parser boundary but MalformedResponse.

The boundary is what the poller calls: the provider's `classify` on the raw response,
then, on success, the endpoint's `parse` on the decoded payload. Every point that
comes out is a finite, non-negative base-unit value.
"""

from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.http import HttpResponse
from collector.model import Outcome, Point
from collector.providers.base import Provider
from collector.providers.endpoint import Endpoint, MalformedResponse, Query
from collector.providers.volcengine.catalog import CATALOG as LIVE
from collector.providers.volcengine.filters import LiveQueryFilters
from collector.providers.volcengine.provider import VOLCENGINE
from collector.providers.wangsu.catalog import CATALOG as WANGSU_CATALOG
from collector.providers.wangsu.provider import WANGSU
from collector.timeslices import DAY, Window

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = 1000  # per test; with two tests (four answers an example) thousands per envelope
CST = 8 * 3600


@dataclass(frozen=True)
class Seed:
    provider: Provider[Any]
    spec: Endpoint
    name: str
    body: bytes

    def query(self) -> Query:
        """A wide window around the fixtures' dates, at the endpoint's default slices."""
        step = self.spec.granularities[0]
        if self.provider is VOLCENGINE:
            start, end = 1_710_000_000 - 4 * DAY, 1_710_000_000 + 2 * DAY
            filters: object = LiveQueryFilters()
        else:
            start, end = 1_699_927_200 - 2 * DAY, 1_699_927_200 + 2 * DAY
            filters = None
        start -= (start + CST) % step
        end -= (end + CST) % step
        return Query(
            endpoint=self.spec.name,
            domains=("www.example.com", "img.example.com", "pull-a.example.com"),
            window=Window(start, end, step),
            offset_seconds=CST,
            scope=("vhost.example.com",) if "time_shift" in self.spec.name else (),
            filters=filters,
        )


def _seeds(provider: Provider[Any], folder: str, catalog: dict[str, Endpoint]) -> list[Seed]:
    seeds = []
    for path in sorted((FIXTURES / folder).glob("*.json")):
        # The fixture of the longest endpoint name it starts with (error fixtures: any).
        names = [n for n in catalog if path.stem.startswith(n)]
        spec = catalog[max(names, key=len)] if names else next(iter(catalog.values()))
        seeds.append(Seed(provider, spec, path.stem, path.read_bytes()))
    return seeds


SEEDS = [*_seeds(WANGSU, "wangsu", WANGSU_CATALOG), *_seeds(VOLCENGINE, "volcengine", LIVE)]
ENVELOPES = sorted({s.spec.envelope for s in SEEDS})
KEYS = sorted(
    {
        key
        for seed in SEEDS
        for key in json.dumps(orjson.loads(seed.body)).split('"')[1::2]
        if key.isidentifier()
    }
)

TRICKY = [
    "NaN",
    "-1",
    "Infinity",
    "1e308",
    "1e309",
    " 12.34 ",
    "0x10",
    "",
    "2023-11-14 10:05",
    "2023-11-14 24:00",
    "2023-11-14",
    "2023-02-30 10:00",
    "2024-03-10T00:00:00+08:00",
    "2024-03-10T00:00:00",
    "9999-12-31T23:59:59Z",
    "0",
    "100.01",
]
ODD_NUMBERS = [0, -1, -0.0, 1e308, -1e308, 2**63, 2**70, -(2**70), 1e-320, math.nan, math.inf]


def _leaf(rng: random.Random) -> Any:
    kind = rng.randrange(7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice(ODD_NUMBERS)
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind == 4:
        return rng.randrange(-(10**6), 10**6)
    if kind == 5:
        return "".join(rng.choice("ab1.:-T Z+\u00e9\x00") for _ in range(rng.randrange(8)))
    return rng.choice(TRICKY)


def random_json(rng: random.Random, depth: int = 3) -> Any:
    """A JSON-ish value: the provider's own keys often, odd numbers and strings."""
    roll = rng.random()
    if depth <= 0 or roll < 0.5:
        return _leaf(rng)
    if roll < 0.75:
        return [random_json(rng, depth - 1) for _ in range(rng.randrange(4))]
    return {
        (rng.choice(KEYS) if rng.random() < 0.8 else str(rng.random())): random_json(rng, depth - 1)
        for _ in range(rng.randrange(4))
    }


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def mutate(doc: Any, rng: random.Random) -> Any:
    """One to four edits anywhere in the tree: replace, delete, duplicate, retype, add."""
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(_paths(doc))
        op = rng.choice(["replace", "delete", "duplicate", "retype", "add"])
        if not path:
            doc = random_json(rng) if op == "replace" else doc
            continue
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        value = parent[last]
        if op == "replace":
            parent[last] = random_json(rng)
        elif op == "delete":
            del parent[last]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(value))
        elif op == "retype":
            if isinstance(value, str):
                try:
                    parent[last] = float(value)
                except ValueError:
                    parent[last] = [value]
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[last] = str(value) if rng.random() < 0.5 else -value
            else:
                parent[last] = None
        elif op == "add" and isinstance(value, dict):
            value[rng.choice(KEYS)] = random_json(rng)
    return doc


def through_the_boundary(seed: Seed, status: int, headers: dict[str, str], body: bytes) -> None:
    """What the poller does with one answer; only MalformedResponse may come out."""
    classified = seed.provider.classify(HttpResponse(status, headers, body))
    assert isinstance(classified.outcome, Outcome)
    if classified.outcome is not Outcome.SUCCESS:
        return
    try:
        points = seed.spec.parse(classified.payload, seed.query())
    except MalformedResponse:
        return
    for point in points:
        assert isinstance(point, Point)
        assert math.isfinite(point.value), point
        assert point.value >= 0, point
        assert isinstance(point.end, int), point


STATUS = st.sampled_from([200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 503])
HEADERS = st.dictionaries(
    st.sampled_from(["retry-after", "content-type", "x-cnc-request-id"]),
    st.text(max_size=12) | st.sampled_from(["2", "-1", "1e9", "nan", "Wed, 21 Oct 2015"]),
    max_size=3,
)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # no .hypothesis directory in the tree
)


# Hypothesis picks the seed, status, headers and a random seed; the mutations draw from
# that seed in plain Python (one Hypothesis draw each, not one per edit), so thousands of
# answers take seconds. A failure names the seed that reproduces it.
@pytest.mark.parametrize("envelope", ENVELOPES)
def test_mutated_fixtures_raise_nothing_but_malformed_response(envelope: str) -> None:
    seeds = [s for s in SEEDS if s.spec.envelope == envelope]
    assert len(seeds) >= 3, envelope

    @SETTINGS
    @given(seed=st.sampled_from(seeds), status=STATUS, headers=HEADERS, draw=st.integers())
    def check(seed: Seed, status: int, headers: dict[str, str], draw: int) -> None:
        doc = mutate(orjson.loads(seed.body), random.Random(draw))
        # The stdlib writes NaN, Infinity and integers past 64 bits, which orjson
        # refuses to read: those answers exercise the not-JSON path.
        through_the_boundary(seed, status, headers, json.dumps(doc).encode())
        # And the mutated document as a decoded payload, straight into the parser.
        if isinstance(doc, dict):
            payload = doc.get("Result", doc) if seed.provider is VOLCENGINE else doc
            try:
                points = seed.spec.parse(payload, seed.query())
            except MalformedResponse:
                return
            assert all(math.isfinite(p.value) and p.value >= 0 for p in points)

    check()


@pytest.mark.parametrize("envelope", ENVELOPES)
def test_generated_and_damaged_bodies_raise_nothing_but_malformed_response(
    envelope: str,
) -> None:
    seeds = [s for s in SEEDS if s.spec.envelope == envelope]

    @SETTINGS
    @given(seed=st.sampled_from(seeds), status=STATUS, draw=st.integers())
    def check(seed: Seed, status: int, draw: int) -> None:
        rng = random.Random(draw)
        # A generated document, raw bytes, and the seed cut short with noise spliced in.
        through_the_boundary(seed, status, {}, json.dumps(random_json(rng, 4)).encode())
        through_the_boundary(seed, status, {}, rng.randbytes(rng.randrange(64)))
        at = rng.randrange(len(seed.body))
        noise = rng.randbytes(rng.randrange(4))
        through_the_boundary(seed, status, {}, seed.body[:at] + noise + seed.body[at + 1 :])

    check()


def test_every_seed_parses_as_recorded() -> None:
    """The seeds are good answers: mutations start from a parser's happy path."""
    parsed = 0
    for seed in SEEDS:
        classified = seed.provider.classify(HttpResponse(200, {}, seed.body))
        if classified.outcome is Outcome.SUCCESS:
            try:
                seed.spec.parse(classified.payload, seed.query())
            except MalformedResponse:
                continue
            parsed += 1
    assert parsed >= 0.7 * len(SEEDS)
