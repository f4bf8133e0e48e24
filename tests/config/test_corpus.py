"""The config corpus, in YACE's style: every `corpus/*.bad.yaml` exits 2 through the real
`--check-config` path with the message fragment(s) its `# expect:` header lines name, none
of its `# absent:` fragments (secret material that must not be echoed) and no traceback;
every `corpus/*.ok.yaml`, `config/example.yaml` and `config/demo.yaml` exit 0 (with their
`# expect:` fragments, if any). `# env: NAME=VALUE` header lines set the
environment a file is checked in (CDN_EXPORTER_* overrides)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collector.cli import main

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
REPO = HERE.parent.parent
BAD = sorted(CORPUS.glob("*.bad.yaml"))
OK = [*sorted(CORPUS.glob("*.ok.yaml")), REPO / "config/example.yaml", REPO / "config/demo.yaml"]
# What config/example.yaml reads.
EXAMPLE_VARIABLES = (
    "WANGSU_ACCESS_KEY",
    "WANGSU_SECRET_KEY",
    "CDNETWORKS_API_KEY",
    "VOLC_ACCESS_KEY",
    "VOLC_SECRET_KEY",
)
_EXPECT = "# expect: "
_ABSENT = "# absent: "
_ENV = "# env: "


def _header(path: Path, prefix: str) -> list[str]:
    """The `prefix` lines of the file's leading comment block, without the prefix."""
    values = []
    # Bytes, decoded leniently: one bad file is deliberately not UTF-8.
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(prefix):
            values.append(line.removeprefix(prefix))
    return values


def expectations(path: Path) -> list[str]:
    """The `# expect:` fragments: each must be in the output."""
    return _header(path, _EXPECT)


def set_environment(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`# env: NAME=VALUE` lines: the environment the file is checked in."""
    for assignment in _header(path, _ENV):
        name, _, value = assignment.partition("=")
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A known environment: no CDN_EXPORTER_* override, the variables the corpus uses."""
    for name in list(os.environ):
        if name.startswith("CDN_EXPORTER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CDN_EXPORTER_CORPUS_AK", "AK-from-env")
    monkeypatch.setenv("CDN_EXPORTER_CORPUS_SK", "SK-from-env")
    for name in EXAMPLE_VARIABLES:
        monkeypatch.setenv(name, "from-env")


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--config", str(path), "--check-config"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_corpus_is_large_and_every_bad_file_says_what_it_expects() -> None:
    assert len(BAD) >= 45
    assert len(OK) >= 5
    for path in BAD:
        assert expectations(path), f"{path.name} has no '# expect:' header line"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name.removesuffix(".bad.yaml"))
def test_bad_config_exits_2_with_its_message(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_environment(path, monkeypatch)
    code, output = check(path, capsys)
    assert "Traceback" not in output, output
    assert code == 2, output
    for fragment in expectations(path):
        assert fragment in output, f"expected {fragment!r} in:\n{output}"
    for fragment in _header(path, _ABSENT):
        assert fragment not in output, f"{fragment!r} is echoed in:\n{output}"


@pytest.mark.parametrize("path", OK, ids=lambda p: p.name)
def test_ok_config_exits_0(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_environment(path, monkeypatch)
    code, output = check(path, capsys)
    assert code == 0, output
    assert "configuration is valid" in output
    for fragment in expectations(path):
        assert fragment in output, f"expected {fragment!r} in:\n{output}"
