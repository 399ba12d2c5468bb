"""The frame protocol: one header for every problem type, each number checked against plain PyTorch."""
import copy
import math
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.frame import Frame, FrameHeader, flag_gradients, take_frame
from playground.interpret import STATS_SAMPLE, ImageFrame
from playground.presets import image_spec
from playground.probes import Snapshot
from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec
from playground.train import Trainer


def _batch(trainer, k: int):
    """The k-th mini-batch of the trainer's first epoch (same generator, same seed)."""
    order = torch.randperm(len(trainer._x_train), generator=torch.Generator().manual_seed(trainer.spec.seed))
    idx = order[k * trainer.spec.batch_size:(k + 1) * trainer.spec.batch_size]
    return trainer._x_train[idx], trainer._y_train[idx]


def _weight_grads(model) -> dict[str, float]:
    return {name: float(layer.weight.grad.double().norm()) for name, layer in model.weight_layers()}


def test_after_one_step_the_header_has_that_steps_gradients_and_loss():
    trainer = Trainer(Spec())
    reference = copy.deepcopy(trainer.model)
    xb, yb = _batch(trainer, 0)
    F.binary_cross_entropy_with_logits(reference(xb).squeeze(1), yb).backward()
    expected = _weight_grads(reference)
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.03 * p.grad
    trainer.train_steps(1)
    frame = take_frame(trainer)
    h = frame.header
    assert isinstance(frame.payload, Snapshot) and h.kind == "points" and h.task == "classification"
    assert (h.step, h.epoch) == (1, 0) and h.epoch_progress == pytest.approx(1 / 25)
    for name, value in expected.items():
        assert value > 0 and h.grad_norms[name] == pytest.approx(value, rel=1e-5)
    assert h.gradient_flags == {} and h.warnings == [] and h.diverged is None
    assert h.grad_norms_preclip is None and h.clip is None
    reference.eval()
    with torch.no_grad():
        loss = F.binary_cross_entropy_with_logits(reference(trainer._x_train).squeeze(1), trainer._y_train)
    assert h.metrics["step"] == 1 and h.metrics["train_loss"] == pytest.approx(float(loss), rel=1e-5)
    assert h.history["step"] == [0]  # the history is per epoch; the metrics are the latest step's


def test_before_the_first_step_nothing_is_flagged():
    h = take_frame(Trainer(Spec())).header
    assert h.step == 0 and h.gradient_flags == {} and h.warnings == []


def test_clipping_on_the_header_shows_both_norms():
    spec = replace(Spec(), init="normal", grad_clip=0.01, layers=(LayerSpec(units=8), LayerSpec(units=8)))
    trainer = Trainer(spec)
    reference = copy.deepcopy(trainer.model)
    xb, yb = _batch(trainer, 0)
    F.binary_cross_entropy_with_logits(reference(xb).squeeze(1), yb).backward()
    pre = _weight_grads(reference)
    total = torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.01)
    post = _weight_grads(reference)
    trainer.train_steps(1)
    h = take_frame(trainer).header
    assert h.clip["clipped"] is True and h.clip["max_norm"] == 0.01
    assert h.clip["total_norm"] == pytest.approx(float(total), rel=1e-5)
    for name in pre:
        assert h.grad_norms_preclip[name] == pytest.approx(pre[name], rel=1e-5)
        assert h.grad_norms[name] == pytest.approx(post[name], rel=1e-4)
    # Clipping on, before any step: said, but nothing measured yet.
    assert take_frame(Trainer(spec)).header.clip == {"max_norm": 0.01, "total_norm": None, "clipped": False}


def test_a_run_that_explodes_in_its_first_epoch_shows_its_last_finite_norms_as_exploded():
    spec = replace(Spec(), dataset=DatasetSpec("plane"), init="normal", optimizer=OptimizerSpec(lr=10.0),
                   layers=tuple(LayerSpec(units=8, activation="relu") for _ in range(4)))
    trainer = Trainer(spec)
    reference = copy.deepcopy(trainer.model)
    opt = torch.optim.SGD(reference.parameters(), lr=10.0)
    expected = None
    for k in range(trainer.batches_per_epoch):
        xb, yb = _batch(trainer, k)
        opt.zero_grad()
        loss = F.mse_loss(reference(xb).squeeze(1), yb)
        if not math.isfinite(loss.item()):
            break
        loss.backward()
        expected = _weight_grads(reference)
        opt.step()
    trainer.train_steps(trainer.batches_per_epoch)
    h = take_frame(trainer).header
    assert trainer.epoch == 0 and h.diverged
    for name, value in expected.items():
        assert h.grad_norms[name] == pytest.approx(value, rel=1e-4)
    assert h.gradient_flags == flag_gradients(expected)
    assert set(h.gradient_flags.values()) == {"exploded"}  # not "0 · vanished"
    assert h.warnings[0] == h.diverged and any("exploded" in w for w in h.warnings)


