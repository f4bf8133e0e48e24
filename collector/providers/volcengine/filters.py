"""The typed filters a Volcengine Live query carries, frozen from the account's config."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Region:
    """A region filter as the API spells it: Area, optionally Country and Province."""

    area: str
    country: str | None = None
    province: str | None = None

    def wire(self) -> dict[str, str]:
        region = {"Area": self.area, "Country": self.country, "Province": self.province}
        return {k: v for k, v in region.items() if v}


@dataclass(frozen=True, slots=True)
class LiveQueryFilters:
    """Filters sent with every call; empty ones are left out of the body."""

    protocols: tuple[str, ...] = ()
    isps: tuple[str, ...] = ()
    regions: tuple[Region, ...] = ()
    user_regions: tuple[Region, ...] = ()
    transcode_resolutions: tuple[str, ...] = ()
    transcode_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.regions and self.user_regions:
            raise ValueError("RegionList and UserRegionList are mutually exclusive")


NO_FILTERS = LiveQueryFilters()


def filters_of(filters: object) -> LiveQueryFilters:
    """A query's filters as Live filters (None reads as no filters)."""
    if filters is None:
        return NO_FILTERS
    if not isinstance(filters, LiveQueryFilters):
        raise TypeError(f"a Volcengine query carries LiveQueryFilters, got {filters!r}")
    return filters
