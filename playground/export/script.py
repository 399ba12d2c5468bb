"""A trained playground as a runnable PyTorch script (.py) or Jupyter notebook (.ipynb).

The script needs only torch and numpy. It holds the network as a readable nn.Module (each layer
written by its kind's code writer, `LayerKind.code` in playground/layers.py, with the app's
layer names and state-dict keys), the data as an .npz file saved beside it, and the spec's
optimiser, loss, regularisation, clipping, batch size and seeds. Run for the same number of
epochs it reproduces playground.train.Trainer: the same initial weights (one seeded generator,
drawn from in the same order), the same batch order (its own seeded generator), the same
evaluation (train loss on the first 1,000 training samples, test loss on the whole test set).

    sections = script_sections(trainer, stem="spiral", epochs=200)
    files = script_files(trainer, "spiral", 200)      # {"spiral.py": ..., "spiral.npz": ...}
"""
from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from playground.initializers import nonlinearity_for
from playground.layers import KINDS, LayerCode, infer_shapes
from playground.losses import resolve_loss

if TYPE_CHECKING:
    from playground.train import Trainer

# How each loss is written, per case: the arithmetic of playground.losses.resolve_loss (a test
# compares each with it). `y` holds float targets for regression and two classes, labels otherwise.
LOSS_CODE: dict[tuple[str, str], str] = {
    ("mse", "regression"): "F.mse_loss(out.squeeze(1), y)",
    ("mae", "regression"): "F.l1_loss(out.squeeze(1), y)",
    ("huber", "regression"): "F.smooth_l1_loss(out.squeeze(1), y)",
    ("cross_entropy", "binary"): "F.binary_cross_entropy_with_logits(out.squeeze(1), y)",
    ("hinge", "binary"): "torch.clamp(1 - (2 * y - 1) * out.squeeze(1), min=0).mean()  # labels 0/1 as -1/+1",
    ("mse", "binary"): "F.mse_loss(torch.sigmoid(out.squeeze(1)), y)",
    ("mae", "binary"): "F.l1_loss(torch.sigmoid(out.squeeze(1)), y)",
    ("huber", "binary"): "F.smooth_l1_loss(torch.sigmoid(out.squeeze(1)), y)",
    ("cross_entropy", "multiclass"): "F.cross_entropy(out, y)",
    ("hinge", "multiclass"): "F.multi_margin_loss(out, y)",
    ("mse", "multiclass"): "F.mse_loss(torch.softmax(out, dim=1), F.one_hot(y, N_CLASSES).float())",
    ("mae", "multiclass"): "F.l1_loss(torch.softmax(out, dim=1), F.one_hot(y, N_CLASSES).float())",
    ("huber", "multiclass"): "F.smooth_l1_loss(torch.softmax(out, dim=1), F.one_hot(y, N_CLASSES).float())",
}

# How each initialisation scheme sets one weight tensor `param` (biases start at zero), as
# playground.initializers.init_weights does; `nonlinearity` is the gain's name.
INIT_CODE: dict[str, str] = {
    "xavier_uniform": "nn.init.xavier_uniform_(param, gain=nn.init.calculate_gain(nonlinearity, 0.01))",
    "xavier_normal": "nn.init.xavier_normal_(param, gain=nn.init.calculate_gain(nonlinearity, 0.01))",
    "kaiming_uniform": "nn.init.kaiming_uniform_(param, a=0.01 if nonlinearity == \"leaky_relu\" else 0.0, "
                       "nonlinearity=nonlinearity)",
    "kaiming_normal": "nn.init.kaiming_normal_(param, a=0.01 if nonlinearity == \"leaky_relu\" else 0.0, "
                      "nonlinearity=nonlinearity)",
    "normal": "nn.init.normal_(param, 0.0, 1.0)  # the naive N(0, 1)",
    "zeros": "nn.init.zeros_(param)",
}

# The optimisers of playground.optimizers.make_optimizer: class and the options each takes.
OPTIMIZER_CODE: dict[str, tuple[str, tuple[str, ...]]] = {
    "sgd": ("torch.optim.SGD", ("momentum", "nesterov", "fused")),
    "adam": ("torch.optim.Adam", ("fused",)),
    "adamw": ("torch.optim.AdamW", ("fused",)),
    "rmsprop": ("torch.optim.RMSprop", ("momentum",)),
    "adagrad": ("torch.optim.Adagrad", ("fused",)),
}


