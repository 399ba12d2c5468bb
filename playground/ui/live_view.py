"""The live views: metrics, network diagram, output, curves, gradient flow, activation health.

Drawn by a fragment that reruns on its own every FRAME_SECONDS while training plays; each
run takes one snapshot from the runner (the worker keeps training meanwhile) and draws it.
"""
from __future__ import annotations

import math

import streamlit as st

from playground.live import LiveRunner
from playground.ui.live_board import live_board
from playground.ui.state import ss
from playground.viz import dashboard

FRAME_SECONDS = 0.25
# While playing, the gradient-flow and activation-health row and the hover values of the network
# and output charts are rebuilt on every SLOW_EVERY-th frame (once a second); the metrics, the
# maps, the links and the curves refresh every frame.
SLOW_EVERY = 4


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None else str(value)
    return f"{value:.1%}" if percent else f"{value:.4f}"


def _board_event(event: dict) -> None:
    """Clicks on the network select a neuron; the board's toggles and Close button set state."""
    kind = event.get("kind")
    if kind == "click" and event.get("chart") == "network_chart":
        for point in event.get("points") or []:
            custom = point.get("customdata")
            if custom is not None and len(custom) >= 2:
                ss.selected = (int(custom[0]), int(custom[1]))
                return
    elif kind == "toggle" and event.get("name") in ("show_test", "discretize"):
        ss[event["name"]] = bool(event.get("value"))
    elif kind == "button" and event.get("name") == "close_neuron":
        ss.selected = None


def _metrics(snap, data) -> None:
    h = snap.history
    last = lambda key: (h.get(key) or [None])[-1]  # noqa: E731
    classification = data.task == "classification"
    cols = st.columns(5 if classification else 3)
    cols[0].metric("Epoch", f"{snap.epoch:,}", help=f"{snap.step:,} mini-batch steps")
    cols[1].metric("Train loss", _fmt(last("train_loss")))
    cols[2].metric("Test loss", _fmt(last("test_loss")))
    if classification:
        cols[3].metric("Train accuracy", _fmt(last("train_accuracy"), True))
        cols[4].metric("Test accuracy", _fmt(last("test_accuracy"), True))


def render_live(runner: LiveRunner) -> None:
    """One frame of the 2-D playground's views."""
    selected = ss.get("selected")
    snap, data = runner.frame(detail=selected)
    if snap.diverged:
        st.error(snap.diverged, icon=":material/warning:")
    if runner.status.get("error"):
        st.error(runner.status["error"])
    _metrics(snap, data)
    if selected is not None and snap.detail is None:
        selected = ss.selected = None  # the clicked neuron no longer exists (the network changed)
    ss.frame_count = ss.get("frame_count", 0) + 1
    slow_frame = not runner.playing or ss.frame_count % SLOW_EVERY == 0
    show_test = bool(ss.get("show_test", False))
    discretize = bool(ss.get("discretize", False))
    figures = {
        "network_chart": dashboard.diagram(snap, selected),
        "output_chart": dashboard.output_view(snap, data, show_test, discretize),
        "curves_chart": dashboard.loss_curves(snap.history, "epoch", snap.task),
    }
    left: list = ["network_chart", {"caption": "Click a neuron to enlarge its map. Links: blue positive, "
                                               "orange negative weights; thicker means larger |w|."}]
    if selected is not None:
        enlarged = dashboard.selected_map(snap, data)
        if enlarged is not None:
            figures["neuron_chart"] = enlarged
            left += ["neuron_chart", {"button": {"name": "close_neuron", "label": "Close"}}]
    toggles = {"toggles": [
        {"name": "show_test", "label": "Show test data", "value": show_test},
        {"name": "discretize", "label": "Discretize output", "value": discretize,
         "disabled": data.kind == "curve"}]}
    cached = ss.get("slow_figures")
    if slow_frame or cached is None or cached[0] != id(data):
        bars, heat, flags = dashboard.gradient_views(snap)
        cached = ss.slow_figures = (id(data), bars, heat, flags, dashboard.stats_view(snap))
    _, figures["gradient_bars_chart"], figures["gradient_heatmap_chart"], flags, \
        figures["activation_stats_chart"] = cached
    gradient_row: list = [(1.0, ["gradient_bars_chart"]), (1.4, ["gradient_heatmap_chart"]),
                          (1.0, ["activation_stats_chart"])]
    layout: list = [[(1.55, left), (1.0, ["output_chart", toggles, "curves_chart"])],
                    "Gradient flow and activation health"]
    if flags:
        said = ", ".join(f"{name} ({flag})" for name, flag in flags.items())
        layout.append([(1.0, [{"note": f"Gradient trouble: {said}. Vanished means ‖∂L/∂W‖ is over 1000× below "
                                       f"the largest layer's; exploded means it is above 1000 or not finite."}])])
    layout.append(gradient_row)
    # Between the once-a-second frames, the network and the output keep their traces (hover
    # values) and redraw only their images and links: a full chart recomputation each frame
    # took CPU from training on a 2-core machine.
    # (A 1-D fit is drawn as a trace, not an image: that output chart is never held.)
    hold = () if slow_frame else ("network_chart",) if data.kind == "curve" else ("network_chart", "output_chart")
    live_board("live_board", layout, figures, hold=hold, on_event=_board_event)


def live_fragment() -> None:
    """Draw the views; while playing, as a fragment that refreshes itself."""
    runner: LiveRunner = ss.runner
    playing = runner.playing

    @st.fragment(run_every=FRAME_SECONDS if playing else None)
    def frame() -> None:
        current: LiveRunner = ss.runner
        if playing and not current.playing:
            # Training stopped by itself (divergence, idle): redraw the whole page so the
            # Play button and the URL catch up.
            st.rerun(scope="app")
        if current.data.kind == "image":
            from playground.ui.image_panel import render_image_live

            render_image_live(current)
        else:
            render_live(current)

    frame()
