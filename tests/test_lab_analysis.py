"""The lab's analysis functions against plain PyTorch / NumPy and hand-worked values.

Early stopping, weight histograms, the loss landscape, the hidden space, one backprop step,
the universal-approximation unit curves, activation slopes and variance, plane saliency,
top-activating images.
"""
import copy
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec, SpecError
from playground.train import Trainer

SMALL = Spec(dataset=DatasetSpec("circle", n_samples=100), optimizer=OptimizerSpec("sgd", lr=0.1), batch_size=10)


# -- early stopping --------------------------------------------------------------------------------

def test_early_stopping_fields_round_trip_and_are_bounded():
    spec = replace(Spec(), patience=7, restore_best=False)
    assert Spec.from_dict(spec.to_dict()) == spec
    assert Spec.from_query(spec.to_query()) == spec
    assert Spec.from_json(spec.to_json()) == spec
    assert "patience" not in Spec().to_dict() and "restore_best" not in Spec().to_dict()  # short links by default
    with pytest.raises(SpecError, match="patience"):
        Spec.from_dict({"patience": 0})
    with pytest.raises(SpecError, match="restore_best"):
        Spec.from_dict({"restore_best": "yes"})


def _overfitting_spec(**changes):
    return replace(Spec(dataset=DatasetSpec("circle", noise=0.3, n_samples=60), layers=(
        LayerSpec(units=64, activation="relu"), LayerSpec(units=64, activation="relu")), init="kaiming_uniform",
        optimizer=OptimizerSpec("adam", lr=0.01), batch_size=10, seed=1), **changes)


def test_early_stopping_stops_patience_epochs_after_the_best_and_restores_its_weights():
    trainer = Trainer(_overfitting_spec(patience=10))
    trainer.train_epochs(200)
    assert trainer.stopped_epoch is not None and trainer.stopped_epoch < 200
    best = trainer.best_epoch
    assert trainer.stopped_epoch == best + 10 and trainer.epoch == trainer.stopped_epoch
    history = trainer.history.as_dict()
    assert history["early_stop"] == [trainer.stopped_epoch] and history["best_epoch"] == [best]
    tests = history["test_loss"]
    assert tests[best] == min(tests)  # the best epoch is the lowest test loss recorded
    # The same run without early stopping, trained to the best epoch, has the restored weights.
    reference = Trainer(_overfitting_spec())
    reference.train_epochs(best)
    for p_ref, p in zip(reference.model.parameters(), trainer.model.parameters()):
        assert torch.equal(p_ref, p)
    assert trainer.train_epochs(5) == 0  # stopped: no more steps
    assert trainer.summary()["stopped_epoch"] == trainer.stopped_epoch


def test_early_stopping_without_restore_keeps_the_last_weights_and_more_patience_resumes():
    trainer = Trainer(_overfitting_spec(patience=5, restore_best=False))
    trainer.train_epochs(200)
    stopped = trainer.stopped_epoch
    reference = Trainer(_overfitting_spec())
    reference.train_epochs(stopped)
    for p_ref, p in zip(reference.model.parameters(), trainer.model.parameters()):
        assert torch.equal(p_ref, p)
    trainer.apply_hot(replace(trainer.spec, patience=1000))
    assert trainer.train_epochs(2) > 0 and trainer.epoch == stopped + 2


# -- histograms, variance ----------------------------------------------------------------------------

def test_weight_histograms_count_near_zero_weights_by_hand():
    from playground.probes import near_zero_share, weight_histograms

    trainer = Trainer(SMALL)  # dense1 (4x2), dense2 (2x4), output (1x2): 18 weights
    with torch.no_grad():
        for _, w in trainer.model.weight_tensors():
            w.fill_(0.5)
        trainer.model.dense1.linear.weight[0, 0] = 1e-4
        trainer.model.dense1.linear.weight[1, 1] = -5e-4
        trainer.model.output.weight[0, 0] = 2e-3
        trainer.model.dense1.linear.bias.fill_(0.0)  # biases do not count
    hist = weight_histograms(trainer.model, bins=10)
    assert hist["dense1"]["near_zero"] == pytest.approx(2 / 8)
    assert hist["output"]["near_zero"] == 0.0
    assert hist["all"]["near_zero"] == pytest.approx(2 / 18) == near_zero_share(trainer.model)
    assert hist["all"]["counts"].sum() == 18


