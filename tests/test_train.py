"""Trainer: gradients and losses against plain PyTorch, reproducibility, divergence, outcomes."""
import copy
import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, RegularizationSpec, Spec
from playground.train import History, Trainer


def _first_batch(trainer):
    """The first mini-batch the trainer will draw (same generator, same seed)."""
    order = torch.randperm(len(trainer._x_train), generator=torch.Generator().manual_seed(trainer.spec.seed))
    idx = order[: trainer.spec.batch_size]
    return trainer._x_train[idx], trainer._y_train[idx]


def test_one_step_matches_plain_pytorch():
    trainer = Trainer(Spec())
    reference = copy.deepcopy(trainer.model)
    xb, yb = _first_batch(trainer)
    loss = F.binary_cross_entropy_with_logits(reference(xb).squeeze(1), yb)
    loss.backward()
    expected = {name: float(layer.weight.grad.norm()) for name, layer in reference.weight_layers()}
    trainer.train_steps(1)
    assert trainer.last_batch_loss == pytest.approx(loss.item(), rel=1e-6)
    got = trainer.weight_grad_norms()
    assert list(got) == ["dense1", "dense2", "output"]  # network order from the input side
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-5)
    with torch.no_grad():  # and the SGD update itself: w <- w - lr * g
        for p_ref, p in zip(reference.parameters(), trainer.model.parameters()):
            assert torch.allclose(p_ref - 0.03 * p_ref.grad, p, atol=1e-7)


@pytest.mark.parametrize("name,momentum,nesterov", [
    ("sgd", 0.9, True), ("adam", 0.0, False), ("adamw", 0.0, False), ("rmsprop", 0.5, False),
    ("adagrad", 0.0, False)])
def test_each_optimizer_matches_plain_torch_optim_over_several_steps(name, momentum, nesterov):
    # The trainer uses torch's fused update kernels and calls the optimiser's step without the
    # profiler wrapper: the updates must still be those (to rounding) of a plain loop with the
    # standard, unfused torch.optim step.
    spec = replace(Spec(), optimizer=OptimizerSpec(name=name, lr=0.01, momentum=momentum, nesterov=nesterov))
    trainer = Trainer(spec)
    reference = copy.deepcopy(trainer.model)
    params = list(reference.parameters())
    opt = {"sgd": lambda: torch.optim.SGD(params, lr=0.01, momentum=momentum, nesterov=nesterov),
           "adam": lambda: torch.optim.Adam(params, lr=0.01),
           "adamw": lambda: torch.optim.AdamW(params, lr=0.01),
           "rmsprop": lambda: torch.optim.RMSprop(params, lr=0.01, momentum=momentum),
           "adagrad": lambda: torch.optim.Adagrad(params, lr=0.01)}[name]()
    batches = [b for b in zip(*(t.split(spec.batch_size) for t in _epoch_order(trainer)))][:5]
    for xb, yb in batches:
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(reference(xb).squeeze(1), yb).backward()
        opt.step()
    trainer.train_steps(len(batches))
    for p_ref, p in zip(reference.parameters(), trainer.model.parameters()):
        assert torch.allclose(p_ref, p, atol=1e-6), name


def _epoch_order(trainer):
    order = torch.randperm(len(trainer._x_train), generator=torch.Generator().manual_seed(trainer.spec.seed))
    return trainer._x_train[order], trainer._y_train[order]


def test_l2_and_l1_penalties_add_their_gradients():
    for kind, extra in (("l2", lambda w: 2 * 0.1 * w), ("l1", lambda w: 0.1 * torch.sign(w))):
        spec = replace(Spec(), regularization=RegularizationSpec(kind, 0.1))
        trainer = Trainer(spec)
        reference = copy.deepcopy(trainer.model)
        xb, yb = _first_batch(trainer)
        F.binary_cross_entropy_with_logits(reference(xb).squeeze(1), yb).backward()
        w0 = reference.dense1.linear.weight
        trainer.train_steps(1)
        expected = w0.grad + extra(w0.detach())
        assert torch.allclose(trainer.model.dense1.linear.weight.grad, expected, atol=1e-6), kind


def test_gradient_clipping_bounds_the_global_norm():
    spec = replace(Spec(), init="normal", grad_clip=0.01, layers=(LayerSpec(units=8), LayerSpec(units=8)))
    trainer = Trainer(spec)
    trainer.train_steps(1)
    total = math.sqrt(sum(float(p.grad.norm()) ** 2 for p in trainer.model.parameters()))
    assert total == pytest.approx(0.01, rel=1e-4)


