"""The spec's controls: each widget key maps to a getter and a setter on the Spec.

`sync_widgets(spec)` writes every widget's value from a spec (first load, a shared link, an
uploaded config); each widget's on_change calls `changed(key)`, which writes the value back
through `set_spec`. Keys are stable, so tests and the browser can find each control.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from playground.experiment import Experiment
from playground.layers import KINDS
from playground.spec import LayerSpec, Spec, limits
from playground.ui.state import redraw_only, set_spec, ss

LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
BATCH_SIZES = [1, 2, 4, 5, 8, 10, 16, 20, 25, 30, 32, 50, 64, 100, 128, 256]


@dataclass(frozen=True)
class Control:
    """How one widget reads its value from a Spec and writes it back."""

    get: Callable[[Spec], Any]
    put: Callable[[Spec, Any], Spec]


def _ds(**changes: Any) -> Callable[[Spec, Any], Spec]:
    (name,) = changes
    return lambda s, v: replace(s, dataset=replace(s.dataset, **{name: changes[name](v)}))


def _opt(name: str) -> Callable[[Spec, Any], Spec]:
    return lambda s, v: replace(s, optimizer=replace(s.optimizer, **{name: v}))


def _reg(name: str) -> Callable[[Spec, Any], Spec]:
    return lambda s, v: replace(s, regularization=replace(s.regularization, **{name: v}))


CONTROLS: dict[str, Control] = {
    "lr": Control(lambda s: s.optimizer.lr, _opt("lr")),
    "optimizer": Control(lambda s: s.optimizer.name, _opt("name")),
    "momentum": Control(lambda s: s.optimizer.momentum, _opt("momentum")),
    "nesterov": Control(lambda s: s.optimizer.nesterov, _opt("nesterov")),
    "reg_kind": Control(lambda s: s.regularization.kind, _reg("kind")),
    "reg_rate": Control(lambda s: s.regularization.rate, _reg("rate")),
    "batch_size": Control(lambda s: s.batch_size, lambda s, v: replace(s, batch_size=int(v))),
    "loss": Control(lambda s: s.loss, lambda s, v: replace(s, loss=v)),
    "init": Control(lambda s: s.init, lambda s, v: replace(s, init=v)),
    "seed": Control(lambda s: s.seed, lambda s, v: replace(s, seed=int(v))),
    "grad_clip_on": Control(lambda s: s.grad_clip is not None,
                            lambda s, v: replace(s, grad_clip=(s.grad_clip or 1.0) if v else None)),
    "grad_clip": Control(lambda s: s.grad_clip if s.grad_clip is not None else 1.0,
                         lambda s, v: replace(s, grad_clip=float(v) if s.grad_clip is not None else None)),
    "noise": Control(lambda s: int(round(s.dataset.noise * 100)), _ds(noise=lambda v: v / 100)),
    "train_ratio": Control(lambda s: int(round(s.dataset.train_ratio * 100)), _ds(train_ratio=lambda v: v / 100)),
    # None is the set's natural size: the widget shows that number.
    "n_samples": Control(lambda s: s.dataset.n_samples if s.dataset.n_samples is not None
                         else (limits("dataset.n_samples", s.dataset.name).default or 500), _ds(n_samples=int)),
    "data_seed": Control(lambda s: s.dataset.seed, _ds(seed=int)),
    "classes": Control(lambda s: s.dataset.classes, _ds(classes=int)),
    "normalize": Control(lambda s: s.dataset.normalize, _ds(normalize=str)),
    "length": Control(lambda s: s.dataset.length if s.dataset.length is not None else 20, _ds(length=int)),
}


def layer_key(exp: Experiment, i: int, name: str) -> str:
    """Widget key of layer i's control `name` (e.g. "layer0_units")."""
    return exp.key(f"layer{i}_{name}")


def sync_widgets(exp: Experiment, spec: Spec) -> None:
    """Write every widget value from `spec` (call before the widgets are drawn, or in a callback)."""
    for key, control in CONTROLS.items():
        ss[exp.key(key)] = control.get(spec)
    for i, layer in enumerate(spec.layers):
        for f in KINDS[layer.type].fields:  # the layer kind's own fields (layers.py)
            ss[layer_key(exp, i, f.name)] = getattr(layer, f.name)


def common_activation(spec: Spec) -> str:
    """What the toolbar's one-for-all activation shows: the layers' common activation, or "mixed".

    The toolbar derives it from the spec each time it is drawn. Writing it into the widget's state
    from a live-view callback instead left the browser showing the old value, which it then sent
    back on the next page run as if the user had chosen it: every layer went back to it.
    """
    acts = {layer.activation for layer in spec.layers if layer.type in ("dense", "conv2d")}
    return acts.pop() if len(acts) == 1 else "mixed"


def fixed_nonlinearity(spec: Spec) -> str | None:
    """What the toolbar's activation picker shows, disabled, for a network with no dense or conv
    layer (nothing for it to set): the cells' own nonlinearities, or "none" (a linear model).
    None when there is a layer to set."""
    if any(layer.type in ("dense", "conv2d") for layer in spec.layers):
        return None
    cells = [layer.nonlinearity if layer.type == "rnn" else "σ, tanh" for layer in spec.layers
             if layer.type in ("rnn", "lstm", "gru")]
    return ", ".join(dict.fromkeys(cells)) or "none"


def changed(exp: Experiment, key: str, redraw: tuple[str, ...] = ()) -> None:
    """on_change of a spec widget: write its value into the spec; then rerun only the fragments
    `redraw` (state.redraw_only), or the page if it names none."""
    set_spec(exp, CONTROLS[key].put(exp.spec, ss[exp.key(key)]))
    if redraw:
        redraw_only(*redraw)


def layer_changed(exp: Experiment, i: int, name: str) -> None:
    """on_change of layer i's widget `name`."""
    layers = list(exp.spec.layers)
    field = KINDS[layers[i].type].field(name)
    layers[i] = replace(layers[i], **{name: field.parse(ss[layer_key(exp, i, name)])})
    set_spec(exp, replace(exp.spec, layers=tuple(layers)))


def set_layers(exp: Experiment, layers: list[LayerSpec]) -> bool:
    """Replace the hidden layers (add / remove / reorder / preset) and refresh their widgets."""
    return set_spec(exp, replace(exp.spec, layers=tuple(layers)), sync=True)


def set_all_activations(exp: Experiment, name: str) -> bool:
    """TensorFlow Playground's single activation control: one function for every layer."""
    if name == "mixed":
        return False
    layers = [replace(l, activation=name) if l.type in ("dense", "conv2d") else l for l in exp.spec.layers]
    return set_layers(exp, layers)


def widget(exp: Experiment, fn: Callable, label: str, key: str, redraw: tuple[str, ...] = (),
           **kwargs: Any) -> Any:
    """Draw a spec widget bound to CONTROLS[key], for experiment `exp`; `redraw`: the fragments
    its change shows in, which then rerun without the rest of the page."""
    return fn(label, key=exp.key(key), on_change=changed, args=(exp, key, redraw), **kwargs)


def choices_with(current: Any, options: list) -> list:
    """The option list, plus the current value if a link or config brought another one."""
    return options if current in options else sorted({*options, current})
