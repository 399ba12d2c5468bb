"""The sequence views' payload: one test sequence through the network, step by step.

Recurrent layers are stepped by hand (playground.recurrent.unroll, same weights as the fused
module), so every h_t, c_t and gate value is a tensor in the graph: one backward pass gives
‖∂L/∂h_t‖ for every layer and ‖∂L/∂x_t‖ for the input, the gradient through time, and the
memory horizon read off it. The predictions part (mistakes, forecast, text samples) uses the
trained model as it is.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from playground.frame import RecurrentTrace, SequenceFrame, memory_horizon
from playground.recurrent import RecurrentBlock, unroll

MISTAKES_SHOWN = 12
SAMPLE_CHARS = 80
FREE_RUN_MAX = 50


def _token_labels(data, raw: np.ndarray) -> list[str]:
    """The time axis: each step's token, or for value sets its first value rounded."""
    if data.vocab:
        return [data.vocab[int(i)] for i in raw]
    return [f"{float(v[0] if np.ndim(v) else v):.2f}" for v in raw]


def trace(trainer, x: torch.Tensor, y: torch.Tensor) -> tuple[list[RecurrentTrace], np.ndarray, float, torch.Tensor]:
    """(recurrent traces, ‖∂L/∂x_t‖ (T,), loss, output) for one sequence x (T, F) with target y."""
    model = trainer.model
    x = x.detach().clone().requires_grad_(True)
    h = x[None]
    unrolled = []
    for name, block in model.named_children():
        if isinstance(block, RecurrentBlock):
            u = unroll(block, h[0])
            unrolled.append((name, block.cell_type, u))
            h = u.output[None]
        else:
            h = block(h)
    out = h
    loss = trainer.loss_fn(out, y[None])
    steps = [h for _, _, u in unrolled for h in u.steps]
    grads = torch.autograd.grad(loss, [x] + steps, allow_unused=True, materialize_grads=True)
    grad_x = grads[0].norm(dim=1).double().numpy()
    per_step = torch.stack(grads[1:]).norm(dim=1).double().numpy() if steps else np.zeros(0)
    traces = []
    for k, (name, cell, u) in enumerate(unrolled):
        gh = per_step[k * len(x):(k + 1) * len(x)]
        traces.append(RecurrentTrace(name, cell, u.hidden.detach().numpy(),
                                     None if u.cell is None else u.cell.detach().numpy(),
                                     {k: v.detach().numpy() for k, v in u.gates.items()}, gh, memory_horizon(gh)))
    return traces, grad_x, float(loss.detach()), out.detach()[0]


def mean_gradient_through_time(trainer, sequences: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """‖∂L/∂h_t‖ of the first recurrent layer and ‖∂L/∂x_t‖, each (T,), averaged over the first
    `sequences` test sequences (one sequence's curve is noisy): the lab's memory measure."""
    model = trainer.model
    was_training = model.training
    model.eval()
    hidden, inputs = [], []
    try:
        with torch.inference_mode(False), torch.enable_grad():
            for i in range(min(sequences, len(trainer._x_test))):
                traces, grad_x, _, _ = trace(trainer, trainer._x_test[i], trainer._y_test[i])
                hidden.append(traces[0].grad_hidden if traces else grad_x)
                inputs.append(grad_x)
    finally:
        model.train(was_training)
    return np.mean(hidden, axis=0), np.mean(inputs, axis=0)


@torch.inference_mode()
def gate_statistics(trainer, max_sequences: int = 128) -> dict[str, dict[str, float]]:
    """Health of every LSTM/GRU layer's gates on training sequences: the share of gate units
    saturated (within 3 % of 0 or 1 on 90 % of the steps, so the gate is stuck shut or open)
    and their mean value, as "<layer>.gates" rows beside the activation statistics.

    The gates are recomputed from the fused module's own outputs (h_(t-1) of every step at once),
    so this costs two matrix products per layer, not a step-by-step loop.
    """
    from playground.probes import SATURATED_MARGIN, SATURATED_SHARE

    out: dict[str, dict[str, float]] = {}
    h = trainer._x_train[:max_sequences]
    was_training = trainer.model.training
    trainer.model.eval()
    try:
        for name, block in trainer.model.named_children():
            if isinstance(block, RecurrentBlock) and block.cell_type in ("lstm", "gru"):
                rnn, H = block.rnn, block.hidden
                seq = block(h)                                  # (n, T, H × directions)
                prev = torch.cat([seq.new_zeros(len(seq), 1, H), seq[:, :-1, :H]], dim=1)
                a = h @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + prev @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
                gates = torch.sigmoid(torch.cat([a[..., :2 * H], a[..., 3 * H:]], -1) if block.cell_type == "lstm"
                                      else a[..., :2 * H])       # i, f, o  or  r, z: (n, T, units)
                g = gates.reshape(-1, gates.shape[-1])
                near = (g <= SATURATED_MARGIN) | (g >= 1 - SATURATED_MARGIN)
                saturated = float((near.float().mean(dim=0) >= SATURATED_SHARE).float().mean())
                out[f"{name}.gates"] = {"mean_abs": float(g.mean()), "dead": 0.0, "saturated": saturated}
                h = seq
            else:
                h = block(h)
    finally:
        trainer.model.train(was_training)
    return out


def _mistakes(trainer) -> list[dict]:
    """The most confidently misclassified test sequences (last-step classification)."""
    data = trainer.data
    out = trainer.predict(trainer._x_test)
    probs = trainer.probabilities(out).numpy()
    pred = probs.argmax(1)
    wrong = np.nonzero(pred != data.y_test)[0]
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])][:MISTAKES_SHOWN]
    return [{"index": int(i), "text": "".join(_token_labels(data, data.raw_test[i])) if data.vocab else "",
             "label": int(data.y_test[i]), "predicted": int(pred[i]), "confidence": float(probs[i, pred[i]])}
            for i in wrong]


