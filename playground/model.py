"""Spec -> torch.nn.Module with named layers ("dense1", "conv1", "pool1", "output").

Each layer kind's shape rule, module factory and weights are its entry in the registry
(playground/layers.py); this module holds the torch blocks those factories build and walks
the registry to assemble the network. Shapes are inferred before anything is built, so an
impossible network (a kernel larger than its input, a shape that reaches zero) is refused
with a message naming the layer. A flatten is inserted automatically where a dense layer
follows image-shaped data.
"""
from __future__ import annotations

import torch
from torch import nn

from playground.activations import make_activation
from playground.initializers import init_weights
from playground.layers import KINDS, MAX_PARAMETERS, LayerShape, infer_shapes, layer_names  # noqa: F401 (re-exported)
from playground.spec import LayerSpec


class DenseBlock(nn.Module):
    """Linear -> [batch norm] -> activation [+ skip] -> [dropout]."""

    def __init__(self, fan_in: int, spec: LayerSpec):
        super().__init__()
        self.linear = nn.Linear(fan_in, spec.units)
        self.norm = nn.BatchNorm1d(spec.units) if spec.batch_norm else None
        self.act = make_activation(spec.activation)
        self.drop = nn.Dropout(spec.dropout) if spec.dropout > 0 else None
        self.residual = spec.residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear(x)
        if self.norm is not None:
            h = self.norm(h)
        h = self.act(h)
        if self.residual:
            h = h + x
        if self.drop is not None:
            h = self.drop(h)
        return h


class ConvBlock(nn.Module):
    """Conv2d -> [batch norm] -> activation -> [dropout]."""

    def __init__(self, in_channels: int, spec: LayerSpec):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, spec.channels, spec.kernel, spec.stride, spec.padding)
        self.norm = nn.BatchNorm2d(spec.channels) if spec.batch_norm else None
        self.act = make_activation(spec.activation)
        self.drop = nn.Dropout(spec.dropout) if spec.dropout > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        if self.norm is not None:
            h = self.norm(h)
        h = self.act(h)
        if self.drop is not None:
            h = self.drop(h)
        return h


class PlaygroundNet(nn.Sequential):
    """The network of a spec: named blocks in order, ending in the `output` layer (logits)."""

    def __init__(self, blocks: list[tuple[str, nn.Module]], shapes: list[LayerShape]):
        super().__init__()
        for name, module in blocks:
            self.add_module(name, module)
        self.shapes = shapes

    def weight_tensors(self) -> list[tuple[str, nn.Parameter]]:
        """(label, weight tensor) in network order: the tensors whose ‖∂L/∂W‖ we report.

        The label is the layer name ("dense1", "output"), or name.suffix for a kind with several
        weight tensors (a recurrent layer's "lstm1.weight_ih" and "lstm1.weight_hh").
        """
        out = []
        for s in self.shapes:
            block = getattr(self, s.name)
            tensors = {"weight": block.weight} if s.name == "output" else KINDS[s.type].weights(block)
            for suffix, param in tensors.items():
                out.append((s.name if suffix == "weight" else f"{s.name}.{suffix}", param))
        return out

    def weight_layers(self) -> list[tuple[str, nn.Module]]:
        """(name, Linear/Conv2d) pairs in network order: the layers whose ‖∂L/∂W‖ we report.

        Only the tensors called "weight" (see weight_tensors for all of them), each with the
        module that holds it, so callers can read `module.weight`.
        """
        out = []
        for label, param in self.weight_tensors():
            if "." not in label:
                block = getattr(self, label)
                out.append((label, next(m for m in block.modules() if getattr(m, "weight", None) is param)))
        return out

    def activation_layers(self) -> list[tuple[str, nn.Module, str]]:
        """(name, activation module, activation name) of the hidden blocks that have one."""
        return [(s.name, getattr(self, s.name).act, s.activation) for s in self.shapes
                if s.activation is not None]


def build_model(layers: tuple[LayerSpec, ...], input_shape: tuple[int, ...], n_outputs: int,
                init: str = "xavier_uniform", seed: int | None = None, per_step: bool = False) -> PlaygroundNet:
    """Build the network; with `seed` the initial weights are reproducible (per_step: see infer_shapes)."""
    shapes = infer_shapes(layers, input_shape, n_outputs, per_step)
    if seed is not None:
        torch.manual_seed(seed)
    blocks: list[tuple[str, nn.Module]] = []
    shape = tuple(input_shape)
    for s in shapes:
        if s.name == "output":
            module = nn.Linear(shape[-1], n_outputs)
            init_weights(module, init, "linear")
        else:  # a hidden layer, or an automatic flatten (index None)
            layer = layers[s.index] if s.index is not None else None
            where = {"backward": s.backward} if s.type == "last_step" else {}  # see LayerShape.backward
            module = KINDS[s.type].build(layer, shape, init, **where)
        blocks.append((s.name, module))
        shape = s.out_shape
    return PlaygroundNet(blocks, shapes)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
