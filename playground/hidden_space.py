"""The hidden space: the data, and a warped grid of the input plane, in a 2-unit layer's coordinates.

A network classifies by moving the points until a straight line (the output unit) separates
them; ConvNetJS's 2-D demo shows this by drawing each point, and the lines of a grid laid
over the input plane, at the activations (h₁, h₂) of a hidden layer of two units (Olah 2014,
"Neural networks, manifolds, and topology"). Nothing here draws: playground/viz/lab.py does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.features import PLANE
from playground.probes import capture_activations


@dataclass
class HiddenSpace:
    """Points and grid lines mapped through the network up to `layer` (its activations)."""

    layer: str                    # "dense2"
    points: np.ndarray            # (n, 2) the training points in (h₁, h₂)
    labels: np.ndarray            # (n,) their classes (or targets)
    grid_lines: list[np.ndarray]  # each (m, 2): one line of the input grid, warped
    output_line: tuple[float, float, float] | None  # (w₁, w₂, b) of a binary output on this layer, else None


def two_unit_layers(model) -> list[str]:
    """Names of the hidden dense layers with exactly two units."""
    return [s.name for s in model.shapes if s.type == "dense" and s.name != "output" and s.out_shape == (2,)]


def hidden_space(trainer, layer: str | None = None, lines: int = 13, points_per_line: int = 60) -> HiddenSpace:
    """Map the training data and a `lines` × `lines` grid of the plane [-6, 6]² through to `layer`.

    `layer` defaults to the last two-unit layer; ValueError when the network has none or the
    data is not points on the plane.
    """
    model, data = trainer.model, trainer.data
    if data.kind != "points":
        raise ValueError(f"the hidden space needs a 2-D point set; {data.name!r} is {data.kind}")
    candidates = two_unit_layers(model)
    if layer is None:
        if not candidates:
            raise ValueError("the hidden space needs a hidden dense layer of 2 units; this network has none")
        layer = candidates[-1]
    elif layer not in candidates:
        raise ValueError(f"{layer!r} is not a hidden dense layer of 2 units; those are: {', '.join(candidates) or 'none'}")
    ticks = np.linspace(-PLANE, PLANE, lines, dtype=np.float32)
    run = np.linspace(-PLANE, PLANE, points_per_line, dtype=np.float32)
    segments = [np.stack([np.full_like(run, t), run], axis=1) for t in ticks]     # vertical lines
    segments += [np.stack([run, np.full_like(run, t)], axis=1) for t in ticks]    # horizontal lines
    raw = np.concatenate([data.raw_train] + segments)                              # (n + 2·lines·m, 2)
    x = torch.as_tensor(data.inputs_for_points(raw), device=trainer.device)
    block = getattr(model, layer)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), capture_activations({layer: block}) as acts:
            model(x)
    finally:
        model.train(was_training)
    h = acts[layer].cpu().numpy().astype(np.float64)                              # (rows, 2)
    n = len(data.raw_train)
    grid = [h[n + i * points_per_line: n + (i + 1) * points_per_line] for i in range(2 * lines)]
    output_line = None
    names = [s.name for s in model.shapes]
    if names.index(layer) == len(names) - 2 and data.task == "classification" and data.n_outputs == 1:
        w = model.output.weight.detach().cpu().numpy()[0]
        output_line = (float(w[0]), float(w[1]), float(model.output.bias.detach().cpu()[0]))
    return HiddenSpace(layer, h[:n], np.asarray(data.y_train), grid, output_line)
