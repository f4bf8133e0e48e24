"""Shared helpers for the Wangsu/CDNetworks provider tests: fixture loading and queries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wangsu"


@pytest.fixture
def load() -> Callable[[str], Any]:
    """Decode `tests/fixtures/wangsu/<name>.json` (as the classifier would, with orjson)."""

    def _load(name: str) -> Any:
        return orjson.loads((FIXTURES / f"{name}.json").read_bytes())

    return _load


@pytest.fixture
def raw() -> Callable[[str], bytes]:
    """The bytes of `tests/fixtures/wangsu/<name>.json`, as they would come off the wire."""

    def _raw(name: str) -> bytes:
        return (FIXTURES / f"{name}.json").read_bytes()

    return _raw
