"""The TensorFlow-Playground-style network diagram (columns of neurons, weighted links,
per-neuron activation thumbnails) and the enlarged single-neuron map.

Coordinates: x is the column index; y is measured in *pixels of the plot area*
(the figure height is fixed here), so node sizes and thumbnails line up with
marker sizes exactly, whatever the container width.
"""

from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ._common import CB_XPAD, finite_abs_max, fmt, make_figure
from .boundary import _cell_edges, _is_classes, _resample, hover_heatmap, plane_image, points_trace
from .colors import BLUE, DARK, DIVERGING, ORANGE, diverging_rgb, png_data_uri

LINK_ROOM = 400.0  # px² of chart per link under which links are drawn thinner and fainter
N_BINS = 6  # link width buckets per sign → 12 link shapes
_BASE_WIDTHS = [0.6, 1.1, 1.7, 2.4, 3.2, 4.2]  # px, thinnest → thickest bucket
_BASE_OPACITY = [0.30, 0.40, 0.50, 0.62, 0.74, 0.86]
_ASSUMED_WIDTH = 520  # px; only used to keep nodes from colliding horizontally
_FRAME = np.array([176, 180, 184], np.uint8)  # thumbnail border grey


SHORT_ACTIVATIONS = {"sigmoid": "σ", "leaky_relu": "lrelu", "softplus": "s+", "linear": "lin"}


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
        # Very narrow columns shorten engine names too: dense10 -> D10 (hover has the full name).
        short = re.fullmatch(r"([a-z]+)(\d+)", name.lower())
        head = f"{short.group(1)[0].upper()}{short.group(2)}" if compact >= 2 and short else name
    if name.lower() == "input":
        act = ""
    if compact == 0:
        return f"<b>{head}</b> · {n} {act}".rstrip()
    if compact == 1:
        return f"<b>{head}</b><br>{n} {act}".rstrip()
    if compact == 2:
        # Very narrow columns (~25 px at 350 px width): one short token per line; long activation
        # names abbreviated (they ran into each other: "sigmoidsigmoid"), the hover has them in full.
        return f"<b>{head}</b><br>{n}<br>{SHORT_ACTIVATIONS.get(act, act)}"
    # Narrower still (under NARROW_COLUMN px: ten layers in a compare's 200 px): a column is only
    # its number; its width and activation are said once, above the diagram (see _hidden_summary).
    number = re.search(r"(\d+)$", name)
    return "In" if name.lower() == "input" else "Out" if name.lower() == "output" else (
        number.group(1) if number else name[:2])


NARROW_COLUMN = 30  # px per column under which a column's title is only its number


def _hidden_summary(layers: list[dict], counts: list[int]) -> str:
    """The hidden columns in one line, runs of equal layers grouped: "hidden: 10 × 8 tanh"."""
    groups: list[list] = []
    for layer, n in zip(layers[1:-1], counts[1:-1]):
        act = str(layer.get("activation") or "")
        word = f"{n} {SHORT_ACTIVATIONS.get(act, act)}".rstrip()
        if groups and groups[-1][0] == word:
            groups[-1][1] += 1
        else:
            groups.append([word, 1])
    return "hidden: " + ", ".join(f"{k} × {word}" if k > 1 else word for word, k in groups)


THUMB_SCALE = 1  # strip pixels per CSS pixel (2 would be crisper on HiDPI, at 4× the PNG work)


def _thumbnail_strip(col_maps: list, ys: list[float], size: float, plot_h: float,
                     vrange: tuple[float, float] | None) -> tuple[np.ndarray, float] | None:
    """One column's thumbnails as a transparent RGBA strip: each map framed and pasted at
    its node's centre (ys in plot pixels, 0 = bottom). Returns (strip, y of its top edge),
    the strip cropped to the thumbnails' extent; None if the column has no map."""
    s = THUMB_SCALE
    items = [(np.asarray(z, dtype=np.float32), yc) for z, yc in zip(col_maps, ys) if z is not None]
    if not items:
        return None
    px = max(2 * s + 1, int(round(size * s)))  # thumbnail side, frame included
    inner = px - 2 * s
    tops = [int(round((plot_h - yc) * s - px / 2)) for _, yc in items]  # image rows, 0 = top
    t0 = min(tops)
    strip = np.zeros((max(tops) + px - t0, px, 4), np.uint8)
    # Each map scaled to [-1, 1] (its range's midpoint at 0, i.e. white) and resized bilinearly
    # in value space (x2 up), then one colour lookup for the column: blue/orange edges stay clean.
    def resized(z: np.ndarray) -> np.ndarray:
        lo, hi = vrange if vrange else (-finite_abs_max(z), finite_abs_max(z))
        unit = (z[::-1] - np.float32((lo + hi) / 2)) / np.float32((hi - lo) / 2)
        img = Image.fromarray(np.ascontiguousarray(unit, dtype=np.float32), "F")
        return np.asarray(img.resize((inner, inner), Image.Resampling.BILINEAR))

    rgb = diverging_rgb(np.stack([resized(z) for z, _ in items]), -1.0, 1.0)  # (n, inner, inner, 3)
    for k, top in enumerate(tops):
        r = top - t0
        strip[r:r + px, :, :3] = _FRAME
        strip[r:r + px, :, 3] = 255
        strip[r + s:r + px - s, s:px - s, :3] = rgb[k]
    return strip, plot_h - t0 / s


