"""Load the configuration: YAML plus environment, validated, with readable errors."""

from __future__ import annotations

import difflib
import json
import os
import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from collector.config.endpoints import check_override, enabled_endpoints, shared_families
from collector.config.runtime import Config
from collector.config.schema import ENV_PREFIX, AccountModel, Settings
from collector.providers import PROVIDER_NAMES, get_provider
from collector.providers.volcengine.config import VolcengineAccountModel
from collector.providers.wangsu.config import WangsuAccountModel
from collector.yamlfile import YamlFileError, read_mapping

# An `accounts[]` entry as validated: the model of its provider.
AccountEntry = WangsuAccountModel | VolcengineAccountModel
_ACCOUNT_ENTRY: TypeAdapter[AccountEntry] = TypeAdapter(AccountModel)


class ConfigError(Exception):
    """An invalid configuration; `problems` holds one `path.to.field: reason` per issue."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _location(loc: tuple[int | str, ...]) -> str:
    parts = list(loc)
    # A union member's errors carry its tag (accounts.0.wangsu.auth): the reader
    # wrote accounts.0.auth.
    if len(parts) > 2 and parts[0] == "accounts" and parts[2] in PROVIDER_NAMES:
        del parts[2]
    return ".".join(str(part) for part in parts) or "(top level)"


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    """One `path: reason` per error. An account whose `provider` is missing or unknown
    is also checked as the provider model it resembles most, so its other problems
    are reported in the same pass."""
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        if error["type"] not in ("union_tag_invalid", "union_tag_not_found"):
            where = f"{_location(loc)}{_from_environment(loc)}"
            problems += [f"{where}: {line}" for line in _message(error, Settings).splitlines()]
            continue
        names = ", ".join(repr(n) for n in PROVIDER_NAMES)
        problems.append(f"{_location(loc)}.provider: Input should be one of {names}")
        entry = data["accounts"][loc[1]] if isinstance(loc[1], int) else None
        if isinstance(entry, dict):
            problems += _as_closest_provider(entry, f"{_location(loc)}.")
    return problems


def _from_environment(loc: tuple[int | str, ...]) -> str:
    """` (from CDN_EXPORTER_X)` when the top-level key came from the environment."""
    if not loc:
        return ""
    name = f"{ENV_PREFIX}{str(loc[0]).upper()}"
    return f" (from {name})" if name in os.environ else ""


def _environment_problem(exc: Exception) -> str:
    """pydantic-settings' error for an unreadable variable, naming the variable."""
    match = re.search(r'field "(\w+)"', str(exc))
    if match is None:
        return f"environment: {_first_line(exc)}"
    name = f"{ENV_PREFIX}{match[1].upper()}"
    cause = exc.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return f"{name}: not valid JSON: {cause.msg} at line {cause.lineno} column {cause.colno}"
    return f"{name}: {_first_line(cause or exc)}"


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _as_closest_provider(entry: dict[str, Any], where: str) -> list[str]:
    best: list[str] | None = None
    models: tuple[tuple[type[BaseModel], str], ...] = (
        (WangsuAccountModel, "wangsu"),
        (VolcengineAccountModel, "volcengine"),
    )
    for model, tag in models:
        try:
            model.model_validate({**entry, "provider": tag})
            return []
        except ValidationError as exc:
            found = [
                f"{where}{_location(e['loc'])}: {line}"
                for e in exc.errors()
                for line in _message(e, model).splitlines()
            ]
        if best is None or len(found) < len(best):
            best = found
    return best or []


