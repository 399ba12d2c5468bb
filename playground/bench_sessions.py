"""`python -m playground bench --sessions N`: many tabs playing on one server, in headless Chromium.

Starts the real app on loopback (tests/browser.py's `running_app`, through bench.browser_session),
opens one tab to start its pool processes (timed apart: the first visit is cold), and opens tabs
that press Play, up to N (at most MAX_TABS) or until TIME_LIMIT seconds have passed. At each
checkpoint (1, 2, 5, 10, 20, 30 tabs) the tabs since the last one open together, untimed, and
play; then one new tab opens alone and it measures
  * how long that tab took to draw its first chart (budget LOAD_BUDGET_MS),
  * clicks in that tab (+ neuron, - neuron) while the others play: ms to the changed chart drawn
    (budget: every one within CLICK_BUDGET_MS),
  * each playing session's training over WINDOW seconds, from the pool's state files:
    epochs/s per session, and fairness = slowest / fastest; how many tabs wait in the queue,
  * the server's memory: the Streamlit process plus its pool processes (RSS).
If the playing tabs fall short of N (time, or a tab that did not load), they pause and the rest
open paused, for the memory of N open tabs. Then it closes every tab and reads the memory again, at once and after the trainers' idle
timeout (the app runs with PLAYGROUND_IDLE_SECONDS=IDLE_SECONDS here, to keep the run short).

The browser runs on the same machine: its drawing competes with the server for the CPU, so the
times are pessimistic for a class whose browsers run on their own machines.
"""
from __future__ import annotations

import glob
import json
import os
import re
import time
from contextlib import contextmanager

from playground.bench import _INSTRUMENT, _chromium, _click_timings, browser_session
from playground.pool import rss_mb

MAX_TABS = 30
CHECKPOINTS = (1, 2, 5, 10, 20, 30)
TIME_LIMIT = 300.0       # seconds of opening tabs before the benchmark stops adding more
LOAD_TIMEOUT = 60.0      # seconds the timed new tab may take to draw before it counts as not loaded
BULK_TIMEOUT = 240.0     # seconds for the tabs opened together between two checkpoints to load
WINDOW = 4.0             # seconds of training read from the state files at each checkpoint
LOAD_BUDGET_MS = 5000.0  # a new tab's first chart
CLICK_BUDGET_MS = 1000.0  # every click answered
IDLE_SECONDS = 20        # the app's idle timeout in this run (default 60): closed tabs' trainers go sooner
VIEWPORT = (1280, 720)
FIRST_CHART = "Math.min(...Object.values(window.__pg.firstChart))"