def test_reset_restores_the_initial_loss_and_weights():
    trainer = Trainer(Spec())
    initial_loss = trainer.history.last("train_loss")
    initial = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train_epochs(3)
    assert trainer.history.last("train_loss") != initial_loss
    trainer.reset()
    assert trainer.epoch == 0 and trainer.step_count == 0
    assert trainer.history.last("train_loss") == initial_loss
    assert all(torch.equal(a, b) for a, b in zip(initial, trainer.model.parameters()))


def test_same_spec_same_run():
    a, b = Trainer(Spec()), Trainer(Spec())
    a.train_steps(60)
    b.train_steps(60)
    assert a.history.as_dict()["train_loss"] == b.history.as_dict()["train_loss"]
    c = Trainer(replace(Spec(), seed=2))
    c.train_steps(60)
    assert c.history.as_dict()["train_loss"] != a.history.as_dict()["train_loss"]


def test_epochs_and_steps_count():
    trainer = Trainer(Spec())  # 250 training points, batch 10
    assert trainer.batches_per_epoch == 25
    trainer.train_steps(30)
    assert trainer.step_count == 30 and trainer.epoch == 1
    trainer.train_epochs(2)  # finishes epoch 2, then epoch 3
    assert trainer.epoch == 3 and trainer.step_count == 75
    assert trainer.history.as_dict()["epoch"] == [0, 1, 2, 3]


def test_learning_rate_changes_without_reset():
    trainer = Trainer(Spec())
    trainer.train_epochs(2)
    weights = [p.detach().clone() for p in trainer.model.parameters()]
    faster = replace(Spec(), optimizer=OptimizerSpec(lr=0.3))
    assert not trainer.needs_rebuild(faster)
    trainer.apply_hot(faster)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.3 and trainer.epoch == 2
    assert all(torch.equal(a, b) for a, b in zip(weights, trainer.model.parameters()))
    assert trainer.needs_rebuild(replace(Spec(), layers=(LayerSpec(units=3),)))


def test_divergence_pauses_with_a_plain_message_and_reset_recovers():
    spec = replace(Spec(), dataset=DatasetSpec("plane"), init="normal", optimizer=OptimizerSpec(lr=10.0),
                   layers=tuple(LayerSpec(units=8, activation="relu") for _ in range(4)))
    trainer = Trainer(spec)
    trainer.train_epochs(20)
    assert trainer.diverged and trainer.diverged.startswith("training diverged at step ")
    assert "lower the learning rate" in trainer.diverged.lower()
    steps = trainer.step_count
    assert trainer.train_steps(10) == 0 and trainer.step_count == steps  # stays paused
    assert trainer.summary()["diverged"] is True
    trainer.reset()
    assert trainer.diverged is None and math.isfinite(trainer.history.last("train_loss"))


@pytest.mark.parametrize("spec, epochs", [
    (Spec(), 100),                                                             # circle, x1 x2, [4, 2] tanh
    (replace(Spec(), dataset=DatasetSpec("xor"), features=("x1_x2",), layers=(LayerSpec(units=2),)), 30),
    (replace(Spec(), dataset=DatasetSpec("gaussian"), layers=()), 20),
])
def test_learning_outcomes(spec, epochs):
    trainer = Trainer(spec)
    trainer.train_epochs(epochs)
    assert trainer.history.last("test_accuracy") >= 0.95


def test_multiclass_blobs_and_regression_learn():
    blobs = Trainer(replace(Spec(), dataset=DatasetSpec("blobs", classes=4), layers=(LayerSpec(units=8),)))
    blobs.train_epochs(30)
    assert blobs.data.n_outputs == 4 and blobs.history.last("test_accuracy") >= 0.9
    plane = Trainer(replace(Spec(), dataset=DatasetSpec("plane")))
    start = plane.history.last("test_loss")
    plane.train_epochs(30)
    assert plane.history.last("test_loss") < start / 10 and plane.summary().get("test_accuracy") is None


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "hinge", "cross_entropy"])
def test_classification_losses_by_hand(loss):
    trainer = Trainer(replace(Spec(), loss=loss))
    out = torch.tensor([[2.0], [-1.0]])
    y = torch.tensor([1.0, 1.0])
    p = torch.sigmoid(out[:, 0])
    expected = {"mse": ((p - 1) ** 2).mean(), "mae": (1 - p).mean(),
                "huber": F.smooth_l1_loss(p, y), "hinge": torch.tensor((0.0 + 2.0) / 2),
                "cross_entropy": -(torch.log(p)).mean()}[loss]
    assert float(trainer.loss_fn(out, y)) == pytest.approx(float(expected), rel=1e-6)


