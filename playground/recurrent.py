"""Recurrent layers (RNN, LSTM, GRU), the token embedding and the last-step selection, as torch blocks,
and `unroll`: the same cell stepped by hand so the views can see its hidden state, gates and
cell state at every step, and the gradient through time.

Training runs torch's fused nn.RNN / nn.LSTM / nn.GRU (as fast as a plain PyTorch loop); the
hand-stepped unroll uses the very same weights with torch's gate order and equations:

    LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), chunked in that order
          c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
    GRU   r, z = σ(...), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
    RNN   h_t = tanh or relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

tests/test_recurrent.py checks both against plain torch.nn modules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
GATES = {"rnn": (), "lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}
SHOWN_GATES = {"rnn": (), "lstm": ("forget", "input", "output"), "gru": ("reset", "update")}


class RecurrentBlock(nn.Module):
    """One recurrent layer over a sequence: (batch, T, features) -> (batch, T, hidden × directions)."""

    def __init__(self, cell: str, in_features: int, spec) -> None:
        super().__init__()
        self.cell_type = cell
        kwargs = {"nonlinearity": spec.nonlinearity} if cell == "rnn" else {}
        self.rnn = CELLS[cell](in_features, spec.hidden, batch_first=True, bidirectional=spec.bidirectional,
                               **kwargs)
        self.hidden = spec.hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return out


def init_recurrent(block: RecurrentBlock, scheme: str, orthogonal: bool, forget_bias: float | None) -> None:
    """The spec's init for the input weights, orthogonal recurrent weights, the LSTM forget-gate bias.

    Orthogonal W_hh keeps ‖h‖ from shrinking or growing step by step at initialisation; a forget
    bias of 1 starts the LSTM remembering (f ≈ 0.73) rather than forgetting half of c each step.
    """
    from playground.initializers import init_weights

    rnn, H = block.rnn, block.hidden
    act = getattr(rnn, "nonlinearity", "tanh")
    init_weights(rnn, scheme, act)
    for name, param in rnn.named_parameters():
        if name.startswith("weight_hh") and orthogonal:
            for k in range(param.shape[0] // H):  # each gate's square block on its own
                nn.init.orthogonal_(param.data[k * H:(k + 1) * H])
    if block.cell_type == "lstm" and forget_bias is not None:
        with torch.no_grad():
            for name, param in rnn.named_parameters():
                if name.startswith("bias_ih"):
                    param[H:2 * H] = forget_bias
                elif name.startswith("bias_hh"):
                    param[H:2 * H] = 0.0


def recurrent_weights(block: RecurrentBlock) -> dict[str, nn.Parameter]:
    """weight_ih and weight_hh (and the backward direction's) for the gradient norms."""
    rnn = block.rnn
    out = {"weight_ih": rnn.weight_ih_l0, "weight_hh": rnn.weight_hh_l0}
    if rnn.bidirectional:
        out.update(weight_ih_reverse=rnn.weight_ih_l0_reverse, weight_hh_reverse=rnn.weight_hh_l0_reverse)
    return out


class Embedding(nn.Module):
    """A learned vector per token: (batch, T, vocab) one-hot codes -> (batch, T, dim).

    one_hot @ W is exactly nn.Embedding's row lookup (same V × dim parameters), and keeps every
    sequence set's inputs one float tensor.
    """

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(vocab, dim))  # nn.Embedding's N(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight


class LastStep(nn.Module):
    """The last step of a sequence: (batch, T, features) -> (batch, features).

    The trailing `backward` features of each step come from a bidirectional layer's backward
    cell, which ends its pass at the first step: that is where its final state is (torch's h_n);
    at the last step it has seen one token.
    """

    def __init__(self, backward: int = 0) -> None:
        super().__init__()
        self.backward = backward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.backward:
            return torch.cat([x[:, -1, :-self.backward], x[:, 0, -self.backward:]], dim=1)
        return x[:, -1]

    def extra_repr(self) -> str:
        return f"backward={self.backward}" if self.backward else ""


# -- the hand-stepped unroll, for the views ------------------------------------------------------

@dataclass
class Unrolled:
    """One recurrent layer stepped over one sequence; every tensor is (T, hidden), forward direction."""

    hidden: torch.Tensor                      # h_t
    cell: torch.Tensor | None                 # c_t (LSTM)
    gates: dict[str, torch.Tensor] = field(default_factory=dict)  # name -> (T, hidden) gate values
    output: torch.Tensor | None = None        # (T, hidden × directions): what the layer passes on
    # h_1 … h_T as the tensors the recurrence used: autograd.grad(loss, steps) is the total
    # ∂L/∂h_t through time (the stacked `hidden` only carries the direct path to the output).
    steps: list[torch.Tensor] = field(default_factory=list)


def unroll(block: RecurrentBlock, x: torch.Tensor) -> Unrolled:
    """Step the block's forward cell over one sequence x (T, features), keeping every h_t in the graph.

    h_t are the same tensors the layer's output is built from, so autograd.grad(loss, hidden)
    is ∂L/∂h_t through time. A bidirectional layer's backward half is run by torch's module and
    concatenated (its states are not shown).
    """
    rnn, kind = block.rnn, block.cell_type
    W_hh, H = rnn.weight_hh_l0, block.hidden
    # The input part of every step at once (T, gates × H); b_hh joins it except GRU's candidate
    # part, which the reset gate scales. Few, fused ops per step: the backward pass replays them.
    xi = torch.addmm(rnn.bias_ih_l0, x, rnn.weight_ih_l0.T)
    b_hh = rnn.bias_hh_l0
    h = x.new_zeros(H)
    c = x.new_zeros(H)
    hs, cs, acts = [], [], []
    if kind == "lstm":
        xi = xi + b_hh
        for t in range(x.shape[0]):
            a = torch.addmv(xi[t], W_hh, h)
            s = a.sigmoid()                    # i, f, ·, o in one op; g below
            c = torch.addcmul(s[H:2 * H] * c, s[:H], a[2 * H:3 * H].tanh())
            h = s[3 * H:] * c.tanh()
            hs.append(h), cs.append(c), acts.append(s)
        sig = torch.stack(acts)
        gates = {"forget": sig[:, H:2 * H], "input": sig[:, :H], "output": sig[:, 3 * H:]}
    elif kind == "gru":
        xi_rz = xi[:, :2 * H] + b_hh[:2 * H]
        for t in range(x.shape[0]):
            hh = torch.addmv(b_hh, W_hh, h)
            rz = (xi_rz[t] + hh[:2 * H]).sigmoid()
            n = torch.addcmul(xi[t, 2 * H:], rz[:H], hh[2 * H:]).tanh()
            h = n + rz[H:] * (h - n)           # (1 - z) ⊙ n + z ⊙ h
            hs.append(h), acts.append(rz)
        rz = torch.stack(acts)
        gates = {"reset": rz[:, :H], "update": rz[:, H:]}
    else:
        xi = xi + b_hh
        act = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
        for t in range(x.shape[0]):
            h = act(torch.addmv(xi[t], W_hh, h))
            hs.append(h)
        gates = {}
    hidden = torch.stack(hs)
    output = hidden
    if rnn.bidirectional:
        both, _ = rnn(x[None])
        output = torch.cat([hidden, both[0, :, H:]], dim=1)
    return Unrolled(hidden, torch.stack(cs) if cs else None, gates, output, hs)
