"""The registry of layer kinds: one entry per kind holds everything the playground knows about it.

An entry (`LayerKind`) gives the kind's title and name prefix, its fields (type, default, the
range validation accepts and how each is drawn as a control), its shape rule, its module
factory and its weight tensors. The spec (its `LayerSpec` dataclass, JSON, URL and validation),
the model builder, the gradient norms and the UI's layer cards all read this one table:
adding a kind is adding one entry to `KINDS`.

    kind = KINDS["conv2d"]
    kind.title, kind.prefix, kind.needs_image     # "Conv 2-D", "conv", True
    [f.name for f in kind.fields]                 # channels, kernel, stride, padding, activation, ...
    kind.infer(layer, (1, 28, 28), index=0)       # ((8, 28, 28), 80), or SpecError naming the layer

No torch here: the module factories import it when called, so a spec can be read, validated
and drawn (shapes and parameter counts included) without loading PyTorch.
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping

from playground.activations import ACTIVATION_NAMES

if TYPE_CHECKING:  # only for annotations; importing torch here would defeat the point
    from torch import nn

Shape = tuple[int, ...]          # one sample: (features,) or (channels, height, width)

MAX_UNITS = 256
MAX_CHANNELS = 128
MAX_PARAMETERS = 5_000_000       # beyond this a CPU cannot train live; say so instead of hanging
FIELD_TYPES = ("int", "float", "bool", "choice")
PLACEMENTS = ("card", "options")


def _number(x: float) -> str:
    """1.0 -> "1", 0.05 -> "0.05", 1e6 -> "1000000": bounds as a person writes them."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@dataclass(frozen=True)
class Field:
    """One setting: its type, default, the closed range [lo, hi] validation accepts, how it is drawn.

    A widget drawn with min_value=lo, max_value=hi (or the `options`) accepts every value
    validation accepts, so a link can never hold a value its widget refuses. `lo_open` (only
    the learning rate) refuses lo itself; such a field is drawn as a list of choices.
    """

    name: str                     # attribute / JSON key, e.g. "units"
    label: str                    # the control's label, e.g. "Neurons"
    type: str                     # "int" | "float" | "bool" | "choice"
    default: Any = None           # value when the JSON leaves it out
    lo: float | None = None       # int / float: smallest accepted value
    hi: float | None = None       # int / float: largest accepted value
    step: float | None = None     # a sensible widget step (not enforced: 0.33 is a fine dropout)
    options: tuple[str, ...] = ()  # choice: the accepted names, in display order
    help: str = ""                # the control's tooltip
    placement: str = "card"       # layer fields: "card" (on the card) or "options" (its popover)
    lo_open: bool = False         # lo itself is refused ("> 0")
    nullable: bool = False        # None (JSON null) is accepted too
    omit_default: bool = False    # JSON / URL leave it out when at its default (short links)
    default_from: str | None = None  # the default is this other field's value (pooling stride = kernel)

    def __post_init__(self) -> None:
        """Catch registry typos at import time rather than in the UI."""
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: type {self.type!r} is not one of {FIELD_TYPES}")
        if self.placement not in PLACEMENTS:
            raise ValueError(f"field {self.name}: placement {self.placement!r} is not one of {PLACEMENTS}")
        if self.type in ("int", "float") and (self.lo is None or self.hi is None or self.lo > self.hi):
            raise ValueError(f"field {self.name}: a number needs lo <= hi, got {self.lo}, {self.hi}")
        if self.type == "choice" and not self.options:
            raise ValueError(f"field {self.name}: a choice needs options")

    @property
    def python_type(self) -> type:
        """The Python type of its values: int, float, bool or str."""
        return {"int": int, "float": float, "bool": bool, "choice": str}[self.type]

    def describe(self) -> str:
        """The accepted values in words: "between 1 and 256", "> 0 and <= 100", "one of: a, b"."""
        if self.type == "choice":
            return f"one of: {', '.join(self.options)}"
        if self.type == "bool":
            return "true or false"
        if self.lo_open:
            return f"> {_number(self.lo)} and <= {_number(self.hi)}"
        return f"between {_number(self.lo)} and {_number(self.hi)}"

    def problem(self, value: Any) -> str | None:
        """Why `value` is refused (a message for SpecError), or None if it is accepted."""
        if value is None:
            return None if self.nullable else f"must be {self.describe()}, got null"
        if self.type == "choice":
            return None if value in self.options else f"unknown {value!r}; choose one of: {', '.join(self.options)}"
        if self.type == "bool":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                (self.type == "int" and not isinstance(value, numbers.Integral)):
            kind = "a whole number" if self.type == "int" else "a number"
            return f"must be {kind}, got {value!r}"
        below = value <= self.lo if self.lo_open else value < self.lo
        if below or value > self.hi or value != value:  # value != value: NaN
            return f"must be {self.describe()}, got {value!r}"
        return None

    def accepts(self, value: Any) -> bool:
        """True if validation accepts `value` for this field."""
        return self.problem(value) is None

    def check(self, value: Any, path: str) -> None:
        """Raise SpecError(path, ...) if `value` is refused."""
        message = self.problem(value)
        if message is not None:
            from playground.spec import SpecError  # late: spec imports this module

            raise SpecError(path, message)

    def parse(self, value: Any) -> Any:
        """A widget's value as this field's type (number inputs hand back floats, sliders ints)."""
        if value is None:
            return None
        if self.type == "int":
            return int(value)
        if self.type == "float":
            return float(value)
        if self.type == "bool":
            return bool(value)
        return str(value)