def test_history_is_bounded_and_keeps_the_whole_range():
    history = History(max_points=100)
    for epoch in range(1000):
        history.append(epoch=epoch, train_loss=float(epoch))
    epochs = history.as_dict()["epoch"]
    assert len(epochs) <= 100 and epochs[0] == 0 and epochs[-1] >= 900


def test_batch_norm_with_a_last_batch_of_one_does_not_crash():
    spec = replace(Spec(), dataset=DatasetSpec(n_samples=42), batch_size=20,
                   layers=(LayerSpec(units=4, batch_norm=True),))
    trainer = Trainer(spec)  # 21 training points: batches of 20 and 1
    trainer.train_epochs(3)
    assert trainer.epoch == 3 and not trainer.diverged


def test_callbacks_hear_every_epoch_and_divergence():
    trainer = Trainer(Spec())
    seen = []
    trainer.add_callback("on_epoch_end", lambda t: seen.append(t.epoch))
    trainer.train_epochs(3)
    assert seen == [1, 2, 3]
    spec = replace(Spec(), dataset=DatasetSpec("plane"), init="normal", optimizer=OptimizerSpec(lr=10.0),
                   layers=tuple(LayerSpec(units=8, activation="relu") for _ in range(4)))
    diverging = Trainer(spec)
    told = []
    diverging.add_callback("on_diverge", lambda t: told.append(t.diverged))
    diverging.train_epochs(20)
    assert len(told) == 1 and told[0].startswith("training diverged")


def _plain_grad_norms(model, xb, yb):
    """‖∂L/∂W‖₂ per weight layer of one plain backward pass on a copy of the model."""
    model.zero_grad()
    F.binary_cross_entropy_with_logits(model(xb).squeeze(1), yb).backward()
    return {name: float(layer.weight.grad.norm()) for name, layer in model.weight_layers()}


def test_grad_norms_are_those_of_the_latest_step_inside_the_first_epoch():
    trainer = Trainer(Spec())  # 25 batches per epoch: no epoch end below
    reference = copy.deepcopy(trainer.model)
    xs, ys = _epoch_order(trainer)
    bs = trainer.spec.batch_size
    opt = torch.optim.SGD(reference.parameters(), lr=0.03)
    for k in range(3):
        expected = _plain_grad_norms(reference, xs[k * bs:(k + 1) * bs], ys[k * bs:(k + 1) * bs])
        opt.step()
        trainer.train_steps(1)
        assert trainer.epoch == 0
        got = trainer.grad_norms
        for name, value in expected.items():
            assert value > 0 and got[name] == pytest.approx(value, rel=1e-5), (k, name)
    assert trainer.summary()["grad_norms"] == trainer.grad_norms


def test_steps_inside_an_epoch_report_the_loss_after_the_last_step():
    trainer = Trainer(Spec())
    initial = trainer.summary()["train_loss"]
    trainer.train_steps(1)
    reference = copy.deepcopy(trainer.model).eval()
    with torch.no_grad():
        x, y = trainer._x_train[:1000], trainer._y_train[:1000]
        out = reference(x).squeeze(1)
        loss = float(F.binary_cross_entropy_with_logits(out, y))
        accuracy = float(((out > 0).float() == y).float().mean())
    summary = trainer.summary()
    assert summary["steps"] == 1 and summary["train_loss"] != initial
    assert summary["train_loss"] == pytest.approx(loss, rel=1e-6)
    assert summary["train_accuracy"] == pytest.approx(accuracy)
    assert trainer.latest_metrics()["step"] == 1


