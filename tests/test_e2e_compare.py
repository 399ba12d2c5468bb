"""End-to-end: Compare in headless Chromium. Two runs play from one Play in lock-step, each on
its own pool process: the last epoch the overlaid chart draws is the same for both at every
look, the engine (the trainer pool's state files, one per host) says they train, and after
Pause their epoch counts are equal and stand still. Screenshots at 1440×900 and 1280×720 go to
tests/artifacts/."""
from __future__ import annotations

import glob
import json
import os
import time
from urllib.parse import parse_qs

import pytest

from browser import ARTIFACTS, COUNT_SENT, FEED, button, open_page, running_app

pytestmark = pytest.mark.e2e

BOARD = ".st-key-compare_board"
CURVES = f"{BOARD} [data-chart=compare_curves] .js-plotly-plot"
# The runs the overlaid chart draws (its legend entries) and how many epochs each trace holds.
# (gd.__drawn: the traces its lines show, which the board draws between plotly's full redraws.)
CURVE_RUNS = f"""() => {{
    const gd = document.querySelector('{CURVES}');
    if (!gd || !gd.data) return null;
    const runs = {{}};
    for (const t of gd.__drawn || gd.data) runs[t.name] = Math.max(runs[t.name] || 0, (t.x || []).length);
    return runs;
}}"""
# The last epoch each run's curves reach (the overlay keeps every run's last epoch when it thins).
CURVE_LAST = f"""() => {{
    const gd = document.querySelector('{CURVES}');
    if (!gd || !gd.data) return null;
    const last = {{}};
    for (const t of gd.__drawn || gd.data) last[t.name] = Math.max(last[t.name] ?? -1, ...Array.from(t.x || [], Number));
    return last;
}}"""


def _states(state_dir) -> dict[str, dict]:
    """{path: {runner id: state}} of every host's state file."""
    out = {}
    for path in glob.glob(os.path.join(str(state_dir), "pool-*.json")):
        try:
            with open(path) as f:
                out[path] = json.load(f)
        except (OSError, ValueError):
            continue
    return out


def _epochs(state_dir, ids: list[str]) -> list[int] | None:
    """The runs' epoch counts from the state files of the hosts (a compare's runs live on several)."""
    states = {rid: s for file in _states(state_dir).values() for rid, s in file.items()}
    return [states[rid]["epoch"] for rid in ids] if all(rid in states for rid in ids) else None


# Where each chart of the board is: {name: [top, bottom]} in the viewport's pixels.
CHART_BOXES = f"""() => Object.fromEntries([...document.querySelectorAll('{BOARD} [data-chart]')].map(
    c => [c.dataset.chart, [c.getBoundingClientRect().top, c.getBoundingClientRect().bottom]]))"""


def _assert_on_one_screen(page, height: int) -> None:
    """Both runs' networks and outputs and the overlaid curves are on the screen, unscrolled."""
    boxes = page.evaluate(CHART_BOXES)
    wanted = ["run0_network", "run0_output", "run1_network", "run1_output", "compare_curves"]
    assert all(name in boxes for name in wanted), boxes
    assert all(0 <= boxes[name][0] and boxes[name][1] <= height for name in wanted), (height, boxes)