class NotExportable(ValueError):
    """The spec cannot be written as a script (or exported in the asked format); the message says why."""


@dataclass(frozen=True)
class Section:
    """One part of the script: a heading (a notebook's markdown cell) and its code."""

    heading: str
    text: str      # a sentence or two under the heading
    code: str


def loss_case(trainer: "Trainer") -> str:
    """"regression", "binary" (one logit) or "multiclass" (k logits)."""
    data = trainer.data
    if data.task == "regression":
        return "regression"
    return "binary" if data.n_classes == 2 else "multiclass"


def layer_codes(trainer: "Trainer") -> list[tuple[str, str, LayerCode]]:
    """(name, output-shape comment, LayerCode) of every module of the network, output included.

    NotExportable naming the layer if its kind has no code writer.
    """
    spec, data = trainer.spec, trainer.data
    shapes = infer_shapes(spec.layers, data.input_shape, data.n_outputs, data.per_step)
    out, shape = [], tuple(data.input_shape)
    for s in shapes:
        if s.name == "output":
            code = LayerCode(f"nn.Linear({shape[-1]}, {data.n_outputs})", init="")
        else:
            layer = spec.layers[s.index] if s.index is not None else None
            kind = KINDS[s.type]
            if kind.code is None:
                raise NotExportable(f"layer {s.index + 1} ({s.name}) is a {kind.title} layer, which cannot be "
                                    f"written as a script yet (its kind has no code writer)")
            where = {"backward": s.backward} if s.type == "last_step" else {}  # see LayerShape.backward
            code = kind.code(layer, shape, **where)
        out.append((s.name, f"(batch, {', '.join(map(str, s.out_shape))})", code))
        shape = s.out_shape
    return out


def _constants(trainer: "Trainer", epochs: int) -> str:
    from playground.train import EVAL_TRAIN_MAX

    spec = trainer.spec
    lines = [f"SEED = {spec.seed}  # the initial weights and the batch order",
             f"EPOCHS = {epochs}",
             f"BATCH_SIZE = {spec.batch_size}",
             f"LEARNING_RATE = {spec.optimizer.lr!r}"]
    if spec.regularization.kind != "none" and spec.regularization.rate > 0:
        lines.append(f"{spec.regularization.kind.upper()}_RATE = {spec.regularization.rate!r}  "
                     f"# penalty on the weights (not the biases)")
    if spec.grad_clip is not None:
        lines.append(f"MAX_GRAD_NORM = {spec.grad_clip!r}  # clip the gradient's global L2 norm")
    if loss_case(trainer) == "multiclass":
        lines.append(f"N_CLASSES = {trainer.data.n_classes}")
    lines.append(f"EVAL_TRAIN_MAX = {EVAL_TRAIN_MAX}  # the train loss is measured on the first this many samples")
    # Sums over several threads round in another order; Adam and clipping can grow that into
    # visible differences, so the script computes as the playground's trainers do.
    lines.append("\ntorch.set_num_threads(1)  # as the playground trains: the same arithmetic, the same losses")
    return "\n".join(lines)


def _header(trainer: "Trainer", stem: str) -> str:
    spec, data = trainer.spec, trainer.data
    task = f"{data.task}" + (f", {data.n_classes} classes" if data.task == "classification" else "")
    return (f'"""{stem}: a network trained in Neural Playground, as plain PyTorch ({data.name}, {task}).\n\n'
            f"Needs only torch and numpy, and {stem}.npz (the data) beside this file. Run\n\n"
            f"    python {stem}.py [--epochs N] [--history history.json]\n\n"
            f"to train it as the playground does: the same initial weights, the same batch order and the\n"
            f"same losses at every epoch. The playground config it was exported from:\n\n"
            f"{spec.to_json(indent=None)}\n"
            f'"""\n')


IMPORTS = """import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
"""


