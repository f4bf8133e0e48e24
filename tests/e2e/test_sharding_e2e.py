"""End to end on loopback: three exporter processes (`--shard i --total-shards 3`) poll one
emulator with seven accounts, and one real Prometheus scrapes them with the repo's rules.

* The union of the three shards' CDN series equals the series of a single process
  (`--total-shards 1`, the same accounts on a second emulator).
* No account is polled by two shards: each shard's call counters name only its accounts
  (by the SHA-256 of the name, or the account's explicit `shard:`), and the emulator's call
  count of every account equals its shard's.
* The shard alerts' expressions are quiet with every shard up and find the missing shard
  once one replica stops.

Needs Debian's `prometheus`; skips with the reason when it is missing. Every wait is a
bounded condition wait; the module takes about 15-25 s and never more than DEADLINE.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from collector.demo import account_config
from collector.emulator.core import EmulatedAccount, demo_accounts
from collector.sharding import account_shard
from tests.e2e.processes import Budget, free_port, get, popen, query, stop, wait_for

T = TypeVar("T")

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "prometheus" / "rules" / "cdn-exporter.rules.yml"
DEADLINE = 58.0  # seconds for the whole module, setup included
TOTAL = 3
SHARDED_JOB = "cdn-exporter"  # the alerts' job
SINGLE_JOB = "cdn-exporter-single"
# name -> explicit shard (None: by hash). volcengine-b hashes to 1 and is pinned to 0.
ACCOUNTS: dict[str, tuple[str, int | None]] = {
    "wangsu-a": ("wangsu", None),
    "wangsu-b": ("wangsu", None),
    "wangsu-c": ("wangsu", None),
    "cdnetworks-a": ("cdnetworks", None),
    "cdnetworks-b": ("cdnetworks", None),
    "volcengine-a": ("volcengine", None),
    "volcengine-b": ("volcengine", 0),
}
# Series compared between the shards and the single process: every CDN family (cdn_up and
# cdn_data_timestamp_seconds included) and the per-endpoint plan self-metrics. Call, wait
# and error counters appear with the calls that made them, so they are compared by account
# below instead.
COMPARED = re.compile(
    r"cdn_(?!exporter_).+|cdn_exporter_(poll_interval_seconds|rate_budget_ratio|poll_calls|"
    r"poll_calls_minimum|"
    r"expected_data_age_seconds|last_success_timestamp_seconds)"
)
EMULATOR = """
import asyncio, json, sys
from collector.clock import SystemClock
from collector.emulator.core import EmulatedAccount, Emulator
from collector.emulator.server import serve_forever
rows = json.loads(sys.argv[2])
accounts = [EmulatedAccount(**{**a, "domains": tuple(a["domains"])}) for a in rows]
emulator = Emulator(accounts, clock=SystemClock())
asyncio.run(serve_forever("127.0.0.1", int(sys.argv[1]), emulator))
"""


@dataclass
class Stack:
    prometheus_url: str
    emulator_url: str
    shard_urls: list[str]
    single_url: str
    accounts: dict[str, int]  # name -> the shard it must be on
    procs: dict[str, subprocess.Popen[bytes]]
    budget: Budget

    def wait_for(self, what: str, check: Callable[[], T | None], limit: float) -> T:
        return wait_for(what, check, self.budget.cap(limit), self.procs)


def _emulated(name: str, provider: str) -> EmulatedAccount:
    """A demo account of `provider` under another name and its own keys."""
    demo = next(a for a in demo_accounts() if a.provider == provider)
    suffix = name.upper().replace("-", "")
    return replace(
        demo,
        name=name,
        access_key=f"{demo.access_key}{suffix}",
        username=name,
        api_key=f"{demo.api_key}{suffix}",
    )


def _accounts_json(accounts: list[EmulatedAccount]) -> str:
    return json.dumps(
        [
            {
                "provider": a.provider,
                "name": a.name,
                "access_key": a.access_key,
                "secret_key": a.secret_key,
                "username": a.username,
                "api_key": a.api_key,
                "domains": list(a.domains),
            }
            for a in accounts
        ]
    )


def _config(accounts: list[EmulatedAccount], base_url: str) -> dict[str, Any]:
    entries = []
    for account in accounts:
        # Catalog defaults (no opt-in breakdowns): fewer calls, the same code paths.
        entry = account_config(account, base_url, endpoints={})
        explicit = ACCOUNTS[account.name][1]
        if explicit is not None:
            entry["shard"] = explicit
        entries.append(entry)
    return {"account_jitter": "1s", "readiness_grace": "5m", "accounts": entries}


def _exporter(config: Path, port: int, *flags: str) -> list[str]:
    listen = f"127.0.0.1:{port}"
    return [sys.executable, "-m", "collector", "--config", str(config), *flags,
            "--web.listen-address", listen]  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("needs prometheus on PATH (apt-get install prometheus)")
    budget = Budget(DEADLINE)
    tmp = tmp_path_factory.mktemp("sharding")
    accounts = [_emulated(name, provider) for name, (provider, _) in ACCOUNTS.items()]
    expected = {
        name: account_shard(name, explicit, TOTAL) for name, (_, explicit) in ACCOUNTS.items()
    }
    assert set(expected.values()) == set(range(TOTAL)), f"a shard without accounts: {expected}"

    emulator_ports = {"emulator": free_port(), "emulator-single": free_port()}
    shard_ports = [free_port() for _ in range(TOTAL)]
    single_port, prom_port = free_port(), free_port()
    configs = {}
    for name, port in emulator_ports.items():
        configs[name] = tmp / f"{name}.yaml"
        body = _config(accounts, f"http://127.0.0.1:{port}")
        configs[name].write_text(yaml.safe_dump(body), encoding="utf-8")
    prometheus_config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": SHARDED_JOB,
                "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in shard_ports]}],
            },
            {
                "job_name": SINGLE_JOB,
                "static_configs": [{"targets": [f"127.0.0.1:{single_port}"]}],
            },
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config), encoding="utf-8")

    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}

    def start(name: str, args: list[str]) -> None:
        logs[name] = tmp / f"{name}.log"
        procs[name] = popen(args, logs[name])

    try:
        for name, port in emulator_ports.items():
            start(name, [sys.executable, "-c", EMULATOR, str(port), _accounts_json(accounts)])
        for shard, port in enumerate(shard_ports):
            flags = ("--shard", str(shard), "--total-shards", str(TOTAL))
            start(f"shard-{shard}", _exporter(configs["emulator"], port, *flags))
        start("single", _exporter(configs["emulator-single"], single_port))
        start(
            "prometheus",
            [
                prometheus,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                f"--storage.tsdb.path={tmp / 'prom-data'}",
                "--storage.tsdb.retention.time=1h",
            ],
        )
        stack = Stack(
            prometheus_url=f"http://127.0.0.1:{prom_port}",
            emulator_url=f"http://127.0.0.1:{emulator_ports['emulator']}",
            shard_urls=[f"http://127.0.0.1:{p}" for p in shard_ports],
            single_url=f"http://127.0.0.1:{single_port}",
            accounts=expected,
            procs=procs,
            budget=budget,
        )
        for url in [*stack.shard_urls, stack.single_url]:
            # Ready: every endpoint of its accounts has had a successful poll.
            stack.wait_for(f"{url}/-/ready", lambda url=url: get(f"{url}/-/ready"), 40)
        stack.wait_for("prometheus /-/ready", lambda: get(f"{stack.prometheus_url}/-/ready"), 20)

        def targets_up() -> bool | None:
            up = query(stack.prometheus_url, "up == 1")
            return True if len(up) == TOTAL + 1 else None

        # ~6 s: Prometheus throttles service-discovery updates to one per 5 s.
        stack.wait_for("every target up", targets_up, 25)
        yield stack
    except BaseException:
        for name, path in logs.items():
            if path.exists():
                tail = path.read_text(errors="replace")[-2500:]
                sys.stderr.write(f"--- {name} log ---\n{tail}\n")
        raise
    finally:
        for proc in procs.values():
            stop(proc)


def _series(stack: Stack, job: str) -> set[frozenset[tuple[str, str]]]:
    """The job's current series of the COMPARED families, without job and instance."""
    result = query(stack.prometheus_url, f'{{job="{job}", __name__=~"cdn_.+"}}')
    return {
        frozenset((k, v) for k, v in r["metric"].items() if k not in ("job", "instance"))
        for r in result
        if COMPARED.fullmatch(r["metric"]["__name__"])
    }


