"""Command line: run the exporter, check a config, run the demo or the emulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from collector import __version__, state
from collector.accountconfig import parse_listen_address
from collector.clock import Clock, SystemClock
from collector.config.loading import ConfigError, load_config
from collector.config.runtime import Config
from collector.config.schema import DEFAULT_LISTEN_ADDRESS, environment_overrides
from collector.logs import setup_logging
from collector.sharding import MAX_SHARDS, POD_NAME_ENV, Sharding, resolve_shard
from collector.webconfig import (
    LiveWebConfig,
    WebConfig,
    WebConfigError,
    describe_web_config,
    load_web_config,
)
from collector.webserver import (
    DEFAULT_LIMITS,
    IDLE_TIMEOUT,
    MAX_CONNECTIONS,
    CappedSite,
    ConnectionLimits,
    quiet_bad_requests,
    runner_options,
)

if TYPE_CHECKING:
    from collector.app import Exporter

log = logging.getLogger("collector")

EXIT_CONFIG = 2
DEMO_LISTEN_ADDRESS = "127.0.0.1:10090"

_EPILOG = """\
other commands:
  cdn-exporter emulator [--listen HOST:PORT]
      run the built-in provider API emulator (Wangsu/CDNetworks and Volcengine Live)
      with the demo accounts; see config/demo.yaml for a config that polls it.

signals:
  SIGHUP reloads the --config file (as POST /-/reload does with --web.enable-lifecycle);
  a bad file keeps the running configuration. SIGINT and SIGTERM stop cleanly (exit 0).

sharding (like kube-state-metrics):
  run M replicas with --total-shards M and --shard 0 ... M-1 (or --shard auto in a
  StatefulSet: the ordinal of $POD_NAME, else of the host name, cdn-exporter-2 -> 2).
  Each polls only the accounts on its shard: an account's `shard:` if set, else the
  SHA-256 of its name modulo M. Give --check-config the same --total-shards.

