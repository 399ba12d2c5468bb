"""Real image sets: scikit-learn's 8x8 digits (offline) and MNIST / Fashion-MNIST (IDX files).

Each returns a random subset of n images without replacement (all of them,
shuffled, when n is at least the set's size) as float32 (n, 1, H, W) with
pixels in [0, 1], plus N(0, noise) pixel noise clipped back to [0, 1].
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .base import add_pixel_noise, checked
from .idx import load_idx_dataset

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
DIGITS_COUNT = 1797
IDX_COUNT = 70_000


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The sklearn digits as float32 in [0, 1] and int64 labels; cached, loading parses a CSV."""
    from sklearn.datasets import load_digits  # lazy: sklearn is slow to import

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)  # pixel values are 0..16
    labels = bunch.target.astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _subset(images: np.ndarray, labels: np.ndarray, scale: float, n: int, noise: float, rng: np.random.Generator):
    """Random n of the images without replacement, scaled to [0, 1], channel axis added, noise applied."""
    pick = rng.permutation(len(images))[:n]
    X = images[pick].astype(np.float32, copy=False)  # fancy indexing copies, so the cache stays intact
    if scale != 1.0:
        X *= np.float32(scale)
    X = add_pixel_noise(X, noise, rng)
    return X[:, None], labels[pick].astype(np.int64)


@checked
def digits(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n of scikit-learn's 1797 handwritten 8x8 digits."""
    images, labels = _digits()
    return _subset(images, labels, 1.0, n, noise, rng)


@checked
def mnist(
    n: int, noise: float, rng: np.random.Generator, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """n of the 70,000 MNIST digits (train then test), downloaded on first use."""
    images, labels = load_idx_dataset("mnist", data_dir)
    return _subset(images, labels, 1 / 255, n, noise, rng)


@checked
def fashion_mnist(
    n: int, noise: float, rng: np.random.Generator, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """n of the 70,000 Fashion-MNIST clothing images (train then test), downloaded on first use."""
    images, labels = load_idx_dataset("fashion_mnist", data_dir)
    return _subset(images, labels, 1 / 255, n, noise, rng)
