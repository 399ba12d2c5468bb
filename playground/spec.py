"""One frozen, serialisable description of an experiment (TensorFlow Playground's `State`).

`Spec` is what the URL, the downloadable JSON config and the CLI config all hold. Functions
and enums are stored by *name* and resolved through small registries (activations,
initializers, optimizers, losses, features, datasets), so a spec is plain data.

    spec = Spec.from_dict(json.load(f))      # raises SpecError("optimizer.lr: ...")
    Spec.from_dict(spec.to_dict()) == spec   # the round trip holds
    Spec.from_query(spec.to_query()) == spec # and through URL query parameters
"""
from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from playground.activations import ACTIVATIONS
from playground.features import FEATURES, USES_X2
from playground.initializers import INITS
from playground.losses import CLASSIFICATION_ONLY, LOSSES
from playground.optimizers import OPTIMIZERS

LAYER_TYPES = ("dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "dropout", "batchnorm")
REGULARIZATIONS = ("none", "l1", "l2")
NORMALIZATIONS = ("none", "standard")
# Generous but bounded: TensorFlow Playground's 6 x 8 cap is its most complained-about limit.
MAX_LAYERS = 16
MAX_UNITS = 256
MAX_CHANNELS = 128
MAX_SAMPLES = 70_000
# The fields of each layer type that its JSON form carries (the rest keep their defaults).
LAYER_FIELDS = {
    "dense": ("units", "activation", "dropout", "batch_norm", "residual"),
    "conv2d": ("channels", "kernel", "stride", "padding", "activation", "dropout", "batch_norm"),
    "maxpool2d": ("kernel", "stride"),
    "avgpool2d": ("kernel", "stride"),
    "flatten": (),
    "dropout": ("rate",),
    "batchnorm": (),
}
# Options written out only when switched on, so configs and links stay short.
OPTIONAL_LAYER_FIELDS = {"dropout": 0.0, "batch_norm": False, "residual": False}


class SpecError(ValueError):
    """A spec field that is missing, of the wrong type or out of range; `path` names it."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True)
class DatasetSpec:
    """Which data to train on and how to draw it."""

    name: str = "circle"          # a datasets registry name, or "custom" for an uploaded CSV
    noise: float = 0.0            # TensorFlow Playground's noise / 100, in [0, 0.5] for its sets
    train_ratio: float = 0.5      # fraction of samples used for training; the rest is the test set
    n_samples: int = 500          # points (or images) drawn
    seed: int = 1                 # seed of the data generator (separate from the weights' seed)
    classes: int = 3              # number of blobs for the multi-class `blobs` set
    normalize: str = "standard"   # images: "standard" (zero mean, unit variance) or "none"


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer; which fields matter depends on `type` (see LAYER_FIELDS)."""

    type: str = "dense"
    units: int = 4                # dense: neurons
    activation: str = "tanh"      # dense / conv2d: an ACTIVATIONS name
    dropout: float = 0.0          # dense / conv2d: dropout probability after the activation
    batch_norm: bool = False      # dense / conv2d: batch norm before the activation
    residual: bool = False        # dense: add the layer's input to its output (widths must match)
    channels: int = 8             # conv2d: output channels
    kernel: int = 3               # conv2d / pooling: kernel size
    stride: int = 0               # conv2d (default 1) / pooling (default: the kernel size)
    padding: int = 0              # conv2d: zero padding
    rate: float = 0.5             # dropout layer: probability

    def __post_init__(self) -> None:
        if self.stride == 0:  # unset: conv steps by 1, pooling by its own kernel (no overlap)
            object.__setattr__(self, "stride", self.kernel if self.type.endswith("pool2d") else 1)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the type plus only the fields that type uses."""
        out: dict[str, Any] = {"type": self.type}
        for name in LAYER_FIELDS[self.type]:
            value = getattr(self, name)
            if OPTIONAL_LAYER_FIELDS.get(name, object()) == value:
                continue
            if name == "stride" and self.type.endswith("pool2d") and value == self.kernel:
                continue
            out[name] = value
        return out


@dataclass(frozen=True)
class OptimizerSpec:
    """The optimiser and its hyper-parameters (lr and momentum can change mid-training)."""

    name: str = "sgd"
    lr: float = 0.03
    momentum: float = 0.0
    nesterov: bool = False


@dataclass(frozen=True)
class RegularizationSpec:
    """L1 / L2 penalty on the weights (not biases), added to the training loss."""

    kind: str = "none"
    rate: float = 0.0


def _default_layers() -> tuple[LayerSpec, ...]:
    return (LayerSpec(units=4), LayerSpec(units=2))


@dataclass(frozen=True)
class Spec:
    """A whole experiment: data, features, network, training; everything a URL reproduces."""

    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    features: tuple[str, ...] = ("x1", "x2")          # 2-D sets only; FEATURES names
    layers: tuple[LayerSpec, ...] = field(default_factory=_default_layers)  # hidden layers
    init: str = "xavier_uniform"
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    batch_size: int = 10
    loss: str = "auto"
    regularization: RegularizationSpec = field(default_factory=RegularizationSpec)
    grad_clip: float | None = None                    # clip the gradient's global norm to this
    seed: int = 1                                     # seed of the initial weights and batch order

    # -- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the config file format)."""
        out = _to_plain(self)
        out["layers"] = [layer.to_dict() for layer in self.layers]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """The downloadable / CLI config."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Spec":
        """Build and validate a spec; missing keys take defaults, unknown keys are refused."""
        spec = _from_plain(cls, data, "")
        spec.validate()
        return spec

    @classmethod
    def from_json(cls, text: str | bytes) -> "Spec":
        """Parse a JSON config; a syntax error becomes a SpecError with line and column."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError("", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        except UnicodeDecodeError:
            raise SpecError("", "not valid JSON: the file is not UTF-8 text") from None
        if not isinstance(data, dict):
            raise SpecError("", "the config must be a JSON object {...}")
        return cls.from_dict(data)

    def to_query(self) -> dict[str, str]:
        """Flat URL query parameters ("optimizer.lr" -> "0.03"; layers as compact JSON)."""
        flat: dict[str, str] = {}
        for key, value in self.to_dict().items():
            if isinstance(value, dict):
                for sub, subvalue in value.items():
                    flat[f"{key}.{sub}"] = _query_value(subvalue)
            elif key == "layers":
                flat[key] = json.dumps(value, separators=(",", ":"))
            elif key == "features":
                flat[key] = ",".join(value)
            else:
                flat[key] = _query_value(value)
        return flat

    @classmethod
    def from_query(cls, params: Mapping[str, str | list[str]]) -> "Spec":
        """Inverse of to_query; absent parameters take defaults."""
        data: dict[str, Any] = {}
        for key, raw in params.items():
            text = raw[-1] if isinstance(raw, list) else raw
            if key == "layers":
                try:
                    data[key] = json.loads(text)
                except json.JSONDecodeError:
                    raise SpecError("layers", "not a valid layer list in the link") from None
            elif key == "features":
                data[key] = [name for name in text.split(",") if name]
            elif "." in key:
                head, sub = key.split(".", 1)
                owner = typing.get_type_hints(cls).get(head)
                hint = typing.get_type_hints(owner).get(sub) if dataclasses.is_dataclass(owner) else None
                data.setdefault(head, {})[sub] = _parse_query_value(text, hint)
            else:
                data[key] = _parse_query_value(text, typing.get_type_hints(cls).get(key))
        return cls.from_dict(data)

    # -- validation ----------------------------------------------------------------
    def validate(self) -> None:
        """Raise SpecError naming the first field that is out of range."""
        from playground.data import dataset_info  # late import: datasets is optional for specs

        ds = self.dataset
        info = dataset_info(ds.name)
        _check(0 <= ds.noise <= 1, "dataset.noise", f"must be between 0 and 1, got {ds.noise}")
        _check(0.05 <= ds.train_ratio <= 0.95, "dataset.train_ratio",
               f"must be between 0.05 and 0.95, got {ds.train_ratio}")
        _check(10 <= ds.n_samples <= MAX_SAMPLES, "dataset.n_samples",
               f"must be between 10 and {MAX_SAMPLES}, got {ds.n_samples}")
        _check(2 <= ds.classes <= 8, "dataset.classes", f"must be between 2 and 8, got {ds.classes}")
        _check(ds.normalize in NORMALIZATIONS, "dataset.normalize", _choose(ds.normalize, NORMALIZATIONS))
        kind = info.kind if info else "points"
        if kind != "image":
            _check(len(self.features) > 0, "features", "choose at least one input feature")
            for name in self.features:
                _check(name in FEATURES, "features", _choose(name, FEATURES))
            _check(len(set(self.features)) == len(self.features), "features", "a feature is listed twice")
            if kind == "curve":
                bad = [name for name in self.features if name in USES_X2]
                _check(not bad, "features",
                       f"{', '.join(bad)} use x2, which the 1-D dataset {ds.name!r} does not have")
        _check(len(self.layers) <= MAX_LAYERS, "layers", f"at most {MAX_LAYERS} hidden layers, got {len(self.layers)}")
        for i, layer in enumerate(self.layers):
            _validate_layer(layer, f"layers[{i}]")
        _check(self.init in INITS, "init", _choose(self.init, INITS))
        opt = self.optimizer
        _check(opt.name in OPTIMIZERS, "optimizer.name", _choose(opt.name, OPTIMIZERS))
        _check(0 < opt.lr <= 100, "optimizer.lr", f"must be > 0 and <= 100, got {opt.lr}")
        _check(0 <= opt.momentum < 1, "optimizer.momentum", f"must be in [0, 1), got {opt.momentum}")
        _check(1 <= self.batch_size <= 4096, "batch_size", f"must be between 1 and 4096, got {self.batch_size}")
        _check(self.loss in LOSSES, "loss", _choose(self.loss, LOSSES))
        if info is not None and info.task == "regression":
            _check(self.loss not in CLASSIFICATION_ONLY, "loss",
                   f"{self.loss!r} needs a classification dataset; {ds.name!r} is a regression one")
        reg = self.regularization
        _check(reg.kind in REGULARIZATIONS, "regularization.kind", _choose(reg.kind, REGULARIZATIONS))
        _check(0 <= reg.rate <= 10, "regularization.rate", f"must be between 0 and 10, got {reg.rate}")
        _check(self.grad_clip is None or 0 < self.grad_clip <= 1e6, "grad_clip",
               f"must be a positive number or null, got {self.grad_clip}")

    # -- convenience ---------------------------------------------------------------
    def with_changes(self, **changes: Any) -> "Spec":
        """A copy with top-level fields replaced (dataclasses.replace), validated."""
        spec = replace(self, **changes)
        spec.validate()
        return spec


def _validate_layer(layer: LayerSpec, path: str) -> None:
    _check(layer.type in LAYER_TYPES, f"{path}.type", _choose(layer.type, LAYER_TYPES))
    used = LAYER_FIELDS[layer.type]
    if "units" in used:
        _check(1 <= layer.units <= MAX_UNITS, f"{path}.units", f"must be between 1 and {MAX_UNITS}, got {layer.units}")
    if "channels" in used:
        _check(1 <= layer.channels <= MAX_CHANNELS, f"{path}.channels",
               f"must be between 1 and {MAX_CHANNELS}, got {layer.channels}")
    if "activation" in used:
        _check(layer.activation in ACTIVATIONS, f"{path}.activation", _choose(layer.activation, ACTIVATIONS))
    if "kernel" in used:
        _check(1 <= layer.kernel <= 15, f"{path}.kernel", f"must be between 1 and 15, got {layer.kernel}")
    if "stride" in used:
        _check(1 <= layer.stride <= 8, f"{path}.stride", f"must be between 1 and 8, got {layer.stride}")
    if "padding" in used:
        _check(0 <= layer.padding <= 7, f"{path}.padding", f"must be between 0 and 7, got {layer.padding}")
    if "dropout" in used:
        _check(0 <= layer.dropout < 1, f"{path}.dropout", f"must be in [0, 1), got {layer.dropout}")
    if "rate" in used:
        _check(0 <= layer.rate < 1, f"{path}.rate", f"must be in [0, 1), got {layer.rate}")


def _check(ok: bool, path: str, message: str) -> None:
    if not ok:
        raise SpecError(path, message)


def _choose(value: Any, options: Any) -> str:
    return f"unknown {value!r}; choose one of: {', '.join(options)}"


def _query_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_query_value(text: str, hint: Any) -> Any:
    """A query string as the field's type wants it; anything odd is left for _coerce to refuse."""
    lowered = text.strip().lower()
    if hint is str or hint is None:
        return text
    if lowered in ("none", "null", "") and type(None) in typing.get_args(hint):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(item) for item in obj]
    return obj


