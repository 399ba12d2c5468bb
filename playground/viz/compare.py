"""A compare's figures from its runs' frames: each run's network and output (small), the loss and
accuracy of every run on one chart, and the gradient norms of every run on one chart.

One function for the app (playground/ui/compare.py) and the benchmark (playground/bench.py), so
that `bench` times exactly what a compare frame builds. Pure: frames and data in, figures out.

Between the once-a-second frames, a run's network and output are sent *held*: the live board
then keeps the traces it has (their hover values) and takes only the layout (the maps as
images, the links as shapes), so those frames carry and parse the layout alone.
"""
from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from .curves import overlay_curves, run_colors
from .dashboard import diagram, output_view
from .gradients import gradient_overlay

# The board's geometry at 1440×900: the runs' networks and outputs in a grid, two runs a row
# (three from five runs), the overlaid curves to their right, all on one screen with the Lab's
# panel and verdict above; at 1280×720 the first row and the curves fit.
RUN_HEIGHT = 265        # px of each run's network and output (their titles included), one row of runs
RUN_HEIGHT_ROWS = 225   # with two rows
ROW_GAP = 8             # px between two rows of the board's columns
PER_ROW = 2             # runs per row, up to four runs
NETWORK_PX = {2: 175, 3: 130}  # about a diagram's px at 1440 px, by runs per row: its titles fit it
SIDE_PX = 40            # the side column's tabs, above its chart

# The output of a compare run: no colour bar (the same P(1) or ŷ scale in every run, and the
# hover gives the value), no axis titles (x₁, x₂ in the hover), small margins: the plot keeps
# most of a ~200 px column.
OUTPUT_MARGIN = dict(l=30, r=6, t=22, b=22)
TITLE_PX = 18           # the diagram's margin above its column titles, for the run's name
CURVES_LAYOUT = dict(title=None, margin=dict(l=50, r=10, t=44, b=36))

Figure = dict  # a plain figure {"data": [...], "layout": {...}}, as the live board sends it


def run_grid(n_runs: int) -> tuple[int, int, int]:
    """(runs per row, rows, chart height in px) of a compare's runs."""
    per_row = PER_ROW if n_runs <= 2 * PER_ROW else PER_ROW + 1
    rows = -(-n_runs // per_row)
    return per_row, rows, RUN_HEIGHT if rows == 1 else RUN_HEIGHT_ROWS


def side_height(n_runs: int) -> int:
    """px of the chart beside the runs: as tall as their rows."""
    _, rows, height = run_grid(n_runs)
    return rows * height + (rows - 1) * ROW_GAP - SIDE_PX


def plain(figure: go.Figure) -> Figure:
    """The figure's own trace and layout dicts, not copied: plotly's to_plotly_json deep-copies
    them (2 ms a chart) and update_layout validates (4 ms), several times a frame per run."""
    return {"data": list(figure._data), "layout": dict(figure._layout)}


def held(figure: Figure) -> Figure:
    """The figure as a held chart needs it: its layout, and its traces reduced to what the board
    compares (type, name, visible) before it keeps the traces it already draws."""
    stubs = [{key: trace[key] for key in ("type", "name", "visible") if trace.get(key) is not None}
             for trace in figure["data"]]
    return {"data": stubs, "layout": figure["layout"]}


def figure_text(value: Any, percent: bool = False) -> str:
    """A loss (4 decimals) or an accuracy (percent); — when missing."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—" if value is None else str(value)
    return f"{value:.1%}" if percent else f"{value:.4f}"


def score(header: Any) -> str:
    """A run's latest test figure and epoch, the title over its output."""
    m = header.metrics
    figure = (f"test acc. {figure_text(m.get('test_accuracy'), True)}" if m.get("test_accuracy") is not None
              else f"test loss {figure_text(m.get('test_loss'))}")
    return f"{figure} · epoch {header.epoch:,}"


def _titled(figure: Figure, text: str, extra_top: int = 0) -> None:
    """A one-line title at the top left (in the figure, so a held frame updates it too)."""
    layout = figure["layout"]
    margin = dict(layout.get("margin") or {})
    margin["t"] = margin.get("t", 0) + extra_top
    layout.update(margin=margin, title=dict(text=text, x=0, xanchor="left", xref="container", y=1, yanchor="top",
                                            yref="container", pad=dict(t=2, l=2), font=dict(size=12)))


def run_figures(frame: Any, data: Any, height: int, width: int | None = None, hold: bool = False,
                title: str = "") -> tuple[Figure, Figure]:
    """One run's network diagram (titled `title`) and output (titled with its score, see
    `score`), `height` px tall (`width`: the diagram's px, if known); held (see `held`) when
    `hold`, except a 1-D fit, which is a trace. The titles are in the figures, not in the
    board's captions, so the board's layout stays the same from frame to frame."""
    network = plain(diagram(frame, None, height=height, width=width))
    _titled(network, title, TITLE_PX)
    output = plain(output_view(frame, data, False, False))
    layout = output["layout"]
    layout.update(height=height, showlegend=False, margin=OUTPUT_MARGIN)
    _titled(output, score(frame.header))
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            layout[axis] = {k: v for k, v in layout[axis].items() if k != "title"}
    output["data"] = [dict(trace, showscale=False) if trace.get("type") == "heatmap" else trace
                      for trace in output["data"]]
    if hold:
        network = held(network)
        if frame.header.kind != "curve":
            output = held(output)
    return network, output


def curves_figure(frames: list[Any], labels: list[str], height: int) -> go.Figure:
    """Loss and accuracy of every run by epoch (solid train, dashed test), one colour per run."""
    return overlay_curves([f.header.history for f in frames], labels, frames[0].header.task) \
        .update_layout(height=height, **CURVES_LAYOUT)


def gradients_figure(frames: list[Any], labels: list[str], height: int) -> go.Figure:
    """‖∂L/∂W‖₂ per layer of every run at its latest step, one colour per run."""
    chart = gradient_overlay([f.header.grad_norms for f in frames], labels, run_colors(len(frames)))
    return chart.update_layout(height=max(height, chart.layout.height or 0))
