"""Ready-made experiments to start from: the default per problem, image-network and sequence presets,
and the specs of the "memory: RNN vs LSTM vs GRU" comparison."""
from __future__ import annotations

from dataclasses import replace

from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec

SMALL_MLP = (LayerSpec("dense", units=64, activation="relu"),)
LENET_LIKE = (LayerSpec("conv2d", channels=8, kernel=3, stride=1, padding=1, activation="relu"),
              LayerSpec("maxpool2d", kernel=2),
              LayerSpec("conv2d", channels=16, kernel=3, stride=1, padding=1, activation="relu"),
              LayerSpec("maxpool2d", kernel=2),
              LayerSpec("flatten"),
              LayerSpec("dense", units=32, activation="relu"))
IMAGE_PRESETS = {"LeNet-like convnet": LENET_LIKE, "Small MLP": SMALL_MLP}


def image_spec(name: str = "digits", layers: tuple[LayerSpec, ...] = LENET_LIKE) -> Spec:
    """A sensible image experiment: Adam, batch 32, kaiming init, 80 % training data.

    The set's natural size (n_samples None): all 1,797 digits, 2,000 shapes, 5,000 MNIST images.
    """
    return Spec(dataset=DatasetSpec(name=name, train_ratio=0.8), features=("x1", "x2"),
                layers=layers, init="kaiming_uniform", optimizer=OptimizerSpec("adam", lr=0.003), batch_size=32)


SEQUENCE_LAYERS = {
    "recall": (LayerSpec("lstm", hidden=16),),
    "adding": (LayerSpec("lstm", hidden=16),),
    "brackets": (LayerSpec("gru", hidden=16),),
    "forecast": (LayerSpec("gru", hidden=16),),
    "text": (LayerSpec("embedding", dim=8), LayerSpec("lstm", hidden=48)),
}
SEQUENCE_PRESETS = {"LSTM": (LayerSpec("lstm", hidden=16),), "GRU": (LayerSpec("gru", hidden=16),),
                    "RNN (tanh)": (LayerSpec("rnn", hidden=16),),
                    "Embedding + LSTM": (LayerSpec("embedding", dim=8), LayerSpec("lstm", hidden=32))}


def sequence_spec(name: str = "recall", layers: tuple[LayerSpec, ...] | None = None, length: int | None = None) -> Spec:
    """A sensible sequence experiment: Adam, batch 50, gradient clipping on (recurrent nets explode
    without it), 80 % training data, the set's default network."""
    return Spec(dataset=DatasetSpec(name=name, train_ratio=0.8, length=length),
                layers=layers if layers is not None else SEQUENCE_LAYERS[name],
                optimizer=OptimizerSpec("adam", lr=0.01), batch_size=50, grad_clip=1.0)


# "memory: RNN vs LSTM vs GRU": the same recall task and budget, only the cell differs.
# NOT YET CALIBRATED. On plain PyTorch (hidden 32, clip 1, batch 50, PyTorch's default
# weights, LSTM forget bias 1; test accuracy after the epochs given, per seed) the textbook
# split did not show:
#   T=30, Adam 3e-3, 2,000 seqs, 20 epochs:  RNN 2/3 solved, LSTM 1/3 (two stuck at 50 %), GRU 3/3
#   T=30, the same with noise 0.3:             RNN 3/3, LSTM 1/3, GRU 2/2
#   T=50, the same budget:                      RNN 1/3 (one at 72 %), LSTM 1/3, GRU 1/3
#   T=60, Adam 1e-2, 1,000 seqs, 25 epochs:    RNN 1/2, LSTM (forget bias 1 or 3) 0/3, GRU 1/1
#   T=40, SGD 0.1 + momentum 0.9, 20 epochs:   all three at chance (seed 1)
#   T=100, Adam 1e-2, 1,000 seqs, 25 epochs:   RNN 0/3 (stuck at 46-74 %), LSTM 0/3, GRU 1/3
#   T=100, one repeated distractor, Adam 3e-3, 2,000 seqs, 15 epochs: all at chance (2 seeds)
# With Adam (which rescales small gradients) the RNN learns recall as often as the gated cells
# at these budgets. These specs are the comparison's shape, ready for the lab once a length
# and budget that separate the cells reliably are found (longer budgets than a test can afford).
MEMORY_LENGTH = 60
MEMORY_EPOCHS = 25


def memory_specs(length: int = MEMORY_LENGTH, hidden: int = 32, seed: int = 1) -> dict[str, Spec]:
    """The three specs of the memory comparison, keyed "rnn", "lstm", "gru" (same data, seed, budget)."""
    cells = {"rnn": LayerSpec("rnn", hidden=hidden, orthogonal=False),
             "lstm": LayerSpec("lstm", hidden=hidden, orthogonal=False, forget_bias=1.0),
             "gru": LayerSpec("gru", hidden=hidden, orthogonal=False)}
    return {name: replace(sequence_spec("recall", (layer,), length), seed=seed,
                          dataset=DatasetSpec(name="recall", n_samples=1250, train_ratio=0.8, length=length, seed=seed))
            for name, layer in cells.items()}


def preset_for_problem(spec: Spec, problem: str) -> Spec:
    """The spec to switch to when the user picks another problem type.

    Between 2-D problems the network is kept (as TensorFlow Playground does); moving to or
    from images swaps in a network that suits the data.
    """
    if problem == "image":
        return image_spec()
    if problem == "sequence":
        return sequence_spec()
    name = "circle" if problem == "classification" else "plane"
    if any(layer.type != "dense" for layer in spec.layers) or spec.dataset.name in ("digits", "shapes", "mnist",
                                                                                    "fashion_mnist") \
            or spec.dataset.name in SEQUENCE_LAYERS:
        return replace(Spec(), dataset=DatasetSpec(name=name))
    return replace(spec, dataset=replace(spec.dataset, name=name), loss="auto")
