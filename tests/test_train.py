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
    # The trainer calls the optimiser's step without torch's profiler wrapper: the updates
    # must still be exactly those of a plain loop with the standard torch.optim step.
    spec = replace(Spec(), optimizer=OptimizerSpec(name=name, lr=0.01, momentum=momentum, nesterov=nesterov))
    trainer = Trainer(spec)
    reference = copy.deepcopy(trainer.model)
    from playground.optimizers import make_optimizer
    opt = make_optimizer(name, reference.parameters(), 0.01, momentum, nesterov)
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
