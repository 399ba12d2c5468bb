"""Figures of the lab's extra views, one function per view name of playground.lab (no torch here).

Each takes the plain result of its engine function (playground/probes.py, landscape.py,
hidden_space.py, backprop.py, approximation.py, ...) and returns a plotly Figure.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import plotly.graph_objects as go

from ._common import empty_figure, make_figure, to_float_list
from .curves import epoch_marks
from .colors import BLUE, DARK, DIVERGING, ORANGE, QUALITATIVE, class_colors
from .images import attribution_overlay, feature_maps, filters, image_grid


def weight_histogram(histograms: dict[str, dict], title: str = "Weights", value: str = "w") -> go.Figure:
    """One bar histogram per layer (probes.weight_histograms or activation_histograms), the near-zero share
    in the legend."""
    layers = {k: v for k, v in histograms.items() if k != "all"} or histograms
    traces = []
    for i, (name, h) in enumerate(layers.items()):
        edges = np.asarray(h["edges"], dtype=float)
        traces.append(dict(type="bar", x=((edges[:-1] + edges[1:]) / 2).tolist(), y=np.asarray(h["counts"]).tolist(),
                           width=float(edges[1] - edges[0]) if len(edges) > 1 else None, opacity=0.6,
                           name=f"{name} · {100 * h['near_zero']:.1f} % |{value}| < 0.001",
                           marker=dict(color=QUALITATIVE[i % len(QUALITATIVE)])))
    total = histograms.get("all")
    if total is not None:
        title = f"{title} · {100 * total['near_zero']:.1f} % near zero"
    return make_figure(traces, dict(barmode="overlay", xaxis=dict(title=dict(text=value)),
                                    yaxis=dict(title=dict(text="count")), legend=dict(orientation="h", y=-0.25)),
                       title=title, height=320)


def loss_landscape(landscape: Any, paths: dict[str, np.ndarray] | None = None, log: bool = True) -> go.Figure:
    """Contours of the loss over the slice (landscape.Landscape), with the run's path and any others.

    `paths` maps a run label to (n, 2) coordinates from landscape.project (other runs on this slice).
    """
    z = np.asarray(landscape.loss, dtype=float)
    finite = np.isfinite(z)
    if not finite.any():
        return empty_figure("The loss is not finite anywhere on this slice.", title="Loss landscape")
    z = np.where(finite, z, np.nanmax(np.where(finite, z, np.nan)))
    shown = np.log10(np.maximum(z, 1e-12)) if log else z
    traces: list[dict] = [dict(type="contour", x=landscape.alphas.tolist(), y=landscape.betas.tolist(),
                               z=shown.tolist(), colorscale="Viridis", ncontours=24,
                               colorbar=dict(title=dict(text="log₁₀ loss" if log else "loss")),
                               hovertemplate="α %{x:.3f}<br>β %{y:.3f}<br>%{z:.3f}<extra></extra>")]
    all_paths = dict(paths or {})
    if landscape.path is not None and "this run" not in all_paths and not paths:
        all_paths["this run"] = landscape.path
    for i, (label, path) in enumerate(all_paths.items()):
        p = np.asarray(path, dtype=float)
        colour = QUALITATIVE[(i + 3) % len(QUALITATIVE)]
        traces.append(dict(type="scatter", x=p[:, 0].tolist(), y=p[:, 1].tolist(), mode="lines+markers", name=label,
                           line=dict(color=colour, width=2), marker=dict(size=4, color=colour)))
        traces.append(dict(type="scatter", x=[float(p[-1, 0])], y=[float(p[-1, 1])], mode="markers", showlegend=False,
                           marker=dict(size=10, color=colour, symbol="star"), hoverinfo="skip"))
    axis = "PCA direction" if landscape.directions == "pca" else "filter-normalised direction"
    return make_figure(traces, dict(xaxis=dict(title=dict(text=f"α ({axis} 1)")),
                                    yaxis=dict(title=dict(text=f"β ({axis} 2)")),
                                    legend=dict(orientation="h", y=-0.2)),
                       title=f"Loss landscape · {landscape.loss.shape[0]}² points in {landscape.seconds * 1000:.0f} ms",
                       height=420)


def hidden_space(space: Any, n_classes: int = 2) -> go.Figure:
    """The data and the warped input grid in a 2-unit layer's coordinates (hidden_space.HiddenSpace)."""
    traces: list[dict] = []
    for line in space.grid_lines:
        traces.append(dict(type="scatter", x=line[:, 0].tolist(), y=line[:, 1].tolist(), mode="lines",
                           line=dict(color="#b0b7bf", width=1), hoverinfo="skip", showlegend=False))
    labels = np.asarray(space.labels)
    colours = class_colors(max(2, n_classes))
    for k in np.unique(labels).astype(int) if labels.dtype.kind in "iu" else []:
        pts = space.points[labels == k]
        traces.append(dict(type="scatter", x=pts[:, 0].tolist(), y=pts[:, 1].tolist(), mode="markers",
                           name=f"class {k}", marker=dict(size=6, color=colours[k % len(colours)],
                                                          line=dict(color="white", width=1))))
    layout: dict[str, Any] = dict(xaxis=dict(title=dict(text=f"{space.layer}.1")),
                                  yaxis=dict(title=dict(text=f"{space.layer}.2"), scaleanchor="x"),
                                  legend=dict(orientation="h", y=-0.2))
    if space.output_line is not None:
        w1, w2, b = space.output_line
        xs = np.array([space.points[:, 0].min() - 0.1, space.points[:, 0].max() + 0.1])
        if abs(w2) > 1e-9:
            traces.append(dict(type="scatter", x=xs.tolist(), y=(-(w1 * xs + b) / w2).tolist(), mode="lines",
                               name="output's line", line=dict(color=DARK, dash="dash", width=2)))
        lo, hi = space.points[:, 1].min(), space.points[:, 1].max()
        layout["yaxis"]["range"] = [float(lo - 0.2 * (hi - lo + 1e-3)), float(hi + 0.2 * (hi - lo + 1e-3))]
    return make_figure(traces, layout, title=f"Hidden space · {space.layer}", height=420)


