"""The performance benchmark: every figure beside its baseline from the same run.

Run:  python benchmarks/run.py [--series 10000 100000 300000] [--scrape-seconds 3]
      [--domains 10 1000 10000] [--rss-polls-per-day 4] [--no-rss] [--billing-groups 1000]

At each size it builds a real `Exporter` (100 Wangsu accounts, flow_request on, the
stores filled with settled slices without HTTP) and measures, in one process tree:

- render: a full re-render of every chunk (plain + gzip) and a small poll (one account:
  1% of the series) re-rendering its chunks and joining the body, against
  prometheus_client's `generate_latest` over Gauges holding the same series;
- scrape p50/p99 with 20 concurrent scrapers (a child process) in gzip and identity,
  between polls and during polls (one account polled and re-rendered back to back),
  with the event-loop lag (a 10 ms sleeper) in both phases; prometheus_client's aiohttp
  handler is the baseline (at the smallest size, if at most 100k: it renders at every
  scrape, a minute per scrape at 300k);
- the floor: the exporter's exact gzip answer (its headers and body, fetched once) served
  by a minimal server on loopback (asyncio streams, one pre-built HTTP/1.1 response for
  every request), scraped by the same 20 scrapers: its throughput and p99, and the
  exporter's gzip throughput between polls as a share of it (what loopback and the
  scrapers allow, not what the exporter adds);
- RSS per series measured from a child process (VmRSS), after simulated day 1 and day 7
  of polls, against a child holding the same series in prometheus_client Gauges;
- ingest of the `result` envelope (decode + parse + settle) in points per second on one
  core, against `json.loads` plus a dict update;
- calls per cycle of every default Wangsu endpoint against the theoretical minimum
  (`ceil(domains / per-call cap)` per window piece) at 10, 1,000 and 10,000 domains, of
  the source the planner chose, and the freshness of per-domain hit ratio;
- throttled answers when one account's poller runs at 100% of a published limit (300
  domains of edge_hit_ratio, 300 calls a cycle against 300 per 5 minutes) against the
  emulator, which enforces the limit, over three cycles on a virtual clock;
- billing (benchmarks/billing.py): memory per group (tracemalloc, a full 31-day month,
  and two months) and one poll's billing update at 1,000 groups (`--billing-groups`).

It prints a table (figure, baseline, target, PASS/FAIL) and exits 1 when a target is
missed. The machine shares its host: timings are the best of a few runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing as mp
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import orjson  # noqa: E402
from aiohttp import web  # noqa: E402

from benchmarks.billing import measure as measure_billing  # noqa: E402
from collector.app import Exporter  # noqa: E402
from collector.cli import SELF_METRICS_MAX_AGE  # noqa: E402
from collector.clock import SystemClock  # noqa: E402
from collector.config.loading import validate  # noqa: E402
from collector.exposition import BodyAssembler  # noqa: E402
from collector.jobs import job_specs  # noqa: E402
from collector.model import Point, PointColumns  # noqa: E402
from collector.planner import windows_per_poll  # noqa: E402
from collector.poller import INGEST_STEP, EndpointPoller  # noqa: E402
from collector.providers.endpoint import FanOut, Query  # noqa: E402
from collector.providers.wangsu.catalog import CATALOG  # noqa: E402
from collector.rendering import poller_rows  # noqa: E402
from collector.store import SliceStore  # noqa: E402
from collector.timeslices import Window, format_local  # noqa: E402
from collector.web import build_web_app  # noqa: E402
from tests.core.rendering import every_family  # noqa: E402  (the render reference)

CST = 8 * 3600
STEP = 300
ACCOUNTS = 100
SCRAPERS = 20
FAILED: list[str] = []
ROWS: list[tuple[str, str, str, str, str]] = []


def report(
    name: str, value: float, unit: str, baseline: str, target: float | None, lower: bool = True
) -> None:
    verdict = ""
    target_text = ""
    if target is not None:
        ok = value <= target if lower else value >= target
        verdict = "PASS" if ok else "FAIL"
        target_text = f"{'<=' if lower else '>='} {target:g}"
        if not ok:
            FAILED.append(f"{name} = {value:.3f} {unit} (target {target_text})")
    row = (name, f"{value:,.3f} {unit}", baseline, target_text, verdict)
    ROWS.append(row)
    print(f"{row[0]:<62} {row[1]:>16}  {row[2]:<34} {row[3]:<10} {row[4]}", flush=True)


def best_of(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def domain(i: int) -> str:
    return f"www{i}.customer-{i % 97}.example.com"


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# -- the exporter under test ------------------------------------------------------------


def build_exporter(series: int) -> tuple[Exporter, list[EndpointPoller]]:
    """100 accounts of flow_request (3 series per domain), stores empty."""
    per_account = max(1, series // 3 // ACCOUNTS)
    accounts = [
        {
            "name": f"acct{a}",
            "provider": "wangsu",
            "auth": {"access_key": f"AK{a}", "secret_key": "SK"},
            "domains": [domain(a * per_account + i) for i in range(per_account)],
            "endpoints": {
                "flow_request_origin": {"enabled": False},
                "status_codes": {"enabled": False},
                "origin_status_codes": {"enabled": False},
                "origin_response_time": {"enabled": False},
                "certificates": {"enabled": False},
                "edge_hit_ratio": {"enabled": False},
            },
        }
        for a in range(ACCOUNTS)
    ]
    exporter = Exporter(validate({"accounts": accounts}), SystemClock())
    gc.freeze()  # as the daemon does once started (collector/cli.py)
    return exporter, exporter.pollers


def poll_points(poller: EndpointPoller, ends: list[int], salt: float) -> PointColumns:
    """What one poll of `poller` reads: three measures of every domain for `ends`, in the
    columns the Wangsu parser fills (no object per point, as in the daemon)."""
    families = {f.name: f for f in poller.settings.spec.families}
    traffic = families["cdn_traffic_bytes_total"]
    bandwidth = families["cdn_bandwidth_bytes_per_second"]
    requests = families["cdn_requests_total"]
    out = PointColumns()
    for k, name in enumerate(poller.account.domains):
        down, alone = (name, "down"), (name,)
        for end in ends:
            v = (k + end % 7919) * 1.37 + salt
            out.families += (traffic, bandwidth, requests)
            out.labels += (down, down, alone)
            out.ends += (end, end, end)
            out.values += (v * 300, v, float(int(v)))
    return out


def settle(poller: EndpointPoller, points: Sequence[Point], horizon: float) -> None:
    store = poller.store
    result = store.begin(horizon)
    for first in range(0, len(points), INGEST_STEP):
        store.add(points[first : first + INGEST_STEP], horizon, result)
    store.finish(horizon)


def fill(pollers: list[EndpointPoller], start: int) -> None:
    for poller in pollers:
        settle(poller, [], start)  # baseline
        settle(poller, poll_points(poller, [start + STEP, start + 2 * STEP], 0.0), start + 2 * STEP)


# -- render -----------------------------------------------------------------------------


def prometheus_client_registry(exporter: Exporter) -> Any:
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    for family in every_family(exporter):
        gauge = Gauge(family.name, family.help, family.label_names, registry=registry)
        for labels, value in family.samples:
            gauge.labels(*labels).set(value)
    return registry


async def bench_render(n: int, exporter: Exporter, registry: Any) -> None:
    from prometheus_client import generate_latest

    async def timed_full() -> float:
        began = time.perf_counter()
        await exporter.render()
        return time.perf_counter() - began

    async def timed_small() -> float:
        poller = exporter.pollers[0]
        began = time.perf_counter()
        await exporter.render(poller)
        return time.perf_counter() - began

    await exporter.render()  # the first render builds every prefix
    full_s = min([await timed_full() for _ in range(3)])
    small_s = min([await timed_small() for _ in range(7)])
    base_s = best_of(lambda: generate_latest(registry), runs=2)
    size = len(exporter.rendered.plain) / 1e6
    # The same full render without compression (deflate level 0 stores the text, with
    # its CRC): what generate_latest does.
    plain = BodyAssembler(level=0)

    def plain_full() -> None:
        for p in exporter.pollers:
            plain.update(p.state_key, p.labels, poller_rows(p))
        plain.assemble()

    plain_full()
    plain_s = best_of(plain_full, runs=3)
    report(
        f"[{n:,}] full render, plain text ({size:.1f} MB)",
        plain_s * 1000,
        "ms",
        f"generate_latest {base_s * 1000:,.0f} ms",
        None,
    )
    report(f"[{n:,}] generate_latest / full plain render", base_s / plain_s, "x", "", 10.0, False)
    report(
        f"[{n:,}] full render + deflate pieces (the exporter's)",
        full_s * 1000,
        "ms",
        f"generate_latest / it: {base_s / full_s:.1f}x",
        None,
    )
    report(
        f"[{n:,}] small poll (1% of series) re-render",
        small_s * 1000,
        "ms",
        f"full {full_s * 1000:,.0f} ms",
        None,
    )
    report(
        f"[{n:,}] small poll / full render",
        100 * small_s / full_s,
        "%",
        "",
        2.0 if n >= 300_000 else None,
    )


# -- scrape -----------------------------------------------------------------------------


def _scraper_main(url: str, coding: str, seconds: float, out: Any) -> None:
    async def run() -> list[float]:
        latencies: list[float] = []
        end = time.perf_counter() + seconds
        conn = aiohttp.TCPConnector(limit=SCRAPERS)
        async with aiohttp.ClientSession(connector=conn, auto_decompress=False) as session:

            async def one() -> None:
                while time.perf_counter() < end:
                    began = time.perf_counter()
                    async with session.get(url, headers={"Accept-Encoding": coding}) as resp:
                        await resp.read()
                    latencies.append(time.perf_counter() - began)

            await asyncio.gather(*(one() for _ in range(SCRAPERS)))
        return latencies

    out.put(asyncio.run(run()))


async def scrape(url: str, coding: str, seconds: float) -> list[float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_scraper_main, args=(url, coding, seconds, queue))
    proc.start()
    latencies: list[float] = await asyncio.to_thread(queue.get)
    await asyncio.to_thread(proc.join)
    return latencies


class LagProbe:
    """A 10 ms sleeper on the loop recording how late it wakes."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(max(0.0, time.perf_counter() - began - 0.01))

    def start(self) -> None:
        self.samples = []
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        return self.samples


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/metrics"


