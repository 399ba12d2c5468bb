"""Procedural 28x28 images of simple shapes, drawn with signed distance functions in numpy.

Each image holds one shape with random centre, size, rotation and stroke; half
are filled and half are outlines, so a model has to learn the shape rather than
the amount of ink. Edges are anti-aliased over about one pixel: a pixel's value
is clip(0.5 - d, 0, 1) where d is its signed distance (in pixels) to the edge.
"""

from __future__ import annotations

import numpy as np

from .base import add_pixel_noise, checked

SHAPE_NAMES = ("circle", "square", "triangle", "cross")
IMAGE_SIZE = 28
SIZE_RANGE = (6.5, 11.0)  # circumradius in pixels
STROKE_RANGE = (1.5, 2.5)  # outline width in pixels
CROSS_HALF_WIDTH = 0.3  # bar half-width as a fraction of the circumradius
CHUNK = 1024  # images per numpy pass, so 20k images stay within a few hundred MB

_SQRT3 = np.sqrt(3.0)


def _sd_box(u: np.ndarray, v: np.ndarray, bu: np.ndarray, bv: np.ndarray) -> np.ndarray:
    """Signed distance to an axis-aligned rectangle with half-sizes (bu, bv)."""
    qu, qv = np.abs(u) - bu, np.abs(v) - bv
    outside = np.hypot(np.maximum(qu, 0), np.maximum(qv, 0))
    return outside + np.minimum(np.maximum(qu, qv), 0)


def _sd_triangle(u: np.ndarray, v: np.ndarray, half_side: np.ndarray) -> np.ndarray:
    """Signed distance to an equilateral triangle centred on its centroid (after Inigo Quilez)."""
    r = half_side
    pu = np.abs(u) - r
    pv = v + r / _SQRT3
    # fold the point into the half-plane next to the nearest edge
    fold = pu + _SQRT3 * pv > 0
    pu, pv = np.where(fold, (pu - _SQRT3 * pv) / 2, pu), np.where(fold, (-_SQRT3 * pu - pv) / 2, pv)
    pu = pu - np.clip(pu, -2 * r, 0)
    return -np.hypot(pu, pv) * np.sign(pv)


def shape_distance(label: np.ndarray, u: np.ndarray, v: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Signed distance of local coordinates (u, v) to the shape of each image; size is the circumradius."""
    d = np.empty_like(u)
    for k, name in enumerate(SHAPE_NAMES):
        m = label == k
        if not m.any():
            continue
        uk, vk, s = u[m], v[m], size[m]
        if name == "circle":
            d[m] = np.hypot(uk, vk) - s
        elif name == "square":
            b = s / np.sqrt(2.0)
            d[m] = _sd_box(uk, vk, b, b)
        elif name == "triangle":
            d[m] = _sd_triangle(uk, vk, s * _SQRT3 / 2)
        else:  # cross: union of two bars; min() of the two distances is exact outside, close enough inside
            w = s * CROSS_HALF_WIDTH
            arm = np.sqrt(s**2 - w**2)
            d[m] = np.minimum(_sd_box(uk, vk, arm, w), _sd_box(uk, vk, w, arm))
    return d


def render_shapes(
    label: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    size: np.ndarray,
    angle: np.ndarray,
    stroke: np.ndarray,
    filled: np.ndarray,
) -> np.ndarray:
    """Draw one shape per image from its parameters; returns float32 (n, 28, 28) in [0, 1]."""
    n = len(label)
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    grid = np.arange(IMAGE_SIZE, dtype=np.float32)
    for start in range(0, n, CHUNK):
        sl = slice(start, start + CHUNK)
        col = lambda a: np.asarray(a[sl], dtype=np.float32)[:, None, None]  # noqa: E731
        dx = grid[None, None, :] - col(cx)
        dy = grid[None, :, None] - col(cy)
        c, s = np.cos(col(angle)), np.sin(col(angle))
        # rotate the pixel grid by -angle instead of rotating the shape
        u, v = c * dx + s * dy, c * dy - s * dx
        d = shape_distance(np.asarray(label[sl]), u, v, np.broadcast_to(col(size), u.shape))
        d = np.where(col(filled) > 0, d, np.abs(d) - col(stroke) / 2)
        out[sl] = np.clip(0.5 - d, 0.0, 1.0)
    return out


@checked
def shapes(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Balanced, shuffled images of circles, squares, triangles and crosses, float32 (n, 1, 28, 28)."""
    k = len(SHAPE_NAMES)
    label = rng.permutation(np.arange(n) % k).astype(np.int64)
    size = rng.uniform(*SIZE_RANGE, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    stroke = rng.uniform(*STROKE_RANGE, n)
    filled = rng.random(n) < 0.5
    # keep the whole shape, its stroke and the anti-aliasing ramp inside the frame
    margin = size + stroke / 2 + 0.5
    cx = margin + rng.random(n) * (IMAGE_SIZE - 1 - 2 * margin)
    cy = margin + rng.random(n) * (IMAGE_SIZE - 1 - 2 * margin)
    images = render_shapes(label, cx, cy, size, angle, stroke, filled)
    images = add_pixel_noise(images, noise, rng)
    return images[:, None], label
