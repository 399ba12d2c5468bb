"""CNN views: image / feature-map / filter grids, dense-layer strips, attribution
overlays, the confusion matrix and a gallery of misclassified examples.

Grids are one tiled go.Heatmap with NaN gutters (one SVG/canvas layer instead of
64 subplots), titles as annotations, y reversed (image convention: row 0 on top).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ._common import empty_figure, finite_abs_max, fmt, make_figure
from .colors import BLUE, DIVERGING, GRAY, ORANGE, WHITE

_ASSUMED_WIDTH = 600  # px; used to size title gutters and figure height
_TITLE_PX = 15  # px needed by one line of 10-px tile title
_CHAR_PX = 5.8  # rough width of one 10-px character


def _as_stack(images: np.ndarray) -> np.ndarray:
    """(n,H,W) or (n,1,H,W) → (n,H,W); (n,3,H,W) → (n,H,W,3); (H,W) → (1,H,W)."""
    a = np.asarray(images)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    elif a.ndim == 4 and a.shape[1] == 3:
        a = np.moveaxis(a, 1, -1)
    elif a.ndim != 3:
        raise ValueError(f"expected (n,H,W), (n,1,H,W) or (n,3,H,W); got {a.shape}")
    return a


def _grid(
    images: np.ndarray,
    titles: list[str] | None,
    cols: int,
    colorscale,
    zmin: float | None,
    zmax: float | None,
    title: str,
    colorbar_title: str | None = None,
) -> go.Figure:
    """Tile images into one heatmap (or go.Image for RGB) with titled cells."""
    a = _as_stack(images)
    n = a.shape[0]
    if n == 0:
        return empty_figure("Nothing to show.", title=title or None)
    rgb = a.ndim == 4
    H, W = a.shape[1], a.shape[2]
    cols = max(1, min(int(cols), n))
    rows = math.ceil(n / cols)
    gap = max(1, round(0.12 * max(H, W)))
    # Untitled tiles get their index so every tile can be named / referred to.
    titles = [str(t) for t in titles] if titles is not None else [f"#{i}" for i in range(n)]

    # Pixel budget per tile at a typical container width → data units per pixel.
    tile_px = min(140.0, max(28.0, (_ASSUMED_WIDTH - 20) / cols - 4))
    unit_px = tile_px / W
    lines, titles_shown = 1, titles
    # Judge title fit at a narrow (~400 px) container so titles don't collide there.
    if max(len(t) for t in titles) * _CHAR_PX > 380 / cols - 4:
        # Too wide for the tile: break "true 3 → 8 (97%)" before the bracket.
        titles_shown = [t.replace(" (", "<br>(") for t in titles]
        lines = 2 if any("<br>" in t for t in titles_shown) else 1
    # Title gutter (data units) sized for the narrow case too, where a data unit is fewest px.
    narrow_unit_px = max(6.0, 380 / cols - 4) / W
    th = math.ceil(lines * _TITLE_PX / min(unit_px, narrow_unit_px))
    tile_h = th + H
    total_h = rows * tile_h + (rows - 1) * gap
    total_w = cols * W + (cols - 1) * gap

    if rgb:
        big = np.full((total_h, total_w, 3), 255, dtype=np.uint8)  # white gutters
        lo = float(np.nanmin(a)) if zmin is None else zmin
        hi = float(np.nanmax(a)) if zmax is None else zmax
        scaled = np.clip((a - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * 255
        a = np.nan_to_num(scaled).astype(np.uint8)
    else:
        big = np.full((total_h, total_w), np.nan, dtype=np.float32)  # float32 halves the JSON
    hover = np.full((total_h, total_w), "", dtype=object)
    for t in range(n):
        r, c = divmod(t, cols)
        y0 = r * (tile_h + gap) + th
        x0 = c * (W + gap)
        big[y0:y0 + H, x0:x0 + W] = a[t]
        hover[y0:y0 + H, x0:x0 + W] = titles[t]
    if rgb:
        trace = dict(type="image", z=big, hovertext=hover.tolist(),
                     hovertemplate="%{hovertext}<br>rgb %{z}<extra></extra>")
    else:
        trace = dict(
            type="heatmap", z=big, colorscale=colorscale, zmin=zmin, zmax=zmax,
            hoverongaps=False, text=hover.astype(str),
            hovertemplate="%{text}<br>value %{z:.3f}<extra></extra>",
            showscale=colorbar_title is not None,
            colorbar=dict(thickness=10, len=0.9,
                          title=dict(text=colorbar_title or "", side="right")),
        )
    annotations = [dict(
        x=(t % cols) * (W + gap) + (W - 1) / 2, y=(t // cols) * (tile_h + gap) + th - 0.5,
        text=titles_shown[t], showarrow=False, yanchor="bottom",
        font=dict(size=10), xref="x", yref="y",
    ) for t in range(n)]
    layout = dict(
        annotations=annotations,
        xaxis=dict(visible=False, range=[-0.5, total_w - 0.5], constrain="domain"),
        yaxis=dict(visible=False, range=[total_h - 0.5, -0.5], scaleanchor="x",
                   scaleratio=1, constrain="domain"),
        plot_bgcolor="rgba(0,0,0,0)", hovermode="closest",
    )
    has_bar = colorbar_title is not None and not rgb
    plot_w = _ASSUMED_WIDTH - (70 if has_bar else 10)
    height = int(min(1100, max(160, total_h * plot_w / total_w + (40 if title else 12) + 8)))
    return make_figure([trace], layout, title=title or None, height=height,
                       margin=dict(l=4, r=4, t=40 if title else 12, b=8))


def _scale(colorscale: str | list, zmid: float | None, values: np.ndarray):
    """Resolve 'gray' / 'diverging' / plotly names to (colorscale, zmin, zmax)."""
    v = np.asarray(values, dtype=float)
    if colorscale == "diverging":
        mid = 0.0 if zmid is None else float(zmid)
        half = finite_abs_max(v - mid)
        return DIVERGING, mid - half, mid + half
    fin = v[np.isfinite(v)]
    lo, hi = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 1.0)
    if zmid is not None:  # symmetric about zmid for any scale
        half = max(abs(hi - zmid), abs(lo - zmid)) or 1.0
        lo, hi = zmid - half, zmid + half
    return (GRAY if colorscale == "gray" else colorscale), lo, hi


def image_grid(
    images: np.ndarray,
    titles: list[str] | None = None,
    cols: int = 8,
    colorscale: str | list = "gray",
    zmid: float | None = None,
    title: str = "",
) -> go.Figure:
    """Small multiples of (n,H,W) / (n,1,H,W) images (or (n,3,H,W) RGB) in one figure."""
    a = _as_stack(images)
    if a.ndim == 4:  # RGB: shared min-max normalisation, no colour scale
        return _grid(a, titles, cols, None, None, None, title)
    cs, lo, hi = _scale(colorscale, zmid, a)
    return _grid(a, titles, cols, cs, lo, hi, title,
                 colorbar_title=None if colorscale == "gray" else "value")


def feature_maps(maps: np.ndarray, layer_name: str, max_channels: int = 32) -> go.Figure:
    """Grid of one conv layer's channels for one image, one shared Viridis scale."""
    m = np.asarray(maps, dtype=float)  # (C, H, W)
    if m.ndim == 2:
        m = m[None]
    C, H, W = m.shape
    shown = m[:max_channels]
    more = f" · first {len(shown)} shown" if C > len(shown) else ""
    cols = min(8, len(shown))
    _, lo, hi = _scale("Viridis", None, shown)
    return _grid(shown, [f"ch {i}" for i in range(len(shown))], cols, "Viridis", lo, hi,
                 f"{layer_name} · {C}×{H}×{W}{more}", colorbar_title="act.")


