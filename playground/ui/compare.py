"""Compare on the page: add a variant, choose which run the controls edit, remove one, and the
live views of every run side by side.

The session's experiments are the runs (state.ss.experiments); the toolbar, the data column
and the layer cards edit the chosen run (state.experiment()), and Play, Step, +1 batch and
Reset act on every run. The runs train on different pool hosts (where the pool has several) in
lock-step (playground/lockstep.py), so at every frame they have trained the same number of epochs.

The views: each run's network and output (smaller), the loss and accuracy of all runs on one
chart by epoch, the gradient norm per layer of all runs on one chart, and a table of the
latest figures whose columns name what differs between the runs.
"""
from __future__ import annotations


import streamlit as st

from playground import compare
from playground.compare import Run
from playground.data import CustomData
from playground.experiment import Experiment
from playground.live import LiveRunner, lockstep
from playground.lockstep import LanesExhausted
from playground.ui import feed
from playground.ui.live_board import live_board, plotly_js_url
from playground.ui.state import (RUN_PREFIXES, _mode, claim, flash, new_runners, session_runs, ss,
                                 url_query)
from playground.viz import compare as compare_view
from playground.viz import run_colors

RESOLUTION = 60       # output grid of each run (the single view uses 100): four runs' frames stay cheap
SLOW_EVERY = 4        # the hover traces and the gradient chart are rebuilt once a second while playing
# The board's columns (flex ratios): a network and an output per run slot, and the curves (the
# grid's geometry is playground.viz.compare's, which the benchmark times too).
NETWORK_WIDTH, OUTPUT_WIDTH, SIDE_WIDTH = 0.9, 1.0, 1.7
CAPTION_CHARS = 22    # a run's title stays on one line over its ~175 px network
SIDE_TABS = {"curves": "Loss & accuracy", "gradients": "Gradient norms"}
SIDE_CAPTIONS = {"curves": "Every run by epoch: solid train, dashed test; the legend names what differs.",
                 "gradients": "‖∂L/∂W‖₂ per layer at each run's latest step (log scale)."}
COMPARE_HELP = ("Add a variant of this run (up to four): the same data and seeds, so change one thing in it "
                "and see what that one thing does. Play, Step and Reset act on every run.")


# -- the runs ----------------------------------------------------------------------------------
def run_labels(runs: list[Experiment]) -> list[str]:
    """What each run's legend entry says (its own label, else what differs from the others)."""
    return compare.labels([Run(r.spec, r.label) for r in runs])


def add_variant(exp: Experiment) -> None:
    """Compare: a new run that copies exp (same spec, data and seeds); every run restarts from
    its initial weights so that they train side by side from epoch 0."""
    from playground.ui.controls import sync_widgets

    runs = session_runs()
    if len(runs) >= compare.COMPARE_MAX:
        flash("info", f"A compare holds up to {compare.COMPARE_MAX} runs: remove one first.")
        return
    playing = any(r.runner.playing for r in runs)
    prefix = next(p for p in RUN_PREFIXES if p not in {r.prefix for r in runs})
    runner = LiveRunner(exp.spec, exp.custom, mode=_mode(), near=[r.runner for r in runs])
    try:
        lockstep([r.runner for r in runs] + [runner])
    except LanesExhausted as exc:
        runner.close()
        flash("error", f"No variant was added: {exc}")
        return
    variant = Experiment(exp.spec, runner, exp.custom, prefix=prefix)
    runs.append(variant)
    sync_widgets(variant, variant.spec)
    for run in runs:
        run.runner.reset()
    if playing:
        runs[0].runner.play()  # plays every run of the compare, on every host, the new run too
    ss.active_run = len(runs) - 1
    flash("info", f"Run {len(runs)} is a copy of run {runs.index(exp) + 1} (same data and seeds): change "
                  "what you want to compare in it. Every run restarted from its initial weights.")


def remove_run(index: int) -> None:
    """Close run `index` (the last run cannot go)."""
    runs = session_runs()
    if len(runs) < 2 or not 0 <= index < len(runs):
        return
    try:  # the others first: the compare they make without it may be refused, and then nothing changes
        lockstep([run.runner for k, run in enumerate(runs) if k != index])
    except LanesExhausted as exc:
        flash("error", f"Run {index + 1} was not removed: {exc}.")
        return
    runs.pop(index).runner.close()
    ss.active_run = min(ss.get("active_run", 0), len(runs) - 1)
    if len(runs) == 1:
        ss.lab = None


