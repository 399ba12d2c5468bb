"""A film of the training: the output (decision boundary, fit or confusion matrix) beside the loss
curve, recorded while a trainer trains, written as an animated GIF with Pillow.

    frames = record_film(Trainer(spec), epochs=200, n_frames=40)   # trains, recording as it goes
    gif = film_gif(frames, seconds=6.0)                            # bytes of an animated GIF

The film replays training from the spec's initial weights (the trainer is reproducible from
its seed), so it shows the run the playground shows after Reset and Play.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from playground.features import PLANE, grid_points
from playground.viz.colors import BLUE, DARK, ORANGE, class_colors, diverging_rgb, hex_to_rgb

if TYPE_CHECKING:
    from playground.train import Trainer

PANEL = 300              # the output panel's side, pixels
CURVE_WIDTH = 340        # the loss curve panel's width
RESOLUTION = 60          # grid points per side of the decision boundary
OPACITY = 0.65           # the output's colours over white, so the data points (full colour) stand out
BANDS = 16               # the output's colour steps (flat bands keep the GIF small: 1.6 MB -> about 0.4 MB)
MAX_FRAMES = 400
MAX_SECONDS = 60.0


@dataclass
class FilmFrame:
    """One recorded moment: the epoch, the curves so far, the output as an RGB image."""

    epoch: int
    train_loss: list[float]
    test_loss: list[float]
    output: np.ndarray        # (PANEL, PANEL, 3) uint8
    caption: str


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _smooth(grid: np.ndarray) -> np.ndarray:
    """A (RESOLUTION, RESOLUTION) grid (row 0 at y = -PLANE) as a (PANEL, PANEL) picture's values, top row up."""
    image = Image.fromarray(np.ascontiguousarray(grid[::-1], dtype=np.float32), "F")
    return np.asarray(image.resize((PANEL, PANEL), Image.BILINEAR))


def _bands(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values rounded to BANDS steps between lo and hi: contour-like bands, which GIF stores compactly."""
    step = (hi - lo) / BANDS
    return lo + np.round((values - lo) / step) * step


def _points_panel(trainer: "Trainer") -> np.ndarray:
    """The prediction over the plane with the training points: as the app's output view."""
    data = trainer.data
    _, _, points = grid_points(RESOLUTION)
    out = trainer.predict(data.inputs_for_points(points)).float().cpu()
    if data.task == "regression":
        vmax = float(np.abs(data.y_train).max()) or 1.0
        values = np.clip(_smooth(out[:, 0].numpy().reshape(RESOLUTION, RESOLUTION)), -vmax, vmax)
        rgb = diverging_rgb(_bands(values, -vmax, vmax), -vmax, vmax, OPACITY)
    elif data.n_outputs == 1:
        p1 = _smooth(trainer.probabilities(out)[:, 1].numpy().reshape(RESOLUTION, RESOLUTION))
        rgb = diverging_rgb(_bands(p1, 0.0, 1.0), 0.0, 1.0, OPACITY)
    else:
        probs = trainer.probabilities(out).numpy()
        colors = np.array([hex_to_rgb(c) for c in class_colors(data.n_classes)], float)
        winner = np.asarray(Image.fromarray(probs.argmax(1).reshape(RESOLUTION, RESOLUTION)[::-1].astype(np.uint8))
                            .resize((PANEL, PANEL), Image.NEAREST))
        sure = OPACITY * _bands(_smooth(probs.max(1).reshape(RESOLUTION, RESOLUTION)), 0.0, 1.0)[..., None]
        rgb = (colors[winner] * sure + 255.0 * (1 - sure)).astype(np.uint8)  # paler where the network is unsure
    image = Image.fromarray(np.ascontiguousarray(rgb))
    draw = ImageDraw.Draw(image)
    scale = PANEL / (2 * PLANE)
    for (x1, x2), y in zip(data.raw_train[:500], data.y_train[:500]):
        px, py = (x1 + PLANE) * scale, (PLANE - x2) * scale
        if data.task == "regression":
            fill = ORANGE if y < 0 else BLUE
        else:
            fill = class_colors(data.n_classes)[int(y)]
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=fill, outline="white")
    return np.asarray(image)


