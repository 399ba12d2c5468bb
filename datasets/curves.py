"""1-D regression targets of x1 for the universal-approximation experiment.

X has x1 ~ U(-6, 6) in column 0 and zeros in column 1 (so the engine can treat
every non-image set as 2-D); y = f(x1) + N(0, noise). Every f stays within
[-1, 1] on [-6, 6].
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .base import checked, round_f32

X_RANGE = 6.0


def sine_target(x1: np.ndarray) -> np.ndarray:
    """sin(x1): smooth, just under two periods on [-6, 6]."""
    return np.sin(x1)


def step_target(x1: np.ndarray) -> np.ndarray:
    """Heaviside-style step: 1 for x1 >= 0, -1 below; a single jump that sigmoids must make steep."""
    return np.where(np.asarray(x1) >= 0, 1.0, -1.0)


def abs_target(x1: np.ndarray) -> np.ndarray:
    """|x1| / 3 - 1: a V with its kink at 0, from -1 at the centre to 1 at the ends (two ReLUs)."""
    return np.abs(x1) / 3 - 1


def poly_target(x1: np.ndarray) -> np.ndarray:
    """(x1^3 - 27 x1) / 54: a cubic with a maximum of 1 at x1=-3 and a minimum of -1 at x1=3, +/-1 at the ends."""
    x1 = np.asarray(x1)
    return (x1**3 - 27 * x1) / 54


def _curve(target: Callable[[np.ndarray], np.ndarray], doc: str):
    """Build a generator sampling x1 uniformly and adding gaussian noise to target(x1)."""

    @checked
    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x1 = round_f32(rng.uniform(-X_RANGE, X_RANGE, n))
        y = target(x1) + rng.standard_normal(n) * noise
        X = np.zeros((n, 2), dtype=np.float32)
        X[:, 0] = x1
        return X, y.astype(np.float32)

    generate.__doc__ = doc
    generate.__name__ = generate.__qualname__ = target.__name__.replace("_target", "")
    return generate


sine = _curve(sine_target, "y = sin(x1) + noise.")
step = _curve(step_target, "y = 1 if x1 >= 0 else -1, plus noise.")
abs_ = _curve(abs_target, "y = |x1| / 3 - 1 + noise.")
poly = _curve(poly_target, "y = (x1^3 - 27 x1) / 54 + noise.")