def test_clipping_reports_the_preclip_norms_and_the_factor():
    spec = replace(Spec(), init="normal", grad_clip=0.01, layers=(LayerSpec(units=8), LayerSpec(units=8)))
    trainer = Trainer(spec)
    reference = copy.deepcopy(trainer.model)
    xb, yb = _first_batch(trainer)
    pre = _plain_grad_norms(reference, xb, yb)
    total = torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.01)
    post = {name: float(layer.weight.grad.norm()) for name, layer in reference.weight_layers()}
    trainer.train_steps(1)
    got_pre, clip = trainer.clip_report()
    assert clip["max_norm"] == 0.01 and clip["clipped"] is True
    assert clip["total_norm"] == pytest.approx(float(total), rel=1e-5) and clip["total_norm"] > 0.01
    for name in pre:
        assert got_pre[name] == pytest.approx(pre[name], rel=1e-5)
        assert trainer.grad_norms[name] == pytest.approx(post[name], rel=1e-4)
        assert got_pre[name] > trainer.grad_norms[name]
    summary = trainer.summary()
    assert summary["grad_norms_preclip"] == got_pre and summary["clip"]["clipped"] is True
    # The clipped update equals plain torch's clip_grad_norm_ + SGD.
    with torch.no_grad():
        for p_ref, p in zip(reference.parameters(), trainer.model.parameters()):
            assert torch.allclose(p_ref - 0.03 * p_ref.grad, p, atol=1e-7)


def test_clipping_that_does_not_act_is_reported_as_such():
    trainer = Trainer(replace(Spec(), grad_clip=100.0))
    trainer.train_steps(1)
    pre, clip = trainer.clip_report()
    assert clip["clipped"] is False and pre == pytest.approx(trainer.grad_norms, rel=1e-6)
    assert Trainer(Spec()).clip_report() is None  # clipping off


def _exploding_spec():
    return replace(Spec(), dataset=DatasetSpec("plane"), init="normal", optimizer=OptimizerSpec(lr=10.0),
                   layers=tuple(LayerSpec(units=8, activation="relu") for _ in range(4)))


def test_divergence_keeps_the_weights_and_gradients_of_the_last_finite_step():
    trainer = Trainer(_exploding_spec())
    reference = copy.deepcopy(trainer.model)
    opt = torch.optim.SGD(reference.parameters(), lr=10.0)
    xs, ys = _epoch_order(trainer)
    bs = trainer.spec.batch_size
    finite_steps = 0
    for k in range(trainer.batches_per_epoch):  # a plain loop: where does the loss stop being finite?
        opt.zero_grad()
        loss = F.mse_loss(reference(xs[k * bs:(k + 1) * bs]).squeeze(1), ys[k * bs:(k + 1) * bs])
        if not math.isfinite(loss.item()):
            break
        loss.backward()
        # float64: these norms are past float32's range of squares (an element of 1e20 is finite).
        expected = {name: float(layer.weight.grad.double().norm()) for name, layer in reference.weight_layers()}
        opt.step()
        finite_steps += 1
    else:
        pytest.fail("the reference did not diverge in its first epoch")
    trainer.train_steps(trainer.batches_per_epoch)
    assert trainer.diverged and trainer.step_count == finite_steps
    assert f"diverged at step {finite_steps + 1}" in trainer.diverged
    got = trainer.grad_norms
    assert max(expected.values()) > 1e3  # it exploded before the loss stopped being finite
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-4)
    # The weights are those after the last finite step's update, not those of a step on a NaN loss.
    for p_ref, p in zip(reference.parameters(), trainer.model.parameters()):
        assert torch.allclose(p, p_ref, rtol=1e-5, equal_nan=True)


def test_training_and_frames_never_import_torch_dynamo():
    # torch.optim's wrappers import torch._dynamo on first use (1-3 s of a trainer process's
    # start, measured); the trainer avoids them (playground.optimizers). A fresh interpreter,
    # since this one may have imported it for another test.
    import subprocess
    import sys

    code = ("import sys\n"
            "from dataclasses import replace\n"
            "from playground.spec import OptimizerSpec, Spec\n"
            "from playground.train import Trainer\n"
            "from playground.frame import take_frame\n"
            "for name in ('sgd', 'adam', 'rmsprop'):\n"
            "    t = Trainer(replace(Spec(), optimizer=OptimizerSpec(name=name, lr=0.03), patience=2))\n"
            "    t.train_epochs(3); take_frame(t)\n"
            "    t.optimizer.load_state_dict(t.optimizer.state_dict())\n"
            "    t.optimizer.zero_grad()\n"
            "assert t.epoch == 3, t.epoch\n"
            "print('torch._dynamo' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