def _curve_panel(trainer: "Trainer") -> np.ndarray:
    """1-D regression: the data and the network's curve."""
    data = trainer.data
    x = np.linspace(-PLANE, PLANE, 200, dtype=np.float32)
    raw = np.stack([x, np.zeros_like(x)], 1)
    fit = trainer.predict(data.inputs_for_points(raw)).float().cpu().numpy()[:, 0]
    ymax = max(float(np.abs(data.y_train).max()), 1e-6) * 1.2
    image = Image.new("RGB", (PANEL, PANEL), "white")
    draw = ImageDraw.Draw(image)
    to_px = lambda a, b: ((a + PLANE) / (2 * PLANE) * PANEL, (ymax - b) / (2 * ymax) * PANEL)  # noqa: E731
    draw.line([to_px(-PLANE, 0), to_px(PLANE, 0)], fill="#cccccc")
    for a, b in zip(data.raw_train[:, 0], data.y_train):
        px, py = to_px(a, b)
        draw.ellipse((px - 2.5, py - 2.5, px + 2.5, py + 2.5), fill=ORANGE if b < 0 else BLUE)
    draw.line([to_px(a, float(np.clip(b, -ymax, ymax))) for a, b in zip(x, fit)], fill=DARK, width=3)
    return np.asarray(image)


