"""Tiny PNG data-URI icons rasterised with NumPy/Pillow (no plotly): dataset picker
icons like TensorFlow Playground's, and neuron / feature-map thumbnails.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ._common import finite_abs_max
from .colors import class_colors, hex_to_rgb, png_data_uri, to_rgb_image

_SUPERSAMPLE = 3  # draw at 3× then downsample: cheap anti-aliasing


def _disk_offsets(radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer (dy, dx) offsets of a filled disk, each shape (m,)."""
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dy**2 + dx**2 <= radius**2 + 1e-9
    return dy[keep], dx[keep]


def dataset_thumbnail(
    X: np.ndarray, y: np.ndarray, task: str, n_classes: int, size: int = 64
) -> str:
    """PNG data URI (size×size, transparent background) of the points coloured by class/target.

    1-D sets (x2 constant, e.g. curve-fitting data) are drawn as y against x1 instead,
    which shows the curve rather than a flat line of dots.
    """
    X = np.asarray(X, dtype=float).reshape(len(X), -1)[:, :2]  # (n, 2)
    y = np.asarray(y, dtype=float).reshape(-1)  # (n,)
    if X.shape[1] == 1 or (len(X) and np.ptp(X[:, 1]) == 0 and task != "classification"):
        # Curve icon: x1 across, target up, each axis scaled to fill the square.
        t = finite_abs_max(y)
        X = np.stack([X[:, 0], y / t * finite_abs_max(X[:, 0])], axis=1)
    big = size * _SUPERSAMPLE
    canvas = np.zeros((big, big, 4), dtype=np.uint8)  # RGBA, transparent
    ok = np.all(np.isfinite(X), axis=1) & np.isfinite(y)
    X, y = X[ok], y[ok]
    if len(X):
        # Symmetric extent about the origin, like the playground's fixed [-6, 6] view.
        ext = finite_abs_max(X, default=1.0) * 1.08
        px = ((X[:, 0] + ext) / (2 * ext) * (big - 1)).round().astype(int)
        py = ((ext - X[:, 1]) / (2 * ext) * (big - 1)).round().astype(int)  # image rows go down
        if task == "classification":
            palette = np.array([hex_to_rgb(c) for c in class_colors(n_classes)], np.uint8)
            rgb = palette[np.clip(y.astype(int), 0, len(palette) - 1) % len(palette)]  # (n, 3)
        else:
            v = finite_abs_max(y)
            rgb = to_rgb_image(y[None, :], -v, v)[0]  # (n, 3)
        # Dot radius shrinks a little for crowded datasets so clusters stay legible.
        radius = _SUPERSAMPLE * (1.6 if len(X) <= 400 else 1.2) * size / 64
        dy, dx = _disk_offsets(radius)
        ry = np.clip(py[:, None] + dy[None, :], 0, big - 1)  # (n, m)
        rx = np.clip(px[:, None] + dx[None, :], 0, big - 1)
        canvas[ry, rx, :3] = rgb[:, None, :]
        canvas[ry, rx, 3] = 255
    # Premultiplied alpha ("RGBa") so transparent pixels don't bleed black when resampling.
    img = Image.fromarray(canvas).convert("RGBa").resize((size, size), Image.Resampling.BOX)
    return png_data_uri(np.asarray(img.convert("RGBA")))


def map_rgb(z: np.ndarray, vmax: float | None = None, origin: str = "lower") -> np.ndarray:
    """(h, w) map → (h, w, 3) uint8 image on the diverging scale over [-vmax, vmax].

    origin="lower": z uses the input-grid convention (row 0 = lowest x2), so it is
    flipped to put x2 up; origin="upper": z is already image-ordered (CNN feature maps).
    vmax None → the map's own max |value|.
    """
    z = np.asarray(z, dtype=float)
    v = float(vmax) if vmax is not None and vmax > 0 else finite_abs_max(z)
    return to_rgb_image(np.flipud(z) if origin == "lower" else z, -v, v)


def map_thumbnail(
    z: np.ndarray, vmax: float | None = None, size: int = 48, origin: str = "lower"
) -> str:
    """PNG data URI (size×size) of a neuron / feature map on the diverging scale."""
    img = Image.fromarray(map_rgb(z, vmax, origin)).resize((size, size), Image.Resampling.BILINEAR)
    return png_data_uri(np.asarray(img))


def sequence_thumbnail(X: np.ndarray, n_tokens: int, size: int = 64) -> str:
    """PNG data URI of a few sequences: tokens as coloured cells (one row per sequence), or
    values as lines (each feature of the first sequences, e.g. a series or the adding pairs)."""
    X = np.asarray(X)
    if n_tokens:
        colours = np.array([hex_to_rgb(c) for c in class_colors(max(2, n_tokens))], dtype=np.uint8)
        cells = colours[X % len(colours)]                       # (rows, T, 3)
        img = np.kron(cells, np.ones((size // len(X), size // X.shape[1], 1), dtype=np.uint8))
    else:
        img = np.full((size, size, 3), 255, dtype=np.uint8)
        rows = min(4, len(X))
        for r in range(rows):
            series = X[r, :, 0].astype(float)
            lo, hi = series.min(), series.max()
            ys = ((1 - (series - lo) / ((hi - lo) or 1)) * (size / rows - 3)).astype(int) + r * size // rows + 1
            xs = np.linspace(0, size - 1, len(series)).astype(int)
            for x0, x1, y0, y1 in zip(xs[:-1], xs[1:], ys[:-1], ys[1:]):
                n = max(abs(x1 - x0), abs(y1 - y0), 1) + 1
                img[np.linspace(y0, y1, n).astype(int), np.linspace(x0, x1, n).astype(int)] = hex_to_rgb("#0877bd")
    return png_data_uri(img)
