"""Gradient-flow views: per-layer ‖∂L/∂W‖₂ bars (pre-clip beside clipped), ‖∂L/∂a‖₂ bars,
a layers × time heatmap. The rule that flags vanished / exploded layers lives with the frame
(playground.frame.flag_gradients, torch-free) and is re-exported here.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from playground.frame import flag_gradients  # noqa: F401  (re-exported: the views' rule is the frame's)

from ._common import CB_XPAD, empty_figure, fmt, make_figure
from .colors import BLUE, EXPLODED, VANISHED, mix


def _bar_values(vals: list[float], floor: float, ceil_: float) -> tuple[list[float], list[str]]:
    """Bar lengths and labels: 0 / NaN / inf can't sit on a log axis, so they get labelled stubs."""
    bar_x, labels = [], []
    for v in vals:
        if math.isnan(v):
            bx, lab = floor, "nan"
        elif math.isinf(v):
            bx, lab = ceil_, "inf"
        elif v <= 0:
            bx, lab = floor, "0"
        else:
            bx, lab = v, fmt(v, 2)
        bar_x.append(bx)
        labels.append(lab)
    return bar_x, labels


def _log_bars(names: list[str], series: list[tuple[str, list[float], list[str], list[str]]], axis_title: str,
              title: str, what: str) -> go.Figure:
    """Horizontal log-scale bars, one trace per (name, values, colours, notes) series, input side on top."""
    everything = [float(v) if v is not None else math.nan for _, vals, _, _ in series for v in vals]
    pos = [v for v in everything if math.isfinite(v) and v > 0]
    floor = (min(pos) / 10) if pos else 1e-8
    ceil_ = (max(pos) * 10) if pos else 1.0
    traces = []
    for label, vals, colors, notes in series:
        vals = [float(v) if v is not None else math.nan for v in vals]
        bar_x, texts = _bar_values(vals, floor, ceil_)
        texts = [f"{t} · {n}" if n else t for t, n in zip(texts, notes)]
        hover = [f"<b>{name}</b><br>{what}{' ' + label if label else ''} = {fmt(v, 4)}"
                 + (f"<br>{n}" if n else "") for name, v, n in zip(names, vals, notes)]
        traces.append(dict(
            type="bar", x=bar_x, y=list(names), orientation="h", marker=dict(color=colors),
            text=texts, textposition="auto", insidetextanchor="end", cliponaxis=False,
            textfont=dict(size=11), hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
            name=label or what,
        ))
    lo = math.log10(floor) - 0.3
    hi = math.log10(ceil_ if any(math.isinf(v) for v in everything) else max(pos or [1.0])) + 0.6
    several = len(series) > 1
    layout = dict(
        xaxis=dict(type="log", title=dict(text=axis_title), range=[lo, hi],
                   exponentformat="power", dtick=1),  # one tick per decade, no 2/5 minors
        # Network order top→bottom, like reading the diagram input → output.
        yaxis=dict(autorange="reversed", type="category", automargin=True),
        showlegend=several, bargap=0.25, barmode="group",
    )
    if several:
        layout["legend"] = dict(orientation="h", x=0, y=-0.32, xanchor="left", yanchor="top")
    height = int(min(720, max(220, 26 * len(names) * len(series) + 90 + (24 if several else 0))))
    # Margins reserved for layer names and the axis title (see the margins note in _common.py).
    return make_figure(traces, layout, title=title, height=height,
                       margin=dict(l=62, r=16, t=40, b=71 + (24 if several else 0)))


