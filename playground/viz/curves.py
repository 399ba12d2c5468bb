"""Training curves: train/test loss (and accuracy for classification) over time."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._common import empty_figure, make_figure, to_float_list
from .colors import QUALITATIVE

LOSS_COLOR = "#2a2f35"
# Epochs drawn per curve at most: a live chart is 350-560 px wide and shows no more, while every
# frame sent them all (a history keeps up to 1,000): the single view's curves were the browser's
# largest chart redraw per frame (median 26 ms of Plotly.react at 4 frames a second), and 16
# compare curves of 2,000 epochs were 0.5 MB a frame.
CURVE_POINTS = 400
ACC_COLOR = "#2ca02c"
# While training plays, the epoch axis ends at the first of these (× 10^k) at least ROOM past the
# latest epoch, not at the latest epoch itself: the board then draws the new points on the axes
# as they are (live_board.js, extendLines), and the axis (a relayout of its range, rangeUpdate)
# moves a few times a minute instead of with every frame.
NICE_ENDS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
ROOM = 1.1


def growing_range(first: float, last: float) -> list[float]:
    """[first, a round number at least ROOM × last] for an axis of epochs that grows while
    training plays."""
    lo = float(first)
    want = max(float(last) * ROOM, lo + 1.0)
    scale = 10.0 ** np.floor(np.log10(want))
    return [lo, next(float(n * scale) for n in NICE_ENDS if n * scale >= want)]


def _loss_range(values: list[float | None]) -> list[float] | None:
    """Linear y range that a single spike or a blow-up can't squash to a flat line."""
    a = np.array([v for v in values if v is not None], dtype=float)
    if not a.size:
        return None
    lo, hi, q90 = float(a.min()), float(a.max()), float(np.quantile(a, 0.9))
    # Clip only when the max is an outlier (>10× the 90th percentile); hover keeps true values.
    top = hi if hi <= 10 * max(q90, 1e-12) else 10 * q90
    bottom = min(0.0, lo)
    pad = 0.05 * (top - bottom) if top > bottom else 1.0
    return [bottom, top + pad]


# History marks (playground.train.History.marks) drawn as vertical lines: label, colour, dash.
# The best epoch's label sits left of its line, the stop's right of its own, so the two never overlap.
MARKS = {"best_epoch": ("best epoch", "#2ca02c", "dot", "right"), "early_stop": ("early stop", "#d62728", "dash", "left")}


def epoch_marks(history: dict[str, list]) -> tuple[list[dict], list[dict]]:
    """(shapes, annotations) marking the early-stopping epochs a history carries (none: empty lists)."""
    shapes, notes = [], []
    for key, (label, colour, dash, side) in MARKS.items():
        epoch = (history.get(key) or [None])[-1]
        if epoch is None:
            continue
        shapes.append(dict(type="line", x0=epoch, x1=epoch, xref="x", yref="paper", y0=0, y1=1,
                           line=dict(color=colour, dash=dash, width=1.5)))
        notes.append(dict(x=epoch, xref="x", y=1, yref="paper", yanchor="bottom", xanchor=side, showarrow=False,
                          text=f"{label} {epoch}", font=dict(size=11, color=colour)))
    return shapes, notes