async def gzip_answer(url: str) -> bytes:
    """One gzip scrape's whole HTTP/1.1 response as the floor server sends it: the status
    line, the headers a scraper reads (type, coding, length) and the body, byte for byte."""
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(url, headers={"Accept-Encoding": "gzip"}) as resp,
    ):
        body = await resp.read()
        head = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        head += [f"{name}: {resp.headers[name]}" for name in ("Content-Type", "Content-Encoding")]
        head += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


async def bench_scrape(
    n: int, exporter: Exporter, start: int, seconds: float, registry: Any | None
) -> tuple[float, bytes]:
    """Report the scrape figures; return the gzip scrapes' rate between polls and one
    gzip answer (for the floor)."""
    runner, url = await serve(build_web_app(exporter, self_metrics_max_age=SELF_METRICS_MAX_AGE))
    probe = LagProbe()
    polls = 0
    gzip_rate = math.nan

    async def poll_loop(stop: asyncio.Event) -> None:
        nonlocal polls
        k = 0
        while not stop.is_set():
            poller = exporter.pollers[k % len(exporter.pollers)]
            end = start + (3 + polls) * STEP
            points = poll_points(poller, [end - STEP, end], 1.0)
            store = poller.store
            result = store.begin(end)
            for first in range(0, len(points), INGEST_STEP):
                if first:
                    await asyncio.sleep(0)
                store.add(points[first : first + INGEST_STEP], end, result)
            store.finish(end)
            await exporter.render(poller)
            polls += 1
            k += 1
            await asyncio.sleep(0.05)

    try:
        for phase in ("between polls", "during polls"):
            for coding in ("gzip", "identity"):
                stop = asyncio.Event()
                poller_task = None
                if phase == "during polls":
                    poller_task = asyncio.create_task(poll_loop(stop))
                probe.start()
                latencies = await scrape(url, coding, seconds)
                lags = await probe.stop()
                stop.set()
                if poller_task is not None:
                    await poller_task
                target = 25.0 if coding == "gzip" and n >= 300_000 else None
                rate = len(latencies) / seconds
                if (phase, coding) == ("between polls", "gzip"):
                    gzip_rate = rate
                report(
                    f"[{n:,}] scrape {coding} {phase} p50",
                    pct(latencies, 0.5) * 1000,
                    "ms",
                    f"{rate:,.0f} req/s",
                    None,
                )
                report(
                    f"[{n:,}] scrape {coding} {phase} p99",
                    pct(latencies, 0.99) * 1000,
                    "ms",
                    f"max {max(latencies) * 1000:,.0f} ms",
                    target,
                )
                report(
                    f"[{n:,}] event-loop lag p99 ({phase}, {coding} scrapes)",
                    pct(lags, 0.99) * 1000,
                    "ms",
                    f"max {max(lags, default=0) * 1000:,.0f} ms",
                    50.0 if n >= 300_000 else None,
                )
        report(f"[{n:,}] polls re-rendered during the scrapes", float(polls), "", "", None)
        answer = await gzip_answer(url)
    finally:
        await runner.cleanup()
    if registry is None:
        return gzip_rate, answer
    from prometheus_client.aiohttp import make_aiohttp_handler

    app = web.Application()
    app.router.add_get("/metrics", make_aiohttp_handler(registry))
    runner, url = await serve(app)
    try:
        for coding in ("gzip", "identity"):
            latencies = await scrape(url, coding, seconds)
            report(
                f"[{n:,}] baseline prometheus_client scrape {coding} p99",
                pct(latencies, 0.99) * 1000,
                "ms",
                f"p50 {pct(latencies, 0.5) * 1000:,.0f} ms, {len(latencies) / seconds:,.0f}/s",
                None,
            )
    finally:
        await runner.cleanup()
    return gzip_rate, answer


