"""Colour conventions shared by every view, plus NumPy → RGB → PNG helpers.

Follows TensorFlow Playground: negative / class 0 is orange, positive / class 1
is blue, zero is a near-white grey. More than two classes use plotly's D3 palette.
"""

from __future__ import annotations

import base64
import functools
import io

import numpy as np
from PIL import Image

ORANGE = "#f59322"  # negative values, class 0
BLUE = "#0877bd"  # positive values, class 1
WHITE = "#e8eaeb"  # zero; slightly grey so it still reads on a white page
DARK = "#2a2f35"  # outlines, curves, text accents
VANISHED = "#d62728"  # gradient flags
EXPLODED = "#9467bd"

# plotly's D3 palette (plotly.colors.qualitative.D3), copied so this module is
# cheap to import and stable across plotly versions.
QUALITATIVE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]

# Orange → near-white → blue; 0.5 of the scale is the neutral point.
DIVERGING: list[list] = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]

# Black → white for raw image data (MNIST-style: 0 = background, 1 = ink).
GRAY: list[list] = [[0.0, "#000000"], [1.0, "#ffffff"]]


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' → (r, g, b) ints."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def mix(color: str, other: str = "#ffffff", t: float = 0.5) -> str:
    """Blend two hex colours; t=0 gives `color`, t=1 gives `other`."""
    a = np.array(hex_to_rgb(color), float)
    b = np.array(hex_to_rgb(other), float)
    r, g, bl = np.round(a + (b - a) * t).astype(int)
    return f"#{r:02x}{g:02x}{bl:02x}"


def class_colors(n_classes: int) -> list[str]:
    """Colours for classes 0..n-1: orange/blue for ≤2 classes, else D3 (cycled)."""
    if n_classes <= 2:
        return [ORANGE, BLUE]
    return [QUALITATIVE[i % len(QUALITATIVE)] for i in range(n_classes)]


# Anchor colours of DIVERGING as a (3, 3) float array, for vectorised interpolation.
_ANCHORS = np.array([hex_to_rgb(ORANGE), hex_to_rgb(WHITE), hex_to_rgb(BLUE)], float)


def to_rgb_image(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Map a (h, w) array through the orange–white–blue scale to (h, w, 3) uint8.

    vmin → orange, the range midpoint → near white, vmax → blue (pass a range
    symmetric about 0 for signed data). Values are clipped; NaN becomes white.
    """
    v = np.asarray(values, dtype=float)
    span = float(vmax) - float(vmin)
    if not np.isfinite(span) or span <= 0:
        t = np.full(v.shape, 0.5)  # degenerate range: everything is "neutral"
    else:
        t = (v - float(vmin)) / span
    t = np.where(np.isfinite(t), np.clip(t, 0.0, 1.0), 0.5)
    pos = t * 2.0  # 0..2 across the three anchors
    lo = np.minimum(pos.astype(int), 1)  # segment index 0 or 1
    frac = (pos - lo)[..., None]
    rgb = _ANCHORS[lo] * (1.0 - frac) + _ANCHORS[lo + 1] * frac
    return np.round(rgb).astype(np.uint8)


_LUT_SIZE = 2048  # steps of the diverging lookup table (< 0.25 of an RGB unit apart)


@functools.lru_cache(maxsize=8)
def _diverging_lut(opacity: float) -> np.ndarray:
    """(_LUT_SIZE, 3) uint8: the diverging scale over [0, 1], laid over white at `opacity`."""
    t = np.linspace(0.0, 1.0, _LUT_SIZE)[None, :]
    rgb = to_rgb_image(t, 0.0, 1.0)[0].astype(float)
    return np.round(rgb * opacity + 255.0 * (1.0 - opacity)).astype(np.uint8)


def diverging_rgb(values: np.ndarray, vmin: float, vmax: float, opacity: float = 1.0) -> np.ndarray:
    """Like `to_rgb_image`, through a lookup table (several times faster on big images),
    optionally as seen at `opacity` over a white background. Non-finite values become neutral."""
    v = np.asarray(values)
    if v.dtype.kind != "f":
        v = v.astype(float)
    lut = _diverging_lut(round(float(opacity), 4))
    span = float(vmax) - float(vmin)
    if not np.isfinite(span) or span <= 0:
        return np.broadcast_to(lut[_LUT_SIZE // 2], v.shape + (3,)).copy()
    scale = (_LUT_SIZE - 1) / span
    with np.errstate(over="ignore", invalid="ignore"):
        t = v * v.dtype.type(scale)  # LUT position + 0.5, so that truncation rounds
        t += v.dtype.type(0.5 - float(vmin) * scale)
    # Huge values that overflowed: clip them below; NaN / ±inf inputs → neutral.
    np.nan_to_num(t, copy=False, nan=0.0, posinf=_LUT_SIZE - 1, neginf=0.0)
    np.clip(t, 0, _LUT_SIZE - 1, out=t)
    idx = t.astype(np.int32)
    bad = ~np.isfinite(v)
    if bad.any():
        idx[bad] = _LUT_SIZE // 2
    return lut.take(idx, axis=0)


def png_data_uri(rgb: np.ndarray) -> str:
    """Encode an (h, w, 3) or (h, w, 4) uint8 array as a 'data:image/png;base64,…' URI."""
    arr = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    buf = io.BytesIO()
    # compress_level 1: these images are tiny and encoded on every live refresh.
    Image.fromarray(arr).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def jpeg_data_uri(rgb: np.ndarray, quality: int = 95) -> str:
    """Encode an (h, w, 3) uint8 array as a 'data:image/jpeg;base64,…' URI.

    For smooth, opaque pictures (interpolated maps): ~10× faster to encode than PNG and a
    quarter of the size, with errors of a couple of RGB units (no chroma subsampling).
    """
    arr = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality, subsampling=0)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
