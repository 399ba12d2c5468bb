"""The lab: one ready experiment per concept of deep-learning theory, each a registry entry of data.

An experiment is its runs (a Spec each, named by what differs; the data and the seeds are the
same unless the concept changes them), two or three sentences of theory, the epoch budget its
verdict is calibrated for, a `measure(trainer) -> dict` run where the trainer lives, and a
`verdict(measurements) -> str` that turns the runs' numbers into one sentence with its meaning.
`try_next` suggests one change each; `views` names the extra views the Lab draws
(playground/viz/lab.py by the same names). The interface is /work/brief/LAB_INTERFACE.md.

Budgets are small (a few hundred points, a few dozen epochs) so every experiment plays in
seconds and its test runs headless in CI; the verdict directions were checked on several seeds
and against plain PyTorch (tests/test_lab.py). This module imports no torch: measures import
what they need when called.

    measurements, sentence = run_headless("vanishing_gradients")
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from playground.presets import LENET_LIKE, MEMORY_EPOCHS, MEMORY_LENGTH, memory_specs
from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, RegularizationSpec, Spec

if TYPE_CHECKING:
    from playground.train import Trainer

Measure = Callable[["Trainer"], dict[str, Any]]
Verdict = Callable[[list[dict[str, Any]]], str]


@dataclass(frozen=True)
class LabRun:
    """One run of an experiment; `label` names what differs ("sigmoid", "tanh + Xavier")."""

    label: str
    spec: Spec


@dataclass(frozen=True)
class LabExperiment:
    """One concept as data: its runs, what theory predicts, how to measure and judge the outcome."""

    name: str
    title: str
    theory: str
    runs: tuple[LabRun, ...]
    epochs: int
    measure: Measure
    verdict: Verdict
    try_next: tuple[tuple[str, Callable[[Spec], Spec]], ...] = ()
    views: tuple[str, ...] = ()


# -- shared measurements -------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


def _sci(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    return f"{x:.2g}" if 1e-2 <= abs(x) < 1e3 else f"{x:.1e}"


def basics(trainer: "Trainer") -> dict[str, Any]:
    """Epoch, step, train/test loss and accuracy of the current weights, divergence, early stop."""
    m = trainer.latest_metrics()
    return {"epoch": trainer.epoch, "step": trainer.step_count, "train_loss": m["train_loss"],
            "test_loss": m["test_loss"], "train_accuracy": m["train_accuracy"], "test_accuracy": m["test_accuracy"],
            "diverged": trainer.diverged, "stopped_epoch": trainer.stopped_epoch, "best_epoch": trainer.best_epoch}


def measure_basics(trainer: "Trainer") -> dict[str, Any]:
    """Only the common figures."""
    return basics(trainer)


def _labels(name: str) -> list[str]:
    return [run.label for run in EXPERIMENTS[name].runs]


def _by_label(name: str, ms: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return dict(zip(_labels(name), ms))


# -- the runs' common settings -------------------------------------------------------------------
# Small on purpose: 200 points (100 to train), batches of 20, one weight seed and one data seed.
POINTS = 200


def _points(name: str, noise: float = 0.0, n: int = POINTS, ratio: float = 0.5) -> DatasetSpec:
    return DatasetSpec(name=name, noise=noise, n_samples=n, train_ratio=ratio, seed=1)


def _dense(widths: tuple[int, ...] | list[int], activation: str, **options: Any) -> tuple[LayerSpec, ...]:
    return tuple(LayerSpec(units=w, activation=activation, **options) for w in widths)


def _activation(spec: Spec, name: str) -> Spec:
    return replace(spec, layers=tuple(replace(layer, activation=name) if layer.type in ("dense", "conv2d") else layer
                                      for layer in spec.layers))


# -- universal approximation ---------------------------------------------------------------------
UA_WIDTHS = (1, 2, 4, 8, 32)
_UA_BASE = Spec(dataset=_points("sine", n=200), features=("x1",), init="xavier_uniform",
                optimizer=OptimizerSpec("adam", lr=0.03), batch_size=20, seed=1)


def _measure_approximation(trainer: "Trainer") -> dict[str, Any]:
    out = basics(trainer)
    out["width"] = trainer.spec.layers[0].units
    out["test_mse"] = out["test_loss"]
    return out


def _verdict_approximation(ms: list[dict[str, Any]]) -> str:
    errors = ", ".join(f"{m['width']} → {m['test_mse']:.3g}" for m in ms)
    first, last = ms[0]["test_mse"], ms[-1]["test_mse"]
    ratio = first / last if last > 0 else math.inf
    return (f"Test MSE by hidden width: {errors}. {ms[-1]['width']} units fit sin(x) {ratio:,.0f}× better than "
            f"{ms[0]['width']}: one tanh unit is one S-shaped step, and enough of them, summed, approximate any "
            f"smooth curve.")


# -- backprop, one step ----------------------------------------------------------------------------

def _measure_backprop(trainer: "Trainer") -> dict[str, Any]:
    from playground.backprop import backprop_step

    out = basics(trainer)
    if trainer.diverged or trainer.stopped:
        return out
    step = backprop_step(trainer, apply=False)
    out.update(loss_before=step.loss_before, loss_after=step.loss_after, learning_rate=step.learning_rate,
               batch_size=step.batch_size)
    largest = max(((name, float(abs(link.grad).max())) for name, link in step.links.items()), key=lambda t: t[1])
    out["largest_grad_layer"], out["largest_grad"] = largest
    out["grad_norms"] = {name: float((link.grad ** 2).sum() ** 0.5) for name, link in step.links.items()}
    return out


def _verdict_backprop(ms: list[dict[str, Any]]) -> str:
    m = ms[0]
    if "loss_before" not in m:
        return "No step to show: training has stopped."
    change = m["loss_after"] - m["loss_before"]
    return (f"The next step on a batch of {m['batch_size']}: loss {m['loss_before']:.4f} → {m['loss_after']:.4f} "
            f"({change:+.2g}); each weight moves by Δw = −η·∂L/∂w with η = {m['learning_rate']:g}, the largest "
            f"|∂L/∂w| ({_sci(m['largest_grad'])}) is in {m['largest_grad_layer']}: a small step downhill on this batch.")


# -- activation functions --------------------------------------------------------------------------
_ACT_BASE = Spec(dataset=_points("spiral", n=300), layers=_dense((8, 8), "tanh"), init="xavier_uniform",
                 optimizer=OptimizerSpec("adam", lr=0.03), batch_size=20, seed=1)


def _verdict_accuracy(name: str, what: str) -> Verdict:
    def verdict(ms: list[dict[str, Any]]) -> str:
        labels = _labels(name)
        parts = ", ".join(f"{label} {_pct(m['test_accuracy'])} (train loss {m['train_loss']:.3f})"
                          for label, m in zip(labels, ms))
        best = min(range(len(ms)), key=lambda i: ms[i]["train_loss"])
        worst = max(range(len(ms)), key=lambda i: ms[i]["train_loss"])
        return f"Test accuracy after {ms[0]['epoch']} epochs: {parts}. {labels[best]} learns fastest, " \
               f"{labels[worst]} slowest: {what}"
    return verdict


# -- vanishing gradients ---------------------------------------------------------------------------
_DEEP_10x8 = _dense((8,) * 10, "sigmoid")
_VANISH_BASE = Spec(dataset=_points("circle"), layers=_DEEP_10x8, init="xavier_uniform",
                    optimizer=OptimizerSpec("sgd", lr=0.03), batch_size=20, seed=1)


def _measure_gradient_ratio(trainer: "Trainer") -> dict[str, Any]:
    from playground.probes import weight_gradient_norms

    out = basics(trainer)
    norms = weight_gradient_norms(trainer)
    names = list(norms)
    out["grad_norms"] = norms
    first, last = norms[names[0]], norms[names[-1]]
    out["first_layer"], out["last_layer"] = names[0], names[-1]
    out["first_grad"], out["last_grad"] = first, last
    out["ratio"] = first / last if last > 0 else math.nan
    return out


def _verdict_vanishing(ms: list[dict[str, Any]]) -> str:
    labels = _labels("vanishing_gradients")
    parts = ", ".join(f"{label} {_sci(m['ratio'])}" for label, m in zip(labels, ms))
    r = ms[0]["ratio"]
    meaning = (f"the first layer's gradient is 1/{1 / r:,.0f} of the last's: vanished" if 0 < r < 1e-3
               else "the sigmoid net's gradient did not vanish here")
    return f"‖∂L/∂W‖ of the first layer ÷ the output layer: {parts}. With sigmoid {meaning}; " \
           f"tanh with Xavier and ReLU with Kaiming keep the layers' gradients within a factor of ten of each other."


# -- exploding gradients ---------------------------------------------------------------------------
_EXPLODE_BASE = Spec(dataset=_points("gaussian"), layers=_dense((16,) * 8, "relu"), init="normal",
                     optimizer=OptimizerSpec("sgd", lr=0.03), batch_size=20, seed=1)


def _measure_explosion(trainer: "Trainer") -> dict[str, Any]:
    out = basics(trainer)
    out["diverged_step"] = None
    if trainer.diverged:
        out["diverged_step"] = trainer.step_count + 1
    out["grad_clip"] = trainer.spec.grad_clip
    return out


def _verdict_explosion(ms: list[dict[str, Any]]) -> str:
    plain, clipped = ms
    first = (f"Without clipping training diverged at step {plain['diverged_step']} (the loss overflowed)"
             if plain["diverged_step"] else f"Without clipping it did not diverge (test accuracy "
                                            f"{_pct(plain['test_accuracy'])})")
    second = ("with clipping it diverged too" if clipped["diverged_step"] else
              f"with the gradient's norm clipped to {clipped['grad_clip']:g} it trains to "
              f"{_pct(clipped['test_accuracy'])} test accuracy")
    return f"{first}; {second}: N(0, 1) weights multiply the signal about √(fan-in/2) = 2.8× per ReLU layer, " \
           f"so 8 layers amplify gradients by thousands and one SGD step overshoots."


# -- initialisation --------------------------------------------------------------------------------
_INIT_BASE = Spec(dataset=_points("spiral", n=300), layers=_dense((16,) * 4, "tanh"), init="xavier_uniform",
                  optimizer=OptimizerSpec("adam", lr=0.01), batch_size=20, seed=1)


def _measure_init(trainer: "Trainer") -> dict[str, Any]:
    from playground.interpret import initial_model
    from playground.probes import activation_variance, hidden_activations, unit_statistics

    out = basics(trainer)
    x = trainer._x_train[:1000]
    model0 = initial_model(trainer)
    out["variance_at_init"] = activation_variance(model0, x)
    acts = hidden_activations(model0, x)
    out["saturated_at_init"] = {name: unit_statistics(a, "tanh")["saturated"] for name, a in acts.items()}
    # Symmetry: the spread, across the units of each hidden layer, of their incoming weights.
    spreads = {}
    for name, layer in trainer.model.weight_layers()[:-1]:
        w = layer.weight.detach()
        spreads[name] = float((w - w.mean(dim=0, keepdim=True)).abs().max()) if len(w) > 1 else 0.0
    out["unit_spread"] = spreads
    out["symmetric"] = all(v < 1e-7 for v in spreads.values())
    out["init"] = trainer.spec.init
    return out


def _verdict_init(ms: list[dict[str, Any]]) -> str:
    labels = _labels("initialisation")
    acc = ", ".join(f"{label} {_pct(m['test_accuracy'])}" for label, m in zip(labels, ms))
    var = "; ".join(f"{label} " + " → ".join(f"{v:.2g}" for v in m["variance_at_init"].values())
                    for label, m in zip(labels, ms))
    zeros = ms[0]
    sym = ("every unit of each hidden layer is still identical (spread of their weights 0): symmetry never broke"
           if zeros["symmetric"] else "the zeros run's units differ")
    return f"Test accuracy: {acc}. Zeros: {sym}. Activation variance per layer at init: {var}."


# -- skip connections ------------------------------------------------------------------------------
_SKIP_PLAIN = _dense((8,) * 16, "sigmoid")
_SKIP_RESIDUAL = (_SKIP_PLAIN[0],) + tuple(replace(layer, residual=True) for layer in _SKIP_PLAIN[1:])
_SKIP_BASE = Spec(dataset=_points("circle"), layers=_SKIP_PLAIN, init="xavier_uniform",
                  optimizer=OptimizerSpec("adam", lr=0.01), batch_size=20, seed=1)


def _verdict_skip(ms: list[dict[str, Any]]) -> str:
    plain, res = ms
    return (f"Test accuracy {_pct(plain['test_accuracy'])} without skip connections, {_pct(res['test_accuracy'])} "
            f"with; the first layer's gradient {_sci(plain['first_grad'])} vs {_sci(res['first_grad'])} "
            f"({_sci(res['first_grad'] / max(plain['first_grad'], 1e-300))}× larger): h + f(h) passes the "
            f"gradient straight through the identity, past 15 sigmoid derivatives.")


# -- over-fitting, and what prevents it --------------------------------------------------------------
_OVERFIT_DATA = _points("circle", noise=0.3, n=60, ratio=0.5)
_OVERFIT_BASE = Spec(dataset=_OVERFIT_DATA, layers=_dense((64, 64), "relu"), init="kaiming_uniform",
                     optimizer=OptimizerSpec("adam", lr=0.01), batch_size=10, seed=1)


def _measure_overfit(trainer: "Trainer") -> dict[str, Any]:
    out = basics(trainer)
    h = trainer.history.as_dict()
    test = [v if v is not None and math.isfinite(v) else math.inf for v in h["test_loss"]]
    best = min(range(len(test)), key=test.__getitem__)
    out["min_test_loss"], out["min_test_epoch"] = test[best], h["epoch"][best]
    out["final_test_loss"], out["final_train_loss"] = test[-1], h["train_loss"][-1]
    out["train_loss_at_min"] = h["train_loss"][best]
    out["gap"] = out["test_loss"] - out["train_loss"]
    return out


def _verdict_overfit(ms: list[dict[str, Any]]) -> str:
    m = ms[0]
    return (f"The test loss was lowest at epoch {m['min_test_epoch']} ({m['min_test_loss']:.3f}) and has risen to "
            f"{m['final_test_loss']:.3f} by epoch {m['epoch']}, while the training loss fell from "
            f"{m['train_loss_at_min']:.3f} to {m['final_train_loss']:.3f}: past epoch {m['min_test_epoch']} "
            f"the net memorises the {int(_OVERFIT_DATA.n_samples * _OVERFIT_DATA.train_ratio)} noisy points "
            f"instead of the circle.")


def _verdict_regularisers(ms: list[dict[str, Any]]) -> str:
    labels = _labels("regularisation")
    parts = ", ".join(f"{label} {m['test_loss']:.3f} (gap {m['gap']:+.3f})" for label, m in zip(labels, ms))
    es = ms[-1]
    stop = (f"early stopping stopped at epoch {es['stopped_epoch']} and restored epoch {es['best_epoch']}"
            if es["stopped_epoch"] is not None else "early stopping did not trigger within the budget")
    return f"Final test loss (test − train gap): {parts}; {stop}. Anything that keeps the net from " \
           f"memorising the noise narrows the gap."


# -- L1 vs L2 --------------------------------------------------------------------------------------
_REG_BASE = Spec(dataset=_points("circle", noise=0.1), layers=_dense((16, 16), "tanh"), init="xavier_uniform",
                 optimizer=OptimizerSpec("sgd", lr=0.03, momentum=0.9), batch_size=20, seed=1)


def _measure_sparsity(trainer: "Trainer") -> dict[str, Any]:
    from playground.probes import near_zero_share

    out = basics(trainer)
    out["near_zero"] = near_zero_share(trainer.model)
    out["regularization"] = trainer.spec.regularization.kind
    return out


def _verdict_sparsity(ms: list[dict[str, Any]]) -> str:
    labels = _labels("l1_vs_l2")
    parts = ", ".join(f"{label} {_pct(m['near_zero'])}" for label, m in zip(labels, ms))
    acc = ", ".join(f"{label} {_pct(m['test_accuracy'])}" for label, m in zip(labels, ms))
    return (f"Share of weights with |w| < 0.001: {parts} (test accuracy {acc}). L1's pull is the same size "
            f"at any |w|, so it drives unneeded weights to zero: a sparse net; L2's pull shrinks with w, so "
            f"weights get small but stay non-zero.")


# -- loss functions --------------------------------------------------------------------------------
_LOSS_BASE = Spec(dataset=_points("spiral", n=300), layers=_dense((16, 16), "tanh"), init="xavier_uniform",
                  optimizer=OptimizerSpec("adam", lr=0.03), batch_size=20, seed=1)
WRONG_LOGIT = -6.0   # a confidently wrong output: P(class 1) = 0.25 % for a point of class 1


def output_gradient(loss: str, logit: float = WRONG_LOGIT) -> float:
    """|∂L/∂z| of a binary loss at output logit z for a point of class 1 (saturation of MSE on a sigmoid)."""
    import torch

    from playground.losses import resolve_loss

    _, fn = resolve_loss(loss, "classification", 2)
    z = torch.tensor([[logit]], requires_grad=True)
    (g,) = torch.autograd.grad(fn(z, torch.tensor([1.0])), z)
    return float(g.abs())


def _measure_loss(trainer: "Trainer") -> dict[str, Any]:
    out = basics(trainer)
    out["loss"] = trainer.loss_name
    out["wrong_output_gradient"] = output_gradient(trainer.loss_name)
    return out


def _verdict_loss(ms: list[dict[str, Any]]) -> str:
    mse, ce = ms
    return (f"Test accuracy: MSE {_pct(mse['test_accuracy'])}, cross-entropy {_pct(ce['test_accuracy'])}. "
            f"For a confidently wrong output (P = {1 / (1 + math.exp(-WRONG_LOGIT)):.2%} for the true class) "
            f"∂L/∂z is {mse['wrong_output_gradient']:.2g} under MSE and {ce['wrong_output_gradient']:.2g} under "
            f"cross-entropy: MSE on a sigmoid saturates and learns least where it is most wrong.")


# -- optimisers ------------------------------------------------------------------------------------
_OPT_BASE = Spec(dataset=_points("spiral", n=300), layers=_dense((8, 8), "tanh"), init="xavier_uniform",
                 optimizer=OptimizerSpec("sgd", lr=0.03), batch_size=20, seed=1)


def _measure_optimiser(trainer: "Trainer") -> dict[str, Any]:
    out = basics(trainer)
    h = trainer.history.as_dict()
    out["accuracy_by_epoch"] = h["test_accuracy"]
    out["train_loss_by_epoch"] = h["train_loss"]
    return out


def _verdict_optimisers(ms: list[dict[str, Any]]) -> str:
    labels = _labels("optimisers")
    parts = ", ".join(f"{label} {_pct(m['test_accuracy'])} (train loss {m['train_loss']:.3f})"
                      for label, m in zip(labels, ms))
    return (f"After {ms[0]['epoch']} epochs at the same learning rate: {parts}. Momentum keeps speed along the "
            f"valley floor; Adam and RMSprop scale each weight's step by its recent gradient size, so flat "
            f"directions move as fast as steep ones.")


# -- CNN feature hierarchy -------------------------------------------------------------------------
# The LeNet-like preset with 5×5 first-layer kernels (larger filters show their pattern better).
_CNN_LAYERS = (replace(LENET_LIKE[0], kernel=5, padding=2), *LENET_LIKE[1:])
_CNN_BASE = Spec(dataset=DatasetSpec(name="shapes", n_samples=600, train_ratio=0.8, seed=1), layers=_CNN_LAYERS,
                 init="kaiming_uniform", optimizer=OptimizerSpec("adam", lr=0.003), batch_size=32, seed=1)


def filter_smoothness(filters) -> float:
    """Mean correlation of horizontally and vertically neighbouring taps over (out, in, k, k) filters.

    Random filters score about 0; trained first-layer filters become smooth edge and blob
    detectors, whose neighbouring weights agree.
    """
    import numpy as np

    f = np.asarray(filters, dtype=np.float64)
    f = f - f.mean(axis=(2, 3), keepdims=True)
    num = (f[..., 1:, :] * f[..., :-1, :]).sum(axis=(2, 3)) + (f[..., :, 1:] * f[..., :, :-1]).sum(axis=(2, 3))
    den = 2 * (f * f).sum(axis=(2, 3)) + 1e-12
    return float((num / den).mean())


def _measure_cnn(trainer: "Trainer") -> dict[str, Any]:
    import numpy as np

    from playground.interpret import conv_layer_names, initial_model, layer_filters

    out = basics(trainer)
    first = conv_layer_names(trainer.model)[0]
    before, after = layer_filters(initial_model(trainer), first), layer_filters(trainer.model, first)
    out["layer"] = first
    out["smoothness_before"], out["smoothness_after"] = filter_smoothness(before), filter_smoothness(after)
    out["filter_change"] = float(np.linalg.norm(after - before) / (np.linalg.norm(before) + 1e-12))
    return out


def _verdict_cnn(ms: list[dict[str, Any]]) -> str:
    m = ms[0]
    return (f"Test accuracy {_pct(m['test_accuracy'])} on 4 shapes (chance 25 %) after {m['epoch']} epochs. The 5×5 "
            f"filters of {m['layer']} moved {m['filter_change']:.0%} from their random start (their neighbouring "
            f"taps' correlation {m['smoothness_before']:+.2f} → {m['smoothness_after']:+.2f}: in a few epochs on a "
            f"few hundred images they stay mostly noise with a learned tilt; train longer to see smooth edge "
            f"detectors). Compare the feature maps layer by layer: what conv2 responds to is built from conv1's maps.")


# -- representation learning -----------------------------------------------------------------------
_REPR_BASE = Spec(dataset=_points("circle"), layers=(LayerSpec(units=8, activation="tanh"),
                                                     LayerSpec(units=2, activation="tanh")),
                  init="xavier_uniform", optimizer=OptimizerSpec("adam", lr=0.03), batch_size=20, seed=1)


def linear_separability(x, y) -> float:
    """Training accuracy of the best straight line (logistic regression) on inputs x, labels y."""
    from sklearn.linear_model import LogisticRegression

    import numpy as np

    # Logistic regression minimises log-loss, not errors: on a disc inside a ring its line can
    # score below the line that puts every point on one side, which gets the majority share.
    majority = float(np.bincount(np.asarray(y, dtype=np.int64)).max() / len(y))
    return max(majority, float(LogisticRegression(C=100.0, max_iter=1000).fit(x, y).score(x, y)))


def _measure_representation(trainer: "Trainer") -> dict[str, Any]:
    from playground.hidden_space import hidden_space

    out = basics(trainer)
    space = hidden_space(trainer)
    out["layer"] = space.layer
    out["hidden_separability"] = linear_separability(space.points, space.labels)
    out["input_separability"] = linear_separability(trainer.data.raw_train, trainer.data.y_train)
    return out


def _verdict_representation(ms: list[dict[str, Any]]) -> str:
    m = ms[0]
    return (f"A straight line separates {_pct(m['input_separability'])} of the training points on the input "
            f"plane and {_pct(m['hidden_separability'])} in {m['layer']}'s two coordinates: the layers before "
            f"it bend and fold the plane until the classes lie on either side of a line, which is all the "
            f"output unit can draw.")


# -- interpretability ------------------------------------------------------------------------------
_INTERP_2D = Spec(dataset=_points("circle", n=500), layers=_dense((8, 8), "tanh"), init="xavier_uniform",
                  optimizer=OptimizerSpec("adam", lr=0.03), batch_size=10, seed=1)
_INTERP_IMAGES = Spec(dataset=DatasetSpec(name="digits", n_samples=600, train_ratio=0.8, seed=1),
                      layers=(LayerSpec("conv2d", channels=8, kernel=3, stride=1, padding=1, activation="relu"),
                              LayerSpec("maxpool2d", kernel=2), LayerSpec("flatten"),
                              LayerSpec("dense", units=32, activation="relu")),
                      init="kaiming_uniform", optimizer=OptimizerSpec("adam", lr=0.003), batch_size=32, seed=1)


def _measure_interpretability(trainer: "Trainer") -> dict[str, Any]:
    import numpy as np

    out = basics(trainer)
    out["kind"] = trainer.data.kind
    if trainer.data.kind == "image":
        from playground.interpret import inspect_image

        on_ink = []
        for i in range(min(20, len(trainer.data.x_test))):
            view = inspect_image(trainer, index=i, methods=("integrated_gradients",))
            a = np.abs(view.attributions["integrated_gradients"]).reshape(-1)
            ink = view.image.reshape(-1) > view.image.mean()
            on_ink.append(float(a[ink].sum() / (a.sum() + 1e-12)) / max(float(ink.mean()), 1e-6))
        out["ink_ratio"] = float(np.mean(on_ink))  # attribution share on ink ÷ ink's share of pixels
        return out
    from playground.interpret import input_sensitivity

    _, _, sens = input_sensitivity(trainer, 40)
    from playground.features import grid_points

    _, _, points = grid_points(40)
    p = trainer.probabilities(trainer.predict(trainer.data.inputs_for_points(points)))[:, 1].cpu().numpy()
    # The fifth of the plane nearest the decision boundary (P closest to 0.5) against the fifth farthest.
    order = np.argsort(np.abs(p - 0.5))
    fifth = len(order) // 5
    flat = sens.reshape(-1)
    out["boundary_ratio"] = float(flat[order[:fifth]].mean() / (flat[order[-fifth:]].mean() + 1e-12))
    return out


def _verdict_interpretability(ms: list[dict[str, Any]]) -> str:
    plane, images = ms
    return (f"On the plane the output is {plane['boundary_ratio']:,.0f}× more sensitive to the input on the fifth "
            f"of the plane nearest the decision boundary than on the fifth farthest from it: saliency marks where "
            f"a small move changes the answer. On the digits ({_pct(images['test_accuracy'])} test accuracy) integrated gradients put "
            f"{images['ink_ratio']:.1f}× their fair share of attribution on the ink: the net looks at the strokes.")


# -- memory: RNN vs LSTM vs GRU ----------------------------------------------------------------------
# The specs and their calibration (plain PyTorch, several seeds) are in playground.presets.
_MEMORY = memory_specs()
CELL_TITLES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _measure_memory(trainer: "Trainer") -> dict[str, Any]:
    import numpy as np

    from playground.frame import memory_horizon
    from playground.sequence_probe import mean_gradient_through_time

    out = basics(trainer)
    data = trainer.data
    if data.kind != "sequence":  # a run changed to other data: nothing flows through time
        return out
    grad_h, _ = mean_gradient_through_time(trainer)
    out["cell"] = next((layer.type for layer in trainer.spec.layers if layer.type in CELL_TITLES), None)
    out["length"], out["horizon"] = len(grad_h), memory_horizon(grad_h)
    out["first_to_last"] = float(grad_h[0] / grad_h[-1]) if grad_h[-1] > 0 else math.nan  # ‖∂L/∂h_1‖ ÷ ‖∂L/∂h_T‖
    out["task"] = data.task
    if data.task == "classification":
        out["chance"] = 1 / data.n_classes
    else:  # the MSE of always answering the training targets' mean
        out["baseline"] = float(np.mean((data.y_test - np.mean(data.y_train)) ** 2))
    return out


def memory_learned(m: dict[str, Any]) -> bool | None:
    """True if the run learned the task (most of the way from chance to perfect), False if it stayed at
    chance (within a fifth of the way), None in between."""
    if m["task"] == "classification":
        gained = (m["test_accuracy"] - m["chance"]) / (1 - m["chance"])
    else:
        gained = 1 - m["test_loss"] / m["baseline"] if m["baseline"] > 0 else math.nan
    if not math.isfinite(gained):
        return False
    return True if gained >= 0.75 else False if gained <= 0.2 else None


def _verdict_memory(ms: list[dict[str, Any]]) -> str:
    if any("length" not in m for m in ms):
        return "This experiment compares recurrent nets on sequence data; a run here has none."
    T = ms[0]["length"]
    if ms[0]["task"] == "classification":
        base = f"chance {_pct(ms[0]['chance'])}"
        scores = [_pct(m["test_accuracy"]) for m in ms]
    else:
        base = f"always answering the mean scores {ms[0]['baseline']:.3f}"
        scores = [f"test MSE {m['test_loss']:.3f}" for m in ms]
    parts = "; ".join(f"{CELL_TITLES.get(m['cell'], m['cell'])} {score}, memory horizon {m['horizon']} of {T} steps"
                      for m, score in zip(ms, scores))
    learned = {m["cell"]: memory_learned(m) for m in ms}
    rnn = next((m for m in ms if m["cell"] == "rnn"), None)
    gated = [m for m in ms if m["cell"] in ("lstm", "gru")]
    if rnn and not learned["rnn"] and gated and all(learned[m["cell"]] for m in gated):
        kept = " and ".join(_sci(m["first_to_last"]) for m in gated)
        where = "stays at the baseline" if learned["rnn"] is False else "gets only part of the way"
        meaning = (f"the gated cells carry what the task needs across all {T} steps; the RNN {where}: "
                   f"its gradient through time fades (‖∂L/∂h_1‖ is {_sci(rnn['first_to_last'])} of "
                   f"‖∂L/∂h_{T}‖, {kept} in the gated cells), and its additive update cannot shut out the inputs "
                   f"that do not matter")
    elif rnn and learned["rnn"]:
        meaning = "the RNN learned it too at this length and budget: try longer sequences"
    else:
        meaning = ("not every gated cell has learned it yet: Play on (the escape from the baseline comes "
                   "suddenly), or try another seed")
    epochs = f"{ms[0]['epoch']} epoch" + ("" if ms[0]["epoch"] == 1 else "s")
    return f"After {epochs} ({base}): {parts}. {meaning[0].upper()}{meaning[1:]}."


# -- the registry ----------------------------------------------------------------------------------

def _spec(base: Spec, **changes: Any) -> Spec:
    spec = replace(base, **changes)
    spec.validate()
    return spec


def _set_layers(layers: tuple[LayerSpec, ...]) -> Callable[[Spec], Spec]:
    return lambda spec: replace(spec, layers=layers)


def _change_optimizer(**changes: Any) -> Callable[[Spec], Spec]:
    return lambda spec: replace(spec, optimizer=replace(spec.optimizer, **changes))


EXPERIMENTS: dict[str, LabExperiment] = {e.name: e for e in (
    LabExperiment(
        "universal_approximation", "Universal approximation",
        "One hidden layer with enough units can approximate any continuous function (Cybenko 1989): each "
        "tanh unit adds one smooth step, scaled and shifted. Watch the test error fall as the layer widens, "
        "and the fit being built as the sum of the units' weighted curves.",
        tuple(LabRun(f"width {w}", _spec(_UA_BASE, layers=_dense((w,), "tanh"))) for w in UA_WIDTHS),
        150, _measure_approximation, _verdict_approximation,
        try_next=(("The step function (ReLU-like pieces)", lambda s: replace(s, dataset=replace(s.dataset, name="step"))),
                  ("ReLU units: hinges instead of steps", lambda s: _activation(s, "relu"))),
        views=("width_error", "unit_curves")),
    LabExperiment(
        "backprop_step", "Backpropagation, one step at a time",
        "Backpropagation gives ∂L/∂w for every link by the chain rule, from the output back; gradient descent "
        "then moves each weight by Δw = −η·∂L/∂w. Step one batch at a time and watch the gradient on each "
        "link, the update it causes and the batch loss before and after.",
        (LabRun("one step", Spec(dataset=_points("circle"), optimizer=OptimizerSpec("sgd", lr=0.1), batch_size=10,
                                 seed=1)),),
        0, _measure_backprop, _verdict_backprop,
        try_next=(("A 10× larger learning rate", _change_optimizer(lr=1.0)),
                  ("Momentum 0.9 (Δw is no longer −η·∂L/∂w)", _change_optimizer(momentum=0.9))),
        views=("link_gradients",)),
    LabExperiment(
        "activation_functions", "Activation functions",
        "A non-linearity is what lets layers bend the boundary. sigmoid's slope is at most 1/4 and its output "
        "is never centred on 0, so it learns slowest; tanh is a centred, steeper sigmoid; ReLU's slope is 1 "
        "where it is active and its boundary is made of straight pieces.",
        tuple(LabRun(a, _activation(_ACT_BASE, a)) for a in ("sigmoid", "tanh", "relu")),
        80, measure_basics, _verdict_accuracy(
            "activation_functions", "the slope f′ multiplies every gradient on its way back."),
        try_next=(("Deeper: 4 layers of 8", _set_layers(_dense((8,) * 4, "tanh"))),
                  ("Leaky ReLU", lambda s: _activation(s, "leaky_relu"))),
        views=("activation_curves",)),
    LabExperiment(
        "vanishing_gradients", "Vanishing gradients",
        "Backpropagation multiplies by each layer's f′ and weights; sigmoid's f′ ≤ 1/4, so ten sigmoid layers "
        "shrink the gradient by about 4¹⁰ ≈ 10⁶ before it reaches the first layer, which then barely learns. "
        "tanh with Xavier and ReLU with Kaiming initialisation keep the gradient's size from layer to layer.",
        (LabRun("sigmoid", _VANISH_BASE),
         LabRun("tanh + Xavier", _spec(_activation(_VANISH_BASE, "tanh"), init="xavier_uniform")),
         LabRun("ReLU + Kaiming", _spec(_activation(_VANISH_BASE, "relu"), init="kaiming_uniform"))),
        5, _measure_gradient_ratio, _verdict_vanishing,
        try_next=(("Skip connections on the sigmoid net",
                   _set_layers((_DEEP_10x8[0],) + tuple(replace(l, residual=True) for l in _DEEP_10x8[1:]))),
                  ("Batch norm in every layer", lambda s: replace(s, layers=tuple(replace(l, batch_norm=True)
                                                                                  for l in s.layers)))),
        views=("gradient_norms",)),
    LabExperiment(
        "exploding_gradients", "Exploding gradients",
        "With N(0, 1) weights each ReLU layer of 16 units multiplies the signal's scale by about √8, so eight "
        "layers amplify the forward signal and the gradient by thousands: one step overshoots and the loss "
        "overflows. Clipping the gradient's norm bounds every step, and the same net trains.",
        (LabRun("N(0, 1), no clipping", _EXPLODE_BASE), LabRun("clipped to norm 1", _spec(_EXPLODE_BASE, grad_clip=1.0))),
        30, _measure_explosion, _verdict_explosion,
        try_next=(("Kaiming initialisation instead", lambda s: replace(s, init="kaiming_uniform", grad_clip=None)),
                  ("A 100× smaller learning rate", _change_optimizer(lr=0.0003))),
        views=("gradient_norms",)),
    LabExperiment(
        "initialisation", "Initialisation",
        "All-zero weights give every unit of a layer the same input, gradient and update, so they stay identical "
        "(symmetry); with tanh, zero weights pass no gradient back at all and the net stays at chance. Xavier "
        "(Glorot & Bengio 2010) scales weights so the activations' variance stays level from layer to layer; "
        "Kaiming (He et al. 2015) is derived for ReLU (gain √2), and for tanh this playground's Kaiming uses the "
        "linear gain 1 (plain PyTorch's kaiming_uniform_ would use √2 unless told 'tanh'), so the variance "
        "shrinks layer by layer: 0.53 → 0.09 over four layers, exactly as plain PyTorch gives (with √2: "
        "0.62 → 0.26). N(0, 1) pushes 16-input tanh units towards ±1 (variance 0.6 → 0.8). "
        "A surprise, checked with plain PyTorch on the same data and nets: within 40 epochs N(0, 1) "
        "trains this 4 × 16 tanh net about as well as Xavier (67-75 % vs 64-80 % test accuracy on three seeds; "
        "plain PyTorch 69-74 % vs 65-72 %): four layers are too few for saturation to stop Adam.",
        tuple(LabRun(label, _spec(_INIT_BASE, init=init)) for label, init in
              (("zeros", "zeros"), ("N(0, 1)", "normal"), ("Xavier", "xavier_uniform"), ("Kaiming", "kaiming_uniform"))),
        40, _measure_init, _verdict_init,
        try_next=(("sigmoid instead of tanh", lambda s: _activation(s, "sigmoid")),
                  ("ReLU instead of tanh", lambda s: _activation(s, "relu"))),
        views=("activation_variance", "activation_histogram", "weight_histogram")),
    LabExperiment(
        "skip_connections", "Skip connections",
        "A residual layer computes h + f(h): the identity path carries the gradient back unchanged, so even "
        "16 sigmoid layers train (He et al. 2016). Without it the first layer's gradient has passed through "
        "15 sigmoid slopes of at most 1/4.",
        (LabRun("plain", _SKIP_BASE), LabRun("residual", _spec(_SKIP_BASE, layers=_SKIP_RESIDUAL))),
        30, _measure_gradient_ratio, _verdict_skip,
        try_next=(("ReLU + Kaiming, no skips", lambda s: replace(_activation(s, "relu"), init="kaiming_uniform")),),
        views=("gradient_norms",)),
    LabExperiment(
        "overfitting", "Over-fitting",
        "A net with far more weights than data points can memorise the noise: the training loss keeps falling "
        "while the test loss, after a minimum, turns up. The epoch of the lowest test loss is where training "
        "should have stopped.",
        (LabRun("2 × 64 ReLU, 30 noisy points", _OVERFIT_BASE),),
        150, _measure_overfit, _verdict_overfit,
        try_next=(("More data (300 points)", lambda s: replace(s, dataset=replace(s.dataset, n_samples=600))),
                  ("L2 regularisation 0.003", lambda s: replace(s, regularization=RegularizationSpec("l2", 0.003)))),
        views=("loss_curves",)),
    LabExperiment(
        "l1_vs_l2", "L1 vs L2 regularisation",
        "L2 adds λw² to the loss: its pull on a weight is 2λw, which fades as w shrinks, so weights become small "
        "but not zero. L1 adds λ|w|: a constant pull λ that drives every weight the data does not need to zero, "
        "a sparse net. With Adam both penalties' gradients are rescaled per weight; checked here and with plain "
        "PyTorch on this net (Adam 0.01, 60 epochs): L2 left 1 % (plain: 0 %) of weights near zero, L1 40 % "
        "(plain: 49 %). The 'half the weights near zero with Adam + L2' seen once elsewhere did not reproduce.",
        tuple(LabRun(label, _spec(_REG_BASE, regularization=RegularizationSpec(kind, rate))) for label, kind, rate in
              (("none", "none", 0.0), ("L2 0.01", "l2", 0.01), ("L1 0.01", "l1", 0.01))),
        60, _measure_sparsity, _verdict_sparsity,
        try_next=(("Adam instead of SGD", _change_optimizer(name="adam", lr=0.01)),),
        views=("weight_histogram",)),
    LabExperiment(
        "regularisation", "Dropout, batch norm, early stopping",
        "The over-fitting net again, with one remedy each. Dropout trains a different thinned net every step, "
        "so no unit can rely on memorised co-adaptations; batch norm's batch noise regularises a little; "
        "early stopping keeps the weights of the lowest test loss. The test − train gap should close.",
        (LabRun("none", _OVERFIT_BASE),
         LabRun("dropout 0.5", _spec(_OVERFIT_BASE, layers=_dense((64, 64), "relu", dropout=0.5))),
         LabRun("batch norm", _spec(_OVERFIT_BASE, layers=_dense((64, 64), "relu", batch_norm=True))),
         LabRun("early stopping", _spec(_OVERFIT_BASE, patience=15))),
        150, _measure_overfit, _verdict_regularisers,
        try_next=(("L2 instead", lambda s: replace(s, regularization=RegularizationSpec("l2", 0.003))),),
        views=("loss_curves",)),
    LabExperiment(
        "loss_functions", "Loss functions",
        "For a classifier, cross-entropy's gradient at the output is p − y: large when the net is confidently "
        "wrong. MSE on a sigmoid output multiplies that by σ′(z), which is near 0 when the output saturates, so "
        "badly wrong points teach it least.",
        (LabRun("MSE", _spec(_LOSS_BASE, loss="mse")), LabRun("cross-entropy", _spec(_LOSS_BASE, loss="cross_entropy"))),
        60, _measure_loss, _verdict_loss,
        try_next=(("Hinge loss", lambda s: replace(s, loss="hinge")),),
        views=("output_gradient",)),
    LabExperiment(
        "optimisers", "Optimisers",
        "Plain SGD takes steps proportional to the gradient, slow along flat valleys; momentum accumulates "
        "velocity; RMSprop and Adam divide each weight's step by the root of its recent squared gradients. "
        "Watch the accuracy by epoch, and each run's path on the loss landscape.",
        tuple(LabRun(label, _spec(_OPT_BASE, optimizer=OptimizerSpec(name, lr=0.03, momentum=m))) for label, name, m in
              (("SGD", "sgd", 0.0), ("momentum 0.9", "sgd", 0.9), ("Adam", "adam", 0.0), ("RMSprop", "rmsprop", 0.0))),
        40, _measure_optimiser, _verdict_optimisers,
        try_next=(("A 10× larger learning rate", lambda s: replace(s, optimizer=replace(s.optimizer,
                                                                                         lr=s.optimizer.lr * 10))),),
        views=("loss_landscape",)),
    LabExperiment(
        "cnn_features", "CNN feature hierarchy",
        "A convnet's first layer learns small local filters (edges, blobs), the next combines them into parts "
        "(corners, strokes), and the dense layers into whole shapes (Zeiler & Fergus 2014). Compare the 5×5 "
        "first-layer filters before and after training; look at the feature maps per layer and the images "
        "that excite a unit most.",
        (LabRun("5×5 convnet", _CNN_BASE),),
        4, _measure_cnn, _verdict_cnn,
        try_next=(("3×3 first-layer kernels", _set_layers((replace(_CNN_LAYERS[0], kernel=3, padding=1),)
                                                         + _CNN_LAYERS[1:])),),
        views=("filters_before_after", "feature_maps", "top_images")),
    LabExperiment(
        "representation_learning", "Representation learning",
        "The output unit can only draw a straight line; the hidden layers learn coordinates in which one "
        "suffices. With a 2-unit layer before the output we can plot those coordinates: the circle's ring and "
        "disc, inseparable by a line on the plane, are pulled apart, and the grid of the plane warps "
        "(ConvNetJS's view; Olah 2014).",
        (LabRun("8 → 2 tanh", _REPR_BASE),),
        60, _measure_representation, _verdict_representation,
        try_next=(("The spiral", lambda s: replace(s, dataset=replace(s.dataset, name="spiral"))),),
        views=("hidden_space",)),
    LabExperiment(
        "interpretability", "Interpretability",
        "Saliency asks how much the output changes when the input moves: on the plane it is largest along the "
        "decision boundary. For images, integrated gradients (Sundararajan et al. 2017) attribute the class "
        "score to pixels against a baseline (all black here); a net that learned the task looks at the strokes.",
        (LabRun("2-D net", _INTERP_2D), LabRun("digits convnet", _INTERP_IMAGES)),
        6, _measure_interpretability, _verdict_interpretability,
        views=("input_sensitivity", "attributions")),
    LabExperiment(
        "memory", "Memory: RNN vs LSTM vs GRU",
        "Backpropagation through time multiplies the gradient by the recurrent Jacobian W_hh·tanh′ once per "
        "step back, so in a plain RNN it shrinks geometrically and what lies far back is never learned "
        "(Bengio et al. 1994); nor can its additive update ignore the inputs that do not matter. LSTM and GRU "
        "gates decide what to write and keep: c_t = f⊙c_(t−1) + i⊙g passes the gradient on unshrunk while the "
        f"gate stays open (Hochreiter & Schmidhuber 1997). The adding problem at T = {MEMORY_LENGTH}: remember the "
        "two marked values of the sequence and output their sum. Compare each run's gradient through time and "
        "its memory horizon (how far back ‖∂L/∂h_t‖ stays at least 1/1000 of the last step's). Why adding and "
        "not recall (remember the first symbol): on recall, checked in plain PyTorch over seeds, which cell "
        "learned it depended on the seed, and the RNN did as often as the gated cells (README).",
        tuple(LabRun(CELL_TITLES[cell], spec) for cell, spec in _MEMORY.items()),
        MEMORY_EPOCHS, _measure_memory, _verdict_memory,
        try_next=(("Shorter sequences (T = 10)", lambda s: replace(s, dataset=replace(s.dataset, length=10))),
                  ("Clipping off", lambda s: replace(s, grad_clip=None)),
                  ("Orthogonal recurrent weights", lambda s: replace(s, layers=tuple(
                      replace(layer, orthogonal=True) if layer.type in CELL_TITLES else layer for layer in s.layers)))),
        views=("gradient_through_time", "loss_curves")),
)}


# -- the extra views' data, by view name --------------------------------------------------------------
# Each function runs where the trainer lives (LiveRunner.call(fn) in the app, directly headless)
# and returns plain data (dicts of NumPy arrays and numbers: the app server unpickles them
# without torch); playground.viz.lab.FIGURES draws the runs' data by the same name.

def _plain(obj: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _view_width_error(trainer: "Trainer") -> dict[str, Any]:
    return {"width": trainer.spec.layers[0].units if trainer.spec.layers else 0,
            "test_mse": trainer.latest_metrics()["test_loss"]}


def _view_unit_curves(trainer: "Trainer") -> dict[str, Any]:
    from playground.approximation import hidden_unit_curves

    out = _plain(hidden_unit_curves(trainer))
    out["train"] = (trainer.data.raw_train[:, 0], trainer.data.y_train)
    return out


def _view_link_gradients(trainer: "Trainer") -> dict[str, Any] | None:
    from playground.backprop import backprop_step

    if trainer.diverged or trainer.stopped:
        return None
    step = backprop_step(trainer, apply=False)
    out = _plain(step)
    out["links"] = {name: _plain(link) for name, link in step.links.items()}
    return out


def _view_activation_curves(trainer: "Trainer") -> dict[str, Any]:
    from playground.activations import activation_curves

    names = sorted({layer.activation for layer in trainer.spec.layers if layer.type in ("dense", "conv2d")})
    return activation_curves(names)


def _view_gradient_norms(trainer: "Trainer") -> dict[str, float]:
    from playground.probes import weight_gradient_norms

    return weight_gradient_norms(trainer)


def _view_activation_variance(trainer: "Trainer") -> dict[str, float]:
    from playground.interpret import initial_model
    from playground.probes import activation_variance

    return activation_variance(initial_model(trainer), trainer._x_train[:1000])


def _view_activation_histogram(trainer: "Trainer") -> dict[str, dict]:
    """Each hidden layer's activations on the training data with the initial weights (saturation shows as
    spikes at the bounds, a dying signal as a spike at 0)."""
    from playground.interpret import initial_model
    from playground.probes import activation_histograms

    return activation_histograms(initial_model(trainer), trainer._x_train[:1000])


def _view_weight_histogram(trainer: "Trainer") -> dict[str, dict]:
    from playground.probes import weight_histograms

    return weight_histograms(trainer.model)


def _view_loss_curves(trainer: "Trainer") -> dict[str, list]:
    return trainer.history.as_dict()


def _view_output_gradient(trainer: "Trainer") -> dict[str, Any]:
    logits = [z / 4 for z in range(-32, 33)]
    return {"loss": trainer.loss_name, "logits": logits, "grad": [output_gradient(trainer.loss_name, z) for z in logits]}


def _view_loss_landscape(trainer: "Trainer") -> dict[str, Any]:
    from playground.landscape import loss_landscape

    return _plain(loss_landscape(trainer, 30, directions="pca" if trainer.epoch >= 2 else "random"))


def weight_path(trainer: "Trainer") -> Any:
    """The run's per-epoch weight snapshots, (n, n_parameters) (None for a model too large to record)."""
    from playground.landscape import trajectory_snapshots

    return trajectory_snapshots(trainer)


