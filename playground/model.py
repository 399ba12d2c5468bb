"""Spec -> torch.nn.Module with named layers ("dense1", "conv1", "pool1", "output").

Shapes are inferred before anything is built, so an impossible network (a kernel larger
than its input, a shape that reaches zero) is refused with a message naming the layer.
A flatten is inserted automatically where a dense layer follows image-shaped data.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from playground.activations import make_activation
from playground.initializers import init_weights
from playground.spec import LayerSpec, SpecError


MAX_PARAMETERS = 5_000_000  # beyond this a CPU cannot train live; say so instead of hanging


@dataclass(frozen=True)
class LayerShape:
    """What one built layer does to the data: its name, type, output shape and parameters."""

    name: str
    type: str
    out_shape: tuple[int, ...]   # per sample: (units,) or (channels, h, w)
    params: int
    index: int | None            # position in spec.layers; None for auto flatten and output
    activation: str | None = None


def _count_names(layers: tuple[LayerSpec, ...]) -> list[str]:
    prefix = {"dense": "dense", "conv2d": "conv", "maxpool2d": "pool", "avgpool2d": "pool",
              "flatten": "flatten", "dropout": "dropout", "batchnorm": "bn"}
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        p = prefix[layer.type]
        counts[p] = counts.get(p, 0) + 1
        names.append(f"{p}{counts[p]}")
    return names


def infer_shapes(layers: tuple[LayerSpec, ...], input_shape: tuple[int, ...], n_outputs: int) -> list[LayerShape]:
    """Output shape and parameter count of every layer, in order; SpecError if impossible."""
    shapes: list[LayerShape] = []
    shape = tuple(input_shape)
    for i, (layer, name) in enumerate(zip(layers, _count_names(layers))):
        where = f"layers[{i}]"
        label = f"layer {i + 1} ({name})"
        if layer.type in ("dense",) and len(shape) > 1:
            shape = (shape[0] * shape[1] * shape[2],)
            shapes.append(LayerShape(f"flatten_{name}", "flatten", shape, 0, None))
        if layer.type == "dense":
            fan_in = shape[0]
            params = fan_in * layer.units + layer.units + (2 * layer.units if layer.batch_norm else 0)
            if layer.residual and fan_in != layer.units:
                raise SpecError(f"{where}.residual", f"{label}: a skip connection needs the layer's input width "
                                f"({fan_in}) to equal its units ({layer.units})")
            shape = (layer.units,)
            shapes.append(LayerShape(name, "dense", shape, params, i, layer.activation))
        elif layer.type in ("conv2d", "maxpool2d", "avgpool2d"):
            if len(shape) != 3:
                raise SpecError(f"{where}.type", f"{label}: {layer.type} needs image-shaped input "
                                f"(channels × height × width), but it gets a flat vector of {shape[0]}")
            c, h, w = shape
            k = layer.kernel
            if layer.type == "conv2d":
                stride, pad = layer.stride, layer.padding
            else:
                stride, pad = layer.stride, 0
            if k > h + 2 * pad or k > w + 2 * pad:
                raise SpecError(f"{where}.kernel", f"{label}: kernel {k} is larger than its "
                                f"{h}×{w} input{f' (padded by {pad})' if pad else ''}")
            oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
            if oh < 1 or ow < 1:
                raise SpecError(f"{where}", f"{label}: the output shape reaches zero ({oh}×{ow})")
            if layer.type == "conv2d":
                out_c = layer.channels
                params = c * out_c * k * k + out_c + (2 * out_c if layer.batch_norm else 0)
                shapes.append(LayerShape(name, "conv2d", (out_c, oh, ow), params, i, layer.activation))
                shape = (out_c, oh, ow)
            else:
                shape = (c, oh, ow)
                shapes.append(LayerShape(name, layer.type, shape, 0, i))
        elif layer.type == "flatten":
            if len(shape) == 3:
                shape = (shape[0] * shape[1] * shape[2],)
            shapes.append(LayerShape(name, "flatten", shape, 0, i))
        elif layer.type == "dropout":
            shapes.append(LayerShape(name, "dropout", shape, 0, i))
        elif layer.type == "batchnorm":
            shapes.append(LayerShape(name, "batchnorm", shape, 2 * shape[0], i))
    if len(shape) > 1:
        shape = (shape[0] * shape[1] * shape[2],)
        shapes.append(LayerShape("flatten", "flatten", shape, 0, None))
    shapes.append(LayerShape("output", "dense", (n_outputs,), shape[0] * n_outputs + n_outputs, None))
    total = sum(s.params for s in shapes)
    if total > MAX_PARAMETERS:
        biggest = max(shapes, key=lambda s: s.params)
        raise SpecError("layers", f"the network has {total:,} parameters; the playground trains at most "
                        f"{MAX_PARAMETERS:,} (the largest layer is {biggest.name} with {biggest.params:,})")
    return shapes


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

    def weight_layers(self) -> list[tuple[str, nn.Module]]:
        """(name, Linear/Conv2d) pairs in network order: the layers whose ‖∂L/∂W‖ we report."""
        out = []
        for name, block in self.named_children():
            if isinstance(block, DenseBlock):
                out.append((name, block.linear))
            elif isinstance(block, ConvBlock):
                out.append((name, block.conv))
            elif isinstance(block, nn.Linear):
                out.append((name, block))
        return out

    def activation_layers(self) -> list[tuple[str, nn.Module, str]]:
        """(name, activation module, activation name) of the hidden dense/conv blocks."""
        acts = {s.name: s.activation for s in self.shapes}
        return [(name, block.act, acts[name]) for name, block in self.named_children()
                if isinstance(block, (DenseBlock, ConvBlock))]


def build_model(layers: tuple[LayerSpec, ...], input_shape: tuple[int, ...], n_outputs: int,
                init: str = "xavier_uniform", seed: int | None = None) -> PlaygroundNet:
    """Build the network; with `seed` the initial weights are reproducible."""
    shapes = infer_shapes(layers, input_shape, n_outputs)
    if seed is not None:
        torch.manual_seed(seed)
    blocks: list[tuple[str, nn.Module]] = []
    shape = tuple(input_shape)
    for s in shapes:
        layer = layers[s.index] if s.index is not None else None
        if s.type == "flatten":
            blocks.append((s.name, nn.Flatten()))
        elif s.name == "output":
            linear = nn.Linear(shape[0], n_outputs)
            init_weights(linear, init, "linear")
            blocks.append(("output", linear))
        elif s.type == "dense":
            block = DenseBlock(shape[0], layer)
            init_weights(block.linear, init, layer.activation)
            blocks.append((s.name, block))
        elif s.type == "conv2d":
            block = ConvBlock(shape[0], layer)
            init_weights(block.conv, init, layer.activation)
            blocks.append((s.name, block))
        elif s.type == "maxpool2d":
            blocks.append((s.name, nn.MaxPool2d(layer.kernel, layer.stride)))
        elif s.type == "avgpool2d":
            blocks.append((s.name, nn.AvgPool2d(layer.kernel, layer.stride)))
        elif s.type == "dropout":
            blocks.append((s.name, nn.Dropout(layer.rate)))
        elif s.type == "batchnorm":
            blocks.append((s.name, nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])))
        shape = s.out_shape
    return PlaygroundNet(blocks, shapes)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
