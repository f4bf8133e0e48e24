"""The import contracts in pyproject.toml ([tool.importlinter]): the package keeps them, and
they catch an arrow pointing the wrong way, an emulator import of exporter code and a module
no layer lists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"
CONTRACTS = REPO / "pyproject.toml"


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the repository's contracts over the `collector` package found in
    `package_parent` (import-linter reads the code, it imports none of it)."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--config", str(CONTRACTS)],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_package_keeps_its_import_contracts() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_contracts_catch_wrong_arrows_and_unplaced_modules(tmp_path: Path) -> None:
    skip_bytecode = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "collector", tmp_path / "collector", ignore=skip_bytecode)
    wrong = {
        "providers/wangsu/config.py": "from collector.config import loading",
        "config/loading.py": "from collector import sharding",
        "model.py": "from collector import clock",
        "emulator/core.py": "from collector.providers import endpoint",
        "web.py": "from collector import poller",
    }
    for module, line in wrong.items():
        with (tmp_path / "collector" / module).open("a", encoding="utf-8") as file:
            file.write(f"\n{line}\n")
    (tmp_path / "collector" / "unplaced.py").write_text('"""No layer lists it."""\n')
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for message in (
        "collector.providers is not allowed to import collector.config",
        "collector.config is not allowed to import collector.sharding",
        "collector.model is not allowed to import collector.clock",
        "collector.emulator is not allowed to import collector.providers",
        "collector.web is not allowed to import collector.poller",
        "- collector.unplaced",
        "Contracts: 0 kept, 3 broken.",
    ):
        assert message in result.stdout, result.stdout
