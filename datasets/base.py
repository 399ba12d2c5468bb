"""Shared pieces of the dataset package: the dataset description, the error type and argument checks."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

KINDS = ("points", "curve", "image", "sequence")
TASKS = ("classification", "regression")


class DatasetError(ValueError):
    """Bad data or a dataset that cannot be loaded; message is user-facing, one line or a few lines."""


@dataclass(frozen=True)
class DatasetInfo:
    """Everything the UI and the engine need to know about one registered dataset."""

    name: str
    title: str
    kind: str
    task: str
    n_classes: int
    generate: Callable[..., tuple[np.ndarray, np.ndarray]]
    description: str
    image_shape: tuple[int, int] | None = None
    class_names: tuple[str, ...] = ()
    default_n: int = 500
    max_n: int = 20_000
    options: tuple[str, ...] = ()
    # sequence sets: the token names (empty for sets of values), and whether the target is
    # predicted at every step (forecast, text) or read off the last one (recall, adding, brackets)
    vocab: tuple[str, ...] = ()
    per_step: bool = False

    def __post_init__(self) -> None:
        """Catch registry typos at import time rather than in the UI."""
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.task not in TASKS:
            raise ValueError(f"{self.name}: task {self.task!r} is not one of {TASKS}")
        if (self.kind == "image") != (self.image_shape is not None):
            raise ValueError(f"{self.name}: image_shape must be set exactly for image sets")
        if self.class_names and len(self.class_names) != self.n_classes:
            raise ValueError(f"{self.name}: {len(self.class_names)} class names for {self.n_classes} classes")


def check_args(n: int, noise: float, rng: np.random.Generator) -> tuple[int, float]:
    """Validate the arguments every generate() takes and return n and noise as plain int and float."""
    # bool is an int subclass; True samples is surely a caller bug
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise DatasetError(f"the number of samples must be a whole number, not {n!r}")
    if n < 1:
        raise DatasetError(f"the number of samples must be at least 1, not {n}")
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise DatasetError(f"noise must be a number, not {noise!r}") from None
    if not math.isfinite(noise) or noise < 0:
        raise DatasetError(f"noise must be a finite number >= 0, not {noise}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, not {type(rng).__name__}")
    return int(n), noise


def checked(fn: Callable[..., tuple[np.ndarray, np.ndarray]]) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """Wrap a generator so n, noise and rng are validated before it runs."""

    @functools.wraps(fn)
    def wrapper(n: int, noise: float, rng: np.random.Generator, **options):
        n, noise = check_args(n, noise, rng)
        return fn(n, noise, rng, **options)

    return wrapper


def halves(n: int) -> tuple[int, int]:
    """Split n into a first and second half that add up to n (the first gets the odd one)."""
    return n - n // 2, n // 2


def round_f32(a: np.ndarray) -> np.ndarray:
    """Round to float32 and back, so labels are computed from exactly the coordinates we return."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def add_pixel_noise(images: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Add N(0, noise) to every pixel in place and clip back to [0, 1]."""
    # drawn last and only when needed, so the clean images do not depend on the noise level
    if noise > 0:
        images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)
    return images
