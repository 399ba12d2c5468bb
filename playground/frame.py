"""One frame protocol for every problem type: a shared header and a payload for the data's kind.

    frame = take_frame(trainer, detail=(1, 0))               # points / curve: payload is a probes.Snapshot
    frame = take_frame(trainer, index=3, panels=("inspect",))  # image: payload is an interpret.ImageFrame
    frame = take_frame(trainer, {"detail": (1, 0)})           # the same, as one picklable argument

The header holds what every view reads the same way whatever the problem: epoch, step, the
history, ‖∂L/∂W‖₂ of the latest step (and before clipping), ‖∂L/∂a‖₂, activation statistics,
gradient flags and plain-language health warnings. Every number in it is measured on the
trainer's model at the moment the frame is taken (in the trainer's process).

This module imports no torch at load time (the probes are imported when a frame is taken), so
the views (`playground.viz`) can use its types and its gradient rule without pulling torch in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

VANISH_RATIO = 1e-3        # a layer this far below the largest healthy layer has vanished
EXPLODE_THRESHOLD = 1e3    # a gradient norm above this (or not finite) has exploded
DEAD_WARN_SHARE = 0.5      # warn when at least half of a layer's ReLU-like units are dead
REQUEST_KEYS = ("resolution", "detail", "index", "image", "target", "panels", "ig_steps", "fresh_metrics",
                "temperature")


# -- the payloads (plain NumPy; defined here, without torch, so the app server unpickles them) --
@dataclass
class Snapshot:
    """The 2-D views' payload of a frame: the plane maps and weights for the current weights.

    What every problem type shares (epoch, step, history, gradient norms, activation statistics,
    divergence) is in the frame's header (playground.frame), not here. Arrays are NumPy.
    """

    n_classes: int
    xs: np.ndarray                          # (g,) grid x1 values
    ys: np.ndarray                          # (g,) grid x2 values
    output: np.ndarray                      # (g, g): P(class 1), argmax class, or regression value
    confidence: np.ndarray | None           # (g, g) top-class probability (multi-class only)
    feature_maps: dict[str, np.ndarray]     # feature name -> (t, t) its value over the plane (thumbnail grid)
    neuron_maps: dict[str, np.ndarray]      # layer name -> (units, t, t) activations over the plane
    weights: list[np.ndarray]               # dense weights between columns, (out, in), input side first
    columns: list[dict] = field(default_factory=list)  # network-diagram columns: name, labels, activation, values
    output_maps: np.ndarray | None = None   # (outputs, t, t) each output over the plane: P(class) in [0, 1], or ŷ
    detail: tuple[int, int] | None = None   # the diagram node (column, node) whose map is in detail_map
    detail_map: np.ndarray | None = None    # (g, g) that node's map at full resolution (same units as the node's)


@dataclass
class ImageInspection:
    """Everything the image views draw for one image, as NumPy arrays."""

    index: int                                # test-set index, or -1 for a user-supplied image
    image: np.ndarray                         # (H, W) raw pixels in [0, 1], for display
    label: int | None                         # true class if known
    probabilities: np.ndarray                 # (n_classes,)
    predicted: int
    feature_maps: dict[str, np.ndarray]       # conv/pool layer -> (C, h, w); conv blocks post-activation
    dense_activations: dict[str, np.ndarray]  # hidden dense layer -> (units,) post-activation
    attributions: dict[str, np.ndarray]       # method -> (H, W) map at input resolution
    attribution_target: int                   # the class the attributions explain
    seconds: float                            # wall time of the whole inspection
    ig_delta: float = float("nan")            # Captum's IG convergence delta (nan if IG not run)
    timings: dict[str, float] = field(default_factory=dict)  # part -> seconds ("forward", each method)


@dataclass
class ImageFrame:
    """The image views' payload of a frame (the shared header is in playground.frame)."""

    inspection: ImageInspection | None        # the selected image
    filters: dict[str, np.ndarray]            # conv layer -> (out, in, k, k) weights
    confusion: np.ndarray | None              # (k, k) on the test set
    mistakes: list[dict]


@dataclass
class RecurrentTrace:
    """One recurrent layer over the selected sequence (forward direction), each array (T, hidden)."""

    name: str                                 # "lstm1"
    type: str                                 # "rnn" | "lstm" | "gru"
    hidden: np.ndarray                        # h_t
    cell: np.ndarray | None                   # c_t (LSTM only)
    gates: dict[str, np.ndarray]              # "forget"/"input"/"output" (LSTM), "reset"/"update" (GRU)
    grad_hidden: np.ndarray                   # (T,) ‖∂L/∂h_t‖₂ through time
    horizon: int                              # memory horizon in steps (see memory_horizon)


