"""Backpropagation one step at a time: ∂L/∂w on every link, the update Δw, the loss before and after.

`backprop_step` runs the trainer's next mini-batch step (the same step Play would run) and
reports, for every dense weight, the gradient of the batch loss, the update the optimiser
applied and what plain gradient descent would apply (Δw = −η ∂L/∂w; the two agree for SGD
without momentum), with the batch loss before and after the step on that same batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class LinkStep:
    """One weight matrix's part of a step; arrays are (out, in) like nn.Linear.weight."""

    weight_before: np.ndarray
    grad: np.ndarray              # ∂L/∂w of the batch loss (with the penalty, after clipping)
    update: np.ndarray            # the change the optimiser made: w_after − w_before
    sgd_update: np.ndarray        # −η ∂L/∂w


@dataclass
class BackpropStep:
    """The whole step: per dense weight layer, and the batch loss before / after."""

    links: dict[str, LinkStep]     # "dense1", ..., "output"
    loss_before: float
    loss_after: float
    batch_size: int
    learning_rate: float
    step: int                      # the trainer's step count after this step


def _batch_loss(trainer, xb: torch.Tensor, yb: torch.Tensor) -> float:
    model = trainer.model
    was_training = model.training
    model.eval()  # deterministic (no dropout), batch norm on its running statistics
    try:
        with torch.inference_mode():
            return float(trainer.loss_fn(model(xb), yb))
    finally:
        model.train(was_training)


def backprop_step(trainer) -> BackpropStep:
    """Run one mini-batch step of the trainer and report its gradients and updates on the links."""
    if trainer.diverged or trainer.stopped:
        raise ValueError(trainer.diverged or trainer.stopped)
    if trainer._cursor >= len(trainer._batches):
        trainer._start_epoch()
    xb, yb = trainer._batches[trainer._cursor]  # the batch train_steps(1) will use
    dense = [(name, layer) for name, layer in trainer.model.weight_layers() if isinstance(layer, nn.Linear)]
    before = {name: layer.weight.detach().clone() for name, layer in dense}
    loss_before = _batch_loss(trainer, xb, yb)
    trainer.train_steps(1)
    lr = trainer.spec.optimizer.lr
    links = {}
    for name, layer in dense:
        grad = layer.weight.grad
        g = grad.detach().cpu().numpy().copy() if grad is not None else np.zeros(tuple(layer.weight.shape), np.float32)
        w0 = before[name].cpu().numpy()
        links[name] = LinkStep(w0, g, layer.weight.detach().cpu().numpy() - w0, -lr * g)
    return BackpropStep(links, loss_before, _batch_loss(trainer, xb, yb), len(xb), lr, trainer.step_count)
