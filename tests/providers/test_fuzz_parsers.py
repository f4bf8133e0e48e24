"""Fuzzing every declared endpoint of every provider through the pipeline's decode path
(`calls._decode`: classify, then parse): each answer, seeded by the endpoint's recorded
fixture with values made NaN, infinite, huge, negative, strings or nested, keys deleted,
bytes cut short, either yields finite non-negative values or is malformed. Nothing else.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.calls import _decode, _ParseFailure
from collector.http import HttpResponse
from collector.model import Outcome
from collector.providers import PROVIDER_NAMES, get_provider
from collector.providers.endpoint import Endpoint, MalformedResponse
from tests.providers.test_parser_properties import FIXTURES, Seed, mutate

# What a broken provider puts where a number belongs.
HOSTILE = [
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "-1",
    "-0.5",
    1e308,
    -1,
    2**62,
    "12,5",
    "",
    "abc",
    None,
    True,
    [],
    [1.0],
    {"value": 1.0},
    {"nested": {"deeper": ["NaN"]}},
]
FUZZ = settings(
    max_examples=25,  # per endpoint: well over a hundred endpoints
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _slug(path: str) -> str:
    """A report path as the CDNetworks fixtures are named: `/api/report/traffic-request/origin`
    is `traffic_request_origin`."""
    return path.removeprefix("/api/report/").replace("/", "_").replace("-", "_")


def _endpoint_seeds() -> list[tuple[str, Seed]]:
    """(provider name, seed) for every endpoint of every catalog: the fixtures named after
    it (the longest endpoint name a fixture starts with, or for CDNetworks its path), else
    those of an endpoint calling the same path (an alternative reading of the same API), else
    those of its CDN twin (a DWA variant keeps the Wangsu keys)."""
    out = []
    for name in PROVIDER_NAMES:
        provider = get_provider(name)
        catalog: dict[str, Endpoint] = dict(provider.catalog)
        folders = {
            "volcengine": ["volcengine"],
            "cdnetworks": ["cdnetworks", "wangsu"],
        }.get(name, ["wangsu"])
        owner: dict[str, list[bytes]] = {}
        for folder in folders:
            for path in sorted((FIXTURES / folder).iterdir()):
                names = [
                    n
                    for n, spec in catalog.items()
                    if path.stem == n
                    or path.stem.startswith(n + "_")
                    or (folder == "cdnetworks" and path.stem == _slug(spec.path))
                ]
                if names and path.suffix in (".json", ".xml"):
                    best = max(names, key=len)
                    if folder == folders[0] or best not in owner:
                        owner.setdefault(best, []).append(path.read_bytes())
        for spec in catalog.values():
            bodies = (
                owner.get(spec.name)
                or [
                    body
                    for other in catalog.values()
                    if other.path == spec.path
                    for body in owner.get(other.name, [])
                ]
                or owner.get(spec.name.removesuffix("_dwa"), [])
            )
            assert bodies, f"{name}/{spec.name}: no fixture to start from"
            out.extend((name, Seed(provider, spec, spec.name, body)) for body in bodies)
    return out


SEEDS = _endpoint_seeds()
ENDPOINTS = sorted({(name, seed.spec.name) for name, seed in SEEDS})


def _values(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every number, numeric string or measure-looking leaf in a decoded answer."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _values(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _values(value, (*path, index))
    elif path and not isinstance(node, bool) and isinstance(node, (int, float, str)):
        try:
            float(node)
        except ValueError:
            return found
        found.append(path)
    return found


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def hostile_values(body: bytes, rng: random.Random) -> bytes:
    """The answer with one to all of its numbers replaced by hostile values."""
    doc = orjson.loads(body)
    paths = _values(doc)
    if not paths:
        return body
    chosen = paths if rng.random() < 0.3 else rng.sample(paths, rng.randint(1, len(paths)))
    for path in chosen:
        _set(doc, path, rng.choice(HOSTILE))
    return json.dumps(doc).encode()


def through_the_pipeline(seed: Seed, body: bytes) -> None:
    """The pipeline's decode path; it may say malformed, never raise or yield NaN."""
    response = HttpResponse(200, {"content-type": "application/json"}, body)
    query = seed.query()

    def parse(payload: Any) -> Any:
        return seed.spec.parse(payload, query)

    classified, parsed = _decode(response, seed.provider.classify, parse)
    assert isinstance(classified.outcome, Outcome)
    if classified.outcome is not Outcome.SUCCESS:
        return
    if isinstance(parsed, _ParseFailure):
        assert isinstance(parsed.error, MalformedResponse), repr(parsed.error)
        return
    assert parsed is not None
    for point in parsed:
        assert math.isfinite(point.value), point
        assert point.value >= 0, point


@pytest.mark.parametrize(("provider", "endpoint"), ENDPOINTS)
def test_every_endpoint_yields_finite_values_or_a_malformed_answer(
    provider: str, endpoint: str
) -> None:
    seeds = [s for name, s in SEEDS if (name, s.spec.name) == (provider, endpoint)]

    @FUZZ
    @given(seed=st.sampled_from(seeds), draw=st.integers(0, 2**32))
    def check(seed: Seed, draw: int) -> None:
        rng = random.Random(draw)
        body = seed.body
        if body.lstrip().startswith(b"<"):  # XML: cut short, bytes flipped
            cut = rng.randrange(len(body))
            through_the_pipeline(seed, body[:cut] + rng.randbytes(rng.randrange(3)))
            return
        through_the_pipeline(seed, hostile_values(body, rng))
        # A few random edits anywhere (keys deleted, values retyped), then cut short.
        mutated = json.dumps(mutate(orjson.loads(body), rng)).encode()
        through_the_pipeline(seed, mutated)
        through_the_pipeline(seed, mutated[: rng.randrange(len(mutated) + 1)])

    check()