def test_activation_variance_matches_a_hand_forward_pass():
    from playground.probes import activation_variance

    trainer = Trainer(SMALL)
    m = trainer.model
    x = trainer._x_train
    h1 = torch.tanh(x @ m.dense1.linear.weight.T + m.dense1.linear.bias)
    h2 = torch.tanh(h1 @ m.dense2.linear.weight.T + m.dense2.linear.bias)
    got = activation_variance(m, x)
    h1, h2 = h1.detach(), h2.detach()
    assert got["dense1"] == pytest.approx(float(h1.var()), rel=1e-5)
    assert got["dense2"] == pytest.approx(float(h2.var()), rel=1e-5)


def test_activation_curves_slopes_are_the_derivatives():
    from playground.activations import activation_curves

    curves = activation_curves(("sigmoid", "tanh", "relu"))
    x, f, df = (np.array(v) for v in curves["sigmoid"])
    assert np.allclose(df, f * (1 - f), atol=1e-6) and df.max() == pytest.approx(0.25, abs=1e-4)
    x, f, df = (np.array(v) for v in curves["tanh"])
    assert np.allclose(df, 1 - f ** 2, atol=1e-6)
    x, f, df = (np.array(v) for v in curves["relu"])
    assert set(np.unique(df[x != 0])) == {0.0, 1.0}


# -- loss landscape --------------------------------------------------------------------------------

def test_landscape_centre_and_a_grid_point_match_plain_pytorch():
    from playground.landscape import filter_normalised_direction, loss_landscape

    trainer = Trainer(Spec())
    trainer.train_epochs(3)
    land = loss_landscape(trainer, resolution=5, span=1.0, seed=4)
    assert land.loss.shape == (5, 5)
    assert land.loss[2, 2] == pytest.approx(trainer.latest_metrics()["train_loss"], rel=1e-5)  # α = β = 0
    assert land.center_loss == pytest.approx(trainer.latest_metrics()["train_loss"], rel=1e-5)
    # The directions: the same generator draws gives the same basis; filters normalised, biases zero.
    g = torch.Generator().manual_seed(4)
    d1 = filter_normalised_direction(trainer.model, g)
    assert np.allclose(land.basis[0], d1.numpy(), atol=1e-6)
    i = 0
    for p in trainer.model.parameters():
        part = d1[i:i + p.numel()].reshape(p.shape)
        if p.dim() == 1:
            assert torch.all(part == 0)
        else:
            assert torch.allclose(part.norm(dim=1), p.detach().norm(dim=1), rtol=1e-4)
        i += p.numel()
    # A corner (α, β) = (1, -1) by hand: load w + d1 - d2 into a copy and evaluate.
    model = copy.deepcopy(trainer.model)
    flat = torch.as_tensor(land.center + land.basis[0] - land.basis[1], dtype=torch.float32)
    torch.nn.utils.vector_to_parameters(flat, model.parameters())
    with torch.no_grad():
        expected = F.binary_cross_entropy_with_logits(model(trainer._x_train).squeeze(1), trainer._y_train)
    assert land.loss[0, 4] == pytest.approx(float(expected), rel=1e-4)


def test_landscape_path_ends_at_the_centre_and_pca_covers_it():
    from playground.landscape import loss_landscape, trajectory_snapshots

    trainer = Trainer(Spec())
    trainer.train_epochs(10)
    land = loss_landscape(trainer, resolution=8, directions="pca")
    assert land.path.shape == (11, 2) and land.path_epochs == list(range(11))
    assert np.allclose(land.path[-1], 0, atol=1e-5)  # the last snapshot is the current weights
    assert land.alphas.min() <= land.path[:, 0].min() and land.alphas.max() >= land.path[:, 0].max()
    assert land.path_loss[-1] == pytest.approx(land.center_loss, rel=1e-5)
    assert land.path_loss[0] > land.path_loss[-1]  # training went downhill
    other = Trainer(replace(Spec(), optimizer=OptimizerSpec("adam", lr=0.03)))
    other.train_epochs(10)
    shared = loss_landscape(trainer, resolution=4, directions="pca", extra_paths=[trajectory_snapshots(other)])
    assert len(shared.other_paths) == 1 and shared.other_paths[0].shape == (11, 2)
    assert np.allclose(shared.other_paths[0][0], shared.path[0], atol=1e-4)  # same seed: same starting weights


