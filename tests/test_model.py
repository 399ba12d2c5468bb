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


# Every scheme on a 200 -> 200 dense layer (40,000 weights: the sample std is within about 1 %
# of the true one). fan_in = fan_out = 200; the gain is torch's calculate_gain of the activation:
# tanh 5/3, relu sqrt(2). Uniform U(-b, b) has std b / sqrt(3).
FAN = 200
TANH_GAIN, RELU_GAIN = 5 / 3, 2 ** 0.5
INIT_CASES = {
    # nn.Linear's own init: kaiming_uniform with a = sqrt(5), so b = sqrt(1/fan_in); bias U(±1/sqrt(fan_in)).
    "pytorch_default": ("tanh", "uniform", (1 / FAN) ** 0.5),
    "xavier_uniform": ("tanh", "uniform", TANH_GAIN * (6 / (FAN + FAN)) ** 0.5),
    "xavier_normal": ("tanh", "normal", TANH_GAIN * (2 / (FAN + FAN)) ** 0.5),
    "kaiming_uniform": ("relu", "uniform", RELU_GAIN * (3 / FAN) ** 0.5),
    "kaiming_normal": ("relu", "normal", RELU_GAIN / FAN ** 0.5),
    "normal": ("tanh", "normal", 1.0),          # the naive N(0, 1)
    "zeros": ("tanh", "zeros", 0.0),
}


@pytest.mark.parametrize("init", list(INIT_CASES))
def test_initialisations(init):
    from playground.initializers import INITS

    assert set(INIT_CASES) == set(INITS)  # every scheme the spec offers is checked here
    activation, law, scale = INIT_CASES[init]
    model = build_model((LayerSpec(units=FAN, activation=activation), LayerSpec(units=FAN, activation=activation)),
                        (FAN,), 1, init=init, seed=0)
    w = model.dense2.linear.weight.detach().double()
    bias = model.dense2.linear.bias.detach()
    assert abs(w.mean()) <= 0.02 * scale  # about four standard errors of the mean of 40,000 weights
    if law == "zeros":
        assert torch.count_nonzero(w) == 0
    elif law == "uniform":  # bound b: every weight inside, the extremes close to it, std b / sqrt(3)
        assert w.abs().max() <= scale + 1e-7 and w.abs().max() > 0.99 * scale
        assert w.std().item() == pytest.approx(scale / 3 ** 0.5, rel=0.02)
    else:
        assert w.std().item() == pytest.approx(scale, rel=0.02)
        assert w.abs().max() > 3 * scale  # a normal law's tails, which a uniform one of that std lacks
    if init == "pytorch_default":  # torch keeps its bias init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        assert torch.count_nonzero(bias) > 0 and bias.abs().max() <= (1 / FAN) ** 0.5
    else:
        assert torch.count_nonzero(bias) == 0


def test_conv_initialisation_uses_channels_times_kernel_as_fan_in():
    # Conv2d(16 -> 32, 3×3): fan_in = 16·9 = 144; kaiming_normal with relu: std = sqrt(2 / 144).
    layers = (LayerSpec("conv2d", channels=16, kernel=3, padding=1, activation="relu"),
              LayerSpec("conv2d", channels=32, kernel=3, padding=1, activation="relu"))
    model = build_model(layers, (1, 8, 8), 10, init="kaiming_normal", seed=0)
    w = model.conv2.conv.weight.detach().double()
    assert w.shape == (32, 16, 3, 3)
    assert w.std().item() == pytest.approx((2 / 144) ** 0.5, rel=0.04)


def test_module_names_and_state_dict_keys_are_stable():
    # Links and saved weights name modules this way; the registry must not rename them.
    layers = (LayerSpec("conv2d", channels=2, kernel=3, batch_norm=True), LayerSpec("maxpool2d", kernel=2),
              LayerSpec("avgpool2d", kernel=1), LayerSpec("dropout"), LayerSpec("batchnorm"),
              LayerSpec(units=3, batch_norm=True), LayerSpec("flatten"), LayerSpec(units=3, residual=True))
    model = build_model(layers, (1, 8, 8), 4, seed=0)
    assert [name for name, _ in model.named_children()] == [
        "conv1", "pool1", "pool2", "dropout1", "bn1", "flatten_dense1", "dense1", "flatten1", "dense2", "output"]
    assert list(model.state_dict()) == [
        "conv1.conv.weight", "conv1.conv.bias", "conv1.norm.weight", "conv1.norm.bias", "conv1.norm.running_mean",
        "conv1.norm.running_var", "conv1.norm.num_batches_tracked", "bn1.weight", "bn1.bias", "bn1.running_mean",
        "bn1.running_var", "bn1.num_batches_tracked", "dense1.linear.weight", "dense1.linear.bias",
        "dense1.norm.weight", "dense1.norm.bias", "dense1.norm.running_mean", "dense1.norm.running_var",
        "dense1.norm.num_batches_tracked", "dense2.linear.weight", "dense2.linear.bias", "output.weight",
        "output.bias"]


def test_weight_layers_and_weight_tensors():
    model = build_model(LENET + (LayerSpec("batchnorm"),), (1, 8, 8), 10, seed=0)
    pairs = model.weight_layers()
    assert [name for name, _ in pairs] == ["conv1", "conv2", "dense1", "output"]
    assert pairs[0][1] is model.conv1.conv and pairs[2][1] is model.dense1.linear and pairs[3][1] is model.output
    tensors = model.weight_tensors()
    assert [label for label, _ in tensors] == ["conv1", "conv2", "dense1", "output"]
    assert all(param is module.weight for (_, param), (_, module) in zip(tensors, pairs))
    assert [name for name, _, _ in model.activation_layers()] == ["conv1", "conv2", "dense1"]