def shared_loss_landscape(trainer: "Trainer", other_paths: list) -> dict[str, Any]:
    """The loss landscape around this run's weights, on the PCA slice of its path and the other runs'
    (`weight_path` of each), every path projected on it: all runs' paths on one chart.

        paths = [runner.call(weight_path) for runner in others]
        data = first.call(shared_loss_landscape, paths)   # FIGURES["loss_landscape"]([(label, data), ...])
    """
    from playground.landscape import loss_landscape

    return _plain(loss_landscape(trainer, 30, directions="pca", extra_paths=other_paths))


def _view_filters(trainer: "Trainer") -> dict[str, Any]:
    from playground.interpret import conv_layer_names, initial_model, layer_filters

    first = conv_layer_names(trainer.model)[0]
    return {"layer": first, "before": layer_filters(initial_model(trainer), first),
            "after": layer_filters(trainer.model, first)}


def _view_feature_maps(trainer: "Trainer") -> dict[str, Any]:
    from playground.interpret import inspect_image

    return {"maps": inspect_image(trainer, index=0, methods=()).feature_maps}


def _view_top_images(trainer: "Trainer") -> dict[str, Any]:
    from playground.interpret import conv_layer_names, top_activating_images

    layer = conv_layer_names(trainer.model)[-1]
    order, scores, images = top_activating_images(trainer, layer, 0)
    return {"layer": layer, "channel": 0, "indices": order, "scores": scores, "images": images}