def test_a_dead_relu_network_is_reported_in_plain_words():
    trainer = Trainer(replace(Spec(), layers=(LayerSpec(units=4, activation="relu"),)))
    with torch.no_grad():
        trainer.model.dense1.linear.bias.fill_(-100.0)  # every unit negative on the whole plane
    trainer.train_steps(3)
    # Plain PyTorch: the hidden layer outputs only zeros, so no weight gets any gradient.
    model = copy.deepcopy(trainer.model)
    hidden = torch.relu(model.dense1.linear(trainer._x_train))
    assert float(hidden.detach().abs().max()) == 0.0
    loss = F.binary_cross_entropy_with_logits(model.output(hidden).squeeze(1), trainer._y_train)
    loss.backward()
    assert all(float(layer.weight.grad.abs().max()) == 0 for _, layer in model.weight_layers())
    h = take_frame(trainer).header
    assert h.grad_norms == {"dense1": 0.0, "output": 0.0}
    assert h.gradient_flags == {}  # all zero: no layer is "vanished" relative to another
    assert h.activation_stats["dense1"]["dead"] == 1.0
    text = " ".join(h.warnings)
    assert "all ReLU units of dense1 are dead" in text and "lower the learning rate" in text
    assert "every layer's gradient is exactly zero" in text


def test_half_dead_and_vanishing_layers_are_warned_about():
    spec = replace(Spec(), init="normal", layers=tuple(LayerSpec(units=8, activation="sigmoid") for _ in range(8)))
    deep = Trainer(spec)
    deep.train_steps(5)
    h = take_frame(deep).header
    assert h.gradient_flags.get("dense1") == "vanished"
    assert any("vanished in dense1" in w for w in h.warnings)


def test_activation_gradients_in_the_header_match_autograd():
    trainer = Trainer(replace(Spec(), layers=(LayerSpec(units=3, activation="tanh"),)))
    trainer.train_steps(4)
    h = take_frame(trainer).header
    model = copy.deepcopy(trainer.model).eval()
    a = model.dense1(trainer._x_train)
    a.retain_grad()
    F.binary_cross_entropy_with_logits(model.output(a).squeeze(1), trainer._y_train).backward()
    assert h.activation_grad_norms["dense1"] == pytest.approx(float(a.grad.norm()), rel=1e-5)


def test_curve_and_regression_frames():
    trainer = Trainer(replace(Spec(), dataset=DatasetSpec("sine"), features=("x1",)))
    trainer.train_steps(2)
    frame = take_frame(trainer, {"resolution": 20, "detail": (2, 1)})  # one dict argument works too
    assert frame.header.kind == "curve" and frame.header.task == "regression"
    assert frame.payload.output.shape == (20, 20) and frame.payload.detail == (2, 1)
    with pytest.raises(ValueError, match="unknown frame request"):
        take_frame(trainer, resoluton=20)


def test_image_frames_answer_the_same_header():
    trainer = Trainer(replace(image_spec("digits"), dataset=DatasetSpec("digits", n_samples=400)))
    trainer.train_steps(3)
    frame = take_frame(trainer, index=2, panels=("inspect", "filters"))
    h = frame.header
    assert isinstance(frame.payload, ImageFrame) and h.kind == "image"
    assert frame.payload.inspection.index == 2 and frame.payload.filters
    assert list(h.grad_norms) == [name for name, _ in trainer.model.weight_layers()]
    assert all(v > 0 for v in h.grad_norms.values())
    # ∂L/∂a of the first conv layer on the first STATS_SAMPLE training images, by autograd.
    model = copy.deepcopy(trainer.model).eval()
    x, y = trainer._x_train[:STATS_SAMPLE], trainer._y_train[:STATS_SAMPLE]
    first = next(name for name, _, _ in model.activation_layers())
    store = {}
    block = getattr(model, first)
    def keep(_module, _inputs, output):
        output.retain_grad()
        store["a"] = output

    handle = block.act.register_forward_hook(keep)
    F.cross_entropy(model(x), y).backward()
    handle.remove()
    assert h.activation_grad_norms[first] == pytest.approx(float(store["a"].grad.norm()), rel=1e-4)
    assert set(h.activation_stats) == set(h.activation_grad_norms)
    # Image sets carry the last measured loss (here the initial one), labelled with its step.
    assert h.metrics["step"] == 0 and h.metrics["train_loss"] == h.history["train_loss"][-1]
    assert take_frame(trainer, panels=(), fresh_metrics=True).header.metrics["step"] == 3


def test_a_frame_pickles_small():
    trainer = Trainer(replace(Spec(), layers=(LayerSpec(units=8), LayerSpec(units=8))))
    trainer.train_epochs(2)
    frame = take_frame(trainer, detail=(1, 0))
    data = pickle.dumps(frame)
    again = pickle.loads(data)
    assert isinstance(again, Frame) and isinstance(again.header, FrameHeader)
    assert again.header.grad_norms == frame.header.grad_norms
    np.testing.assert_array_equal(again.payload.output, frame.payload.output)
    assert len(data) < 200_000  # 100×100 output, 21×21 thumbnails: sent 4 times a second
