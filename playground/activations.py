"""Activation functions by name: the registry the spec's `activation` fields resolve through.

Importing this module does not import torch (the spec and the UI only need the names);
each factory imports it when it builds a module.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from torch import nn

@lru_cache(maxsize=1)
def _sin_class() -> type:
    """The Sin module class, defined on first use so that torch loads only with a model."""
    import torch
    from torch import nn

    class Sin(nn.Module):
        """sin(x): periodic activation (TensorFlow Playground offers it; SIREN-style nets use it)."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sin(x)

    Sin.__module__, Sin.__qualname__ = __name__, "Sin"  # pickle finds it as playground.activations.Sin
    return Sin


def __getattr__(name: str) -> Any:
    """`playground.activations.Sin` still works, built on first access (PEP 562)."""
    if name == "Sin":
        return _sin_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _torch_module(class_name: str, *args: Any) -> Callable[[], "nn.Module"]:
    """A factory for torch.nn.<class_name>(*args), importing torch when called."""
    def make() -> "nn.Module":
        from torch import nn

        return getattr(nn, class_name)(*args)

    make.__name__ = class_name
    return make


ACTIVATIONS: dict[str, Callable[[], "nn.Module"]] = {
    "relu": _torch_module("ReLU"),
    "leaky_relu": _torch_module("LeakyReLU", 0.01),
    "elu": _torch_module("ELU"),
    "gelu": _torch_module("GELU"),
    "silu": _torch_module("SiLU"),
    "tanh": _torch_module("Tanh"),
    "sigmoid": _torch_module("Sigmoid"),
    "softplus": _torch_module("Softplus"),
    "sin": lambda: _sin_class()(),
    "linear": _torch_module("Identity"),
}
ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)  # in the order the UI lists them

# Which activations can leave a unit "dead" (never positive on the data) and which
# saturate; the probes use these to compute dead / saturated fractions per layer.
RELU_LIKE = frozenset({"relu", "leaky_relu", "elu", "gelu", "silu", "softplus"})
SATURATING = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}

# The init gain (torch.nn.init.calculate_gain) that suits each activation, for xavier/kaiming.
GAIN_NAME = {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "sigmoid": "sigmoid",
             "linear": "linear", "elu": "relu", "gelu": "relu", "silu": "relu", "softplus": "relu",
             "sin": "linear"}


def make_activation(name: str) -> "nn.Module":
    """A fresh activation module for `name` (see ACTIVATIONS)."""
    return ACTIVATIONS[name]()


def activation_curves(names: tuple[str, ...] | list[str] = ACTIVATION_NAMES, lo: float = -5.0, hi: float = 5.0,
                      points: int = 201) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """(x, f(x), f′(x)) of each activation, f′ by autograd (so it is exactly what backprop uses).

    sigmoid′ peaks at 1/4 (each sigmoid layer shrinks a gradient at least fourfold), tanh′ at
    1, ReLU′ is 0 or 1: the root of vanishing gradients.
    """
    import torch

    out = {}
    for name in names:
        x = torch.linspace(lo, hi, points, requires_grad=True)
        y = make_activation(name)(x)
        (dy,) = torch.autograd.grad(y.sum(), x)
        out[name] = (x.detach().tolist(), y.detach().tolist(), dy.tolist())
    return out
