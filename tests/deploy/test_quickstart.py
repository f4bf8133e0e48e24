"""scripts/demo, the README's quick start, run from a fresh clone with the distribution's own
/usr/bin/python3 (externally managed on Debian 12 and Ubuntu: a bare `pip install` fails
there), must reach a ready demo. The clone is of the committed HEAD; pip may reuse its cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.processes import free_port, get, stop, wait_for

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")
# Creating the venv and installing the dependencies (from pip's cache) takes most of it.
DEADLINE = 110.0


def _system_python_problem() -> str | None:
    """Why /usr/bin/python3 cannot run the quick start, or None."""
    if not SYSTEM_PYTHON.is_file():
        return f"{SYSTEM_PYTHON} does not exist"
    check = "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"
    result = subprocess.run([str(SYSTEM_PYTHON), "-c", check], capture_output=True, check=False)
    if result.returncode != 0:
        return f"{SYSTEM_PYTHON} is older than 3.11 or lacks venv (apt-get install python3-venv)"
    return None


def test_the_demo_script_reaches_ready_with_the_system_python(tmp_path: Path) -> None:
    problem = _system_python_problem()
    if problem:
        pytest.skip(problem)
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run([git, "clone", "-q", str(REPO), str(clone)], check=True, timeout=60)
    # As a user's shell: the distribution's python3 first, nothing pointing at this checkout.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHON"}}
    env["PATH"] = f"{SYSTEM_PYTHON.parent}:{env.get('PATH', '')}"
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [str(clone / "scripts" / "demo"), "--web.listen-address", f"127.0.0.1:{port}"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for("demo /-/ready", lambda: get(f"http://127.0.0.1:{port}/-/ready"), DEADLINE, [demo])
    except pytest.fail.Exception:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        pytest.fail(f"scripts/demo never got ready; its output ends:\n{tail}")
    finally:
        stop(demo)
    venv = (clone / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert f"home = {SYSTEM_PYTHON.parent}" in venv, venv