def _view_hidden_space(trainer: "Trainer") -> dict[str, Any]:
    from playground.hidden_space import hidden_space

    out = _plain(hidden_space(trainer))
    out["n_classes"] = trainer.data.n_classes
    return out


def _view_input_sensitivity(trainer: "Trainer") -> dict[str, Any] | None:
    from playground.interpret import input_sensitivity

    if trainer.data.kind == "image":
        return None
    xs, ys, sens = input_sensitivity(trainer, 50)
    return {"xs": xs, "ys": ys, "sensitivity": sens}


def _view_attributions(trainer: "Trainer", index: int = 0, baseline: str = "black") -> dict[str, Any] | None:
    """Saliency and integrated gradients of test image `index`, IG from `baseline` (interpret.BASELINES)."""
    from playground.interpret import inspect_image

    if trainer.data.kind != "image":
        return None
    view = inspect_image(trainer, index=index, methods=("saliency", "integrated_gradients"), baseline=baseline)
    return {"image": view.image, "attributions": view.attributions, "label": view.label, "predicted": view.predicted}


def _view_gradient_through_time(trainer: "Trainer") -> dict[str, Any] | None:
    """‖∂L/∂h_t‖ and ‖∂L/∂x_t‖ through time, averaged over a few test sequences, and the memory horizon."""
    from playground.frame import memory_horizon
    from playground.sequence_probe import mean_gradient_through_time

    if trainer.data.kind != "sequence":
        return None
    grad_h, grad_x = mean_gradient_through_time(trainer)
    layer = next((name for name, kind in ((s.name, s.type) for s in trainer.model.shapes)
                  if kind in CELL_TITLES), "input")
    return {"layer": layer, "grad_hidden": grad_h, "grad_input": grad_x, "horizon": memory_horizon(grad_h)}