def _message(error: Any, root: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":
        return _unknown_key(str(error["loc"][-1]), _allowed_keys(root, error["loc"][:-1]))
    msg = str(error["msg"])
    # pydantic prefixes validator messages; the reader wants the reason only.
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _unknown_key(key: str, allowed: list[str]) -> str:
    """`unknown key`, with the allowed key it most resembles, or the allowed keys."""
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key (did you mean `{close[0]}`?)"
    if allowed:
        return f"unknown key (allowed: {', '.join(sorted(allowed))})"
    return "unknown key"


def _allowed_keys(root: Any, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the mapping at `loc` under the model `root` accepts (several models
    where a union or an untagged location leaves a choice)."""
    types_here = [root]
    for part in loc:
        types_here = [step for kind in types_here for step in _steps(kind, part)]
    keys: set[str] = set()
    for kind in types_here:
        for model in _members(kind):
            keys |= set(model.model_fields) if _is_model(model) else set()
    return sorted(keys)


def _members(kind: Any) -> list[Any]:
    """`kind` without Annotated, a union as its members."""
    origin = get_origin(kind)
    if origin is Annotated:
        return _members(get_args(kind)[0])
    if origin in (Union, types.UnionType):
        return [member for arg in get_args(kind) for member in _members(arg)]
    return [kind]


def _steps(kind: Any, part: int | str) -> list[Any]:
    """The types one location part leads to from `kind`."""
    if len(members := _members(kind)) > 1 or members[0] is not kind:
        return [step for member in members for step in _steps(member, part)]
    origin = get_origin(kind)
    if origin is list and isinstance(part, int):
        return [get_args(kind)[0]]
    if origin is dict:
        return [get_args(kind)[1]]
    if _is_model(kind):
        if part in kind.model_fields:
            return [kind.model_fields[part].annotation]
        # A union's tag (accounts.0.wangsu): the member whose Literal field holds it.
        tags = [
            get_args(field.annotation)
            for field in kind.model_fields.values()
            if get_origin(field.annotation) is Literal
        ]
        if any(part in values for values in tags):
            return [kind]
    return []


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def read_yaml(path: Path) -> dict[str, Any]:
    """The file as a mapping with string keys, or ConfigError naming the line of a syntax
    error."""
    try:
        return read_mapping(
            path,
            string_keys=True,
            not_a_mapping="the top level must be a mapping with an `accounts` list",
        )
    except YamlFileError as exc:
        raise ConfigError(exc.problems) from None


def validate(data: dict[str, Any]) -> Config:
    """Validate a configuration mapping (environment overrides apply) and resolve it
    into the frozen objects the daemon runs with. Whether an explicit `shard:` is below
    `--total-shards` is the replica's question (collector.sharding), asked by its callers."""
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        valid = _valid_accounts(exc, data)
        raise ConfigError(_problems(exc, data) + _check_against_catalog(valid)) from None
    except (ValueError, TypeError) as exc:
        # pydantic-settings reading CDN_EXPORTER_* (bad JSON in CDN_EXPORTER_ACCOUNTS).
        raise ConfigError([_environment_problem(exc)]) from None
    problems = _check_against_catalog(list(enumerate(settings.accounts)))
    if problems:
        raise ConfigError(problems)
    return Config(
        accounts=tuple(
            account.runtime(
                tuple(
                    enabled_endpoints(
                        account,
                        get_provider(account.provider),
                        max_backfill=settings.max_backfill,
                        budget_share=settings.rate_budget_share,
                    )
                )
            )
            for account in settings.accounts
        ),
        listen_address=settings.listen_address,
        account_jitter=settings.account_jitter,
        readiness_grace=settings.readiness_grace,
        max_series=settings.max_series,
        state_file=settings.state_file,
        max_backfill=settings.max_backfill,
        rate_budget_share=settings.rate_budget_share,
        max_response_bytes=settings.max_response_bytes,
    )


def _valid_accounts(exc: ValidationError, data: dict[str, Any]) -> list[tuple[int, AccountEntry]]:
    """The file's accounts pydantic found no fault in, validated alone, so that their
    catalog problems are reported in the same run as the others' (none when the
    accounts come from the environment)."""
    entries = data.get("accounts")
    if f"{ENV_PREFIX}ACCOUNTS" in os.environ or not isinstance(entries, list):
        return []
    faulty = {loc[1] for e in exc.errors() if (loc := e["loc"])[:1] == ("accounts",) and loc[1:]}
    valid = []
    for index, entry in enumerate(entries):
        if index in faulty:
            continue
        try:
            valid.append((index, _ACCOUNT_ENTRY.validate_python(entry)))
        except ValidationError:
            continue
    return valid


def _check_against_catalog(accounts: list[tuple[int, AccountEntry]]) -> list[str]:
    """What pydantic cannot know: endpoint names, granularities, limits per provider."""
    problems = []
    for index, account in accounts:
        where = f"accounts.{index}"
        provider = get_provider(account.provider)
        for name, override in account.endpoints.items():
            spec = provider.catalog.get(name)
            if spec is None:
                close = difflib.get_close_matches(name, list(provider.catalog), n=1)
                hint = (
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"known: {', '.join(sorted(provider.catalog))}"
                )
                problems.append(
                    f"{where}.endpoints.{name}: unknown endpoint for {account.provider} ({hint})"
                )
                continue
            problems += [f"{where}.endpoints.{name}.{p}" for p in check_override(spec, override)]
        endpoints = enabled_endpoints(account, provider)
        problems += [f"{where}.{p}" for p in account.problems(endpoints)]
        problems += [f"{where}.{p}" for p in shared_families(endpoints)]
        if not endpoints:
            problems.append(f"{where}.endpoints: every endpoint is disabled")
    return problems


def load_config(path: Path) -> Config:
    """Read and validate the configuration file at `path`."""
    return validate(read_yaml(path))
