"""What the image (CNN) views show about one image: feature maps, dense activations, attributions.

Everything here runs on the trainer's real model, in eval mode, and hands back plain NumPy
arrays, so the result can cross the worker-process pipe (`LiveRunner.call`) and be drawn by
`playground.viz.images` without touching torch. Attributions come from Captum (saliency,
integrated gradients, Grad-CAM); they differentiate with respect to the *input* only, and the
model's mode, parameters, buffers and parameter `.grad` are left exactly as found, because the
same model is being trained between frames.

    result = inspect_image(trainer, index=3)          # a test image
    result = inspect_image(trainer, image=drawing)    # a user's (H, W) drawing in [0, 1]
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from playground.model import ConvBlock, DenseBlock
from playground.probes import capture_activations
from playground.frame import ImageFrame, ImageInspection  # noqa: F401 - torch-free payloads the app unpickles

METHODS = ("saliency", "integrated_gradients", "grad_cam")
# The image integrated gradients start from (Sundararajan et al. 2017: "the absence of the
# signal"); the choice changes the attribution, which is the point of offering it.
BASELINES = ("black", "mean", "blurred", "noise")
POOL_TYPES = (nn.MaxPool2d, nn.AvgPool2d)


def normalise_image(data, image: np.ndarray) -> np.ndarray:
    """A raw (H, W) image in [0, 1] as the model's (1, H, W) input, normalised like the data set."""
    img = np.asarray(image, dtype=np.float32)
    shape = tuple(data.input_shape)  # (1, H, W)
    if img.size != int(np.prod(shape)):
        raise ValueError(f"the image has shape {img.shape}, but the model takes {shape[-2]}×{shape[-1]} images")
    if not np.all(np.isfinite(img)) or img.min() < -1e-6 or img.max() > 1 + 1e-6:
        # A 0..255 image would silently saturate after normalisation; refuse it instead.
        raise ValueError(f"image pixels must be in [0, 1], got [{img.min():.3g}, {img.max():.3g}]")
    # Same arithmetic as playground.data._build (float32 minus Python floats), so a test image
    # passed in raw comes out bit-identical to the data set's own x_test row.
    return ((img.reshape(shape) - data.mean) / data.std).astype(np.float32)


def conv_layer_names(model: nn.Module) -> list[str]:
    """Names of the model's conv blocks, input side first."""
    return [name for name, block in model.named_children() if isinstance(block, ConvBlock)]


def layer_filters(model: nn.Module, layer_name: str) -> np.ndarray:
    """The conv weights of one conv block, (out, in, k, k)."""
    block = dict(model.named_children()).get(layer_name)
    if not isinstance(block, ConvBlock):
        names = ", ".join(conv_layer_names(model)) or "none"
        raise ValueError(f"{layer_name!r} is not a conv layer; conv layers: {names}")
    return block.conv.weight.detach().cpu().numpy().copy()


def ig_baseline(data, x: torch.Tensor, kind: str = "black") -> torch.Tensor:
    """The baseline image for integrated gradients, in the model's (normalised) input space.

    black: all-zero pixels; mean: the average training image; blurred: x under a 5×5 box blur
    (keeps the colours, removes the edges); noise: uniform pixels in [0, 1] (seeded).
    """
    if kind == "black":
        return torch.full_like(x, (0.0 - data.mean) / data.std)
    if kind == "mean":
        return torch.as_tensor(np.asarray(data.x_train).mean(axis=0), dtype=x.dtype, device=x.device).reshape(x.shape)
    if kind == "blurred":
        return torch.nn.functional.avg_pool2d(x, 5, stride=1, padding=2, count_include_pad=False)
    if kind == "noise":
        raw = torch.rand(x.shape, generator=torch.Generator().manual_seed(0)).to(x.device, x.dtype)
        return (raw - data.mean) / data.std
    raise ValueError(f"unknown baseline {kind!r}; choose one of {', '.join(BASELINES)}")


