"""The live views' figures from one frame (playground.frame.Frame): what a live frame draws.

Each function reads the frame's header (shared by every problem type) and, for the 2-D views,
its payload (a probes.Snapshot). Pure composition of the other viz functions (no Streamlit,
no torch), so the benchmark can time a whole frame's figure building exactly as the app does.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._common import empty_figure
from .activations import activation_stats
from .boundary import curve_fit, decision_boundary
from .curves import loss_curves
from .gradients import activation_gradient_bars, gradient_bars, gradient_heatmap
from .network import network_diagram, neuron_map

__all__ = ["diagram", "selected_map", "output_view", "loss_curves", "gradient_views", "stats_view",
           "stats_view_from", "activation_gradient_view", "build_figures"]


def diagram(frame, selected: tuple[int, int] | None = None, height: int | None = None,
            width: int | None = None) -> go.Figure:
    """The network: inputs' and neurons' maps as thumbnails, links by sign and |weight| (`width`:
    the px it will be drawn at, if known, for the titles of very narrow columns). A sequence
    frame has no input plane to map: its first recurrent layer's hidden state over time instead."""
    snap = frame.payload
    if frame.header.kind == "sequence":
        from .sequence import hidden_state

        if not snap.layers:
            return empty_figure("no recurrent layer", height=height or 240)
        return _steps_axis(hidden_state(snap.layers[0], snap.tokens, **({"height": height} if height else {})),
                           len(snap.tokens))
    maps = [list(snap.feature_maps.values())]
    maps += [list(snap.neuron_maps[col["name"]]) for col in snap.columns[1:-1]]
    maps.append(list(snap.output_maps))
    return network_diagram(snap.columns, snap.weights, maps, selected=selected, height=height, width=width)


def selected_map(frame, data) -> go.Figure | None:
    """The enlarged map of the clicked node (input feature, hidden neuron or output)."""
    snap = frame.payload
    if snap.detail is None or snap.detail_map is None:
        return None
    col, node = snap.detail
    column = snap.columns[col]
    label = column["labels"][node]
    values = column.get("values") or "activation"
    act = f" ({column['activation']})" if column.get("activation") else ""
    what = {"probability": "probability", "prediction": "the prediction", "feature": "the feature's value"}.get(
        values, "activation")
    return neuron_map(snap.xs, snap.ys, snap.detail_map, f"{label}{act}: {what} over the input plane",
                      train=(data.raw_train, data.y_train), values=values)


def output_view(frame, data, show_test: bool = True, discretize: bool = False) -> go.Figure:
    """Decision boundary (or, for 1-D sets, the fitted curve) with the data on top. For a sequence
    frame, its gradient through time with the memory horizon: what runs of recurrent nets differ in."""
    snap = frame.payload
    if frame.header.kind == "sequence":
        from .sequence import gradient_through_time

        return _steps_axis(gradient_through_time(snap), len(snap.tokens))
    test = (data.raw_test, data.y_test) if show_test else None
    if frame.header.kind == "curve":
        mid = len(snap.ys) // 2  # x2 does not matter for 1-D sets: take any row
        return curve_fit(snap.xs, snap.output[mid], (data.raw_train, data.y_train), test,
                         title="Fit: the network's function of x1")
    return decision_boundary(snap.xs, snap.ys, snap.output, (data.raw_train, data.y_train), test,
                             data.task, data.n_classes, discretize=discretize, title="Output",
                             z_conf=snap.confidence)


def _steps_axis(fig: go.Figure | dict, T: int) -> go.Figure | dict:
    """Step numbers, a few of them, on a small sequence chart (a token per tick runs together there).
    A plain figure (viz._common.plain_figures) gets a new layout rather than changes to its own."""
    axis = dict(tickmode="linear", tick0=1, dtick=max(1, T // 4), title=dict(text="step"))
    if isinstance(fig, dict):
        fig["layout"] = {**fig["layout"], "xaxis": {**fig["layout"].get("xaxis", {}), **axis}}
        return fig
    return fig.update_xaxes(**axis)


def gradient_views(frame) -> tuple[go.Figure, go.Figure, dict[str, str]]:
    """Bars of ‖∂L/∂W‖₂ at the latest step (pre-clip beside clipped when clipping is on), the
    layers × time heatmap of its history, and the flagged layers (the header's, true of the model)."""
    h = frame.header
    names = list(h.grad_norms)
    preclip = [h.grad_norms_preclip.get(n) for n in names] if h.grad_norms_preclip else None
    bars = gradient_bars(names, [h.grad_norms[n] for n in names], h.gradient_flags, preclip)
    columns = h.history.get("grad_norms", [])
    steps = h.history.get("step", [])
    matrix = np.array(columns, dtype=float).T if columns else np.zeros((len(names), 0))
    heat = gradient_heatmap(names, steps, matrix)
    return bars, heat, dict(h.gradient_flags)


def activation_gradient_view(frame) -> go.Figure:
    """Bars of ‖∂L/∂a‖₂ per hidden layer on the training data (log scale)."""
    norms = frame.header.activation_grad_norms
    names = list(norms)
    return activation_gradient_bars(names, [norms[n] for n in names])


def stats_view(frame) -> go.Figure:
    """Dead / saturated fraction and mean |activation| per hidden layer."""
    return stats_view_from(frame.header.activation_stats)


def stats_view_from(by_layer: dict[str, dict[str, float]]) -> go.Figure:
    """The activation-health chart from per-layer statistics."""
    names = list(by_layer)
    stats = [by_layer[n] for n in names]
    return activation_stats(names, [s["dead"] for s in stats], [s["saturated"] for s in stats],
                            [s["mean_abs"] for s in stats])


def build_figures(data, frame, show_test: bool = True, discretize: bool = False,
                  selected: tuple[int, int] | None = None) -> dict[str, go.Figure]:
    """Every figure of one live 2-D frame, by name."""
    bars, heat, _ = gradient_views(frame)
    figures = {"network": diagram(frame, selected), "output": output_view(frame, data, show_test, discretize),
               "curves": loss_curves(frame.header.history, "epoch", frame.header.task), "gradient_bars": bars,
               "gradient_heatmap": heat, "activation_gradients": activation_gradient_view(frame),
               "activation_stats": stats_view(frame)}
    if selected is not None:
        enlarged = selected_map(frame, data)
        if enlarged is not None:
            figures["neuron"] = enlarged
    return figures
