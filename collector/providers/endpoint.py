"""The catalog types: one declaration per endpoint, and the settings it runs with."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import Any, Protocol, cast

from collector.model import Family, Kind, Point, RateLimit
from collector.timeslices import Window, granularity_name


class FanOut(StrEnum):
    """How one window of an endpoint becomes calls: a declared property of the API."""

    DOMAIN_BATCHES = "domain batches"  # up to max_domains_per_call domains a call
    PER_DOMAIN = "one call per domain"  # the answer cannot be split by domain
    GROUP_BATCHES = "group batches"  # Volcengine pull-to-push task groups
    PER_VHOST = "one call per vhost"  # Volcengine time-shift: one domain space a call
    ACCOUNT = "one call for the account"  # no list to split


class Reason:
    """Why an answer is malformed: the `reason` label of cdn_exporter_parse_errors_total."""

    NOT_JSON = "not_json"  # the body does not decode (or is not an object)
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"  # NaN or infinity
    NEGATIVE = "negative_value"
    OUT_OF_RANGE = "out_of_range"  # e.g. a ratio above 100 percent
    BAD_TIMESTAMP = "bad_timestamp"
    SHAPE = "shape"  # anything else the declared wire shape does not allow
    TOO_LARGE = "too_large"  # the body is over the transport's size cap

    ALL = (
        NOT_JSON,
        MISSING_FIELD,
        WRONG_TYPE,
        NOT_FINITE,
        NEGATIVE,
        OUT_OF_RANGE,
        BAD_TIMESTAMP,
        SHAPE,
        TOO_LARGE,
    )


class MalformedResponse(ValueError):
    """A response body that does not have the documented shape; `reason` sorts it."""

    def __init__(self, message: str, reason: str = Reason.SHAPE) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Unit:
    """A wire unit and its conversion to the base unit; `note` goes into HELP texts."""

    factor: float
    note: str
    # [?] A ratio documented without a unit: above 1 it must be percent, else a fraction.
    percent_above_one: bool = False
    # The undocumented property this unit depends on ("megabyte" or "ratio"), which an
    # account may override (UnitChoices); "" for a documented unit.
    choice: str = ""

    def resolve(self, choices: UnitChoices) -> Unit:
        """This unit as the account's choices read it (itself when they are defaults)."""
        if self.choice == "megabyte" and choices.megabyte == "binary":
            return Unit(self.factor * 1.048576, "MB read as 2^20 bytes (units.megabyte)")
        if self.choice == "ratio" and choices.ratio == "fraction":
            return Unit(1.0, "a ratio 0 to 1 (units.ratio: fraction)", strict_fraction=True)
        if self.choice == "ratio" and choices.ratio == "percent":
            return Unit(0.01, "percent divided by 100 (units.ratio: percent)")
        return self

    strict_fraction: bool = False  # a ratio that may not exceed 1

    def convert(self, value: float, where: str) -> float:
        """The one value gate: a wire number as a base-unit value, or MalformedResponse
        when it is not finite, negative, or out of range for this unit."""
        if not 0.0 <= value < _INF:  # NaN, infinite or negative: `checked` says which
            checked(value, where)
        if self.strict_fraction and value > 1:
            raise MalformedResponse(
                f"{where}: ratio {value!r} is above 1 (units.ratio is fraction)",
                Reason.OUT_OF_RANGE,
            )
        if self.percent_above_one:
            if value > 100:
                raise MalformedResponse(
                    f"{where}: ratio {value!r} is above 100 percent", Reason.OUT_OF_RANGE
                )
            return value / 100 if value > 1 else value
        converted = value * self.factor
        if converted == _INF:
            # 1e308 MB is a finite number on the wire and infinity in bytes.
            raise MalformedResponse(
                f"{where}: {value!r} is out of range in base units", Reason.NOT_FINITE
            )
        return converted


_INF = math.inf


def checked(value: float, where: str) -> float:
    """`value` if it is a finite, non-negative number, else MalformedResponse: what every
    value a parser yields passes (through `Unit.convert`, or here for a sum of them).

    NaN compares false with everything, so it is refused first, by name: a NaN hit
    ratio would otherwise slip past every range check below."""
    if not math.isfinite(value):
        raise MalformedResponse(f"{where}: not a finite number: {value!r}", Reason.NOT_FINITE)
    # Every quantity is a volume, rate, count or ratio; a negative one would make a
    # counter go backwards, so it is a malformed answer rather than data.
    if value < 0:
        raise MalformedResponse(f"{where}: negative value {value!r}", Reason.NEGATIVE)
    return value