def inspect_image(trainer, index: int | None = None, image: np.ndarray | None = None, target: int | None = None,
                  methods: tuple[str, ...] = METHODS, ig_steps: int = 32, baseline: str = "black") -> ImageInspection:
    """Feature maps, dense activations, probabilities and attributions of one image.

    `baseline` is where integrated gradients start: one of BASELINES (see ig_baseline).
    """
    start = time.perf_counter()
    model, data, device = trainer.model, trainer.data, trainer.device
    if data.kind != "image" or data.task != "classification":
        raise ValueError(f"image inspection needs an image classification set; {data.name!r} is {data.kind}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown attribution method(s) {unknown}; choose from {', '.join(METHODS)}")
    if (index is None) == (image is None):
        raise ValueError("pass exactly one of `index` (a test image) or `image` (an (H, W) array)")
    if baseline not in BASELINES:
        raise ValueError(f"unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}")
    if image is not None:
        x_np, raw, label, index = normalise_image(data, image), np.asarray(image, dtype=np.float32), None, -1
    else:
        n_test = len(data.x_test)
        if not -n_test <= index < n_test:
            raise IndexError(f"test image {index} does not exist; the test set has {n_test} images")
        index = index % n_test
        x_np, raw, label = data.x_test[index], data.raw_test[index], int(data.y_test[index])
    height, width = data.input_shape[-2:]
    raw = np.array(raw, dtype=np.float32).reshape(height, width)  # a copy: the views may mutate it
    x = torch.as_tensor(x_np, device=device).reshape(1, *data.input_shape).clone()  # (1, 1, H, W)
    n_outputs = _n_outputs(model)

    params = list(model.parameters())
    saved_grads = [(p.grad, None if p.grad is None else p.grad.detach().clone()) for p in params]
    was_training = model.training
    timings: dict[str, float] = {}
    model.eval()
    try:
        # 1. One forward pass with hooks: feature maps, dense activations and the output.
        t0 = time.perf_counter()
        probed = {name: block for name, block in model.named_children()
                  if isinstance(block, ConvBlock) or isinstance(block, POOL_TYPES)}
        dense = {name: block.act for name, block in model.named_children()
                 if isinstance(block, DenseBlock) and name != "output"}
        with torch.inference_mode(), capture_activations({**probed, **dense}) as acts:
            logits = model(x)  # (1, n_outputs)
        feature_maps = {name: acts[name][0].cpu().numpy() for name in probed}      # (C, h, w) each
        dense_acts = {name: acts[name][0].cpu().numpy() for name in dense}         # (units,) each
        probs = _probabilities(logits)[0].cpu().numpy()
        predicted = int(logits[0, 0] > 0) if n_outputs == 1 else int(probs.argmax())
        timings["forward"] = time.perf_counter() - t0

        n_classes = len(probs)
        attribution_target = predicted if target is None else int(target)
        if not 0 <= attribution_target < n_classes:
            raise ValueError(f"target class {attribution_target} does not exist; there are {n_classes} classes")
        forward, captum_target = _forward_for(model, n_outputs, attribution_target)

        # 2. Attributions. inference_mode(False) + enable_grad so they work even if the caller
        #    is inside a no-grad block; Captum differentiates w.r.t. the input only.
        attributions: dict[str, np.ndarray] = {}
        ig_delta = float("nan")
        last_conv = conv_layer_names(model)[-1:]
        with torch.inference_mode(False), torch.enable_grad():
            if "saliency" in methods:
                t0 = time.perf_counter()
                attributions["saliency"] = _saliency(forward, x, captum_target)
                timings["saliency"] = time.perf_counter() - t0
            if "integrated_gradients" in methods:
                t0 = time.perf_counter()
                attributions["integrated_gradients"], ig_delta = _integrated_gradients(
                    forward, x, ig_baseline(data, x, baseline), captum_target, ig_steps)
                timings["integrated_gradients"] = time.perf_counter() - t0
            if "grad_cam" in methods and last_conv:
                t0 = time.perf_counter()
                layer = getattr(model, last_conv[0])
                attributions["grad_cam"] = _grad_cam(forward, layer, x, captum_target, (height, width))
                timings["grad_cam"] = time.perf_counter() - t0
    finally:
        model.train(was_training)
        _restore_grads(params, saved_grads)
    return ImageInspection(index, raw, label, probs, predicted, feature_maps, dense_acts, attributions,
                           attribution_target, time.perf_counter() - start, ig_delta, timings)


def _n_outputs(model: nn.Module) -> int:
    """Width of the output layer (the model's, not the data's: they agree for a real trainer)."""
    return model.output.out_features


