# Sourced by scripts/demo and scripts/test: the project's virtual environment in .venv.
# A venv needs no root and sidesteps "externally-managed-environment" (PEP 668) of
# Debian's and Ubuntu's own Python.

# Create .venv with $PYTHON, else the python3 first on PATH, unless a working one exists.
ensure_venv() {
  if .venv/bin/python -c '' 2>/dev/null; then
    return
  fi
  local python="${PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "$0: cdn-exporter needs Python 3.11 or later; $python is $("$python" -V 2>&1 || echo missing)." >&2
    echo "$0: set PYTHON=/path/to/python3.11 (or newer)." >&2
    exit 1
  fi
  rm -rf .venv
  if ! "$python" -m venv .venv; then
    rm -rf .venv
    echo "$0: '$python -m venv' failed. On Debian or Ubuntu: apt-get install python3-venv" >&2
    exit 1
  fi
}

# Install the project (editable: later edits need no reinstall) and any extra packages into
# .venv; skipped while pyproject.toml and the requested packages are what was installed.
install_into_venv() {
  local wanted stamp=.venv/.cdn-exporter-installed
  wanted="$(cat pyproject.toml; echo "$*")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$@"
  printf '%s' "$wanted" > "$stamp"
}