def link_gradients(step: Any) -> go.Figure:
    """∂L/∂w and Δw of every dense weight for one step (backprop.BackpropStep), one heatmap pair per layer."""
    names = list(step.links)
    if not names:
        return empty_figure("No dense weights to show.", title="Gradients on the links")
    traces, layout = [], {}
    n = len(names)
    for i, name in enumerate(names):
        link = step.links[name]
        for j, (what, values) in enumerate((("∂L/∂w", link.grad), ("Δw", link.update))):
            idx = 2 * i + j + 1
            vmax = float(np.max(np.abs(values))) or 1.0
            traces.append(dict(type="heatmap", z=np.asarray(values, dtype=float).tolist(), zmin=-vmax, zmax=vmax,
                               colorscale=DIVERGING, showscale=False, xaxis=f"x{idx}", yaxis=f"y{idx}",
                               hovertemplate=f"{name} {what}<br>to unit %{{y}} from input %{{x}}<br>%{{z:.3g}}"
                                             f"<extra></extra>"))
            layout[f"xaxis{idx}"] = dict(domain=[j / 2 + 0.02, (j + 1) / 2 - 0.02], anchor=f"y{idx}",
                                         showticklabels=False, title=dict(text=f"{name} {what}"))
            layout[f"yaxis{idx}"] = dict(domain=[1 - (i + 1) / n + 0.04, 1 - i / n - 0.04], anchor=f"x{idx}",
                                         showticklabels=False)
    title = f"Batch loss {step.loss_before:.4f} → {step.loss_after:.4f} after one step (η = {step.learning_rate:g})"
    return make_figure(traces, layout, title=title, height=max(260, 140 * n))


