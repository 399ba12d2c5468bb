"""Activation health per layer: dead and saturated fractions plus mean |activation|."""

from __future__ import annotations

import plotly.graph_objects as go

from ._common import empty_figure, make_figure, to_float_list
from .colors import BLUE, EXPLODED

DEAD_COLOR = "#8a8f96"


def activation_stats(
    names: list[str],
    dead: list[float],
    saturated: list[float],
    mean_abs: list[float],
) -> go.Figure:
    """Grouped % bars (dead, saturated) per layer, mean |activation| markers on a right axis."""
    if not names:
        return empty_figure("No activations yet.", title="Activation health")
    names = [str(n) for n in names]
    traces = [
        dict(type="bar", x=names, y=to_float_list(dead), name="dead",
             marker=dict(color=DEAD_COLOR), hovertemplate="%{x}<br>dead %{y:.1%}<extra></extra>"),
        dict(type="bar", x=names, y=to_float_list(saturated), name="saturated",
             marker=dict(color=EXPLODED),
             hovertemplate="%{x}<br>saturated %{y:.1%}<extra></extra>"),
        dict(type="scatter", x=names, y=to_float_list(mean_abs), name="mean |a|", yaxis="y2",
             mode="lines+markers", marker=dict(symbol="diamond", size=9, color=BLUE),
             line=dict(color=BLUE, width=1, dash="dot"),
             hovertemplate="%{x}<br>mean |a| %{y:.3g}<extra></extra>"),
    ]
    layout = dict(
        barmode="group", bargap=0.3,
        xaxis=dict(type="category", title=dict(text="layer"),
                   tickangle=0 if len(names) <= 8 else -45),
        yaxis=dict(title=dict(text="fraction of units"), range=[0, 1.02], tickformat=".0%"),
        yaxis2=dict(title=dict(text="mean |activation|"), overlaying="y", side="right",
                    rangemode="tozero", showgrid=False, zeroline=False,
                    tickmode="auto", nticks=5),  # not synced to the % grid
        hovermode="x unified",
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom",
                    bgcolor="rgba(0,0,0,0)", font=dict(size=11)),
    )
    # Margins reserved for both axes' titles and ticks (see the margins note in _common.py).
    return make_figure(traces, layout, title="Activation health", height=300,
                       margin=dict(l=88, r=74, t=81, b=68))
