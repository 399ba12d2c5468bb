"""Two more classic 2-D classification sets beyond TF Playground's: two moons and k gaussian blobs."""

from __future__ import annotations

import numpy as np

from .base import DatasetError, checked

# make_moons spans x in [-1, 2], y in [-0.5, 1]; one uniform scale keeps the moon shape
MOONS_CENTER = np.array([0.5, 0.25])
MOONS_SCALE = 10 / 3  # x then spans [-5, 5], y [-2.5, 2.5]
MOONS_NOISE = 0.6  # noise 0.5 -> sd 0.3 moon units (1 plane unit): the moons clearly overlap

BLOBS_RADIUS = 3.5
BLOBS_MIN_CLASSES, BLOBS_MAX_CLASSES = 2, 8


@checked
def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """sklearn make_moons, centred and scaled to about [-5, 5] x [-2.5, 2.5]; outer moon 0, inner 1."""
    from sklearn.datasets import make_moons  # imported lazily: sklearn adds ~1 s to app start-up

    # sklearn wants an int seed; drawing it from rng keeps the result tied to the caller's seed
    seed = int(rng.integers(0, 2**31 - 1))
    X, y = make_moons(n_samples=n, noise=noise * MOONS_NOISE, random_state=seed)
    X = (X - MOONS_CENTER) * MOONS_SCALE
    return X.astype(np.float32), y.astype(np.int64)


def blob_centers(classes: int) -> np.ndarray:
    """Centres of the blobs: evenly spaced on a circle of radius 3.5, starting at 45 degrees."""
    angle = np.pi / 4 + 2 * np.pi * np.arange(classes) / classes
    return BLOBS_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def blobs_std(noise: float) -> float:
    """Standard deviation of each blob: tight at noise 0, overlapping neighbours at 0.5."""
    return 0.5 + 2.0 * noise


@checked
def blobs(n: int, noise: float, rng: np.random.Generator, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """k round gaussian blobs with balanced class counts, grouped by class."""
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)):
        raise DatasetError(f"blobs: classes must be a whole number, not {classes!r}")
    if not BLOBS_MIN_CLASSES <= classes <= BLOBS_MAX_CLASSES:
        raise DatasetError(f"blobs: classes must be between {BLOBS_MIN_CLASSES} and {BLOBS_MAX_CLASSES}, not {classes}")
    classes = int(classes)
    counts = np.full(classes, n // classes)
    counts[: n % classes] += 1
    label = np.repeat(np.arange(classes, dtype=np.int64), counts)
    X = blob_centers(classes)[label] + blobs_std(noise) * rng.standard_normal((n, 2))
    return X.astype(np.float32), label
