"""The status page of `cdn-exporter --demo` in Debian's headless Chromium, before and
after faults injected through the emulator's fault API: failing rows first and coloured,
nothing wider than a phone's or a laptop's viewport, no console error. The screenshots
are kept under $CDN_EXPORTER_ARTIFACTS (default tests/artifacts/, git-ignored).

Chromium is driven over the DevTools protocol (a loopback websocket, aiohttp's client):
the page is loaded at each width and measured in the browser itself."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.processes import free_port, stop, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CDN_EXPORTER_ARTIFACTS") or REPO / "tests" / "artifacts")
WAIT = 150.0  # real seconds: the demo's minute endpoints poll once a minute
WIDTHS = (390, 1000, 1280)  # a phone (cards), a tablet (cards side by side), a laptop
# Failing for good: a server error on one Wangsu endpoint, a truncated answer (a long
# error) on one Volcengine endpoint. Throttled once: a throttled poll in a strip.
FAULTS = (
    {
        "kind": "server_error",
        "count": 10_000,
        "endpoint": "edge_hit_ratio",
        "account": "demo-wangsu",
    },
    {
        "kind": "malformed",
        "count": 10_000,
        "endpoint": "pull_to_push",
        "account": "demo-volcengine",
    },
    {"kind": "throttle", "count": 3, "endpoint": "edge_hit_ratio", "account": "demo-cdnetworks"},
)
FAILING = {("demo-wangsu", "edge_hit_ratio"), ("demo-volcengine", "pull_to_push")}
THROTTLED = ("demo-cdnetworks", "edge_hit_ratio")

# Measured in the page: what the test asserts on.
MEASURE = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  wider: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + '.' + e.className).slice(0, 5),
  groups: [...document.querySelectorAll('tbody.account')].map(t =>
    [...t.rows].filter(r => r.querySelector('td')).map(r => [r.className,
      t.querySelector('h2').firstChild.textContent.trim(),
      r.querySelector('b').textContent, getComputedStyle(r).backgroundColor])),
})"""


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def emulator_url(log: Path) -> str | None:
    match = re.search(r"emulator serving on (http://127\.0\.0\.1:\d+)", log.read_text())
    return match.group(1) if match else None