def _from_plain(cls: type, data: Any, path: str) -> Any:
    """Build dataclass `cls` from `data`, checking each value against the field's type hint."""
    if not isinstance(data, Mapping):
        raise SpecError(path, f"must be an object {{...}}, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = [key for key in data if key not in known]
    if cls is LayerSpec and "type" in data and data["type"] in LAYER_FIELDS:
        known_here = {"type", *LAYER_FIELDS[data["type"]]}
        unknown = [key for key in data if key not in known_here]
        if unknown:
            raise SpecError(f"{path}.{unknown[0]}".lstrip("."),
                            f"a {data['type']} layer has no field {unknown[0]!r} (it has: {', '.join(sorted(known_here))})")
    if unknown:
        raise SpecError(f"{path}.{unknown[0]}".lstrip("."), f"unknown key; known keys: {', '.join(sorted(known))}")
    kwargs = {}
    for f in fields(cls):
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name], f"{path}.{f.name}".lstrip("."))
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _coerce(inner, value, path)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise SpecError(path, f"must be a list, got {type(value).__name__}")
        return tuple(_coerce(args[0], item, f"{path}[{i}]") for i, item in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _from_plain(hint, value, path)
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(path, f"must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise SpecError(path, f"must be a whole number, got {value!r}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(path, f"must be a number, got {value!r}")
        if not math.isfinite(value):
            raise SpecError(path, f"must be a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(path, f"must be a string, got {value!r}")
        return value
    raise TypeError(f"no coercion for {hint!r}")  # a programming error, not user input
