"""Optimisers by name, built from the spec's optimizer section.

Importing this module does not import torch (the spec only needs OPTIMIZERS).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import torch

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float,
                   momentum: float = 0.0, nesterov: bool = False) -> torch.optim.Optimizer:
    """A torch optimiser; momentum applies to sgd and rmsprop, nesterov to sgd."""
    import torch

    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum,
                               nesterov=nesterov and momentum > 0)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}")


def set_hyperparameters(opt: torch.optim.Optimizer, lr: float, momentum: float) -> None:
    """Change learning rate (and momentum where the optimiser has one) mid-training."""
    for group in opt.param_groups:
        group["lr"] = lr
        if "momentum" in group:
            group["momentum"] = momentum