def rows(page: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(account, endpoint): (row class, row HTML) of every endpoint row of the page."""
    found = {}
    for section in page.split('<tbody class="account">')[1:]:
        account = section.split("<h2>", 1)[1].split(" ", 1)[0]
        for row in re.findall(r'<tr class="\w+"><td .*?</tr>', section):
            cls, endpoint = re.findall(r'<tr class="(\w+)">.*?<b>(\w+)</b>', row)[0]
            found[(account, endpoint)] = (cls, row)
    return found


def faults_show(page: str) -> bool | None:
    """The failing endpoints are failing, and only they; the throttled one has
    recovered, its throttled poll in its strip."""
    now = rows(page)
    failing = {key for key, (cls, _) in now.items() if cls == "failing"}
    cls, row = now[THROTTLED]
    return (failing == FAILING and cls == "ok" and "<title>throttled</title>" in row) or None


def devtools_page(port: int) -> str | None:
    """The websocket of chromium's one tab, once its DevTools endpoint answers."""
    targets = json.loads(http_get(f"http://127.0.0.1:{port}/json/list"))
    pages = [t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"]
    return pages[0] if pages else None


class Page:
    """One Chromium tab over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.errors: list[str] = []  # console errors, uncaught exceptions, failed loads
        self.events: list[str] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        await self.ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads((await self.ws.receive(timeout=60)).data)
            if message.get("id") == ident:
                assert "error" not in message, (method, message["error"])
                result: dict[str, Any] = message["result"]
                return result
            self.note(message)

    def note(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method is not None:
            self.events.append(method)
        if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(str(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            self.errors.append(str(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))

    async def load(self, url: str, width: int) -> None:
        self.errors.clear()
        self.events.clear()
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        await self.call("Page.navigate", url=url)
        while "Page.loadEventFired" not in self.events:
            self.note(json.loads((await self.ws.receive(timeout=60)).data))

    async def measure(self) -> dict[str, Any]:
        result = await self.call("Runtime.evaluate", expression=MEASURE, returnByValue=True)
        measured: dict[str, Any] = json.loads(result["result"]["value"])
        return measured

    async def screenshot(self) -> bytes:
        """The whole page, not only the viewport."""
        size = (await self.call("Page.getLayoutMetrics"))["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = await self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        return base64.b64decode(shot["data"])


async def look(devtools: str, url: str) -> tuple[list[list[list[str]]], dict[int, bytes]]:
    """Load the status page at every width: nothing wider than the viewport, no console
    error. Returns the rows' (class, endpoint, background) by account, and a full-page
    screenshot per width."""
    groups: list[list[list[str]]] = []
    shots: dict[int, bytes] = {}
    async with aiohttp.ClientSession() as session, session.ws_connect(devtools) as ws:
        page = Page(ws)
        for domain in ("Page", "Runtime", "Log"):
            await page.call(f"{domain}.enable")
        for width in WIDTHS:
            await page.load(url, width)
            measured = await page.measure()
            # A mobile viewport widens its layout to a page wider than the device.
            assert measured["innerWidth"] == width, f"wider than {width} px: {measured}"
            assert measured["scrollWidth"] <= width, (width, measured["wider"])
            assert measured["wider"] == [], (width, measured["wider"])
            assert page.errors == [], page.errors
            shots[width] = await page.screenshot()
            groups = measured["groups"]
    return groups, shots


def keep(shots: dict[int, bytes], name: str) -> None:
    for width, png in shots.items():
        (ARTIFACTS / f"status-page-{name}-{width}.png").write_bytes(png)


def test_the_status_page_in_chromium_before_and_after_faults() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port, devtools_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "demo.log"
        with log.open("wb") as sink:
            demo = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "collector",
                    "--demo",
                    "--web.listen-address",
                    f"127.0.0.1:{port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        browser = subprocess.Popen(
            [
                "chromium",
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={tmp}/profile",
                "--remote-debugging-address=127.0.0.1",
                f"--remote-debugging-port={devtools_port}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs = {"demo": demo, "chromium": browser}
        try:
            wait_for(
                "the demo to be ready",
                lambda: "Ready" in http_get(url + "-/ready") or None,
                WAIT,
                procs,
            )
            emulator = emulator_url(log)
            assert emulator is not None, log.read_text()
            devtools = wait_for(
                "chromium's DevTools", lambda: devtools_page(devtools_port), WAIT, procs
            )
            before, shots = asyncio.run(look(devtools, url))
            keep(shots, "demo")
            classes = {row[0] for group in before for row in group}
            assert classes <= {"ok", "late"}, classes  # nothing fails in the demo

            for fault in FAULTS:
                request = urllib.request.Request(
                    emulator + "/_emulator/faults", data=json.dumps(fault).encode()
                )
                urllib.request.urlopen(request, timeout=5).close()
            wait_for(
                "the faulty endpoints to show failing, the throttled one recovered",
                lambda: faults_show(http_get(url)),
                WAIT,
                procs,
            )
            after, shots = asyncio.run(look(devtools, url))
            keep(shots, "faults")
        finally:
            stop(browser)
            stop(demo)
        assert b"Traceback" not in log.read_bytes(), log.read_text()
    # The accounts with a failing endpoint come first, each with its failing row first,
    # coloured; the rows of every account are ordered worst first.
    severity = {"failing": 0, "late": 1, "waiting": 2, "ok": 3}
    firsts = [tuple(group[0][:3]) for group in after]
    assert sorted(firsts[:2]) == sorted(("failing", *key) for key in FAILING), firsts
    assert firsts[2][0] != "failing"
    for group in after:
        order = [severity[row[0]] for row in group]
        assert order == sorted(order), group
        for row in group:
            assert (row[3] == "rgb(253, 236, 234)") == (row[0] == "failing"), row
    failing = {(row[1], row[2]) for group in after for row in group if row[0] == "failing"}
    assert failing == FAILING