def _probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(n, k) class probabilities; a single logit is P(class 1), as Trainer.probabilities does."""
    if logits.shape[1] == 1:
        p1 = torch.sigmoid(logits[:, 0])
        return torch.stack([1 - p1, p1], dim=1)
    return torch.softmax(logits, dim=1)


def _forward_for(model: nn.Module, n_outputs: int, target: int) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """The function Captum attributes and its target index.

    k logits: the model itself and the class. One logit (binary): the logit explains class 1,
    so class 0 is explained by the negated logit; both use output index 0.
    """
    if n_outputs > 1:
        return model, target
    sign = 1.0 if target == 1 else -1.0
    return (lambda inputs: model(inputs) * sign), 0


def _saliency(forward, x: torch.Tensor, target: int) -> np.ndarray:
    """|∂F/∂x|, max over input channels (Simonyan et al.), (H, W)."""
    from captum.attr import Saliency  # lazy: importing captum.attr costs ~0.4 s

    attr = Saliency(forward).attribute(x.clone().requires_grad_(), target=target, abs=True)  # (1, C, H, W)
    return attr[0].amax(dim=0).detach().cpu().numpy()


def _integrated_gradients(forward, x: torch.Tensor, baseline: torch.Tensor, target: int,
                          steps: int) -> tuple[np.ndarray, float]:
    """IG from `baseline` to x, summed over channels (keeps completeness), and Captum's delta."""
    from captum.attr import IntegratedGradients

    # internal_batch_size=None runs all `steps` interpolations as one batch: the fastest way
    # for these small models (one forward and one backward instead of `steps` of each).
    attr, delta = IntegratedGradients(forward).attribute(
        x.clone().requires_grad_(), baselines=baseline, target=target, n_steps=steps, method="gausslegendre",
        internal_batch_size=None, return_convergence_delta=True)  # attr: (1, C, H, W)
    return attr[0].sum(dim=0).detach().cpu().numpy(), float(delta.reshape(-1)[0])


def _grad_cam(forward, layer: nn.Module, x: torch.Tensor, target: int, size: tuple[int, int]) -> np.ndarray:
    """Grad-CAM on `layer`'s output, ReLU-ed, bilinearly upsampled to the input's (H, W)."""
    from captum.attr import LayerAttribution, LayerGradCam

    cam = LayerGradCam(forward, layer).attribute(x.clone().requires_grad_(), target=target,
                                                 relu_attributions=True)  # (1, 1, h, w) at the layer's size
    up = LayerAttribution.interpolate(cam.detach(), size, interpolate_mode="bilinear")  # (1, 1, H, W)
    # Bilinear weights are convex, so the map stays ≥ 0; the clamp only removes -0.0 / rounding.
    return up[0, 0].clamp_min(0).cpu().numpy()


def _restore_grads(params: list[nn.Parameter], saved: list[tuple[torch.Tensor | None, torch.Tensor | None]]) -> None:
    """Put every parameter's .grad back: the same tensor object holding the same values."""
    with torch.no_grad():
        for p, (grad, values) in zip(params, saved):
            if grad is None:
                p.grad = None
                continue
            if p.grad is not grad:
                p.grad = grad
            if not torch.equal(grad, values):
                grad.copy_(values)


# -- whole-test-set views -------------------------------------------------------------

def _test_predictions(trainer, max_samples: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities (n, k), predicted (n,), labels (n,)) for the first max_samples test images."""
    data = trainer.data
    n = len(data.x_test) if max_samples is None else min(max_samples, len(data.x_test))
    logits = trainer.predict(trainer._x_test[:n])  # eval mode, chunked, restores the mode
    probs = trainer.probabilities(logits).cpu().numpy()
    pred = (logits[:, 0] > 0).long().cpu().numpy() if logits.shape[1] == 1 else logits.argmax(1).cpu().numpy()
    return probs, pred, np.asarray(data.y_test[:n], dtype=np.int64)


def confusion_matrix(trainer, max_samples: int = 5000) -> np.ndarray:
    """(k, k) counts on the test set: rows are the true class, columns the predicted one."""
    k = trainer.data.n_classes
    _, pred, y = _test_predictions(trainer, max_samples)
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)


def confident_mistakes(trainer, k: int = 12) -> list[dict]:
    """The k misclassified test images the model was surest of, most confident first."""
    probs, pred, y = _test_predictions(trainer)
    confidence = probs[np.arange(len(pred)), pred]
    wrong = np.flatnonzero(pred != y)
    # Stable sort on -confidence: ties keep test-set order, so the gallery does not flicker.
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    raw = trainer.data.raw_test
    return [{"index": int(i), "image": np.array(raw[i]).reshape(raw.shape[-2:]), "label": int(y[i]),
             "predicted": int(pred[i]), "confidence": float(confidence[i])} for i in order]


# Training images for the live activation statistics and ∂L/∂a: one forward and one backward
# pass on 128 28×28 images costs ~13 ms here, less than the forward-only pass on 256 it replaced
# (~20 ms), and a conv channel still has 128·h·w values to be dead or alive on.
STATS_SAMPLE = 128


def image_frame(trainer, index: int = 0, image: np.ndarray | None = None, target: int | None = None,
                panels: tuple[str, ...] = ("inspect",), ig_steps: int = 64) -> ImageFrame:
    """The image views' part of one frame; `panels` picks the costly parts."""
    inspection = None
    if "inspect" in panels or "attribution" in panels:
        methods = METHODS if "attribution" in panels else ()
        if image is not None:
            inspection = inspect_image(trainer, image=image, target=target, methods=methods, ig_steps=ig_steps)
        elif len(trainer.data.x_test):
            inspection = inspect_image(trainer, index=min(index, len(trainer.data.x_test) - 1), target=target,
                                       methods=methods, ig_steps=ig_steps)
    model = trainer.model
    filters = {name: layer_filters(model, name) for name in conv_layer_names(model)} if "filters" in panels else {}
    confusion = confusion_matrix(trainer) if "confusion" in panels else None
    mistakes = confident_mistakes(trainer) if "confusion" in panels else []
    return ImageFrame(inspection, filters, confusion, mistakes)


