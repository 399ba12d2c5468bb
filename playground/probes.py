"""Forward hooks -> activations, activation gradients and per-layer statistics; the 2-D payload.

Hooks are registered only for the duration of a probe and removed in `finally`, so training
itself runs hook-free; the stored tensors are detached copies keyed by `named_children()`
names ("dense1", "conv2"), so views get plain labels.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch
from torch import nn

from playground.features import PLANE, grid_points  # noqa: F401 - probes.grid_points is public
from playground.frame import Snapshot  # noqa: F401 - defined there, torch-free, so the app unpickles it without torch
from playground.activations import RELU_LIKE, SATURATING

# 2-D playground plane: TensorFlow Playground draws the input space as [-6, 6]².
SATURATED_MARGIN = 0.03   # |a| within 3 % of a tanh/sigmoid bound counts as saturated
SATURATED_SHARE = 0.9     # a unit is saturated when that holds for 90 % of the inputs
THUMBNAIL_RESOLUTION = 21  # cells per side of the neuron maps the diagram draws (symmetric about 0)


@contextmanager
def capture_activations(modules: dict[str, nn.Module], detach: bool = True) -> Iterator[dict[str, torch.Tensor]]:
    """Record each module's forward output by name while the block runs; hooks removed after."""
    store: dict[str, torch.Tensor] = {}

    def hook(name: str):
        def fn(_module, _inputs, output):
            store[name] = output.detach() if detach else output
        return fn

    handles = [module.register_forward_hook(hook(name)) for name, module in modules.items()]
    try:
        yield store
    finally:
        for handle in handles:
            handle.remove()


def unit_statistics(acts: torch.Tensor, activation: str | None) -> dict[str, float]:
    """mean |a|, dead fraction (never positive on the data) and saturated fraction of one layer.

    acts is (n, units) or (n, channels, h, w); a conv channel is one unit.
    """
    a = acts.float()
    if a.dim() == 4:
        a = a.transpose(0, 1).reshape(a.shape[1], -1).T  # (n * h * w, channels)
    mean_abs = float(a.abs().mean()) if a.numel() else 0.0
    dead = float((a.max(dim=0).values <= 0).float().mean()) if activation in RELU_LIKE else 0.0
    saturated = 0.0
    if activation in SATURATING:
        low, high = SATURATING[activation]
        margin = SATURATED_MARGIN * (high - low)
        near = (a <= low + margin) | (a >= high - margin)
        saturated = float((near.float().mean(dim=0) >= SATURATED_SHARE).float().mean())
    return {"mean_abs": mean_abs, "dead": dead, "saturated": saturated}


def _plane_maps(model, data, device, acts_modules, resolution):
    """Inputs, hidden activations and raw outputs over a resolution² grid of the plane."""
    _, _, points = grid_points(resolution)
    inputs = torch.as_tensor(data.inputs_for_points(points), device=device)
    with torch.inference_mode(), capture_activations(acts_modules) as acts:
        out = model(inputs)
    g = resolution
    features = {name: inputs[:, i].cpu().numpy().reshape(g, g) for i, name in enumerate(data.feature_names)}
    neurons = {name: a.T.reshape(a.shape[1], g, g).cpu().numpy() for name, a in acts.items()}
    return features, neurons, out


def _output_maps(trainer, out: torch.Tensor, g: int) -> np.ndarray:
    """Each output unit over the plane: P(class) in [0, 1] (binary: P(class 1)), or the value ŷ."""
    if trainer.data.task == "regression":
        return out.T.reshape(-1, g, g).cpu().numpy()
    probs = trainer.probabilities(out)
    if trainer.data.n_outputs == 1:
        probs = probs[:, 1:]
    return probs.T.reshape(-1, g, g).cpu().numpy()


