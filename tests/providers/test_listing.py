"""The README's endpoint tables are the declarations' own (`--list-endpoints --output markdown`)."""

from __future__ import annotations

import re
from pathlib import Path

from collector.providers.listing import CATALOGS, endpoint_markdown, markdown_tables

README = Path(__file__).parents[2] / "README.md"


def test_readme_tables_equal_the_declarations() -> None:
    text = README.read_text(encoding="utf-8")
    for provider, _, _ in CATALOGS:
        found = re.search(
            rf"<!-- endpoints:{provider} -->\n(.*?)\n<!-- /endpoints -->", text, re.DOTALL
        )
        assert found, f"README has no <!-- endpoints:{provider} --> table"
        assert found.group(1) == endpoint_markdown(provider), (
            f"README's {provider} table is stale: paste `cdn-exporter --list-endpoints "
            "--output markdown` over it"
        )


def test_every_endpoint_has_one_row() -> None:
    tables = markdown_tables()
    rows = [line for line in tables.splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows]
    from collector.providers.listing import endpoint_rows

    assert sorted(names) == sorted(row["name"] for row in endpoint_rows())