def width_error(widths: list[int], errors: list[float]) -> go.Figure:
    """Test error against hidden width (log-log): universal approximation's measured curve."""
    return make_figure([dict(type="scatter", x=list(widths), y=to_float_list(errors), mode="lines+markers",
                             line=dict(color=BLUE, width=2), marker=dict(size=8),
                             hovertemplate="%{x} units<br>test MSE %{y:.4g}<extra></extra>")],
                       dict(xaxis=dict(type="log", title=dict(text="hidden units")),
                            yaxis=dict(type="log", title=dict(text="test MSE"))),
                       title="Error against width", height=300)


def unit_curves(curves: Any, train: tuple[np.ndarray, np.ndarray] | None = None, max_units: int = 32) -> go.Figure:
    """The fit and each hidden unit's weighted curve vⱼ·σ(wⱼx + cⱼ) (approximation.UnitCurves)."""
    traces: list[dict] = []
    if train is not None:
        traces.append(dict(type="scatter", x=np.asarray(train[0]).tolist(), y=np.asarray(train[1]).tolist(),
                           mode="markers", name="train", marker=dict(size=5, color="#9aa3ab")))
    for j, unit in enumerate(curves.units[:max_units]):
        traces.append(dict(type="scatter", x=curves.x.tolist(), y=unit.tolist(), mode="lines",
                           name=f"unit {j + 1}", line=dict(width=1, color=QUALITATIVE[j % len(QUALITATIVE)]),
                           opacity=0.7, showlegend=len(curves.units) <= 8))
    traces.append(dict(type="scatter", x=curves.x.tolist(), y=curves.fit.tolist(), mode="lines", name="fit (sum + b)",
                       line=dict(color=DARK, width=3)))
    return make_figure(traces, dict(xaxis=dict(title=dict(text="x1")), yaxis=dict(title=dict(text="y")),
                                    legend=dict(orientation="h", y=-0.2)),
                       title=f"The fit as a sum of {len(curves.units)} units", height=360)


def activation_curves(curves: dict[str, tuple[list[float], list[float], list[float]]]) -> go.Figure:
    """f (solid) and f′ (dotted) of each activation (activations.activation_curves)."""
    traces = []
    for i, (name, (x, f, df)) in enumerate(curves.items()):
        colour = QUALITATIVE[i % len(QUALITATIVE)]
        traces.append(dict(type="scatter", x=x, y=f, mode="lines", name=f"{name}", line=dict(color=colour, width=2)))
        traces.append(dict(type="scatter", x=x, y=df, mode="lines", name=f"{name}′",
                           line=dict(color=colour, width=2, dash="dot")))
    return make_figure(traces, dict(xaxis=dict(title=dict(text="z")), yaxis=dict(title=dict(text="f(z), f′(z)")),
                                    legend=dict(orientation="h", y=-0.2)), title="Activations and their slopes",
                       height=340)


def activation_variance(by_run: dict[str, dict[str, float]]) -> go.Figure:
    """Var[a] per hidden layer at initialisation, one line per run (log scale)."""
    traces = []
    for i, (label, variances) in enumerate(by_run.items()):
        values = [v if v > 0 else None for v in variances.values()]
        traces.append(dict(type="scatter", x=list(variances), y=values, mode="lines+markers", name=label,
                           line=dict(color=QUALITATIVE[i % len(QUALITATIVE)], width=2)))
    return make_figure(traces, dict(yaxis=dict(type="log", title=dict(text="Var[a] at init")),
                                    xaxis=dict(title=dict(text="layer")), legend=dict(orientation="h", y=-0.25)),
                       title="Activation variance per layer", height=320)


def output_gradient(logits: list[float], by_loss: dict[str, list[float]]) -> go.Figure:
    """|∂L/∂z| against the output logit z for a point of class 1, one curve per loss."""
    colours = (ORANGE, BLUE, DARK)
    traces = [dict(type="scatter", x=list(logits), y=list(values), mode="lines", name=name,
                   line=dict(color=colours[i % 3], width=2)) for i, (name, values) in enumerate(by_loss.items())]
    return make_figure(traces, dict(xaxis=dict(title=dict(text="output logit z (true class 1)")),
                                    yaxis=dict(title=dict(text="|∂L/∂z|")), legend=dict(orientation="h", y=-0.25)),
                       title="Gradient at the output", height=320)


