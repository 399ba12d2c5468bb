"""The image inspection engine: feature maps, attributions and test-set views on real models."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from playground import interpret
from playground.data import class_gallery
from playground.interpret import (confident_mistakes, confusion_matrix, conv_layer_names,
                                  inspect_image, layer_filters, normalise_image)
from playground.model import ConvBlock, DenseBlock, build_model
from playground.presets import SMALL_MLP, image_spec
from playground.spec import LayerSpec
from playground.train import Trainer

# A small convnet with batch norm and dropout, so eval mode and untouched buffers matter.
BN_CONV = (LayerSpec("conv2d", channels=4, kernel=3, padding=1, activation="relu", batch_norm=True, dropout=0.3),
           LayerSpec("maxpool2d", kernel=2),
           LayerSpec("flatten"),
           LayerSpec("dense", units=8, activation="tanh", dropout=0.5))


@pytest.fixture(scope="module")
def digits() -> Trainer:
    t = Trainer(image_spec("digits"))
    t.train_epochs(1)
    return t


@pytest.fixture(scope="module")
def shapes() -> Trainer:
    t = Trainer(image_spec("shapes"))
    t.train_epochs(1)
    return t


@pytest.fixture(scope="module")
def mlp() -> Trainer:
    t = Trainer(image_spec("digits", SMALL_MLP))
    t.train_epochs(1)
    return t


def _model_input(trainer: Trainer, i: int) -> torch.Tensor:
    return torch.as_tensor(trainer.data.x_test[i:i + 1], device=trainer.device)  # (1, 1, H, W)


# -- the forward pass -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_feature_maps_and_probabilities_match_a_plain_forward_pass(name, digits, shapes):
    trainer = {"digits": digits, "shapes": shapes}[name]
    model, i = trainer.model, 5
    result = inspect_image(trainer, index=i, methods=())
    # Run the children by hand; for dense blocks recompute act(linear(h)) from the parts.
    expected_maps, expected_dense = {}, {}
    model.eval()
    with torch.no_grad():
        h = _model_input(trainer, i)
        for child_name, child in model.named_children():
            if isinstance(child, DenseBlock):
                expected_dense[child_name] = child.act(child.linear(h))[0].numpy()
            h = child(h)
            if isinstance(child, (ConvBlock, nn.MaxPool2d, nn.AvgPool2d)):
                expected_maps[child_name] = h[0].numpy()
        logits = model(_model_input(trainer, i))
    model.train()
    assert list(result.feature_maps) == list(expected_maps) == ["conv1", "pool1", "conv2", "pool2"]
    for key, value in expected_maps.items():
        np.testing.assert_allclose(result.feature_maps[key], value, atol=1e-6, rtol=0)
    assert list(result.dense_activations) == ["dense1"]
    np.testing.assert_allclose(result.dense_activations["dense1"], expected_dense["dense1"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.probabilities, torch.softmax(logits, 1)[0].numpy(), atol=1e-6)
    assert result.predicted == int(logits.argmax()) and result.label == int(trainer.data.y_test[i])
    np.testing.assert_array_equal(result.image, trainer.data.raw_test[i, 0])


def test_conv_feature_maps_are_post_activation(digits):
    # Kaiming-initialised ReLU convs: pre-activations are negative somewhere, so this can fail.
    result = inspect_image(digits, index=0, methods=())
    assert result.feature_maps["conv1"].min() >= 0 and result.feature_maps["conv2"].min() >= 0


# -- attributions ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_integrated_gradients_completeness(name, digits, shapes):
    trainer = {"digits": digits, "shapes": shapes}[name]
    data, model = trainer.data, trainer.model
    for i in (0, 7):
        # ReLU/max-pool nets are piecewise linear, where Gauss-Legendre converges erratically
        # (measured: up to 40 % off at 32 steps when the logit gap is small, < 0.3 % at 1024).
        result = inspect_image(trainer, index=i, methods=("integrated_gradients",), ig_steps=1024)
        t = result.attribution_target
        model.eval()
        with torch.no_grad():
            x = _model_input(trainer, i)
            baseline = torch.full_like(x, (0 - data.mean) / data.std)
            gap = float(model(x)[0, t] - model(baseline)[0, t])
        model.train()
        # One input channel, and the (H, W) map is the channel sum, so its total is the full sum.
        total = float(result.attributions["integrated_gradients"].astype(np.float64).sum())
        assert abs(gap) > 1e-3  # otherwise the relative check below says nothing
        assert abs(total - gap) < 1e-2 * abs(gap), (total, gap)
        assert abs(result.ig_delta - (total - gap)) < 1e-3 * max(1.0, abs(gap))  # Captum's delta agrees


@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_attributions_have_input_resolution_and_signs(name, digits, shapes):
    trainer = {"digits": digits, "shapes": shapes}[name]
    result = inspect_image(trainer, index=3)
    H, W = trainer.data.input_shape[-2:]
    assert (H, W) == ((8, 8) if name == "digits" else (28, 28))
    assert set(result.attributions) == {"saliency", "integrated_gradients", "grad_cam"}
    for value in result.attributions.values():
        assert value.shape == (H, W) and value.dtype == np.float32 and np.all(np.isfinite(value))
    assert result.attributions["saliency"].min() >= 0 and result.attributions["saliency"].max() > 0
    assert result.attributions["grad_cam"].min() >= 0
    assert result.attributions["integrated_gradients"].min() < 0 < result.attributions["integrated_gradients"].max()
    assert result.attribution_target == result.predicted


def test_grad_cam_is_relu_of_upsampled_last_conv_cam(digits):
    # Grad-CAM by hand on conv2: channel weights = spatial mean of ∂logit/∂A, CAM = ReLU(Σ w A).
    model, i = digits.model, 11
    result = inspect_image(digits, index=i, methods=("grad_cam",), target=4)
    model.eval()
    store = {}
    handle = model.conv2.register_forward_hook(lambda m, inp, out: store.setdefault("a", out))
    try:
        logit = model(_model_input(digits, i))[0, 4]
    finally:
        handle.remove()
    model.train()
    a = store["a"]                                       # (1, 16, 2, 2)
    (g,) = torch.autograd.grad(logit, a)
    cam = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))  # (1, 1, 2, 2)
    up = nn.functional.interpolate(cam, size=(8, 8), mode="bilinear")[0, 0].detach().numpy()
    np.testing.assert_allclose(result.attributions["grad_cam"], up, atol=1e-6)
    for p in model.parameters():
        p.grad = None


def test_explicit_target_is_explained(digits):
    result = inspect_image(digits, index=2, target=7)
    assert result.attribution_target == 7
    other = inspect_image(digits, index=2, target=3)
    assert not np.allclose(result.attributions["saliency"], other.attributions["saliency"])
    with pytest.raises(ValueError, match="target class 10"):
        inspect_image(digits, index=2, target=10)


@pytest.mark.parametrize("layers", [SMALL_MLP, (LayerSpec("conv2d", channels=4, kernel=3, activation="relu"),
                                                LayerSpec("flatten"), LayerSpec("dense", units=16, activation="relu"))])
def test_a_model_blind_to_the_left_half_gets_zero_attribution_there(layers):
    trainer = Trainer(image_spec("digits", layers))
    model = trainer.model
    first_dense = next(b for b in model.children() if isinstance(b, DenseBlock)).linear
    with torch.no_grad():
        if isinstance(model[0], ConvBlock):
            # 3×3 valid conv on 8×8 -> 6×6; output column j reads input columns j..j+2, so
            # dropping output columns 0..3 leaves input columns 0..3 unread.
            w = first_dense.weight.view(first_dense.out_features, 4, 6, 6)
            w[..., :4] = 0
        else:
            w = first_dense.weight.view(first_dense.out_features, 8, 8)
            w[..., :4] = 0
    i = int(np.argmax(trainer.data.raw_test[:, 0, :, :4].sum(axis=(1, 2))))  # lots of ink on the left
    for target in (None, 0, 5):
        result = inspect_image(trainer, index=i, target=target, methods=("saliency", "integrated_gradients"))
        for method in ("saliency", "integrated_gradients"):
            att = result.attributions[method]
            assert np.all(att[:, :4] == 0), method
            assert np.abs(att[:, 4:]).max() > 0, method  # the right half still matters


# -- leaving the model alone ---------------------------------------------------------------

def _hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(m._backward_pre_hooks) for m in model.modules())


@pytest.mark.parametrize("training", [True, False])
def test_inspection_leaves_mode_weights_buffers_and_grads_untouched(training):
    trainer = Trainer(image_spec("digits", BN_CONV))
    trainer.train_epochs(1)  # real .grad from the last step, non-trivial running stats
    model = trainer.model
    model.train(training)
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(g is not None and g.abs().sum() > 0 for g in grads.values())
    grad_values = {n: g.clone() for n, g in grads.items()}
    state = {k: v.clone() for k, v in model.state_dict().items()}
    hooks = _hooks(model)
    a = inspect_image(trainer, index=4)
    b = inspect_image(trainer, index=4)
    assert model.training is training and all(m.training is training for m in model.modules())
    for k, v in model.state_dict().items():  # parameters and batch-norm running statistics
        assert torch.equal(v, state[k]), k
    for n, p in model.named_parameters():
        assert p.grad is grads[n] and torch.equal(p.grad, grad_values[n]), n
    assert _hooks(model) == hooks == 0
    # Eval mode inside: dropout off, so two inspections agree exactly.
    for key in a.attributions:
        np.testing.assert_array_equal(a.attributions[key], b.attributions[key])
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def test_parameters_without_grad_stay_without(digits):
    digits.optimizer.zero_grad(set_to_none=True)
    inspect_image(digits, index=0)
    assert all(p.grad is None for p in digits.model.parameters())


def test_works_inside_no_grad_and_inference_mode(digits):
    plain = inspect_image(digits, index=1)
    with torch.no_grad():
        a = inspect_image(digits, index=1)
    with torch.inference_mode():
        b = inspect_image(digits, index=1)
    for key in plain.attributions:
        np.testing.assert_array_equal(plain.attributions[key], a.attributions[key])
        np.testing.assert_array_equal(plain.attributions[key], b.attributions[key])


# -- user images, MLPs, one-logit models -------------------------------------------------------

@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_user_image_is_normalised_like_the_data(name, digits, shapes):
    trainer = {"digits": digits, "shapes": shapes}[name]
    data, i = trainer.data, 9
    raw = np.array(data.raw_test[i, 0])  # (H, W)
    np.testing.assert_array_equal(normalise_image(data, raw), data.x_test[i])
    assert data.std != 1.0  # the normalisation is not the identity, so the check means something
    drawn = inspect_image(trainer, image=raw)
    stored = inspect_image(trainer, index=i)
    assert drawn.index == -1 and drawn.label is None and stored.index == i
    np.testing.assert_array_equal(drawn.probabilities, stored.probabilities)
    for key in stored.attributions:
        np.testing.assert_allclose(drawn.attributions[key], stored.attributions[key], atol=1e-7)


def test_bad_inputs_are_refused(digits):
    with pytest.raises(ValueError, match="8×8"):
        inspect_image(digits, image=np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        inspect_image(digits, image=np.full((8, 8), 255.0))
    with pytest.raises(ValueError, match="exactly one"):
        inspect_image(digits)
    with pytest.raises(IndexError):
        inspect_image(digits, index=len(digits.data.x_test))
    with pytest.raises(ValueError, match="unknown attribution"):
        inspect_image(digits, index=0, methods=("lime",))


def test_models_without_conv_layers(mlp):
    result = inspect_image(mlp, index=0)
    assert set(result.attributions) == {"saliency", "integrated_gradients"}
    assert result.feature_maps == {} and result.dense_activations["dense1"].shape == (64,)
    assert conv_layer_names(mlp.model) == []
    for value in result.attributions.values():
        assert value.shape == (8, 8)


def test_one_logit_model_explains_class_zero_with_the_negated_logit(digits):
    # A two-class image set does not exist here; fake one so the model has a single logit.
    trainer = Trainer(image_spec("digits", BN_CONV))
    trainer.data = dataclasses.replace(trainer.data, n_classes=2, class_names=("even", "odd"),
                                       y_test=trainer.data.y_test % 2, y_train=trainer.data.y_train % 2)
    trainer.model = build_model(BN_CONV, trainer.data.input_shape, 1, seed=3)
    i = 0
    one = inspect_image(trainer, index=i, target=1, ig_steps=64)
    zero = inspect_image(trainer, index=i, target=0, ig_steps=64)
    trainer.model.eval()
    with torch.no_grad():
        logit = float(trainer.model(_model_input(trainer, i))[0, 0])
    p1 = 1 / (1 + np.exp(-logit))
    np.testing.assert_allclose(one.probabilities, [1 - p1, p1], atol=1e-6)
    assert one.predicted == int(logit > 0) and one.attribution_target == 1 and zero.attribution_target == 0
    np.testing.assert_allclose(zero.attributions["integrated_gradients"], -one.attributions["integrated_gradients"],
                               atol=1e-6)
    np.testing.assert_allclose(zero.attributions["saliency"], one.attributions["saliency"], atol=1e-7)
    assert set(one.attributions) == {"saliency", "integrated_gradients", "grad_cam"}
    with pytest.raises(ValueError):
        inspect_image(trainer, index=i, target=2)


# -- filters and whole-test-set views -------------------------------------------------------

def test_layer_filters(digits):
    assert conv_layer_names(digits.model) == ["conv1", "conv2"]
    w = layer_filters(digits.model, "conv2")
    assert w.shape == (16, 8, 3, 3)
    np.testing.assert_array_equal(w, digits.model.conv2.conv.weight.detach().numpy())
    w[...] = 0  # a copy: the view cannot change the model
    assert digits.model.conv2.conv.weight.abs().sum() > 0
    with pytest.raises(ValueError, match="conv1, conv2"):
        layer_filters(digits.model, "dense1")


@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_confusion_matrix_matches_the_trainers_accuracy(name, digits, shapes):
    trainer = {"digits": digits, "shapes": shapes}[name]
    cm = confusion_matrix(trainer)
    k = trainer.data.n_classes
    assert cm.shape == (k, k) and cm.dtype.kind == "i"
    assert cm.sum() == len(trainer.data.y_test)
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(trainer.data.y_test, minlength=k))
    accuracy = trainer.evaluate(trainer._x_test, trainer._y_test)[1]
    assert np.trace(cm) / cm.sum() == pytest.approx(accuracy, abs=1e-6)
    assert 0 < np.trace(cm) < cm.sum()  # some right, some wrong: the diagonal check is not trivial
    assert confusion_matrix(trainer, max_samples=50).sum() == 50


def test_confident_mistakes_are_mistakes_sorted_by_confidence(digits):
    mistakes = confident_mistakes(digits, k=12)
    wrong = int(confusion_matrix(digits).sum() - np.trace(confusion_matrix(digits)))
    assert len(mistakes) == min(12, wrong) > 1
    confidences = [m["confidence"] for m in mistakes]
    assert confidences == sorted(confidences, reverse=True)
    for m in mistakes:
        single = inspect_image(digits, index=m["index"], methods=())
        assert m["label"] == digits.data.y_test[m["index"]] == single.label
        assert m["predicted"] == single.predicted != m["label"]
        assert m["confidence"] == pytest.approx(single.probabilities.max(), abs=1e-6)
        np.testing.assert_array_equal(m["image"], digits.data.raw_test[m["index"], 0])
    # Nothing left out was a surer mistake than the last one kept.
    probs = digits.probabilities(digits.predict(digits._x_test)).numpy()
    pred = probs.argmax(1)
    wrong_conf = probs.max(1)[pred != digits.data.y_test]
    assert np.sort(wrong_conf)[::-1][len(mistakes) - 1] == pytest.approx(confidences[-1], abs=1e-7)


def test_class_gallery_groups_training_images_by_class(shapes):
    data = shapes.data
    images, titles = class_gallery(data, per_class=3)
    assert images.shape == (3 * data.n_classes, 28, 28) and len(titles) == len(images)
    assert titles == [name for name in data.class_names for _ in range(3)]
    for image, title in zip(images, titles):
        c = data.class_names.index(title)
        matches = np.flatnonzero((data.raw_train[:, 0] == image).all(axis=(1, 2)))
        assert any(data.y_train[j] == c for j in matches)


def test_module_has_no_streamlit_import():
    import inspect as pyinspect
    assert "streamlit" not in pyinspect.getsource(interpret)
