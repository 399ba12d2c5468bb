"""One frozen, serialisable description of an experiment (TensorFlow Playground's `State`).

`Spec` is what the URL, the downloadable JSON config and the CLI config all hold. Functions
and enums are stored by *name* and resolved through small registries (activations,
initializers, optimizers, losses, features, datasets, layer kinds), so a spec is plain data.
The range of every setting is one table: `BOUNDS` (read it with `limits(path)`) and, for
layers, the fields of playground.layers.KINDS; validation and the UI's widgets use exactly
those. This module does not import torch.

    spec = Spec.from_dict(json.load(f))      # raises SpecError("optimizer.lr: ...")
    Spec.from_dict(spec.to_dict()) == spec   # the round trip holds
    Spec.from_query(spec.to_query()) == spec # and through URL query parameters
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from playground import layers as layer_registry
from playground.features import FEATURES, USES_X2
from playground.initializers import INITS
from playground.layers import LAYER_TYPES, MAX_CHANNELS, MAX_UNITS, Field  # noqa: F401 (re-exported)
from playground.losses import CLASSIFICATION_ONLY, LOSSES
from playground.optimizers import OPTIMIZERS

REGULARIZATIONS = ("none", "l1", "l2")
NORMALIZATIONS = ("none", "standard")
# Generous but bounded: TensorFlow Playground's 6 x 8 cap is its most complained-about limit.
MAX_LAYERS = 16
MAX_SAMPLES = 70_000              # the largest set (MNIST); each set has its own max_n below this
MAX_SEED = 2**31 - 1
# What a parser accepts, bounded before it parses: a spec nests four deep ({"layers": [{...}]}),
# so 8 is generous; Python's own JSON parser recurses per level and its int() refuses 4,300 digits.
MAX_JSON_DEPTH = 8
MAX_NUMBER_CHARS = 40             # a number written with more characters is refused unread
MAX_CONFIG_BYTES = 2**20          # 1 MB; a config of 16 layers is ~2 KB: this bounds what is read at all
# The fields of each layer type that its JSON form carries (the rest keep their defaults).
LAYER_FIELDS: dict[str, tuple[str, ...]] = {name: kind.field_names for name, kind in layer_registry.KINDS.items()}
# Options written out only when switched on, so configs and links stay short.
OPTIONAL_LAYER_FIELDS: dict[str, Any] = {f.name: f.default for kind in layer_registry.KINDS.values()
                                         for f in kind.fields if f.omit_default and not f.default_from}


class SpecError(ValueError):
    """A spec field that is missing, of the wrong type or out of range; `path` names it."""

    def __init__(self, path: str, message: str):
        # A pasted paragraph as a name is echoed in part only: the message stays readable.
        path, message = _elide(path, 120), _elide(message, 600)
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

    def __reduce__(self):
        """Pickled by its two parts (a refusal from a trainer process crosses to the app server)."""
        return type(self), (self.path, self.message)


def _elide(text: str, limit: int) -> str:
    """text, or its start and end around " … " when longer than limit (the end often lists the options)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    return f"{text[:head]} … {text[len(text) - (limit - head - 3):]}"


@dataclass(frozen=True)
class DatasetSpec:
    """Which data to train on and how to draw it."""

    name: str = "circle"          # a datasets registry name, or "custom" for an uploaded CSV
    noise: float = 0.0            # TensorFlow Playground's noise / 100, in [0, 0.5]
    train_ratio: float = 0.5      # fraction of samples used for training; the rest is the test set
    # Points (or images) drawn; None: the set's natural size (all 1,797 digits, 500 points for
    # the 2-D sets as in TensorFlow Playground). Left out of JSON and links when None.
    n_samples: int | None = field(default=None, metadata={"omit_none": True})
    seed: int = 1                 # seed of the data generator (separate from the weights' seed)
    classes: int = 3              # number of blobs for the multi-class `blobs` set
    normalize: str = "standard"   # images: "standard" (zero mean, unit variance) or "none"
    # Sequence sets: steps per sequence T; None: the set's default (DEFAULT_LENGTH). Left out of
    # JSON and links when None, so the 2-D and image experiments' links do not change.
    length: int | None = field(default=None, metadata={"omit_none": True})


