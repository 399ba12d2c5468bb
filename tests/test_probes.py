"""Probes: neuron maps from hand-set weights, statistics by hand, hooks removed, ∂L/∂a vs autograd."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from playground.probes import (THUMBNAIL_RESOLUTION, capture_activations, grid_points, layer_probe, snapshot,
                               unit_statistics)
from playground.spec import DatasetSpec, LayerSpec, Spec
from playground.train import Trainer


def _hand_set_trainer():
    """x1, x2 -> dense1 (2 tanh units, identity weights, bias 0) -> dense2 (1 relu unit)."""
    spec = replace(Spec(), layers=(LayerSpec(units=2, activation="tanh"), LayerSpec(units=1, activation="relu")))
    trainer = Trainer(spec)
    with torch.no_grad():
        trainer.model.dense1.linear.weight.copy_(torch.eye(2))
        trainer.model.dense1.linear.bias.zero_()
        trainer.model.dense2.linear.weight.copy_(torch.tensor([[1.0, -1.0]]))
        trainer.model.dense2.linear.bias.fill_(0.5)
    return trainer


def test_neuron_maps_equal_hand_computed_activations():
    snap = snapshot(_hand_set_trainer(), resolution=40)
    xs, ys, _ = grid_points(THUMBNAIL_RESOLUTION)  # the diagram's maps use the thumbnail grid
    gx, gy = np.meshgrid(xs, ys)
    np.testing.assert_allclose(snap.neuron_maps["dense1"][0], np.tanh(gx), atol=1e-6)
    np.testing.assert_allclose(snap.neuron_maps["dense1"][1], np.tanh(gy), atol=1e-6)
    np.testing.assert_allclose(snap.neuron_maps["dense2"][0], np.maximum(0, np.tanh(gx) - np.tanh(gy) + 0.5), atol=1e-6)
    np.testing.assert_allclose(snap.feature_maps["x1"], gx)
    assert snap.output.shape == (40, 40) and 0 <= snap.output.min() and snap.output.max() <= 1
    assert [c["name"] for c in snap.columns] == ["input", "dense1", "dense2", "output"]
    assert [len(c["labels"]) for c in snap.columns] == [2, 2, 1, 1]
    assert [w.shape for w in snap.weights] == [(2, 2), (1, 2), (1, 1)]


def test_output_map_is_the_model_probability():
    trainer = _hand_set_trainer()
    snap = snapshot(trainer, resolution=11, detail=(3, 0))
    _, _, points = grid_points(11)
    with torch.no_grad():
        p = torch.sigmoid(trainer.model(torch.as_tensor(points))[:, 0]).numpy().reshape(11, 11)
    np.testing.assert_allclose(snap.output, p, atol=1e-6)
    np.testing.assert_allclose(snap.detail_map, p, atol=1e-6)  # the output node at full resolution: P(1)
    assert snap.output_maps.shape == (1, THUMBNAIL_RESOLUTION, THUMBNAIL_RESOLUTION)
    assert 0 <= snap.output_maps.min() and snap.output_maps.max() <= 1
    assert [c["values"] for c in snap.columns] == ["feature", "activation", "activation", "probability"]


def test_detail_map_of_a_hidden_neuron_and_a_missing_one():
    snap = snapshot(_hand_set_trainer(), resolution=30, detail=(1, 1))
    xs, ys, _ = grid_points(30)
    np.testing.assert_allclose(snap.detail_map, np.tanh(np.meshgrid(xs, ys)[1]), atol=1e-6)
    assert snapshot(_hand_set_trainer(), detail=(1, 5)).detail is None  # no such neuron


def test_activation_gradients_match_autograd():
    trainer = _hand_set_trainer()
    act_grads, _ = layer_probe(trainer)
    x = torch.as_tensor(trainer.data.x_train)
    y = torch.as_tensor(trainer.data.y_train).float()
    h1 = trainer.model.dense1(x)
    h1.retain_grad()
    out = trainer.model.output(trainer.model.dense2(h1))
    torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], y).backward()
    assert act_grads["dense1"] == pytest.approx(float(h1.grad.norm()), rel=1e-5)
    head = layer_probe(trainer, max_samples=10)[0]["dense1"]  # the first rows only
    h1 = trainer.model.dense1(x[:10])
    h1.retain_grad()
    out = trainer.model.output(trainer.model.dense2(h1))
    torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], y[:10]).backward()
    assert head == pytest.approx(float(h1.grad.norm()), rel=1e-5)


def test_probes_leave_no_hooks_and_no_parameter_gradients():
    trainer = Trainer(Spec())
    trainer.train_steps(3)
    grads = [p.grad.clone() for p in trainer.model.parameters()]
    snapshot(trainer)
    layer_probe(trainer)
    for module in trainer.model.modules():
        assert not module._forward_hooks and not module._backward_hooks
    assert all(torch.equal(a, p.grad) for a, p in zip(grads, trainer.model.parameters()))
    assert trainer.model.training  # back in training mode


def test_regression_output_map_is_the_value():
    trainer = Trainer(replace(Spec(), dataset=DatasetSpec("plane")))
    snap = snapshot(trainer, resolution=9, detail=(3, 0))
    _, _, points = grid_points(9)
    with torch.no_grad():
        y_hat = trainer.model(torch.as_tensor(points))[:, 0].numpy().reshape(9, 9)
    np.testing.assert_allclose(snap.detail_map, y_hat, atol=1e-6)
    assert snap.columns[-1]["values"] == "prediction"


def test_hooks_are_removed_on_error():
    layer = torch.nn.Linear(2, 2)
    with pytest.raises(RuntimeError):
        with capture_activations({"l": layer}):
            raise RuntimeError("boom")
    assert not layer._forward_hooks


def test_unit_statistics_by_hand():
    relu = torch.tensor([[0.0, 1.0, 0.0, 2.0], [0.0, 3.0, 0.0, 0.0]])  # units 0 and 2 never fire
    stats = unit_statistics(relu, "relu")
    assert stats["dead"] == 0.5 and stats["saturated"] == 0.0
    assert stats["mean_abs"] == pytest.approx(6 / 8)
    tanh = torch.tensor([[0.99, 0.1], [-0.995, 0.2], [0.98, -0.99]] * 4)  # unit 0 always near ±1
    assert unit_statistics(tanh, "tanh")["saturated"] == 0.5
    assert unit_statistics(tanh, "tanh")["dead"] == 0.0
    conv = torch.zeros(2, 3, 4, 4)
    conv[:, 1] = 1.0  # only channel 1 is ever positive
    assert unit_statistics(conv, "relu")["dead"] == pytest.approx(2 / 3)


def test_dead_relu_network_is_flagged():
    spec = replace(Spec(), init="zeros", layers=(LayerSpec(units=4, activation="relu"),))
    assert layer_probe(Trainer(spec))[1]["dense1"]["dead"] == 1.0


def test_multiclass_snapshot_has_class_and_confidence():
    trainer = Trainer(replace(Spec(), dataset=DatasetSpec("blobs", classes=3)))
    snap = snapshot(trainer, resolution=10)
    assert set(np.unique(snap.output)) <= {0, 1, 2}
    assert snap.confidence.shape == (10, 10) and (snap.confidence >= 1 / 3 - 1e-6).all()
    assert snap.output_maps.shape == (3, THUMBNAIL_RESOLUTION, THUMBNAIL_RESOLUTION)