@dataclass
class SequenceFrame:
    """The sequence views' payload: one sequence through the network, and the predictions."""

    index: int                                # test-set index of the selected sequence
    tokens: list[str]                         # the time axis: each step's token (or its value, rounded)
    layers: list[RecurrentTrace]              # every recurrent layer, input side first
    grad_input: np.ndarray                    # (T,) ‖∂L/∂x_t‖₂
    horizon: int                              # of the first recurrent layer, or from ∂L/∂x_t without one
    loss: float                               # this sequence's loss
    target: Any                               # its label (int), target value(s) or next tokens
    prediction: np.ndarray                    # (k,) class probabilities, (T,) one-step values, or (T, k)
    class_names: list[str]
    mistakes: list[dict] = field(default_factory=list)   # test sequences: index, text, label, predicted, confidence
    forecast: dict[str, np.ndarray] | None = None        # "truth", "one_step", "free_run" (from "start")
    samples: list[str] = field(default_factory=list)     # text generated at `temperature`
    temperature: float = 1.0
    seconds: float = 0.0                      # time of the hidden-state, gates and gradient part


def memory_horizon(grad: np.ndarray, ratio: float = VANISH_RATIO) -> int:
    """How many steps back the gradient reaches: T - t for the furthest step t whose
    ‖∂L/∂h_t‖ is at least `ratio` of the last step's (1 when only the last step counts)."""
    g = np.asarray(grad, dtype=float)
    if len(g) == 0 or not np.isfinite(g[-1]) or g[-1] <= 0:
        return 0
    reach = np.nonzero(g >= ratio * g[-1])[0]
    return int(len(g) - reach[0])


@dataclass
class FrameHeader:
    """What every problem type's frame shares; plain Python values (small, picklable)."""

    epoch: int
    step: int
    epoch_progress: float                     # 0..1 within the current epoch
    task: str                                 # "classification" | "regression"
    kind: str                                 # "points" | "curve" | "image" | "sequence"
    history: dict[str, list]                  # the trainer's history columns (one point per epoch)
    metrics: dict[str, Any]                   # train/test loss and accuracy, and the step and epoch they are of
    grad_norms: dict[str, float]              # ‖∂L/∂W‖₂ per weight layer at the latest step (after clipping if on)
    grad_norms_preclip: dict[str, float] | None  # the same before clipping, when the latest step clipped
    clip: dict | None                         # {"max_norm", "total_norm", "clipped"} when clipping is on
    activation_grad_norms: dict[str, float]   # ‖∂L/∂a‖₂ per hidden layer (training data)
    activation_stats: dict[str, dict[str, float]]  # per hidden layer: mean_abs, dead, saturated
    gradient_flags: dict[str, str]            # layer -> "vanished" | "exploded"
    warnings: list[str]                       # plain-language health messages
    diverged: str | None


@dataclass
class Frame:
    """One frame: the shared header and the payload of the data's kind."""

    header: FrameHeader
    payload: Any  # "points" / "curve": probes.Snapshot; "image": interpret.ImageFrame; "sequence": SequenceFrame


def flag_gradients(norms: dict[str, float], vanish_ratio: float = VANISH_RATIO,
                   explode_threshold: float = EXPLODE_THRESHOLD) -> dict[str, str]:
    """{layer: "vanished" | "exploded"} for the layers that are either.

    Exploded: above `explode_threshold` or not finite. Vanished: `vanish_ratio` or more below
    the largest healthy (finite, not exploded) layer, or exactly 0 beside a non-zero one.
    When every healthy layer is 0 there is no reference to vanish against: none is flagged
    vanished (health_warnings says that every gradient is zero).
    """
    vals = {k: float(v) if v is not None else math.nan for k, v in norms.items()}
    # Reference = largest *non-exploded* norm: one blown-up layer must not make every healthy
    # layer look vanished by comparison.
    healthy = [v for v in vals.values() if math.isfinite(v) and v <= explode_threshold]
    largest = max(healthy, default=0.0)
    flags: dict[str, str] = {}
    for name, v in vals.items():
        if not math.isfinite(v) or v > explode_threshold:
            flags[name] = "exploded"
        elif largest > 0 and (v <= 0 or v < vanish_ratio * largest):
            flags[name] = "vanished"
    return flags


def _units(activation: str | None) -> str:
    return {"relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
            "tanh": "tanh", "sigmoid": "sigmoid", "softplus": "softplus"}.get(activation or "", activation or "")


def _norm_text(v: float) -> str:
    return f"{v:.2g}" if math.isfinite(v) else ("inf" if v > 0 else "nan")


