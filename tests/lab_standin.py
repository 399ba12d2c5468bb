"""A stand-in for playground.lab (the lab engine, written separately) with two experiments, in
the agreed interface (LabRun, LabExperiment, EXPERIMENTS): the Lab UI's tests install it as
playground.lab only where the real module is absent, so they run before and after it lands."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from playground.spec import LayerSpec, OptimizerSpec, Spec


@dataclass(frozen=True)
class LabRun:
    label: str
    spec: Spec


@dataclass(frozen=True)
class LabExperiment:
    name: str
    title: str
    theory: str
    runs: tuple[LabRun, ...]
    epochs: int
    measure: Callable[[Any], dict[str, Any]]
    verdict: Callable[[list[dict[str, Any]]], str]
    try_next: tuple[tuple[str, Callable[[Spec], Spec]], ...] = ()
    views: tuple[str, ...] = ()


def measure_accuracy(trainer) -> dict[str, Any]:
    """Test accuracy and epoch of a trainer (module level: pool processes unpickle it by name)."""
    metrics = trainer.latest_metrics()
    return {"epoch": trainer.epoch, "test_accuracy": metrics.get("test_accuracy")}


def accuracy_verdict(measurements: list[dict[str, Any]]) -> str:
    parts = [f"{(m['test_accuracy'] or 0):.0%}" for m in measurements]
    return "test accuracy " + " vs ".join(parts)


def _grad_ratio(trainer) -> dict[str, Any]:
    norms = list(trainer.weight_grad_norms().values())
    return {"ratio": (norms[0] / norms[-1]) if norms and norms[-1] else None}


def ratio_verdict(measurements: list[dict[str, Any]]) -> str:
    return "first/last layer gradient ratio " + " vs ".join(
        "—" if m["ratio"] is None else f"{m['ratio']:.2g}" for m in measurements)


SPIRAL = Spec(dataset=Spec().dataset.__class__(name="spiral", n_samples=200),
              layers=(LayerSpec(units=8), LayerSpec(units=8)))


def _with_activation(spec: Spec, name: str) -> Spec:
    return replace(spec, layers=tuple(replace(layer, activation=name) for layer in spec.layers))


def add_skip(spec: Spec) -> Spec:
    return replace(spec, layers=tuple(replace(layer, residual=i > 0) for i, layer in enumerate(spec.layers)))


def use_adam(spec: Spec) -> Spec:
    return replace(spec, optimizer=OptimizerSpec(name="adam", lr=0.01))


EXPERIMENTS: dict[str, LabExperiment] = {
    "activation_functions": LabExperiment(
        "activation_functions", "Activation functions",
        "The same network with sigmoid and with tanh: tanh is centred at zero, so it learns faster.",
        (LabRun("sigmoid", _with_activation(SPIRAL, "sigmoid")), LabRun("tanh", SPIRAL)),
        epochs=50, measure=measure_accuracy, verdict=accuracy_verdict, try_next=(("Use Adam", use_adam),)),
    "vanishing_gradients": LabExperiment(
        "vanishing_gradients", "Vanishing gradients",
        "A deep sigmoid net: the first layer's gradient is far below the last layer's.",
        (LabRun("sigmoid", _with_activation(SPIRAL, "sigmoid")), LabRun("relu", _with_activation(SPIRAL, "relu")),
         LabRun("tanh", SPIRAL)),
        epochs=30, measure=_grad_ratio, verdict=ratio_verdict, try_next=(("Add skip connections", add_skip),)),
}


def run_headless(name: str, epochs: int | None = None) -> tuple[list[dict], str]:
    from playground.train import Trainer

    exp = EXPERIMENTS[name]
    measurements = []
    for run in exp.runs:
        trainer = Trainer(run.spec)
        trainer.train_epochs(epochs or exp.epochs)
        measurements.append(exp.measure(trainer))
    return measurements, exp.verdict(measurements)
