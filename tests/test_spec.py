"""The spec: JSON / URL round trips, defaults, and validation messages that name the field."""
import json

import pytest

from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, RegularizationSpec, Spec, SpecError

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
    assert Spec.from_dict(ISSUE_EXAMPLE) == Spec()
    assert Spec().to_dict()["layers"] == ISSUE_EXAMPLE["layers"]


@pytest.mark.parametrize("spec", [Spec(), RICH, CONVNET])
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


def test_missing_keys_take_defaults():
    assert Spec.from_dict({}) == Spec()
    assert Spec.from_dict({"optimizer": {"lr": 0.1}}).optimizer == OptimizerSpec(lr=0.1)


@pytest.mark.parametrize("data, path, words", [
    ({"optimizer": {"lr": -1}}, "optimizer.lr", "must be > 0"),
    ({"optimizer": {"lr": "fast"}}, "optimizer.lr", "must be a number"),
    ({"optimizer": {"name": "lbfgs"}}, "optimizer.name", "choose one of"),
    ({"dataset": {"name": "mystery"}}, "dataset.name", "unknown dataset"),
    ({"dataset": {"noise": 3}}, "dataset.noise", "between 0 and 1"),
    ({"dataset": {"n_samples": 2.5}}, "dataset.n_samples", "whole number"),
    ({"layers": [{"type": "dense", "units": 0}]}, "layers[0].units", "between 1 and"),
    ({"layers": [{"type": "dense", "activation": "swish2"}]}, "layers[0].activation", "choose one of"),
    ({"layers": [{"type": "dense", "channels": 3}]}, "layers[0].channels", "has no field"),
    ({"layers": [{"type": "lstm"}]}, "layers[0].type", "choose one of"),
    ({"features": ["x1", "x3"]}, "features", "choose one of"),
    ({"features": []}, "features", "at least one"),
    ({"dataset": {"name": "sine"}, "features": ["x1", "x2"]}, "features", "use x2"),
    ({"dataset": {"name": "plane"}, "loss": "hinge"}, "loss", "classification"),
    ({"batch_size": 0}, "batch_size", "between 1"),
    ({"grad_clip": -1}, "grad_clip", "positive"),
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
