"""The spec: JSON / URL round trips, defaults, and validation messages that name the field."""
import json
import pickle
from dataclasses import replace

import pytest

import datasets
from playground.data import build_data, n_samples_of
from playground.layers import KINDS
from playground.spec import (BOUNDS, LAYER_FIELDS, DatasetSpec, LayerSpec, OptimizerSpec, RegularizationSpec, Spec,
                             SpecError, limits, new_layer)

ISSUE_EXAMPLE = {
    "dataset": {"name": "circle", "noise": 0.0, "train_ratio": 0.5, "n_samples": 500, "seed": 1},
    "features": ["x1", "x2"],
    "layers": [{"type": "dense", "units": 4, "activation": "tanh"},
               {"type": "dense", "units": 2, "activation": "tanh"}],
    "init": "xavier_uniform",
    "optimizer": {"name": "sgd", "lr": 0.03, "momentum": 0.0},
    "batch_size": 10, "loss": "auto",
    "regularization": {"kind": "none", "rate": 0.0},
    "grad_clip": None, "seed": 1,
}

RICH = Spec(dataset=DatasetSpec("blobs", noise=0.25, train_ratio=0.7, n_samples=321, seed=9, classes=5),
            features=("x1", "x2", "x1_x2", "sin_x2"),
            layers=(LayerSpec(units=8, activation="relu", dropout=0.2, batch_norm=True),
                    LayerSpec(units=8, activation="gelu", residual=True),
                    LayerSpec(units=3, activation="sin")),
            init="kaiming_normal", optimizer=OptimizerSpec("sgd", 0.1, 0.9, True), batch_size=7, loss="hinge",
            regularization=RegularizationSpec("l2", 0.003), grad_clip=2.5, seed=42)

CONVNET = Spec(dataset=DatasetSpec("digits", n_samples=1797, train_ratio=0.8),
               layers=(LayerSpec("conv2d", channels=8, kernel=3, stride=1, padding=1, activation="relu"),
                       LayerSpec("maxpool2d", kernel=2), LayerSpec("flatten"),
                       LayerSpec("dropout", rate=0.3), LayerSpec("dense", units=32, activation="relu")))


def test_issue_example_is_the_default():
    # The example names its 500 samples; the default leaves them to the set (500 for the 2-D sets).
    assert Spec.from_dict(ISSUE_EXAMPLE) == replace(Spec(), dataset=DatasetSpec(n_samples=500))
    assert Spec.from_dict({k: v for k, v in ISSUE_EXAMPLE.items() if k != "dataset"}) == Spec()
    assert Spec().to_dict()["layers"] == ISSUE_EXAMPLE["layers"]
    assert build_data(Spec()).raw_train.shape == build_data(Spec.from_dict(ISSUE_EXAMPLE)).raw_train.shape == (250, 2)


@pytest.mark.parametrize("name, natural", [("circle", 500), ("spiral", 500), ("sine", 500), ("digits", 1797)])
def test_a_dataset_without_n_samples_uses_its_natural_size(name, natural):
    spec = Spec.from_dict({"dataset": {"name": name}, "features": ["x1"]})
    assert spec.dataset.n_samples is None and n_samples_of(spec.dataset) == natural
    data = build_data(spec)
    assert len(data.raw_train) + len(data.raw_test) == natural
    assert "n_samples" not in spec.to_dict()["dataset"] and "dataset.n_samples" not in spec.to_query()
    assert limits("dataset.n_samples", name).default == natural


def test_an_explicit_n_samples_is_kept_and_written():
    spec = Spec.from_dict({"dataset": {"name": "digits", "n_samples": 1797}})
    assert spec.dataset.n_samples == 1797 and spec.to_dict()["dataset"]["n_samples"] == 1797
    assert Spec.from_query(spec.to_query()) == spec
    assert Spec.from_query({"dataset.n_samples": "none"}).dataset.n_samples is None


@pytest.mark.parametrize("name, too_many", [("spiral", 70_000), ("digits", 5000), ("shapes", 20_001),
                                            ("mnist", 70_001)])
def test_n_samples_above_the_sets_maximum_is_refused(name, too_many):
    with pytest.raises(SpecError) as info:
        Spec.from_dict({"dataset": {"name": name, "n_samples": too_many}})
    assert info.value.path == "dataset.n_samples"
    assert f"{name} has at most {datasets.get(name).max_n:,}" in str(info.value)
    Spec.from_dict({"dataset": {"name": name, "n_samples": datasets.get(name).max_n}})  # the maximum itself is fine


NATURAL = Spec(dataset=DatasetSpec("digits", train_ratio=0.8),
               layers=(LayerSpec("conv2d", channels=4, kernel=5, stride=2, batch_norm=True, dropout=0.25),
                       LayerSpec("avgpool2d", kernel=2, stride=1), LayerSpec("batchnorm"), LayerSpec(units=16)))