def test_two_runs_play_in_lockstep_and_overlay(browser, tmp_path):
    with running_app(state_dir=tmp_path) as url:
        page = open_page(browser, url, 1440, 900)
        button(page, "compare_add").click()
        page.locator(CURVES).wait_for(timeout=60_000)
        # The variant differs in its learning rate (the toolbar now edits run 2).
        page.mouse.move(700, 880)  # away from the Compare button, whose tooltip would take the click
        page.wait_for_timeout(500)
        from playground.bench import _select

        _select(page, "b_lr", "0.3").click()
        page.wait_for_function("new URLSearchParams(location.search).get('r2.optimizer.lr') === '0.3'",
                               timeout=30_000)
        ids = parse_qs(page.evaluate("location.search")[1:])["run"][0].split(",")
        assert len(ids) == 2
        hosts = [path for path, file in _states(tmp_path).items() if any(rid in file for rid in ids)]
        assert len(hosts) == min(2, int(os.environ.get("PLAYGROUND_POOL_SIZE") or os.cpu_count() or 1)), hosts
        button(page, "play").click()
        seen: list[list[int]] = []   # what the engine says
        drawn: list[dict] = []       # what the overlaid chart draws: each run's last epoch
        deadline = time.monotonic() + 90
        # Until the engine is past epoch 40 and the chart has drawn a few frames: on a quiet machine
        # the runs reach 40 epochs within three frames, and a chart that stopped would show one.
        while ((not seen or seen[-1][0] < 40 or len({tuple(d.values()) for d in drawn}) <= 3)
               and time.monotonic() < deadline):
            epochs = _epochs(tmp_path, ids)
            if epochs is not None:
                seen.append(epochs)
            last = page.evaluate(CURVE_LAST)
            if last and len(last) == 2:
                drawn.append(last)
            time.sleep(0.05)
        assert seen and seen[-1][0] >= 40, f"the runs did not train: {seen[-5:]}"
        assert len({tuple(d.values()) for d in drawn}) > 3, drawn[-5:]  # the chart moved
        assert all(len(set(d.values())) == 1 for d in drawn), [d for d in drawn if len(set(d.values())) > 1][:5]
        page.wait_for_function(f"(({CURVE_RUNS})() || {{}}) && Object.keys(({CURVE_RUNS})() || {{}}).length === 2"
                               f" && Object.values(({CURVE_RUNS})()).every(n => n >= 10)", timeout=30_000)
        names = sorted(page.evaluate(CURVE_RUNS))
        assert names == ["lr 0.03", "lr 0.3"], names
        page.screenshot(path=str(ARTIFACTS / "e2e-compare-1440x900.png"))
        _assert_on_one_screen(page, 900)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "e2e-compare-1280x720.png"))
        _assert_on_one_screen(page, 720)
        # The gradient norms are the side column's second tab: both runs' bars, by run.
        page.locator(f"{BOARD} .pg-tabs button[data-tab=gradients]").click()
        page.wait_for_function(f"""(() => {{ const gd = document.querySelector('{BOARD} [data-chart=compare_gradients] .js-plotly-plot');
            return gd && gd.data && new Set(gd.data.map(t => t.name)).size === 2; }})()""", timeout=30_000)
        button(page, "play").click()  # Pause: both stop
        page.wait_for_function("[...document.querySelectorAll('.st-key-play button')].some(b => b.innerText.includes('Play'))",
                               timeout=30_000)
        time.sleep(1.0)
        first = _epochs(tmp_path, ids)
        time.sleep(1.0)
        assert first == _epochs(tmp_path, ids) and first[0] == first[1]
        # The table under the charts gives each run's epoch as the engine has it.
        shown = page.evaluate(f"""() => {{ const t = document.querySelector('{BOARD} .pg-table table');
            const heads = [...t.querySelectorAll('th')].map(h => h.innerText), k = heads.indexOf('epoch');
            return [...t.querySelectorAll('tbody tr')].map(r => r.children[k].innerText); }}""")
        assert [int(e.replace(",", "")) for e in shown] == first, (shown, first)
        page.close()


def test_a_run_that_diverges_is_said_while_the_other_trains_on(browser, tmp_path):
    """In a compare whose second run diverges, the page says which run diverged, the first run
    trains on, and the board goes on fetching its frames from its feed: an error the page shows
    already does not make each frame stale (which would rerun the page four times a second)."""
    from urllib.parse import urlencode

    from playground.compare import Run, to_query
    from playground.spec import Spec

    diverging = Spec.from_dict({"dataset": {"name": "plane"}, "init": "normal", "optimizer": {"lr": 10},
                                "layers": [{"type": "dense", "units": 8, "activation": "relu"}] * 4})
    query = urlencode(to_query([Run(Spec()), Run(diverging)]))
    with running_app(state_dir=tmp_path) as url:
        page = browser.new_page(viewport={"width": 1440, "height": 900})  # (a compare has no metrics row)
        page.add_init_script(COUNT_SENT)
        page.goto(f"{url}/?{query}")
        page.locator(CURVES).wait_for(timeout=60_000)
        fetched: list[float] = []
        page.on("request", lambda request: fetched.append(time.monotonic()) if FEED in request.url else None)
        ids = parse_qs(page.evaluate("location.search")[1:])["run"][0].split(",")
        button(page, "play").click()
        page.get_by_text("Run 2 (").filter(has_text="diverged").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        epochs, fetches, sent = _epochs(tmp_path, ids), len(fetched), page.evaluate("window.__sent")
        page.wait_for_timeout(2000)  # (Playwright hands over the page's events while it waits)
        later = _epochs(tmp_path, ids)
        assert later[0] > epochs[0], (epochs, later)   # run 1 trains on
        assert later[1] == epochs[1], (epochs, later)  # run 2 stopped where it diverged
        assert len(fetched) - fetches >= 4, f"{len(fetched) - fetches} frames fetched in 2 s"
        assert page.evaluate("window.__sent") - sent <= 1, "the page reran while the error stayed"
        page.close()