def link_segments(shape) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) per link of a link shape (name "link+<bin>" / "link-<bin>")."""
    path = shape["path"] if isinstance(shape, dict) else shape.path
    nums = [float(t) for t in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", path)]
    return [tuple(nums[k:k + 4]) for k in range(0, len(nums), 4)]


# What a column's maps hold (probes.network_columns' "values"), as named in hovers and colour bars.
VALUE_NAMES = {"feature": "value", "activation": "activation", "probability": "probability",
               "prediction": "ŷ"}


def column_range(layer: dict, col_maps: list | None, vmax: float | None = None) -> tuple[float, float] | None:
    """The colour range of a column's maps: [0, 1] for probabilities (white = 0.5), else
    symmetric about 0 (white = 0): `vmax`, one shared max |v| for a hidden/output column,
    None (each map its own max |v|) for the input features, whose units differ (x1 vs x1²)."""
    values = layer.get("values")
    if values == "probability":
        return (0.0, 1.0)
    if vmax:
        return (-float(vmax), float(vmax))
    if values == "feature" or (values is None and str(layer.get("name", "")).lower() == "input"):
        return None
    v = finite_abs_max(*(col_maps or []))
    return (-v, v)


def _map_stats(z: np.ndarray | None, what: str = "map", vrange: tuple[float, float] | None = None) -> str:
    """Hover lines: mean/min/max of a node's map and the colour scale it is drawn on."""
    if z is None:
        return ""
    a = np.asarray(z, dtype=float)
    a = a[np.isfinite(a)]
    if not a.size:
        return f"<br>{what}: no finite values"
    lo, hi = vrange if vrange else (-float(np.abs(a).max()), float(np.abs(a).max()))
    return (f"<br>{what} over the plane: mean {fmt(float(a.mean()))} · min {fmt(float(a.min()))}"
            f" · max {fmt(float(a.max()))}"
            f"<br>colour: orange {fmt(lo)} · white {fmt((lo + hi) / 2)} · blue {fmt(hi)}")


