"""Output-space views for 2-D toy data: the decision boundary map and 1-D curve fits.

Grid convention (shared with network.py and thumbnails.py): z[i, j] is the value
at y = ys[i], x = xs[j], i.e. row index grows with x2.

Maps over the input plane are drawn as one server-rendered image (a layout image in data
coordinates; JPEG for smooth maps, PNG for crisp ones) under the points, not as a smoothed
heatmap trace: plotly.js re-interpolates a zsmooth="best" heatmap pixel by pixel and
PNG-encodes it on the main thread on every draw, which cost more than everything else in
the figure. A coarse, invisible heatmap on top keeps the hover values and carries the
colour bar.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ._common import CB_XPAD, finite_abs_max, make_figure
from .colors import (BLUE, DARK, DIVERGING, class_colors, diverging_rgb, hex_to_rgb, jpeg_data_uri,
                     mix, png_data_uri)

Points = tuple[np.ndarray, np.ndarray]  # (X (n, 2), y (n,))

# The background is faded (as in TF Playground) so same-coloured points stand out.
BG_OPACITY = 0.7
# Pixels per side of a map's background image: about the plot area's size (~270-320 px at
# the figures' heights), so the browser barely rescales it; smooth maps are interpolated in
# value space first, which keeps orange → white → blue transitions free of muddy mixes.
BG_PIXELS = 300
HOVER_CELLS = 25  # about this many cells per side in the invisible hover heatmap


def _resample(z: np.ndarray, smooth: bool, pixels: int = BG_PIXELS) -> np.ndarray:
    """(h, w) grid (row 0 = lowest x2) → image-ordered float32 map (row 0 = top) of
    `pixels` columns: bilinear if smooth, else nearest (crisp cells, as zsmooth=False)."""
    a = np.ascontiguousarray(np.flipud(np.asarray(z, dtype=np.float32)))
    h, w = a.shape
    size = (pixels, max(1, round(pixels * h / w)))
    mode = Image.Resampling.BILINEAR if smooth else Image.Resampling.NEAREST
    return np.asarray(Image.fromarray(a, "F").resize(size, mode))


def plane_image(rgb: np.ndarray, xs: np.ndarray, ys: np.ndarray, smooth: bool = True) -> dict:
    """Layout image of an (h, w, 3) picture (row 0 = top) covering the grid's cells exactly.

    Smooth maps go as JPEG (fast to encode, visually lossless at this quality); crisp,
    blocky ones as PNG, which is exact and small for them.
    """
    x0, x1 = _cell_edges(xs)
    y0, y1 = _cell_edges(ys)
    return dict(source=jpeg_data_uri(rgb) if smooth else png_data_uri(rgb), xref="x", yref="y",
                x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0, xanchor="left", yanchor="top",
                sizing="stretch", layer="below")


def hover_grid(xs: np.ndarray, ys: np.ndarray, *grids: np.ndarray) -> tuple:
    """(xs, ys, *grids) thinned to about HOVER_CELLS per side, for an invisible hover heatmap."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    sx = max(1, -(-len(xs) // HOVER_CELLS))
    sy = max(1, -(-len(ys) // HOVER_CELLS))
    ix, iy = slice(sx // 2, None, sx), slice(sy // 2, None, sy)
    return (xs[ix], ys[iy], *[np.asarray(g)[iy, ix] for g in grids])


def hover_heatmap(xs, ys, z, **kw) -> dict:
    """Invisible coarse heatmap: hover values (and a colour bar, if asked) over a map image."""
    hx, hy, hz = hover_grid(xs, ys, z)
    if "colorbar" in kw:
        # Plotly writes its default y into the colour bar it was given; given here, the next
        # frame's trace matches the drawn one, so the live board can update its hover values alone.
        kw["colorbar"] = {"y": 0.5, **kw["colorbar"]}
    return dict(type="heatmap", x=hx, y=hy, z=hz, opacity=0, zsmooth=False, **kw)


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


def _multiclass_layers(xs, ys, z, z_conf, n_classes, discretize) -> tuple[np.ndarray, dict]:
    """Class-coloured map whose colour fades toward white as confidence drops: the RGB
    background (crisp cells) and an invisible hover heatmap.

    The colours are those of a piecewise colourscale over z in [0, k): class c occupies
    [c, c+1), light → saturated, and the fractional part encodes confidence.
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
    full = np.array([hex_to_rgb(c) for c in palette], float)  # (k, 3)
    light = np.array([hex_to_rgb(mix(c, "#ffffff", 0.85)) for c in palette], float)
    frac = (zz - cls)[..., None]
    rgb = light[cls] + (full[cls] - light[cls]) * frac  # (g, g, 3)
    rgb = np.round(rgb * BG_OPACITY + 255.0 * (1.0 - BG_OPACITY)).astype(np.uint8)
    h, w = cls.shape
    img = Image.fromarray(np.ascontiguousarray(rgb[::-1])).resize(
        (BG_PIXELS, max(1, round(BG_PIXELS * h / w))), Image.Resampling.NEAREST)
    custom = np.stack([cls, np.asarray(z_conf, float) if z_conf is not None
                       else np.full(cls.shape, np.nan)], axis=-1)  # (g, g, 2)
    hx, hy, hz, hc = hover_grid(xs, ys, zz, custom)
    hover = dict(type="heatmap",
        x=hx, y=hy, z=hz, zmin=0, zmax=k, showscale=False, customdata=hc, name="output",
        opacity=0, zsmooth=False,
        hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>class %{customdata[0]}"
                      "<br>confidence %{customdata[1]:.0%}<extra></extra>",
    )
    return np.asarray(img), hover


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
    """Network output over the input plane with train/test points on top.

    The map is a background image (layout.images[0]); the heatmap trace (name "output")
    is an invisible, coarse copy for hover values and the colour bar.
    """
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    z = np.asarray(z, dtype=float)  # (g, g): z[i, j] at (xs[j], ys[i])
    traces: list[dict] = []
    vmax = 1.0
    multiclass = task == "classification" and n_classes > 2
    if multiclass:
        rgb, hover = _multiclass_layers(xs, ys, z, z_conf, n_classes, discretize)
        traces.append(hover)
    elif task == "classification":
        zz = (z >= 0.5).astype(float) if discretize else z
        # Smooth interpolation looks like TF Playground; a thresholded map must stay crisp.
        rgb = diverging_rgb(_resample(zz, smooth=not discretize), 0.0, 1.0, BG_OPACITY)
        traces.append(hover_heatmap(
            xs, ys, zz, zmin=0, zmax=1, colorscale=DIVERGING, name="output",
            showscale=not discretize,
            colorbar=dict(thickness=10, len=0.75, x=1.0, xpad=CB_XPAD, tickvals=[0, 0.5, 1],
                          ticktext=["0", "0.5", "1"], title=dict(text="P(1)", side="right")),
            hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>P(class 1) %{z:.3f}<extra></extra>",
        ))
    else:
        vmax = finite_abs_max(z, train[1], test[1] if test is not None else None)
        vmax = max(vmax, 1.0)  # targets live in about [-1, 1]; don't over-saturate small outputs
        zz = np.where(z >= 0, vmax, -vmax) if discretize else z
        rgb = diverging_rgb(_resample(zz, smooth=not discretize), -vmax, vmax, BG_OPACITY)
        traces.append(hover_heatmap(
            xs, ys, zz, zmin=-vmax, zmax=vmax, colorscale=DIVERGING, name="output",
            colorbar=dict(thickness=10, len=0.75, x=1.0, xpad=CB_XPAD,
                          title=dict(text="ŷ", side="right")),
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
        images=[plane_image(rgb, xs, ys, smooth=not (discretize or multiclass))],
        xaxis=dict(title=dict(text="x1"), range=_cell_edges(xs), constrain="domain",
                   showgrid=False, zeroline=False, ticks="outside"),
        yaxis=dict(title=dict(text="x2"), range=_cell_edges(ys), scaleanchor="x", scaleratio=1,
                   constrain="domain", showgrid=False, zeroline=False, ticks="outside"),
        plot_bgcolor="#ffffff",
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom",
                    bgcolor="rgba(0,0,0,0)", itemsizing="constant"),
        hovermode="closest",
    )
    # Margins reserved for the axes and colour bar (see the margins note in _common.py); l also
    # fits the y labels when a narrow column makes the square plot width-bound.
    has_bar = any(t.get("type") == "heatmap" and t.get("showscale") is not False for t in traces)
    return make_figure(traces, layout, title=title, height=420,
                       margin=dict(l=78, r=82 if has_bar else 8, t=56, b=75))


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
    # Margins reserved for the axes (see the margins note in _common.py).
    return make_figure(traces, layout, title=title, height=360,
                       margin=dict(l=81, r=18, t=56, b=68))
