"""Gradient-flow views: per-layer ‖∂L/∂W‖₂ bars, a layers × time heatmap, and the
pure rule that flags vanished / exploded layers.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ._common import CB_XPAD, empty_figure, fmt, make_figure
from .colors import BLUE, EXPLODED, VANISHED


def flag_gradients(
    norms: dict[str, float],
    vanish_ratio: float = 1e-3,
    explode_threshold: float = 1e3,
) -> dict[str, str]:
    """Return {layer: "vanished" | "exploded"} for the layers that are either."""
    vals = {k: float(v) if v is not None else math.nan for k, v in norms.items()}
    # Reference = largest *non-exploded* norm: one blown-up layer must not make
    # every healthy layer look vanished by comparison.
    healthy = [v for v in vals.values() if math.isfinite(v) and v <= explode_threshold]
    largest = max(healthy, default=0.0)
    flags: dict[str, str] = {}
    for name, v in vals.items():
        if not math.isfinite(v) or v > explode_threshold:
            flags[name] = "exploded"
        elif v <= 0 or v < vanish_ratio * largest:
            flags[name] = "vanished"
    return flags


def gradient_bars(
    names: list[str],
    norms: list[float],
    flags: dict[str, str] | None = None,
) -> go.Figure:
    """Horizontal log-scale bars of per-layer gradient norms, input side at the top."""
    if not names:
        return empty_figure("No gradients yet.", title="Gradient norms")
    flags = flags or {}
    vals = [float(v) if v is not None else math.nan for v in norms]
    pos = [v for v in vals if math.isfinite(v) and v > 0]
    # 0 / NaN / inf can't sit on a log axis: draw a stub at the edge and label it.
    floor = (min(pos) / 10) if pos else 1e-8
    ceil_ = (max(pos) * 10) if pos else 1.0
    bar_x, labels, colors, hover = [], [], [], []
    for name, v in zip(names, vals):
        flag = flags.get(name, "")
        if math.isnan(v):
            bx, lab = floor, "nan"
        elif math.isinf(v):
            bx, lab = ceil_, "inf"
        elif v <= 0:
            bx, lab = floor, "0"
        else:
            bx, lab = v, fmt(v, 2)
        if flag:
            lab = f"{lab} · {flag}"
        bar_x.append(bx)
        labels.append(lab)
        colors.append(VANISHED if flag == "vanished" else EXPLODED if flag == "exploded" else BLUE)
        hover.append(f"<b>{name}</b><br>‖∂L/∂W‖₂ = {fmt(v, 4)}"
                     + (f"<br>{flag}" if flag else ""))
    bar = dict(
        type="bar", x=bar_x, y=list(names), orientation="h", marker=dict(color=colors),
        text=labels, textposition="auto", insidetextanchor="end", cliponaxis=False,
        textfont=dict(size=11), hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        name="grad norm",
    )
    lo = math.log10(floor) - 0.3
    hi = math.log10(ceil_ if any(math.isinf(v) for v in vals) else max(pos or [1.0])) + 0.6
    layout = dict(
        xaxis=dict(type="log", title=dict(text="‖∂L/∂W‖₂ (log)"), range=[lo, hi],
                   exponentformat="power", dtick=1),  # one tick per decade, no 2/5 minors
        # Network order top→bottom, like reading the diagram input → output.
        yaxis=dict(autorange="reversed", type="category", automargin=True),
        showlegend=False, bargap=0.25,
    )
    height = int(min(720, max(220, 26 * len(names) + 90)))
    # Margins reserved for layer names and the axis title (see the margins note in _common.py).
    return make_figure([bar], layout, title="Gradient norm per layer", height=height,
                       margin=dict(l=62, r=16, t=40, b=71))


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
