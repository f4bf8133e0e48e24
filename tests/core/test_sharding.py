"""Sharding accounts across replicas: the stable hash, explicit shards, pod ordinals, the
config check, and the exporter (start-up, reload, self-metrics, status page)."""

from __future__ import annotations

import copy
import hashlib
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from collector import health
from collector.app import Exporter
from collector.cli import main
from collector.client import MockTransport
from collector.clock import FakeClock
from collector.config.loading import ConfigError, validate
from collector.config.runtime import Config
from collector.http import HttpRequest, HttpResponse
from collector.sharding import (
    Sharding,
    account_shard,
    hash_shard,
    ordinal_from_pod_name,
    resolve_shard,
    shard_problems,
)
from collector.web import build_web_app

REPO = Path(__file__).resolve().parents[2]
NAMES = [f"acct-{c}" for c in "abcdefgh"]


def account(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "wangsu",
        "auth": {"access_key": "AK", "secret_key": "SK"},
        "domains": ["www.example.com"],
        "endpoints": {"flow_request_origin": {"enabled": False}},
        **extra,
    }


CONFIG: dict[str, Any] = {"accounts": [account(name) for name in NAMES]}


async def empty_answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, {}, b'{"result": []}')


def make(sharding: Sharding, data: dict[str, Any] = CONFIG, loader: Any = None) -> Exporter:
    return Exporter(
        validate(data),
        FakeClock(),
        transport_factory=lambda: MockTransport(empty_answer),
        config_loader=loader,
        sharding=sharding,
    )


def accounts_polled(exporter: Exporter) -> set[str]:
    return {name for name, _ in exporter.jobs}


# -- the hash ---------------------------------------------------------------------------


def test_the_hash_is_sha256_of_the_name_and_pinned() -> None:
    # Changing the function would move accounts between running replicas: pinned values.
    assert [hash_shard(n, 3) for n in NAMES] == [1, 0, 2, 2, 1, 0, 2, 2]
    assert hash_shard("main", 1000) == int("0d6e4079e36703eb", 16) % 1000
    for name in (*NAMES, "main", "账户", "x" * 300):
        digest = hashlib.sha256(name.encode()).digest()
        assert hash_shard(name, 7) == int.from_bytes(digest[:8], "big") % 7


def test_the_hash_is_the_same_in_another_process() -> None:
    # Python salts str hashes per process; the shard must not depend on that.
    code = "from collector.sharding import hash_shard; print(hash_shard('acct-a', 97))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert runs == {str(hash_shard("acct-a", 97))}


def test_the_hash_spreads_names_evenly() -> None:
    counts = Counter(hash_shard(f"account-{i}", 4) for i in range(4000))
    assert set(counts) == {0, 1, 2, 3}
    assert all(900 < n < 1100 for n in counts.values()), counts


def test_an_explicit_shard_wins_and_one_shard_owns_everything() -> None:
    assert account_shard("acct-a", 2, 3) == 2
    assert account_shard("acct-a", None, 3) == hash_shard("acct-a", 3)
    assert {hash_shard(n, 1) for n in NAMES} == {0}
    with pytest.raises(ValueError, match="at least 1"):
        hash_shard("a", 0)


# -- pod ordinals and --shard -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ordinal"),
    [("cdn-exporter-2", 2), ("cdn-exporter-0", 0), ("a-b-c-10", 10), ("web-007\n", 7)],
)
def test_the_ordinal_of_a_statefulset_pod_name(name: str, ordinal: int) -> None:
    assert ordinal_from_pod_name(name) == ordinal


@pytest.mark.parametrize("name", ["cdn-exporter", "cdn-exporter-", "pod-1a", "", "7"])
def test_a_pod_name_without_an_ordinal_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="has no ordinal"):
        ordinal_from_pod_name(name)


def test_shard_auto_reads_pod_name_then_the_host_name() -> None:
    assert resolve_shard("auto", {"POD_NAME": "cdn-exporter-2"}, "ignored") == 2
    assert resolve_shard("auto", {}, "cdn-exporter-1") == 1
    assert resolve_shard("auto", {"POD_NAME": ""}, "cdn-exporter-4") == 4
    assert resolve_shard(" 3 ", {}, "host") == 3
    with pytest.raises(ValueError, match=r"--shard auto: pod name 'cdn-exporter' .*\$POD_NAME"):
        resolve_shard("auto", {"POD_NAME": "cdn-exporter"}, "x-1")
    with pytest.raises(ValueError, match="from the host name"):
        resolve_shard("auto", {}, "laptop")
    with pytest.raises(ValueError, match="a number or `auto`"):
        resolve_shard("-1", {}, "x")