class Impossible(Exception):
    """Raised by a shape rule: `field` of the layer (or "" for the layer as a whole) cannot work."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


ShapeRule = Callable[[Any, Shape], "tuple[Shape, int]"]
ModuleFactory = Callable[[Any, Shape, str], "nn.Module"]
WeightRule = Callable[["nn.Module"], "dict[str, nn.Parameter]"]


@dataclass(frozen=True)
class LayerCode:
    """How one layer is written in an exported PyTorch script (playground/export/script.py).

    The script's network assigns `self.<name> = <module>` in order, then, if `init` is set,
    calls `init_weights(self.<name>.<init>, "<init_activation>")`: the same draws from the same
    seeded generator as the module factory, so the script starts from the app's weights.
    """

    module: str                    # the constructor, e.g. "Dense(2, 8, nn.Tanh())"
    classes: tuple[str, ...] = ()  # source of the classes `module` uses (each written once per script)
    init: str | None = None        # the sub-module whose weights the init scheme sets ("linear"), or None
    init_activation: str = "linear"  # the activation whose gain that init uses


CodeWriter = Callable[[Any, Shape], LayerCode]


def _no_weights(module: "nn.Module") -> dict[str, "nn.Parameter"]:
    return {}


@dataclass(frozen=True)
class LayerKind:
    """One kind of hidden layer: what it is called, its settings, its shapes, its module, its weights."""

    name: str                     # the spec's `type`, e.g. "conv2d"
    title: str                    # for people, e.g. "Conv 2-D"
    prefix: str                   # module names: prefix + count ("conv1", "conv2"); kinds may share one
    fields: tuple[Field, ...]     # the settings this kind has, in display order
    rule: ShapeRule               # (layer, input shape) -> (output shape, parameters); raises Impossible
    # (layer, input shape, init scheme) -> a fresh, initialised nn.Module; a kind with an
    # `activation` field builds a module whose `.act` is that activation (the probes hook it).
    build: ModuleFactory
    weights: WeightRule = _no_weights  # module -> {suffix: weight tensor} for the gradient norms
    needs_image: bool = False     # its input must be (channels, height, width)
    needs_flat: bool = False      # image-shaped input is flattened before it (automatically)
    new: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # a newly added layer's values beyond the defaults
    description: str = ""
    # (layer, input shape) -> LayerCode: how it is written in an exported script; None: the
    # kind cannot be exported yet (the export says so, naming the layer).
    code: CodeWriter | None = None

    def field(self, name: str) -> Field:
        """This kind's field `name` (KeyError if it has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"a {self.name} layer has no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Its fields' names, in display order (the keys its JSON form may carry besides `type`)."""
        return tuple(f.name for f in self.fields)

    @property
    def has_activation(self) -> bool:
        """True if the layer applies an activation function (dense, conv2d)."""
        return "activation" in self.field_names

    def default_of(self, name: str, layer: Any) -> Any:
        """The value field `name` takes in `layer` when it is not given (pooling stride: the kernel)."""
        f = self.field(name)
        return getattr(layer, f.default_from) if f.default_from else f.default

    def infer(self, layer: Any, in_shape: Shape, index: int = 0, name: str | None = None) -> tuple[Shape, int]:
        """(output shape, parameter count) for one sample; SpecError naming the layer if impossible."""
        from playground.spec import SpecError  # late: spec imports this module

        where = f"layers[{index}]"
        label = f"layer {index + 1} ({name or self.prefix})"
        if self.needs_image and len(in_shape) != 3:
            raise SpecError(f"{where}.type", f"{label}: {self.name} needs image-shaped input "
                            f"(channels × height × width), but it gets a flat vector of {in_shape[0]}")
        try:
            return self.rule(layer, tuple(in_shape))
        except Impossible as exc:
            raise SpecError(f"{where}.{exc.field}" if exc.field else where, f"{label}: {exc.message}") from None


# -- shape rules ---------------------------------------------------------------------------

def _flat(shape: Shape) -> Shape:
    n = 1
    for d in shape:
        n *= d
    return (n,)


def _dense_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    (fan_in,) = shape
    if layer.residual and fan_in != layer.units:
        raise Impossible("residual", f"a skip connection needs the layer's input width ({fan_in}) "
                         f"to equal its units ({layer.units})")
    norm = 2 * layer.units if layer.batch_norm else 0  # batch norm's scale and shift
    return (layer.units,), fan_in * layer.units + layer.units + norm


def _window(k: int, stride: int, pad: int, h: int, w: int) -> tuple[int, int]:
    """Output height and width of a k×k window sliding over an h×w input padded by pad."""
    if k > h + 2 * pad or k > w + 2 * pad:
        raise Impossible("kernel", f"kernel {k} is larger than its {h}×{w} input"
                         f"{f' (padded by {pad})' if pad else ''}")
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    if oh < 1 or ow < 1:
        raise Impossible("", f"the output shape reaches zero ({oh}×{ow})")
    return oh, ow


def _conv_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    c, h, w = shape
    oh, ow = _window(layer.kernel, layer.stride, layer.padding, h, w)
    out = layer.channels
    norm = 2 * out if layer.batch_norm else 0
    return (out, oh, ow), c * out * layer.kernel * layer.kernel + out + norm


def _pool_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    c, h, w = shape
    return (c,) + _window(layer.kernel, layer.stride, 0, h, w), 0


def _flatten_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    return _flat(shape), 0


def _same_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    return shape, 0


def _batchnorm_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    return shape, 2 * shape[0]  # a scale and a shift per feature / channel


# -- module factories (torch imported here, when a model is built) ----------------------------

def _dense_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from playground.initializers import init_weights
    from playground.model import DenseBlock

    block = DenseBlock(shape[0], layer)
    init_weights(block.linear, init, layer.activation)
    return block


def _conv_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from playground.initializers import init_weights
    from playground.model import ConvBlock

    block = ConvBlock(shape[0], layer)
    init_weights(block.conv, init, layer.activation)
    return block


def _maxpool_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from torch import nn

    return nn.MaxPool2d(layer.kernel, layer.stride)


def _avgpool_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from torch import nn

    return nn.AvgPool2d(layer.kernel, layer.stride)


def _flatten_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from torch import nn

    return nn.Flatten()


def _dropout_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from torch import nn

    return nn.Dropout(layer.rate)


def _batchnorm_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from torch import nn

    return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])


# -- code writers (how each kind is written in an exported script; see playground/export) --------

def _dense_code(layer: Any, shape: Shape) -> LayerCode:
    from playground.export.blocks import activation_code, call, dense_class

    act, classes = activation_code(layer.activation)
    options = {"batch_norm": layer.batch_norm, "residual": layer.residual, "dropout": layer.dropout}
    return LayerCode(call("Dense", shape[0], layer.units, act, **options), (*classes, dense_class()),
                     "linear", layer.activation)


def _conv_code(layer: Any, shape: Shape) -> LayerCode:
    from playground.export.blocks import activation_code, call, conv_class

    act, classes = activation_code(layer.activation)
    options = {"batch_norm": layer.batch_norm, "dropout": layer.dropout}
    return LayerCode(call("Conv", shape[0], layer.channels, layer.kernel, layer.stride, layer.padding, act, **options),
                     (*classes, conv_class()), "conv", layer.activation)


def _torch_code(template: str) -> CodeWriter:
    """A kind written as one torch.nn module: `template` formatted with the layer's fields and
    `features` (the input's first dimension) and `norm` ("1d" for vectors, "2d" for images)."""
    def write(layer: Any, shape: Shape) -> LayerCode:
        values = {name: getattr(layer, name) for name in KINDS[layer.type].field_names} if layer is not None else {}
        return LayerCode(template.format(features=shape[0], norm="2d" if len(shape) == 3 else "1d", **values))

    return write


# -- the fields ------------------------------------------------------------------------------
# One definition per setting; kinds that share a setting share its Field (or a variant of it
# via dataclasses.replace), so "kernel" means the same thing, with the same range, everywhere.

UNITS = Field("units", "Neurons", "int", 4, 1, MAX_UNITS, 1, help="Neurons in this layer.")
CHANNELS = Field("channels", "Channels", "int", 8, 1, MAX_CHANNELS, 1, help="Output channels (filters).")
ACTIVATION = Field("activation", "Activation", "choice", "tanh", options=ACTIVATION_NAMES,
                   help="The function applied to each unit's weighted sum.")
KERNEL = Field("kernel", "Kernel", "int", 3, 1, 15, 1, help="Side of the square window, in pixels.")
STRIDE = Field("stride", "Stride", "int", 1, 1, 8, 1, placement="options",
               help="How far the window moves between outputs.")
PADDING = Field("padding", "Padding", "int", 0, 0, 7, 1, placement="options",
                help="Zero pixels added around each side of the input.")
DROPOUT = Field("dropout", "Dropout", "float", 0.0, 0.0, 0.9, 0.05, placement="options", omit_default=True,
                help="Randomly zero this fraction of the layer's outputs while training.")
BATCH_NORM = Field("batch_norm", "Batch norm", "bool", False, placement="options", omit_default=True,
                   help="Normalise the pre-activations over each mini-batch.")
RESIDUAL = Field("residual", "Skip connection", "bool", False, placement="options", omit_default=True,
                 help="Add the layer's input to its output (needs equal widths).")
RATE = Field("rate", "Rate", "float", 0.5, 0.0, 0.9, 0.05,
             help="Fraction of the inputs zeroed while training.")
# Pooling steps by its own kernel unless told otherwise (windows that do not overlap).
POOL_STRIDE = replace(STRIDE, hi=KERNEL.hi, default=None, default_from="kernel", omit_default=True,
                      help="How far the window moves between outputs (default: the kernel size).")


def _weight(attr: str) -> WeightRule:
    """Weights of a block whose main layer is `block.<attr>` (one tensor named "weight")."""
    return lambda block: {"weight": getattr(block, attr).weight}


_POOL_FIELDS = (KERNEL, POOL_STRIDE)

KINDS: dict[str, LayerKind] = {kind.name: kind for kind in (
    LayerKind("dense", "Dense", "dense", (UNITS, ACTIVATION, DROPOUT, BATCH_NORM, RESIDUAL),
              _dense_rule, _dense_module, _weight("linear"), needs_flat=True,
              description="Every input connected to every neuron.", code=_dense_code),
    LayerKind("conv2d", "Conv 2-D", "conv", (CHANNELS, KERNEL, STRIDE, PADDING, ACTIVATION, DROPOUT, BATCH_NORM),
              _conv_rule, _conv_module, _weight("conv"), needs_image=True,
              new={"kernel": 3, "padding": 1, "activation": "relu"},
              description="Small filters slid over the image; one feature map per channel.", code=_conv_code),
    LayerKind("maxpool2d", "Max pool", "pool", _POOL_FIELDS, _pool_rule, _maxpool_module, needs_image=True,
              new={"kernel": 2}, description="The largest value of each window.",
              code=_torch_code("nn.MaxPool2d({kernel}, {stride})")),
    LayerKind("avgpool2d", "Avg pool", "pool", _POOL_FIELDS, _pool_rule, _avgpool_module, needs_image=True,
              new={"kernel": 2}, description="The mean of each window.",
              code=_torch_code("nn.AvgPool2d({kernel}, {stride})")),
    LayerKind("flatten", "Flatten", "flatten", (), _flatten_rule, _flatten_module,
              description="Image-shaped data as one flat vector.", code=_torch_code("nn.Flatten()")),
    LayerKind("dropout", "Dropout", "dropout", (RATE,), _same_rule, _dropout_module, new={"rate": 0.25},
              description="Randomly zero a fraction of the values while training.",
              code=_torch_code("nn.Dropout({rate})")),
    LayerKind("batchnorm", "Batch norm", "bn", (), _batchnorm_rule, _batchnorm_module,
              description="Normalise each feature (or channel) over the mini-batch.",
              code=_torch_code("nn.BatchNorm{norm}({features})")),
)}
LAYER_TYPES: tuple[str, ...] = tuple(KINDS)


def kind_of(layer: Any) -> LayerKind:
    """The registry entry of a LayerSpec (by its `type`)."""
    return KINDS[layer.type]


def fields_by_name() -> dict[str, list[tuple[LayerKind, Field]]]:
    """Every field name of the registry with the kinds that have it, in first-seen order."""
    out: dict[str, list[tuple[LayerKind, Field]]] = {}
    for kind in KINDS.values():
        for f in kind.fields:
            out.setdefault(f.name, []).append((kind, f))
    return out


# -- a whole network's shapes ------------------------------------------------------------------

@dataclass(frozen=True)
class LayerShape:
    """What one built layer does to the data: its name, type, output shape and parameters."""

    name: str
    type: str
    out_shape: Shape             # per sample: (units,) or (channels, h, w)
    params: int
    index: int | None            # position in spec.layers; None for auto flatten and output
    activation: str | None = None


def layer_names(layers: tuple[Any, ...] | list[Any]) -> list[str]:
    """Module names in order: each kind's prefix and its count ("dense1", "conv1", "pool1", "pool2")."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        prefix = KINDS[layer.type].prefix
        counts[prefix] = counts.get(prefix, 0) + 1
        names.append(f"{prefix}{counts[prefix]}")
    return names


def infer_shapes(layers: tuple[Any, ...] | list[Any], input_shape: Shape, n_outputs: int) -> list[LayerShape]:
    """Output shape and parameter count of every layer, in order; SpecError if impossible.

    A flatten is inserted (named "flatten_<layer>") before a dense layer that gets image-shaped
    data, and one (named "flatten") before the output layer; the output is a dense layer of
    `n_outputs` units named "output".
    """
    from playground.spec import SpecError  # late: spec imports this module

    shapes: list[LayerShape] = []
    shape = tuple(input_shape)
    for i, (layer, name) in enumerate(zip(layers, layer_names(layers))):
        kind = KINDS[layer.type]
        if kind.needs_flat and len(shape) > 1:
            shape = _flat(shape)
            shapes.append(LayerShape(f"flatten_{name}", "flatten", shape, 0, None))
        shape, params = kind.infer(layer, shape, i, name)
        shapes.append(LayerShape(name, kind.name, shape, params, i, layer.activation if kind.has_activation else None))
    if len(shape) > 1:
        shape = _flat(shape)
        shapes.append(LayerShape("flatten", "flatten", shape, 0, None))
    shapes.append(LayerShape("output", "dense", (n_outputs,), shape[0] * n_outputs + n_outputs, None))
    total = sum(s.params for s in shapes)
    if total > MAX_PARAMETERS:
        biggest = max(shapes, key=lambda s: s.params)
        raise SpecError("layers", f"the network has {total:,} parameters; the playground trains at most "
                        f"{MAX_PARAMETERS:,} (the largest layer is {biggest.name} with {biggest.params:,})")
    return shapes
