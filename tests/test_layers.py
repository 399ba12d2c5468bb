"""The layer registry: shape rules and parameter counts against plain torch.nn modules built by hand,
refusals that name the layer, module factories, weight tensors, and field bounds equal to validation."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from playground.layers import KINDS, LAYER_TYPES, Field, infer_shapes
from playground.spec import DatasetSpec, LayerSpec, Spec, SpecError

ROOT = Path(__file__).resolve().parents[1]


def _numel(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def _out(module: nn.Module, in_shape: tuple[int, ...]) -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(module.eval()(torch.zeros(2, *in_shape)).shape[1:])


# (layer, input shape, the same layer written as plain torch.nn by hand). Inputs are not
# square, so a rule that mixes up height and width fails.
CASES = [
    (LayerSpec(units=5), (7,), nn.Linear(7, 5)),
    (LayerSpec(units=5, batch_norm=True), (7,), nn.Sequential(nn.Linear(7, 5), nn.BatchNorm1d(5))),
    (LayerSpec(units=6, residual=True, dropout=0.5), (6,), nn.Linear(6, 6)),
    (LayerSpec("conv2d", channels=6, kernel=5, stride=2, padding=1), (3, 11, 14), nn.Conv2d(3, 6, 5, 2, 1)),
    (LayerSpec("conv2d", channels=4, kernel=3, stride=1, padding=0, batch_norm=True), (2, 9, 5),
     nn.Sequential(nn.Conv2d(2, 4, 3, 1, 0), nn.BatchNorm2d(4))),
    (LayerSpec("conv2d", channels=1, kernel=1, stride=3, padding=2), (5, 7, 8), nn.Conv2d(5, 1, 1, 3, 2)),
    (LayerSpec("maxpool2d", kernel=2), (3, 9, 6), nn.MaxPool2d(2, 2)),
    (LayerSpec("maxpool2d", kernel=3, stride=1), (3, 9, 6), nn.MaxPool2d(3, 1)),
    (LayerSpec("avgpool2d", kernel=4, stride=3), (2, 13, 10), nn.AvgPool2d(4, 3)),
    (LayerSpec("flatten"), (3, 4, 5), nn.Flatten()),
    (LayerSpec("flatten"), (9,), nn.Flatten()),
    (LayerSpec("dropout", rate=0.3), (4, 6, 6), nn.Dropout(0.3)),
    (LayerSpec("batchnorm"), (5, 4, 3), nn.BatchNorm2d(5)),
    (LayerSpec("batchnorm"), (9,), nn.BatchNorm1d(9)),
]


@pytest.mark.parametrize("layer, in_shape, reference", CASES)
def test_shape_rule_and_parameters_match_plain_torch(layer, in_shape, reference):
    out_shape, params = KINDS[layer.type].infer(layer, in_shape)
    assert out_shape == _out(reference, in_shape)
    assert params == _numel(reference)


@pytest.mark.parametrize("layer, in_shape, reference", CASES)
def test_module_factory_builds_what_the_rule_says(layer, in_shape, reference):
    torch.manual_seed(0)
    module = KINDS[layer.type].build(layer, in_shape, "pytorch_default")
    out_shape, params = KINDS[layer.type].infer(layer, in_shape)
    assert _out(module, in_shape) == out_shape
    assert _numel(module) == params


def test_weight_tensors_per_kind():
    dense = KINDS["dense"].build(LayerSpec(units=3), (4,), "xavier_uniform")
    conv = KINDS["conv2d"].build(LayerSpec("conv2d", channels=2), (1, 5, 5), "xavier_uniform")
    assert KINDS["dense"].weights(dense) == {"weight": dense.linear.weight}
    assert KINDS["conv2d"].weights(conv) == {"weight": conv.conv.weight}
    for name in ("maxpool2d", "avgpool2d", "flatten", "dropout", "batchnorm"):
        module = KINDS[name].build(LayerSpec(name, kernel=2), (2, 4, 4), "xavier_uniform")
        assert KINDS[name].weights(module) == {}, name  # no ‖∂L/∂W‖ bar for them (batch norm's scale included)


@pytest.mark.parametrize("layer, in_shape, path, words", [
    (LayerSpec("conv2d", kernel=5), (1, 4, 6), "layers[2].kernel", "layer 3 (conv7): kernel 5 is larger than its 4×6 input"),
    (LayerSpec("conv2d", kernel=7, padding=1), (1, 4, 9), "layers[2].kernel", "(padded by 1)"),
    (LayerSpec("maxpool2d", kernel=3), (2, 2, 8), "layers[2].kernel", "kernel 3 is larger"),
    (LayerSpec("avgpool2d", kernel=2), (16,), "layers[2].type", "avgpool2d needs image-shaped input"),
    (LayerSpec("conv2d"), (16,), "layers[2].type", "flat vector of 16"),
    (LayerSpec(units=4, residual=True), (3,), "layers[2].residual", "input width (3) to equal its units (4)"),
])
def test_impossible_layers_are_refused_naming_the_layer(layer, in_shape, path, words):
    with pytest.raises(SpecError) as info:
        KINDS[layer.type].infer(layer, in_shape, index=2, name="conv7")
    assert info.value.path == path
    assert words in str(info.value)


def test_every_kind_is_complete():
    assert LAYER_TYPES == ("dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "dropout", "batchnorm",
                           "rnn", "lstm", "gru", "embedding", "last_step")
    for name, kind in KINDS.items():
        assert kind.name == name and kind.title and kind.prefix.isidentifier()
        assert all(isinstance(f, Field) and hasattr(LayerSpec(), f.name) for f in kind.fields)
        assert set(kind.new) <= set(kind.field_names)
    assert [KINDS[k].title for k in ("dense", "conv2d", "maxpool2d")] == ["Dense", "Conv 2-D", "Max pool"]
    assert KINDS["conv2d"].needs_image and KINDS["maxpool2d"].needs_image and not KINDS["dense"].needs_image
    assert KINDS["dense"].field("units").placement == "card" and KINDS["dense"].field("dropout").placement == "options"


def test_kinds_sharing_a_prefix_are_counted_together():
    layers = (LayerSpec("maxpool2d", kernel=1), LayerSpec("avgpool2d", kernel=1), LayerSpec("dropout"))
    assert [s.name for s in infer_shapes(layers, (1, 4, 4), 2)] == ["pool1", "pool2", "dropout1", "flatten", "output"]


def _layer_fields():
    return [(kind.name, f) for kind in KINDS.values() for f in kind.fields]


@pytest.mark.parametrize("kind, f", _layer_fields(), ids=[f"{k}.{f.name}" for k, f in _layer_fields()])
def test_every_layer_field_bound_is_what_validation_accepts(kind, f):
    def spec_with(value):
        return Spec(dataset=DatasetSpec("digits"), layers=(LayerSpec(kind, **{f.name: value}),))

    if f.type == "choice":
        accepted, refused = list(f.options), ["no-such-option"]
    elif f.type == "bool":
        accepted, refused = [False, True], []
    else:
        tiny = 1 if f.type == "int" else 1e-9
        accepted, refused = [f.lo, f.hi], [f.lo - tiny, f.hi + tiny]
        assert f.lo <= (f.default if f.default is not None else f.lo) <= f.hi
    for value in accepted:
        spec_with(value).validate()
        assert f.accepts(value)
    for value in refused:
        assert not f.accepts(value)
        with pytest.raises(SpecError) as info:
            spec_with(value).validate()
        assert info.value.path == f"layers[0].{f.name}"


def test_field_helpers():
    f = KINDS["dense"].field("dropout")
    assert f.describe() == "between 0 and 0.9" and f.parse(1) == 1.0 and isinstance(f.parse(1), float)
    assert KINDS["dense"].field("units").parse(3.0) == 3 and KINDS["dense"].field("units").problem(2.5)
    assert KINDS["dense"].field("activation").problem("swish2").startswith("unknown 'swish2'; choose one of")
    assert KINDS["dense"].field("units").problem(True) == "must be a whole number, got True"
    assert KINDS["maxpool2d"].default_of("stride", LayerSpec("maxpool2d", kernel=4)) == 4
    assert KINDS["conv2d"].default_of("stride", LayerSpec("conv2d", kernel=4)) == 1


def test_adding_a_kind_is_adding_one_entry():
    # A new kind with its own setting and two weight tensors (as a recurrent layer will have),
    # registered before the spec is imported: JSON, validation, shapes, modules and gradient
    # labels all follow from the entry alone.
    code = '''
import torch
from torch import nn
import playground.layers as L

def rule(layer, shape):
    h = layer.hidden
    return (h,), shape[0] * h + h + h * h + h

def build(layer, shape, init):
    return nn.Sequential(nn.Linear(shape[0], layer.hidden), nn.Linear(layer.hidden, layer.hidden))

HIDDEN = L.Field("hidden", "Hidden units", "int", 5, 1, 64, 1)
L.KINDS["twin"] = L.LayerKind("twin", "Twin", "twin", (HIDDEN,), rule, build, needs_flat=True,
                              weights=lambda m: {"weight_ih": m[0].weight, "weight_hh": m[1].weight})
L.LAYER_TYPES = tuple(L.KINDS)

from playground.model import build_model
from playground.spec import Spec, SpecError
spec = Spec.from_dict({"layers": [{"type": "twin", "hidden": 7}]})
assert spec.layers[0].hidden == 7 and spec.to_dict()["layers"] == [{"type": "twin", "hidden": 7}]
assert Spec.from_query(spec.to_query()) == spec
try:
    Spec.from_dict({"layers": [{"type": "twin", "hidden": 65}]})
    raise AssertionError("hidden 65 was accepted")
except SpecError as exc:
    assert exc.path == "layers[0].hidden", exc
model = build_model(spec.layers, (2,), 1, seed=0)
assert [label for label, _ in model.weight_tensors()] == ["twin1.weight_ih", "twin1.weight_hh", "output"]
assert sum(s.params for s in model.shapes) == sum(p.numel() for p in model.parameters())
'''
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
