"""Configuration loading: valid examples, and every problem as `path: reason`."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.cli import main
from collector.config.loading import ConfigError, load_config, validate
from collector.providers import get_provider

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def test_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANGSU_ACCESS_KEY", "ak")
    monkeypatch.setenv("WANGSU_SECRET_KEY", " sk-from-env\n")
    monkeypatch.setenv("CDNETWORKS_API_KEY", "key")
    monkeypatch.setenv("VOLC_ACCESS_KEY", "ak")
    monkeypatch.setenv("VOLC_SECRET_KEY", "sk")
    settings = load_config(REPO / "config/example.yaml")
    main_account = settings.accounts[0]
    assert main_account.credentials.secret_key == "sk-from-env"  # stripped
    assert main_account.credentials.access_key == "ak"
    names = [e.spec.name for e in main_account.endpoints]
    assert "hit_rate_isp_province" in names  # opted in
    assert "isp_province" not in names  # opt-in, not enabled


def test_demo_config_is_valid() -> None:
    settings = load_config(REPO / "config/demo.yaml")
    assert {a.provider for a in settings.accounts} >= {"wangsu", "cdnetworks"}


def test_secrets_never_appear_in_repr() -> None:
    settings = validate(
        {
            "accounts": [
                {
                    "name": "a",
                    "provider": "wangsu",
                    "auth": {"access_key": "AKVISIBLE", "secret_key": "TOPSECRET"},
                    "domains": ["www.example.com"],
                }
            ]
        }
    )
    assert "TOPSECRET" not in repr(settings)
    assert "TOPSECRET" not in str(settings)


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDN_EXPORTER_LISTEN_ADDRESS", "127.0.0.1:1234")
    settings = load_config(REPO / "config/demo.yaml")
    assert settings.listen_address == "127.0.0.1:1234"


def test_missing_secret() -> None:
    assert problems_of(HERE / "bad/missing_secret.yaml") == [
        "accounts.0.auth: method aksk needs secret_key (or secret_key_file / secret_key_env)"
    ]


def test_unknown_endpoint_suggests_the_closest_known_one() -> None:
    [problem] = problems_of(HERE / "bad/unknown_endpoint.yaml")
    assert problem == (
        "accounts.0.endpoints.flow_requests: unknown endpoint for wangsu "
        "(did you mean `flow_request`?)"
    )


def test_limits_and_granularities_are_checked_against_the_catalog() -> None:
    problems = problems_of(HERE / "bad/rate_limit_above_published.yaml")
    assert problems == [
        "accounts.0.endpoints.hit_rate_isp_province.granularity: 1d is not offered by "
        "/api/report/flow/hit-rate/isp-province (allowed: 5m, 1h)",
        "accounts.0.endpoints.hit_rate_isp_province.rate_limit: 60/300s is above the "
        "published 30/300s",
    ]


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(HERE / "bad/many_problems.yaml")
    text = "\n".join(problems)
    assert "accounts.0.name: String should match pattern" in text
    assert "accounts.0.provider: Input should be one of 'wangsu', 'cdnetworks'" in text
    assert "accounts.0.auth: give only one of secret_key, secret_key_file, secret_key_env" in text
    assert "accounts.0.domains: domain 'www.example.com' is listed twice" in text
    assert "accounts.0.time_offset: UTC offset out of range" in text
    assert "accounts.1.auth: method apikey needs username" in text
    assert "accounts.1.endpoints.flow_request.interval: not a duration: 'soon'" in text
    assert len(problems) == 7


def test_yaml_syntax_error_names_the_line() -> None:
    [problem] = problems_of(HERE / "bad/not_yaml.yaml")
    assert "invalid YAML at line 4" in problem


def test_check_config_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(HERE / "bad/missing_secret.yaml"), "--check-config"]) == 2
    err = capsys.readouterr().err
    assert "accounts.0.auth: method aksk needs secret_key" in err
    assert "Traceback" not in err
    assert main(["--config", str(REPO / "config/demo.yaml"), "--check-config"]) == 0
    assert "configuration is valid" in capsys.readouterr().out
    assert main(["--config", str(HERE / "does-not-exist.yaml"), "--check-config"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_demo_yaml_matches_the_built_in_demo() -> None:
    from collector.demo import demo_settings

    from_file = load_config(REPO / "config/demo.yaml")
    built_in = demo_settings("http://127.0.0.1:10091")
    assert from_file == built_in


def test_domain_cap_can_only_be_lowered() -> None:
    base = {
        "name": "a",
        "provider": "wangsu",
        "auth": {"access_key": "AK", "secret_key": "SK"},
        "domains": [f"d{i}.example.com" for i in range(50)],
    }
    settings = validate(
        {"accounts": [{**base, "endpoints": {"flow_request": {"max_domains_per_call": 20}}}]}
    )
    [flow] = [e for e in settings.accounts[0].endpoints if e.spec.name == "flow_request"]
    assert flow.max_domains_per_call == 20
    assert len(get_provider("wangsu").call_targets(settings.accounts[0], flow)) == 3
    with pytest.raises(ConfigError) as info:
        validate(
            {"accounts": [{**base, "endpoints": {"flow_request": {"max_domains_per_call": 500}}}]}
        )
    assert info.value.problems == [
        "accounts.0.endpoints.flow_request.max_domains_per_call: 500 is above the catalog's 200"
    ]


def test_demo_says_what_it_does_with_a_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--check-config", "--config", "x.yaml"]) == 0
    captured = capsys.readouterr()
    assert "x.yaml is ignored" in captured.err
    assert "built-in demo" in captured.out


def test_state_file_and_max_backfill_from_the_config_and_the_flag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from collector import cli
    from collector.config.runtime import Config

    config = tmp_path / "c.yaml"
    config.write_text(
        "state_file: /var/lib/cdn-exporter/state.json\nmax_backfill: 2d\naccounts:\n"
        "  - {name: a, provider: wangsu, auth: {access_key: AK, secret_key: SK},"
        " domains: [a.example.com]}\n"
    )
    settings = load_config(config)
    assert settings.state_file == "/var/lib/cdn-exporter/state.json"
    assert settings.max_backfill == 2 * 86400
    assert {e.backfill for e in settings.accounts[0].endpoints} == {2 * 86400}
    seen: list[Config] = []

    async def fake_serve(settings: Config, *_: object, **__: object) -> None:
        seen.append(settings)

    monkeypatch.setattr(cli, "serve", fake_serve)
    assert main(["--config", str(config), "--state.file", str(tmp_path / "s.json")]) == 0
    assert seen[0].state_file == str(tmp_path / "s.json")  # the flag wins
    with pytest.raises(ConfigError, match="max_backfill"):
        validate({"accounts": [], "max_backfill": "10m"})


def test_backfill_stays_within_the_api_history() -> None:
    from collector.config.endpoints import backfill_for
    from collector.providers.wangsu.catalog import CATALOG
    from collector.providers.wangsu.declare import HISTORY

    spec = CATALOG["flow_request"]
    assert backfill_for(spec, 300, 6 * 3600) == 6 * 3600
    assert backfill_for(spec, 300, 365 * 86400) == HISTORY - 300