def filters(
    weights: np.ndarray, layer_name: str, in_channel: int | None = None
) -> go.Figure:
    """Conv kernels as images on a diverging scale centred at 0 (one tile per output filter)."""
    w = np.asarray(weights, dtype=float)  # (out, in, k, k)
    out_c, in_c = w.shape[0], w.shape[1]
    if in_c == 1:
        k2, which = w[:, 0], ""
    elif in_channel is not None:
        k2, which = w[:, int(in_channel)], f" · input ch {int(in_channel)}"
    else:
        k2, which = w.mean(axis=1), f" · mean over {in_c} inputs"
    cols = min(8, out_c)
    return _grid(k2, [f"f {i}" for i in range(out_c)], cols, *_scale("diverging", 0.0, k2)[:3],
                 f"{layer_name} filters {out_c}×{in_c}×{w.shape[2]}×{w.shape[3]}{which}",
                 colorbar_title="weight")


def dense_activations(
    values: np.ndarray, layer_name: str, labels: list[str] | None = None
) -> go.Figure:
    """Bar strip of a dense layer's activations (probabilities if labels are class names)."""
    v = np.asarray(values, dtype=float).reshape(-1)  # (units,)
    names = [str(s) for s in labels] if labels is not None else [str(i) for i in range(len(v))]
    fin = v[np.isfinite(v)]
    is_prob = (labels is not None and fin.size == v.size and fin.size > 0
               and fin.min() >= 0 and fin.max() <= 1 and abs(fin.sum() - 1) < 1e-3)
    if len(v) > 64:  # too many for bars: 1-row heatmap strip
        half = finite_abs_max(v)
        strip = dict(
            type="heatmap", z=v[None, :], x=names, y=[layer_name], colorscale=DIVERGING,
            zmin=-half, zmax=half,
            colorbar=dict(thickness=10, title=dict(text="act.", side="right")),
            hovertemplate="unit %{x}<br>%{z:.3f}<extra></extra>",
        )
        layout = dict(xaxis=dict(title=dict(text="unit"), showticklabels=False),
                      yaxis=dict(showticklabels=False))
        return make_figure([strip], layout, title=f"{layer_name} · {len(v)} units", height=150,
                           margin=dict(l=8, r=8, t=40, b=30))
    if is_prob:
        best = int(np.argmax(v))
        colors = [BLUE if i == best else "#b8bfc6" for i in range(len(v))]
        text = [f"{p:.0%}" for p in v]
        hover = "class %{x}<br>p = %{y:.3f}<extra></extra>"
    else:
        colors = [BLUE if x >= 0 else ORANGE for x in np.nan_to_num(v)]
        text = None
        hover = "unit %{x}<br>activation %{y:.3f}<extra></extra>"
    bar = dict(
        type="bar", x=names, y=np.nan_to_num(v), marker=dict(color=colors), text=text,
        textposition="outside", cliponaxis=False, hovertemplate=hover, textfont=dict(size=10),
    )
    xaxis = dict(type="category", title=dict(text="class" if is_prob else "unit"),
                 tickangle=0 if len(v) <= 16 else -90,
                 showticklabels=len(v) <= 32 or labels is not None)
    if is_prob:
        yaxis = dict(title=dict(text="probability"), range=[0, 1.12], tickformat=".0%")
    else:
        yaxis = dict(title=dict(text="activation"), zeroline=True, zerolinecolor="#999")
    layout = dict(xaxis=xaxis, yaxis=yaxis, showlegend=False, bargap=0.15)
    return make_figure([bar], layout, title=f"{layer_name} · {len(v)} units", height=240,
                       margin=dict(l=52, r=8, t=40, b=40))