@dataclass(frozen=True, slots=True)
class Measure:
    """One numeric wire field and the family it feeds, with constant extra labels."""

    field: str
    family: Family
    unit: Unit
    labels: tuple[str, ...] = ()  # appended after the walked labels, e.g. ("down",)
    optional: bool = False  # the SDK documents it as not returned by default


@dataclass(frozen=True, slots=True)
class Granularity:
    """A slice length an endpoint offers, with its longest span and data delay."""

    seconds: int
    max_span: int  # longest window one call may ask for at this slice length
    data_delay: int  # documented delay: the default settle delay at this slice length


@dataclass(frozen=True, slots=True)
class UnitChoices:
    """How an account reads the units the reference leaves open ([?]): MB as 10^6
    ("decimal", the default) or 2^20 bytes ("binary"); an undocumented ratio as a
    fraction that turns percent above 1 ("auto", the default), always a fraction, or
    always percent."""

    megabyte: str = "decimal"
    ratio: str = "auto"


DEFAULT_UNITS = UnitChoices()


@dataclass(frozen=True, slots=True)
class Query:
    """One call's worth of work: which domains, which window, which scope and filters.

    `scope` holds the non-domain fan-out values of the call (pull-to-push groups, a
    time-shift vhost); `filters` is the provider's typed filter object, or None.
    """

    endpoint: str
    domains: tuple[str, ...]
    window: Window
    offset_seconds: int
    scope: tuple[str, ...] = ()
    filters: object = None
    units: UnitChoices = DEFAULT_UNITS


class WireShape(Protocol):
    """Where an answer's series are and what they hold; parsed by one generic walker."""

    @property
    def envelope(self) -> str:
        """The envelope family, e.g. "result", "code-data", "volcengine"."""

    @property
    def measures(self) -> tuple[Measure, ...]:
        """Every value the shape reads."""

    def source(self, measure: Measure) -> str:
        """The path of `measure` in the answer, for HELP texts."""

    def parse(self, payload: Any, query: Query) -> Sequence[Point]:
        """Base-unit points from a decoded answer, or MalformedResponse."""


BodyBuilder = Callable[[Query], dict[str, Any]]
QueryBuilder = Callable[[Query], dict[str, str]]


@dataclass(frozen=True)
class Endpoint:
    """Everything the exporter knows about one report endpoint, declared once."""

    name: str  # config key and `endpoint` label, e.g. "flow_request"
    path: str  # URL path (Wangsu) or Action name (Volcengine)
    method: str
    rate_limit: RateLimit
    max_domains_per_call: int  # 0: the endpoint takes no domain list
    slices: tuple[Granularity, ...]  # offered slice lengths, default first
    fan_out: FanOut
    build_body: BodyBuilder
    shape: WireShape
    description: str
    opt_in: bool = False  # breakdowns that multiply series are off unless enabled
    history: int = 0  # how far back (seconds) the API answers; 0: not documented
    # The official SDK's models for this call, `<package>.<Action>` (Request and Response
    # suffixed), e.g. "reportflow.QueryTrafficRequestInTotalAndPeakValue"; tests use it.
    sdk_model: str = ""
    # Documented other endpoints feeding the same families at a larger per-call domain
    # cap: unless the config says which, the fresher plan for the account's domains wins.
    alternatives: tuple[str, ...] = ()
    # Query-string parameters, for legacy calls that take their dates and granularity
    # there (GET /api/report/flow, POST /api/report/domainflow); None: no query string.
    # A GET sends no body (build_body is then unused).
    build_query: QueryBuilder | None = None
    # Each call answers one figure for a range ending at the window's start, stamped
    # there (P95 over the month to date): its newest point trails the newest settled
    # slice by the re-read margin (collector.jobs.expected_data_age).
    point_at_window_start: bool = False

    def __post_init__(self) -> None:
        if not self.slices:
            raise ValueError(f"{self.name}: declares no granularity")
        takes_domains = self.fan_out in (FanOut.DOMAIN_BATCHES, FanOut.PER_DOMAIN)
        if takes_domains != (self.max_domains_per_call > 0):
            raise ValueError(f"{self.name}: a domain fan-out needs a per-call domain cap")

    @property
    def envelope(self) -> str:
        return self.shape.envelope

    @property
    def granularities(self) -> tuple[int, ...]:
        return tuple(g.seconds for g in self.slices)

    @property
    def max_span(self) -> int:
        """The default granularity's longest span."""
        return self.slices[0].max_span

    @property
    def data_delay(self) -> int:
        """The longest documented delay of any granularity: never settles too early."""
        return max(g.data_delay for g in self.slices)

    @property
    def families(self) -> tuple[Family, ...]:
        return tuple(dict.fromkeys(m.family for m in self.shape.measures))

    def granularity(self, seconds: int) -> Granularity:
        for g in self.slices:
            if g.seconds == seconds:
                return g
        allowed = ", ".join(granularity_name(g.seconds) for g in self.slices)
        raise ValueError(f"{self.name}: granularity {seconds}s is not offered ({allowed})")

    def parse(self, payload: Any, query: Query) -> Sequence[Point]:
        shape = self.shape
        if query.units != DEFAULT_UNITS:
            shape = _resolved(cast(Hashable, shape), query.units)
        return shape.parse(payload, query)

    def slice_names(self) -> str:
        return " or ".join(granularity_name(g.seconds) for g in self.slices)


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """An endpoint's declaration with the account's overrides applied."""

    spec: Endpoint
    interval: int
    settle_delay: int
    reread: int
    granularity: int
    rate_limit: RateLimit
    backfill: int  # how far back a poll reaches to refill slices missed in an outage or
    # while the exporter was down: the configured maximum, within the API's history
    max_domains_per_call: int = 0  # the spec's cap, or a lower configured one
    max_series: int = 0  # cap on this endpoint's series; 0: none
    expire_after_polls: int = 10  # a series no successful poll reported this often goes
    slices: bool = False  # also export timestamped slices (cdn_slice_* on /metrics/slices)
    # When picked as a fresher alternative source: what it replaced, for how many domains
    # (a note, not a setting: two settings differing only here build the same poller).
    chosen_over: str = field(default="", compare=False)
    # The sources to choose from once the account's domains are discovered, the declared
    # one first (empty: the choice is made): see config.endpoints.source_for.
    deferred: tuple[EndpointSettings, ...] = ()

    @property
    def max_span(self) -> int:
        return self.spec.granularity(self.granularity).max_span


