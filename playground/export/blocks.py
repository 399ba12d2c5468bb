"""The building blocks of an exported script, as source text: the layer kinds' code writers
(playground/layers.py, `LayerKind.code`) put them into the script they need.

Each class here builds the same sub-modules, in the same order and under the same attribute
names, as its counterpart in playground/model.py, so an exported network has the app's
state-dict keys and draws its initial weights from the seeded generator in the same order.
"""
from __future__ import annotations

from typing import Any

# The constructors take plain values (the app's take a LayerSpec); `forward` is the app's own,
# copied from playground/model.py when a script is written, so the two cannot drift apart.
DENSE_INIT = '''
class Dense(nn.Module):
    """Linear -> [batch norm] -> activation [+ skip connection] -> [dropout]."""

    def __init__(self, fan_in, units, act, batch_norm=False, residual=False, dropout=0.0):
        super().__init__()
        self.linear = nn.Linear(fan_in, units)
        self.norm = nn.BatchNorm1d(units) if batch_norm else None
        self.act = act
        self.drop = nn.Dropout(dropout) if dropout > 0 else None
        self.residual = residual
'''

CONV_INIT = '''
class Conv(nn.Module):
    """Conv2d -> [batch norm] -> activation -> [dropout]."""

    def __init__(self, in_channels, channels, kernel, stride, padding, act, batch_norm=False, dropout=0.0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, kernel, stride, padding)
        self.norm = nn.BatchNorm2d(channels) if batch_norm else None
        self.act = act
        self.drop = nn.Dropout(dropout) if dropout > 0 else None
'''


def with_forward(init: str, block: type) -> str:
    """A class's source: `init` (its header and constructor) and the `forward` of the app's `block`."""
    import inspect

    return f"{init}\n{inspect.getsource(block.forward)}"


def dense_class() -> str:
    """The script's Dense block."""
    from playground.model import DenseBlock

    return with_forward(DENSE_INIT, DenseBlock)


def conv_class() -> str:
    """The script's Conv block."""
    from playground.model import ConvBlock

    return with_forward(CONV_INIT, ConvBlock)


SIN_CLASS = '''
class Sin(nn.Module):
    """sin(x): a periodic activation (torch.nn has none)."""

    def forward(self, x):
        return torch.sin(x)
'''

# Each activation of playground/activations.py as a constructor, with the classes it needs
# (a test builds each and compares it with the app's module on the same input).
ACTIVATION_CODE: dict[str, tuple[str, tuple[str, ...]]] = {
    "relu": ("nn.ReLU()", ()),
    "leaky_relu": ("nn.LeakyReLU(0.01)", ()),
    "elu": ("nn.ELU()", ()),
    "gelu": ("nn.GELU()", ()),
    "silu": ("nn.SiLU()", ()),
    "tanh": ("nn.Tanh()", ()),
    "sigmoid": ("nn.Sigmoid()", ()),
    "softplus": ("nn.Softplus()", ()),
    "sin": ("Sin()", (SIN_CLASS,)),
    "linear": ("nn.Identity()", ()),
}


def activation_code(name: str) -> tuple[str, tuple[str, ...]]:
    """(constructor, classes it needs) of activation `name`."""
    return ACTIVATION_CODE[name]


def call(name: str, *args: Any, **options: Any) -> str:
    """`name(arg, ..., option=value)`, leaving out options that are off (False, 0, None)."""
    parts = [a if isinstance(a, str) else repr(a) for a in args]
    parts += [f"{key}={value!r}" for key, value in options.items() if value]
    return f"{name}({', '.join(parts)})"


# Sequences. The recurrent block keeps the app's attribute `rnn` (state-dict keys "lstm1.rnn.weight_ih_l0",
# ...); `shape_weights` is what playground.recurrent.init_recurrent does after the init scheme
# (a test compares the script's initial weights with the app's, exactly).
RECURRENT_INIT = '''
class Recurrent(nn.Module):
    """One recurrent layer over a sequence: (batch, T, features) -> (batch, T, hidden × directions)."""

    def __init__(self, cell, in_features, hidden, bidirectional=False, nonlinearity="tanh"):
        super().__init__()
        cells = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.cell_type = cell
        self.rnn = cells[cell](in_features, hidden, batch_first=True, bidirectional=bidirectional, **options)
        self.hidden = hidden

    def shape_weights(self, orthogonal=True, forget_bias=None):
        """Orthogonal W_hh (each gate's square block on its own) and the LSTM's forget-gate bias."""
        H = self.hidden
        for name, param in self.rnn.named_parameters():
            if name.startswith("weight_hh") and orthogonal:
                for k in range(param.shape[0] // H):
                    nn.init.orthogonal_(param.data[k * H:(k + 1) * H])
        if forget_bias is not None:
            with torch.no_grad():
                for name, param in self.rnn.named_parameters():
                    if name.startswith("bias_ih"):
                        param[H:2 * H] = forget_bias
                    elif name.startswith("bias_hh"):
                        param[H:2 * H] = 0.0
'''

EMBEDDING_INIT = '''
class Embedding(nn.Module):
    """A learned vector per token: (batch, T, vocab) one-hot codes -> (batch, T, dim); one_hot @ W is a row lookup."""

    def __init__(self, vocab, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(vocab, dim))
'''

LAST_STEP_INIT = '''
class LastStep(nn.Module):
    """The last step of a sequence: (batch, T, features) -> (batch, features); the trailing `backward`
    features (a bidirectional layer's backward cell) are read at the first step, where that cell ends."""

    def __init__(self, backward=0):
        super().__init__()
        self.backward = backward
'''


def recurrent_class() -> str:
    """The script's Recurrent block (RNN, LSTM or GRU)."""
    from playground.recurrent import RecurrentBlock

    return with_forward(RECURRENT_INIT, RecurrentBlock)


def embedding_class() -> str:
    """The script's Embedding."""
    from playground.recurrent import Embedding

    return with_forward(EMBEDDING_INIT, Embedding)


def last_step_class() -> str:
    """The script's LastStep."""
    from playground.recurrent import LastStep

    return with_forward(LAST_STEP_INIT, LastStep)