def attribution_overlay(image: np.ndarray, attribution: np.ndarray, title: str) -> go.Figure:
    """Grey image with a signed, semi-transparent attribution heat layer on top."""
    img = np.asarray(image, dtype=float)  # (H, W)
    att = np.asarray(attribution, dtype=float)  # (H, W)
    img = img.reshape(img.shape[-2:]) if img.ndim > 2 else img
    att = att.reshape(att.shape[-2:]) if att.ndim > 2 else att
    half = finite_abs_max(att)
    fin = img[np.isfinite(img)]
    lo, hi = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 1.0)
    # Alpha rises with |attribution|, so unimportant pixels leave the image visible.
    # Hue is fixed per sign and only alpha varies, so weak evidence reads as faint colour.
    overlay_scale = [[0.0, "rgba(245,147,34,0.9)"], [0.5, "rgba(245,147,34,0)"],
                     [0.5, "rgba(8,119,189,0)"], [1.0, "rgba(8,119,189,0.9)"]]
    traces = [
        # Compressed grey range: the overlay's colours must read on "ink" and background alike.
        dict(type="heatmap", z=img, colorscale=[[0.0, "#262626"], [1.0, "#b4b4b4"]],
             zmin=lo, zmax=hi if hi > lo else lo + 1,
             showscale=False, name="image", hoverinfo="skip"),
        dict(type="heatmap", z=att, colorscale=overlay_scale, zmin=-half, zmax=half,
             name="attribution", customdata=img,
             colorbar=dict(thickness=10, title=dict(text="attribution", side="right")),
             hovertemplate="row %{y}, col %{x}<br>pixel %{customdata:.3f}"
                           "<br>attribution %{z:.3g}<extra></extra>"),
    ]
    H, W = img.shape
    layout = dict(
        xaxis=dict(visible=False, range=[-0.5, W - 0.5], constrain="domain"),
        yaxis=dict(visible=False, range=[H - 0.5, -0.5], scaleanchor="x", scaleratio=1,
                   constrain="domain"),
        plot_bgcolor=WHITE, hovermode="closest",
    )
    return make_figure(traces, layout, title=title, height=320,
                       margin=dict(l=4, r=4, t=40, b=8))