def gradient_bars(
    names: list[str],
    norms: list[float],
    flags: dict[str, str] | None = None,
    preclip: list[float] | None = None,
) -> go.Figure:
    """Horizontal log-scale bars of per-layer ‖∂L/∂W‖₂, input side at the top.

    With `preclip` (gradient clipping on), each layer gets two bars: before clipping (pale)
    and after (the gradient the optimiser used). Flagged layers are coloured and labelled.
    """
    if not names:
        return empty_figure("No gradients yet.", title="Gradient norms")
    flags = flags or {}
    notes = [flags.get(n, "") for n in names]
    colors = [VANISHED if f == "vanished" else EXPLODED if f == "exploded" else BLUE for f in notes]
    if preclip is None:
        return _log_bars(names, [("", list(norms), colors, notes)], "‖∂L/∂W‖₂ (log)",
                         "Gradient norm per layer", "‖∂L/∂W‖₂")
    return _log_bars(names, [("before clipping", list(preclip), [mix(c, t=0.55) for c in colors], notes),
                             ("after clipping", list(norms), colors, [""] * len(names))],
                     "‖∂L/∂W‖₂ (log)", "Gradient norm per layer (clipping on)", "‖∂L/∂W‖₂")


def activation_gradient_bars(names: list[str], norms: list[float]) -> go.Figure:
    """Horizontal log-scale bars of ‖∂L/∂a‖₂ per hidden layer (on the training data)."""
    if not names:
        return empty_figure("No hidden layers.", title="Gradient w.r.t. activations")
    return _log_bars(names, [("", list(norms), [BLUE] * len(names), [""] * len(names))], "‖∂L/∂a‖₂ (log)",
                     "Gradient w.r.t. each layer's activations", "‖∂L/∂a‖₂")


def gradient_heatmap(
    names: list[str],
    steps: list[int] | np.ndarray,
    norms: np.ndarray,
) -> go.Figure:
    """Layers × steps heatmap of log10 gradient norms (input side at the top)."""
    norms = np.asarray(norms, dtype=float)  # (L, T)
    if norms.size == 0 or norms.ndim != 2:
        return empty_figure("No gradient history yet.", title="Gradient norms over time")
    ok = np.isfinite(norms) & (norms > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(ok, np.log10(np.where(ok, norms, 1.0)), np.nan)  # (L, T); NaN = gap
    steps = list(np.asarray(steps).reshape(-1).tolist())
    if len(steps) != norms.shape[1]:
        # History logged at a different cadence: keep the latest steps, else fall back to indices.
        t = norms.shape[1]
        steps = steps[-t:] if len(steps) > t else list(range(t))
    heat = dict(
        type="heatmap", x=steps, y=list(names), z=z, colorscale="Viridis",
        customdata=norms, hoverongaps=True,
        colorbar=dict(thickness=10, x=1.0, xpad=CB_XPAD,
                      title=dict(text="log₁₀ ‖∂L/∂W‖", side="right")),
        hovertemplate="<b>%{y}</b><br>step %{x}<br>‖∂L/∂W‖₂ %{customdata:.3e}"
                      "<br>log₁₀ %{z:.2f}<extra></extra>",
    )
    layout = dict(xaxis=dict(title=dict(text="step")),
                  yaxis=dict(autorange="reversed", type="category", automargin=True))
    height = int(min(720, max(220, 22 * len(names) + 100)))
    # Margins reserved for layer names, the axis title and the colour bar (see the margins
    # note in _common.py).
    return make_figure([heat], layout, title="Gradient norms over time", height=height,
                       margin=dict(l=62, r=90, t=40, b=68))


def gradient_overlay(norms_by_run: list[dict[str, float]], labels: list[str], colors: list[str]) -> go.Figure:
    """‖∂L/∂W‖₂ per layer at the latest step of several runs on one chart: a bar per run and
    layer (log scale), coloured by run. Layers are matched by name (a deeper run has more)."""
    names: list[str] = []
    for norms in norms_by_run:
        names += [n for n in norms if n not in names]
    if not names:
        return empty_figure("No gradients yet.", title="Gradient norm per layer, every run")
    series = [(label, [norms.get(n, math.nan) for n in names], [color] * len(names),
               ["" if n in norms else "no such layer" for n in names])
              for norms, label, color in zip(norms_by_run, labels, colors)]
    return _log_bars(names, series, "‖∂L/∂W‖₂ (log)", "Gradient norm per layer, every run", "‖∂L/∂W‖₂")
