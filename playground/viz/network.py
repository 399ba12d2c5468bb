"""The TensorFlow-Playground-style network diagram (columns of neurons, weighted links,
per-neuron activation thumbnails) and the enlarged single-neuron map.

Coordinates: x is the column index; y is measured in *pixels of the plot area*
(the figure height is fixed here), so node sizes and thumbnails line up with
marker sizes exactly, whatever the container width.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go

from ._common import finite_abs_max, fmt, make_figure
from .boundary import _cell_edges, _is_classes, points_trace
from .colors import BLUE, DARK, DIVERGING, ORANGE, png_data_uri
from .thumbnails import map_rgb

N_BINS = 6  # link width buckets per sign → at most 12 link traces
_BASE_WIDTHS = [0.6, 1.1, 1.7, 2.4, 3.2, 4.2]  # px, thinnest → thickest bucket
_BASE_OPACITY = [0.30, 0.40, 0.50, 0.62, 0.74, 0.86]
_ASSUMED_WIDTH = 520  # px; only used to keep nodes from colliding horizontally
_FRAME = np.array([176, 180, 184], np.uint8)  # thumbnail border grey


def _column_title(layer: dict, n: int, compact: int) -> str:
    """Column heading; compact 0 = one line, 1 = two lines, 2 = three short lines."""
    name = str(layer.get("name", ""))
    act = str(layer.get("activation") or "")
    m = re.fullmatch(r"hidden\s*(\d+)", name.lower())
    if m:
        head = f"H{m.group(1)}" if compact >= 2 else f"Hidden {m.group(1)}"
    elif name.lower() in ("input", "output"):
        head = name.capitalize() if compact < 2 else {"input": "In", "output": "Out"}[name.lower()]
    else:
        head = name
    if name.lower() == "input":
        act = ""
    if compact == 0:
        return f"<b>{head}</b> · {n} {act}".rstrip()
    if compact == 1:
        return f"<b>{head}</b><br>{n} {act}".rstrip()
    # Very narrow columns (~25 px at 350 px width): one short token per line.
    return f"<b>{head}</b><br>{n}<br>{act}"


def _framed(rgb: np.ndarray) -> np.ndarray:
    """Pad an (h, w, 3) image with a 1-px grey frame → (h+2, w+2, 3)."""
    out = np.empty((rgb.shape[0] + 2, rgb.shape[1] + 2, 3), np.uint8)
    out[:] = _FRAME
    out[1:-1, 1:-1] = rgb
    return out


def _map_stats(z: np.ndarray | None) -> str:
    """Hover line with mean/min/max of a neuron map."""
    if z is None:
        return ""
    a = np.asarray(z, dtype=float)
    a = a[np.isfinite(a)]
    if not a.size:
        return "<br>map: no finite values"
    return (f"<br>mean {fmt(float(a.mean()))} · min {fmt(float(a.min()))}"
            f" · max {fmt(float(a.max()))}")


def network_diagram(
    layers: list[dict],
    weights: list[np.ndarray | None],
    maps: list[list[np.ndarray]] | None = None,
    selected: tuple[int, int] | None = None,
    vmax: float | None = None,
) -> go.Figure:
    """Left→right network diagram: weighted links, neuron squares / map thumbnails.

    Traces carry meta={"kind": "link" | "nodes" | "selected"}; link traces hold
    [start, end, NaN] triples per weight. Node customdata is [layer_index, node_index].
    Map colour range (symmetric about 0): `vmax` if given; otherwise the input
    column uses each feature's own max |v| (features have different units, e.g.
    x1 vs x1²), and every other column shares one max |v| per column so that
    strong and near-dead neurons in a layer can be told apart.
    """
    counts = [len(layer.get("labels", [])) for layer in layers]
    n_cols = len(layers)
    max_nodes = max(counts) if counts else 1
    height = int(min(900, max(360, 28 * max_nodes)))
    compact = 0 if n_cols <= 2 else (1 if n_cols <= 6 else 2)
    show_input_labels = bool(counts) and counts[0] <= 16
    margin = dict(l=48 if show_input_labels else 8, r=8, t=(34, 46, 58)[compact], b=8)
    plot_h = height - margin["t"] - margin["b"]  # y data units == pixels

    # Node geometry per column: pitch (px between centres) and square size (px).
    x_cap = min(40.0, 0.55 * _ASSUMED_WIDTH / max(n_cols, 1))
    pitch = [min(plot_h / max(n, 1), 64.0) for n in counts]
    size = [max(5.0, min(0.72 * p, x_cap)) for p in pitch]
    ypos = [[plot_h / 2 + ((n - 1) / 2 - k) * pitch[i] for k in range(n)]
            for i, n in enumerate(counts)]

    traces: list[dict] = []

    # ---- links: bucket by sign × |w| so a dense net is ≤ 12 SVG paths, not thousands.
    finite_w = [np.asarray(w, float) for w in weights if w is not None]
    wmax = finite_abs_max(*finite_w, default=1.0)
    n_links_max = max([w.size for w in finite_w] or [1])
    # Thin and fade links for dense pairs, otherwise 64×64 links become a solid block.
    density = 1.0 if n_links_max <= 64 else (0.6 if n_links_max <= 512 else 0.35)
    segs: dict[tuple[int, int], tuple[list, list]] = {
        (s, b): ([], []) for s in (1, -1) for b in range(N_BINS)}
    for i, w in enumerate(weights):
        if w is None or i + 1 >= n_cols:
            continue
        w = np.asarray(w, dtype=float)
        if w.shape != (counts[i + 1], counts[i]):
            raise ValueError(f"weights[{i}] has shape {w.shape}, expected "
                             f"{(counts[i + 1], counts[i])}")
        dst, src = np.nonzero(np.isfinite(w))  # NaN weights are not drawn
        v = w[dst, src]
        sign = np.where(v >= 0, 1, -1)
        bins = np.minimum(N_BINS - 1, (np.abs(v) / wmax * N_BINS).astype(int))
        y_src = np.asarray(ypos[i])[src]
        y_dst = np.asarray(ypos[i + 1])[dst]
        for key in set(zip(sign.tolist(), bins.tolist())):
            m = (sign == key[0]) & (bins == key[1])
            cnt = int(m.sum())
            # (cnt, 3) rows of [start, end, gap]: the NaN gap breaks the path between links.
            # NumPy float arrays with NaN (not lists with None) keep plotly.py validation
            # fast: a 12-column, 64-wide net has ~10k links.
            xs_ = np.full((cnt, 3), np.nan)
            xs_[:, 0], xs_[:, 1] = i, i + 1
            ys_ = np.full((cnt, 3), np.nan)
            ys_[:, 0], ys_[:, 1] = y_src[m], y_dst[m]
            segs[key][0].append(xs_.ravel())
            segs[key][1].append(ys_.ravel())
    for (sign, b), (xs_, ys_) in segs.items():
        if not xs_:
            continue
        traces.append(dict(
            type="scatter", x=np.concatenate(xs_), y=np.concatenate(ys_), mode="lines",
            connectgaps=False, hoverinfo="skip", showlegend=False,
            name=f"w{'+' if sign > 0 else '−'} bin {b}",
            line=dict(color=BLUE if sign > 0 else ORANGE, width=_BASE_WIDTHS[b] * density),
            opacity=_BASE_OPACITY[b] * (0.35 + 0.65 * density),
            meta=dict(kind="link", sign=sign, bin=b),
        ))

    # ---- nodes: one marker trace so a click's customdata names (layer, node).
    nx, ny, nsize, custom, hover, text = [], [], [], [], [], []
    titles = [_column_title(layer, counts[i], 0).replace("<b>", "").replace("</b>", "")
              for i, layer in enumerate(layers)]  # full names for hover
    for i, layer in enumerate(layers):
        labels = list(layer.get("labels", []))
        act = layer.get("activation") or "—"
        col_maps = maps[i] if maps is not None and i < len(maps) and maps[i] is not None else None
        for k, label in enumerate(labels):
            z = col_maps[k] if col_maps is not None and k < len(col_maps) else None
            nx.append(i)
            ny.append(ypos[i][k])
            nsize.append(size[i])
            custom.append([i, k])
            hover.append(f"<b>{titles[i]}</b><br>neuron {label}<br>activation: {act}"
                         + _map_stats(z))
            text.append(str(label) if (i == 0 and show_input_labels) else "")
    has_maps = maps is not None
    traces.append(dict(
        type="scatter", x=nx, y=ny, mode="markers+text", name="neurons", showlegend=False,
        text=text, textposition="middle left", textfont=dict(size=11, color=DARK),
        cliponaxis=False, customdata=custom, hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        marker=dict(
            # opacity=1: an array `size` would otherwise get plotly's bubble default of 0.7.
            symbol="square", size=nsize, opacity=1,
            # With thumbnails the image is the node; keep the marker only for hover/click.
            color="rgba(0,0,0,0)" if has_maps else "#f7f8f9",
            line=dict(color="rgba(0,0,0,0)" if has_maps else "#9aa0a6", width=1),
        ),
        meta=dict(kind="nodes"),
    ))

    # ---- selection ring: larger than the node so it shows around a thumbnail too.
    if selected is not None:
        si, sk = int(selected[0]), int(selected[1])
        if 0 <= si < n_cols and 0 <= sk < counts[si]:
            traces.append(dict(
                type="scatter", x=[si], y=[ypos[si][sk]], mode="markers", name="selected",
                showlegend=False, hoverinfo="skip",
                marker=dict(symbol="square-open", size=size[si] + 8,
                            line=dict(color=DARK, width=2.5), color=DARK),
                meta=dict(kind="selected"),
            ))

    # ---- thumbnails as layout images (raster PNGs: cheap, and no WebGL needed).
    images: list[dict] = []
    if maps is not None:
        for i, col_maps in enumerate(maps[:n_cols]):
            if col_maps is None:
                continue
            col_v = vmax if vmax else (None if i == 0 else finite_abs_max(*col_maps))
            for k, z in enumerate(list(col_maps)[:counts[i]]):
                if z is None:
                    continue
                uri = png_data_uri(_framed(map_rgb(z, col_v)))
                images.append(dict(
                    source=uri, xref="x", yref="y", x=i, y=ypos[i][k],
                    sizex=0.8, sizey=size[i], xanchor="center", yanchor="middle",
                    # "contain" keeps thumbnails square even when columns are narrow.
                    sizing="contain", layer="above",
                ))
    annotations = [dict(
        x=i, y=1.0, xref="x", yref="paper", yanchor="bottom", showarrow=False,
        text=_column_title(layer, counts[i], compact), align="center",
        font=dict(size=12 if compact == 0 else 10, color=DARK),
    ) for i, layer in enumerate(layers)]
    layout = dict(
        images=images, annotations=annotations,
        xaxis=dict(visible=False, range=[-0.5, n_cols - 0.5], fixedrange=True),
        yaxis=dict(visible=False, range=[0, plot_h], fixedrange=True),
        dragmode=False, hovermode="closest", showlegend=False, plot_bgcolor="rgba(0,0,0,0)",
    )
    return make_figure(traces, layout, height=height, margin=margin)


def neuron_map(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    title: str,
    train: tuple[np.ndarray, np.ndarray] | None = None,
) -> go.Figure:
    """One neuron's activation over the input plane, enlarged, with a colourbar."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    z = np.asarray(z, dtype=float)  # (g, g): z[i, j] at (xs[j], ys[i])
    v = finite_abs_max(z)
    traces = [dict(
        type="heatmap", x=xs, y=ys, z=z, zmin=-v, zmax=v,
        colorscale=DIVERGING, zsmooth="best", name="activation",
        colorbar=dict(thickness=10, len=0.8, title=dict(text="act.", side="right")),
        hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>activation %{z:.3f}<extra></extra>",
    )]
    if train is not None:
        y = np.asarray(train[1]).reshape(-1)
        n_cls = int(np.nanmax(y)) + 1 if y.size and _is_classes(y, 11) else 0
        task = "classification" if n_cls else "regression"
        pts = points_trace(train[0], y, "train", task, max(n_cls, 2), finite_abs_max(y))
        # A dark rim: points share colours with the map, and the map is the subject here.
        pts["marker"].update(size=6, line=dict(color=DARK, width=0.8))
        traces.append(pts)
    layout = dict(
        xaxis=dict(title=dict(text="x1"), range=_cell_edges(xs), constrain="domain",
                   showgrid=False, zeroline=False, ticks="outside"),
        yaxis=dict(title=dict(text="x2"), range=_cell_edges(ys), scaleanchor="x", scaleratio=1,
                   constrain="domain", showgrid=False, zeroline=False, ticks="outside"),
        showlegend=False, hovermode="closest",
    )
    return make_figure(traces, layout, title=title, height=380,
                       margin=dict(l=44, r=8, t=40, b=40))