def confusion_matrix(cm: np.ndarray, class_names: list[str]) -> go.Figure:
    """Annotated counts heatmap, rows = true class, columns = predicted class."""
    cm = np.asarray(cm)  # (k, k) ints
    k = cm.shape[0]
    names = [str(c) for c in class_names]
    row_sum = cm.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        row_pct = np.where(row_sum > 0, cm / np.where(row_sum > 0, row_sum, 1), 0.0)
    heat = dict(
        type="heatmap", z=cm, x=names, y=names, colorscale="Blues", customdata=row_pct,
        texttemplate="%{z}" if k <= 20 else None, textfont=dict(size=11 if k <= 10 else 9),
        colorbar=dict(thickness=10, title=dict(text="count", side="right")),
        hovertemplate="true %{y}<br>predicted %{x}<br>count %{z}"
                      "<br>%{customdata:.1%} of true %{y}<extra></extra>",
        xgap=1, ygap=1,
    )
    acc = float(np.trace(cm) / cm.sum()) if cm.sum() else float("nan")
    layout = dict(
        xaxis=dict(type="category", title=dict(text="predicted"), side="bottom",
                   tickangle=0 if k <= 12 else -90, constrain="domain"),
        yaxis=dict(type="category", title=dict(text="true"), autorange="reversed",
                   scaleanchor="x", scaleratio=1, constrain="domain"),
        plot_bgcolor="rgba(0,0,0,0)",
    )
    height = int(min(720, max(320, 110 + 34 * k)))
    return make_figure([heat], layout, title=f"Confusion matrix · accuracy {fmt(acc * 100, 3)}%",
                       height=height, margin=dict(l=52, r=8, t=40, b=48))


def misclassified_gallery(
    images: np.ndarray,
    true: list[str],
    pred: list[str],
    confidence: list[float],
) -> go.Figure:
    """Tiles of misclassified images titled 'true 3 → 8 (97%)' (confidence in 0..1)."""
    a = np.asarray(images)
    if a.size == 0 or len(true) == 0:
        return empty_figure("No misclassified examples. 🎉", title="Misclassified")
    titles = [f"true {t} → {p} ({c:.0%})" for t, p, c in zip(true, pred, confidence)]
    cols = min(6, len(titles))
    cs, lo, hi = _scale("gray", None, _as_stack(a))
    return _grid(a, titles, cols, cs, lo, hi, f"Misclassified · {len(titles)} shown")