def _data_section(trainer: "Trainer", stem: str, notebook: bool) -> Section:
    data, spec = trainer.data, trainer.spec
    where = f'Path("{stem}.npz")  # beside this notebook' if notebook else f'Path(__file__).with_name("{stem}.npz")'
    if data.kind == "image":
        what = (f"{len(data.x_train) + len(data.x_test)} images of {data.name}, "
                f"{'normalised with the training split mean ' + format(data.mean, '.4g') + ' and std ' + format(data.std, '.4g') if spec.dataset.normalize == 'standard' else 'not normalised'}")
    elif data.kind == "sequence":
        steps, width = data.input_shape
        codes = f"one-hot codes of {width} tokens" if data.vocab else f"{width} value{'s' if width > 1 else ''} a step"
        what = (f"{len(data.x_train) + len(data.x_test)} sequences of {data.name}, {steps} steps of {codes} "
                f"(data seed {spec.dataset.seed}); "
                f"{'a target at every step' if data.per_step else 'one target per sequence'}")
    else:
        what = (f"{len(data.x_train) + len(data.x_test)} points of {data.name} (noise {spec.dataset.noise:g}, "
                f"data seed {spec.dataset.seed}); inputs: {', '.join(data.feature_names)}")
    lines = [f"DATA = {where}",
             "data = np.load(DATA)",
             'x_train, y_train = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])',
             'x_test, y_test = torch.from_numpy(data["x_test"]), torch.from_numpy(data["y_test"])']
    if loss_case(trainer) == "binary":
        lines.append("y_train, y_test = y_train.float(), y_test.float()  # one logit: float targets 0/1")
    lines.append('print(f"{len(x_train)} training and {len(x_test)} test samples of shape {tuple(x_train.shape[1:])}")')
    return Section("Data", f"{what}; {len(data.x_train)} for training, {len(data.x_test)} for testing, "
                           f"shuffled and split as in the playground.", "\n".join(lines))


def _model_section(trainer: "Trainer") -> Section:
    spec = trainer.spec
    codes = layer_codes(trainer)
    classes: list[str] = []
    for _, _, code in codes:
        for source in code.classes:
            if source not in classes:
                classes.append(source)
    parts = [source.strip("\n") for source in classes]
    if spec.init != "pytorch_default":
        parts.append(f'def init_weights(layer, nonlinearity):\n'
                     f'    """{spec.init}: each weight tensor drawn with the gain of `nonlinearity`; biases at zero."""\n'
                     f'    for name, param in layer.named_parameters(recurse=False):\n'
                     f'        if name.startswith("bias"):\n'
                     f'            nn.init.zeros_(param)\n'
                     f'        else:\n'
                     f'            {INIT_CODE[spec.init]}')
    init_lines = ["class Net(nn.Module):",
                  '    """The playground network; layer names (and state-dict keys) as in the app."""', "",
                  "    def __init__(self):",
                  "        super().__init__()"]
    if spec.init != "pytorch_default":
        init_lines.append("        # Each layer is initialised as soon as it is built: the order of the random draws.")
    forward = ["    def forward(self, x):  # " + f"(batch, {', '.join(map(str, trainer.data.input_shape))})"]
    for name, shape, code in codes:
        init_lines.append(f"        self.{name} = {code.module}")
        if code.init is not None and spec.init != "pytorch_default":
            target = f"self.{name}" + (f".{code.init}" if code.init else "")
            init_lines.append(f'        init_weights({target}, "{nonlinearity_for(spec.init, code.init_activation)}")')
        if code.then is not None:
            init_lines.append(f"        self.{name}.{code.then}")
        forward.append(f"        x = self.{name}(x)  # {shape}")
    forward[-1] = forward[-1].replace("x = ", "return ", 1) + (" values" if trainer.data.task == "regression" else " logits")
    parts.append("\n".join(init_lines + [""] + forward))
    return Section("The network", "Layer by layer as built in the playground; `x` is one mini-batch.",
                   "\n\n\n".join(parts))