def filters_before_after(before: np.ndarray, after: np.ndarray, layer_name: str) -> tuple[go.Figure, go.Figure]:
    """The same conv layer's filters at initialisation and now (viz.images.filters twice)."""
    return filters(before, f"{layer_name} at init"), filters(after, f"{layer_name} trained")


def top_images(images: np.ndarray, scores: np.ndarray, layer_name: str, channel: int) -> go.Figure:
    """The test images that excite one channel most, each titled with its mean activation."""
    return image_grid(images, [f"{s:.2f}" for s in scores], cols=min(8, len(images)),
                      title=f"Images that excite {layer_name} channel {channel} most")


def input_sensitivity(xs: np.ndarray, ys: np.ndarray, sensitivity: np.ndarray) -> go.Figure:
    """|∂ŷ/∂x| over the plane (interpret.input_sensitivity)."""
    return make_figure([dict(type="heatmap", x=np.asarray(xs).tolist(), y=np.asarray(ys).tolist(),
                             z=np.asarray(sensitivity, dtype=float).tolist(), colorscale="Magma",
                             colorbar=dict(title=dict(text="|∂ŷ/∂x|")),
                             hovertemplate="x₁ %{x:.2f}<br>x₂ %{y:.2f}<br>%{z:.3g}<extra></extra>")],
                       dict(xaxis=dict(title=dict(text="x₁")), yaxis=dict(title=dict(text="x₂"), scaleanchor="x")),
                       title="Input sensitivity (saliency)", height=360)


def gradient_norms(by_run: dict[str, dict[str, float]]) -> go.Figure:
    """‖∂L/∂W‖ per layer on the training set, one group of bars per run (log scale)."""
    traces = [dict(type="bar", x=list(norms), y=[v if v > 0 else None for v in norms.values()], name=label,
                   marker=dict(color=QUALITATIVE[i % len(QUALITATIVE)]))
              for i, (label, norms) in enumerate(by_run.items())]
    return make_figure(traces, dict(barmode="group", yaxis=dict(type="log", title=dict(text="‖∂L/∂W‖₂")),
                                    legend=dict(orientation="h", y=-0.25)), title="Gradient norm per layer", height=320)


def loss_overlay(by_run: dict[str, dict[str, list]]) -> go.Figure:
    """Train (solid) and test (dashed) loss of every run on one chart, with early-stopping marks."""
    traces = []
    for i, (label, h) in enumerate(by_run.items()):
        colour = QUALITATIVE[i % len(QUALITATIVE)]
        for key, dash in (("train_loss", "solid"), ("test_loss", "dash")):
            traces.append(dict(type="scatter", x=h.get("epoch", []), y=to_float_list(h.get(key, [])), mode="lines",
                               name=f"{label} {key.split('_')[0]}", line=dict(color=colour, dash=dash, width=2)))
    shapes, notes = [], []
    for h in by_run.values():
        s, n = epoch_marks(h)
        shapes += s
        notes += n
    return make_figure(traces, dict(xaxis=dict(title=dict(text="epoch")), yaxis=dict(type="log", title=dict(text="loss")),
                                    legend=dict(orientation="h", y=-0.25), shapes=shapes, annotations=notes),
                       title="Loss", height=340)


Runs = list[tuple[str, Any]]  # (run label, the data VIEW_DATA[name] returned for that run)


def _ns(data: dict) -> SimpleNamespace:
    return SimpleNamespace(**data)


def _each(runs: Runs, draw: Callable[[str, Any], go.Figure | list[go.Figure]]) -> list[go.Figure]:
    figs: list[go.Figure] = []
    for label, data in runs:
        if data is None:
            continue
        out = draw(label, data)
        figs.extend(out if isinstance(out, (list, tuple)) else [out])
    return figs


