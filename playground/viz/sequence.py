"""Sequence views: a recurrent layer's hidden state, gates and cell state over time (units × time
heatmaps with the sequence's tokens as the time axis), the gradient through time on a log scale
with the memory horizon, and the predictions (class probabilities, forecast, text samples).
Pure functions of a frame's SequenceFrame payload; no torch, no streamlit.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.frame import VANISH_RATIO

from ._common import empty_figure, make_figure, to_float_list
from .colors import BLUE, DARK, DIVERGING, ORANGE, QUALITATIVE, WHITE, class_colors

GATE_SCALE = [[0.0, WHITE], [1.0, BLUE]]  # gates live in [0, 1]: white shut, blue open
GATE_TITLES = {"forget": "forget gate f_t", "input": "input gate i_t", "output": "output gate o_t",
               "reset": "reset gate r_t", "update": "update gate z_t"}
MAX_TICKS = 40


def _time_axis(tokens: list[str]) -> dict:
    """x axis of steps 1..T, labelled with the tokens (thinned to at most MAX_TICKS labels)."""
    T = len(tokens)
    every = max(1, -(-T // MAX_TICKS))
    ticks = list(range(1, T + 1, every))
    return dict(tickmode="array", tickvals=ticks, ticktext=[tokens[t - 1] for t in ticks], tickangle=0,
                title_text="step (token)", showgrid=False)


def _units_heatmap(values: np.ndarray, tokens: list[str], name: str, scale: list, zmin: float, zmax: float,
                   colorbar_title: str) -> dict:
    T, H = values.shape
    return dict(type="heatmap", z=np.asarray(values, float).T.round(4).tolist(), x=list(range(1, T + 1)),
                y=list(range(1, H + 1)), colorscale=scale, zmin=zmin, zmax=zmax, name=name,
                customdata=[tokens] * H, colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=10),
                hovertemplate="step %{x} (%{customdata})<br>unit %{y}<br>%{z:.3f}<extra>" + name + "</extra>")


def hidden_state(trace, tokens: list[str], height: int = 240) -> go.Figure:
    """h_t of one recurrent layer: units × time (tanh range: orange −1, white 0, blue +1)."""
    lo, hi = (-1.0, 1.0) if trace.type != "rnn" or np.abs(trace.hidden).max() <= 1 else \
        (-float(np.abs(trace.hidden).max()), float(np.abs(trace.hidden).max()))
    return make_figure([_units_heatmap(trace.hidden, tokens, "h", DIVERGING, lo, hi, "h")],
                       dict(xaxis=_time_axis(tokens), yaxis=dict(title_text="unit", showgrid=False)),
                       title=f"{trace.name}: hidden state h_t", height=height)


def cell_state(trace, tokens: list[str], height: int = 200) -> go.Figure:
    """c_t of an LSTM layer: units × time, symmetric colour range."""
    if trace.cell is None:
        return empty_figure(f"{trace.name} has no cell state (only LSTM does)", height=height)
    m = float(np.abs(trace.cell).max()) or 1.0
    return make_figure([_units_heatmap(trace.cell, tokens, "c", DIVERGING, -m, m, "c")],
                       dict(xaxis=_time_axis(tokens), yaxis=dict(title_text="unit", showgrid=False)),
                       title=f"{trace.name}: cell state c_t", height=height)


def gates(trace, tokens: list[str], height_per_gate: int = 130) -> go.Figure:
    """Each gate of an LSTM (forget, input, output) or GRU (reset, update) as units × time in [0, 1],
    stacked on one time axis, each titled with its mean over units and steps."""
    names = [g for g in ("forget", "input", "output", "reset", "update") if g in trace.gates]
    if not names:
        return empty_figure(f"{trace.name} is a plain RNN: it has no gates", height=160)
    n, gap = len(names), 0.08
    span = (1 - gap * (n - 1)) / n
    data, layout, annotations = [], {"xaxis": _time_axis(tokens)}, []
    for r, g in enumerate(names):
        axis = "" if r == 0 else str(r + 1)
        heat = _units_heatmap(trace.gates[g], tokens, g, GATE_SCALE, 0.0, 1.0, "gate")
        data.append(heat | dict(xaxis="x", yaxis=f"y{axis}", showscale=r == 0))
        top = 1 - r * (span + gap)
        layout[f"yaxis{axis}"] = dict(domain=[max(0.0, top - span), min(1.0, top)], title_text="unit", showgrid=False)
        annotations.append(dict(xref="paper", yref="paper", x=0, y=top, xanchor="left", yanchor="bottom",
                                showarrow=False, font=dict(size=11),
                                text=f"{GATE_TITLES[g]}: mean {trace.gates[g].mean():.2f}"))
    layout["annotations"] = annotations
    layout["xaxis"]["anchor"] = f"y{n}" if n > 1 else "y"  # the time axis under the lowest gate
    return make_figure(data, layout, title=f"{trace.name}: gates over time", height=height_per_gate * n + 70,
                       margin=dict(t=46))


def gradient_through_time(payload, height: int = 260) -> go.Figure:
    """‖∂L/∂h_t‖ of every recurrent layer and ‖∂L/∂x_t‖ for t = 1…T on a log scale, with the
    memory horizon: the furthest step whose gradient is at least 1e-3 of the last step's."""
    tokens = payload.tokens
    T = len(tokens)
    steps = list(range(1, T + 1))
    data = []
    colours = [BLUE, ORANGE] + QUALITATIVE
    for k, trace in enumerate(payload.layers):
        data.append(dict(type="scatter", x=steps, y=to_float_list(np.where(trace.grad_hidden > 0, trace.grad_hidden,
                                                                           np.nan)),
                         mode="lines+markers", marker=dict(size=4), line=dict(color=colours[k % len(colours)]),
                         name=f"‖∂L/∂h_t‖ {trace.name}",
                         hovertemplate="step %{x}<br>%{y:.3g}<extra>" + trace.name + "</extra>"))
    data.append(dict(type="scatter", x=steps, y=to_float_list(np.where(payload.grad_input > 0, payload.grad_input,
                                                                       np.nan)),
                     mode="lines", line=dict(color=DARK, dash="dot"), name="‖∂L/∂x_t‖",
                     hovertemplate="step %{x}<br>%{y:.3g}<extra>input</extra>"))
    shapes, annotations = [], []
    if payload.horizon:
        start = T - payload.horizon + 1
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=start - 0.5, x1=T + 0.5, y0=0, y1=1,
                           fillcolor="rgba(8,119,189,0.08)", line=dict(width=0), layer="below"))
        annotations.append(dict(xref="x", yref="paper", x=start - 0.5, y=1.0, xanchor="left", yanchor="bottom",
                                showarrow=False, font=dict(size=11),
                                text=f"memory horizon: {payload.horizon} of {T} steps"))
    layout = dict(xaxis=_time_axis(tokens), yaxis=dict(type="log", title_text="gradient norm", exponentformat="power"),
                  shapes=shapes, annotations=annotations,
                  legend=dict(orientation="h", y=-0.35, x=0, font=dict(size=11)))
    return make_figure(data, layout, title=f"Gradient through time (horizon: ≥ {VANISH_RATIO:g} × the last step's)",
                       height=height, margin=dict(b=70))


