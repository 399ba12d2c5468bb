"""Output-space views for 2-D toy data: the decision boundary heatmap and 1-D curve fits.

Grid convention (shared with network.py and thumbnails.py): z[i, j] is the value
at y = ys[i], x = xs[j], i.e. row index grows with x2.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._common import finite_abs_max, make_figure
from .colors import BLUE, DARK, DIVERGING, class_colors, mix

Points = tuple[np.ndarray, np.ndarray]  # (X (n, 2), y (n,))

# The background is faded (as in TF Playground) so same-coloured points stand out.
BG_OPACITY = 0.7


def _cell_edges(v: np.ndarray) -> list[float]:
    """Axis range covering whole heatmap cells (centres ± half a step)."""
    v = np.asarray(v, dtype=float)
    half = (v[-1] - v[0]) / (2 * (len(v) - 1)) if len(v) > 1 else 0.5
    return [float(v[0] - half), float(v[-1] + half)]


def _is_classes(y: np.ndarray, n_classes: int) -> bool:
    """True if y looks like integer class labels in [0, n_classes)."""
    y = np.asarray(y, dtype=float)
    return bool(y.size) and bool(np.all(np.isfinite(y))) and bool(
        np.all(y == np.round(y))) and y.min() >= 0 and y.max() < max(n_classes, 2)


def points_trace(
    X: np.ndarray,
    y: np.ndarray,
    kind: str,
    task: str,
    n_classes: int,
    vmax: float = 1.0,
    x_only: bool = False,
    showlegend: bool = True,
) -> dict:
    """Scatter of data points coloured by class / target; kind is 'train' or 'test'.

    x_only: curve-fit layout (x = x1, y = target) with one flat colour, since the
    target is already the y position.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).reshape(-1)
    # train: filled with a white rim (TF Playground); test: dark rim so both read on any bg.
    rim = dict(color="white", width=1.0) if kind == "train" else dict(color=DARK, width=1.6)
    size = 7 if kind == "train" else 8
    if x_only:
        marker = dict(color=BLUE if kind == "train" else "#ffffff", size=size, line=rim)
        return dict(type="scatter",
            x=X[:, 0], y=y.astype(float), mode="markers", name=kind, marker=marker,
            hovertemplate=f"{kind}<br>x1 %{{x:.3f}}<br>y %{{y:.3f}}<extra></extra>",
        )
    if task == "classification" and _is_classes(y, n_classes):
        palette = class_colors(n_classes)
        yi = y.astype(int)
        marker = dict(color=[palette[c] for c in yi], size=size, line=rim)
        hover_val = "class %{customdata}"
        custom = yi
    else:
        yf = y.astype(float)
        if kind == "train":  # near-zero targets are near-white: a grey rim keeps them visible
            rim = dict(color="#9aa0a6", width=0.8)
        marker = dict(color=yf, colorscale=DIVERGING, cmin=-vmax, cmax=vmax,
                      size=size, line=rim, showscale=False)
        hover_val = "target %{customdata:.3f}"
        custom = yf
    return dict(type="scatter",
        x=X[:, 0], y=X[:, 1], mode="markers", name=kind, marker=marker, customdata=custom,
        legendgroup=kind, showlegend=showlegend,
        hovertemplate=f"{kind}<br>x1 %{{x:.3f}}<br>x2 %{{y:.3f}}<br>{hover_val}<extra></extra>",
    )


def _legend_proxy(kind: str) -> dict:
    """Data-less legend entry in a neutral grey: a multi-coloured point trace would
    otherwise show its first point's class colour in the legend."""
    rim = dict(color="white", width=1.0) if kind == "train" else dict(color=DARK, width=1.6)
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=kind, legendgroup=kind,
                      marker=dict(color="#9aa0a6", size=8, line=rim), hoverinfo="skip",
                      meta=dict(kind="legend"))


def _multiclass_heatmap(xs, ys, z, z_conf, n_classes, discretize) -> dict:
    """Class-coloured heatmap whose colour fades toward white as confidence drops.

    One heatmap with a piecewise colourscale: class c occupies [c, c+1) of z, and
    the fractional part encodes confidence (light → saturated).
    """
    k = max(int(n_classes), 2)
    cls = np.clip(np.nan_to_num(np.asarray(z, dtype=float)), 0, k - 1).round().astype(int)
    if z_conf is None or discretize:
        conf = np.ones(cls.shape)
    else:
        # Rescale so chance level (1/k) is white and certainty is full colour.
        conf = (np.asarray(z_conf, dtype=float) - 1.0 / k) / (1.0 - 1.0 / k)
        conf = np.clip(np.nan_to_num(conf, nan=0.0), 0.0, 1.0)
    zz = cls + 0.02 + 0.96 * conf  # (g, g), stays inside [c, c+1)
    palette = class_colors(k)
    scale: list[list] = []
    for c in range(k):
        scale.append([c / k, mix(palette[c], "#ffffff", 0.85)])
        scale.append([(c + 1) / k, palette[c]])
    custom = np.stack([cls, np.asarray(z_conf, float) if z_conf is not None
                       else np.full(cls.shape, np.nan)], axis=-1)  # (g, g, 2)
    return dict(type="heatmap",
        x=xs, y=ys, z=zz, zmin=0, zmax=k, colorscale=scale, showscale=False,
        customdata=custom, name="output", zsmooth=False, opacity=BG_OPACITY,
        hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>class %{customdata[0]}"
                      "<br>confidence %{customdata[1]:.0%}<extra></extra>",
    )


