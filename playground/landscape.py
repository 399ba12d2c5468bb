"""The loss landscape: the training loss over a 2-D slice of weight space (Li et al. 2018).

    L(α, β) = loss(w* + α·δ + β·η)

around the current weights w*, along two random directions δ, η that are *filter-normalised*:
each filter (a row of a dense weight, an output channel of a conv) of a direction is scaled to
the norm of the same filter of w*, so that the picture does not depend on the weights' scale
(a ReLU net's loss is the same after scaling one layer by 10 and the next by 1/10). Biases and
batch-norm parameters get no direction ("ignore biasbn" in the paper's code). The run's path,
from the weight snapshots the trainer records each epoch, is projected onto the slice; with
`directions="pca"` the slice is spanned by the path's two principal directions instead
(the paper's section 7: random directions in a high-dimensional space are nearly orthogonal
to the path, which then shows as a dot).

Every grid point is one forward pass over the training set; they run in chunks through
torch.func.vmap (one batched pass per chunk), a 30×30 grid of the default net in tens of ms.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.func import functional_call, vmap

LANDSCAPE_SAMPLES = 1000   # training rows the loss is measured on (the trainer's EVAL_TRAIN_MAX)
CHUNK_ELEMENTS = 4_000_000  # grid points per batched pass: about this many activations at once


@dataclass
class Landscape:
    """The loss over a grid of (α, β) around `center`, and the run's path in the same coordinates."""

    alphas: np.ndarray            # (res,) coordinate along the first direction
    betas: np.ndarray             # (res,) along the second
    loss: np.ndarray              # (res, res): loss[j, i] at (alphas[i], betas[j]); inf where it overflowed
    center_loss: float            # the loss at the current weights (α = β = 0)
    directions: str               # "random" (filter-normalised) or "pca" (of the path)
    center: np.ndarray            # (n_parameters,) the weights the slice is centred on
    basis: np.ndarray             # (2, n_parameters) the two directions
    path: np.ndarray | None       # (n, 2) the recorded snapshots in (α, β), oldest first
    path_epochs: list[int]        # the epoch of each path point
    path_loss: list[float]        # the loss at each snapshot (the true one, not the slice's)
    seconds: float                # time to compute
    other_paths: list[np.ndarray] = field(default_factory=list)  # (m, 2) each: `extra_paths` in (α, β)

    def project(self, snapshots: np.ndarray) -> np.ndarray:
        """(n, 2) coordinates of weight vectors in this slice (least squares on its basis; NumPy only).

        Works for another run of the same architecture too: the optimisers experiment draws every
        run's path on one landscape.
        """
        offsets = np.asarray(snapshots, dtype=np.float64) - self.center
        coords, *_ = np.linalg.lstsq(self.basis.T.astype(np.float64), offsets.T, rcond=None)
        return coords.T


def flat_parameters(model: torch.nn.Module) -> torch.Tensor:
    """All parameters as one vector, in model.parameters() order (the trainer's snapshot order)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def filter_normalised_direction(model: torch.nn.Module, generator: torch.Generator) -> torch.Tensor:
    """A Gaussian direction with each filter scaled to the norm of the model's filter; 0 on biases."""
    parts = []
    for p in model.parameters():
        p = p.detach()
        if p.dim() <= 1:
            parts.append(torch.zeros(p.numel(), device=p.device))
            continue
        d = torch.randn(p.shape, generator=generator).to(p.device)
        rows_d, rows_p = d.reshape(len(d), -1), p.reshape(len(p), -1)   # one row per filter
        scale = rows_p.norm(dim=1, keepdim=True) / (rows_d.norm(dim=1, keepdim=True) + 1e-10)
        parts.append((rows_d * scale).reshape(-1))
    return torch.cat(parts)


def _unflatten(model: torch.nn.Module, flat: torch.Tensor) -> dict[str, torch.Tensor]:
    """A (..., n_parameters) tensor as {name: (..., *shape)} for functional_call."""
    out, i = {}, 0
    lead = flat.shape[:-1]
    for name, p in model.named_parameters():
        out[name] = flat[..., i:i + p.numel()].reshape(*lead, *p.shape)
        i += p.numel()
    return out