def input_sensitivity(trainer, resolution: int = 50, eps: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saliency on the 2-D plane: (xs, ys, |∂ŷ/∂(x₁, x₂)|₂ at each grid point, (res, res)).

    ŷ is what the output map shows (P(class 1), the regression value, or the top class's
    probability). The derivative is with respect to the raw point, through whatever features
    the network sees, by central differences (the features are NumPy formulas, so autograd
    cannot reach through them).
    """
    from playground.features import grid_points

    data = trainer.data
    if data.kind == "image":
        raise ValueError("input sensitivity on the plane needs a 2-D set; for images use the attributions")
    xs, ys, points = grid_points(resolution)

    def shown(p: np.ndarray) -> torch.Tensor:
        out = trainer.predict(data.inputs_for_points(p))
        if data.task == "regression":
            return out[:, 0].double()
        if data.n_outputs == 1:
            return torch.sigmoid(out[:, 0]).double()
        return torch.softmax(out, dim=1).max(dim=1).values.double()

    partials = []
    for axis in range(2):
        step = np.zeros(2, dtype=np.float32)
        step[axis] = eps
        partials.append((shown(points + step) - shown(points - step)) / (2 * eps))
    grad = torch.stack(partials, dim=1)
    return xs, ys, grad.norm(dim=1).reshape(resolution, resolution).cpu().numpy()


def initial_model(trainer) -> nn.Module:
    """The trainer's network with its initial weights (rebuilt from the seed; the trainer is untouched)."""
    from playground.model import build_model

    spec, data = trainer.spec, trainer.data
    return build_model(spec.layers, data.input_shape, data.n_outputs, spec.init, seed=spec.seed).to(trainer.device)


def top_activating_images(trainer, layer_name: str, channel: int, k: int = 8,
                          max_samples: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The test images that excite one conv channel most: (indices, mean activations, raw images (k, H, W)).

    A channel's excitation is its feature map's mean over positions (Zeiler & Fergus 2014 show
    the top patches; the whole image is enough to see which class or stroke a unit likes).
    """
    model, data = trainer.model, trainer.data
    block = dict(model.named_children()).get(layer_name)
    if not isinstance(block, ConvBlock):
        raise ValueError(f"{layer_name!r} is not a conv layer; conv layers: {', '.join(conv_layer_names(model))}")
    if not 0 <= channel < block.conv.out_channels:
        raise IndexError(f"{layer_name} has {block.conv.out_channels} channels; {channel} does not exist")
    x = torch.as_tensor(data.x_test[:max_samples], device=trainer.device)
    was_training = model.training
    model.eval()
    parts = []
    try:
        with torch.inference_mode(), capture_activations({layer_name: block}) as acts:
            for chunk in x.split(512):
                model(chunk)
                parts.append(acts[layer_name][:, channel].mean(dim=(1, 2)))  # (chunk,)
    finally:
        model.train(was_training)
    scores = torch.cat(parts).cpu().numpy()
    order = np.argsort(-scores)[:k]
    height, width = data.input_shape[-2:]
    images = np.asarray(data.raw_test)[order].reshape(len(order), height, width)
    return order, scores[order], images
