"""Input features of the 2-D playground (TensorFlow Playground's x1, x2, x1², ... column)."""
from __future__ import annotations

from typing import Callable

import numpy as np

FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1_sq": lambda X: X[:, 0] ** 2,
    "x2_sq": lambda X: X[:, 1] ** 2,
    "x1_x2": lambda X: X[:, 0] * X[:, 1],
    "sin_x1": lambda X: np.sin(X[:, 0]),
    "sin_x2": lambda X: np.sin(X[:, 1]),
}

LABELS = {"x1": "x₁", "x2": "x₂", "x1_sq": "x₁²", "x2_sq": "x₂²", "x1_x2": "x₁·x₂",
          "sin_x1": "sin(x₁)", "sin_x2": "sin(x₂)"}

# Features that depend on x2: meaningless for the 1-D curve datasets, where x2 is always 0.
USES_X2 = frozenset({"x2", "x2_sq", "x1_x2", "sin_x2"})


def feature_matrix(X: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Stack the named features of raw points X (n, 2) into a float32 (n, len(names)) matrix."""
    return np.stack([FEATURES[name](X) for name in names], axis=1).astype(np.float32)


# The 2-D playground plane: TensorFlow Playground draws the input space as [-6, 6]².
PLANE = 6.0


def grid_points(resolution: int, extent: float = PLANE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, points) of a resolution² grid over [-extent, extent]²; points[i*g + j] = (xs[j], ys[i])."""
    xs = np.linspace(-extent, extent, resolution, dtype=np.float32)
    ys = np.linspace(-extent, extent, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)
