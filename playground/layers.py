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
    calls `init_weights(self.<name>.<init>, "<init_activation>")`, then `self.<name>.<then>`:
    the same draws from the same seeded generator as the module factory, so the script starts
    from the app's weights.
    """

    module: str                    # the constructor, e.g. "Dense(2, 8, nn.Tanh())"
    classes: tuple[str, ...] = ()  # source of the classes `module` uses (each written once per script)
    init: str | None = None        # the sub-module whose weights the init scheme sets ("linear"), or None
    init_activation: str = "linear"  # the activation whose gain that init uses
    then: str | None = None        # a method call on the module after that init ("shape_weights(True)"), or None


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
            got = f"a flat vector of {in_shape[0]}" if len(in_shape) == 1 else \
                f"a sequence of {in_shape[0]} steps × {in_shape[1]} features"
            raise SpecError(f"{where}.type", f"{label}: {self.name} needs image-shaped input "
                            f"(channels × height × width), but it gets {got}")
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
    fan_in = shape[-1]  # (features,), or (steps, features) where a dense layer acts on every step
    if len(shape) == 2 and layer.batch_norm:
        raise Impossible("batch_norm", "batch norm on every step of a sequence is not supported here")
    if layer.residual and fan_in != layer.units:
        raise Impossible("residual", f"a skip connection needs the layer's input width ({fan_in}) "
                         f"to equal its units ({layer.units})")
    norm = 2 * layer.units if layer.batch_norm else 0  # batch norm's scale and shift
    return shape[:-1] + (layer.units,), fan_in * layer.units + layer.units + norm


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

    block = DenseBlock(shape[-1], layer)
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
    return LayerCode(call("Dense", shape[-1], layer.units, act, **options), (*classes, dense_class()),
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


# -- sequences: recurrent layers, the embedding, the last step ----------------------------------

RECURRENT = ("rnn", "lstm", "gru")
GATE_COUNT = {"rnn": 1, "lstm": 4, "gru": 3}  # weight blocks per direction: torch's layout


def _sequence_of(shape: Shape, what: str) -> tuple[int, int]:
    """(steps, features) of a sequence-shaped input, or Impossible saying what the layer got."""
    if len(shape) != 2:
        got = f"a flat vector of {shape[0]}" if len(shape) == 1 else f"an image of {'×'.join(map(str, shape))}"
        raise Impossible("type", f"{what} needs a sequence (steps × features), but it gets {got}; "
                         "put it before any dense or flatten layer, on sequence data")
    return shape[0], shape[1]


def _recurrent_rule(gates: int) -> ShapeRule:
    def rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
        T, F = _sequence_of(shape, "a recurrent layer")
        H, dirs = layer.hidden, 2 if layer.bidirectional else 1
        return (T, H * dirs), dirs * gates * (H * F + H * H + 2 * H)  # W_ih, W_hh, b_ih, b_hh per gate
    return rule


def _embedding_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    T, V = _sequence_of(shape, "an embedding")
    return (T, layer.dim), V * layer.dim


def _last_step_rule(layer: Any, shape: Shape) -> tuple[Shape, int]:
    _, F = _sequence_of(shape, "taking the last step")
    return (F,), 0


def _recurrent_module(cell: str) -> ModuleFactory:
    def build(layer: Any, shape: Shape, init: str) -> "nn.Module":
        from playground.recurrent import RecurrentBlock, init_recurrent

        block = RecurrentBlock(cell, shape[1], layer)
        init_recurrent(block, init, layer.orthogonal, layer.forget_bias if cell == "lstm" else None)
        return block
    return build


def _recurrent_code(cell: str) -> CodeWriter:
    def write(layer: Any, shape: Shape) -> LayerCode:
        from playground.export.blocks import call, recurrent_class

        nonlinearity = layer.nonlinearity if cell == "rnn" else "tanh"
        forget_bias = layer.forget_bias if cell == "lstm" else None
        module = call("Recurrent", f'"{cell}"', shape[1], layer.hidden, bidirectional=layer.bidirectional,
                      nonlinearity=nonlinearity if nonlinearity != "tanh" else None)
        # forget_bias written out even at 0.0 (call() leaves falsy options out; 0 is a real setting)
        then = f"shape_weights(orthogonal={layer.orthogonal!r}" + \
            (f", forget_bias={forget_bias!r})" if cell == "lstm" else ")")
        return LayerCode(module, (recurrent_class(),), "rnn", nonlinearity, then)
    return write


def _embedding_code(layer: Any, shape: Shape) -> LayerCode:
    from playground.export.blocks import call, embedding_class

    return LayerCode(call("Embedding", shape[1], layer.dim), (embedding_class(),))


def _last_step_code(layer: Any, shape: Shape, backward: int = 0) -> LayerCode:
    from playground.export.blocks import call, last_step_class

    return LayerCode(call("LastStep", backward=backward), (last_step_class(),))


def _recurrent_weights(block: "nn.Module") -> dict[str, "nn.Parameter"]:
    from playground.recurrent import recurrent_weights

    return recurrent_weights(block)


def _embedding_module(layer: Any, shape: Shape, init: str) -> "nn.Module":
    from playground.recurrent import Embedding

    return Embedding(shape[1], layer.dim)


def _last_step_module(layer: Any, shape: Shape, init: str, backward: int = 0) -> "nn.Module":
    from playground.recurrent import LastStep

    return LastStep(backward)


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
HIDDEN = Field("hidden", "Hidden units", "int", 16, 1, MAX_UNITS, 1, help="Size of the hidden state h_t.")
NONLINEARITY = Field("nonlinearity", "Nonlinearity", "choice", "tanh", options=("tanh", "relu"),
                     help="The function of W_ih·x_t + W_hh·h_(t-1) + b that gives h_t.")
BIDIRECTIONAL = Field("bidirectional", "Bidirectional", "bool", False, placement="options", omit_default=True,
                      help="A second cell reads the sequence backwards (only where the task reads it whole).")
ORTHOGONAL = Field("orthogonal", "Orthogonal W_hh", "bool", True, placement="options", omit_default=True,
                   help="Start the recurrent weights orthogonal, so h neither shrinks nor grows step by step.")
FORGET_BIAS = Field("forget_bias", "Forget-gate bias", "float", 1.0, 0.0, 5.0, 0.5, placement="options",
                    omit_default=True, help="Initial bias of the LSTM forget gate: 1 starts it remembering.")
DIM = Field("dim", "Dimensions", "int", 8, 1, MAX_UNITS, 1, help="Length of each token's learned vector.")
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
    LayerKind("rnn", "RNN", "rnn", (HIDDEN, NONLINEARITY, BIDIRECTIONAL, ORTHOGONAL), _recurrent_rule(1),
              _recurrent_module("rnn"), _recurrent_weights, code=_recurrent_code("rnn"),
              description="h_t = tanh(W_ih·x_t + W_hh·h_(t-1) + b): the plain recurrent cell."),
    LayerKind("lstm", "LSTM", "lstm", (HIDDEN, BIDIRECTIONAL, ORTHOGONAL, FORGET_BIAS), _recurrent_rule(4),
              _recurrent_module("lstm"), _recurrent_weights, code=_recurrent_code("lstm"),
              description="Long short-term memory: forget, input and output gates around a cell state."),
    LayerKind("gru", "GRU", "gru", (HIDDEN, BIDIRECTIONAL, ORTHOGONAL), _recurrent_rule(3),
              _recurrent_module("gru"), _recurrent_weights, code=_recurrent_code("gru"),
              description="Gated recurrent unit: reset and update gates, no separate cell state."),
    LayerKind("embedding", "Embedding", "embed", (DIM,), _embedding_rule, _embedding_module,
              lambda block: {"weight": block.weight}, code=_embedding_code,
              description="A learned vector for each token (instead of its one-hot code)."),
    LayerKind("last_step", "Last step", "last", (), _last_step_rule, _last_step_module,
              description="Keep only the sequence's last step (added automatically before a dense head).",
              code=_last_step_code),
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
    # Of each step's features, how many trailing ones a backward-running cell wrote (a
    # bidirectional layer's second half); on a last_step, how many of its input's: their final
    # state is at the first step, so that is where the last step reads them (torch's h_n).
    backward: int = 0


def layer_names(layers: tuple[Any, ...] | list[Any]) -> list[str]:
    """Module names in order: each kind's prefix and its count ("dense1", "conv1", "pool1", "pool2")."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        prefix = KINDS[layer.type].prefix
        counts[prefix] = counts.get(prefix, 0) + 1
        names.append(f"{prefix}{counts[prefix]}")
    return names


