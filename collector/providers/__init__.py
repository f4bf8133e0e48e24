"""The provider registry: config `provider:` names, their declarations and HELP texts."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from collector.families import slice_family
from collector.model import Family
from collector.providers.base import Provider
from collector.providers.discovery import Lister
from collector.providers.endpoint import Source, help_text

PROVIDER_NAMES = ("wangsu", "cdnetworks", "volcengine")
# CDNetworks spells Wangsu's reports its own way (same families, units and meaning):
# HELP texts name the API once for both, by its Wangsu spelling.
_HELP_PROVIDERS = {"wangsu": "Wangsu/CDNetworks", "volcengine": "Volcengine"}


def get_provider(name: str) -> Provider[Any]:
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


def get_lister(name: str) -> Lister:
    """The domain listing API of provider `name`."""
    provider: Any = get_provider(name)
    lister: Lister = provider
    return lister


@cache
def sources() -> dict[str, list[Source]]:
    """Every declared wire field, by the name of the family it feeds."""
    found: dict[str, list[Source]] = defaultdict(list)
    for name, label in _HELP_PROVIDERS.items():
        for spec in get_provider(name).catalog.values():
            for measure in spec.shape.measures:
                found[measure.family.name].append(Source(label, spec, measure))
    # The reports only CDNetworks documents (its spellings of Wangsu's are not repeated).
    wangsu = get_provider("wangsu").catalog
    for spec in get_provider("cdnetworks").catalog.values():
        if spec.name not in wangsu:
            for measure in spec.shape.measures:
                found[measure.family.name].append(Source("CDNetworks", spec, measure))
    return dict(found)


@cache
def help_for(family: Family) -> str:
    """The HELP text of `family`, generated from the declarations that feed it."""
    return help_text(family, sources().get(family.name, []))


@cache
def slice_help_for(family: Family) -> str:
    """The HELP text of `family`'s timestamped-slice family (`slices: true`)."""
    return help_text(slice_family(family), sources().get(family.name, []), slices=True)