def test_the_shard_must_be_below_the_total() -> None:
    with pytest.raises(ValueError, match="--shard 3 is not below --total-shards 3"):
        Sharding(3, 3)
    with pytest.raises(ValueError, match="--total-shards must be 1 to"):
        Sharding(0, 0)


# -- the config -------------------------------------------------------------------------


def test_every_account_is_on_exactly_one_shard() -> None:
    data = copy.deepcopy(CONFIG)
    data["accounts"][0]["shard"] = 2  # acct-a hashes to 1
    config = validate(data)
    owned = [{a.name for a in Sharding(i, 3).select(config).accounts} for i in range(3)]
    assert set().union(*owned) == set(NAMES)
    assert sum(len(o) for o in owned) == len(NAMES)
    assert "acct-a" in owned[2]
    assert owned[0] == {"acct-b", "acct-f"}
    plain = validate(CONFIG)
    assert Sharding().select(plain) == plain


def test_an_explicit_shard_not_below_the_total_is_a_problem_of_the_replica() -> None:
    data = copy.deepcopy(CONFIG)
    data["accounts"][1]["shard"] = 3
    data["accounts"][4]["shard"] = 2
    config = validate(data)  # loading knows no --total-shards: the replica asks
    assert Sharding(0, 3).problems(config) == [
        "accounts.1.shard: 3 is not below --total-shards 3 (shards are numbered 0 to 2)"
    ]
    assert Sharding(3, 4).problems(config) == []  # fine with four
    problems = Sharding().problems(config)  # one shard by default: shard 0 only
    assert [p.split(":")[0] for p in problems] == ["accounts.1.shard", "accounts.4.shard"]


@pytest.mark.parametrize("value", [-1, "1", 1.5, 1000])
def test_a_shard_is_a_small_non_negative_integer(value: object) -> None:
    data = {"accounts": [account("a", shard=value)]}
    with pytest.raises(ConfigError) as caught:
        validate(data)
    assert caught.value.problems[0].startswith("accounts.0.shard: ")


def test_shard_problems_by_config_index() -> None:
    problems = shard_problems([None, 1, 2, 5], 2)
    assert [p.split(" is")[0] for p in problems] == ["accounts.2.shard: 2", "accounts.3.shard: 5"]


# -- the command line ---------------------------------------------------------------------


def test_check_config_takes_total_shards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(CONFIG)
    data["accounts"][2]["shard"] = 2
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["--config", str(path), "--check-config", "--total-shards", "2"]) == 2
    err = capsys.readouterr().err
    assert "accounts.2.shard: 2 is not below --total-shards 2" in err
    assert "Traceback" not in err
    args = ["--config", str(path), "--check-config", "--total-shards", "3", "--shard", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "shard 2 of 3 (ordinals 0-2): 4 of 8 account(s): acct-c, acct-d, acct-g, acct-h" in out


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--shard", "3", "--total-shards", "3"], {}, "--shard 3 is not below --total-shards 3"),
        (["--shard", "auto", "--total-shards", "3"], {"POD_NAME": "cdn"}, "has no ordinal"),
        (["--shard", "auto", "--total-shards", "2"], {"POD_NAME": "x-2"}, "not below"),
        (["--shard", "one"], {}, "a number or `auto`"),
    ],
)
def test_bad_shard_flags_exit_2_with_the_reason(
    args: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--config", str(REPO / "config/demo.yaml"), "--check-config", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_total_shards_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--config", "x.yaml", "--total-shards", "0"])
    assert caught.value.code == 2
    assert "--total-shards: expected a number from 1 to 1000" in capsys.readouterr().err


# -- the exporter ----------------------------------------------------------------------


def test_each_replica_builds_jobs_for_its_accounts_only() -> None:
    polled = [accounts_polled(make(Sharding(i, 3))) for i in range(3)]
    assert polled == [
        {"acct-b", "acct-f"},
        {"acct-a", "acct-e"},
        {"acct-c", "acct-d", "acct-g", "acct-h"},
    ]
    assert accounts_polled(make(Sharding())) == set(NAMES)