# -- hidden space, backprop step, unit curves ---------------------------------------------------------

def test_hidden_space_points_are_the_two_unit_layer_by_hand():
    from playground.hidden_space import hidden_space

    trainer = Trainer(replace(Spec(), layers=(LayerSpec(units=4), LayerSpec(units=2))))
    trainer.train_epochs(2)
    space = hidden_space(trainer, lines=5, points_per_line=7)
    m = trainer.model
    x = torch.as_tensor(trainer.data.x_train)
    h = torch.tanh(torch.tanh(x @ m.dense1.linear.weight.T + m.dense1.linear.bias) @ m.dense2.linear.weight.T
                   + m.dense2.linear.bias)
    assert np.allclose(space.points, h.detach().numpy(), atol=1e-6)
    assert len(space.grid_lines) == 10 and space.grid_lines[0].shape == (7, 2)
    w = m.output.weight.detach().numpy()[0]
    assert space.output_line == pytest.approx((w[0], w[1], float(m.output.bias.detach()[0])))
    with pytest.raises(ValueError, match="2 units"):
        hidden_space(Trainer(Spec(layers=(LayerSpec(units=3),))))


def test_backprop_step_is_minus_learning_rate_times_gradient_for_plain_sgd():
    from playground.backprop import backprop_step

    trainer = Trainer(SMALL)
    reference = copy.deepcopy(trainer.model)
    preview = backprop_step(trainer, apply=False)
    assert trainer.step_count == 0  # the preview took no step
    step = backprop_step(trainer)
    assert trainer.step_count == 1
    order = torch.randperm(len(trainer._x_train), generator=torch.Generator().manual_seed(SMALL.seed))[:10]
    xb, yb = trainer._x_train[order], trainer._y_train[order]
    loss = F.binary_cross_entropy_with_logits(reference(xb).squeeze(1), yb)
    loss.backward()
    assert step.loss_before == pytest.approx(loss.item(), rel=1e-6)
    for name, layer in reference.weight_layers():
        g = layer.weight.grad.numpy()
        assert np.allclose(step.links[name].grad, g, atol=1e-7)
        assert np.allclose(step.links[name].update, -0.1 * g, atol=1e-6)
        assert np.allclose(preview.links[name].grad, g, atol=1e-7)
    assert step.loss_after < step.loss_before
    assert preview.loss_after == pytest.approx(step.loss_after, rel=1e-5)  # SGD: the preview is the step


def test_unit_curves_sum_to_the_fit():
    from playground.approximation import hidden_unit_curves

    trainer = Trainer(Spec(dataset=DatasetSpec("sine", n_samples=100), features=("x1",),
                           layers=(LayerSpec(units=5),), optimizer=OptimizerSpec("adam", lr=0.03)))
    trainer.train_epochs(5)
    curves = hidden_unit_curves(trainer, points=50)
    assert curves.units.shape == (5, 50)
    assert np.allclose(curves.bias + curves.units.sum(axis=0), curves.fit, atol=1e-5)
    expected = trainer.predict(trainer.data.inputs_for_points(np.stack([curves.x, 0 * curves.x], 1)))[:, 0]
    assert np.allclose(curves.fit, expected.numpy(), atol=1e-6)


# -- interpretability ------------------------------------------------------------------------------

def test_plane_sensitivity_of_a_linear_regression_is_its_weight_norm():
    from playground.interpret import input_sensitivity

    trainer = Trainer(Spec(dataset=DatasetSpec("plane", n_samples=100), layers=()))
    trainer.train_epochs(2)
    _, _, sens = input_sensitivity(trainer, 9)
    w = trainer.model.output.weight.detach().numpy()[0]
    assert np.allclose(sens, math.hypot(*w), rtol=1e-2)