def _calls_by_account(body: str) -> dict[str, float]:
    """Sum of cdn_exporter_api_requests_total per account in one /metrics body."""
    calls: dict[str, float] = defaultdict(float)
    pattern = re.compile(r"^cdn_exporter_api_requests_total\{([^}]*)\} (\S+)$", re.MULTILINE)
    for labels, value in pattern.findall(body):
        account = re.search(r'account="([^"]*)"', labels)
        assert account is not None, labels
        calls[account[1]] += float(value)
    return dict(calls)


def test_the_union_of_the_shards_is_the_single_process(stack: Stack) -> None:
    diff: dict[str, Any] = {}

    def equal() -> bool | None:
        sharded, single = _series(stack, SHARDED_JOB), _series(stack, SINGLE_JOB)
        diff.update(only_sharded=len(sharded - single), only_single=len(single - sharded))
        if sharded == single and len(single) > 100:
            return True
        diff["examples"] = sorted(map(sorted, (sharded ^ single)))[:5]
        return None

    try:
        stack.wait_for("the shards' series to equal the single process'", equal, 30)
    except pytest.fail.Exception:
        pytest.fail(f"series differ: {diff}")
    print(f"{len(_series(stack, SINGLE_JOB))} series compared")
    accounts = query(stack.prometheus_url, f'count by (account) (cdn_up{{job="{SHARDED_JOB}"}})')
    assert {r["metric"]["account"] for r in accounts} == set(stack.accounts)
    # Each shard exports only its own accounts' series.
    for shard, url in enumerate(stack.shard_urls):
        body = get(f"{url}/metrics").decode()
        seen = set(re.findall(r'^cdn_up\{[^}]*account="([^"]*)"', body, re.MULTILINE))
        assert seen == {name for name, s in stack.accounts.items() if s == shard}, shard