def infer_shapes(layers: tuple[Any, ...] | list[Any], input_shape: Shape, n_outputs: int,
                 per_step: bool = False) -> list[LayerShape]:
    """Output shape and parameter count of every layer, in order; SpecError if impossible.

    A flatten is inserted (named "flatten_<layer>") before a dense layer that gets image-shaped
    data, and one (named "flatten") before the output layer; the output is a dense layer of
    `n_outputs` units named "output".

    Sequences (steps × features): with `per_step` (a target at every step) dense layers and the
    output act on every step; otherwise, once a recurrent layer has read the sequence, its last
    step is taken (named "last_step") before the first dense layer or the output, and before
    that the whole sequence is flattened (a plain MLP on the sequence).
    """
    from playground.spec import SpecError  # late: spec imports this module

    shapes: list[LayerShape] = []
    shape = tuple(input_shape)
    read = False  # a recurrent layer has read the sequence
    backward = 0  # trailing features per step from a backward-running cell (LayerShape.backward)

    def to_flat(name: str) -> None:
        nonlocal shape, backward
        if len(shape) == 2 and read:
            shape = shape[1:]
            shapes.append(LayerShape(name.replace("flatten", "last_step"), "last_step", shape, 0, None,
                                     backward=backward))
            backward = 0
        else:
            shape = _flat(shape)
            shapes.append(LayerShape(name, "flatten", shape, 0, None))

    for i, (layer, name) in enumerate(zip(layers, layer_names(layers))):
        kind = KINDS[layer.type]
        if kind.needs_flat and len(shape) > 1 and not (per_step and len(shape) == 2):
            to_flat(f"flatten_{name}")
        if per_step and (kind.name in ("flatten", "last_step") or getattr(layer, "bidirectional", False)):
            what = "reads the future (its backward cell)" if kind.name in RECURRENT else "drops the steps"
            raise SpecError(f"layers[{i}]", f"layer {i + 1} ({name}): {layer.type} {what}, but this task "
                            "predicts the next value at every step")
        shape, params = kind.infer(layer, shape, i, name)
        read = read or kind.name in RECURRENT
        if kind.name in RECURRENT:
            backward = layer.hidden if layer.bidirectional else 0
        elif kind.name not in ("dropout", "batchnorm", "last_step"):  # dropout, batch norm: per feature, the
            backward = 0                                                 # halves stay; a last_step reads them
        shapes.append(LayerShape(name, kind.name, shape, params, i, layer.activation if kind.has_activation else None,
                                 backward=backward))
        if kind.name == "last_step":
            backward = 0
    if per_step and len(shape) != 2:
        raise SpecError("layers", "this task predicts at every step, so the output needs a sequence; "
                        "a layer before it flattened the steps")
    if len(shape) > 1 and not per_step:
        to_flat("flatten")
    out_shape = (shape[0], n_outputs) if per_step else (n_outputs,)
    shapes.append(LayerShape("output", "dense", out_shape, shape[-1] * n_outputs + n_outputs, None))
    total = sum(s.params for s in shapes)
    if total > MAX_PARAMETERS:
        biggest = max(shapes, key=lambda s: s.params)
        raise SpecError("layers", f"the network has {total:,} parameters; the playground trains at most "
                        f"{MAX_PARAMETERS:,} (the largest layer is {biggest.name} with {biggest.params:,})")
    return shapes