def class_probabilities(payload, height: int = 200) -> go.Figure:
    """The selected sequence's class probabilities, the true class outlined."""
    names = payload.class_names
    probs = np.asarray(payload.prediction, float)
    truth = int(payload.target) if np.ndim(payload.target) == 0 else None
    colours = class_colors(len(names))
    data = [dict(type="bar", x=list(names), y=to_float_list(probs), marker=dict(
        color=colours, line=dict(color=[DARK if i == truth else "rgba(0,0,0,0)" for i in range(len(names))],
                                 width=3)), hovertemplate="%{x}: %{y:.1%}<extra></extra>")]
    predicted = int(probs.argmax())
    verdict = "right" if predicted == truth else "wrong"
    title = f"prediction {names[predicted]} ({probs[predicted]:.0%}), true {names[truth]}: {verdict}" \
        if truth is not None else "class probabilities"
    return make_figure(data, dict(yaxis=dict(range=[0, 1], tickformat=".0%"), showlegend=False), title=title,
                       height=height)


def mistakes_text(payload, shown: int = 4) -> list[str]:
    """The most confident mistakes on the test set as lines of text (the board's plotly.js bundle
    has no table trace): "#12 Axyz…? true A, predicted B (91 %)"."""
    if not payload.mistakes:
        return ["No test sequence is misclassified."]
    names = payload.class_names
    return ["Most confident mistakes (test set):"] + [
        f"#{r['index']} {r['text'][:28] or ''}{'…' if len(r['text']) > 28 else ''} true {names[r['label']]}, "
        f"predicted {names[r['predicted']]} ({r['confidence']:.0%})" for r in payload.mistakes[:shown]]


def forecast_plot(payload, height: int = 240) -> go.Figure:
    """The window's true series, the one-step predictions, and the free-running forecast."""
    f = payload.forecast
    if f is None:
        return empty_figure("No forecast for this task", height=height)
    truth, one, free = f["truth"], f["one_step"], f["free_run"]
    start = int(f["start"])
    data = [dict(type="scatter", x=list(range(1, len(truth) + 1)), y=to_float_list(truth), mode="lines",
                 line=dict(color=DARK), name="truth"),
            dict(type="scatter", x=list(range(2, len(one) + 2)), y=to_float_list(one), mode="lines",
                 line=dict(color=BLUE), name="one step ahead"),
            dict(type="scatter", x=list(range(start + 1, start + 1 + len(free))), y=to_float_list(free),
                 mode="lines", line=dict(color=ORANGE, dash="dash"), name=f"free-running from step {start}")]
    return make_figure(data, dict(xaxis=dict(title_text="step"), legend=dict(orientation="h", y=-0.3, x=0)),
                       title="Forecast", height=height, margin=dict(b=60))


def step_outputs(payload, height: int = 200) -> go.Figure:
    """For a prediction at every step: the probability of each next token (rows) over time."""
    p = np.asarray(payload.prediction, float)
    if p.ndim != 2:
        return empty_figure("One output per sequence", height=height)
    names = payload.class_names
    data = [dict(type="heatmap", z=p.T.round(3).tolist(), x=list(range(1, len(p) + 1)),
                 y=[repr(c)[1:-1] for c in names], colorscale=GATE_SCALE, zmin=0, zmax=1,
                 colorbar=dict(thickness=10), hovertemplate="step %{x}<br>next %{y}: %{z:.2f}<extra></extra>")]
    return make_figure(data, dict(xaxis=_time_axis(payload.tokens), yaxis=dict(showgrid=False, dtick=1,
                                                                              tickfont=dict(size=8))),
                       title="Output at each step: P(next token)", height=height)
