"""The trainer: mini-batch steps and epochs on a spec, a bounded history, divergence handling.

Nothing in here is about Streamlit or plots. Listeners (the live UI, probes, the CLI) hook in
through `add_callback("on_epoch_end", fn)`, as in minGPT's trainer.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from playground.data import CustomData, DataBundle, build_data
from playground.losses import resolve_loss
from playground.model import PlaygroundNet, build_model
from playground.optimizers import make_optimizer, plain_step, set_hyperparameters
from playground.spec import Spec

# Hyper-parameters that change in place, without resetting the weights (TensorFlow
# Playground lets the learning rate and regularisation move mid-training).
HOT_FIELDS = ("optimizer", "regularization", "grad_clip", "batch_size", "patience", "restore_best")
EVAL_CHUNK = 4096  # rows per forward pass when evaluating a large set
# The per-epoch train loss/accuracy is measured on at most this many training samples (a fixed
# random sample: the data is shuffled once when generated). The 2-D sets fit whole; for image
# sets a full pass would cost a third of the epoch again.
EVAL_TRAIN_MAX = 1000
# The training loss this many times where it started (and above it by more than noise) means the
# steps overshoot: lr 100 on circle trains on at a loss of ~20 from 0.69 without ever diverging.
UNSTABLE_RATIO = 10.0
# Weight snapshots kept for the loss landscape's trajectory: one per epoch, every other one
# dropped past this many (as History does), and none for models above SNAPSHOT_MAX_PARAMETERS
# (a convnet's 100k weights x 100 epochs would be 40 MB for a view of the 2-D nets).
SNAPSHOT_MAX_POINTS = 200
SNAPSHOT_MAX_PARAMETERS = 50_000


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def configure_threads(n: int = 1) -> None:
    """Set torch's intra-op threads; the tiny playground models run fastest on one thread.

    Measured here: with two threads on two cores, a small model trained several times
    slower whenever another process (Streamlit, the browser) was busy.
    """
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def recommended_threads(trainer: "Trainer") -> int:
    """One intra-op thread, for every model here.

    Measured on this 2-core machine: a second thread helps a 28×28 convnet by about a third
    when nothing else runs, but when the browser or Streamlit is busy, OpenMP's second thread
    waits for a stolen core and training drops more than tenfold. `--threads` overrides it.
    """
    del trainer
    return 1


def every_step(loss_fn: Callable) -> Callable:
    """A loss on (batch, T, outputs) and (batch, T) targets: each step is one sample of `loss_fn`."""
    return lambda out, y: loss_fn(out.reshape(-1, out.shape[-1]), y.reshape(-1))


@dataclass
class History:
    """Per-epoch curves, bounded: past `max_points` every other point is dropped."""

    max_points: int = 1000
    columns: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    stride: int = 1          # keep one record in `stride`; doubles at each compaction
    # Single epochs the curves mark: "early_stop" (where early stopping stopped) and
    # "best_epoch" (the lowest test loss, whose weights were restored).
    marks: dict[str, int] = field(default_factory=dict)
    _seen: int = 0

    def append(self, **values) -> None:
        """Record one point (all columns at once)."""
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        for key, value in values.items():
            self.columns[key].append(value)
        if len(self.columns["epoch"]) > self.max_points:
            for key in self.columns:
                self.columns[key] = self.columns[key][::2]
            self.stride *= 2

    def as_dict(self) -> dict[str, list]:
        """A copy of the columns (safe to hand to another thread or a view); each mark as a
        one-value list under its name ("early_stop": [42]) when set."""
        out = {key: list(value) for key, value in self.columns.items()}
        out.update({key: [epoch] for key, epoch in self.marks.items()})
        return out

    def last(self, key: str, default=None):
        """The most recent value of a column."""
        column = self.columns.get(key)
        return column[-1] if column else default


@dataclass
class WeightTrajectory:
    """The flattened parameters at each recorded epoch (for the loss landscape's path).

    Bounded like History: past `max_points` every other snapshot is dropped.
    """

    max_points: int = SNAPSHOT_MAX_POINTS
    epochs: list[int] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)   # each (n_parameters,) float32
    stride: int = 1
    _seen: int = 0

    def append(self, epoch: int, params: list[torch.Tensor]) -> None:
        """Record the parameters (in model.parameters() order) at `epoch`."""
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(-1) for p in params]).cpu().numpy().copy()
        self.epochs.append(epoch)
        self.weights.append(flat)
        if len(self.epochs) > self.max_points:
            self.epochs, self.weights = self.epochs[::2], self.weights[::2]
            self.stride *= 2


def weight_penalty(reg, weights: list[torch.Tensor]) -> torch.Tensor | None:
    """The L1 / L2 penalty of a RegularizationSpec on these weights (None when off)."""
    if reg.kind == "none" or reg.rate == 0:
        return None
    if reg.kind == "l1":
        return reg.rate * sum(w.abs().sum() for w in weights)
    return reg.rate * sum((w * w).sum() for w in weights)


class Trainer:
    """Trains the network of a spec; `reset()` restores the same initial weights from the seed."""

    def __init__(self, spec: Spec, custom: CustomData | None = None, device: torch.device | None = None):
        self.spec = spec
        self.custom = custom
        self.device = device or default_device()
        self.data: DataBundle = build_data(spec, custom)
        if len(self.data.x_train) < 2 and any(l.type == "batchnorm" or l.batch_norm for l in spec.layers):
            from playground.spec import SpecError  # validation catches this for generated sets; uploads land here

            raise SpecError("dataset.train_ratio", f"the training set has {len(self.data.x_train)} sample, and "
                            "batch norm cannot normalise one: upload more points or raise the ratio")
        self._x_train, self._y_train, self._x_test, self._y_test = self.data.tensors(self.device)
        if self.data.task == "classification" and self.data.n_outputs == 1:
            # Binary losses want float targets; converting once saves an op per step.
            self._y_train, self._y_test = self._y_train.float(), self._y_test.float()
        self._callbacks: dict[str, list[Callable[["Trainer"], None]]] = defaultdict(list)
        self.reset()

    # -- life cycle ------------------------------------------------------------------
    def reset(self) -> None:
        """Initial weights from the seed, fresh optimiser, empty history."""
        spec = self.spec
        self.model: PlaygroundNet = build_model(spec.layers, self.data.input_shape, self.data.n_outputs,
                                                spec.init, seed=spec.seed, per_step=self.data.per_step).to(self.device)
        self.loss_name, self.loss_fn = resolve_loss(spec.loss, self.data.task, self.data.n_classes)
        if self.data.per_step:
            self.loss_fn = every_step(self.loss_fn)
        # Every weight tensor: a recurrent layer's weight_ih and weight_hh are reported apart.
        self._weights = [w for _, w in self.model.weight_tensors()]
        self._weight_names = [name for name, _ in self.model.weight_tensors()]
        self.optimizer = self._make_optimizer()
        self._has_batch_norm = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in self.model.modules())
        self._generator = torch.Generator().manual_seed(spec.seed)  # batch order, reproducible
        self.step_count = 0
        self.epoch = 0
        self._batches: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._cursor = 0
        self.diverged: str | None = None
        self.last_batch_loss = math.nan
        # Clipping of the latest step: (max_norm, per-parameter pre-clip norms, total norm), tensors
        # kept as they are (no .item() on the hot path); None when that step did not clip.
        self._clip_state: tuple[float, torch.Tensor, torch.Tensor] | None = None
        self._metrics: tuple[int, dict] | None = None  # (step, metrics at that step), see latest_metrics
        self.history = History()
        # Early stopping: the lowest test loss so far, its epoch and (to restore) its weights.
        self.best_test_loss = math.inf
        self.best_epoch: int | None = None
        self._best_state: dict[str, torch.Tensor] | None = None
        self.stopped_epoch: int | None = None   # set when early stopping ended training
        self.stopped: str | None = None         # its message
        n_params = sum(p.numel() for p in self.model.parameters())
        self.trajectory = WeightTrajectory() if n_params <= SNAPSHOT_MAX_PARAMETERS else None
        self.record()

    def add_callback(self, event: str, fn: Callable[["Trainer"], None]) -> None:
        """Call fn(trainer) on an event: "on_epoch_end" or "on_diverge"."""
        self._callbacks[event].append(fn)

    def _trigger(self, event: str) -> None:
        for fn in self._callbacks[event]:
            fn(self)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        o = self.spec.optimizer
        optimizer = make_optimizer(o.name, self.model.parameters(), o.lr, o.momentum, o.nesterov)
        # optimizer.step() and zero_grad() go through torch's profiler wrapper and hook checks,
        # which for these tiny models cost ~15 % of a step (measured). The trainer registers no
        # optimizer hooks, so it calls the undecorated step (under no_grad) and clears gradients
        # itself, as zero_grad(set_to_none=True) does.
        self._step = plain_step(optimizer)
        self._params = [p for group in optimizer.param_groups for p in group["params"]]
        # Where each weight layer's tensor sits among the parameters (for its pre-clip norm).
        index = {id(p): i for i, p in enumerate(self._params)}
        self._weight_index = [index[id(w)] for w in self._weights]
        return optimizer

    def needs_rebuild(self, spec: Spec, custom: CustomData | None = None) -> bool:
        """True if moving to `spec` changes more than the hot hyper-parameters."""
        return custom is not self.custom or any(
            getattr(self.spec, f) != getattr(spec, f) for f in Spec.__dataclass_fields__ if f not in HOT_FIELDS)

    def apply_hot(self, spec: Spec) -> None:
        """Adopt new hot hyper-parameters (learning rate, regularisation, ...) keeping the weights."""
        old, self.spec = self.spec, spec
        if spec.optimizer.name != old.optimizer.name or spec.optimizer.nesterov != old.optimizer.nesterov:
            self.optimizer = self._make_optimizer()  # a new optimiser keeps the weights, not its state
        else:
            set_hyperparameters(self.optimizer, spec.optimizer.lr, spec.optimizer.momentum)
        if (spec.patience, spec.restore_best) != (old.patience, old.restore_best):
            self.stopped = self.stopped_epoch = None  # a new patience may let training go on

    # -- training ----------------------------------------------------------------------
    @property
    def batches_per_epoch(self) -> int:
        """Mini-batches in one pass over the training set."""
        return math.ceil(len(self._x_train) / self.spec.batch_size)

    @property
    def epoch_progress(self) -> float:
        """How far into the current epoch, 0..1 (for the progress bar)."""
        if not self._batches or self._cursor >= len(self._batches):
            return 0.0  # between epochs: the next one has not started
        return self._cursor / len(self._batches)

    def _start_epoch(self) -> None:
        order = torch.randperm(len(self._x_train), generator=self._generator).to(self.device)
        # One gather per epoch, then views: cheaper than indexing every mini-batch.
        xs, ys = self._x_train[order], self._y_train[order]
        bs = self.spec.batch_size
        self._batches = list(zip(xs.split(bs), ys.split(bs)))
        if self._has_batch_norm and len(self._batches) > 1 and len(self._batches[-1][0]) == 1:
            self._batches.pop()  # batch norm cannot normalise a batch of one sample
        self._cursor = 0

    def _penalty(self) -> torch.Tensor | None:
        return weight_penalty(self.spec.regularization, self._weights)

    def train_steps(self, n: int = 1) -> int:
        """Run up to n mini-batch steps (across epoch ends); returns how many ran."""
        if self.diverged or self.stopped:
            return 0
        model, loss_fn, clip = self.model, self.loss_fn, self.spec.grad_clip
        model.train()
        done = 0
        while done < n:
            if self._cursor >= len(self._batches):
                self._start_epoch()
            xb, yb = self._batches[self._cursor]
            loss = loss_fn(model(xb), yb)
            # Checked before backward and the optimiser step: a non-finite loss leaves the weights
            # and the .grad of the last finite step in place, so what is reported after a
            # divergence (weights, ‖∂L/∂W‖, flags) is true of that step. loss.item() was paid
            # on every step anyway; it only moved up.
            value = loss.item()
            if not math.isfinite(value):
                self.last_batch_loss = value
                self._diverge(value, self.step_count + 1)
                break
            penalty = self._penalty()
            for p in self._params:
                p.grad = None
            (loss if penalty is None else loss + penalty).backward()
            if clip is not None:
                self._clip(clip)
            else:
                self._clip_state = None  # clipping may have been switched off (apply_hot)
            self._step()
            self.step_count += 1
            self._cursor += 1
            done += 1
            self.last_batch_loss = value
            if self._cursor >= len(self._batches):
                self.epoch += 1
                self.record()
                self._trigger("on_epoch_end")
                if self.diverged or self.stopped:
                    break
        return done

    def _clip(self, max_norm: float) -> None:
        """Scale all gradients by one factor so their global norm is at most max_norm.

        The same arithmetic as torch.nn.utils.clip_grad_norm_ (per-tensor norms, their norm,
        grads *= min(1, max_norm / (total + 1e-6))), with the pre-clip per-tensor norms kept
        as tensors so the views can show them beside the clipped ones at no extra cost.
        """
        self._clip_state = None
        grads = [p.grad for p in self._params if p.grad is not None]
        if not grads:
            return
        norms = torch.stack(torch._foreach_norm(grads))          # (n_params,) before clipping
        total = torch.linalg.vector_norm(norms)
        torch._foreach_mul_(grads, torch.clamp(max_norm / (total + 1e-6), max=1.0))
        # Index positions are the parameters' only when every one has a gradient (the usual
        # case); otherwise the per-layer pre-clip norms are recovered from the factor.
        self._clip_state = (max_norm, norms if len(grads) == len(self._params) else None, total)

    def train_epochs(self, n: int = 1) -> int:
        """Finish the current epoch and run n - 1 more (n whole epochs from an epoch boundary)."""
        target = self.epoch + n
        steps = 0
        while self.epoch < target and not (self.diverged or self.stopped):
            if self._cursor >= len(self._batches):
                self._start_epoch()
            steps += self.train_steps(len(self._batches) - self._cursor)
        return steps

    def train_for(self, seconds: float, max_epochs: int | None = None) -> int:
        """Train whole batches until `seconds` have passed (the live loop's frame budget)."""
        deadline = time.perf_counter() + seconds
        start_epoch, steps = self.epoch, 0
        while time.perf_counter() < deadline and not (self.diverged or self.stopped):
            if max_epochs is not None and self.epoch - start_epoch >= max_epochs:
                break
            steps += self.train_steps(1)
        return steps

    def _diverge(self, value: float, step: int) -> None:
        lr = self.spec.optimizer.lr
        self.diverged = (f"training diverged at step {step}: the loss became {value}. "
                         f"The weights and gradients shown are those of step {self.step_count}, the last finite one. "
                         f"Lower the learning rate (now {lr:g}), add gradient clipping or a gentler "
                         f"initialisation, then press Reset.")
        self.history.append(**self._history_point(math.nan, math.nan, None, None))
        self._trigger("on_diverge")

    # -- evaluation --------------------------------------------------------------------
    @torch.inference_mode()
    def predict(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Model outputs (logits or values) for inputs x, in eval mode, chunked."""
        x = torch.as_tensor(x, device=self.device)
        was_training = self.model.training
        self.model.eval()
        try:
            return torch.cat([self.model(chunk) for chunk in x.split(EVAL_CHUNK)]) if len(x) else x
        finally:
            self.model.train(was_training)

    def probabilities(self, out: torch.Tensor) -> torch.Tensor:
        """Class probabilities (n, k) from outputs; for two classes column 1 is P(class 1)."""
        if self.data.n_outputs == 1:
            p1 = torch.sigmoid(out[:, 0])
            return torch.stack([1 - p1, p1], dim=1)
        return torch.softmax(out, dim=1)

    @torch.inference_mode()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
        """(data loss, accuracy or None for regression) on a whole set."""
        if len(x) == 0:
            return math.nan, None
        out = self.predict(x)
        loss = float(self.loss_fn(out, y))
        if self.data.task != "classification":
            return loss, None
        if out.dim() == 3:  # a prediction at every step: each step counts as one
            out, y = out.reshape(-1, out.shape[-1]), y.reshape(-1)
        pred = (out[:, 0] > 0).to(y.dtype) if self.data.n_outputs == 1 else out.argmax(1)
        return loss, float((pred == y).float().mean())

    def _history_point(self, train_loss, test_loss, train_acc, test_acc) -> dict:
        norms = self.grad_norms
        return dict(epoch=self.epoch, step=self.step_count, train_loss=train_loss, test_loss=test_loss,
                    train_accuracy=train_acc, test_accuracy=test_acc,
                    grad_norms=[norms.get(name, 0.0) for name in self._weight_names])

    def _measure(self) -> dict:
        """Train/test loss and accuracy of the current weights (the sets `record` uses)."""
        train_loss, train_acc = self.evaluate(self._x_train[:EVAL_TRAIN_MAX], self._y_train[:EVAL_TRAIN_MAX])
        test_loss, test_acc = self.evaluate(self._x_test, self._y_test)
        metrics = {"step": self.step_count, "epoch": self.epoch, "train_loss": train_loss, "test_loss": test_loss,
                   "train_accuracy": train_acc, "test_accuracy": test_acc}
        self._metrics = (self.step_count, metrics)
        return metrics

    def record(self) -> None:
        """Evaluate train/test loss and accuracy and the gradient norms; append to the history."""
        m = self._measure()
        train_loss = m["train_loss"]
        if not (math.isfinite(train_loss) or len(self._x_train) == 0) and not self.diverged:
            self.diverged = (f"training diverged at step {self.step_count}: the training loss is {train_loss}. "
                             f"Lower the learning rate (now {self.spec.optimizer.lr:g}), then press Reset.")
        self.history.append(**self._history_point(train_loss, m["test_loss"], m["train_accuracy"],
                                                  m["test_accuracy"]))
        if self.trajectory is not None:
            self.trajectory.append(self.epoch, self._params)
        if self.spec.patience is not None and not self.diverged:
            self._early_stopping(m["test_loss"])

    def _early_stopping(self, test_loss: float) -> None:
        """Track the lowest test loss; stop when it is `patience` epochs old (and restore it)."""
        if math.isfinite(test_loss) and test_loss < self.best_test_loss:
            self.best_test_loss, self.best_epoch = test_loss, self.epoch
            if self.spec.restore_best:
                self._best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return
        if self.best_epoch is None or self.epoch - self.best_epoch < self.spec.patience:
            return
        self.stopped_epoch = self.epoch
        self.history.marks["early_stop"] = self.epoch
        self.history.marks["best_epoch"] = self.best_epoch
        restored = ""
        if self.spec.restore_best and self._best_state is not None:
            self.model.load_state_dict(self._best_state)
            self._metrics = None  # the latest measurement was of the weights just replaced
            restored = f"; the weights of epoch {self.best_epoch} are restored"
        self.stopped = (f"early stopping at epoch {self.epoch}: the test loss has not improved for "
                        f"{self.spec.patience} epochs (lowest {self.best_test_loss:.4g} at epoch "
                        f"{self.best_epoch}){restored}. Raise the patience or press Reset to train again.")

    @property
    def unstable(self) -> str | None:
        """A warning when the training loss has grown far above where it started (not when diverged)."""
        losses = self.history.columns.get("train_loss") or []
        if self.diverged or len(losses) < 2:
            return None
        first, last = losses[0], losses[-1]
        if not (math.isfinite(first) and math.isfinite(last)) or last <= UNSTABLE_RATIO * first or last - first < 0.1:
            return None
        return (f"training is unstable: the training loss is {last:.3g}, over {UNSTABLE_RATIO:g}× the {first:.3g} "
                f"it started at. The learning rate ({self.spec.optimizer.lr:g}) is probably too high: lower it "
                "(or turn on gradient clipping), then press Reset.")

    def latest_metrics(self, fresh: bool = True) -> dict:
        """Loss and accuracy with the step they were measured at (`step`, `epoch`).

        fresh=True: at the latest step, evaluated now if the last measurement is older (after
        `train_steps` inside an epoch, the history still holds the previous epoch end).
        fresh=False: the last measurement, whatever its step (free; for views that refresh often
        on models whose evaluation costs a good part of an epoch).
        """
        if self._metrics is not None and (not fresh or self._metrics[0] == self.step_count):
            return dict(self._metrics[1])
        return dict(self._measure())

    @property
    def grad_norms(self) -> dict[str, float]:
        """‖∂L/∂W‖₂ per weight layer at the latest step (after clipping, if on), in network order."""
        return self.weight_grad_norms()

    def weight_grad_norms(self) -> dict[str, float]:
        """‖∂L/∂W‖₂ of each weight layer from the .grad the latest step left (0 before any step).

        Computed on demand, so it costs nothing on the training path; the trainer clears .grad at
        the start of each step, so what is there is always the latest step's gradient.
        """
        grads = [w.grad for w in self._weights]
        if any(g is None for g in grads):
            return {name: 0.0 for name in self._weight_names}
        norms = torch.stack(torch._foreach_norm(grads)).tolist()  # one call for all layers
        if any(math.isinf(v) for v in norms):
            # An exploding float32 gradient of 1e20 per element has a finite norm, but its sum of
            # squares overflows float32 to inf: sum those in float64 (about twice the cost, so
            # only when needed).
            norms = torch.stack(torch._foreach_norm(grads, 2, dtype=torch.float64)).tolist()
        return dict(zip(self._weight_names, norms))

    def clip_report(self) -> tuple[dict[str, float], dict] | None:
        """(pre-clip ‖∂L/∂W‖₂ per weight layer, {"max_norm", "total_norm", "clipped"}) of the latest
        step, or None when that step did not clip (clipping off, or no step yet)."""
        if self._clip_state is None or any(w.grad is None for w in self._weights):
            return None
        max_norm, norms, total = self._clip_state
        total_norm = float(total)
        if norms is not None:
            pre = norms[self._weight_index].tolist()
        else:  # one factor scaled every gradient: undo it
            factor = min(1.0, max_norm / (total_norm + 1e-6))
            pre = [v / factor if factor > 0 else math.inf for v in self.weight_grad_norms().values()]
        clipped = not math.isfinite(total_norm) or max_norm / (total_norm + 1e-6) < 1.0
        return (dict(zip(self._weight_names, pre)),
                {"max_norm": float(max_norm), "total_norm": total_norm, "clipped": bool(clipped)})

    def summary(self) -> dict:
        """The CLI's result: losses, accuracies and gradient norms after the latest step, divergence."""
        m = self.latest_metrics()
        out = {"steps": self.step_count, "epochs": self.epoch,
               "train_loss": m["train_loss"], "test_loss": m["test_loss"]}
        if self.data.task == "classification":
            out["train_accuracy"] = m["train_accuracy"]
            out["test_accuracy"] = m["test_accuracy"]
        out["grad_norms"] = self.grad_norms
        report = self.clip_report()
        if report is not None:
            out["grad_norms_preclip"], out["clip"] = report
        out["diverged"] = bool(self.diverged)
        out["warnings"] = [self.unstable] if self.unstable else []
        if self.spec.patience is not None:
            out["best_epoch"] = self.best_epoch
            out["stopped_epoch"] = self.stopped_epoch
        if self.diverged:
            out["message"] = self.diverged
        return out