def _image_panel(trainer: "Trainer") -> np.ndarray:
    """Images: the test set's confusion matrix (rows: true class, columns: predicted), white to blue."""
    data = trainer.data
    k = data.n_classes
    pred = trainer.predict(data.x_test).argmax(1).cpu().numpy() if data.n_outputs > 1 else \
        (trainer.predict(data.x_test)[:, 0] > 0).long().cpu().numpy()
    counts = np.zeros((k, k))
    np.add.at(counts, (data.y_test, pred), 1)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    blue = np.array(hex_to_rgb(BLUE), float)
    rgb = (255 * (1 - share[..., None]) + blue * share[..., None]).astype(np.uint8)
    image = Image.fromarray(rgb).resize((PANEL, PANEL), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    cell, font = PANEL / k, _font(max(9, int(PANEL / k / 3)))
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                draw.text(((j + 0.5) * cell, (i + 0.5) * cell), f"{int(counts[i, j])}", anchor="mm", font=font,
                          fill="white" if share[i, j] > 0.5 else DARK)
    return np.asarray(image)


def output_panel(trainer: "Trainer") -> np.ndarray:
    """The output picture of the trainer's current weights for its kind of data."""
    kind = trainer.data.kind
    return {"points": _points_panel, "curve": _curve_panel, "image": _image_panel}[kind](trainer)


def _caption(trainer: "Trainer") -> str:
    m = trainer.latest_metrics(fresh=False)
    text = f"epoch {trainer.epoch}   test loss {m['test_loss']:.4f}"
    if m.get("test_accuracy") is not None:
        text += f"   test accuracy {m['test_accuracy']:.1%}"
    return text


def record_film(trainer: "Trainer", epochs: int, n_frames: int = 40) -> list[FilmFrame]:
    """Train `epochs` more epochs, recording `n_frames` + 1 frames (the start included) spread over them."""
    n_frames = max(1, min(n_frames, epochs, MAX_FRAMES))
    marks = {round(epochs * i / n_frames) for i in range(1, n_frames + 1)}
    frames: list[FilmFrame] = []

    def capture() -> None:
        h = trainer.history.as_dict()
        frames.append(FilmFrame(trainer.epoch, list(h["train_loss"]), list(h["test_loss"]),
                                output_panel(trainer), _caption(trainer)))

    start = trainer.epoch
    capture()
    for epoch in range(1, epochs + 1):
        trainer.train_epochs(1)
        if trainer.diverged:
            capture()
            break
        if epoch in marks:
            capture()
    del start
    return frames


def _loss_panel(frame: FilmFrame, epochs: int, top: float) -> Image.Image:
    """The loss curves up to this frame (train solid, test lighter), on fixed axes for the whole film."""
    w, h, pad = CURVE_WIDTH, PANEL, 36
    image = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(image)
    font = _font(12)
    draw.line([(pad, 10), (pad, h - pad), (w - 10, h - pad)], fill="#999999")
    draw.text((pad - 4, 10), f"{top:.3g}", anchor="ra", font=font, fill=DARK)
    draw.text((pad - 4, h - pad), "0", anchor="rm", font=font, fill=DARK)
    draw.text((w - 10, h - pad + 6), f"epoch {epochs}", anchor="ra", font=font, fill=DARK)
    draw.text((pad + 6, h - 14), "loss: train (dark), test (light)", anchor="lm", font=font, fill=DARK)

    def line(values: list[float], color: str) -> None:
        n = len(values)
        pts = [(pad + (w - 10 - pad) * i / max(epochs, 1), h - pad - (h - pad - 10) * min(v, top) / top)
               for i, v in enumerate(values[:n]) if math.isfinite(v)]
        if len(pts) > 1:
            draw.line(pts, fill=color, width=2)

    line(frame.test_loss, "#f0a860")
    line(frame.train_loss, DARK)
    return image


def film_images(frames: list[FilmFrame]) -> list[Image.Image]:
    """Each frame as one picture: output left, loss curve right, caption below."""
    epochs = max(frames[-1].epoch, 1)
    finite = [v for f in frames for v in f.train_loss + f.test_loss if math.isfinite(v)]
    top = max(finite) * 1.05 if finite else 1.0
    font = _font(14)
    out = []
    for frame in frames:
        image = Image.new("RGB", (PANEL + CURVE_WIDTH, PANEL + 28), "white")
        image.paste(Image.fromarray(frame.output), (0, 0))
        image.paste(_loss_panel(frame, epochs, top), (PANEL, 0))
        ImageDraw.Draw(image).text((10, PANEL + 14), frame.caption, anchor="lm", font=font, fill=DARK)
        out.append(image)
    return out


def _palette(n_classes: int) -> Image.Image:
    """One palette for every frame: the output's colour bands, the classes' colours, greys for text.

    A palette per frame (median cut) gives the few pixels of the data points no colour of their
    own, and they came out white; a fixed one keeps them, and the frames compress alike.
    """
    levels = np.linspace(0.0, 1.0, BANDS + 1)[:, None]
    rgb = [diverging_rgb(levels[:, 0], 0.0, 1.0, OPACITY).astype(float)]
    for color in {*class_colors(n_classes), ORANGE, BLUE}:
        full = np.array(hex_to_rgb(color), float)
        rgb += [full[None], full * OPACITY * levels + 255.0 * (1 - OPACITY * levels)]
    dark = np.array(hex_to_rgb(DARK), float)
    rgb.append(dark * levels + 255.0 * (1 - levels))  # anti-aliased text and the confusion matrix's counts
    rgb.append(np.array([hex_to_rgb(c) for c in ("#999999", "#cccccc", "#f0a860")], float))
    table = np.unique(np.round(np.concatenate(rgb)).astype(np.uint8), axis=0)[:256]
    image = Image.new("P", (1, 1))
    image.putpalette(table.ravel().tolist() + [255] * (768 - 3 * len(table)))
    return image


def film_gif(frames: list[FilmFrame], seconds: float = 6.0, n_classes: int = 2) -> bytes:
    """An animated GIF lasting about `seconds` (the last frame held a little longer), looping."""
    images = film_images(frames)
    seconds = min(max(seconds, 0.5), MAX_SECONDS)
    per_frame = max(20, int(1000 * seconds / len(images)))   # GIF delays are in ms; 20 ms is the floor browsers honour
    durations = [per_frame] * len(images)
    durations[-1] = max(per_frame, 1500)
    table = _palette(n_classes)
    palette = [im.quantize(palette=table, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    palette[0].save(buffer, format="GIF", save_all=True, append_images=palette[1:], duration=durations,
                    loop=0, optimize=True)
    return buffer.getvalue()


def film_bytes(trainer: "Trainer", epochs: int, n_frames: int = 40, seconds: float = 6.0) -> bytes:
    """Record and encode in one go."""
    return film_gif(record_film(trainer, epochs, n_frames), seconds, max(trainer.data.n_classes, 2))