@dataclass(frozen=True, slots=True)
class Source:
    """One wire field feeding a family: which provider and endpoint, where, which unit."""

    provider: str
    endpoint: Endpoint
    measure: Measure


_KIND_PHRASE = {
    Kind.GAUGE: " in the newest settled slice",
    Kind.COUNTER: ", each settled slice added once",
}


# How a timestamped-slice family (collector.families.slice_family) turns slices into samples.
SLICE_PHRASE = (
    ", one sample per settled slice stamped with the slice's end time, repeated while "
    "the slice is inside the re-read window (opt-in `slices: true`, on /metrics/slices)"
)


def help_text(family: Family, sources: Sequence[Source], *, slices: bool = False) -> str:
    """A family's HELP, generated from the declarations that feed it: the meaning,
    how slices become samples, and per source the API field, slice length and unit."""
    parts = []
    seen: set[str] = set()
    for source in sources:
        spec = source.endpoint
        text = (
            f"{source.provider} {spec.path} {spec.shape.source(source.measure)}, "
            f"{spec.slice_names()} slices, {source.measure.unit.note}"
        )
        if text not in seen:
            seen.add(text)
            parts.append(text)
    where = "; ".join(parts) if parts else "no source declared"
    phrase = SLICE_PHRASE if slices else _KIND_PHRASE[family.kind]
    return f"{family.meaning}{phrase} ({where})."


def chunks(values: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Split `values` into calls of at most `size`; nothing to split is one empty call."""
    if not values or size <= 0:
        return [()]
    return [tuple(values[i : i + size]) for i in range(0, len(values), size)]


@cache
def _resolved(shape: Hashable, units: UnitChoices) -> WireShape:
    """`shape` with every measure's unit resolved against `units` (shapes are frozen
    dataclasses holding their measures in fields, alone or in tuples, or a shape they
    wrap, such as a filter around a nested walker)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(shape):  # type: ignore[arg-type]
        value = getattr(shape, f.name)
        if isinstance(value, Measure):
            changes[f.name] = replace(value, unit=value.unit.resolve(units))
        elif isinstance(value, tuple) and value and all(isinstance(m, Measure) for m in value):
            changes[f.name] = tuple(replace(m, unit=m.unit.resolve(units)) for m in value)
        elif dataclasses.is_dataclass(value) and hasattr(value, "measures"):
            inner = _resolved(cast(Hashable, value), units)
            if cast(object, inner) is not value:
                changes[f.name] = inner
    return cast(WireShape, replace(shape, **changes) if changes else shape)  # type: ignore[type-var]
