"""The strict YAML reader both config files use: a mapping or `path: reason` problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.yamlfile import YamlFileError, read_mapping

NOT_A_MAPPING = "the top level must be a mapping"


def problem(path: Path, *, string_keys: bool) -> str:
    with pytest.raises(YamlFileError) as caught:
        read_mapping(path, string_keys=string_keys, not_a_mapping=NOT_A_MAPPING)
    [found] = caught.value.problems
    return found


def written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "file.yml"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("string_keys", [True, False])
def test_a_key_given_twice_is_refused_at_any_depth(tmp_path: Path, string_keys: bool) -> None:
    path = written(tmp_path, b"a:\n  b: 1\n  b: 2\n")
    assert problem(path, string_keys=string_keys) == (
        f"{path}: invalid YAML at line 3, column 3: duplicate key 'b'"
    )


def test_non_string_keys_are_refused_only_when_asked(tmp_path: Path) -> None:
    path = written(tmp_path, b"1: x\n2: y\n")
    assert "keys must be strings, got 1" in problem(path, string_keys=True)
    assert read_mapping(path, string_keys=False, not_a_mapping=NOT_A_MAPPING) == {1: "x", 2: "y"}
    twice = written(tmp_path, b"1: x\n1: y\n")
    assert "duplicate key 1" in problem(twice, string_keys=False)


def test_an_unhashable_key_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = written(tmp_path, b"? [1, 2]\n: x\n")
    assert "invalid YAML" in problem(path, string_keys=False)
    assert "keys must be strings" in problem(path, string_keys=True)


def test_empty_file_is_an_empty_mapping(tmp_path: Path) -> None:
    path = written(tmp_path, b"# nothing yet\n")
    assert read_mapping(path, string_keys=True, not_a_mapping=NOT_A_MAPPING) == {}


def test_what_is_not_a_mapping_file_is_named(tmp_path: Path) -> None:
    assert problem(written(tmp_path, b"- a\n"), string_keys=True).endswith(f": {NOT_A_MAPPING}")
    assert problem(written(tmp_path, b"\xff\xfe"), string_keys=True).endswith(
        ": not UTF-8 text (byte 0)"
    )
    assert problem(tmp_path, string_keys=True) == f"{tmp_path}: cannot read: not a regular file"
    missing = tmp_path / "missing.yml"
    assert problem(missing, string_keys=True) == f"{missing}: cannot read: not a regular file"