@contextmanager
def _environment(**values: str):
    """Set environment variables for the app this process starts; restore them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def read_states(state_dir: str) -> dict[str, dict]:
    """Every host's state file merged: {runner id: {"step", "epoch", "playing", "queued"}}."""
    merged: dict[str, dict] = {}
    for path in glob.glob(os.path.join(state_dir, "pool-*.json")):
        try:
            with open(path) as f:
                merged.update(json.load(f))
        except (OSError, ValueError):
            continue  # replaced while being read
    return merged


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("PPid:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return None


def server_memory(state_dir: str) -> dict:
    """{"server_mb", "pool_mb", "total_mb"}: the Streamlit server and its pool processes (RSS).

    The pool processes are found by their state files (pool-<pid>.json), the server as their parent.
    """
    pids = sorted({int(m.group(1)) for path in glob.glob(os.path.join(state_dir, "pool-*.json"))
                   if (m := re.search(r"pool-(\d+)\.json$", path))})
    parents = {_parent(pid) for pid in pids} - {None}
    server = rss_mb(parents.pop()) if len(parents) == 1 else 0.0
    pool = sum(rss_mb(pid) for pid in pids)
    return {"server_mb": round(server), "pool_mb": round(pool), "total_mb": round(server + pool),
            "pool_processes": len(pids)}


def training_shares(state_dir: str, seconds: float) -> dict:
    """Epochs/s of each session that trained throughout `seconds`, fairness, and the queue."""
    before, t0 = read_states(state_dir), time.monotonic()
    time.sleep(seconds)
    return shares(before, read_states(state_dir), time.monotonic() - t0)


def shares(before: dict[str, dict], after: dict[str, dict], seconds: float) -> dict:
    """From two readings of the state files `seconds` apart: sessions training in both, their
    epochs/s (min, max, mean), fairness = min / max, and how many wait in the queue."""
    rates = {rid: (after[rid]["epoch"] - s["epoch"]) / seconds for rid, s in before.items()
             if s.get("playing") and after.get(rid, {}).get("playing")}
    queued = sum(1 for s in after.values() if s.get("queued"))
    if not rates:
        return {"training": 0, "queued": queued, "epochs_per_s": {}, "fairness": None}
    low, high = min(rates.values()), max(rates.values())
    return {"training": len(rates), "queued": queued,
            "min_epochs_per_s": round(low, 1), "max_epochs_per_s": round(high, 1),
            "mean_epochs_per_s": round(sum(rates.values()) / len(rates), 1),
            "fairness": round(low / high, 2) if high > 0 else None}


def _play(page, state_dir: str) -> str:
    """Press Play in a tab; wait until its trainer plays or waits in the queue. Its runner id."""
    helpers, _ = _chromium()
    rid = helpers.run_id(page)
    helpers.button(page, "play").click()
    helpers.wait_engine(state_dir, rid, lambda s: s["playing"] or s.get("queued"), 60, "playing or queued")
    return rid


def _open_tabs(browser, url: str, count: int, timeout: float) -> list[tuple[object, float]]:
    """Open `count` tabs at once: [(page, ms to its first chart)] of those drawn within `timeout`.

    A tab that did not draw in time is closed and left out (a miss, not a crash)."""
    pages = []
    for _ in range(count):
        page = browser.new_page(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
        page.add_init_script(_INSTRUMENT)  # bench.py's timers: firstChart, clicks
        page.goto(url, wait_until="commit", timeout=timeout * 1000)  # do not wait: the tabs load together
        pages.append(page)
    deadline = time.monotonic() + timeout
    loaded = []
    for page in pages:
        try:
            left = max(1.0, deadline - time.monotonic())
            page.wait_for_function("'output_chart' in window.__pg.firstChart", timeout=left * 1000)
            loaded.append((page, page.evaluate(FIRST_CHART)))
        except Exception:  # noqa: BLE001 - not drawn in time: counted as missing
            page.close()
    return loaded


def _open_playing(browser, url: str, state_dir: str, count: int) -> list:
    """Open `count` tabs together and press Play in each; the pages that loaded and played."""
    playing = []
    for page, _ in _open_tabs(browser, url, count, BULK_TIMEOUT):
        try:
            _play(page, state_dir)
            playing.append(page)
        except Exception:  # noqa: BLE001 - a Play not taken within a minute: the tab is left out
            page.close()
    return playing


def _pause(page) -> None:
    """Press Pause in a playing (or queued) tab; a tab that does not answer is left as it is."""
    helpers, _ = _chromium()
    try:
        if "Pause" in helpers.button(page, "play").inner_text(timeout=10_000):
            helpers.button(page, "play").click(timeout=10_000)
    except Exception:  # noqa: BLE001 - the memory figure is what is wanted here
        pass


def _play_and_see_queue(page, state_dir: str) -> dict:
    """Press Play in the timed tab; if its trainer is queued, whether the page says so (30 s)."""
    helpers, _ = _chromium()
    try:
        rid = _play(page, state_dir)
    except Exception:  # noqa: BLE001 - noted; the tab stays open
        return {"play_missed": True}
    if not (helpers.engine_state(state_dir, rid) or {}).get("queued"):
        return {}
    try:
        page.locator(".st-key-queued").first.wait_for(timeout=30_000)  # a loaded server reruns slowly
        return {"queue_message_seen": True}
    except Exception:  # noqa: BLE001 - a result: the message did not appear
        return {"queue_message_seen": False}


def _checkpoint(page, state_dir: str, n: int, load_ms: float | None) -> dict:
    """The new tab's load and click figures, against the budgets."""
    row = {"tabs": n, "load_ms": None if load_ms is None else round(load_ms), "click_max_ms": None,
           "clicks": 0, "clicks_missed": 0, "ok": False}
    if page is None:
        return row  # it did not load within LOAD_TIMEOUT
    try:
        clicks = _click_timings(page, reps=2, only=("+ neuron", "- neuron"))
    except Exception:  # noqa: BLE001 - the page never became idle to click in: counted as missed
        clicks = {"+ neuron": [None, None], "- neuron": [None, None]}
    samples = [v for values in clicks.values() for v in values]
    got = [v for v in samples if v is not None]
    row.update(click_max_ms=round(max(got)) if got else None, clicks=len(samples),
               clicks_missed=len(samples) - len(got))
    row["ok"] = (load_ms <= LOAD_BUDGET_MS and row["clicks_missed"] == 0
                 and row["click_max_ms"] is not None and row["click_max_ms"] <= CLICK_BUDGET_MS)
    return row


def run_sessions_bench(n: int, as_json: bool = False, time_limit: float = TIME_LIMIT) -> int:
    """Open up to `n` playing tabs (at most MAX_TABS); print the table (or JSON). Exit status."""
    n = max(1, min(n, MAX_TABS))
    checkpoints = sorted({c for c in CHECKPOINTS if c <= n} | {n})
    rows: list[dict] = []
    memory: dict[str, dict] = {}
    with _environment(PLAYGROUND_IDLE_SECONDS=str(IDLE_SECONDS)), browser_session() as (browser, url, state_dir):
        # The server's first visit starts its pool processes (torch imports): timed apart, then closed.
        first = _open_tabs(browser, url, 1, BULK_TIMEOUT)
        cold_ms = first[0][1] if first else None
        for page, _ in first:
            page.close()
        pages = []
        start = time.monotonic()
        while len(pages) < n and time.monotonic() - start < time_limit:
            target = min(c for c in checkpoints if c > len(pages))
            # The tabs between two checkpoints open together and play (untimed); then the
            # checkpoint's new tab opens alone and is timed while all of them play.
            pages += _open_playing(browser, url, state_dir, target - len(pages) - 1)
            probe = _open_tabs(browser, url, 1, LOAD_TIMEOUT)
            page, load_ms = probe[0] if probe else (None, None)
            row = _checkpoint(page, state_dir, len(pages) + 1, load_ms)
            if page is not None:
                pages.append(page)
                row.update(_play_and_see_queue(page, state_dir))
            row.update(training_shares(state_dir, WINDOW), **server_memory(state_dir))
            rows.append(row)
            memory[f"{len(pages)} tabs"] = server_memory(state_dir)
            if page is None:
                break  # a new tab did not even load within LOAD_TIMEOUT: the server is full
        playing_tabs = len(pages)
        if len(pages) < n:
            # Memory with n open tabs, where the playing ones could not all be opened in time:
            # the tabs so far pause (so the new ones can load), and the rest open paused.
            for page in pages:
                _pause(page)
            pages += [page for page, _ in _open_tabs(browser, url, n - len(pages), BULK_TIMEOUT)]
            memory[f"{len(pages)} tabs open, paused"] = server_memory(state_dir)
        opened = len(pages)
        for page in pages:
            page.close()
        time.sleep(5)
        memory["all tabs closed, 5 s later"] = server_memory(state_dir)
        time.sleep(IDLE_SECONDS + 10)
        memory[f"all tabs closed, {IDLE_SECONDS + 15} s later"] = server_memory(state_dir)
        memory[f"all tabs closed, {IDLE_SECONDS + 15} s later"]["trainers_left"] = len(read_states(state_dir))
    passing = [r["tabs"] for r in rows if r["ok"]]
    largest = 0
    for r in rows:  # the largest count up to which every checkpoint met both budgets
        if not r["ok"]:
            break
        largest = r["tabs"]
    result = {"tabs_opened": opened, "tabs_played": playing_tabs, "first_visit_load_ms": None if cold_ms is None else round(cold_ms),
              "checkpoints": rows, "memory": memory,
              "largest_tabs_within_budgets": largest, "checkpoints_within_budgets": passing,
              "budgets": {"load_ms": LOAD_BUDGET_MS, "click_ms": CLICK_BUDGET_MS}}
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{opened} tabs opened on one server ({os.cpu_count()} CPUs; the browser shares them), {playing_tabs} "
          f"of them pressing Play;"
          f" budgets: new tab's first chart <= {LOAD_BUDGET_MS / 1000:g} s, every click <= {CLICK_BUDGET_MS:.0f} ms")
    print(f"the server's first visit (pool processes starting, not counted): first chart in "
          f"{'more than ' + str(BULK_TIMEOUT) + ' s' if cold_ms is None else f'{cold_ms:.0f} ms'}")
    print(f"{'tabs':>5} {'load ms':>8} {'click max':>10} {'training':>9} {'queued':>7} {'ep/s min':>9} "
          f"{'ep/s max':>9} {'fairness':>9} {'server MB':>10} {'pool MB':>8} {'total MB':>9}  verdict")
    num = (lambda v: "-" if v is None else f"{v}")
    for r in rows:
        print(f"{r['tabs']:>5} {num(r['load_ms']):>8} {num(r['click_max_ms']):>10} {r['training']:>9} {r['queued']:>7} "
              f"{num(r.get('min_epochs_per_s')):>9} {num(r.get('max_epochs_per_s')):>9} {num(r['fairness']):>9} "
              f"{r['server_mb']:>10} {r['pool_mb']:>8} {r['total_mb']:>9}  "
              f"{'ok' if r['ok'] else 'MISS' + (' (click not seen)' if r['clicks_missed'] else '')}"
              + ("" if "queue_message_seen" not in r else
                 f"; queued, message {'shown' if r['queue_message_seen'] else 'NOT shown'}"))
    for label, m in memory.items():
        if label.startswith("all") or label.endswith("paused"):
            print(f"memory, {label}: server {m['server_mb']} MB + pool {m['pool_mb']} MB = {m['total_mb']} MB"
                  + (f"; trainers left {m['trainers_left']}" if "trainers_left" in m else ""))
    print(f"largest number of tabs with a new tab loading within budget and every click answered: {largest}")
    return 0