def open_runs(runs: list[Run], lab: str | None = None, custom: CustomData | None = None) -> bool:
    """Replace the page's runs by `runs` (a Lab experiment, an uploaded config) with new trainers;
    False (the page's runs kept, the user told why) if the server cannot train them in lock-step."""
    from playground.ui.controls import sync_widgets

    try:
        runners = new_runners([run.spec for run in runs], custom)
    except LanesExhausted as exc:
        flash("error", f"These runs could not be opened: {exc}.")
        return False
    for old in session_runs():
        old.runner.close()
    ss.experiments = [Experiment(run.spec, runner, custom, prefix=RUN_PREFIXES[i], label=run.label)
                      for i, (run, runner) in enumerate(zip(runs, runners))]
    ss.active_run, ss.lab = 0, lab
    for exp in ss.experiments:
        sync_widgets(exp, exp.spec)
        claim(exp)
    return True


def session_config() -> str:
    """The downloadable config of every run on the page (a plain spec JSON for one run)."""
    runs = session_runs()
    return compare.to_config([Run(r.spec, r.label) for r in runs], ss.get("lab"))


def _pick_run() -> None:
    choice = ss.get("run_picker")
    if choice is not None:
        ss.active_run = int(choice)


def render_compare_bar(exp: Experiment) -> None:
    """Compare (add a variant of the run the controls edit) and the Lab's menu, over the data column
    (the toolbar has no room left for them at 1280 px)."""
    from playground.ui.lab_panel import render_lab_menu

    with st.container(horizontal=True, gap="small", key="compare_bar"):
        st.button("Compare", key="compare_add", on_click=add_variant, args=(exp,),
                  disabled=len(session_runs()) >= compare.COMPARE_MAX, help=COMPARE_HELP, width="content")
        with st.popover("Lab", icon=":material/science:", width="content"):
            render_lab_menu()


def render_run_picker() -> None:
    """Which run the controls edit, and removing one; shown while the page has several runs."""
    runs = session_runs()
    if len(runs) < 2:
        return
    labels = run_labels(runs)
    active = min(ss.get("active_run", 0), len(runs) - 1)
    ss.run_picker = active
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="run_bar"):
        st.segmented_control("Edit run", list(range(len(runs))), key="run_picker", on_change=_pick_run,
                             format_func=lambda i: f"{i + 1} · {labels[i]}", label_visibility="collapsed",
                             help="The controls above and the data column change the run chosen here; "
                                  "Play, Step and Reset act on every run.")
        st.button("Remove run", key="remove_run", on_click=remove_run, args=(active,), icon=":material/close:",
                  help="Close the chosen run.")
        st.caption("Edit the chosen run with the controls; Play trains every run in lock-step.")


# -- the live views ----------------------------------------------------------------------------
def figures_table(runs: list[Experiment], headers: list, labels: list[str]) -> dict[str, list[str]]:
    """The table of each run's latest figures; its first columns are the fields that differ."""
    described = [compare._describe_fields(r.spec) for r in runs]
    keys = compare.differences([r.spec for r in runs])
    table: dict[str, list[str]] = {"run": [f"{i + 1} · {label}" for i, label in enumerate(labels)]}
    for key in keys:
        table[compare.SHORT_NAMES.get(key, key)] = [d.get(key, "—") for d in described]
    table["epoch"] = [f"{h.epoch:,}" for h in headers]
    for name, key, percent in (("train loss", "train_loss", False), ("test loss", "test_loss", False),
                               ("train acc.", "train_accuracy", True), ("test acc.", "test_accuracy", True)):
        if any(h.metrics.get(key) is not None for h in headers):
            table[name] = [compare_view.figure_text(h.metrics.get(key), percent) for h in headers]
    table["state"] = [h.diverged and "diverged" or ("playing" if r.runner.playing else "paused")
                      for r, h in zip(runs, headers)]
    return table


def board_layout(n_runs: int, grid: compare_view.Grid, side: list) -> list:
    """The board: the runs' networks and outputs, and the `side` column (the curves) to their right.
    Stacked: a column per run, its network over its output. Otherwise a grid: a pair of columns
    per run slot, the runs of a slot stacked (every chart of a row has the same height, so the
    rows line up)."""
    if grid.stacked:
        return [[(1.0, [f"run{i}_network", f"run{i}_output"]) for i in range(n_runs)] + [(1.0, side)]]
    per_row = grid.per_row
    columns: list[list] = [[] for _ in range(2 * per_row)]
    for i in range(n_runs):
        columns[2 * (i % per_row)].append(f"run{i}_network")
        columns[2 * (i % per_row) + 1].append(f"run{i}_output")
    row = [(width, items) for column in range(per_row)
           for width, items in ((NETWORK_WIDTH, columns[2 * column]), (OUTPUT_WIDTH, columns[2 * column + 1]))]
    return [row + [(SIDE_WIDTH * per_row / compare_view.PER_ROW, side)]]