def _loss_section(trainer: "Trainer", weight_names: list[str]) -> Section:
    from playground.train import EVAL_CHUNK

    spec = trainer.spec
    name, _ = resolve_loss(spec.loss, trainer.data.task, trainer.data.n_classes)
    case = loss_case(trainer)
    every_step = "    out, y = out.reshape(-1, out.shape[-1]), y.reshape(-1)  # every step counts as one sample"
    per_step = trainer.data.per_step
    lines = ["def loss_fn(out, y):",
             f'    """{name} ({case}{", at every step" if per_step else ""})."""',
             *([every_step] if per_step else []),
             f"    return {LOSS_CODE[name, case]}"]
    reg = spec.regularization
    if reg.kind != "none" and reg.rate > 0:
        term = "w.abs().sum()" if reg.kind == "l1" else "(w * w).sum()"
        lines += ["", "", "def penalty(model):",
                  f'    """{reg.kind.upper()} penalty on the weight matrices and kernels (not biases, not batch norm)."""',
                  f"    weights = [{', '.join('model.' + n for n in weight_names)}]",
                  f"    return {reg.kind.upper()}_RATE * sum({term} for w in weights)"]
    if trainer.data.task == "classification":
        pred = "(out[:, 0] > 0).float()" if case == "binary" else "out.argmax(1)"
        accuracy = f"float(({pred} == y).float().mean())"
    else:
        accuracy = "None"
    lines += ["", "", "@torch.inference_mode()", "def evaluate(model, x, y):",
              '    """(loss, accuracy) on a whole set, in eval mode (no dropout; batch norm\'s running statistics)."""',
              "    was_training = model.training",
              "    model.eval()",
              f"    out = torch.cat([model(chunk) for chunk in x.split({EVAL_CHUNK})])",
              "    model.train(was_training)",
              *(["    loss = float(loss_fn(out, y))", every_step, f"    return loss, {accuracy}"] if per_step else
                [f"    return float(loss_fn(out, y)), {accuracy}"])]
    return Section("Loss and evaluation", "The data loss is what the curves show; a penalty only adds to the "
                                          "gradient.", "\n".join(lines))


def _train_section(trainer: "Trainer", has_batch_norm: bool) -> Section:
    spec = trainer.spec
    o = spec.optimizer
    cls, takes = OPTIMIZER_CODE[o.name]
    options = [f"lr=LEARNING_RATE"]
    if "momentum" in takes and o.momentum > 0:
        options.append(f"momentum={o.momentum!r}")
    if "nesterov" in takes and o.nesterov and o.momentum > 0:
        options.append("nesterov=True")
    if "fused" in takes:  # torch's one-kernel update, as the playground trains (the same rule, faster)
        options.append("fused=True")
    reg = spec.regularization.kind != "none" and spec.regularization.rate > 0
    lines = ["def train(epochs=EPOCHS):",
             '    """Train from the seed\'s initial weights; returns the model and its per-epoch history."""',
             "    torch.manual_seed(SEED)  # the initial weights (and dropout's masks)",
             "    model = Net()",
             f"    optimizer = {cls}(model.parameters(), {', '.join(options)})",
             "    batch_order = torch.Generator().manual_seed(SEED)  # its own generator: the same batches",
             '    history = {key: [] for key in ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")}',
             "",
             "    def record(epoch):",
             "        train_loss, train_accuracy = evaluate(model, x_train[:EVAL_TRAIN_MAX], y_train[:EVAL_TRAIN_MAX])",
             "        test_loss, test_accuracy = evaluate(model, x_test, y_test)",
             "        for key, value in zip(history, (epoch, train_loss, test_loss, train_accuracy, test_accuracy)):",
             "            history[key].append(value)",
             "        if epoch % max(1, epochs // 20) == 0 or epoch == epochs:",
             '            accuracy = f"  test accuracy {test_accuracy:.1%}" if test_accuracy is not None else ""',
             '            print(f"epoch {epoch:4d}  train loss {train_loss:.5f}  test loss {test_loss:.5f}{accuracy}")',
             "        return train_loss",
             "",
             "    record(0)",
             "    model.train()",
             "    for epoch in range(1, epochs + 1):",
             "        order = torch.randperm(len(x_train), generator=batch_order)",
             "        batches = list(zip(x_train[order].split(BATCH_SIZE), y_train[order].split(BATCH_SIZE)))"]
    if has_batch_norm:
        lines += ["        if len(batches) > 1 and len(batches[-1][0]) == 1:",
                  "            batches.pop()  # batch norm cannot normalise a batch of one sample"]
    lines += ["        for xb, yb in batches:",
              "            loss = loss_fn(model(xb), yb)",
              "            if not math.isfinite(loss.item()):",
              '                print(f"training diverged in epoch {epoch}: the loss became {loss.item()}")',
              "                return model, history",
              "            optimizer.zero_grad(set_to_none=True)",
              f"            {'(loss + penalty(model))' if reg else 'loss'}.backward()"]
    if spec.grad_clip is not None:
        lines.append("            nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)")
    lines += ["            optimizer.step()",
              "        if not math.isfinite(record(epoch)):",
              '            print(f"training diverged in epoch {epoch}")',
              "            break",
              "    return model, history"]
    return Section("Training", f"{o.name} (learning rate {o.lr:g}), mini-batches of {spec.batch_size} in a "
                               f"seeded random order, one evaluation per epoch.", "\n".join(lines))