def layer_probe(trainer, max_samples: int | None = None) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(‖∂L/∂a‖₂ per hidden layer, activation statistics per hidden layer) on the training data.

    One forward and one backward pass in eval mode over the first `max_samples` training rows
    (all when None). torch.autograd.grad differentiates w.r.t. the activations only and leaves
    the parameters' .grad, which the optimiser owns, untouched.
    """
    model = trainer.model
    acts_modules = {name: act for name, act, _ in model.activation_layers()}
    activation_of = {name: fn for name, _, fn in model.activation_layers()}
    x, y = trainer._x_train, trainer._y_train  # the trainer's tensors: targets already in the loss's dtype
    if max_samples is not None:
        x, y = x[:max_samples], y[:max_samples]
    if not acts_modules or len(x) == 0:
        return {}, {}
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(False), torch.enable_grad(), capture_activations(acts_modules, detach=False) as live:
            loss = trainer.loss_fn(model(x), y)
            names = list(live)
            grads = torch.autograd.grad(loss, [live[n] for n in names], allow_unused=True)
        act_grad_norms = {n: float(gr.double().norm()) if gr is not None else 0.0 for n, gr in zip(names, grads)}
        stats = {n: unit_statistics(live[n].detach(), activation_of[n]) for n in names}
    finally:
        model.train(was_training)
    return act_grad_norms, stats


def snapshot(trainer, resolution: int = 100, detail: tuple[int, int] | None = None) -> Snapshot:
    """Probe the trainer's model over the input plane: the 2-D payload of a frame.

    The output is drawn at `resolution`²; every node's map at THUMBNAIL_RESOLUTION² (what the
    diagram shows, and small enough to send between processes 4 times a second), plus the
    `detail` node's map at full resolution for the enlarged view.
    """
    model, data = trainer.model, trainer.data
    xs, ys, _ = grid_points(resolution)
    g = resolution
    was_training = model.training
    model.eval()
    acts_modules = {name: act for name, act, _ in model.activation_layers()}
    try:
        full_features, full_neurons, out = _plane_maps(model, data, trainer.device, acts_modules, g)
        feature_maps, neuron_maps, thumb_out = _plane_maps(model, data, trainer.device, acts_modules,
                                                           THUMBNAIL_RESOLUTION)
    finally:
        model.train(was_training)
    confidence = None
    if data.task == "regression":
        output = out[:, 0]
    elif data.n_outputs == 1:
        output = trainer.probabilities(out)[:, 1]
    else:
        confidence, output = trainer.probabilities(out).max(dim=1)
        confidence = confidence.cpu().numpy().reshape(g, g)
    columns = network_columns(model, data)
    detail_map = None
    if detail is not None and detail[0] < len(columns) and detail[1] < len(columns[detail[0]]["labels"]):
        col, node = detail
        if col == 0:
            detail_map = list(full_features.values())[node]
        elif col == len(columns) - 1:
            detail_map = _output_maps(trainer, out, g)[node]
        else:
            detail_map = full_neurons[columns[col]["name"]][node]
    else:
        detail = None
    weights = [layer.weight.detach().cpu().numpy() for _, layer in model.weight_layers()
               if isinstance(layer, nn.Linear)]
    return Snapshot(data.n_classes, xs, ys, output.reshape(g, g).cpu().numpy(), confidence, feature_maps,
                    neuron_maps, weights, columns, _output_maps(trainer, thumb_out, THUMBNAIL_RESOLUTION),
                    detail, detail_map)


def network_columns(model, data) -> list[dict]:
    """The columns of the network diagram: inputs, each hidden dense layer, the output."""
    from playground.features import LABELS

    # "values" says what a column's maps hold, so the diagram colours and labels each map by it.
    columns = [{"name": "input", "labels": [LABELS.get(f, f) for f in data.feature_names], "activation": None,
                "values": "feature"}]
    for s in model.shapes:
        if s.type == "dense" and s.name != "output":
            columns.append({"name": s.name, "labels": [f"{s.name}.{k + 1}" for k in range(s.out_shape[0])],
                            "activation": s.activation, "values": "activation"})
    if data.task == "regression":
        out_labels, out_act = ["ŷ"], "linear"
    elif data.n_outputs == 1:
        out_labels, out_act = [f"P({data.class_names[1] if len(data.class_names) > 1 else 1})"], "sigmoid"
    else:
        out_labels, out_act = [f"P({c})" for c in data.class_names], "softmax"
    columns.append({"name": "output", "labels": out_labels, "activation": out_act,
                    "values": "prediction" if data.task == "regression" else "probability"})
    return columns


# -- distributions of weights and activations (the lab's L1-vs-L2 and initialisation views) ------
NEAR_ZERO = 1e-3   # |w| below this counts as a weight the penalty has removed (L1 drives weights to exactly 0)


def histogram(values: np.ndarray, bins: int = 40, near_zero: float = NEAR_ZERO) -> dict:
    """Counts over `bins` equal bins of the finite values, and the share with |v| < near_zero."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"counts": np.zeros(bins, dtype=np.int64), "edges": np.linspace(-1, 1, bins + 1), "near_zero": 0.0,
                "n": 0, "mean": 0.0, "std": 0.0}
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return {"counts": counts, "edges": edges, "near_zero": float(np.mean(np.abs(v) < near_zero)),
            "n": int(v.size), "mean": float(v.mean()), "std": float(v.std())}


