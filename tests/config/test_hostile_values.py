"""Any YAML value in any field, any file: exit 2 with `path: reason`, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.accountconfig import SECRET_FILE_MAX_BYTES
from collector.cli import main

HOSTILE: list[Any] = [
    None,
    [],
    [1, 2],
    {},
    {"a": 1},
    10**30,
    -1,
    float("inf"),
    float("nan"),
    True,
    "日本語\u0000\u202e",
    "",
]


def base() -> dict[str, Any]:
    return {
        "accounts": [
            {
                "name": "a",
                "provider": "wangsu",
                "auth": {"access_key": "AK", "secret_key": "SK"},
                "domains": ["www.example.com"],
                "time_offset": "+08:00",
                "timeout": "30s",
                "base_url": "https://open.chinanetcenter.com",
                "endpoints": {
                    "flow_request": {
                        "interval": "5m",
                        "delay": "15m",
                        "reread": "10m",
                        "rate_limit": {"calls": 10, "period": "5m"},
                    }
                },
            },
            {
                "name": "v",
                "provider": "volcengine",
                "auth": {"access_key": "AK", "secret_key": "SK"},
                "region": "cn-north-1",
                "filters": {"protocols": ["RTMP"], "pull_to_push_groups": ["g"]},
            },
        ],
        "listen_address": "127.0.0.1:10090",
        "account_jitter": "10s",
        "readiness_grace": "2m",
    }


FIELDS = [
    ("accounts",),
    ("listen_address",),
    ("account_jitter",),
    ("readiness_grace",),
    ("max_series",),
    ("accounts", 0),
    ("accounts", 0, "name"),
    ("accounts", 0, "provider"),
    ("accounts", 0, "auth"),
    ("accounts", 0, "auth", "secret_key"),
    ("accounts", 0, "auth", "method"),
    ("accounts", 0, "domains"),
    ("accounts", 0, "time_offset"),
    ("accounts", 0, "timeout"),
    ("accounts", 0, "base_url"),
    ("accounts", 0, "endpoints"),
    ("accounts", 0, "endpoints", "flow_request"),
    ("accounts", 0, "endpoints", "flow_request", "interval"),
    ("accounts", 0, "endpoints", "flow_request", "delay"),
    ("accounts", 0, "endpoints", "flow_request", "reread"),
    ("accounts", 0, "endpoints", "flow_request", "rate_limit"),
    ("accounts", 0, "endpoints", "flow_request", "rate_limit", "calls"),
    ("accounts", 0, "endpoints", "flow_request", "rate_limit", "period"),
    ("accounts", 1, "region"),
    ("accounts", 1, "filters"),
    ("accounts", 1, "filters", "protocols"),
    ("accounts", 1, "filters", "pull_to_push_groups"),
]


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--config", str(path), "--check-config"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_base_config_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(base()))
    assert check(config, capsys)[0] == 0


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: ".".join(map(str, f)))
def test_hostile_values_exit_2_without_a_traceback(
    field: tuple[Any, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for value in HOSTILE:
        data = base()
        _set(data, field, value)
        config = tmp_path / "c.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True))
        code, output = check(config, capsys)
        assert "Traceback" not in output, (field, value, output)
        if code == 0:
            continue  # some values are valid in some fields (an empty filter list, say)
        assert code == 2, (field, value, output)
        assert "configuration is invalid" in output or "cannot read" in output


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (b"accounts: []\naccounts: []\n", "duplicate key 'accounts'"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"? [1, 2]\n: x\n", "keys must be strings"),
        (b"1: x\n", "keys must be strings"),
    ],
)
def test_bad_files_are_clear_errors(
    text: bytes, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_bytes(text)
    code, output = check(config, capsys)
    assert code == 2
    assert fragment in output
    assert "Traceback" not in output


def test_a_fifo_secret_file_is_refused_not_waited_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    data = base()
    data["accounts"][0]["auth"] = {"access_key": "AK", "secret_key_file": str(fifo)}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(data))
    code, output = check(config, capsys)
    assert code == 2
    assert "is not a regular file" in output


@pytest.mark.parametrize("size", [SECRET_FILE_MAX_BYTES + 1, 200 * 2**20])
def test_a_secret_file_beyond_the_cap_is_refused(
    size: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret"
    with secret.open("wb") as handle:
        handle.truncate(size)  # sparse: a large file without writing it
    data = base()
    data["accounts"][0]["auth"] = {"access_key": "AK", "secret_key_file": str(secret)}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(data))
    code, output = check(config, capsys)
    assert code == 2, output
    assert f"secret_key_file: {secret} is larger than 64 KiB" in output


def test_a_secret_file_at_the_cap_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("k" * SECRET_FILE_MAX_BYTES)
    data = base()
    data["accounts"][0]["auth"] = {"access_key": "AK", "secret_key_file": str(secret)}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(data))
    code, output = check(config, capsys)
    assert code == 0, output


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("accounts", 0, "auth", "secret_key"), "", "secret_key is empty"),
        (("accounts", 0, "time_offset"), "+08:99", "minutes above 59"),
        (("accounts", 0, "domains"), ["https://www.example.com/"], "is not a host name"),
        (("accounts", 0, "base_url"), "https://example.com:99999", "invalid port"),
        (("accounts", 0, "base_url"), "https://ak:sk@example.com", "must not carry user info"),
        (("accounts", 0, "base_url"), "https://exa mple.com", "is not a host name"),
        (("accounts", 0, "base_url"), "https://exa\x1bmple.com", "'exa\\x1bmple.com'"),
        (("listen_address",), "nonsense", "expected HOST:PORT"),
        (("accounts", 1, "region"), "", "accounts.1.region"),
        (
            ("accounts", 0, "endpoints", "flow_request", "delay"),
            "100000d",
            "less than or equal to 172800",
        ),
        (
            ("accounts", 0, "endpoints", "flow_request", "interval"),
            "99999999d",
            "less than or equal to 86400",
        ),
    ],
)
def test_plausible_mistakes_are_rejected(
    path: tuple[Any, ...],
    value: Any,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = base()
    _set(data, path, value)
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(data))
    code, output = check(config, capsys)
    assert code == 2, output
    assert fragment in output


def test_bad_json_in_the_environment_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDN_EXPORTER_ACCOUNTS", "[{not json")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(base()))
    code, output = check(config, capsys)
    assert code == 2
    assert "Traceback" not in output