class _LayerSpecMethods:
    """The behaviour of LayerSpec; its fields come from the layer registry (playground/layers.py)."""

    type: str

    def __post_init__(self) -> None:
        # A field whose default depends on the kind (pooling steps by its kernel, conv by 1)
        # arrives as None when not given; fill it in now so the spec holds what is built.
        kind = layer_registry.KINDS.get(self.type)
        for name, fallback in _KIND_DEFAULTS.items():
            if getattr(self, name) is None:
                has = kind is not None and name in kind.field_names
                object.__setattr__(self, name, kind.default_of(name, self) if has else fallback)

    @property
    def kind(self) -> layer_registry.LayerKind:
        """This layer's registry entry (title, fields, shape rule, module factory)."""
        return layer_registry.KINDS[self.type]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the type plus only the fields that type uses (options only when set)."""
        kind = self.kind
        out: dict[str, Any] = {"type": self.type}
        for f in kind.fields:
            value = getattr(self, f.name)
            if f.omit_default and value == kind.default_of(f.name, self):
                continue
            out[f.name] = value
        return out


_KIND_DEFAULTS: dict[str, Any] = {}  # field -> value for kinds without it, when kinds' defaults differ


def _layer_spec_class() -> type:
    """LayerSpec: `type` plus one dataclass field per field name of the registry (in registry order).

    Built from the registry so that a new kind with new settings is one entry in
    playground/layers.py; a name shared by kinds must have one type there.
    """
    columns: list[tuple[str, Any, Any]] = [("type", str, field(default="dense"))]
    doc = ["One hidden layer; which fields matter depends on `type` (see playground.layers.KINDS).", "",
           f"    type: one of {', '.join(LAYER_TYPES)}"]
    for name, uses in layer_registry.fields_by_name().items():
        first = uses[0][1]
        if len({f.type for _, f in uses}) > 1:
            raise TypeError(f"layer field {name!r} has different types in different kinds")
        plain = [f.default for _, f in uses if not f.default_from]
        hint: Any = first.python_type
        if any(f.default_from for _, f in uses) or any(d != plain[0] for d in plain):
            _KIND_DEFAULTS[name] = plain[0] if plain else None
            default, hint = None, hint | None
        else:
            default = plain[0]
        columns.append((name, hint, field(default=default)))
        doc.append(f"    {name} ({', '.join(k.name for k, _ in uses)}): {first.help}")
    cls = dataclasses.make_dataclass("LayerSpec", columns, bases=(_LayerSpecMethods,), frozen=True)
    cls.__module__ = __name__  # so pickle (the live worker) finds it as playground.spec.LayerSpec
    cls.__doc__ = "\n".join(doc)
    return cls


LayerSpec = _layer_spec_class()


def new_layer(kind: str) -> LayerSpec:
    """The layer that "Add layer" creates for `kind` (its defaults and the kind's `new` values)."""
    return LayerSpec(type=kind, **layer_registry.KINDS[kind].new)


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


# Every scalar setting outside the layers: the range validation accepts, and how a control
# shows it. The UI draws its sliders and inputs from here (min_value=lo, max_value=hi), so a
# link can never hold a value its widget refuses. Layer settings live in playground.layers.
BOUNDS: dict[str, Field] = {
    "dataset.noise": Field("noise", "Noise", "float", 0.0, 0.0, 0.5, 0.05,
                           help="Label noise of the 2-D sets (as TensorFlow Playground), pixel noise of images."),
    "dataset.train_ratio": Field("train_ratio", "Ratio of training to test data", "float", 0.5, 0.1, 0.9, 0.05),
    "dataset.n_samples": Field("n_samples", "Samples", "int", None, 10, MAX_SAMPLES, 50, nullable=True,
                               help="Points (or images) drawn; empty: the dataset's natural size."),
    "dataset.seed": Field("seed", "Data seed", "int", 1, 0, MAX_SEED, 1),
    "dataset.classes": Field("classes", "Classes", "int", 3, 2, 8, 1, help="Clusters of the blobs set."),
    "dataset.length": Field("length", "Sequence length", "int", None, 5, 200, 1, nullable=True,
                            help="Steps per sequence (T) of the sequence sets; empty: 20."),
    "dataset.normalize": Field("normalize", "Normalisation", "choice", "standard", options=NORMALIZATIONS),
    "init": Field("init", "Initialization", "choice", "xavier_uniform", options=INITS),
    "optimizer.name": Field("name", "Optimizer", "choice", "sgd", options=OPTIMIZERS),
    # Open below: any positive rate works; the UI offers it as a list of rates (plus the current one).
    "optimizer.lr": Field("lr", "Learning rate", "float", 0.03, 0.0, 100.0, lo_open=True),
    "optimizer.momentum": Field("momentum", "Momentum", "float", 0.0, 0.0, 0.99, 0.01,
                                help="Only SGD and RMSprop use momentum."),
    "optimizer.nesterov": Field("nesterov", "Nesterov momentum", "bool", False),
    "batch_size": Field("batch_size", "Batch size", "int", 10, 1, 4096, 1),
    "loss": Field("loss", "Loss", "choice", "auto", options=LOSSES),
    "regularization.kind": Field("kind", "Regularization", "choice", "none", options=REGULARIZATIONS),
    "regularization.rate": Field("rate", "Reg. rate", "float", 0.0, 0.0, 10.0),
    "grad_clip": Field("grad_clip", "Max gradient norm", "float", None, 0.001, 1e6, 0.1, nullable=True,
                       help="Clip the gradient's global L2 norm (null: no clipping)."),
    "seed": Field("seed", "Seed (initial weights)", "int", 1, 0, MAX_SEED, 1),
    "patience": Field("patience", "Early stopping patience", "int", None, 1, 10_000, 1, nullable=True,
                      help="Stop after this many epochs without a lower test loss (null: no early stopping)."),
    "restore_best": Field("restore_best", "Restore best weights", "bool", True,
                          help="When early stopping stops, go back to the weights of the lowest test loss."),
}
_LAYER_TYPE = Field("type", "Layer type", "choice", "dense", options=LAYER_TYPES)


def limits(path: str, dataset: str | None = None) -> Field:
    """The Field that validation applies at `path` ("optimizer.lr", "dataset.noise", ...).

    For "dataset.n_samples" with a registered `dataset` name, `hi` is that set's maximum and
    `default` its natural size (what None means). KeyError for a path not in BOUNDS.
    """
    bound = BOUNDS[path]
    if path == "dataset.n_samples" and dataset is not None:
        from playground.data import dataset_info  # late: the datasets package is not needed otherwise

        info = dataset_info(dataset)
        if info is not None:
            bound = replace(bound, hi=info.max_n, default=info.default_n, step=100 if info.kind == "image" else 50,
                            label="Images" if info.kind == "image" else "Samples")
    return bound


def _value_at(spec: Any, path: str) -> Any:
    for part in path.split("."):
        spec = getattr(spec, part)
    return spec


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
    # Early stopping (Prechelt 1998): stop after `patience` epochs without a lower test loss
    # (the held-out set here); None: off. Both left out of JSON and links at their defaults.
    patience: int | None = field(default=None, metadata={"omit_none": True})
    restore_best: bool = field(default=True, metadata={"omit_default": True})

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
        layers = data.get("layers") if isinstance(data, Mapping) else None
        if isinstance(layers, (list, tuple)):  # counted before any layer is built (3 million took a minute)
            _check(len(layers) <= MAX_LAYERS, "layers", f"at most {MAX_LAYERS} hidden layers, got {len(layers):,}")
        spec = _from_plain(cls, data, "")
        spec.validate()
        return spec

    @classmethod
    def from_json(cls, text: str | bytes) -> "Spec":
        """Parse a JSON config; size, nesting and digits are bounded before parsing, and a syntax
        error becomes a SpecError with line and column."""
        data = parse_json(text)
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
        hints = typing.get_type_hints(cls)
        for key, raw in params.items():
            text = raw[-1] if isinstance(raw, list) else raw
            head, _, sub = key.partition(".")
            if sub and not dataclasses.is_dataclass(hints.get(head)):
                raise SpecError(key, f"unknown parameter: {head!r} is a single value, it has no parts"
                                if head in hints else f"unknown parameter; known: {', '.join(hints)}")
            if sub:
                if head in data and not isinstance(data[head], dict):
                    raise SpecError(head, f"given both as {head!r} and as {key!r}; use {key!r}")
                owner = hints[head]
                data.setdefault(head, {})[sub] = _parse_query_value(text, typing.get_type_hints(owner).get(sub), key)
            elif isinstance(data.get(key), dict):
                raise SpecError(key, f"given both as {key!r} and as dotted parameters ({key}.…); use those")
            elif key == "layers":
                data[key] = parse_json(text, "layers")
            elif key == "features":
                data[key] = [name for name in text.split(",") if name]
            else:
                data[key] = _parse_query_value(text, hints.get(key), key)
        return cls.from_dict(data)

    # -- validation ----------------------------------------------------------------
    def validate(self) -> None:
        """Raise SpecError naming the first field that is out of range (ranges: BOUNDS and the layer registry)."""
        from playground.data import dataset_info  # late import: datasets is optional for specs

        ds = self.dataset
        info = dataset_info(ds.name)
        for path, bound in BOUNDS.items():
            value = _value_at(self, path)
            if path == "dataset.n_samples" and info is not None:
                bound = limits(path, ds.name)
                _check(bound.accepts(value), path, f"{bound.problem(value)} ({ds.name} has at most {bound.hi:,})")
            bound.check(value, path)
        kind = info.kind if info else "points"
        if kind not in ("image", "sequence"):
            _check(len(self.features) > 0, "features", "choose at least one input feature")
            for name in self.features:
                _check(name in FEATURES, "features", _choose(name, FEATURES))
            _check(len(set(self.features)) == len(self.features), "features", "a feature is listed twice")
            if kind == "curve":
                bad = [name for name in self.features if name in USES_X2]
                _check(not bad, "features",
                       f"{', '.join(bad)} use x2, which the 1-D dataset {ds.name!r} does not have")
        _check(len(self.layers) <= MAX_LAYERS, "layers", f"at most {MAX_LAYERS} hidden layers, got {len(self.layers):,}")
        for i, layer in enumerate(self.layers):
            _validate_layer(layer, f"layers[{i}]")
        self._validate_batch_norm()
        if info is not None and info.task == "regression":
            _check(self.loss not in CLASSIFICATION_ONLY, "loss",
                   f"{self.loss!r} needs a classification dataset; {ds.name!r} is a regression one")

    def _validate_batch_norm(self) -> None:
        """Batch norm cannot normalise one sample: refuse a batch size of 1, or a training set of one."""
        with_norm = [i for i, layer in enumerate(self.layers) if layer.type == "batchnorm" or layer.batch_norm]
        if not with_norm:
            return
        where = f"layers[{with_norm[0]}] uses batch norm"
        _check(self.batch_size >= 2, "batch_size",
               f"must be at least 2 with batch norm ({where}, which cannot normalise a batch of one sample)")
        from playground.data import n_samples_of, n_train_of  # late, as dataset_info above

        n = n_samples_of(self.dataset)
        if n is not None and n_train_of(n, self.dataset.train_ratio) < 2:
            raise SpecError("dataset.n_samples", f"{n} samples at a training ratio of {self.dataset.train_ratio:g} "
                            f"leave one training sample, and {where}: draw more samples or raise the ratio")

    # -- convenience ---------------------------------------------------------------
    def with_changes(self, **changes: Any) -> "Spec":
        """A copy with top-level fields replaced (dataclasses.replace), validated."""
        spec = replace(self, **changes)
        spec.validate()
        return spec


_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')  # strings (skipped) and brackets


def parse_json(text: str | bytes, path: str = "") -> Any:
    """json.loads with every bound checked before parsing: size, nesting depth, digits of a number.

    Python's parser recurses once per nesting level (10,000 levels: RecursionError) and its int()
    refuses 4,300 digits (ValueError); both become a SpecError at `path` here instead.
    """
    _check(len(text) <= MAX_CONFIG_BYTES, path, f"{len(text):,} bytes is too large (at most {MAX_CONFIG_BYTES:,})")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError(path, "not valid JSON: the file is not UTF-8 text") from None
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            _check(depth <= MAX_JSON_DEPTH, path, f"JSON nested more than {MAX_JSON_DEPTH} levels deep "
                   f"(a spec needs 4); refused before reading it")
        elif bracket in ("]", "}"):
            depth -= 1
    try:
        return json.loads(text, parse_int=_bounded_int)
    except SpecError as exc:  # from _bounded_int, which does not know where it is
        raise SpecError(path, str(exc)) from None
    except json.JSONDecodeError as exc:
        raise SpecError(path, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


def _bounded_int(digits: str) -> int:
    """The JSON parser's int(): too many digits are refused before converting them."""
    _check(len(digits) <= MAX_NUMBER_CHARS, "", f"a number with {len(digits):,} digits; "
           f"at most {MAX_NUMBER_CHARS} are accepted")
    return int(digits)


def _shown(value: Any) -> str:
    """repr(value), shortened so a pasted paragraph does not flood a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _validate_layer(layer: LayerSpec, path: str) -> None:
    _LAYER_TYPE.check(layer.type, f"{path}.type")
    for f in layer_registry.KINDS[layer.type].fields:
        f.check(getattr(layer, f.name), f"{path}.{f.name}")


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


def _parse_query_value(text: str, hint: Any, path: str) -> Any:
    """A query string as the field's type wants it; anything odd is left for _coerce to refuse."""
    lowered = text.strip().lower()
    if hint is str or hint is None:
        return text
    # Refused unconverted: int() of 5,000 digits raises, float() of them gives inf.
    _check(len(lowered) <= MAX_NUMBER_CHARS, path, f"{len(lowered):,} characters is too long for a number "
           f"(at most {MAX_NUMBER_CHARS})")
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
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)
                if not (f.metadata.get("omit_none") and getattr(obj, f.name) is None)
                and not (f.metadata.get("omit_default") and getattr(obj, f.name) == f.default)}
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
    if cls is LayerSpec and "type" in data and not isinstance(data["type"], str):
        raise SpecError(f"{path}.type", f"must be a layer type name ({', '.join(LAYER_TYPES)}), "
                        f"got {_shown(data['type'])}")
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
            raise SpecError(path, f"must be true or false, got {_shown(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise SpecError(path, f"must be a whole number, got {_shown(value)}")
        if isinstance(value, float) and abs(value) >= 2**63:
            raise SpecError(path, f"must be a whole number in range, got {value:g}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(path, f"must be a number, got {_shown(value)}")
        if not math.isfinite(value):
            raise SpecError(path, f"must be a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(path, f"must be a string, got {_shown(value)}")
        return value
    raise TypeError(f"no coercion for {hint!r}")  # a programming error, not user input