def _titled(fig: go.Figure, label: str) -> go.Figure:
    fig.update_layout(title_text=f"{label} · {fig.layout.title.text or ''}".rstrip(" ·"))
    return fig


def memory_gradient(data: dict, label: str) -> go.Figure:
    """One run's gradient through time (averaged over test sequences), drawn as the sequence view draws it,
    its steps numbered; the runs side by side make the memory horizons comparable."""
    from .sequence import gradient_through_time

    T = len(data["grad_hidden"])
    payload = SimpleNamespace(tokens=[str(t) for t in range(1, T + 1)], grad_input=data["grad_input"],
                              horizon=data["horizon"],
                              layers=[SimpleNamespace(name=data["layer"], grad_hidden=data["grad_hidden"])])
    fig = gradient_through_time(payload)
    fig.update_layout(title_text=f"{label} · horizon {data['horizon']} of {T} steps")
    fig.update_xaxes(title_text="step")
    return fig


def _landscapes(runs: Runs) -> list[go.Figure]:
    """One chart with every run's path when the first run's data holds the others' (lab.shared_loss_landscape),
    else one chart per run."""
    first = runs[0][1] if runs else None
    if first is not None and first.get("other_paths"):
        paths = {runs[0][0]: first["path"], **{label: p for (label, _), p in zip(runs[1:], first["other_paths"])}}
        return [loss_landscape(_ns(first), paths)]
    return _each(runs, lambda label, d: _titled(loss_landscape(_ns(d)), label))


# View name (playground.lab.LabExperiment.views) -> figures from every run's data.
FIGURES: dict[str, Callable[[Runs], list[go.Figure]]] = {
    "width_error": lambda runs: [width_error([d["width"] for _, d in runs], [d["test_mse"] for _, d in runs])],
    "unit_curves": lambda runs: _each(runs[-1:], lambda label, d: _titled(unit_curves(_ns(d), d["train"]), label)),
    "link_gradients": lambda runs: _each(runs, lambda label, d: _titled(link_gradients(SimpleNamespace(
        **{**d, "links": {k: _ns(v) for k, v in d["links"].items()}})), label)),
    "activation_curves": lambda runs: [activation_curves({k: v for _, d in runs for k, v in d.items()})],
    "gradient_norms": lambda runs: [gradient_norms(dict(runs))],
    "activation_variance": lambda runs: [activation_variance(dict(runs))],
    "weight_histogram": lambda runs: _each(runs, lambda label, d: weight_histogram(d, title=f"{label} · weights")),
    "activation_histogram": lambda runs: _each(runs, lambda label, d: weight_histogram(
        d, title=f"{label} · activations at init", value="a")),
    "loss_curves": lambda runs: [loss_overlay(dict(runs))],
    "output_gradient": lambda runs: [output_gradient(runs[0][1]["logits"], {d["loss"]: d["grad"] for _, d in runs})],
    "loss_landscape": lambda runs: _landscapes(runs),
    "filters_before_after": lambda runs: _each(runs, lambda label, d: list(filters_before_after(
        d["before"], d["after"], d["layer"]))),
    "feature_maps": lambda runs: _each(runs, lambda label, d: [feature_maps(m, name) for name, m in d["maps"].items()]),
    "top_images": lambda runs: _each(runs, lambda label, d: top_images(d["images"], d["scores"], d["layer"],
                                                                       d["channel"])),
    "hidden_space": lambda runs: _each(runs, lambda label, d: _titled(hidden_space(_ns(d), d["n_classes"]), label)),
    "input_sensitivity": lambda runs: _each(runs, lambda label, d: _titled(input_sensitivity(
        d["xs"], d["ys"], d["sensitivity"]), label)),
    "attributions": lambda runs: _each(runs, lambda label, d: [attribution_overlay(d["image"], a, f"{label} · {m}")
                                                               for m, a in d["attributions"].items()]),
    "gradient_through_time": lambda runs: _each(runs, lambda label, d: memory_gradient(d, label)),
}