def network_diagram(
    layers: list[dict],
    weights: list[np.ndarray | None],
    maps: list[list[np.ndarray]] | None = None,
    selected: tuple[int, int] | None = None,
    vmax: float | None = None,
    height: int | None = None,
    width: int | None = None,
) -> go.Figure:
    """Left→right network diagram: weighted links, neuron squares / map thumbnails.

    Links are layout shapes named "link+<bin>" / "link-<bin>" (sign, |w| bucket), one
    "M x0,y0 L x1,y1" path per weight (see link_segments). Thumbnails are one layout image
    per column (a transparent strip, see _thumbnail_strip). Traces carry
    meta={"kind": "nodes" | "selected"}; node customdata is [layer_index, node_index].
    Map colour range (symmetric about 0): `vmax` if given; otherwise the input
    column uses each feature's own max |v| (features have different units, e.g.
    x1 vs x1²), and every other column shares one max |v| per column so that
    strong and near-dead neurons in a layer can be told apart. `height` (px) overrides the
    height chosen from the largest column (a compare draws several diagrams side by side);
    `width` (px), when the caller knows it, lets very narrow columns (under NARROW_COLUMN px)
    be titled by their number only, with the hidden layers summarised in one line above.
    """
    counts = [len(layer.get("labels", [])) for layer in layers]
    n_cols = len(layers)
    max_nodes = max(counts) if counts else 1
    height = height or int(min(900, max(360, 28 * max_nodes)))
    compact = 0 if n_cols <= 2 else (1 if n_cols <= 6 else 2)
    show_input_labels = bool(counts) and counts[0] <= 16
    left = 48 if show_input_labels else 8
    spacing = None if width is None else (width - left - 8) / max(n_cols, 1)  # px between columns
    if spacing is not None and n_cols > 2:
        # A known width: titles as wide as the columns allow ("dense1" needs ~60 px, "tanh" ~25).
        compact = 3 if spacing < NARROW_COLUMN else 2 if spacing < 60 else 1 if spacing < 130 else compact
    margin = dict(l=left, r=8, t=(34, 46, 58, 36)[compact], b=8)
    plot_h = height - margin["t"] - margin["b"]  # y data units == pixels

    # Node geometry per column: pitch (px between centres) and square size (px); a known width
    # keeps the squares of neighbouring columns apart, with room for the links between them.
    x_cap = min(40.0, 0.55 * _ASSUMED_WIDTH / max(n_cols, 1) if spacing is None else 0.7 * spacing)
    pitch = [min(plot_h / max(n, 1), 64.0) for n in counts]
    size = [max(5.0, min(0.72 * p, x_cap)) for p in pitch]
    ypos = [[plot_h / 2 + ((n - 1) / 2 - k) * pitch[i] for k in range(n)]
            for i, n in enumerate(counts)]

    traces: list[dict] = []

    # ---- links: bucket by sign × |w| so a dense net is 12 SVG paths, not thousands.
    # Each bucket is one layout shape (an "M x,y L x,y" path per link), not a scatter
    # trace: plotly.js draws a gap-separated line trace several times slower.
    finite_w = [np.asarray(w, float) for w in weights if w is not None]
    wmax = finite_abs_max(*finite_w, default=1.0)
    n_links_max = max([w.size for w in finite_w] or [1])
    # Thin and fade links for dense pairs, otherwise 64×64 links become a solid block.
    density = 1.0 if n_links_max <= 64 else (0.6 if n_links_max <= 512 else 0.35)
    if spacing is not None:
        # And for little room: a compare's 16 × 8 net has ~14 px² of chart per link (the single
        # view's 8 × 8 pair ~5,000), where full-width links drew one solid mesh.
        room = spacing * plot_h / n_links_max
        density = min(density, max(0.2, min(1.0, math.sqrt(room / LINK_ROOM))))
    segs: dict[tuple[int, int], list[np.ndarray]] = {
        (s, b): [] for s in (1, -1) for b in range(N_BINS)}
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
            seg = np.empty((int(m.sum()), 4))  # rows of (x0, y0, x1, y1)
            seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3] = i, y_src[m], i + 1, y_dst[m]
            segs[key].append(seg)
    # Every bucket is a shape, an empty one with an empty path, so that the shapes are the same
    # twelve from frame to frame: the live board then redraws only their paths (a bucket that
    # emptied or filled changed the list, and the board redrew the whole chart).
    shapes: list[dict] = []
    for (sign, b), parts in segs.items():
        seg = np.concatenate(parts) if parts else np.empty((0, 4))
        # y is in pixels: 0.01 px is exact enough; one %-format call keeps 10k links fast.
        path = ("M%d,%.2fL%d,%.2f" * len(seg)) % tuple(seg.ravel().tolist())
        shapes.append(dict(
            type="path", path=path, xref="x", yref="y", layer="below",
            name=f"link{'+' if sign > 0 else '-'}{b}",  # link<sign><bin>: see link_segments()
            line=dict(color=BLUE if sign > 0 else ORANGE, width=_BASE_WIDTHS[b] * density),
            opacity=_BASE_OPACITY[b] * (0.35 + 0.65 * density),
        ))

    # Colour range of each column's maps, shared by its thumbnails and its hovers.
    ranges = [column_range(layer, maps[i] if maps is not None and i < len(maps) else None, vmax)
              for i, layer in enumerate(layers)]

    # ---- nodes: one marker trace so a click's customdata names (layer, node).
    nx, ny, nsize, custom, hover = [], [], [], [], []
    titles = [_column_title(layer, counts[i], 0).replace("<b>", "").replace("</b>", "")
              for i, layer in enumerate(layers)]  # full names for hover
    for i, layer in enumerate(layers):
        labels = list(layer.get("labels", []))
        act = layer.get("activation") or "—"
        col_maps = maps[i] if maps is not None and i < len(maps) and maps[i] is not None else None
        values = layer.get("values") or ("feature" if i == 0 else "activation")
        what = VALUE_NAMES.get(values, "value")
        for k, label in enumerate(labels):
            z = col_maps[k] if col_maps is not None and k < len(col_maps) else None
            nx.append(i)
            ny.append(ypos[i][k])
            nsize.append(size[i])
            custom.append([i, k])
            node = "input" if values == "feature" else "output" if values in ("probability", "prediction") else "neuron"
            shown = f"{label}" if values == "probability" else what  # "P(1) over the plane", "activation over …"
            hover.append(f"<b>{titles[i]}</b><br>{node} {label}<br>activation: {act}"
                         + _map_stats(z, shown, ranges[i] or (None if z is None else
                                                              (-finite_abs_max(z), finite_abs_max(z)))))
    has_maps = maps is not None
    traces.append(dict(
        type="scatter", x=nx, y=ny, mode="markers", name="neurons", showlegend=False,
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

    # ---- thumbnails: one transparent PNG strip per column, each node's framed map pasted at
    # its pixel position (y is in plot pixels). A handful of images instead of one per node.
    images: list[dict] = []
    if maps is not None:
        for i, col_maps in enumerate(maps[:n_cols]):
            if col_maps is None:
                continue
            strip = _thumbnail_strip(list(col_maps)[:counts[i]], ypos[i], size[i], plot_h, ranges[i])
            if strip is None:
                continue
            rgba, top = strip
            images.append(dict(
                source=png_data_uri(rgba), xref="x", yref="y", x=i, y=top,
                # A box far wider than the strip makes "contain" scale it to its exact pixel
                # height, i.e. 1:1 in y (plot pixels) whatever the figure's width.
                sizex=n_cols, sizey=rgba.shape[0] / THUMB_SCALE, xanchor="center", yanchor="top",
                sizing="contain", layer="above", name=f"thumbnails {i}",
            ))
    # Numbered columns closer than a number's width (16 × 8 in a compare): every step-th is numbered.
    step = 1 if compact < 3 else max(1, int(np.ceil(16 / spacing)))
    annotations = [dict(
        x=i, y=1.0, xref="x", yref="paper", yanchor="bottom", showarrow=False,
        text=_column_title(layer, counts[i], compact), align="center",
        font=dict(size=12 if compact == 0 else 10, color=DARK),
    ) for i, layer in enumerate(layers) if i == n_cols - 1 or (i % step == 0 and n_cols - 1 - i >= step)]
    if compact == 3:
        annotations.append(dict(x=0, y=1.0, xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                                yshift=14, xshift=4 - left, showarrow=False, text=_hidden_summary(layers, counts),
                                font=dict(size=10, color=DARK), name="hidden summary"))
    # Input labels are layout annotations, one per input node, not trace text: the live board
    # redraws the layout (images, links, annotations) on every frame but may hold the traces,
    # so labels kept in a held trace showed the old inputs (two labels for three inputs).
    if show_input_labels:
        annotations += [dict(
            x=0, y=ypos[0][k], xref="x", yref="y", xanchor="right", yanchor="middle", showarrow=False,
            xshift=-(size[0] / 2 + 4), text=str(label), font=dict(size=11, color=DARK), name="input label",
        ) for k, label in enumerate(layers[0].get("labels", []))]
    layout = dict(
        images=images, annotations=annotations, shapes=shapes,
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
    values: str = "activation",
) -> go.Figure:
    """One node's map over the input plane, enlarged, with a labelled colour bar.

    `values` says what the map holds (probes.network_columns): "probability" is drawn on
    [0, 1] with white at 0.5; "activation", "prediction" (ŷ) and "feature" symmetric about 0.
    """
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    z = np.asarray(z, dtype=float)  # (g, g): z[i, j] at (xs[j], ys[i])
    if values == "probability":
        lo, hi = 0.0, 1.0
    else:
        v = finite_abs_max(z)
        lo, hi = -v, v
    what = VALUE_NAMES.get(values, "value")
    short = {"activation": "act.", "probability": "P(class)", "prediction": "ŷ", "feature": "value"}.get(values, what)
    # The map is a background image; the invisible coarse heatmap gives hover and colour bar.
    image = plane_image(diverging_rgb(_resample(z, smooth=True), lo, hi), xs, ys)
    traces = [hover_heatmap(
        xs, ys, z, zmin=lo, zmax=hi, colorscale=DIVERGING, name=what,
        colorbar=dict(thickness=10, len=0.8, x=1.0, xpad=CB_XPAD,
                      title=dict(text=short, side="right")),
        hovertemplate=f"x1 %{{x:.2f}}<br>x2 %{{y:.2f}}<br>{what} %{{z:.3f}}<extra></extra>",
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
        images=[image],
        xaxis=dict(title=dict(text="x1"), range=_cell_edges(xs), constrain="domain",
                   showgrid=False, zeroline=False, ticks="outside"),
        yaxis=dict(title=dict(text="x2"), range=_cell_edges(ys), scaleanchor="x", scaleratio=1,
                   constrain="domain", showgrid=False, zeroline=False, ticks="outside"),
        showlegend=False, hovermode="closest",
    )
    # Margins reserved for the axes and colour bar (see the margins note in _common.py).
    return make_figure(traces, layout, title=title, height=380,
                       margin=dict(l=76, r=74, t=40, b=75))
