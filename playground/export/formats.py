"""The export formats: one entry each, read by the CLI's `export` command and the app's Export menu.

    files = export(trainer, "script", "spiral", epochs=200)   # {"spiral.py": b"...", "spiral.npz": b"..."}
    name, data, mime = bundle(files, "spiral")               # one file as is, several as a .zip

Every writer takes the trainer (its spec, data and current weights) where it lives: in the app
that is the pool's process (see `export_in_trainer`, called through LiveRunner.call), since the
app server imports no torch. An export a spec cannot support raises NotExportable saying why.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from playground.export.script import NotExportable

if TYPE_CHECKING:
    from playground.train import Trainer

DEFAULT_EPOCHS = 100
MAX_EPOCHS = 100_000


@dataclass(frozen=True)
class ExportOptions:
    """What a writer may need besides the trainer."""

    epochs: int = DEFAULT_EPOCHS   # script / notebook: epochs it trains; gif: epochs the film covers
    seconds: float = 6.0           # gif: its length
    frames: int = 40               # gif: pictures in it


Writer = Callable[["Trainer", str, ExportOptions], "dict[str, bytes]"]


@dataclass(frozen=True)
class ExportFormat:
    """One way to take a playground out."""

    name: str          # the CLI's --format
    title: str         # the app's menu entry
    suffix: str        # the main file's
    mime: str
    help: str
    write: Writer      # (trainer, file stem, options) -> files by name
    weights: bool      # True: it carries the trainer's current (trained) weights


def _script(trainer: "Trainer", stem: str, options: ExportOptions) -> dict[str, bytes]:
    from playground.export.script import script_files

    return script_files(trainer, stem, options.epochs)


def _notebook(trainer: "Trainer", stem: str, options: ExportOptions) -> dict[str, bytes]:
    from playground.export.script import notebook_files

    return notebook_files(trainer, stem, options.epochs)


def _safetensors(trainer: "Trainer", stem: str, options: ExportOptions) -> dict[str, bytes]:
    from playground.export.weights import weights_bytes

    return {f"{stem}.safetensors": weights_bytes(trainer.model, trainer.spec)}


def _onnx(trainer: "Trainer", stem: str, options: ExportOptions) -> dict[str, bytes]:
    from playground.export.onnx_model import onnx_bytes

    try:
        return {f"{stem}.onnx": onnx_bytes(trainer)}
    except ImportError as exc:
        raise NotExportable(f"ONNX export needs the onnx and onnxscript packages ({exc})") from None
    except Exception as exc:  # the exporter's own errors are long; the first line says what
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotExportable(f"torch.onnx could not export this network: {first}") from None


# The film draws the output over the plane, a 1-D fit or a confusion matrix; a sequence has none of these.
NO_FILM = ("the film shows the output over the plane, a curve's fit or images' confusion matrix; "
           "sequence data ({name}) has none of these, so export a script, notebook, weights or ONNX instead")


def _gif(trainer: "Trainer", stem: str, options: ExportOptions) -> dict[str, bytes]:
    from playground.export.film import film_bytes
    from playground.train import Trainer

    if trainer.data.kind == "sequence":
        raise NotExportable(NO_FILM.format(name=trainer.data.name))

    fresh = Trainer(trainer.spec, trainer.custom)  # replays the run from the initial weights
    return {f"{stem}.gif": film_bytes(fresh, options.epochs, options.frames, options.seconds)}


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("script", "PyTorch script (.py)", ".py", "text/x-python",
                 "A runnable script needing only torch and numpy, with the data beside it (.npz): "
                 "it trains to the same losses as here.", _script, False),
    ExportFormat("notebook", "Jupyter notebook (.ipynb)", ".ipynb", "application/x-ipynb+json",
                 "The same as a notebook, one cell per part, with the data (.npz).", _notebook, False),
    ExportFormat("safetensors", "Weights (.safetensors)", ".safetensors", "application/octet-stream",
                 "The trained weights, with this experiment's config inside; Load weights restores them.",
                 _safetensors, True),
    ExportFormat("onnx", "ONNX model (.onnx)", ".onnx", "application/octet-stream",
                 "The trained network for onnxruntime, Netron and other runtimes.", _onnx, True),
    ExportFormat("gif", "Film of the training (.gif)", ".gif", "image/gif",
                 "The output and the loss curve while training from the initial weights, as an animated GIF.",
                 _gif, False),
)}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)


def file_stem(spec) -> str:
    """A file name for an experiment: its dataset and layers ("spiral-8-8", "digits-conv8-pool-conv16-pool-32")."""
    from playground.layers import KINDS

    parts = [spec.dataset.name]
    for layer in spec.layers:
        parts.append(str(layer.units) if layer.type == "dense" else
                     f"conv{layer.channels}" if layer.type == "conv2d" else KINDS[layer.type].prefix)
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts))[:60]


def unsupported(spec, fmt: str) -> str | None:
    """Why `fmt` cannot export this spec, known without building it (no torch), or None."""
    from playground.layers import KINDS, layer_names

    if fmt in ("script", "notebook"):
        for i, (layer, name) in enumerate(zip(spec.layers, layer_names(spec.layers))):
            kind = KINDS[layer.type]
            if kind.code is None:
                return (f"layer {i + 1} ({name}) is a {kind.title} layer, which cannot be written as a script yet "
                        f"(its kind has no code writer)")
    if fmt == "gif":
        from playground.data import dataset_info

        info = dataset_info(spec.dataset.name)
        if info is not None and info.kind == "sequence":
            return NO_FILM.format(name=spec.dataset.name)
    return None


def export(trainer: "Trainer", fmt: str, stem: str, **options) -> dict[str, bytes]:
    """The files of format `fmt` for this trainer; NotExportable (why) if it cannot be done."""
    if fmt not in FORMATS:
        raise NotExportable(f"unknown format {fmt!r}; choose one of: {', '.join(FORMAT_NAMES)}")
    return FORMATS[fmt].write(trainer, stem, ExportOptions(**options))


def bundle(files: dict[str, bytes], stem: str, mime: str = "application/octet-stream") -> tuple[str, bytes, str]:
    """(file name, bytes, mime) to download: a single file as it is, several in one .zip."""
    if len(files) == 1:
        (name, data), = files.items()
        return name, data, mime
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{stem}/{name}", data)
    return f"{stem}.zip", buffer.getvalue(), "application/zip"


def export_in_trainer(trainer: "Trainer", fmt: str, options: dict) -> tuple[str, bytes, str]:
    """For LiveRunner.call: export the pool-side trainer and bundle it for a download button."""
    stem = file_stem(trainer.spec)
    return bundle(export(trainer, fmt, stem, **options), stem, FORMATS[fmt].mime)


def load_weights_in_trainer(trainer: "Trainer", data: bytes) -> int:
    """For LiveRunner.call: the trainer back to its initial state, then the file's weights in it;
    the history restarts from the loaded weights. Returns the number of tensors loaded."""
    from playground.export.weights import read_weights, restore_into_trainer

    _, tensors = read_weights(data)
    restore_into_trainer(trainer, tensors)
    return len(tensors)
