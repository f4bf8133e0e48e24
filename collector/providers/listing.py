"""The catalog as rows: what `--list-endpoints` prints, from the declarations alone."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from collector.providers import get_provider
from collector.timeslices import granularity_name

# (provider, the `provider:` names polling its catalog by default, the package declaring
# it): CDNetworks spells the Wangsu reports its own way and adds its own
# (`api_dialect: wangsu` makes a CDNetworks account poll the Wangsu spellings).
CATALOGS = (
    ("wangsu", ("wangsu",), "wangsu"),
    ("cdnetworks", ("cdnetworks",), "wangsu"),
    ("volcengine", ("volcengine",), "volcengine"),
)


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def declared_in(provider: str, package: str) -> Mapping[str, str]:
    """Report name -> the module declaring it, for a provider whose catalog spans
    modules (its package's catalog.py `DECLARED_IN`, or `<PROVIDER>_DECLARED_IN` for a
    second brand's); otherwise every report is in catalog.py."""
    catalog = importlib.import_module(f"collector.providers.{package}.catalog")
    name = "DECLARED_IN" if provider == package else f"{provider.upper()}_DECLARED_IN"
    found: Mapping[str, str] = getattr(catalog, name, {})
    return found


def endpoint_rows() -> list[dict[str, Any]]:
    """Every declared endpoint of every provider, as JSON-ready objects."""
    rows = []
    for provider, config_names, package in CATALOGS:
        modules = declared_in(provider, package)
        for spec in get_provider(provider).catalog.values():
            rows.append(
                {
                    "provider": provider,
                    "config_providers": list(config_names),
                    "name": spec.name,
                    "path": spec.path,
                    "method": spec.method,
                    "rate_limit": {
                        "calls": spec.rate_limit.calls,
                        "period": spec.rate_limit.period,
                        "assumed": spec.rate_limit.assumed,
                    },
                    "granularities": list(spec.granularities),
                    "max_span": {str(g.seconds): g.max_span for g in spec.slices},
                    "data_delay": spec.granularity(spec.granularities[0]).data_delay,
                    "data_delay_by_granularity": {
                        str(g.seconds): g.data_delay for g in spec.slices
                    },
                    "max_domains_per_call": spec.max_domains_per_call,
                    "fan_out": spec.fan_out.value,
                    "envelope": spec.envelope,
                    "families": [f.name for f in spec.families],
                    "opt_in": spec.opt_in,
                    "description": spec.description,
                    # The file holding the declaration (and, for Wangsu, the emulator's
                    # answer in collector/emulator/wangsu/ under the same name).
                    "declared_in": f"{modules.get(spec.name, 'catalog')}.py",
                }
            )
    return rows


_COLUMNS = (
    "provider",
    "name",
    "path",
    "limit",
    "slices",
    "delay",
    "fan-out",
    "default",
    "families",
)


def endpoint_table() -> str:
    """The catalog as a plain-text table, one endpoint a line."""
    lines = [list(_COLUMNS)]
    for row in endpoint_rows():
        limit = row["rate_limit"]
        lines.append(
            [
                row["provider"],
                row["name"],
                row["path"],
                f"{limit['calls']}/{_duration(limit['period'])}",
                ",".join(granularity_name(g) for g in row["granularities"]),
                _duration(row["data_delay"]),
                row["fan_out"],
                "off" if row["opt_in"] else "on",
                ",".join(row["families"]),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False))
        + "  "
        + line[-1]
        for line in lines
    )


def _cap(row: dict[str, Any]) -> str:
    cap = row["max_domains_per_call"]
    return str(cap) if cap else "-"


def endpoint_markdown(provider: str) -> str:
    """One provider's endpoints as the README's Markdown table (the README embeds this
    output between `<!-- endpoints:PROVIDER -->` markers; a test keeps them equal)."""
    lines = [
        "| endpoint (config name) | path or Action | default | limit | slices | delay "
        "| domains/call | families | declared in |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in endpoint_rows():
        if row["provider"] != provider:
            continue
        limit = row["rate_limit"]
        families = ", ".join(f"`{name}`" for name in row["families"])
        lines.append(
            f"| `{row['name']}` | `{row['path']}` | {'opt-in' if row['opt_in'] else 'on'} "
            f"| {limit['calls']}/{_duration(limit['period'])}{' [I]' if limit['assumed'] else ''} "
            f"| {', '.join(granularity_name(g) for g in row['granularities'])} "
            f"| {_duration(row['data_delay'])} | {_cap(row)} | {families} "
            f"| `{row['declared_in']}` |"
        )
    return "\n".join(lines)


def markdown_tables() -> str:
    """Every provider's table, each between its README markers."""
    return "\n\n".join(
        f"<!-- endpoints:{provider} -->\n{endpoint_markdown(provider)}\n<!-- /endpoints -->"
        for provider, _, _ in CATALOGS
    )
