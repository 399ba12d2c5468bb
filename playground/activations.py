"""Activation functions by name: the registry the spec's `activation` fields resolve through."""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class Sin(nn.Module):
    """sin(x): periodic activation (TensorFlow Playground offers it; SIREN-style nets use it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "sin": Sin,
    "linear": nn.Identity,
}

# Which activations can leave a unit "dead" (never positive on the data) and which
# saturate; the probes use these to compute dead / saturated fractions per layer.
RELU_LIKE = frozenset({"relu", "leaky_relu", "elu", "gelu", "silu", "softplus"})
SATURATING = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}

# The init gain (torch.nn.init.calculate_gain) that suits each activation, for xavier/kaiming.
GAIN_NAME = {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "sigmoid": "sigmoid",
             "linear": "linear", "elu": "relu", "gelu": "relu", "silu": "relu", "softplus": "relu",
             "sin": "linear"}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for `name` (see ACTIVATIONS)."""
    return ACTIVATIONS[name]()