@pytest.mark.parametrize("spec", [Spec(), RICH, CONVNET, NATURAL])
def test_round_trips(spec):
    assert Spec.from_dict(spec.to_dict()) == spec
    assert Spec.from_json(spec.to_json()) == spec
    assert Spec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    query = spec.to_query()
    assert all(isinstance(v, str) for v in query.values())
    assert Spec.from_query(query) == spec


def test_layer_json_carries_only_its_fields():
    conv = CONVNET.to_dict()["layers"]
    assert conv[0] == {"type": "conv2d", "channels": 8, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu"}
    assert conv[1] == {"type": "maxpool2d", "kernel": 2}
    assert conv[2] == {"type": "flatten"}
    assert RICH.to_dict()["layers"][0] == {"type": "dense", "units": 8, "activation": "relu", "dropout": 0.2,
                                           "batch_norm": True}
    assert NATURAL.to_dict()["layers"][1] == {"type": "avgpool2d", "kernel": 2, "stride": 1}
    assert NATURAL.to_dict()["layers"][0] == {"type": "conv2d", "channels": 4, "kernel": 5, "stride": 2, "padding": 0,
                                              "activation": "tanh", "dropout": 0.25, "batch_norm": True}


def test_layer_json_written_before_the_registry_loads_the_same():
    # Configs and links made before the registry: each field missing takes the old default.
    old = [{"type": "conv2d", "channels": 8, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu"},
           {"type": "maxpool2d", "kernel": 2}, {"type": "avgpool2d", "kernel": 3, "stride": 1},
           {"type": "conv2d"}, {"type": "flatten"}, {"type": "dropout"}, {"type": "batchnorm"},
           {"type": "dense", "units": 3, "activation": "relu", "dropout": 0.5, "batch_norm": True, "residual": True}]
    layers = Spec.from_dict({"dataset": {"name": "digits"}, "layers": old}).layers
    assert (layers[1].kernel, layers[1].stride) == (2, 2)          # pooling steps by its kernel
    assert (layers[2].kernel, layers[2].stride) == (3, 1)
    assert (layers[3].channels, layers[3].kernel, layers[3].stride, layers[3].padding, layers[3].activation) == \
        (8, 3, 1, 0, "tanh")
    assert layers[5].rate == 0.5
    written = [layer.to_dict() for layer in layers]
    assert written[:3] == old[:3] and written[4] == old[4] and written[6:] == old[6:]
    assert written[3] == {"type": "conv2d", "channels": 8, "kernel": 3, "stride": 1, "padding": 0, "activation": "tanh"}
    assert written[5] == {"type": "dropout", "rate": 0.5}


def test_layer_spec_keeps_its_fields_order_and_pickles():
    assert LayerSpec("dense", 64).units == 64                      # positional order as before: type, units, ...
    assert [f for f in LayerSpec.__dataclass_fields__][:6] == ["type", "units", "activation", "dropout",
                                                               "batch_norm", "residual"]
    assert LAYER_FIELDS == {name: kind.field_names for name, kind in KINDS.items()}
    layer = LayerSpec("maxpool2d", kernel=3)
    assert pickle.loads(pickle.dumps(layer)) == layer and hash(layer) == hash(LayerSpec("maxpool2d", kernel=3))


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_new_layer_of_every_kind_validates(kind):
    layer = new_layer(kind)
    assert layer.type == kind
    Spec(dataset=DatasetSpec("digits"), layers=(layer,)).validate()


def test_missing_keys_take_defaults():
    assert Spec.from_dict({}) == Spec()
    assert Spec.from_dict({"optimizer": {"lr": 0.1}}).optimizer == OptimizerSpec(lr=0.1)


@pytest.mark.parametrize("data, path, words", [
    ({"optimizer": {"lr": -1}}, "optimizer.lr", "must be > 0"),
    ({"optimizer": {"lr": "fast"}}, "optimizer.lr", "must be a number"),
    ({"optimizer": {"name": "lbfgs"}}, "optimizer.name", "choose one of"),
    ({"dataset": {"name": "mystery"}}, "dataset.name", "unknown dataset"),
    ({"dataset": {"noise": 3}}, "dataset.noise", "between 0 and 0.5"),
    ({"dataset": {"train_ratio": 0.95}}, "dataset.train_ratio", "between 0.1 and 0.9"),
    ({"dataset": {"seed": -1}}, "dataset.seed", "between 0 and 2147483647"),
    ({"optimizer": {"momentum": 0.995}}, "optimizer.momentum", "between 0 and 0.99"),
    ({"optimizer": {"lr": 0}}, "optimizer.lr", "must be > 0 and <= 100"),
    ({"layers": [{"type": "dense", "dropout": 0.999}]}, "layers[0].dropout", "between 0 and 0.9"),
    ({"layers": [{"type": "conv2d", "kernel": 16}]}, "layers[0].kernel", "between 1 and 15"),
    ({"layers": [{"type": "maxpool2d", "kernel": 2, "stride": 16}]}, "layers[0].stride", "between 1 and 15"),
    ({"dataset": {"n_samples": 2.5}}, "dataset.n_samples", "whole number"),
    ({"layers": [{"type": "dense", "units": 0}]}, "layers[0].units", "between 1 and"),
    ({"layers": [{"type": "dense", "activation": "swish2"}]}, "layers[0].activation", "choose one of"),
    ({"layers": [{"type": "dense", "channels": 3}]}, "layers[0].channels", "has no field"),
    ({"layers": [{"type": "transformer"}]}, "layers[0].type", "choose one of"),
    ({"features": ["x1", "x3"]}, "features", "choose one of"),
    ({"features": []}, "features", "at least one"),
    ({"dataset": {"name": "sine"}, "features": ["x1", "x2"]}, "features", "use x2"),
    ({"dataset": {"name": "plane"}, "loss": "hinge"}, "loss", "classification"),
    ({"batch_size": 0}, "batch_size", "between 1"),
    ({"grad_clip": -1}, "grad_clip", "between 0.001 and 1000000"),
    ({"seed": 2**31}, "seed", "between 0 and"),
    ({"regularization": {"kind": "l3"}}, "regularization.kind", "choose one of"),
    ({"colour": "blue"}, "colour", "unknown key"),
    ({"optimizer": 5}, "optimizer", "must be an object"),
    ({"nesterov": True}, "nesterov", "unknown key"),
])
def test_validation_names_the_field(data, path, words):
    with pytest.raises(SpecError) as info:
        Spec.from_dict(data)
    assert info.value.path == path
    assert words in str(info.value)
    assert str(info.value).startswith(path)


def test_bad_json_says_where():
    with pytest.raises(SpecError, match="line 1, column"):
        Spec.from_json('{"seed": 1,,}')
    with pytest.raises(SpecError, match="JSON object"):
        Spec.from_json("[1, 2]")


def test_query_values_are_parsed_by_field_type():
    spec = Spec.from_query({"optimizer.lr": "0.3", "grad_clip": "none", "regularization.kind": "none",
                            "features": "x1,x1_sq", "dataset.name": "xor", "seed": "7"})
    assert spec.optimizer.lr == 0.3 and spec.grad_clip is None and spec.seed == 7
    assert spec.regularization.kind == "none" and spec.features == ("x1", "x1_sq")
    with pytest.raises(SpecError, match="optimizer.lr"):
        Spec.from_query({"optimizer.lr": "abc"})
    with pytest.raises(SpecError, match="layers"):
        Spec.from_query({"layers": "[{oops"})


def _with(spec: Spec, path: str, value):
    """`spec` with the field at dotted `path` set to `value`, not validated."""
    head, _, sub = path.partition(".")
    if not sub:
        return replace(spec, **{head: value})
    return replace(spec, **{head: replace(getattr(spec, head), **{sub: value})})


# The dataset a path is checked on: n_samples reaches its table maximum only on the largest set.
_CONTEXT = {"dataset.n_samples": Spec(dataset=DatasetSpec("mnist")),
            "dataset.normalize": Spec(dataset=DatasetSpec("digits"))}


@pytest.mark.parametrize("path", list(BOUNDS))
def test_every_bound_is_what_validation_accepts(path):
    bound, base = limits(path), _CONTEXT.get(path, Spec())
    assert bound is BOUNDS[path]
    if bound.type == "choice":
        for option in bound.options:
            _with(base, path, option).validate()
        refused = ["no-such-" + path]
    elif bound.type == "bool":
        for value in (False, True):
            _with(base, path, value).validate()
        refused = []
    else:
        tiny = 1 if bound.type == "int" else 1e-9
        if bound.lo_open:
            _with(base, path, bound.lo + tiny).validate()
            refused = [bound.lo]
        else:
            _with(base, path, bound.lo).validate()
            refused = [bound.lo - tiny]
        _with(base, path, bound.hi).validate()
        refused.append(bound.hi + tiny)
    for value in refused:
        with pytest.raises(SpecError) as info:
            _with(base, path, value).validate()
        assert info.value.path == path


@pytest.mark.parametrize("path", list(BOUNDS))
def test_bounds_defaults_are_the_spec_defaults(path):
    node = Spec()
    for part in path.split("."):
        node = getattr(node, part)
    assert node == BOUNDS[path].default


@pytest.mark.parametrize("name", datasets.names())
def test_n_samples_limits_follow_each_dataset(name):
    bound, info = limits("dataset.n_samples", name), datasets.get(name)
    assert (bound.lo, bound.hi, bound.default) == (10, info.max_n, info.default_n)
    features = ["x1"] if info.kind == "curve" else ["x1", "x2"]
    for n in (bound.lo, bound.hi):
        Spec.from_dict({"dataset": {"name": name, "n_samples": n}, "features": features})
    for n in (bound.lo - 1, bound.hi + 1):
        with pytest.raises(SpecError, match="dataset.n_samples"):
            Spec.from_dict({"dataset": {"name": name, "n_samples": n}, "features": features})
