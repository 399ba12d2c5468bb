"""The live views: metrics, network diagram, output, curves, gradient flow, activation health.

Drawn by a fragment that reruns on its own every FRAME_SECONDS while training plays; each
run takes one snapshot from the runner (the worker keeps training meanwhile) and draws it.
"""
from __future__ import annotations

import math

import streamlit as st

from playground.live import LiveRunner
from playground.ui.state import ss
from playground.viz import dashboard

FRAME_SECONDS = 0.25
# The gradient-flow and activation-health row is rebuilt on every SLOW_EVERY-th frame while
# playing (once a second). Streamlit remounts a Plotly chart whenever its figure changes, and
# on a 2-core machine those remounts took CPU from the training process; an unchanged figure
# keeps its element. The main views (metrics, network, output, curves) refresh every frame.
SLOW_EVERY = 4


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None else str(value)
    return f"{value:.1%}" if percent else f"{value:.4f}"


def _network_clicked() -> None:
    event = ss.get("network_chart")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for point in points:
        custom = point.get("customdata")
        if custom is not None and len(custom) >= 2:
            ss.selected = (int(custom[0]), int(custom[1]))
            return


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


def chart_config(runner: LiveRunner) -> dict:
    """Plotly config: static while playing, interactive when paused.

    Streamlit remounts a chart whose figure changed, so while training plays every chart is
    rebuilt 4 times a second, and hover, zoom and clicks are lost at each frame anyway. A
    static plot skips building those layers and mounts faster (measured with
    `bench --browser`). When paused, hover values, zoom and neuron clicks work.
    """
    return {"displayModeBar": False, "staticPlot": runner.playing}


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
    left, right = st.columns([1.55, 1], gap="medium")
    with left:
        st.plotly_chart(dashboard.diagram(snap, selected), key="network_chart", on_select=_network_clicked,
                        selection_mode="points", config=chart_config(runner))
        st.caption("Click a neuron to enlarge its map. Links: blue positive, orange negative weights; "
                   "thicker means larger |w|.")
        if selected is not None:
            enlarged = dashboard.selected_map(snap, data)
            if enlarged is not None:
                c1, c2 = st.columns([5, 1])
                c1.plotly_chart(enlarged, key="neuron_chart", config=chart_config(runner))
                c2.button("Close", key="close_neuron", on_click=lambda: ss.update(selected=None))
    with right:
        show_test = st.session_state.get("show_test", False)
        discretize = st.session_state.get("discretize", False)
        st.plotly_chart(dashboard.output_view(snap, data, show_test, discretize), key="output_chart",
                        config=chart_config(runner))
        c1, c2 = st.columns(2)
        c1.checkbox("Show test data", key="show_test")
        c2.checkbox("Discretize output", key="discretize", disabled=data.kind == "curve")
        st.plotly_chart(dashboard.loss_curves(snap.history, "epoch", snap.task), key="curves_chart",
                        config=chart_config(runner))
    st.markdown("##### Gradient flow and activation health")
    ss.frame_count = ss.get("frame_count", 0) + 1
    cached = ss.get("slow_figures")
    if not runner.playing or cached is None or ss.frame_count % SLOW_EVERY == 0 or cached[0] != id(data):
        bars, heat, flags = dashboard.gradient_views(snap)
        cached = ss.slow_figures = (id(data), bars, heat, flags, dashboard.stats_view(snap))
    _, bars, heat, flags, stats = cached
    if flags:
        said = ", ".join(f"{name} ({flag})" for name, flag in flags.items())
        st.warning(f"Gradient trouble: {said}. Vanished means ‖∂L/∂W‖ is over 1000× below the largest layer's; "
                   f"exploded means it is above 1000 or not finite.", icon=":material/warning:")
    c1, c2, c3 = st.columns([1, 1.4, 1])
    c1.plotly_chart(bars, key="gradient_bars_chart", config=chart_config(runner))
    c2.plotly_chart(heat, key="gradient_heatmap_chart", config=chart_config(runner))
    c3.plotly_chart(stats, key="activation_stats_chart", config=chart_config(runner))


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
