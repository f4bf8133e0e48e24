"""Load the configuration: YAML plus environment, validated, with readable errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from collector.config.endpoints import check_override, enabled_endpoints
from collector.config.schema import Settings
from collector.providers import get_provider


class ConfigError(Exception):
    """An invalid configuration; `problems` holds one `path.to.field: reason` per issue."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _message(error: Any) -> str:
    msg = str(error["msg"])
    # pydantic prefixes validator messages; the reader wants the reason only.
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def read_yaml(path: Path) -> dict[str, Any]:
    """The file as a mapping, or ConfigError naming the line of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}: invalid YAML{where}: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the top level must be a mapping with an `accounts` list"])
    return data


def validate(data: dict[str, Any]) -> Settings:
    """Validate a configuration mapping (environment overrides apply)."""
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        problems = [f"{_location(e['loc'])}: {_message(e)}" for e in exc.errors()]
        raise ConfigError(problems) from None
    problems = _check_against_catalog(settings)
    if problems:
        raise ConfigError(problems)
    return settings


def _check_against_catalog(settings: Settings) -> list[str]:
    """What pydantic cannot know: endpoint names, granularities, limits per provider."""
    problems = []
    for index, account in enumerate(settings.accounts):
        where = f"accounts.{index}"
        provider = get_provider(account.provider)
        if account.provider == "volcengine" and account.auth.method != "aksk":
            problems.append(f"{where}.auth.method: volcengine signs with aksk only")
        for name, override in account.endpoints.items():
            spec = provider.catalog.get(name)
            if spec is None:
                known = ", ".join(sorted(provider.catalog))
                problems.append(
                    f"{where}.endpoints.{name}: unknown endpoint for {account.provider} "
                    f"(known: {known})"
                )
                continue
            problems += [f"{where}.endpoints.{name}.{p}" for p in check_override(spec, override)]
        endpoints = enabled_endpoints(account, provider)
        needs_domains = [e.spec.name for e in endpoints if e.spec.max_domains_per_call > 0]
        if needs_domains and not account.domains and account.provider != "volcengine":
            problems.append(
                f"{where}.domains: list the domains to report on "
                f"(needed by {', '.join(needs_domains)})"
            )
        if not endpoints:
            problems.append(f"{where}.endpoints: every endpoint is disabled")
    return problems


def load_config(path: Path) -> Settings:
    """Read and validate the configuration file at `path`."""
    return validate(read_yaml(path))
