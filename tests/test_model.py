"""Model builder: shapes per layer type against a real forward pass, and refusals naming the layer."""
import pytest
import torch

from playground.presets import LENET_LIKE
from playground.model import MAX_PARAMETERS, build_model, count_parameters, infer_shapes
from playground.spec import LayerSpec, SpecError

LENET = LENET_LIKE  # the preset the app offers, checked by hand below


def _forward_shapes(model, x):
    shapes = {}
    for name, block in model.named_children():
        x = block(x)
        shapes[name] = tuple(x.shape[1:])
    return shapes


@pytest.mark.parametrize("layers, input_shape, n_out", [
    ((LayerSpec(units=4), LayerSpec(units=2)), (2,), 1),
    ((LayerSpec(units=8, batch_norm=True, dropout=0.5), LayerSpec(units=8, residual=True)), (7,), 3),
    (LENET, (1, 28, 28), 10),
    (LENET, (1, 8, 8), 10),
    ((LayerSpec("conv2d", channels=4, kernel=5, stride=2, padding=0, activation="tanh"),
      LayerSpec("avgpool2d", kernel=3, stride=1), LayerSpec("batchnorm"), LayerSpec("dropout", rate=0.2),
      LayerSpec(units=5)), (1, 28, 28), 4),
])
def test_inferred_shapes_match_a_forward_pass(layers, input_shape, n_out):
    model = build_model(layers, input_shape, n_out, seed=0).eval()
    real = _forward_shapes(model, torch.zeros(3, *input_shape))
    for s in infer_shapes(layers, input_shape, n_out):
        assert real[s.name] == s.out_shape, s.name
    assert real["output"] == (n_out,)
    assert sum(s.params for s in infer_shapes(layers, input_shape, n_out)) == count_parameters(model)


def test_lenet_on_28x28_by_hand():
    shapes = {s.name: s for s in infer_shapes(LENET, (1, 28, 28), 10)}
    assert shapes["conv1"].out_shape == (8, 28, 28) and shapes["conv1"].params == 8 * 9 + 8
    assert shapes["pool1"].out_shape == (8, 14, 14)
    assert shapes["conv2"].out_shape == (16, 14, 14) and shapes["conv2"].params == 16 * 8 * 9 + 16
    assert shapes["pool2"].out_shape == (16, 7, 7)
    assert shapes["flatten1"].out_shape == (784,)
    assert shapes["dense1"].params == 784 * 32 + 32
    assert shapes["output"].params == 32 * 10 + 10


def test_dense_after_image_gets_a_flatten():
    shapes = infer_shapes((LayerSpec(units=5),), (1, 8, 8), 10)
    assert [s.type for s in shapes] == ["flatten", "dense", "dense"]
    assert shapes[0].out_shape == (64,)


@pytest.mark.parametrize("layers, input_shape, path, words", [
    ((LayerSpec("conv2d", kernel=5),), (1, 4, 4), "layers[0].kernel", "kernel 5 is larger than its 4×4 input"),
    ((LayerSpec("maxpool2d", kernel=2),) * 4, (1, 8, 8), "layers[3].kernel", "layer 4 (pool4)"),
    ((LayerSpec("flatten"), LayerSpec("conv2d")), (1, 8, 8), "layers[1].type", "needs image-shaped input"),
    ((LayerSpec("conv2d"),), (2,), "layers[0].type", "flat vector of 2"),
    ((LayerSpec(units=3, residual=True),), (2,), "layers[0].residual", "input width (2) to equal its units (3)"),
    ((LayerSpec("conv2d", channels=128, padding=1), LayerSpec(units=64)), (1, 28, 28), "layers",
     "6,424,522 parameters"),  # 1,280 + 100,352 × 64 + 64 + 650
])
def test_impossible_networks_are_refused(layers, input_shape, path, words):
    with pytest.raises(SpecError) as info:
        infer_shapes(layers, input_shape, 10)
    assert info.value.path == path
    assert words in str(info.value)


def test_max_parameters_is_generous_for_the_playground():
    # 16 layers of 256 units on 2-D data fit (about 1M parameters).
    shapes = infer_shapes((LayerSpec(units=256),) * 16, (7,), 1)
    assert sum(s.params for s in shapes) < MAX_PARAMETERS


def test_seed_gives_identical_weights():
    a = build_model((LayerSpec(units=4),), (2,), 1, seed=3)
    b = build_model((LayerSpec(units=4),), (2,), 1, seed=3)
    c = build_model((LayerSpec(units=4),), (2,), 1, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.dense1.linear.weight, c.dense1.linear.weight)


@pytest.mark.parametrize("init, check", [
    ("zeros", lambda w: torch.count_nonzero(w) == 0),
    ("normal", lambda w: 0.7 < w.std() < 1.3),
    ("xavier_uniform", lambda w: w.abs().max() <= (6 / (200 + 200)) ** 0.5 * 5 / 3 + 1e-6),
    ("kaiming_normal", lambda w: 0.07 < w.std() < 0.13),  # sqrt(2/200) = 0.1 for relu
])
def test_initialisations(init, check):
    model = build_model((LayerSpec(units=200, activation="relu" if "kaiming" in init else "tanh"),
                         LayerSpec(units=200, activation="relu" if "kaiming" in init else "tanh")),
                        (200,), 1, init=init, seed=0)
    w = model.dense2.linear.weight.detach()
    assert check(w)
    if init != "pytorch_default":
        assert torch.count_nonzero(model.dense2.linear.bias) == 0
