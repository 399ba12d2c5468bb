"""Universal approximation (Cybenko 1989, Hornik 1991): a 1-hidden-layer net's fit as a sum of units.

With one hidden layer, ŷ(x) = b + Σⱼ vⱼ·σ(wⱼ·x + cⱼ): each hidden unit contributes one bump,
step or hinge, scaled by its outgoing weight vⱼ. `hidden_unit_curves` returns those weighted
curves over the x-range of a 1-D set, so a view can draw the fit as the sum it is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from datasets.curves import X_RANGE
from playground.probes import capture_activations


@dataclass
class UnitCurves:
    """The fit and its parts on a grid of x."""

    x: np.ndarray                 # (m,)
    fit: np.ndarray               # (m,) the network's ŷ
    units: np.ndarray             # (units, m): vⱼ·σ(wⱼ·x + cⱼ) of each hidden unit
    bias: float                   # the output's bias b: fit = bias + units.sum(0) (up to float error)


def hidden_unit_curves(trainer, points: int = 200) -> UnitCurves:
    """Each hidden unit's weighted curve of a one-hidden-layer dense net on a 1-D (curve) set."""
    model, data = trainer.model, trainer.data
    hidden = [s for s in model.shapes if s.name != "output"]
    if data.kind != "curve" or len(hidden) != 1 or hidden[0].type != "dense":
        raise ValueError("the unit curves need one hidden dense layer on a 1-D set (sine, step, abs, poly)")
    name = hidden[0].name
    x = np.linspace(-X_RANGE, X_RANGE, points, dtype=np.float32)
    inputs = torch.as_tensor(data.inputs_for_points(np.stack([x, np.zeros_like(x)], axis=1)), device=trainer.device)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), capture_activations({name: getattr(model, name)}) as acts:
            fit = model(inputs)[:, 0]
    finally:
        model.train(was_training)
    v = model.output.weight.detach()[0]                                  # (units,)
    units = (acts[name] * v).T.cpu().numpy()                             # (units, m)
    return UnitCurves(x, fit.cpu().numpy(), units, float(model.output.bias.detach()[0]))
