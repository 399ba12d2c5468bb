"""Recurrent layers against plain torch.nn.RNN/LSTM/GRU with the same weights: outputs, gates,
cell state and the gradient through time; shapes, parameter counts, refusals and initialisation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from playground.frame import memory_horizon, take_frame
from playground.model import build_model, count_parameters
from playground.recurrent import LastStep, RecurrentBlock, unroll
from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec, SpecError
from playground.train import Trainer

CASES = [("lstm", {}), ("gru", {}), ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]
T, F, H = 12, 5, 6


def _block_and_plain(cell: str, options: dict, seed: int = 0) -> tuple[RecurrentBlock, nn.Module]:
    model = build_model((LayerSpec(cell, hidden=H, **options),), (T, F), 3, seed=seed)
    block = getattr(model, f"{cell}1")
    plain = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](F, H, batch_first=True, **options)
    plain.load_state_dict(block.rnn.state_dict())  # the same weights in an untouched torch module
    return block, plain


def _sig(a):
    return 1 / (1 + np.exp(-a))


@pytest.mark.parametrize("cell,options", CASES)
def test_outputs_and_gates_match_plain_torch(cell, options):
    block, plain = _block_and_plain(cell, options)
    x = torch.randn(4, T, F, generator=torch.Generator().manual_seed(1))
    expected, state = plain(x)
    torch.testing.assert_close(block(x), expected)
    u = unroll(block, x[2])
    torch.testing.assert_close(u.hidden, expected[2], atol=1e-5, rtol=1e-4)
    # Gates worked out from the plain module's weights with the textbook equations, in NumPy.
    W_ih, W_hh = plain.weight_ih_l0.detach().double().numpy(), plain.weight_hh_l0.detach().double().numpy()
    b_ih, b_hh = plain.bias_ih_l0.detach().double().numpy(), plain.bias_hh_l0.detach().double().numpy()
    xs, hs = x[2].double().numpy(), expected[2].detach().double().numpy()
    h_prev = np.vstack([np.zeros(H), hs[:-1]])
    gi = xs @ W_ih.T + b_ih
    gh = h_prev @ W_hh.T + b_hh
    if cell == "lstm":
        i, f, o = _sig(gi[:, :H] + gh[:, :H]), _sig(gi[:, H:2 * H] + gh[:, H:2 * H]), _sig(gi[:, 3 * H:] + gh[:, 3 * H:])
        for name, ref in (("input", i), ("forget", f), ("output", o)):
            np.testing.assert_allclose(u.gates[name].detach().numpy(), ref, atol=1e-5)
        torch.testing.assert_close(u.cell[-1], state[1][0, 2], atol=1e-5, rtol=1e-4)
    elif cell == "gru":
        r, z = _sig(gi[:, :H] + gh[:, :H]), _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        np.testing.assert_allclose(u.gates["reset"].detach().numpy(), r, atol=1e-5)
        np.testing.assert_allclose(u.gates["update"].detach().numpy(), z, atol=1e-5)
    else:
        assert u.gates == {} and u.cell is None


@pytest.mark.parametrize("cell,options", CASES)
def test_gradient_through_time_matches_autograd_on_the_plain_module(cell, options):
    block, plain = _block_and_plain(cell, options, seed=3)
    x = torch.randn(T, F, generator=torch.Generator().manual_seed(2))
    target = torch.randn(H, generator=torch.Generator().manual_seed(4))

    # The plain module stepped one step per call, carrying its state: h_t is a leaf of each call.
    xp = x.clone().requires_grad_(True)
    state, hs = None, []
    for t in range(T):
        out, state = plain(xp[None, t:t + 1], state)
        h = out[0, 0]
        hs.append(h)  # this very tensor is the next step's state: its gradient is the total one
        state = (h.reshape(1, 1, H), state[1]) if cell == "lstm" else h.reshape(1, 1, H)
    loss = ((hs[-1] - target) ** 2).sum()
    ref = torch.autograd.grad(loss, [xp] + hs)
    ref_x, ref_h = ref[0].norm(dim=1), torch.stack([g.norm() for g in ref[1:]])

    xu = x.clone().requires_grad_(True)
    u = unroll(block, xu)
    loss_u = ((u.hidden[-1] - target) ** 2).sum()
    got = torch.autograd.grad(loss_u, [xu] + u.steps)
    torch.testing.assert_close(got[0].norm(dim=1), ref_x, atol=1e-6, rtol=1e-4)
    torch.testing.assert_close(torch.stack([g.norm() for g in got[1:]]), ref_h, atol=1e-6, rtol=1e-4)
    assert ref_h[0] < ref_h[-1]  # a true gradient through time: it changes along the sequence


def test_memory_horizon_by_hand():
    assert memory_horizon(np.array([1e-9, 1e-5, 2e-3, 0.5, 1.0])) == 3   # 2e-3 >= 1e-3 · 1.0: three steps back
    assert memory_horizon(np.array([1.0, 1.0, 1.0])) == 3
    assert memory_horizon(np.array([0.0, 0.0])) == 0


def test_shapes_parameters_and_refusals():
    layers = (LayerSpec("embedding", dim=4), LayerSpec("lstm", hidden=8, bidirectional=True),
              LayerSpec("gru", hidden=5), LayerSpec("rnn", hidden=3), LayerSpec("dense", units=7))
    model = build_model(layers, (10, 9), 4, seed=0)
    shapes = {s.name: (s.out_shape, s.params) for s in model.shapes}
    assert shapes["embed1"] == ((10, 4), 36)
    assert shapes["lstm1"] == ((10, 16), 2 * 4 * (8 * 4 + 8 * 8 + 16))
    assert shapes["gru1"] == ((10, 5), 3 * (5 * 16 + 5 * 5 + 10))
    assert shapes["last_step_dense1"] == ((3,), 0)
    assert sum(p for _, p in shapes.values()) == count_parameters(model)
    assert model(torch.zeros(2, 10, 9)).shape == (2, 4)
    per_step = build_model((LayerSpec("gru", hidden=5), LayerSpec("dense", units=3)), (10, 9), 6, seed=0, per_step=True)
    assert per_step(torch.zeros(2, 10, 9)).shape == (2, 10, 6)
    with pytest.raises(SpecError, match=r"layer 2 \(lstm1\).*needs a sequence") as info:
        build_model((LayerSpec("dense", units=3), LayerSpec("lstm")), (10, 9), 2)
    assert info.value.path == "layers[1].type"
    with pytest.raises(SpecError, match=r"layer 1 \(gru1\).*reads the future"):
        build_model((LayerSpec("gru", bidirectional=True),), (10, 9), 2, per_step=True)
    with pytest.raises(SpecError, match="needs image-shaped input.*a sequence of 10 steps × 9 features"):
        build_model((LayerSpec("conv2d"),), (10, 9), 2)


def test_initialisation_orthogonal_and_forget_bias():
    model = build_model((LayerSpec("lstm", hidden=H, forget_bias=1.0),), (T, F), 2, seed=0)
    rnn = model.lstm1.rnn
    for k in range(4):
        W = rnn.weight_hh_l0.detach()[k * H:(k + 1) * H]
        torch.testing.assert_close(W @ W.T, torch.eye(H), atol=1e-5, rtol=0)
    assert (rnn.bias_ih_l0[H:2 * H] == 1).all() and (rnn.bias_hh_l0[H:2 * H] == 0).all()
    zero = build_model((LayerSpec("lstm", hidden=H, forget_bias=0.0, orthogonal=False),), (T, F), 2, seed=0)
    W = zero.lstm1.rnn.weight_hh_l0.detach()[:H]
    assert not torch.allclose(W @ W.T, torch.eye(H), atol=1e-2)
    assert (zero.lstm1.rnn.bias_ih_l0[H:2 * H] == 0).all()


def test_trainer_reports_weight_ih_and_weight_hh_apart_and_a_frame_has_the_traces():
    spec = Spec(dataset=DatasetSpec(name="recall", length=8, n_samples=60), layers=(LayerSpec("lstm", hidden=6),),
                optimizer=OptimizerSpec("adam", 0.01), batch_size=20, grad_clip=1.0)
    trainer = Trainer(spec)
    trainer.train_steps(1)
    norms = trainer.grad_norms
    rnn = trainer.model.lstm1.rnn
    assert list(norms) == ["lstm1.weight_ih", "lstm1.weight_hh", "output"]
    assert norms["lstm1.weight_ih"] == pytest.approx(float(rnn.weight_ih_l0.grad.norm()), rel=1e-5)
    assert norms["lstm1.weight_hh"] == pytest.approx(float(rnn.weight_hh_l0.grad.norm()), rel=1e-5)
    frame = take_frame(trainer, index=0)
    p = frame.payload
    assert frame.header.kind == "sequence" and len(p.tokens) == 8 and p.tokens[-1] == "?"
    (layer,) = p.layers
    assert layer.hidden.shape == (8, 6) and set(layer.gates) == {"forget", "input", "output"}
    assert layer.grad_hidden.shape == (8,) and 1 <= p.horizon <= 8
    assert p.prediction.shape == (4,) and abs(p.prediction.sum() - 1) < 1e-5


def test_sequence_presets_build_and_clip():
    from playground.layers import infer_shapes
    from playground.presets import SEQUENCE_LAYERS, memory_specs, preset_for_problem, sequence_spec

    for name in SEQUENCE_LAYERS:
        spec = sequence_spec(name)
        spec.validate()
        assert spec.grad_clip == 1.0  # clipping on by default for recurrent nets
        per_step = name in ("forecast", "text")
        shapes = infer_shapes(spec.layers, (20, 9), 4, per_step)
        assert shapes[-1].out_shape == ((20, 4) if per_step else (4,))
    specs = memory_specs(length=30)
    assert list(specs) == ["rnn", "lstm", "gru"]
    assert {s.dataset for s in specs.values()} == {specs["rnn"].dataset}  # same data, only the cell differs
    assert [s.layers[0].type for s in specs.values()] == ["rnn", "lstm", "gru"]
    assert preset_for_problem(sequence_spec(), "classification").dataset.name == "circle"
    assert preset_for_problem(Spec(), "sequence") == sequence_spec()


def test_gate_statistics_count_saturated_gates():
    from playground.sequence_probe import gate_statistics

    spec = Spec(dataset=DatasetSpec(name="recall", length=6, n_samples=40), layers=(LayerSpec("lstm", hidden=4),))
    trainer = Trainer(spec)
    stats = gate_statistics(trainer)
    assert set(stats) == {"lstm1.gates"} and 0 < stats["lstm1.gates"]["mean_abs"] < 1
    assert stats["lstm1.gates"]["saturated"] == 0.0  # small weights at initialisation: no gate is stuck
    with torch.no_grad():  # forget-gate bias +50: the 4 forget units (of 12 gate units) are stuck open
        trainer.model.lstm1.rnn.bias_ih_l0[4:8] = 50.0
    assert gate_statistics(trainer)["lstm1.gates"]["saturated"] == pytest.approx(4 / 12)
    assert "lstm1.gates" in take_frame(trainer, index=0).header.activation_stats


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("between", [(), (LayerSpec("dropout", rate=0.25),)])
def test_a_bidirectional_layer_hands_the_head_both_final_states_as_torch_h_n(cell, between):
    """The head reads the forward cell's last step and the backward cell's first step: each
    direction's final state, torch's h_n, not the backward cell after one token."""
    layers = (LayerSpec(cell, hidden=H, bidirectional=True), *between, LayerSpec("dense", units=4))
    model = build_model(layers, (T, F), 3, seed=0).eval()
    plain = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](F, H, batch_first=True, bidirectional=True)
    plain.load_state_dict(getattr(model, f"{cell}1").rnn.state_dict())
    x = torch.randn(4, T, F, generator=torch.Generator().manual_seed(2))
    _, state = plain(x)
    h_n = state[0] if cell == "lstm" else state     # (directions, batch, H)
    seen = {}
    last = next(m for m in model.modules() if isinstance(m, LastStep))
    last.register_forward_hook(lambda m, i, out: seen.update(out=out))
    model(x)
    torch.testing.assert_close(seen["out"], torch.cat([h_n[0], h_n[1]], dim=1))
