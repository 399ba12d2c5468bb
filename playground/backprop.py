"""Backpropagation one step at a time: ∂L/∂w on every link, the update Δw, the loss before and after.

`backprop_step` runs the trainer's next mini-batch step (the same step Play would run) and
reports, for every dense weight, the gradient of the batch loss, the update the optimiser
applied and what plain gradient descent would apply (Δw = −η ∂L/∂w; the two agree for SGD
without momentum), with the batch loss before and after the step on that same batch.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.train import weight_penalty


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


def backprop_step(trainer, apply: bool = True) -> BackpropStep:
    """One mini-batch step's gradients and updates on the links.

    apply=True runs the trainer's next step (the one Play would run: its optimiser, penalty
    and clipping) and reports the update it made. apply=False leaves the trainer untouched: it
    works on a copy of the network, takes the plain gradient-descent step Δw = −η ∂L/∂w on the
    same next batch (with the penalty) and reports that, so a view can preview the step.
    """
    if trainer.diverged or trainer.stopped:
        raise ValueError(trainer.diverged or trainer.stopped)
    if trainer._cursor >= len(trainer._batches):
        trainer._start_epoch()
    xb, yb = trainer._batches[trainer._cursor]  # the batch train_steps(1) will use
    lr = trainer.spec.optimizer.lr
    loss_before = _batch_loss(trainer, xb, yb)
    if not apply:
        return _preview(trainer, xb, yb, lr, loss_before)
    dense = [(name, layer) for name, layer in trainer.model.weight_layers() if isinstance(layer, nn.Linear)]
    before = {name: layer.weight.detach().clone() for name, layer in dense}
    trainer.train_steps(1)
    links = {}
    for name, layer in dense:
        grad = layer.weight.grad
        g = grad.detach().cpu().numpy().copy() if grad is not None else np.zeros(tuple(layer.weight.shape), np.float32)
        w0 = before[name].cpu().numpy()
        links[name] = LinkStep(w0, g, layer.weight.detach().cpu().numpy() - w0, -lr * g)
    return BackpropStep(links, loss_before, _batch_loss(trainer, xb, yb), len(xb), lr, trainer.step_count)


def _preview(trainer, xb: torch.Tensor, yb: torch.Tensor, lr: float, loss_before: float) -> BackpropStep:
    """The plain SGD step on a copy of the network: the trainer's weights and .grad stay as they are."""
    model = copy.deepcopy(trainer.model)
    model.train()
    dense = [(name, layer) for name, layer in model.weight_layers() if isinstance(layer, nn.Linear)]
    params = list(model.parameters())  # biases move too, as in the real step
    with torch.inference_mode(False), torch.enable_grad():
        loss = trainer.loss_fn(model(xb), yb)
        penalty = weight_penalty(trainer.spec.regularization, [layer.weight for _, layer in model.weight_layers()])
        if penalty is not None:
            loss = loss + penalty
        grads = dict(zip(map(id, params), torch.autograd.grad(loss, params, allow_unused=True)))
    links = {}
    with torch.no_grad():
        for name, layer in dense:
            g_np = grads[id(layer.weight)].detach().cpu().numpy()
            links[name] = LinkStep(layer.weight.detach().cpu().numpy().copy(), g_np, -lr * g_np, -lr * g_np)
        for p in params:
            if grads[id(p)] is not None:
                p -= lr * grads[id(p)]
        model.eval()
        loss_after = float(trainer.loss_fn(model(xb), yb))
    return BackpropStep(links, loss_before, loss_after, len(xb), lr, trainer.step_count)