async def bench_floor(n: int, answer: bytes, seconds: float, exporter_rate: float) -> None:
    """The same gzip answer from a server that does nothing but send it: pre-built bytes
    written to every request on a kept-alive connection, no routing, no negotiation."""

    async def answer_every_request(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # a GET: its head, no body
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer_every_request, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        latencies = await scrape(f"http://127.0.0.1:{port}/metrics", "gzip", seconds)
    finally:
        server.close()
        await server.wait_closed()
    rate = len(latencies) / seconds
    body_mb = (len(answer) - answer.index(b"\r\n\r\n") - 4) / 1e6
    report(
        f"[{n:,}] floor: raw-socket server, same gzip body, throughput",
        rate,
        "req/s",
        f"{body_mb:.2f} MB body, {SCRAPERS} scrapers",
        None,
    )
    report(
        f"[{n:,}] floor: raw-socket server, same gzip body, p99",
        pct(latencies, 0.99) * 1000,
        "ms",
        f"p50 {pct(latencies, 0.5) * 1000:,.1f} ms",
        None,
    )
    report(
        f"[{n:,}] exporter gzip scrape throughput / floor",
        100 * exporter_rate / rate,
        "%",
        f"{exporter_rate:,.0f} / {rate:,.0f} req/s (between polls)",
        None,
    )


# -- memory -----------------------------------------------------------------------------


def rss_child(n: int, polls_per_day: int, baseline: bool) -> dict[str, float]:
    """Run in a fresh process: RSS per series after simulated day 1 and day 7."""
    gc.collect()
    empty = rss_bytes()
    if baseline:
        exporter, pollers = build_exporter(n)
        fill(pollers, 1_700_000_000 - 1_700_000_000 % 86400)
        registry = prometheus_client_registry(exporter)
        for poller in pollers:
            poller.store.forget_all()
        del exporter, pollers
        gc.collect()
        series = sum(1 for _ in registry.collect() for _ in _.samples)
        return {"series": series, "day1": (rss_bytes() - empty) / series, "day7": math.nan}
    exporter, pollers = build_exporter(n)
    day = 1_700_000_000 - 1_700_000_000 % 86400
    fill(pollers, day)
    series = sum(1 for p in pollers for _ in p.store.series())
    result: dict[str, float] = {"series": series}
    gap = 86400 // polls_per_day

    async def week() -> None:
        await exporter.render()
        for d in range(1, 8):
            for k in range(polls_per_day):
                end = day + d * 86400 + k * gap
                for poller in pollers:
                    settle(poller, poll_points(poller, [end - 2 * STEP, end - STEP, end], 0.5), end)
                await exporter.render()
            if d in (1, 7):
                gc.collect()
                result[f"day{d}"] = (rss_bytes() - empty) / series

    asyncio.run(week())
    return result


def bench_memory(n: int, polls_per_day: int) -> None:
    def child(baseline: bool) -> dict[str, float]:
        args = [sys.executable, __file__, "--rss-child", str(n), "--rss-polls-per-day"]
        args += [str(polls_per_day)] + (["--rss-baseline"] if baseline else [])
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        parsed: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        return parsed

    ours, theirs = child(False), child(True)
    report(
        f"[{n:,}] RSS per series, simulated day 7 ({ours['series']:,.0f} series)",
        ours["day7"],
        "B",
        f"prometheus_client {theirs['day1']:,.0f} B",
        600.0 if n >= 300_000 else None,
    )
    growth = 100 * (ours["day7"] - ours["day1"]) / ours["day1"]
    report(
        f"[{n:,}] RSS growth day 1 -> day 7",
        growth,
        "%",
        f"day 1 {ours['day1']:,.0f} B/series",
        5.0 if n >= 300_000 else None,
    )


# -- ingest -----------------------------------------------------------------------------


def flow_request_body(domains: int, slices: int, day: int) -> bytes:
    series = [
        {
            "timestamp": format_local(day + (k + 1) * STEP, CST, "%Y-%m-%d %H:%M"),
            "flow": f"{k * 1.37:.2f}",
            "bandwidth": f"{k * 0.04:.2f}",
            "request": str(k * 10),
        }
        for k in range(slices)
    ]
    return orjson.dumps(
        {"result": [{"domain": domain(i), "flowRequestData": series} for i in range(domains)]}
    )


def bench_ingest() -> None:
    day = 1_700_000_000 - 1_700_000_000 % 86400 - CST
    body = flow_request_body(200, 288, day)
    query = Query(
        endpoint="flow_request",
        domains=tuple(domain(i) for i in range(200)),
        window=Window(day, day + 86400, STEP),
        offset_seconds=CST,
    )
    spec = CATALOG["flow_request"]
    count = 0

    def ours() -> None:
        nonlocal count
        store = SliceStore(retention=1200)
        store.ingest([], horizon=day)
        points = spec.parse(orjson.loads(body), query)
        store.ingest(points, horizon=day + 86400)
        count = len(points)

    def baseline() -> None:
        state: dict[tuple[str, str, str], float] = {}
        for entry in json.loads(body)["result"]:
            for item in entry["flowRequestData"]:
                for key in ("flow", "bandwidth", "request"):
                    state[(entry["domain"], key, item["timestamp"])] = float(item[key])

    seconds = best_of(ours, runs=3)
    base = best_of(baseline, runs=3)
    report(
        "ingest result envelope (decode + parse + settle)",
        count / seconds,
        "pts/s",
        f"json.loads + dict {count / base:,.0f} pts/s",
        500_000,
        lower=False,
    )


# -- calls ------------------------------------------------------------------------------


def bench_calls(domain_counts: list[int]) -> None:
    for d in domain_counts:
        settings = validate(
            {
                "accounts": [
                    {
                        "name": "main",
                        "provider": "wangsu",
                        "auth": {"access_key": "AK", "secret_key": "SK"},
                        "domains": [domain(i) for i in range(d)],
                    }
                ]
            }
        )
        worst = 1.0
        for spec in job_specs(settings):
            s = spec.settings
            pieces = windows_per_poll(
                s.settle_delay + s.reread + s.granularity, s.max_span, s.granularity
            )
            fan = s.spec.fan_out
            if fan is FanOut.DOMAIN_BATCHES:
                minimum = math.ceil(d / s.spec.max_domains_per_call) * pieces
            elif fan is FanOut.PER_DOMAIN:
                minimum = d * pieces
            else:
                minimum = pieces
            ratio = spec.plan.calls_per_cycle / minimum
            worst = max(worst, ratio)
            fresh = s.settle_delay + s.granularity + spec.plan.interval
            report(
                f"[{d:,} domains] {s.spec.name} calls per cycle / minimum",
                ratio,
                "",
                f"{spec.plan.calls_per_cycle} calls (plan's fewest {spec.plan.minimum_calls}), "
                f"every {spec.plan.interval}s, {spec.plan.budget_share:.0%} of budget",
                1.0,
            )
            if "cdn_cache_hit_ratio" in {f.name for f in s.spec.families}:
                report(
                    f"[{d:,} domains] per-domain hit ratio staleness ({s.spec.name})",
                    fresh,
                    "s",
                    f"chosen over {s.chosen_over}"
                    if s.chosen_over
                    else f"asked every {spec.plan.requested_interval}s",
                    1800.0 if d >= 10_000 else None,
                )


async def bench_throttles(domains: int = 300, cycles: int = 3) -> None:
    """Calls at 100% of a published limit against the emulator, which enforces it: 300
    domains of edge_hit_ratio (one a call) are 300 calls a cycle against 300 per 5 minutes,
    polled for `cycles` planned intervals on a virtual clock (real loopback HTTP)."""
    from collector.clock import VirtualClock
    from collector.emulator.core import EmulatedAccount, Emulator
    from collector.emulator.server import start

    account = EmulatedAccount(
        provider="wangsu",
        name="full-budget",
        access_key="FULL_AK",
        secret_key="FULL_SK_0123456789",
        username="full",
        api_key="FULL_APIKEY",
        domains=tuple(domain(i) for i in range(domains)),
    )
    begin = 1_700_000_000 - 1_700_000_000 % 300 + 30
    clock = VirtualClock(begin)
    server = await start(Emulator([account], clock=clock))
    endpoints = {
        "flow_request": {"enabled": False},
        "flow_request_origin": {"enabled": False},
        "status_codes": {"enabled": False},
        "origin_status_codes": {"enabled": False},
        "origin_response_time": {"enabled": False},
        "certificates": {"enabled": False},
        "edge_hit_ratio": {"enabled": True},
    }
    from collector.demo import account_config

    settings = validate({"accounts": [account_config(account, server.base_url, endpoints)]})
    exporter = Exporter(settings, clock)
    try:
        exporter.start()
        (plan,) = exporter.plans
        await clock.run_until(begin + cycles * plan.interval)
        counts = server.emulator.totals()
    finally:
        await exporter.close()
        await server.close()
    report(
        f"throttled answers, {counts.total:,} calls at 100% of 300/5m",
        counts.throttled,
        "",
        f"{plan.calls_per_cycle} calls every {plan.interval}s ({plan.budget_share:.0%})",
        0,
    )


# -- main -------------------------------------------------------------------------------


async def bench_size(n: int, seconds: float, baseline_scrape: bool) -> None:
    exporter, pollers = build_exporter(n)
    start = 1_700_000_000 - 1_700_000_000 % 86400
    fill(pollers, start)
    registry = prometheus_client_registry(exporter)
    await bench_render(n, exporter, registry)
    gzip_rate, answer = await bench_scrape(
        n, exporter, start, seconds, registry if baseline_scrape else None
    )
    await bench_floor(n, answer, seconds, gzip_rate)
    await exporter.close()


def bench_billing(groups: int) -> None:
    """Billing memory per group (tracemalloc, a full 31-day month; two months) and the
    cost of one poll's billing update at `groups` groups (benchmarks/billing.py)."""
    figures = measure_billing(groups)
    report(
        "billing memory per group, one 31-day month",
        figures["bytes_per_group_month"] / 1024,
        "KiB",
        "",
        8.0,
    )
    report(
        "billing memory per group, two months",
        figures["bytes_per_group_two_months"] / 1024,
        "KiB",
        "",
        16.0,
    )
    report(
        f"billing poll update, {groups} groups (record + samples)",
        figures["poll_total_seconds"] * 1e3,
        "ms",
        f"record {figures['poll_record_seconds'] * 1e3:.1f} ms",
        None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--series", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument("--scrape-seconds", type=float, default=3.0)
    parser.add_argument("--domains", type=int, nargs="+", default=[10, 1_000, 10_000])
    parser.add_argument("--rss-polls-per-day", type=int, default=4)
    parser.add_argument("--billing-groups", type=int, default=1000)
    parser.add_argument("--no-rss", action="store_true", help="skip the RSS children")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rss-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        print(json.dumps(rss_child(args.rss_child, args.rss_polls_per_day, args.rss_baseline)))
        return 0
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"{'figure':<62} {'value':>16}  {'baseline (same run)':<34} {'target':<10}")
    for n in args.series:
        asyncio.run(
            bench_size(
                n, args.scrape_seconds, baseline_scrape=n == min(args.series) and n <= 100_000
            )
        )
        if not args.no_rss:
            bench_memory(n, args.rss_polls_per_day)
    bench_ingest()
    bench_calls(args.domains)
    asyncio.run(bench_throttles())
    bench_billing(args.billing_groups)
    if FAILED:
        print(f"\n{len(FAILED)} target(s) missed:")
        for line in FAILED:
            print(f"  {line}")
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