def decision_boundary(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    train: Points,
    test: Points | None,
    task: str,
    n_classes: int,
    discretize: bool = False,
    title: str = "Output",
    z_conf: np.ndarray | None = None,
) -> go.Figure:
    """Network output over the input plane with train/test points on top."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    z = np.asarray(z, dtype=float)  # (g, g): z[i, j] at (xs[j], ys[i])
    traces: list[dict] = []
    vmax = 1.0
    if task == "classification" and n_classes > 2:
        traces.append(_multiclass_heatmap(xs, ys, z, z_conf, n_classes, discretize))
    elif task == "classification":
        zz = (z >= 0.5).astype(float) if discretize else z
        traces.append(dict(
            type="heatmap", x=xs, y=ys, z=zz, zmin=0, zmax=1, colorscale=DIVERGING, name="output",
            # Smooth interpolation looks like TF Playground; a thresholded map must stay crisp.
            zsmooth=False if discretize else "best", opacity=BG_OPACITY,
            showscale=not discretize,
            colorbar=dict(thickness=10, len=0.75, tickvals=[0, 0.5, 1],
                          ticktext=["0", "0.5", "1"], title=dict(text="P(1)", side="right")),
            hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>P(class 1) %{z:.3f}<extra></extra>",
        ))
    else:
        vmax = finite_abs_max(z, train[1], test[1] if test is not None else None)
        vmax = max(vmax, 1.0)  # targets live in about [-1, 1]; don't over-saturate small outputs
        zz = np.where(z >= 0, vmax, -vmax) if discretize else z
        traces.append(dict(
            type="heatmap", x=xs, y=ys, z=zz, zmin=-vmax, zmax=vmax, colorscale=DIVERGING,
            name="output", zsmooth=False if discretize else "best", opacity=BG_OPACITY,
            colorbar=dict(thickness=10, len=0.75, title=dict(text="ŷ", side="right")),
            hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>output %{z:.3f}<extra></extra>",
        ))
    traces.append(points_trace(train[0], train[1], "train", task, n_classes, vmax,
                               showlegend=False))
    traces.append(_legend_proxy("train"))
    if test is not None:
        traces.append(points_trace(test[0], test[1], "test", task, n_classes, vmax,
                                   showlegend=False))
        traces.append(_legend_proxy("test"))
    layout = dict(
        xaxis=dict(title=dict(text="x1"), range=_cell_edges(xs), constrain="domain",
                   showgrid=False, zeroline=False, ticks="outside"),
        yaxis=dict(title=dict(text="x2"), range=_cell_edges(ys), scaleanchor="x", scaleratio=1,
                   constrain="domain", showgrid=False, zeroline=False, ticks="outside"),
        plot_bgcolor="#ffffff",
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom",
                    bgcolor="rgba(0,0,0,0)", itemsizing="constant"),
        hovermode="closest",
    )
    return make_figure(traces, layout, title=title, height=420,
                       margin=dict(l=44, r=8, t=56, b=40))


def curve_fit(
    x: np.ndarray,
    y_pred: np.ndarray,
    train: Points,
    test: Points | None,
    title: str = "Fit",
) -> go.Figure:
    """1-D regression: data y against x1 with the network's prediction curve."""
    x = np.asarray(x, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float).reshape(-1)
    vmax = finite_abs_max(train[1], test[1] if test is not None else None, y_pred)
    traces = [points_trace(train[0], train[1], "train", "regression", 0, vmax, x_only=True)]
    if test is not None:
        traces.append(points_trace(test[0], test[1], "test", "regression", 0, vmax, x_only=True))
    traces.append(dict(
        type="scatter", x=x, y=y_pred, mode="lines", name="network",
        line=dict(color=DARK, width=2.5),
        hovertemplate="x1 %{x:.3f}<br>ŷ %{y:.3f}<extra>network</extra>",
    ))
    layout = dict(
        xaxis=dict(title=dict(text="x1"), zeroline=False,
                   range=[float(x.min()), float(x.max())] if x.size else None),
        yaxis=dict(title=dict(text="y"), zeroline=True, zerolinecolor="#ccc"),
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom",
                    bgcolor="rgba(0,0,0,0)"),
        hovermode="closest",
    )
    return make_figure(traces, layout, title=title, height=360,
                       margin=dict(l=48, r=8, t=56, b=40))