def _run(model, x: torch.Tensor, states: dict) -> torch.Tensor:
    """The model on x (1, t, F) continuing from `states` (recurrent layer -> its state), updated in place.

    Every block but the recurrent ones acts on each step alone in a per-step task, so feeding
    one step at a time with the carried states equals running the whole sequence (and costs one
    step, not the whole prefix again).
    """
    h = x
    for name, block in model.named_children():
        if isinstance(block, RecurrentBlock):
            h, states[name] = block.rnn(h, states.get(name))
        else:
            h = block(h)
    return h


@torch.inference_mode()
def _forecast(trainer, x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """One-step predictions over the window, and a free-running forecast from its middle on."""
    model = trainer.model
    one_step = model(x[None])[0, :, 0].numpy()
    T = len(x)
    start = max(1, T - min(FREE_RUN_MAX, T // 2))
    states: dict = {}
    nxt = _run(model, x[None, :start], states)[0, -1, 0]
    free = [float(nxt)]
    for _ in range(start + 1, T + 1):  # x_{t+1} from the model's own previous prediction
        nxt = _run(model, nxt.reshape(1, 1, 1), states)[0, -1, 0]
        free.append(float(nxt))
    truth = np.concatenate([x[:, 0].numpy(), y[-1:].numpy()])
    return {"truth": truth, "one_step": one_step, "free_run": np.asarray(free), "start": np.asarray(start)}


@torch.inference_mode()
def sample_text(trainer, seed: np.ndarray, n_chars: int, temperature: float, generator: torch.Generator) -> str:
    """n_chars characters drawn from the model at `temperature`, after the seed tokens (T,)."""
    data = trainer.data
    eye = torch.eye(len(data.vocab))
    states: dict = {}
    logits = _run(trainer.model, eye[torch.as_tensor(seed)][None], states)[0, -1]
    out = []
    for _ in range(n_chars):
        p = torch.softmax(logits / max(temperature, 1e-3), dim=0)
        nxt = int(torch.multinomial(p, 1, generator=generator))
        out.append(data.vocab[nxt])
        logits = _run(trainer.model, eye[nxt][None, None], states)[0, -1]
    return "".join(out)


def sequence_frame(trainer, index: int = 0, panels: tuple[str, ...] = ("predictions",),
                   temperature: float = 1.0) -> SequenceFrame:
    """The payload for test sequence `index`: traces and gradient through time, and the predictions."""
    data, model = trainer.data, trainer.model
    n = len(data.x_test)
    index = int(min(max(index, 0), n - 1)) if n else 0
    x, y = trainer._x_test[index], trainer._y_test[index]
    was_training = model.training
    model.eval()
    try:
        start = time.perf_counter()
        with torch.inference_mode(False), torch.enable_grad():
            traces, grad_x, loss, out = trace(trainer, x, y)
        seconds = time.perf_counter() - start
        if data.task == "regression":
            prediction = out[..., 0].numpy()
        elif data.per_step:
            prediction = torch.softmax(out, dim=-1).numpy()
        else:
            prediction = trainer.probabilities(out[None])[0].numpy()
        frame = SequenceFrame(index, _token_labels(data, data.raw_test[index]), traces, grad_x,
                              traces[0].horizon if traces else memory_horizon(grad_x), loss,
                              data.y_test[index].tolist(), prediction, list(data.class_names),
                              temperature=float(temperature), seconds=seconds)
        if "predictions" in panels:
            if data.task == "classification" and not data.per_step:
                frame.mistakes = _mistakes(trainer)
            elif data.task == "regression" and data.per_step:
                frame.forecast = _forecast(trainer, x, y)
            elif data.per_step and data.vocab:
                g = torch.Generator().manual_seed(trainer.step_count)
                frame.samples = [sample_text(trainer, data.raw_test[i], SAMPLE_CHARS, temperature, g)
                                 for i in range(min(2, n))]
    finally:
        model.train(was_training)
    return frame