def weight_histograms(model, bins: int = 40, near_zero: float = NEAR_ZERO) -> dict[str, dict]:
    """Per weight layer ("dense1", ..., "output"), then "all": a histogram of its weights (not
    biases) and the share of near-zero ones (|w| < near_zero)."""
    out: dict[str, dict] = {}
    tensors = [(name, w.detach().cpu().numpy()) for name, w in model.weight_tensors()]
    for name, w in tensors:
        out[name] = histogram(w, bins, near_zero)
    if tensors:
        out["all"] = histogram(np.concatenate([w.ravel() for _, w in tensors]), bins, near_zero)
    return out


def near_zero_share(model, near_zero: float = NEAR_ZERO) -> float:
    """The share of all weights (not biases) with |w| < near_zero."""
    ws = [w.detach().abs().reshape(-1) for _, w in model.weight_tensors()]
    return float((torch.cat(ws) < near_zero).float().mean()) if ws else 0.0


def hidden_activations(model, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each hidden block's activation output on inputs x, in eval mode (the names of activation_layers)."""
    acts_modules = {name: act for name, act, _ in model.activation_layers()}
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), capture_activations(acts_modules) as acts:
            model(x)
    finally:
        model.train(was_training)
    return {name: acts[name] for name in acts_modules if name in acts}


def activation_histograms(model, x: torch.Tensor, bins: int = 40) -> dict[str, dict]:
    """Per hidden layer: a histogram of its activations on inputs x (saturation and dead units show as spikes)."""
    return {name: histogram(a.cpu().numpy(), bins) for name, a in hidden_activations(model, x).items()}


def activation_variance(model, x: torch.Tensor) -> dict[str, float]:
    """Var[a] of each hidden layer's activations over the inputs x and its units.

    At initialisation this is what Glorot & Bengio (2010) and He et al. (2015) keep constant
    from layer to layer: shrinking means a vanishing signal, growing an exploding one.
    """
    return {name: float(a.float().var()) for name, a in hidden_activations(model, x).items()}


def weight_gradient_norms(trainer, max_samples: int | None = 1000) -> dict[str, float]:
    """‖∂L/∂W‖₂ of each weight layer on the training set (not one mini-batch), eval mode.

    Without the noise of a single batch, the ratio between layers is the network's, which is
    what the vanishing-gradients experiment compares. The parameters' .grad is left alone.
    """
    model = trainer.model
    x, y = trainer._x_train, trainer._y_train
    if max_samples is not None:
        x, y = x[:max_samples], y[:max_samples]
    named = model.weight_tensors()
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(False), torch.enable_grad():
            loss = trainer.loss_fn(model(x), y)
            grads = torch.autograd.grad(loss, [w for _, w in named], allow_unused=True)
    finally:
        model.train(was_training)
    return {name: float(g.double().norm()) if g is not None else 0.0 for (name, _), g in zip(named, grads)}
