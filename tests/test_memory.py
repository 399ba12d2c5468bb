"""Learning outcomes of the memory comparison on plain torch.nn modules (the reference the lab's
"memory" experiment was calibrated on): on the adding problem the gated cells (LSTM, GRU) learn
to remember the two marked values where the tanh RNN stays at the baseline of always answering
the mean. Seeds 2 and 3 here; the lab's own test trains the playground's runs on seed 1. The
margins are wide of what was seen on seeds 1-5 (README, sequence section: RNN 0.157-0.199 against
a baseline of about 0.17; LSTM and GRU at most 0.002).
"""
import numpy as np
import pytest
import torch
from torch import nn

from datasets.sequences import adding
from playground.presets import MEMORY_EPOCHS, MEMORY_LENGTH, MEMORY_SEQUENCES

HIDDEN, BATCH, LR, CLIP = 32, 50, 0.01, 1.0


class Net(nn.Module):
    """torch's own cell (default weights; the LSTM's forget-gate bias 1) and a linear head on the last step."""

    def __init__(self, cell: str) -> None:
        super().__init__()
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](2, HIDDEN, batch_first=True)
        if cell == "lstm":
            with torch.no_grad():  # torch's gate order i, f, g, o
                self.rnn.bias_ih_l0[HIDDEN:2 * HIDDEN] = 1.0
                self.rnn.bias_hh_l0[HIDDEN:2 * HIDDEN] = 0.0
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1])[:, 0]


def _test_mse(cell: str, seed: int) -> tuple[float, float]:
    """(test MSE after the lab's budget, the test MSE of always answering the training mean)."""
    torch.set_num_threads(1)
    X, y = adding(MEMORY_SEQUENCES, 0.0, np.random.default_rng(seed), length=MEMORY_LENGTH)
    n = int(0.8 * MEMORY_SEQUENCES)
    x_train, y_train, x_test, y_test = (torch.as_tensor(a) for a in (X[:n], y[:n], X[n:], y[n:]))
    torch.manual_seed(seed)
    net = Net(cell)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    order = torch.Generator().manual_seed(seed)
    for _ in range(MEMORY_EPOCHS):
        for idx in torch.randperm(n, generator=order).split(BATCH):
            loss = nn.functional.mse_loss(net(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), CLIP)
            opt.step()
    with torch.no_grad():
        return float(nn.functional.mse_loss(net(x_test), y_test)), float(((y_test - y_train.mean()) ** 2).mean())


@pytest.mark.parametrize("seed", [2, 3])
def test_gated_cells_learn_the_adding_problem_where_the_rnn_stays_at_the_baseline(seed):
    rnn, baseline = _test_mse("rnn", seed)
    lstm, _ = _test_mse("lstm", seed)
    gru, _ = _test_mse("gru", seed)
    assert rnn > 0.8 * baseline, (rnn, baseline)  # no better than the mean (an RNN over-fits: above it)
    assert lstm < 0.1 * baseline and gru < 0.1 * baseline, (lstm, gru, baseline)