VIEW_DATA: dict[str, Callable[["Trainer"], Any]] = {
    "width_error": _view_width_error, "unit_curves": _view_unit_curves, "link_gradients": _view_link_gradients,
    "activation_curves": _view_activation_curves, "gradient_norms": _view_gradient_norms,
    "activation_variance": _view_activation_variance, "activation_histogram": _view_activation_histogram,
    "weight_histogram": _view_weight_histogram,
    "loss_curves": _view_loss_curves, "output_gradient": _view_output_gradient,
    "loss_landscape": _view_loss_landscape, "filters_before_after": _view_filters,
    "feature_maps": _view_feature_maps, "top_images": _view_top_images, "hidden_space": _view_hidden_space,
    "input_sensitivity": _view_input_sensitivity, "attributions": _view_attributions,
    "gradient_through_time": _view_gradient_through_time,
}


def _reseeded(spec: Spec, seed: int) -> Spec:
    return replace(spec, seed=seed, dataset=replace(spec.dataset, seed=seed))


def run_headless(name: str, epochs: int | None = None, seed: int | None = None) -> tuple[list[dict], str]:
    """Train every run of the experiment to its budget with the playground Trainer; return the
    measurements and the verdict sentence. `seed` moves every run to that weight and data seed
    (the same for all runs), for checking a verdict on several seeds."""
    from playground.train import Trainer, configure_threads

    configure_threads(1)
    experiment = EXPERIMENTS[name]
    budget = experiment.epochs if epochs is None else epochs
    measurements = []
    for run in experiment.runs:
        spec = run.spec if seed is None else _reseeded(run.spec, seed)
        trainer = Trainer(spec)
        if budget:
            trainer.train_epochs(budget)
        measurements.append(experiment.measure(trainer))
    return measurements, experiment.verdict(measurements)