def test_no_account_is_polled_by_two_shards(stack: Stack) -> None:
    # In Prometheus: each account's calls come from one instance only.
    per_account = query(
        stack.prometheus_url,
        f"count by (account) (count by (account, instance) "
        f'(cdn_exporter_api_requests_total{{job="{SHARDED_JOB}"}}))',
    )
    assert {r["metric"]["account"]: r["value"][1] for r in per_account} == {
        name: "1" for name in stack.accounts
    }

    mismatch: dict[str, Any] = {}

    def agree() -> bool | None:
        bodies = [get(f"{url}/metrics").decode() for url in stack.shard_urls]
        calls = [_calls_by_account(body) for body in bodies]
        for shard, counted in enumerate(calls):
            mine = {name for name, s in stack.accounts.items() if s == shard}
            assert set(counted) == mine, f"shard {shard} called {sorted(counted)}, not {mine}"
            assert f"cdn_exporter_shard_ordinal {shard}.0" in bodies[shard]
            assert f"cdn_exporter_total_shards {TOTAL}.0" in bodies[shard]
        emulator: dict[str, int] = defaultdict(int)
        for row in json.loads(get(f"{stack.emulator_url}/_emulator/calls"))["calls"]:
            emulator[row["account"]] += row["total"]
        exporters = {name: n for counted in calls for name, n in counted.items()}
        mismatch.update(emulator=dict(emulator), exporters=exporters)
        # Calls in flight are counted by the emulator first: wait for both to settle.
        return True if set(emulator) == set(stack.accounts) and emulator == exporters else None

    try:
        stack.wait_for("the emulator's call counts to equal the shards'", agree, 20)
    except pytest.fail.Exception:
        pytest.fail(f"call counts differ: {mismatch}")


def _alert_expr(name: str) -> str:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    (expr,) = [r["expr"] for g in doc["groups"] for r in g["rules"] if r.get("alert") == name]
    assert isinstance(expr, str)
    return expr


def test_the_shard_alerts_find_a_missing_shard(stack: Stack) -> None:
    missing = _alert_expr("CdnExporterShardMissing")
    mismatch = _alert_expr("CdnExporterShardCountMismatch")
    ordinals = query(stack.prometheus_url, f'cdn_exporter_shard_ordinal{{job="{SHARDED_JOB}"}}')
    assert sorted(r["value"][1] for r in ordinals) == [str(i) for i in range(TOTAL)]
    assert query(stack.prometheus_url, missing) == []
    assert query(stack.prometheus_url, mismatch) == []
    rules = json.loads(get(f"{stack.prometheus_url}/api/v1/rules?type=alert"))["data"]
    health = {r["name"]: r["health"] for g in rules["groups"] for r in g["rules"]}
    assert health["CdnExporterShardMissing"] == health["CdnExporterShardCountMismatch"] == "ok"

    # Shard 2 goes away: its series go stale at the next failed scrape.
    proc = stack.procs.pop(f"shard-{TOTAL - 1}")
    stack.procs[f"stopped:shard-{TOTAL - 1}"] = proc
    stop(proc)

    def fires() -> list[dict[str, Any]] | None:
        return query(stack.prometheus_url, missing) or None

    (result,) = stack.wait_for("the missing-shard expression to find shard 2", fires, 20)
    assert result["metric"] == {"job": SHARDED_JOB}
    assert float(result["value"][1]) == 1
    assert query(stack.prometheus_url, mismatch) == []