def thinned(history: dict[str, list], points: int = CURVE_POINTS) -> dict[str, list]:
    """Every k-th epoch of a history (and always the last), at most about `points` of them."""
    n = max((len(column) for column in history.values()), default=0)
    step = -(-n // points)
    if step <= 1:
        return history
    keep = list(range(0, n - 1, step)) + [n - 1]
    return {name: [column[i] for i in keep if i < len(column)] for name, column in history.items()}


def loss_curves(
    history: dict[str, list[float]],
    x_key: str = "epoch",
    task: str = "classification",
    points: int = CURVE_POINTS,
    playing: bool = False,
) -> go.Figure:
    """Train/test loss on the left axis, accuracy (classification) on a right % axis; a long
    history thinned to about `points` epochs, its latest always among them. `playing`: the x axis
    leaves room for the next second's epochs (`growing_range`)."""
    history = thinned(history, points)
    # Only the keys drawn here: histories may carry other per-step data (e.g. grad norms).
    wanted = (x_key, "train_loss", "test_loss", "train_accuracy", "test_accuracy")
    series = {k: to_float_list(history[k]) for k in wanted if history.get(k) is not None}
    n = max((len(v) for k, v in series.items() if k != x_key), default=0)
    if n == 0:
        return empty_figure("No training history yet — press ▶ to train.", title="Loss")
    x = series.get(x_key) or list(range(n))
    traces: list[dict] = []
    loss_vals: list[float | None] = []
    for key, name, dash in (("train_loss", "train loss", "solid"),
                            ("test_loss", "test loss", "dash")):
        if key in series and any(v is not None for v in series[key]):
            loss_vals += series[key]
            traces.append(dict(
                type="scatter", x=x, y=series[key], name=name, mode="lines",
                line=dict(color=LOSS_COLOR, width=2, dash=dash),
                hovertemplate="%{y:.4g}", yaxis="y",
            ))
    has_acc = False
    if task == "classification":
        for key, name, dash in (("train_accuracy", "train acc", "solid"),
                                ("test_accuracy", "test acc", "dash")):
            if key in series and any(v is not None for v in series[key]):
                has_acc = True
                traces.append(dict(
                    type="scatter", x=x, y=series[key], name=name, mode="lines",
                    line=dict(color=ACC_COLOR, width=2, dash=dash),
                    hovertemplate="%{y:.1%}", yaxis="y2",
                ))
    xlabel = {"epoch": "epoch", "step": "step"}.get(x_key, x_key)
    layout = dict(
        xaxis=dict(title=dict(text=xlabel), zeroline=False, showspikes=False),
        yaxis=dict(title=dict(text="loss"), range=_loss_range(loss_vals), zeroline=False,
                   rangemode="tozero"),
        hovermode="x unified",
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom",
                    bgcolor="rgba(0,0,0,0)", font=dict(size=11)),
    )
    if playing:
        layout["xaxis"]["range"] = growing_range(x[0], x[-1])
    shapes, notes = epoch_marks(history)
    if shapes:
        layout.update(shapes=shapes, annotations=notes)
    if has_acc:
        layout["yaxis2"] = dict(
            title=dict(text="accuracy"), overlaying="y", side="right", range=[0, 1.02],
            tickformat=".0%", showgrid=False, zeroline=False,
            # Explicit ticks: otherwise they sync to the loss grid (19%, 37%, …).
            tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1.0],
        )
    # Margins reserved for both axes and the legend (see the margins note in _common.py).
    return make_figure(traces, layout, title="Loss" + (" & accuracy" if has_acc else ""),
                       height=300, margin=dict(l=73, r=88 if has_acc else 18, t=62, b=68))


def run_colors(n: int) -> list[str]:
    """One colour per run of a compare (the same in every compare chart and the table)."""
    return [QUALITATIVE[i % len(QUALITATIVE)] for i in range(n)]


def overlay_curves(histories: list[dict[str, list]], labels: list[str], task: str = "classification",
                   playing: bool = False) -> go.Figure:
    """The loss (top) and, for classification, accuracy (bottom) of several runs on one chart by
    epoch: a colour per run (legend: what differs), solid train, dashed test. `playing` as in
    `loss_curves`."""
    colors = run_colors(len(histories))
    has_acc = task == "classification"
    traces: list[dict] = []
    loss_vals: list[float | None] = []
    for history, label, color in zip(histories, labels, colors):
        x = to_float_list(history.get("epoch") or [])
        panels = [("loss", "y", ".4g")] + ([("accuracy", "y2", ".1%")] if has_acc else [])
        for what, axis, number in panels:
            for split, dash in (("train", "solid"), ("test", "dash")):
                y = to_float_list(history.get(f"{split}_{what}") or [])
                if not y or all(v is None for v in y):
                    continue
                if what == "loss":
                    loss_vals += y
                traces.append(dict(
                    type="scatter", x=x[:len(y)], y=y, mode="lines", name=label, legendgroup=label,
                    showlegend=what == "loss" and split == "train", yaxis=axis,
                    line=dict(color=color, width=2, dash=dash),
                    hovertemplate=f"{split} {what} %{{y:{number}}}<extra>{label}</extra>"))
    if not traces:
        return empty_figure("No training history yet: press ▶ to train every run.", title="Loss")
    layout: dict = dict(
        xaxis=dict(title=dict(text="epoch"), zeroline=False, anchor="y2" if has_acc else "y"),
        yaxis=dict(title=dict(text="loss"), range=_loss_range(loss_vals), zeroline=False,
                   domain=[0.55, 1.0] if has_acc else [0.0, 1.0]),
        hovermode="x unified",
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom",
                    bgcolor="rgba(0,0,0,0)", font=dict(size=11)),
    )
    spans = [h["epoch"] for h in histories if h.get("epoch")]  # each run's epochs, in order
    if playing and spans:
        layout["xaxis"]["range"] = growing_range(min(e[0] for e in spans), max(e[-1] for e in spans))
    if has_acc:
        layout["yaxis2"] = dict(title=dict(text="accuracy"), domain=[0.0, 0.45], range=[0, 1.02],
                                tickformat=".0%", tickmode="array", tickvals=[0, 0.5, 1.0], zeroline=False)
    title = "Loss" + (" & accuracy" if has_acc else "") + " of every run (solid train, dashed test)"
    return make_figure(traces, layout, title=title, height=300, margin=dict(l=64, r=16, t=70, b=44))
