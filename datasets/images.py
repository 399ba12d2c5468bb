"""Real image sets: scikit-learn's 8x8 digits (offline) and MNIST / Fashion-MNIST (IDX files).

Each returns a random subset of n images without replacement (all of them,
shuffled, when n is at least the set's size) as float32 (n, 1, H, W) with
pixels in [0, 1], plus N(0, noise) pixel noise clipped back to [0, 1].
"""

from __future__ import annotations

import functools
import io
import os
import warnings

import numpy as np

from .base import DatasetError, add_pixel_noise, checked
from .idx import load_idx_dataset

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
DIGITS_COUNT = 1797
IDX_COUNT = 70_000
# An uploaded image is bounded by bytes before it is read and by pixels before it is decoded: a
# 438 KB PNG of 20,000 × 20,000 is a decompression bomb, and 13,000 × 13,000 took 1 GB to shrink.
# 4096 × 4096 still takes a 12-megapixel phone photo.
MAX_IMAGE_BYTES = 10 * 2**20  # 10 MB, as the upload widget counts them
MAX_IMAGE_PIXELS = 4096 * 4096


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


def load_user_image(data: bytes, height: int, width: int) -> np.ndarray:
    """An uploaded image file as (height, width) float32 grey pixels in [0, 1]; DatasetError if refused.

    Dark strokes on light paper are inverted to the data's light-on-dark.
    """
    from PIL import Image  # lazy: only the image upload needs Pillow

    if len(data) > MAX_IMAGE_BYTES:
        raise DatasetError(f"the image file is {len(data) / 2**20:.1f} MB; at most {MAX_IMAGE_BYTES / 2**20:g} MB")
    unreadable = DatasetError("this is not an image the playground can read (PNG, JPEG, BMP, GIF)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only: size known, nothing decoded
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DatasetError(f"the image has too many pixels; at most {MAX_IMAGE_PIXELS:,} "
                           f"({int(MAX_IMAGE_PIXELS ** 0.5)} × {int(MAX_IMAGE_PIXELS ** 0.5)})") from None
    except Exception:  # noqa: BLE001 - Pillow's format plugins raise many types for a malformed header
        raise unreadable from None
    w, h = img.size
    if w * h > MAX_IMAGE_PIXELS:
        raise DatasetError(f"the image is {w:,} × {h:,} pixels; at most {MAX_IMAGE_PIXELS:,} "
                           f"({int(MAX_IMAGE_PIXELS ** 0.5)} × {int(MAX_IMAGE_PIXELS ** 0.5)})")
    try:
        img.draft("L", (width, height))  # JPEG: decode straight at a reduced size
        small = img.convert("L").resize((width, height), Image.Resampling.LANCZOS)
    except Exception:  # noqa: BLE001 - likewise for malformed pixel data (OSError, SyntaxError, ...)
        raise unreadable from None
    pixels = np.asarray(small, dtype=np.float32) / 255.0
    return 1.0 - pixels if pixels.mean() > 0.5 else pixels
