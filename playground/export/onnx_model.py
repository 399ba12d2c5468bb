"""The trained network as ONNX (torch.onnx's torch.export-based exporter), checked with onnxruntime.

    data = onnx_bytes(trainer)                    # input "input" (batch, *input_shape), output "output"
    max_difference(data, trainer)                 # |torch - onnxruntime| on the test set

The network is exported in eval mode (dropout off, batch norm's running statistics), with a
dynamic batch dimension, so it opens in Netron and runs wherever ONNX does.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from playground.train import Trainer

OPSET = 18


def onnx_bytes(trainer: "Trainer") -> bytes:
    """The model as an .onnx file's bytes (the exporter's progress lines and notices are kept quiet)."""
    import torch

    model = trainer.model
    was_training = model.training
    model.eval()
    example = torch.as_tensor(trainer.data.x_test[:2]).to(next(model.parameters()).device)
    onnx_log = logging.getLogger("torch.onnx")
    level = onnx_log.level
    onnx_log.setLevel(logging.ERROR)  # "torchvision is not installed, skipping ..." is no news here
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # the exporter's own deprecations
            # nn.LSTM / GRU / RNN refresh their `_flat_weights` list while traced; harmless for the export
            warnings.filterwarnings("ignore", message=r"The tensor attributes .*_flat_weights")
            program = torch.onnx.export(model, (example,), input_names=["input"], output_names=["output"],
                                        dynamic_shapes=({0: torch.export.Dim("batch")},),
                                        opset_version=OPSET, dynamo=True)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.onnx")
            program.save(path)  # one file: these small models keep their weights inside it
            with open(path, "rb") as f:
                return f.read()
    finally:
        onnx_log.setLevel(level)
        model.train(was_training)


def run_onnx(data: bytes, x: np.ndarray) -> np.ndarray:
    """onnxruntime's outputs for inputs x (float32, (n, *input_shape))."""
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": np.ascontiguousarray(x, dtype=np.float32)})[0]


def max_difference(data: bytes, trainer: "Trainer") -> float:
    """The largest |PyTorch - onnxruntime| over the test set's outputs."""
    reference = trainer.predict(trainer.data.x_test).cpu().numpy()
    return float(np.abs(run_onnx(data, trainer.data.x_test) - reference).max())
