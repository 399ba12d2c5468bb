"""Sequences and recurrent networks: which test sequence the views follow, and its live views.

For the chosen sequence: the hidden state of each recurrent layer over time (its tokens as the
time axis), the gates and the LSTM cell state, the gradient through time with the memory
horizon, and the predictions (class probabilities and the test set's mistakes, the forecast,
text samples at a temperature), beside the loss curves and gradient norms, on the live board.
"""
from __future__ import annotations

import streamlit as st

from playground.experiment import Experiment
from playground.ui.state import ss
from playground.viz import loss_curves
from playground.viz import sequence as views
from playground.viz.dashboard import gradient_views, stats_view

VIEWS = {"state": "Hidden state", "gates": "Gates & cell", "gradient": "Gradient through time",
         "health": "Gradients & health"}


def render_sequence_selector(exp: Experiment) -> None:
    """Which test sequence the views show, the view, and the sampling temperature (text): one row,
    outside the live fragment."""
    data = exp.data
    if data.kind != "sequence":
        return
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium", key=exp.key("sequence_selector"))
    row.number_input("Test sequence #", min_value=0, max_value=max(0, len(data.x_test) - 1), step=1,
                     key=exp.key("sequence_index"), width=150, help="Which test sequence the views follow.")
    row.segmented_control("View", list(VIEWS), format_func=VIEWS.get, key=exp.key("sequence_view"),
                          default="state", width="content")
    if data.per_step and data.vocab:
        row.slider("Temperature", min_value=0.1, max_value=2.0, value=0.8, step=0.1, key=exp.key("temperature"),
                   width=180, help="Text samples: low is safe and repetitive, high is varied and wild.")


def _predictions(frame, data, figures: dict) -> list:
    p = frame.payload
    if data.task == "classification" and not data.per_step:
        figures["seq_probabilities_chart"] = views.class_probabilities(p)
        return ["seq_probabilities_chart"] + [{"caption": line} for line in views.mistakes_text(p)]
    if p.forecast is not None:
        figures["seq_forecast_chart"] = views.forecast_plot(p)
        return ["seq_forecast_chart"]
    if p.samples:
        figures["seq_outputs_chart"] = views.step_outputs(p)
        text = "\n\n".join(f"…{s}" for s in p.samples)
        return [{"caption": f"Samples at temperature {p.temperature:g}:"}, {"caption": f"`{text}`"},
                "seq_outputs_chart"]
    target = float(p.target) if not isinstance(p.target, list) else None
    if target is not None:
        return [{"caption": f"This sequence: target {target:.3f}, predicted {float(p.prediction):.3f}."}]
    return []


def render_sequence_live(exp: Experiment) -> None:
    """One frame of the sequence views on the live board."""
    from playground.ui.live_board import live_board
    from playground.ui.live_view import metric_items
    from playground.viz._common import plain_figures, restyled

    runner, data = exp.runner, exp.data
    view = ss.get(exp.key("sequence_view")) or "state"
    frame, _ = runner.frame(index=int(ss.get(exp.key("sequence_index"), 0) or 0),
                            temperature=float(ss.get(exp.key("temperature"), 0.8)))
    header, p = frame.header, frame.payload
    if header.diverged:
        st.error(header.diverged)
    if runner.status.get("error"):
        st.error(runner.status["error"])
    # Plain figures (see playground.viz._common.plain_figures): only serialised, four times a second.
    with plain_figures():
        figures: dict = {}
        items: list = []
        if not p.layers:
            items.append({"caption": "This network has no recurrent layer: add an RNN, LSTM or GRU layer "
                                     "(Add layer, below) to see its hidden state and gates."})
        if view == "state":
            for trace in p.layers:
                figures[f"seq_hidden_{trace.name}_chart"] = views.hidden_state(trace, p.tokens)
        elif view == "gates":
            for trace in p.layers:
                figures[f"seq_gates_{trace.name}_chart"] = views.gates(trace, p.tokens)
                if trace.cell is not None:
                    figures[f"seq_cell_{trace.name}_chart"] = views.cell_state(trace, p.tokens)
        elif view == "gradient":
            figures["seq_gradient_chart"] = views.gradient_through_time(p, height=320)
            items.append({"caption": "‖∂L/∂h_t‖: how much the loss of this sequence depends on the hidden state "
                                     "at step t, through every later step. A plain RNN's falls off steeply "
                                     "(vanishing gradient); gated cells keep it up. Memory horizon: the furthest "
                                     "step back whose gradient is at least 1/1000 of the last step's."})
        else:
            bars, heat, _ = gradient_views(frame)
            figures.update(seq_gradient_bars_chart=bars, seq_gradient_heatmap_chart=heat,
                           seq_stats_chart=stats_view(frame))
        if view != "gradient":  # the gradient through time stays on screen under every view
            figures["seq_gradient_small_chart"] = views.gradient_through_time(p, height=230)
        items += [name for name in figures]
        items = [{"note": w} for w in header.warnings] + items
        side: dict = {}
        side_items = _predictions(frame, data, side)
        side["seq_curves_chart"] = restyled(loss_curves(header.history, "epoch", header.task),
                                             dict(height=170, margin=dict(l=50, r=20, t=30, b=30)), title=True)
        side_items.append("seq_curves_chart")
        figures.update(side)
        layout = [[(1.5, items or [{"caption": "Nothing to show yet."}]), (1.0, side_items)]]
    live_board(exp.key("sequence_board"), layout, figures, metrics=metric_items(header))
