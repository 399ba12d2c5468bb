"""The 2-D playground's figures from one probe Snapshot: what a live frame draws.

Pure composition of the other viz functions (no Streamlit), so the benchmark can time a
whole frame's figure building exactly as the app does it.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .boundary import curve_fit, decision_boundary
from .curves import loss_curves
from .gradients import flag_gradients, gradient_bars, gradient_heatmap
from .activations import activation_stats
from .network import network_diagram, neuron_map

def diagram(snap, selected: tuple[int, int] | None = None) -> go.Figure:
    """The network: inputs' and neurons' maps as thumbnails, links by sign and |weight|."""
    maps = [list(snap.feature_maps.values())]
    maps += [list(snap.neuron_maps[col["name"]]) for col in snap.columns[1:-1]]
    maps.append(list(snap.output_maps))
    return network_diagram(snap.columns, snap.weights, maps, selected=selected)


def selected_map(snap, data) -> go.Figure | None:
    """The enlarged map of the clicked node (input feature, hidden neuron or output)."""
    if snap.detail is None or snap.detail_map is None:
        return None
    col, node = snap.detail
    column = snap.columns[col]
    label = column["labels"][node]
    act = f" ({column['activation']})" if column.get("activation") else ""
    return neuron_map(snap.xs, snap.ys, snap.detail_map, f"{label}{act}: activation over the input plane",
                      train=(data.raw_train, data.y_train))


def output_view(snap, data, show_test: bool = True, discretize: bool = False) -> go.Figure:
    """Decision boundary (or, for 1-D sets, the fitted curve) with the data on top."""
    test = (data.raw_test, data.y_test) if show_test else None
    if data.kind == "curve":
        mid = len(snap.ys) // 2  # x2 does not matter for 1-D sets: take any row
        return curve_fit(snap.xs, snap.output[mid], (data.raw_train, data.y_train), test,
                         title="Fit: the network's function of x1")
    return decision_boundary(snap.xs, snap.ys, snap.output, (data.raw_train, data.y_train), test,
                             data.task, data.n_classes, discretize=discretize, title="Output",
                             z_conf=snap.confidence)


def gradient_views(snap) -> tuple[go.Figure, go.Figure, dict[str, str]]:
    """Live bar chart and layers × time heatmap of ‖∂L/∂W‖₂, and the flagged layers."""
    names = list(snap.grad_norms)
    # Before the first backward pass there are no gradients yet: nothing has vanished.
    flags = flag_gradients(snap.grad_norms) if snap.step > 0 else {}
    bars = gradient_bars(names, [snap.grad_norms[n] for n in names], flags)
    columns = snap.history.get("grad_norms", [])
    steps = snap.history.get("step", [])
    matrix = np.array(columns, dtype=float).T if columns else np.zeros((len(names), 0))
    heat = gradient_heatmap(names, steps, matrix)
    return bars, heat, flags


def stats_view(snap) -> go.Figure:
    """Dead / saturated fraction and mean |activation| per hidden layer."""
    return stats_view_from(snap.activation_stats)


def stats_view_from(by_layer: dict[str, dict[str, float]]) -> go.Figure:
    """The activation-health chart from per-layer statistics (2-D snapshots and image frames)."""
    names = list(by_layer)
    stats = [by_layer[n] for n in names]
    return activation_stats(names, [s["dead"] for s in stats], [s["saturated"] for s in stats],
                            [s["mean_abs"] for s in stats])


def build_figures(data, snap, show_test: bool = True, discretize: bool = False,
                  selected: tuple[int, int] | None = None) -> dict[str, go.Figure]:
    """Every figure of one live frame, by name."""
    bars, heat, _ = gradient_views(snap)
    figures = {"network": diagram(snap, selected), "output": output_view(snap, data, show_test, discretize),
               "curves": loss_curves(snap.history, "epoch", snap.task), "gradient_bars": bars,
               "gradient_heatmap": heat, "activation_stats": stats_view(snap)}
    if selected is not None:
        enlarged = selected_map(snap, data)
        if enlarged is not None:
            figures["neuron"] = enlarged
    return figures
