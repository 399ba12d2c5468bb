"""Weight initialisation schemes by name; biases start at zero except under `pytorch_default`.

Importing this module does not import torch (the spec only needs INITS).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from playground.activations import GAIN_NAME

if TYPE_CHECKING:
    from torch import nn

INITS = ("pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform",
         "kaiming_normal", "normal", "zeros")


def nonlinearity_for(scheme: str, activation: str | None) -> str:
    """The torch.nn.init nonlinearity name whose gain `scheme` uses for a layer with `activation`.

    Kaiming's formulas know only relu and leaky_relu; every other activation takes "linear".
    """
    nonlinearity = GAIN_NAME.get(activation or "linear", "linear")
    if scheme.startswith("kaiming") and nonlinearity not in ("relu", "leaky_relu"):
        return "linear"
    return nonlinearity


def init_weights(layer: nn.Module, scheme: str, activation: str | None) -> None:
    """Initialise one Linear/Conv/RNN layer's weights in place with `scheme`."""
    if scheme == "pytorch_default":
        return
    from torch import nn

    nonlinearity = nonlinearity_for(scheme, activation)
    for name, param in layer.named_parameters(recurse=False):
        if name.startswith("bias"):
            nn.init.zeros_(param)
            continue
        if scheme == "zeros":
            nn.init.zeros_(param)
        elif scheme == "normal":
            # The "naive" N(0, 1) init: deep nets blow up or vanish with it, which is the point.
            nn.init.normal_(param, 0.0, 1.0)
        elif scheme == "xavier_uniform":
            nn.init.xavier_uniform_(param, gain=nn.init.calculate_gain(nonlinearity, 0.01))
        elif scheme == "xavier_normal":
            nn.init.xavier_normal_(param, gain=nn.init.calculate_gain(nonlinearity, 0.01))
        elif scheme == "kaiming_uniform":
            nn.init.kaiming_uniform_(param, a=0.01 if nonlinearity == "leaky_relu" else 0.0,
                                     nonlinearity=nonlinearity)
        elif scheme == "kaiming_normal":
            nn.init.kaiming_normal_(param, a=0.01 if nonlinearity == "leaky_relu" else 0.0,
                                    nonlinearity=nonlinearity)
        else:  # validated by the spec; a new name must be added above
            raise ValueError(f"unknown init {scheme!r}")