def health_warnings(step: int, grad_norms: dict[str, float], flags: dict[str, str],
                    activation_stats: dict[str, dict[str, float]], activations: dict[str, str],
                    diverged: str | None = None, unstable: str | None = None) -> list[str]:
    """Plain-language messages about the model's health, each true of the model right now."""
    from playground.activations import RELU_LIKE, SATURATING

    out: list[str] = []
    if diverged:
        out.append(diverged)
    if unstable:
        out.append(unstable)
    if step > 0 and grad_norms:
        exploded = [n for n, f in flags.items() if f == "exploded"]
        if exploded:
            said = ", ".join(f"{n} ({_norm_text(grad_norms[n])})" for n in exploded)
            out.append(f"the gradients exploded in {said}: ‖∂L/∂W‖₂ is above {EXPLODE_THRESHOLD:g} or not finite. "
                       "Lower the learning rate, turn on gradient clipping or use a gentler initialisation.")
        if all(v == 0 for v in grad_norms.values()):
            out.append(f"every layer's gradient is exactly zero at step {step}: the network has stopped learning "
                       "(no weight changes any more). Dead units or a constant output cause this; press Reset "
                       "and lower the learning rate or use a gentler initialisation.")
        vanished = [n for n, f in flags.items() if f == "vanished"]
        if vanished:
            out.append(f"the gradients vanished in {', '.join(vanished)}: ‖∂L/∂W‖₂ there is over "
                       f"{1 / VANISH_RATIO:g}× below the largest layer's, so those layers barely learn. "
                       "Try ReLU-like activations, batch norm, skip connections or a Kaiming/Xavier initialisation.")
    for name, stats in activation_stats.items():
        act = activations.get(name)
        dead, saturated = stats.get("dead", 0.0), stats.get("saturated", 0.0)
        if act in RELU_LIKE and dead >= 1.0:
            out.append(f"all {_units(act)} units of {name} are dead (never positive on the training data): "
                       "lower the learning rate or use a gentler initialisation, then press Reset.")
        elif act in RELU_LIKE and dead >= DEAD_WARN_SHARE:
            out.append(f"{dead:.0%} of the {_units(act)} units of {name} are dead (never positive on the "
                       "training data).")
        if act in SATURATING and saturated >= 1.0:
            low, high = SATURATING[act]
            out.append(f"all {_units(act)} units of {name} are saturated (near {low:g} or {high:g} on almost all "
                       "training data), so little gradient passes through them: use a gentler initialisation "
                       "or a lower learning rate.")
    return out


def take_frame(trainer, request: dict | None = None, /, **kwargs) -> Frame:
    """The frame for the trainer's current state; the request is keyword arguments or one dict.

    Request (all optional): resolution=100 and detail=(column, node) | None for the 2-D kinds;
    index=0, image=None, target=None, panels=("inspect",), ig_steps=64 for images (as
    interpret.image_frame takes them). Keys that do not apply to the data's kind are ignored.
    fresh_metrics: evaluate loss/accuracy at this very step (default: yes for the 2-D kinds,
    where it costs under a millisecond; no for images, where it costs ~100 ms on 28×28 sets, so
    the header carries the last epoch end's, with its step).
    """
    from playground.interpret import STATS_SAMPLE, image_frame
    from playground.probes import layer_probe, snapshot

    req = {**(request or {}), **kwargs}
    unknown = sorted(set(req) - set(REQUEST_KEYS))
    if unknown:
        raise ValueError(f"unknown frame request key(s) {unknown}; known: {', '.join(REQUEST_KEYS)}")
    data = trainer.data
    if data.kind == "sequence":
        from playground.sequence_probe import gate_statistics, sequence_frame

        payload = sequence_frame(trainer, req.get("index", 0), tuple(req.get("panels", ("predictions",))),
                                 req.get("temperature", 1.0))
        act_grads, stats = layer_probe(trainer, STATS_SAMPLE)
        stats.update(gate_statistics(trainer, STATS_SAMPLE))  # LSTM/GRU gates stuck shut or open
    elif data.kind == "image":
        payload = image_frame(trainer, req.get("index", 0), req.get("image"), req.get("target"),
                              tuple(req.get("panels", ("inspect",))), req.get("ig_steps", 64))
        act_grads, stats = layer_probe(trainer, STATS_SAMPLE)
    else:
        payload = snapshot(trainer, req.get("resolution", 100), req.get("detail"))
        act_grads, stats = layer_probe(trainer)
    fresh = req.get("fresh_metrics")
    return Frame(build_header(trainer, act_grads, stats, data.kind in ("points", "curve") if fresh is None else bool(fresh)),
                 payload)


def build_header(trainer, activation_grad_norms: dict[str, float],
                 activation_stats: dict[str, dict[str, float]], fresh_metrics: bool = True) -> FrameHeader:
    """The header of a frame, from the trainer and the layer probe's results."""
    step = trainer.step_count
    norms = trainer.grad_norms
    report = trainer.clip_report()
    preclip, clip = report if report is not None else (None, None)
    if clip is None and trainer.spec.grad_clip is not None:
        clip = {"max_norm": float(trainer.spec.grad_clip), "total_norm": None, "clipped": False}  # no step yet
    # Flags judge the gradient as it came out of backward: clipping rescales every layer by one
    # factor, so the pre-clip norms are what says whether a gradient exploded.
    judged = preclip if preclip is not None else norms
    flags = flag_gradients(judged) if step > 0 else {}  # before the first step there is no gradient
    activations = {name: fn for name, _, fn in trainer.model.activation_layers()}
    warnings = health_warnings(step, judged, flags, activation_stats, activations, trainer.diverged,
                               trainer.unstable)
    if trainer.stopped:  # early stopping ended training: say where, and which weights are shown
        warnings.insert(0, trainer.stopped)
    return FrameHeader(trainer.epoch, step, trainer.epoch_progress, trainer.data.task, trainer.data.kind,
                       trainer.history.as_dict(), trainer.latest_metrics(fresh_metrics), norms, preclip, clip,
                       activation_grad_norms, activation_stats, flags, warnings, trainer.diverged)