environment (each variable overrides the file's top-level key):
{environment}
  Secrets: each auth secret also takes *_file (a path) and *_env (a variable name).
"""


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `[::1]:PORT` into (host, port), for argparse."""
    try:
        return parse_listen_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _total_shards(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to {MAX_SHARDS}, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 86400, got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def sharding_from_args(shard: str, total: int) -> Sharding:
    """This replica's Sharding from --shard and --total-shards; ValueError with the reason."""
    return Sharding(resolve_shard(shard, os.environ, socket.gethostname()), total)


def exporter_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdn-exporter",
        description="Prometheus exporter for Wangsu/CDNetworks and Volcengine Live reporting APIs.",
        epilog=_EPILOG.format(
            environment="\n".join(f"  {line}" for line in environment_overrides())
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="YAML configuration file")
    parser.add_argument(
        "--web.listen-address",
        dest="listen_address",
        help="address to serve /metrics on (default: the config's, else "
        f"{DEFAULT_LISTEN_ADDRESS}; {DEMO_LISTEN_ADDRESS} with --demo)",
    )
    parser.add_argument(
        "--state.file",
        dest="state_file",
        metavar="PATH",
        help="keep counter totals and how far each endpoint's data is complete in PATH, "
        "so a restart continues the counters and re-reads what it missed "
        "(default: the config's state_file, else none: counters restart at 0)",
    )
    parser.add_argument(
        "--web.enable-lifecycle",
        dest="enable_lifecycle",
        action="store_true",
        help="accept POST /-/reload (reload the config, as SIGHUP does); off by default",
    )
    parser.add_argument(
        "--web.config.file",
        dest="web_config_file",
        type=Path,
        help="exporter-toolkit web config (TLS, client certificates, basic auth); "
        "checked by --check-config too",
    )
    parser.add_argument(
        "--web.idle-timeout",
        dest="idle_timeout",
        type=_seconds,
        default=IDLE_TIMEOUT,
        metavar="SECONDS",
        help="close a connection without a complete request (idle, or its headers or "
        f"TLS handshake unfinished) after this long (default: {IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--web.max-connections",
        dest="max_connections",
        type=_positive,
        default=MAX_CONNECTIONS,
        metavar="N",
        help="open connections at most; more are closed at once, logged once with a count "
        "(default: %(default)s, lowered to leave descriptors free under `ulimit -n`)",
    )
    parser.add_argument(
        "--shard",
        default="0",
        metavar="N|auto",
        help="poll only the accounts on shard N (0 to --total-shards - 1); `auto` takes N "
        f"from a StatefulSet pod name's ordinal (${POD_NAME_ENV}, else the host name: "
        "cdn-exporter-2 is 2) (default: 0)",
    )
    parser.add_argument(
        "--total-shards",
        dest="total_shards",
        type=_total_shards,
        default=1,
        metavar="M",
        help="number of replicas the accounts are split across, by each account's `shard:` "
        "or the SHA-256 of its name (default: 1, every account)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="poll a built-in emulator with demo accounts (no credentials needed)",
    )
    parser.add_argument(
        "--check-config",
        action="store_true",
        help="validate the configuration and exit: 0 if valid, 2 with every problem",
    )
    parser.add_argument(
        "--log.level",
        dest="log_level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level (default: info)",
    )
    parser.add_argument(
        "--log.format",
        dest="log_format",
        default="logfmt",
        choices=["logfmt", "json"],
        help="log format (default: logfmt)",
    )
    parser.add_argument(
        "--list-endpoints",
        action="store_true",
        help="print every endpoint of every provider from the catalog and exit",
    )
    parser.add_argument(
        "--output",
        choices=["table", "json", "markdown"],
        default="table",
        help="format of --list-endpoints (default: table; markdown: the README's tables)",
    )
    parser.add_argument("--version", action="version", version=f"cdn-exporter {__version__}")
    return parser


def list_endpoints(output: str) -> int:
    """Print the catalog, from the declarations, as a table or a JSON array."""
    from collector.providers.listing import endpoint_rows, endpoint_table, markdown_tables

    if output == "json":
        print(orjson.dumps(endpoint_rows(), option=orjson.OPT_INDENT_2).decode())
    elif output == "markdown":
        print(markdown_tables())
    else:
        print(endpoint_table())
    return 0


def emulator_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdn-exporter emulator",
        description="Serve the provider API emulator with the demo accounts.",
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:10091", help="HOST:PORT (default 127.0.0.1:10091)"
    )
    parser.add_argument(
        "--log.level",
        dest="log_level",
        default="info",
        choices=["debug", "info", "warning", "error"],
    )
    return parser


def print_problems(problems: Sequence[str], heading: str = "configuration is invalid:") -> None:
    print(heading, file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


class _Signals:
    """SIGINT and SIGTERM set `stop`; SIGHUP reloads the exporter once it runs."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.exporter: Exporter | None = None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self._on_stop, sig)
        with contextlib.suppress(NotImplementedError, AttributeError):  # no SIGHUP on Windows
            loop.add_signal_handler(signal.SIGHUP, self._on_hangup)

    def _on_stop(self, sig: signal.Signals) -> None:
        if not self.stop.is_set():
            log.info("received %s, shutting down", sig.name)
        self.stop.set()

    def _on_hangup(self) -> None:
        if self.exporter is None or self.stop.is_set():
            log.warning("received SIGHUP while starting or stopping; not reloading")
            return
        log.info("received SIGHUP, reloading the configuration")
        self.exporter.reload_soon()


# Concurrent scrapers share one self-metrics render this many seconds (a hundred
# endpoints' self-metrics take tens of milliseconds to render).
SELF_METRICS_MAX_AGE = 1.0


async def serve(
    settings: Config,
    listen: str,
    clock: Clock,
    demo: bool,
    config_path: Path | None = None,
    enable_lifecycle: bool = False,
    web_config: WebConfig | None = None,
    sharding: Sharding | None = None,
    limits: ConnectionLimits = DEFAULT_LIMITS,
) -> None:
    """Run the exporter (and the in-process emulator in demo mode) until SIGINT or
    SIGTERM, then stop cleanly; SIGHUP reloads `config_path`."""
    from collector.app import Exporter
    from collector.web import build_web_app

    signals = _Signals()  # first: a signal during start-up also ends in a clean stop
    emulator_server = None
    if demo:
        from collector.demo import start_demo_emulator

        emulator_server, demo_config = await start_demo_emulator(clock)
        settings = replace(demo_config, state_file=settings.state_file)
        log.info("demo: emulator serving on %s", emulator_server.base_url)
    sharding = sharding or Sharding()
    # The exporter checks each reloaded config's explicit shards against `sharding`.
    loader = None if config_path is None else functools.partial(load_config, config_path)
    exporter = Exporter(settings, clock, config_loader=loader, sharding=sharding)
    live = LiveWebConfig(web_config) if web_config is not None else None
    app = build_web_app(
        exporter,
        enable_lifecycle=enable_lifecycle,
        web_config=live,
        self_metrics_max_age=SELF_METRICS_MAX_AGE,
    )
    quiet_bad_requests()
    runner = web.AppRunner(app, **runner_options(limits))
    await runner.setup()
    host, port = parse_address(listen)
    try:
        ssl_context = live.ssl_context if live is not None else None
        await CappedSite(runner, host, port, limits=limits, ssl_context=ssl_context).start()
    except OSError as exc:
        await runner.cleanup()
        raise SystemExit(f"cannot listen on {listen}: {exc.strerror}") from None
    log.info("listening on %s (%s)", listen, describe_web_config(web_config))
    exporter.start()
    exporter.watch_loop_lag()
    # What start-up built (modules, config, pollers, self-metrics) lives for the whole
    # run: out of the cyclic collector's way, so its full passes over a big process
    # do not stall the event loop.
    gc.freeze()
    signals.exporter = exporter
    try:
        await signals.stop.wait()
    finally:
        # Jobs and in-flight calls are cancelled (bounded), sessions closed: exit 0.
        await exporter.close()
        await runner.cleanup()
        if emulator_server is not None:
            await emulator_server.close()
        log.info("stopped")


def run_emulator(argv: Sequence[str]) -> int:
    args = emulator_parser().parse_args(argv)
    setup_logging(args.log_level, "logfmt")
    host, port = parse_address(args.listen)
    from collector.demo import serve_demo_emulator

    try:
        # SIGINT before the loop handles it arrives as KeyboardInterrupt: a stop too.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_demo_emulator(host, port))
    except OSError as exc:
        raise SystemExit(f"cannot listen on {args.listen}: {exc.strerror}") from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return run_emulator(argv[1:])
    args = exporter_parser().parse_args(argv)
    if args.list_endpoints:
        return list_endpoints(args.output)
    setup_logging(args.log_level, args.log_format)
    try:
        sharding = sharding_from_args(args.shard, args.total_shards)
    except ValueError as exc:
        print(f"cdn-exporter: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    web_config: WebConfig | None = None
    web_problems: list[str] = []
    if args.web_config_file is not None:
        try:
            web_config = load_web_config(args.web_config_file)
        except WebConfigError as exc:
            web_problems = exc.problems
    web_heading = f"web configuration {args.web_config_file} is invalid:"
    if args.demo:
        from collector.demo import demo_settings

        if args.config is not None:
            print(
                f"cdn-exporter: --demo polls the built-in emulator; {args.config} is ignored",
                file=sys.stderr,
            )
        settings = demo_settings("http://127.0.0.1:0")
        if web_problems:
            print_problems(web_problems, web_heading)
            return EXIT_CONFIG
        if args.check_config:
            print("configuration is valid: the built-in demo (--check-config checks no file)")
            if web_config is not None:
                print(f"web configuration is valid: {describe_web_config(web_config)}")
            return 0
    elif args.config is None:
        print("cdn-exporter: give --config FILE, or --demo to try it out", file=sys.stderr)
        return EXIT_CONFIG
    else:
        try:
            settings = load_config(args.config)
            # An explicit `shard:` that no replica of --total-shards has.
            shard_problems = sharding.problems(settings)
            if shard_problems:
                raise ConfigError(shard_problems)
        except ConfigError as exc:
            print_problems(exc.problems)
            if web_problems:  # both files' problems at once
                print_problems(web_problems, web_heading)
            return EXIT_CONFIG
    if web_problems:
        print_problems(web_problems, web_heading)
        return EXIT_CONFIG
    if args.state_file:
        settings = replace(settings, state_file=args.state_file)
    if args.check_config:
        # The state file must be a regular file (or not exist yet): a device, FIFO or link
        # would be refused at start-up, so the check says so now.
        state_problems = state.check(Path(settings.state_file)) if settings.state_file else []
        if state_problems:
            print_problems(state_problems)
            return EXIT_CONFIG
        print(f"configuration is valid: {len(settings.accounts)} account(s)")
        if sharding.sharded:
            owned = [a.name for a in sharding.select(settings).accounts]
            print(f"{sharding.describe(settings)}: {', '.join(owned) or 'none'}")
        if web_config is not None:
            print(f"web configuration is valid: {describe_web_config(web_config)}")
        return 0
    try:  # The state file: a regular file or none, locked for the whole run (issue 18).
        claimed = state.StateFile.claim(Path(settings.state_file)) if settings.state_file else None
    except state.StateFileRefused as exc:
        print_problems(exc.problems, "cannot start:")
        return EXIT_CONFIG
    # The demo serves on loopback unless told otherwise: it is a try-out, not a service.
    default = DEMO_LISTEN_ADDRESS if args.demo else settings.listen_address
    listen = args.listen_address or default
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                settings,
                listen,
                SystemClock(),
                args.demo,
                config_path=None if args.demo else args.config,
                enable_lifecycle=args.enable_lifecycle,
                web_config=web_config,
                sharding=sharding,
                limits=ConnectionLimits(args.idle_timeout, args.max_connections),
            )
        )
    if claimed is not None:
        claimed.close()
    return 0
