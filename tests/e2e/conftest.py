"""The end-to-end tests are one xdist group: under `pytest -n`, one worker runs them in
turn, since each starts its own Prometheus, Alertmanager or Chromium on real-time
deadlines, while the other workers take the rest of the suite."""

from __future__ import annotations

import pytest


# First: xdist's own hook reads the group marks (this conftest may load before xdist's
# worker plugin is registered, which would otherwise run ahead of it).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("e2e"))
