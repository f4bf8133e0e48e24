"""The environment overrides: one table, shown alike by --help, the README and example.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collector.cli import main
from collector.config.schema import ENVIRONMENT_OVERRIDES, Settings, environment_overrides

REPO = Path(__file__).parent.parent.parent


def test_every_top_level_key_has_its_variable_in_the_table() -> None:
    assert sorted(key for key, _ in ENVIRONMENT_OVERRIDES) == sorted(Settings.model_fields)


def test_the_readme_block_is_the_generated_list() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- env:overrides -->\n```\n(.*?)\n```\n<!-- /env -->", readme, re.S)
    assert match is not None, "README.md lacks the <!-- env:overrides --> block"
    assert match[1].splitlines() == environment_overrides()


def test_example_yaml_lists_the_same_variables() -> None:
    text = (REPO / "config/example.yaml").read_text(encoding="utf-8")
    _, _, after = text.partition("# Environment variables override top-level keys:\n")
    block = []
    for line in after.splitlines():
        if not line.startswith("#   "):
            break
        block.append(line.removeprefix("#   "))
    assert block == environment_overrides()


def test_help_lists_the_same_variables(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    start = lines.index(environment_overrides()[0])
    assert lines[start : start + len(ENVIRONMENT_OVERRIDES)] == environment_overrides()