def losses_at(trainer, points: torch.Tensor, max_samples: int = LANDSCAPE_SAMPLES) -> np.ndarray:
    """The training loss at each row of `points` ((k, n_parameters) weight vectors), in eval mode."""
    model = trainer.model
    x, y = trainer._x_train[:max_samples], trainer._y_train[:max_samples]
    buffers = {name: b.detach() for name, b in model.named_buffers()}
    loss_fn = trainer.loss_fn

    def one(flat: torch.Tensor) -> torch.Tensor:
        return loss_fn(functional_call(model, ({**_unflatten(model, flat)}, buffers), (x,)), y)

    widest = max([p.shape[0] for p in model.parameters() if p.dim() > 1] + [1])
    chunk = max(1, CHUNK_ELEMENTS // max(1, len(x) * widest * max(1, len(list(model.children())))))
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            batched = vmap(one)
            for part in points.split(chunk):
                try:
                    out.append(batched(part))
                except Exception:  # noqa: BLE001 - a layer vmap cannot batch: one pass per point
                    out.append(torch.stack([one(row) for row in part]))
    finally:
        model.train(was_training)
    values = torch.cat(out).double().cpu().numpy() if out else np.zeros(0)
    return np.where(np.isfinite(values), values, np.inf)


def _pca_basis(center: np.ndarray, snapshots: np.ndarray) -> np.ndarray:
    """The two principal directions of the path's offsets from the centre (unit vectors)."""
    offsets = snapshots - center                     # (n, n_parameters)
    if len(offsets) < 2 or not np.any(offsets):
        raise ValueError("the path has fewer than two distinct snapshots: train a few epochs first")
    _, _, vt = np.linalg.svd(offsets, full_matrices=False)
    basis = vt[:2]
    if len(basis) < 2:
        basis = np.vstack([basis, np.zeros_like(basis[0])])
    return basis


def trajectory_snapshots(trainer) -> np.ndarray | None:
    """The trainer's recorded weight snapshots, (n, n_parameters), or None (model too large)."""
    trajectory = getattr(trainer, "trajectory", None)
    if trajectory is None or not trajectory.weights:
        return None
    return np.array(trajectory.weights, dtype=np.float64)


def loss_landscape(trainer, resolution: int = 30, span: float = 1.0, directions: str = "random",
                   seed: int = 0, max_samples: int = LANDSCAPE_SAMPLES,
                   extra_paths: list[np.ndarray] | None = None) -> Landscape:
    """The training loss over a resolution² grid of the slice around the current weights.

    `span` is the half-width of the grid in units of the directions (1: a step of one whole
    filter norm, as in the paper's plots); with directions="pca" the grid covers the path with
    a margin. The path comes from `trainer.trajectory` (None when the model is too large for
    snapshots). `extra_paths` are other runs' snapshots (trajectory_snapshots of trainers of the
    same architecture, e.g. other optimisers from the same initial weights): they join the PCA
    and are projected into `other_paths`, so every run's path is drawn on this one slice.
    """
    if directions not in ("random", "pca"):
        raise ValueError(f"directions must be 'random' or 'pca', got {directions!r}")
    start = time.perf_counter()
    model = trainer.model
    center_t = flat_parameters(model).float()
    center = center_t.cpu().numpy().astype(np.float64)
    trajectory = getattr(trainer, "trajectory", None)
    snapshots = trajectory_snapshots(trainer)
    extra = [np.asarray(p, dtype=np.float64) for p in (extra_paths or []) if p is not None and len(p)]
    if any(p.shape[1] != center.size for p in extra):
        raise ValueError("extra_paths must come from networks of the same architecture")
    if directions == "pca":
        if snapshots is None:
            raise ValueError("no weight snapshots for this model: the PCA slice needs the training path")
        basis = _pca_basis(center, np.concatenate([snapshots, *extra]))
    else:
        g = torch.Generator().manual_seed(seed)
        basis = torch.stack([filter_normalised_direction(model, g), filter_normalised_direction(model, g)]).cpu().numpy()
        basis = basis.astype(np.float64)
    landscape = Landscape(np.zeros(0), np.zeros(0), np.zeros((0, 0)), math.nan, directions, center, basis,
                          None, [], [], 0.0, [])
    if snapshots is not None:
        landscape.path = landscape.project(snapshots)
        landscape.path_epochs = list(trajectory.epochs)
    landscape.other_paths = [landscape.project(p) for p in extra]
    if directions == "pca" and landscape.path is not None:
        every = np.concatenate([landscape.path, *landscape.other_paths])
        lo, hi = every.min(axis=0), every.max(axis=0)
        margin = 0.25 * np.maximum(hi - lo, 1e-3)
        a_range, b_range = (lo[0] - margin[0], hi[0] + margin[0]), (lo[1] - margin[1], hi[1] + margin[1])
    else:
        a_range = b_range = (-span, span)
    alphas = np.linspace(*a_range, resolution)
    betas = np.linspace(*b_range, resolution)
    aa, bb = np.meshgrid(alphas, betas)                              # (res, res), row j = betas[j]
    coords = np.stack([aa.ravel(), bb.ravel()], axis=1)              # (res², 2)
    points = torch.as_tensor(center + coords @ basis, dtype=torch.float32, device=center_t.device)
    loss = losses_at(trainer, points, max_samples).reshape(resolution, resolution)
    landscape.alphas, landscape.betas, landscape.loss = alphas, betas, loss
    landscape.center_loss = float(losses_at(trainer, center_t[None], max_samples)[0])
    if snapshots is not None:
        landscape.path_loss = losses_at(trainer, torch.as_tensor(snapshots, dtype=torch.float32,
                                                                 device=center_t.device), max_samples).tolist()
    landscape.seconds = time.perf_counter() - start
    return landscape