def test_top_activating_images_are_sorted_by_the_channel_mean():
    from playground.interpret import top_activating_images
    from playground.presets import image_spec

    trainer = Trainer(replace(image_spec("digits"), dataset=DatasetSpec("digits", n_samples=200, train_ratio=0.8)))
    order, scores, images = top_activating_images(trainer, "conv1", 3, k=5)
    x = torch.as_tensor(trainer.data.x_test)
    with torch.no_grad():
        trainer.model.eval()
        means = trainer.model.conv1(x)[:, 3].mean(dim=(1, 2)).numpy()
    assert list(order) == list(np.argsort(-means)[:5])
    assert np.allclose(scores, means[order], atol=1e-6) and images.shape == (5, 8, 8)


def test_loss_curves_mark_the_early_stop_and_every_lab_view_draws():
    from playground.lab import EXPERIMENTS, VIEW_DATA
    from playground.viz.curves import loss_curves
    from playground.viz.lab import FIGURES

    trainer = Trainer(_overfitting_spec(patience=5))
    trainer.train_epochs(100)
    fig = loss_curves(trainer.history.as_dict())
    xs = sorted(shape.x0 for shape in fig.layout.shapes)
    assert xs == sorted([trainer.best_epoch, trainer.stopped_epoch])
    assert not loss_curves(Trainer(SMALL).history.as_dict()).layout.shapes  # no marks without early stopping
    # Each view an experiment names gets data from a (briefly trained) run and draws at least one figure.
    for name in ("vanishing_gradients", "l1_vs_l2", "optimisers", "representation_learning", "backprop_step",
                 "universal_approximation", "loss_functions", "initialisation", "regularisation", "memory"):
        e = EXPERIMENTS[name]
        trainers = [(run.label, Trainer(run.spec)) for run in e.runs[:2]]
        for _, t in trainers:
            t.train_epochs(3)
        for view in e.views:
            figs = FIGURES[view]([(label, VIEW_DATA[view](t)) for label, t in trainers])
            assert figs and all(f.data for f in figs), (name, view)


def test_shared_landscape_draws_every_runs_path_on_one_chart():
    from playground.lab import EXPERIMENTS, shared_loss_landscape, weight_path
    from playground.viz.lab import FIGURES

    runs = EXPERIMENTS["optimisers"].runs[:3]
    trainers = [Trainer(run.spec) for run in runs]
    for t in trainers:
        t.train_epochs(3)
    data = shared_loss_landscape(trainers[0], [weight_path(t) for t in trainers[1:]])
    (fig,) = FIGURES["loss_landscape"]([(run.label, data if i == 0 else None) for i, run in enumerate(runs)])
    names = {trace.name for trace in fig.data if trace.name}
    assert {run.label for run in runs} <= names


@pytest.mark.parametrize("baseline", ["black", "mean", "blurred", "noise"])
def test_integrated_gradients_complete_from_each_baseline(baseline):
    from playground.interpret import ig_baseline, inspect_image
    from playground.presets import image_spec

    trainer = Trainer(replace(image_spec("digits"), dataset=DatasetSpec("digits", n_samples=200, train_ratio=0.8)))
    trainer.train_epochs(1)
    view = inspect_image(trainer, index=0, methods=("integrated_gradients",), ig_steps=64, baseline=baseline)
    x = torch.as_tensor(trainer.data.x_test[:1])
    with torch.no_grad():
        trainer.model.eval()
        gap = trainer.model(x)[0, view.attribution_target] - trainer.model(ig_baseline(trainer.data, x, baseline))[
            0, view.attribution_target]
        trainer.model.train()
    # Completeness (Sundararajan et al. 2017): the attributions sum to F(x) - F(baseline).
    assert view.attributions["integrated_gradients"].sum() == pytest.approx(float(gap), abs=0.05 * abs(float(gap)) + 1e-2)  # seen <= 2.6 %
