"""Reading the Wangsu SDK's Tea models: wire keys, nested models, field docs, round trips.

The generated models (`wangsu/*/models.py`) say everything in source: `__init__` holds
one `self.<attr> = <attr>` per field, preceded by a `{"en": .., "zh_CN": ..}` comment;
`to_map` writes `result['<wireKey>']` under `if self.<attr> is not None`; the parameter
annotation is `str`, `int`, `List[str]`, `List[<Model>]` or `<Model>`.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_ASSIGN = re.compile(r"self\.(\w+) = (\w+)$")
_TO_MAP = re.compile(r"if self\.(\w+) is not None:\s*\n\s*result\['([^']+)'\]")


@dataclass(frozen=True)
class Field:
    """One field of an SDK model as the wire sees it."""

    attr: str  # Python attribute, e.g. hit_flow
    key: str  # wire key, e.g. hitFlow
    annotation: Any  # e.g. str, List[str], List[<Model>]
    doc: str  # the field comment, en and zh_CN, joined
    model: type[Any] | None  # the nested model, for a model or a list of models
    is_list: bool


def _is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and hasattr(annotation, "from_map")


def fields(cls: type[Any]) -> list[Field]:
    """Every field of model `cls`, in declaration order."""
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in inspect.getsource(cls.__init__).splitlines():
        text = line.strip()
        if text.startswith("#"):
            pending.append(text[1:].strip())
            continue
        match = _ASSIGN.match(text)
        if match and match.group(1) == match.group(2):
            comments[match.group(1)] = " ".join(pending)
        pending = []
    keys = dict(_TO_MAP.findall(inspect.getsource(cls.to_map)))
    parameters = inspect.signature(cls.__init__).parameters
    out: list[Field] = []
    for attr, key in keys.items():
        annotation = parameters[attr].annotation
        is_list = typing.get_origin(annotation) is list
        inner = typing.get_args(annotation)[0] if is_list else annotation
        out.append(
            Field(
                attr=attr,
                key=key,
                annotation=annotation,
                doc=comments.get(attr, ""),
                model=inner if _is_model(inner) else None,
                is_list=is_list,
            )
        )
    return out


def walk(cls: type[Any], path: str = "") -> Iterator[tuple[str, type[Any], Field]]:
    """(wire path, owning model, field) for every field reachable from `cls`; a list
    level is written `key[]`, e.g. `result[].ispData[].isp`."""
    for field in fields(cls):
        where = f"{path}.{field.key}" if path else field.key
        yield where, cls, field
        if field.model is not None:
            yield from walk(field.model, where + "[]" if field.is_list else where)


def round_trip(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """`cls().from_map(data).to_map()`: what the SDK keeps of an answer."""
    result: dict[str, Any] = cls().from_map(data).to_map()
    return result


def differences(expected: Any, got: Any, path: str = "") -> list[str]:
    """Every place where `got` differs from `expected`, as `path: expected .. got ..`."""
    where = path or "body"
    if isinstance(expected, dict) and isinstance(got, dict):
        out: list[str] = []
        for key in expected:
            sub = f"{path}.{key}" if path else key
            if key not in got:
                out.append(f"{sub}: dropped by the SDK model (value {expected[key]!r})")
            else:
                out.extend(differences(expected[key], got[key], sub))
        out.extend(
            f"{path}.{key}: added by the SDK model" if path else f"{key}: added by the SDK model"
            for key in got
            if key not in expected
        )
        return out
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{where}: {len(expected)} items expected, got {len(got)}"]
        out = []
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            out.extend(differences(a, b, f"{path}[{i}]"))
        return out
    if type(expected) is not type(got) or expected != got:
        return [f"{where}: expected {expected!r}, got {got!r}"]
    return []


def type_mismatches(cls: type[Any], data: Any, path: str = "") -> list[str]:
    """Values whose JSON type differs from the SDK's annotation (`str`, `int`, a list,
    a model), and keys the model does not know."""
    if not isinstance(data, dict):
        return [f"{path or 'body'}: expected an object for {cls.__name__}, got {data!r}"]
    known = {f.key: f for f in fields(cls)}
    out: list[str] = []
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        field = known.get(key)
        if field is None:
            out.append(f"{where}: not a field of SDK model {cls.__name__}")
        elif value is None:
            continue  # from_map skips None: reported by the round trip, if anywhere
        elif field.is_list:
            if not isinstance(value, list):
                out.append(f"{where}: SDK documents a list, got {value!r}")
                continue
            for i, item in enumerate(value):
                out.extend(_scalar_or_model(field, item, f"{where}[{i}]"))
        else:
            out.extend(_scalar_or_model(field, value, where))
    return out


def _scalar_or_model(field: Field, value: Any, where: str) -> list[str]:
    if field.model is not None:
        return type_mismatches(field.model, value, where)
    expected = typing.get_args(field.annotation)[0] if field.is_list else field.annotation
    if expected in (str, int, float, bool) and type(value) is not expected:
        return [f"{where}: SDK documents {expected.__name__}, got {type(value).__name__} {value!r}"]
    return []
