"""The one strict YAML file reader: a mapping or `path: reason` problems, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class YamlFileError(Exception):
    """A file that is not a readable YAML mapping; `problems` holds one `path: reason`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the
    last silently, Go's yaml.v2 refuses it)."""

    string_keys = False

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: list[Any] = []  # a list: a key may be unhashable
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if self.string_keys and not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be strings, got {key!r}", key_node.start_mark
                )
            try:
                duplicate = key in seen
            except TypeError:
                duplicate = False
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.append(key)
        try:
            return super().construct_mapping(node, deep=deep)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", node.start_mark
            ) from None


class _StringKeyLoader(_StrictLoader):
    """The strict loader that also refuses a key that is not a string."""

    string_keys = True


def read_mapping(path: Path, *, string_keys: bool, not_a_mapping: str) -> dict[Any, Any]:
    """The YAML file at `path` as a mapping (empty for an empty file), its keys strings
    if `string_keys`; otherwise YamlFileError, whose problem names the line of a syntax
    error, or says `not_a_mapping` when the top level is something else."""
    try:
        if not path.is_file():
            raise YamlFileError([f"{path}: cannot read: not a regular file"])
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlFileError([f"{path}: cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise YamlFileError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        data = yaml.load(text, Loader=_StringKeyLoader if string_keys else _StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlFileError([f"{path}: invalid YAML{where}: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise YamlFileError([f"{path}: {not_a_mapping}"])
    return data