def test_self_metrics_say_the_shard() -> None:
    exporter = make(Sharding(1, 3))
    value = exporter.metrics.registry.get_sample_value
    assert value("cdn_exporter_shard_ordinal") == 1
    assert value("cdn_exporter_total_shards") == 3
    assert value("cdn_exporter_shard_accounts") == 2
    text = exporter.metrics.render().decode()
    assert "# TYPE cdn_exporter_shard_ordinal gauge" in text
    single = make(Sharding()).metrics.registry.get_sample_value
    assert (single("cdn_exporter_shard_ordinal"), single("cdn_exporter_total_shards")) == (0, 1)


def test_an_exporter_refuses_a_config_with_a_shard_it_does_not_have() -> None:
    data = copy.deepcopy(CONFIG)
    data["accounts"][0]["shard"] = 5
    config = validate(data)
    with pytest.raises(ConfigError, match=r"accounts\.0\.shard: 5 is not below --total-shards 3"):
        Exporter(config, FakeClock(), sharding=Sharding(0, 3))


async def test_reload_applies_the_same_shard_filter() -> None:
    current: dict[str, Any] = copy.deepcopy(CONFIG)

    def loader() -> Config:
        return validate(current)

    exporter = make(Sharding(1, 3), current, loader)
    try:
        before = {key: job.poller for key, job in exporter.jobs.items()}
        assert accounts_polled(exporter) == {"acct-a", "acct-e"}
        # acct-a moves to shard 2, acct-b (hash 0) comes here, acct-e gets an explicit
        # shard equal to its hash (its poller stays), and a new account hashing here.
        current["accounts"][0]["shard"] = 2
        current["accounts"][1]["shard"] = 1
        current["accounts"][4]["shard"] = 1
        current["accounts"].append(account("acct-j"))
        assert hash_shard("acct-j", 3) == 1
        result = await exporter.reload()
        assert result.ok, result.problems
        assert accounts_polled(exporter) == {"acct-b", "acct-e", "acct-j"}
        assert result.plan is not None
        assert {k[0] for k in result.plan.remove} == {"acct-a"}
        assert {k[0] for k in result.plan.add} == {"acct-b", "acct-j"}
        assert {k[0] for k in result.plan.keep} == {"acct-e"}
        for key, job in exporter.jobs.items():
            if key[0] == "acct-e":
                assert job.poller is before[key]
        value = exporter.metrics.registry.get_sample_value
        assert value("cdn_exporter_shard_accounts") == 3
        assert set(exporter.transports) == {"acct-b", "acct-e", "acct-j"}

        # A shard this replica's --total-shards does not have: nothing changes.
        jobs = dict(exporter.jobs)
        current["accounts"][2]["shard"] = 7
        result = await exporter.reload()
        assert not result.ok
        assert result.problems == (
            "accounts.2.shard: 7 is not below --total-shards 3 (shards are numbered 0 to 2)",
        )
        assert exporter.jobs == jobs
        assert value("cdn_exporter_config_last_reload_successful") == 0
    finally:
        await exporter.close()


async def test_the_status_page_and_readiness_name_the_shard() -> None:
    exporter = make(Sharding(1, 3))
    async with TestClient(TestServer(build_web_app(exporter))) as client:
        page = await (await client.get("/")).text()
        assert "Shard 1 of 3 (ordinals 0-2): 2 of 8 account(s): acct-a, acct-e" in page
        ready = await (await client.get("/-/ready")).text()
        assert "Shard 1 of 3" in ready
    single = make(Sharding())
    async with TestClient(TestServer(build_web_app(single))) as client:
        page = await (await client.get("/")).text()
        assert "Not sharded (--total-shards 1): every account (8)" in page
        assert "Shard" not in await (await client.get("/-/ready")).text()


async def test_a_shard_without_accounts_is_ready_and_stays_healthy() -> None:
    clock = FakeClock()
    exporter = Exporter(
        validate({"accounts": [account("acct-b"), account("acct-f")]}),  # both on 0
        clock,
        transport_factory=lambda: MockTransport(empty_answer),
        sharding=Sharding(2, 3),
    )
    assert exporter.jobs == {}
    assert health.ready(exporter)
    clock.advance(3600)
    assert health.healthy(exporter)
    async with TestClient(TestServer(build_web_app(exporter))) as client:
        assert (await client.get("/-/healthy")).status == 200
        ready = await client.get("/-/ready")
        assert ready.status == 200
        assert "Shard 2 of 3 (ordinals 0-2): 0 of 2 account(s): none" in await ready.text()