MAIN = '''if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs to train (default {EPOCHS})")
    parser.add_argument("--history", help="write the per-epoch losses and accuracies to this JSON file")
    args = parser.parse_args()
    model, history = train(args.epochs)
    if args.history:
        Path(args.history).write_text(json.dumps(history))
'''


def script_sections(trainer: "Trainer", stem: str, epochs: int, notebook: bool = False) -> list[Section]:
    """The script's parts in order (constants, data, network, loss, training); NotExportable if it cannot be."""
    import torch

    model = trainer.model
    names = {id(p): n for n, p in model.named_parameters()}
    # Every weight tensor the trainer's penalty takes: a recurrent layer's weight_ih and weight_hh too.
    weight_names = [names[id(param)] for _, param in model.weight_tensors()]
    has_batch_norm = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    return [Section("Settings", "From the playground's spec.", IMPORTS + "\n" + _constants(trainer, epochs)),
            _data_section(trainer, stem, notebook),
            _model_section(trainer),
            _loss_section(trainer, weight_names),
            _train_section(trainer, has_batch_norm)]


def data_npz(trainer: "Trainer") -> bytes:
    """The train and test sets as the network sees them (features or normalised images), compressed."""
    data, buffer = trainer.data, io.BytesIO()
    np.savez_compressed(buffer, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    return buffer.getvalue()


def script_text(trainer: "Trainer", stem: str, epochs: int) -> str:
    """The runnable .py."""
    sections = script_sections(trainer, stem, epochs)
    parts = [_header(trainer, stem) + sections[0].code]
    for s in sections[1:]:
        rule = "-" * max(4, 96 - len(s.heading) - 6)
        text = textwrap.fill(s.text, 96, initial_indent="# ", subsequent_indent="# ")
        parts.append(f"# -- {s.heading} {rule}\n{text}\n\n{s.code}")
    parts.append(MAIN)
    return "\n\n\n".join(parts)


def notebook_json(trainer: "Trainer", stem: str, epochs: int) -> str:
    """The same as a Jupyter notebook (nbformat 4): a markdown cell and a code cell per section."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    sections = script_sections(trainer, stem, epochs, notebook=True)
    spec = trainer.spec
    cells = [new_markdown_cell(f"# {stem}: a Neural Playground network in plain PyTorch\n\n"
                               f"Needs only `torch` and `numpy`, and `{stem}.npz` (the data) beside this notebook. "
                               f"Run all cells to train the network as the playground does: the same initial weights, "
                               f"the same batch order and the same losses at every epoch.\n\n"
                               f"The playground config:\n\n```json\n{spec.to_json(indent=None)}\n```")]
    for s in sections:
        cells += [new_markdown_cell(f"## {s.heading}\n\n{s.text}"), new_code_cell(s.code)]
    cells.append(new_code_cell("model, history = train(EPOCHS)"))
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"},
                                             "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)


def script_files(trainer: "Trainer", stem: str, epochs: int) -> dict[str, bytes]:
    """{stem.py, stem.npz}."""
    return {f"{stem}.py": script_text(trainer, stem, epochs).encode(), f"{stem}.npz": data_npz(trainer)}


def notebook_files(trainer: "Trainer", stem: str, epochs: int) -> dict[str, bytes]:
    """{stem.ipynb, stem.npz}."""
    return {f"{stem}.ipynb": notebook_json(trainer, stem, epochs).encode(), f"{stem}.npz": data_npz(trainer)}


def history_of(trainer: "Trainer") -> dict[str, list]:
    """The trainer's per-epoch history in the script's columns (for comparing the two)."""
    h = trainer.history.as_dict()
    return {key: h[key] for key in ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")}


__all__ = ["NotExportable", "Section", "script_sections", "script_text", "notebook_json", "script_files",
           "notebook_files", "data_npz", "layer_codes", "history_of"]
