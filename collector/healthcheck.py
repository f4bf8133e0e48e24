"""`python -m collector.healthcheck`: GET /-/healthy of the local exporter, as its flags say."""

from __future__ import annotations

import argparse
import base64
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from collector.accountconfig import parse_listen_address
from collector.cli import DEMO_LISTEN_ADDRESS, exporter_parser
from collector.config.loading import ConfigError, load_config
from collector.webconfig import WebConfig, WebConfigError, load_web_config

# The container's health check runs beside the exporter (PID 1, or its child under an init).
PID_ENV = "CDN_EXPORTER_HEALTHCHECK_PID"
USER_ENV = "CDN_EXPORTER_HEALTHCHECK_USER"
PASSWORD_FILE_ENV = "CDN_EXPORTER_HEALTHCHECK_PASSWORD_FILE"
DEFAULT_USER = "probe"
TIMEOUT_SECONDS = 4.0  # within the Dockerfile's --timeout=5s
_CLIENT_CERT_REQUIRED = ("RequireAnyClientCert", "RequireAndVerifyClientCert")


class HealthcheckError(Exception):
    """Why the exporter counts as unhealthy (or cannot be checked)."""


def exporter_argv(cmdline: bytes) -> list[str] | None:
    """The exporter's flags from a /proc/PID/cmdline: whatever follows `cdn-exporter` (its
    console script, run by python or by an init such as docker-init) or `-m collector`."""
    words = [w.decode(errors="replace") for w in cmdline.split(b"\0") if w]
    for index, word in enumerate(words):
        if Path(word).name == "cdn-exporter":
            return words[index + 1 :]
        if word == "-m" and words[index + 1 : index + 2] == ["collector"]:
            return words[index + 2 :]
    return None


def _flags_of_running_exporter(environ: Mapping[str, str]) -> tuple[list[str], Path]:
    """The running exporter's flags and working directory, read from /proc."""
    pid = environ.get(PID_ENV, "1")
    proc = Path("/proc") / pid
    try:
        argv = exporter_argv((proc / "cmdline").read_bytes())
        cwd = (proc / "cwd").resolve()
    except OSError as exc:
        raise HealthcheckError(f"cannot read the exporter's command line: {exc}") from None
    if argv is None:
        raise HealthcheckError(f"process {pid} is not cdn-exporter (set {PID_ENV})")
    return argv, cwd


def _url(args: argparse.Namespace, tls: bool) -> str:
    """/-/healthy at the address the exporter listens on, a wildcard one as loopback."""
    if args.listen_address:
        address = args.listen_address
    elif args.demo:
        address = DEMO_LISTEN_ADDRESS
    elif args.config is not None:
        try:
            address = load_config(args.config).listen_address
        except ConfigError as exc:
            raise HealthcheckError(f"{args.config}: {'; '.join(exc.problems)}") from None
    else:
        raise HealthcheckError("the exporter has neither --config nor --demo")
    host, port = parse_listen_address(address)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{host}:{port}/-/healthy"


def _request(url: str, web_config: WebConfig | None, environ: Mapping[str, str]) -> int:
    request = urllib.request.Request(url)
    context = None
    if web_config is not None and web_config.tls is not None:
        if web_config.tls.client_auth_type in _CLIENT_CERT_REQUIRED:
            raise HealthcheckError("the web config requires client certificates; none to present")
        # Our own process on loopback: the certificate names the service, not 127.0.0.1, so
        # it is not verified (as the kubelet's HTTPS probes do not verify it).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if web_config is not None and web_config.users:
        user = environ.get(USER_ENV, DEFAULT_USER)
        password_file = environ.get(PASSWORD_FILE_ENV)
        if not password_file:
            raise HealthcheckError(
                f"the web config asks for basic auth: set {PASSWORD_FILE_ENV} "
                f"(the password of {USER_ENV}, default {DEFAULT_USER!r})"
            )
        try:
            password = Path(password_file).read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise HealthcheckError(f"{PASSWORD_FILE_ENV}: {exc}") from None
        token = base64.b64encode(user.encode() + b":" + password).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as answer:
            status: int = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        raise HealthcheckError(f"{url}: {exc}") from None
    return status


def check(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """Check the exporter that runs with the flags `argv` (empty: the running exporter's);
    a line saying it is healthy, or HealthcheckError saying why not."""
    cwd = Path.cwd()
    if not argv:
        argv, cwd = _flags_of_running_exporter(environ)
    try:
        args, _ = exporter_parser().parse_known_args(argv)
    except SystemExit:  # argparse has said why on stderr
        raise HealthcheckError(f"cannot read the exporter's flags {list(argv)}") from None
    if args.config is not None:
        args.config = cwd / args.config
    web_config = None
    if args.web_config_file is not None:
        try:
            web_config = load_web_config(cwd / args.web_config_file)
        except WebConfigError as exc:
            raise HealthcheckError("; ".join(exc.problems)) from None
    url = _url(args, tls=web_config is not None and web_config.tls is not None)
    status = _request(url, web_config, environ)
    if status != 200:
        raise HealthcheckError(f"{url}: HTTP {status}")
    return f"{url}: healthy"


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 when healthy, 1 otherwise (Docker's HEALTHCHECK contract)."""
    try:
        print(check(sys.argv[1:] if argv is None else argv, os.environ))
    except HealthcheckError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