def _short(text: str, limit: int = CAPTION_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _tab_event(event: dict) -> None:
    if event.get("kind") == "tab" and event.get("name") in SIDE_TABS:
        ss.compare_tab = event["name"]


def render_compare(runs: list[Experiment]) -> None:
    """One frame of a compare: every run's frame, then the board and the table."""
    first = runs[0]
    images = any(r.data.kind == "image" for r in runs)
    request = {"panels": ()} if images else {"resolution": RESOLUTION}
    from playground.ui.lab_panel import render_verdict, render_views, verdict_measure

    first.view.frame_count += 1
    drawn = tuple((id(r.data), r.spec.layers, r.spec.features) for r in runs)
    changed, first.view.drawn = drawn != first.view.drawn, drawn
    playing = any(r.runner.playing for r in runs)
    slow = not playing or changed or first.view.frame_count % SLOW_EVERY == 0
    # A Lab verdict, when due, is measured in the same command as the frames: it is of the
    # weights the views draw.
    frames, measured = first.runner.group_frames_measured([r.runner for r in runs], verdict_measure(slow),
                                                          **request)
    headers = [f.header for f in frames]
    labels = run_labels(runs)
    for i, (run, header) in enumerate(zip(runs, headers)):
        trouble = header.diverged or run.runner.status.get("error")
        if trouble:
            feed.error(f"Run {i + 1} ({labels[i]}): {trouble}", icon=":material/warning:")
    # The furthest run's epoch: a run that diverged stops while the others train on to the budget.
    render_verdict(runs, slow, measured, max(h.epoch for h in headers))
    grid = compare_view.run_grid(len(runs), room=ss.get("lab") is None)
    figures: dict = {}
    hold: list[str] = []
    colors = run_colors(len(runs))
    # Between their turns the networks and outputs are held (their pictures and links redrawn,
    # their traces not sent); the board's fallback (no static serving) draws every figure whole,
    # so it gets them whole. Once a second a run's turn sends its traces too (their hover values,
    # which the board sets in place), and the runs take turns: when the board drew those charts
    # whole, all of them at once made the frame after it come a tick late, ~450 ms after it
    # (server log of a 4-run compare), which held the refresh under 4 a second.
    static = plotly_js_url() is not None
    if not images:
        for i, (run, frame) in enumerate(zip(runs, frames)):
            turn = (first.view.frame_count - i * SLOW_EVERY // len(runs)) % SLOW_EVERY == 0
            held = static and playing and not changed and not turn
            title = f"<span style='color:{colors[i]}'>■</span> {i + 1} · {_short(labels[i])}"
            figures[f"run{i}_network"], figures[f"run{i}_output"] = compare_view.run_figures(
                frame, run.data, grid, hold=held, title=title)
            if held:
                hold += [f"run{i}_{part}" for part in compare_view.held_parts(frame.header.kind)]
    tab = ss.get("compare_tab", "curves")
    side_height = grid.side_height
    if tab == "gradients":
        # Once a second while playing, like the single view's gradient panel.
        cache = ss.get("_compare_gradients")
        if slow or cache is None or cache[0] != drawn:
            cache = ss["_compare_gradients"] = (drawn, compare_view.gradients_figure(frames, labels, side_height))
        figures["compare_gradients"] = cache[1]
    else:
        figures["compare_curves"] = compare_view.curves_figure(frames, labels, side_height, playing)
    tabs = {"tabs": [{"name": name, "label": label, "active": name == tab} for name, label in SIDE_TABS.items()]}
    side = [tabs, f"compare_{tab}", {"caption": SIDE_CAPTIONS[tab]}]
    layout = board_layout(len(runs), grid, side) if not images else [[(1.0, side)]]
    live_board("compare_board", layout, figures, hold=hold, on_event=_tab_event, query=_query(first),
               table=figures_table(runs, headers, labels),
               extend=["compare_curves"] if static and playing and not changed else [])
    render_views(runs, labels, first.view.frame_count)


def _query(exp: Experiment) -> str:
    from urllib.parse import urlencode

    return urlencode(url_query(exp))
