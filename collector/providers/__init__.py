"""The provider registry: a config `provider:` name to its Provider object."""

from __future__ import annotations

from collector.providers.base import Provider


def get_provider(name: str) -> Provider:
    """The provider called `name` (wangsu, cdnetworks or volcengine)."""
    if name == "wangsu":
        from collector.providers.wangsu.provider import WANGSU

        return WANGSU
    if name == "cdnetworks":
        from collector.providers.wangsu.provider import CDNETWORKS

        return CDNETWORKS
    if name == "volcengine":
        from collector.providers.volcengine.provider import VOLCENGINE

        return VOLCENGINE
    raise KeyError(f"unknown provider {name!r}")
