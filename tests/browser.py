"""Helpers for the end-to-end tests: start the app on a free port, drive it in headless Chromium.

The browser is the system Chromium (browser downloads are impossible on these machines):
PLAYGROUND_CHROMIUM names another binary. Tests skip when none is found, unless
PLAYGROUND_REQUIRE_BROWSER=1 (as CI sets), where that is a failure.

The engine's own state is read from the trainer pool's state files (PLAYGROUND_STATE_DIR, see
playground/pool.py), not from the page: a test of Pause then sees the step count the trainer
is at, not a number that a page may have stopped redrawing.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playground.ui.feed import ROUTE

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
READY = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'


def chromium_path() -> str | None:
    """The Chromium binary to use, or None."""
    configured = os.environ.get("PLAYGROUND_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium to test with; skips the test without one, or fails it where CI requires one."""
    import pytest

    path = chromium_path()
    if path is None:
        if os.environ.get("PLAYGROUND_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium found (install it: apt-get install chromium, or set PLAYGROUND_CHROMIUM)")
        pytest.skip("no Chromium found; set PLAYGROUND_CHROMIUM to run the end-to-end tests")
    return path


def free_port() -> int:
    """An unused TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(timeout: float = 60.0, state_dir: str | Path | None = None, base: str = ""):
    """Start `streamlit run app.py` headless; yield its base URL; stop it afterwards.

    With `state_dir`, the trainer pool writes its state files there (read them with `engine_state`).
    With `base`, the app is served under that path (`server.baseUrlPath`).
    """
    port = free_port()
    prefix = f"/{base.strip('/')}" if base.strip("/") else ""
    env = {**os.environ, "PLAYGROUND_WORKER": "process"}
    if state_dir is not None:
        env["PLAYGROUND_STATE_DIR"] = str(state_dir)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # a clean clone has none yet
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.baseUrlPath", base], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{prefix}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start; see {log.name}")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def open_page(browser, url: str, width: int = 1600, height: int = 2000, init_script: str | None = None):
    """A new page at `url`, waited until Streamlit is connected and the first run is drawn.

    `init_script` runs in the page before any of its own scripts (the benchmark's timers)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    if init_script:
        page.add_init_script(init_script)
    page.goto(url)
    page.wait_for_selector(READY, timeout=60_000)
    page.locator(METRIC_VALUE).first.wait_for(timeout=60_000)
    return page


# Counts the messages the page sends Streamlit (window.__sent): each rerun of the live views,
# by their timer or a click, is one.
COUNT_SENT = """(() => {
    window.__sent = 0;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (...args) { window.__sent++; return send.apply(this, args); };
})()"""
FEED = f"/{ROUTE}/"  # the board's feed (playground/ui/feed.py)


# The live board's metrics row: <div class="pg-metric" data-metric="Epoch">…<div class="pg-metric-value">.
METRIC_VALUE = ".pg-metric-value"


def metric_locator(page, label: str):
    """The value element of the metric labelled `label`."""
    return page.locator(f'.pg-metric[data-metric="{label}"] {METRIC_VALUE}').first


def metric(page, label: str) -> str:
    """The value of the metric whose label is `label`."""
    return metric_locator(page, label).inner_text()


def button(page, key: str):
    """The visible button of the Streamlit widget with key `key` (a button with help text is
    drawn twice, once for narrow screens, so `.st-key-play button` alone matches two)."""
    return page.locator(f".st-key-{key} button").locator("visible=true").first


def run_id(page) -> str:
    """The pool runner id in the page's URL (`run=`)."""
    from urllib.parse import parse_qs, urlparse

    ids = parse_qs(urlparse(page.url).query).get("run")
    if not ids:
        raise AssertionError(f"the page's URL has no run id: {page.url}")
    return ids[0]


def engine_state(state_dir: str | Path, rid: str) -> dict | None:
    """{"step", "epoch", "playing"} of runner `rid` as its pool process last wrote it, or None."""
    for path in glob.glob(os.path.join(str(state_dir), "pool-*.json")):
        try:
            with open(path) as f:
                states = json.load(f)
        except (OSError, ValueError):
            continue  # replaced or removed while being read: the other files still count
        if rid in states:
            return states[rid]
    return None


def wait_engine(state_dir: str | Path, rid: str, condition, timeout: float = 30.0, what: str = "") -> dict:
    """Poll the state files until condition(state) holds for runner `rid`; the state that did."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = engine_state(state_dir, rid)
        if state is not None and condition(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"the engine never reached {what or 'the awaited state'} within {timeout:.0f} s "
                         f"(runner {rid}, last state {state})")


def launched_browser():
    """A headless Chromium for a test module (see the `browser` fixture in conftest.py)."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
