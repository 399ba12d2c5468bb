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
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from ._common import plain, plain_figures
from .curves import overlay_curves, run_colors, thinned
from .dashboard import diagram, output_view
from .gradients import gradient_overlay

# The board's geometry. Two runs without a Lab panel above: each run a column, its network over
# its output, and the curves in a third column (1440×900 and 1280×720 show all of it). Otherwise
# (three runs or more, or a Lab's panel and verdict above) the networks and outputs in a grid,
# two runs a row (three from five runs), the curves to their right: at 1440×900 all on one
# screen with the Lab's panel and verdict above.
RUN_HEIGHT = 265        # px of each run's network and output (their titles included), one row of runs
RUN_HEIGHT_ROWS = 225   # with two rows
STACKED = (205, 300)    # px of a run's network and of its output, stacked
ROW_GAP = 8             # px between two charts of a board column
PER_ROW = 2             # runs per row, up to four runs
NETWORK_PX = {1: 330, 2: 175, 3: 130}  # about a diagram's px at 1440 px, by runs per row: its titles fit it
SIDE_PX = 40            # the side column's tabs, above its chart


@dataclass(frozen=True)
class Grid:
    """Where a compare's runs go: `per_row` runs a row (1: stacked, a column per run), in `rows`."""

    per_row: int
    rows: int
    network_height: int
    output_height: int

    @property
    def stacked(self) -> bool:
        """Each run a column: its network over its output."""
        return self.per_row == 1

    @property
    def network_px(self) -> int:
        """About the diagram's px wide at 1440 px."""
        return NETWORK_PX[self.per_row]

    @property
    def side_height(self) -> int:
        """px of the chart beside the runs: as tall as they are, less the tabs above it."""
        if self.stacked:
            return self.network_height + ROW_GAP + self.output_height - SIDE_PX
        return self.rows * self.network_height + (self.rows - 1) * ROW_GAP - SIDE_PX


def run_grid(n_runs: int, room: bool = True) -> Grid:
    """The grid of `n_runs` runs; `room`: nothing (no Lab panel) above the board, so that two
    runs may be stacked."""
    if n_runs <= 2 and room:
        return Grid(1, 1, *STACKED)
    per_row = PER_ROW if n_runs <= 2 * PER_ROW else PER_ROW + 1
    rows = -(-n_runs // per_row)
    height = RUN_HEIGHT if rows == 1 else RUN_HEIGHT_ROWS
    return Grid(per_row, rows, height, height)


# The output of a compare run: no colour bar (the same P(1) or ŷ scale in every run, and the
# hover gives the value), no axis titles (x₁, x₂ in the hover), small margins: the plot keeps
# most of a ~200 px column.
OUTPUT_MARGIN = dict(l=30, r=6, t=22, b=22)
TITLE_PX = 18           # the diagram's margin above its column titles, for the run's name
CURVES_MARGIN = dict(l=50, r=10, t=44, b=36)

Figure = dict  # a plain figure {"data": [...], "layout": {...}}, as the live board sends it


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


def score(header: Any, epoch: bool = True) -> str:
    """A run's latest test figure and (`epoch`) its epoch: the title over its output."""
    m = header.metrics
    figure = (f"test acc. {figure_text(m.get('test_accuracy'), True)}" if m.get("test_accuracy") is not None
              else f"test loss {figure_text(m.get('test_loss'))}")
    return f"{figure} · epoch {header.epoch:,}" if epoch else figure


def _titled(figure: Figure, text: str, extra_top: int = 0, size: int = 12) -> None:
    """A one-line title at the top left (in the figure, so a held frame updates it too)."""
    layout = figure["layout"]
    margin = dict(layout.get("margin") or {})
    margin["t"] = margin.get("t", 0) + extra_top
    layout.update(margin=margin, title=dict(text=text, x=0, xanchor="left", xref="container", y=1, yanchor="top",
                                            yref="container", pad=dict(t=2, l=2), font=dict(size=size)))


def held_parts(kind: str) -> tuple[str, ...]:
    """Which of a run's charts ("network", "output") a frame of data `kind` may hold: those whose
    traces are only hover values, what changes being in the layout (the maps, links and boundary
    pictures). A 1-D fit is a trace, and a sequence run's charts (its hidden state, its gradient
    through time) are traces whose axes follow them: never held."""
    return {"points": ("network", "output"), "curve": ("network",)}.get(kind, ())


def run_figures(frame: Any, data: Any, grid: Grid, hold: bool = False, title: str = "") -> tuple[Figure, Figure]:
    """One run's network diagram (titled `title`) and output (titled with its score, see
    `score`), sized for `grid`; when `hold`, the parts `held_parts` names are held (see `held`).
    The titles are in the figures, not in the board's captions, so the board's layout stays the
    same from frame to frame."""
    with plain_figures():  # serialised only: no go.Figure (half of this function's time)
        network = plain(diagram(frame, None, height=grid.network_height, width=grid.network_px))
        output = plain(output_view(frame, data, False, False))
    _titled(network, title, TITLE_PX)
    layout = output["layout"]
    layout.update(height=grid.output_height, showlegend=False, margin=OUTPUT_MARGIN)
    # Three runs a row leave ~125 px: the score alone (the epoch, the same for every run, is in the
    # verdict, the table and the curves); a title wider than its chart is cut off, not wrapped.
    _titled(output, score(frame.header, epoch=grid.per_row <= PER_ROW), size=11)
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            layout[axis] = {k: v for k, v in layout[axis].items() if k != "title"}
    output["data"] = [dict(trace, showscale=False) if trace.get("type") == "heatmap" else trace
                      for trace in output["data"]]
    parts = held_parts(frame.header.kind) if hold else ()
    return (held(network) if "network" in parts else network), (held(output) if "output" in parts else output)


def curves_figure(frames: list[Any], labels: list[str], height: int, playing: bool = False) -> Figure:
    """Loss and accuracy of every run by epoch (solid train, dashed test), one colour per run;
    long histories thinned to CURVE_POINTS epochs (see `thinned`); `playing` as in `overlay_curves`."""
    with plain_figures():
        figure = plain(overlay_curves([thinned(f.header.history) for f in frames], labels, frames[0].header.task,
                                      playing))
    figure["layout"].pop("title", None)
    figure["layout"].update(height=height, margin=CURVES_MARGIN)
    return figure


def gradients_figure(frames: list[Any], labels: list[str], height: int) -> go.Figure:
    """‖∂L/∂W‖₂ per layer of every run at its latest step, one colour per run."""
    chart = gradient_overlay([f.header.grad_norms for f in frames], labels, run_colors(len(frames)))
    return chart.update_layout(height=max(height, chart.layout.height or 0))
