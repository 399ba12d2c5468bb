"""Sequence views drawn from a real frame: shapes, the tokens on the time axis, the memory horizon."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from playground.frame import take_frame
from playground.presets import sequence_spec
from playground.spec import DatasetSpec, LayerSpec
from playground.train import Trainer
from playground.viz import sequence as views


@pytest.fixture(scope="module")
def frames():
    out = {}
    for name, layers in (("recall", (LayerSpec("lstm", hidden=5),)), ("forecast", (LayerSpec("gru", hidden=4),)),
                         ("text", (LayerSpec("embedding", dim=3), LayerSpec("rnn", hidden=4)))):
        spec = replace(sequence_spec(name, layers), dataset=DatasetSpec(name=name, length=9, n_samples=40))
        trainer = Trainer(spec)
        trainer.train_steps(2)
        out[name] = (trainer, take_frame(trainer, index=1, temperature=0.5).payload)
    return out


def test_hidden_state_and_gates_are_units_by_time_with_tokens(frames):
    trainer, p = frames["recall"]
    (trace,) = p.layers
    fig = views.hidden_state(trace, p.tokens)
    z = np.asarray(fig.data[0].z)
    assert z.shape == (5, 9)  # units × time
    np.testing.assert_allclose(z[:, 3], trace.hidden[3], atol=1e-4)
    assert list(fig.layout.xaxis.ticktext) == p.tokens and p.tokens[-1] == "?"
    gates = views.gates(trace, p.tokens)
    assert [t.name for t in gates.data] == ["forget", "input", "output"]
    assert views.cell_state(trace, p.tokens).data[0].z is not None
    gru = views.gates(frames["forecast"][1].layers[0], frames["forecast"][1].tokens)
    assert [t.name for t in gru.data] == ["reset", "update"]


def test_gradient_through_time_shows_each_layer_and_the_horizon(frames):
    _, p = frames["recall"]
    fig = views.gradient_through_time(p)
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["‖∂L/∂h_t‖ lstm1", "‖∂L/∂x_t‖"]
    assert f"memory horizon: {p.horizon} of 9 steps" in fig.layout.annotations[0].text


def test_predictions_views(frames):
    _, p = frames["recall"]
    probs = views.class_probabilities(p)
    assert list(probs.data[0].x) == ["A", "B", "C", "D"]
    assert views.mistakes_text(p)[0].startswith(("Most confident", "No test"))
    _, f = frames["forecast"]
    fc = f.forecast
    assert len(fc["one_step"]) == 9 and len(fc["free_run"]) == 9 - int(fc["start"]) + 1
    assert [t.name for t in views.forecast_plot(f).data][0] == "truth"
    _, t = frames["text"]
    assert len(t.samples) == 2 and all(len(s) == 80 for s in t.samples) and t.temperature == 0.5
    assert np.asarray(views.step_outputs(t).data[0].z).shape == (28, 9)
