"""Compare on the page: add a variant, choose which run the controls edit, remove one, and the
live views of every run side by side.

The session's experiments are the runs (state.ss.experiments); the toolbar, the data column
and the layer cards edit the chosen run (state.experiment()), and Play, Step, +1 batch and
Reset act on every run. The runs share one trainer host, which trains them in lock-step
(playground/pool.py), so at every frame they have trained the same number of epochs.

The views: each run's network and output (smaller), the loss and accuracy of all runs on one
chart by epoch, the gradient norm per layer of all runs on one chart, and a table of the
latest figures whose columns name what differs between the runs.
"""
from __future__ import annotations

import math

import streamlit as st

from playground import compare
from playground.compare import Run
from playground.data import CustomData
from playground.experiment import Experiment
from playground.live import LiveRunner
from playground.ui.live_board import live_board
from playground.ui.state import (RUN_PREFIXES, _mode, claim, flash, new_runners, session_runs, ss,
                                 url_query)
from playground.viz import dashboard, gradient_overlay, overlay_curves, run_colors

RESOLUTION = 60       # output grid of each run (the single view uses 100): four runs' frames stay cheap
SLOW_EVERY = 4        # the hover traces and the gradient chart are rebuilt once a second while playing
RUN_HEIGHT = 250      # px of each run's network and output at two runs a row (1440×900 on one screen)
CHART_HEIGHT = 270    # px of the overlaid curves and the gradient chart
PER_ROW = 2           # runs per row of networks and outputs
COMPARE_HELP = ("Add a variant of this run (up to four): the same data and seeds, so change one thing in it "
                "and see what that one thing does. Play, Step and Reset act on every run.")


# -- the runs ----------------------------------------------------------------------------------
def run_labels(runs: list[Experiment]) -> list[str]:
    """What each run's legend entry says (its own label, else what differs from the others)."""
    return compare.labels([Run(r.spec, r.label) for r in runs])


def _regroup(runs: list[Experiment]) -> None:
    """Put the runs in one lock-step group (the first run's id names it), or none for one run."""
    group = runs[0].runner.id if len(runs) > 1 else None
    for run in runs:
        run.runner.join(group)


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
    runner = LiveRunner(exp.spec, exp.custom, mode=_mode(), near=runs[0].runner)
    variant = Experiment(exp.spec, runner, exp.custom, prefix=prefix)
    runs.append(variant)
    sync_widgets(variant, variant.spec)
    _regroup(runs)
    for run in runs:
        run.runner.reset()
    if playing:
        runs[0].runner.play()  # plays the whole group, the new run too
    ss.active_run = len(runs) - 1
    flash("info", f"Run {len(runs)} is a copy of run {runs.index(exp) + 1} (same data and seeds): change "
                  "what you want to compare in it. Every run restarted from its initial weights.")


def remove_run(index: int) -> None:
    """Close run `index` (the last run cannot go)."""
    runs = session_runs()
    if len(runs) < 2 or not 0 <= index < len(runs):
        return
    removed = runs.pop(index)
    removed.runner.close()
    _regroup(runs)
    ss.active_run = min(ss.get("active_run", 0), len(runs) - 1)
    if len(runs) == 1:
        ss.lab = None


def open_runs(runs: list[Run], lab: str | None = None, custom: CustomData | None = None) -> None:
    """Replace the page's runs by `runs` (a Lab experiment, an uploaded config) with new trainers."""
    from playground.ui.controls import sync_widgets

    runners = new_runners([run.spec for run in runs], custom)
    for old in session_runs():
        old.runner.close()
    ss.experiments = [Experiment(run.spec, runner, custom, prefix=RUN_PREFIXES[i], label=run.label)
                      for i, (run, runner) in enumerate(zip(runs, runners))]
    ss.active_run, ss.lab = 0, lab
    for exp in ss.experiments:
        sync_widgets(exp, exp.spec)
        claim(exp)


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
def _fmt(value, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None else str(value)
    return f"{value:.1%}" if percent else f"{value:.4f}"


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
            table[name] = [_fmt(h.metrics.get(key), percent) for h in headers]
    table["state"] = [h.diverged and "diverged" or ("playing" if r.runner.playing else "paused")
                      for r, h in zip(runs, headers)]
    return table


def render_compare(runs: list[Experiment]) -> None:
    """One frame of a compare: every run's frame, then the board and the table."""
    first = runs[0]
    images = any(r.data.kind == "image" for r in runs)
    request = {"panels": ()} if images else {"resolution": RESOLUTION}
    frames = first.runner.group_frames([r.runner for r in runs], **request)
    headers = [f.header for f in frames]
    labels = run_labels(runs)
    colors = run_colors(len(runs))
    for i, (run, header) in enumerate(zip(runs, headers)):
        trouble = header.diverged or run.runner.status.get("error")
        if trouble:
            st.error(f"Run {i + 1} ({labels[i]}): {trouble}", icon=":material/warning:")
    first.view.frame_count += 1
    drawn = tuple((id(r.data), r.spec.layers, r.spec.features) for r in runs)
    changed, first.view.drawn = drawn != first.view.drawn, drawn
    playing = any(r.runner.playing for r in runs)
    slow = not playing or changed or first.view.frame_count % SLOW_EVERY == 0

    from playground.ui.lab_panel import render_verdict, render_views

    render_verdict(runs, slow)
    figures = {}
    layout: list = []
    if not images:
        cells = []
        for i, (run, frame) in enumerate(zip(runs, frames)):
            figures[f"run{i}_network"] = dashboard.diagram(frame, None, height=RUN_HEIGHT)
            figures[f"run{i}_output"] = dashboard.output_view(frame, run.data, False, False).update_layout(
                height=RUN_HEIGHT, title=None, showlegend=False, margin=dict(l=36, r=70, t=8, b=30),
                xaxis_title_text=None, yaxis_title_text=None)
            m = frame.header.metrics
            score = (f"test acc. {_fmt(m.get('test_accuracy'), True)}" if m.get("test_accuracy") is not None
                     else f"test loss {_fmt(m.get('test_loss'))}")
            cells += [(1.0, [{"caption": f"■ Run {i + 1}: {labels[i]}"}, f"run{i}_network"]),
                      (0.85, [{"caption": f"epoch {frame.header.epoch:,} · {score}"}, f"run{i}_output"])]
        for start in range(0, len(cells), 2 * PER_ROW):
            row = cells[start:start + 2 * PER_ROW]
            # A last row with fewer runs keeps the same column widths (an odd run is not drawn twice as large).
            layout.append(row + [(width, []) for width, _ in cells[len(row):2 * PER_ROW]])
    figures["compare_curves"] = overlay_curves([h.history for h in headers], labels, headers[0].task) \
        .update_layout(height=CHART_HEIGHT)
    cache = ss.get("_compare_gradients")
    if slow or cache is None or cache[0] != drawn:
        chart = gradient_overlay([h.grad_norms for h in headers], labels, colors)
        cache = ss["_compare_gradients"] = (drawn, chart.update_layout(height=max(CHART_HEIGHT, chart.layout.height)))
    figures["compare_gradients"] = cache[1]
    layout.append([(1.15, ["compare_curves"]), (1.0, ["compare_gradients"])])
    hold = () if slow else tuple(name for name in figures if name.endswith(("_network", "_output")))
    live_board("compare_board", layout, figures, hold=hold, query=_query(first))
    st.dataframe(figures_table(runs, headers, labels), hide_index=True, width="stretch")
    render_views(runs, labels, first.view.frame_count)


def _query(exp: Experiment) -> str:
    from urllib.parse import urlencode

    return urlencode(url_query(exp))
