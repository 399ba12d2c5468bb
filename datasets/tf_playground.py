"""The TensorFlow Playground data sets (src/dataset.ts), ported to numpy.

Points are returned in TF's raw coordinates (roughly [-6, 6]^2). TF labels +1/-1
become 1/0. As in TF, the noisy point decides the label but the clean point is
what gets stored, so noise shows up as "wrong-coloured" points near the boundary.
The clean coordinates are always drawn before the noise, so one seed gives the
same points at every noise level and the noise slider only moves the labels.
Points come grouped by class in generation order; shuffle before splitting.
"""

from __future__ import annotations

import numpy as np

from .base import checked, halves, round_f32

# (cx, cy, sign) of TF's regressGaussian bumps
REGRESS_GAUSSIANS = np.array(
    [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)],
    dtype=np.float64,
)


def _points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Stack coordinates into the (n, 2) float32 array the engine expects."""
    return np.stack([x, y], axis=1).astype(np.float32)


@checked
def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TF classifyCircleData: a disc of radius 2.5 (label 1) inside a ring 3.5..5 (label 0)."""
    radius = 5.0
    n_in, n_out = halves(n)
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x, y = round_f32(r * np.sin(angle)), round_f32(r * np.cos(angle))
    nx = rng.uniform(-radius, radius, n) * noise
    ny = rng.uniform(-radius, radius, n) * noise
    label = np.hypot(x + nx, y + ny) < radius * 0.5
    return _points(x, y), label.astype(np.int64)


@checked
def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TF classifyXORData: label 1 in the quadrants where x*y >= 0, with a 0.3 gap around the axes."""
    padding = 0.3
    x = rng.uniform(-5, 5, n)
    y = rng.uniform(-5, 5, n)
    # TF pushes 0 itself to the negative side (x > 0 ? +pad : -pad)
    x = round_f32(x + np.where(x > 0, padding, -padding))
    y = round_f32(y + np.where(y > 0, padding, -padding))
    nx = rng.uniform(-5, 5, n) * noise
    ny = rng.uniform(-5, 5, n) * noise
    label = (x + nx) * (y + ny) >= 0
    return _points(x, y), label.astype(np.int64)


@checked
def gaussian(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TF classifyTwoGaussData: label 1 around (2, 2), label 0 around (-2, -2)."""
    # TF maps noise [0, 0.5] linearly to a variance of [0.5, 4]; normalRandom uses sqrt(variance)
    variance = 0.5 + (4.0 - 0.5) * noise / 0.5
    n_pos, n_neg = halves(n)
    centers = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [n_pos, n_neg], axis=0)
    X = centers + np.sqrt(variance) * rng.standard_normal((n, 2))
    label = np.repeat(np.array([1, 0], dtype=np.int64), [n_pos, n_neg])
    return X.astype(np.float32), label


@checked
def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TF classifySpiralData: two interleaved spirals of 1.75 turns, label 1 and label 0."""
    half = n / 2  # TF divides by numSamples / 2, a float for odd n
    n_pos, n_neg = halves(n)
    i = np.concatenate([np.arange(n_pos), np.arange(n_neg)]).astype(np.float64)
    delta = np.repeat([0.0, np.pi], [n_pos, n_neg])
    r = i / half * 5
    t = 1.75 * i / half * 2 * np.pi + delta
    jitter = rng.uniform(-1, 1, (n, 2)) * noise
    x = r * np.sin(t) + jitter[:, 0]
    y = r * np.cos(t) + jitter[:, 1]
    label = np.repeat(np.array([1, 0], dtype=np.int64), [n_pos, n_neg])
    return _points(x, y), label


def _noisy_square(n: int, noise: float, rng: np.random.Generator):
    """TF's regression sampling: points uniform in [-6, 6]², and the noisy copy the target is read at."""
    radius = 6.0
    x = round_f32(rng.uniform(-radius, radius, n))
    y = round_f32(rng.uniform(-radius, radius, n))
    nx = rng.uniform(-radius, radius, n) * noise
    ny = rng.uniform(-radius, radius, n) * noise
    return x, y, x + nx, y + ny


@checked
def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TF regressPlane: target (x1 + x2) / 10, i.e. [-10, 10] mapped to [-1, 1]."""
    x, y, x_noisy, y_noisy = _noisy_square(n, noise, rng)
    target = (x_noisy + y_noisy) / 10
    return _points(x, y), target.astype(np.float32)


def regress_gaussian_label(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """TF regressGaussian's target: the signed bump (1 - d/2, clamped) with the largest magnitude."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    cx, cy, sign = (REGRESS_GAUSSIANS[:, k].reshape((-1,) + (1,) * x.ndim) for k in range(3))
    values = sign * np.clip(1 - np.hypot(x - cx, y - cy) / 2, 0, 1)
    # argmax picks the first of equal magnitudes, like TF's strict '>' scan; all-zero gives 0
    best = np.abs(values).argmax(axis=0)
    return np.take_along_axis(values, best[None], axis=0)[0]


@checked
def multi_gaussian(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """TF regressGaussian: six +/-1 bumps of radius 2 on a 3x2 grid, 0 between them."""
    x, y, x_noisy, y_noisy = _noisy_square(n, noise, rng)
    target = regress_gaussian_label(x_noisy, y_noisy)
    return _points(x, y), target.astype(np.float32)
