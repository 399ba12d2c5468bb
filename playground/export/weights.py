"""Trained weights as safetensors (never pickle), with the experiment's spec in the file's metadata.

    data = weights_bytes(trainer.model, trainer.spec)      # what "Export weights" downloads
    spec, tensors = read_weights(data)                      # WeightsError if not a weights file
    load_into(trainer.model, tensors)                       # WeightsError naming the layer that does not fit

A file is only ever parsed as tensors and JSON: loading one cannot run code.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn

    from playground.spec import Spec

SPEC_KEY = "playground_spec"   # the metadata entry that holds the spec JSON


class WeightsError(ValueError):
    """A weights file that cannot be read, or whose tensors do not fit the network; the message says which."""


def weights_bytes(model: "nn.Module", spec: "Spec") -> bytes:
    """The model's state dict (batch norm's running statistics included) as safetensors bytes."""
    from safetensors.torch import save

    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    return save(state, metadata={SPEC_KEY: spec.to_json(indent=None), "format": "pt"})


def _metadata(data: bytes) -> dict[str, str]:
    """The file's metadata, read from its JSON header (8 bytes of length, then the header); no torch."""
    import json
    import struct

    try:
        (length,) = struct.unpack("<Q", bytes(data[:8]))
        if length > len(data) - 8:
            raise ValueError("the header is longer than the file")
        header = json.loads(bytes(data[8:8 + length]))
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise WeightsError(f"not a safetensors weights file ({exc})") from None
    if not isinstance(header, dict):
        raise WeightsError("not a safetensors weights file (its header is not a JSON object)")
    return header.get("__metadata__") or {}


def read_spec(data: bytes) -> "Spec | None":
    """The spec in a weights file's metadata (None if it has none); WeightsError if unreadable. No torch."""
    from playground.spec import Spec, SpecError

    text = _metadata(data).get(SPEC_KEY)
    if text is None:
        return None
    try:
        return Spec.from_json(text)
    except SpecError as exc:
        raise WeightsError(f"the config in the file's metadata is not valid: {exc}") from None


def read_weights(data: bytes) -> tuple["Spec | None", dict[str, "torch.Tensor"]]:
    """(spec from the metadata or None if it has none, tensors by state-dict key)."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    spec = read_spec(data)
    try:
        return spec, load(bytes(data))
    except (SafetensorError, ValueError) as exc:
        raise WeightsError(f"not a safetensors weights file ({exc})") from None


def fit_problem(model: "nn.Module", tensors: dict[str, "torch.Tensor"]) -> str | None:
    """Why `tensors` do not fit `model` (naming the layer), or None if they do."""
    expected = model.state_dict()
    layer = lambda key: key.split(".", 1)[0]  # noqa: E731 (the layer is the key's first part)
    for key, want in expected.items():
        got = tensors.get(key)
        if got is None:
            return f"layer {layer(key)}: the file has no tensor {key!r}"
        if tuple(got.shape) != tuple(want.shape):
            return (f"layer {layer(key)}: {key} has shape {tuple(got.shape)} in the file, but this network's "
                    f"is {tuple(want.shape)}")
        if got.dtype.is_floating_point != want.dtype.is_floating_point:
            return f"layer {layer(key)}: {key} is {got.dtype} in the file, the network's is {want.dtype}"
    extra = [key for key in tensors if key not in expected]
    if extra:
        return f"layer {layer(extra[0])}: the file has a tensor {extra[0]!r} this network does not have"
    return None


def load_into(model: "nn.Module", tensors: dict[str, "torch.Tensor"]) -> None:
    """Copy `tensors` into the model's parameters and buffers; WeightsError (nothing changed) if they do not fit."""
    problem = fit_problem(model, tensors)
    if problem is not None:
        raise WeightsError(f"the weights do not fit this network: {problem}")
    model.load_state_dict(tensors)


def restore_into_trainer(trainer, tensors: dict[str, "torch.Tensor"]) -> None:
    """The trainer back to its initial state with these weights in it; its history restarts from them.

    WeightsError naming the layer (and the trainer untouched) if they do not fit its network.
    """
    from playground.train import History

    problem = fit_problem(trainer.model, tensors)
    if problem is not None:
        raise WeightsError(f"the weights do not fit this network: {problem}")
    trainer.reset()
    load_into(trainer.model, tensors)
    trainer.history = History()
    trainer.record()
