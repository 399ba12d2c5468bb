"""Exports round-trip: the script and notebook reproduce the trainer's losses, the weights reload to
the same predictions, ONNX matches onnxruntime, the film is a GIF; the CLI and refusals."""
import dataclasses
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from playground import layers
from playground.activations import ACTIVATION_NAMES, make_activation
from playground.export import blocks, script
from playground.export.formats import FORMATS, bundle, export, file_stem
from playground.export.script import NotExportable, history_of
from playground.export.weights import WeightsError, read_spec, read_weights, restore_into_trainer, weights_bytes
from playground.initializers import INITS
from playground.losses import LOSSES, resolve_loss
from playground.model import build_model
from playground.spec import Spec
from playground.train import Trainer

ROOT = Path(__file__).resolve().parents[1]

# Every option the script writes: batch norm (and a last batch of one sample, dropped), dropout,
# a skip connection, sin, L2, clipping, Adam, kaiming init.
DENSE = {"dataset": {"name": "spiral", "n_samples": 102, "train_ratio": 0.5},
         "features": ["x1", "x2", "sin_x1"],
         "layers": [{"type": "dense", "units": 6, "activation": "sin", "batch_norm": True},
                    {"type": "dense", "units": 6, "activation": "relu", "residual": True, "dropout": 0.2}],
         "init": "kaiming_uniform", "optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 10,
         "regularization": {"kind": "l2", "rate": 0.001}, "grad_clip": 0.5, "seed": 5}
CONV = {"dataset": {"name": "digits", "n_samples": 150},
        "layers": [{"type": "conv2d", "channels": 3, "kernel": 3, "padding": 1, "activation": "relu",
                    "batch_norm": True},
                   {"type": "maxpool2d", "kernel": 2},
                   {"type": "conv2d", "channels": 4, "kernel": 3, "stride": 2, "activation": "tanh", "dropout": 0.1},
                   {"type": "avgpool2d", "kernel": 1}, {"type": "batchnorm"}, {"type": "dropout", "rate": 0.1},
                   {"type": "dense", "units": 8, "activation": "gelu"}],
        "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True}, "batch_size": 16,
        "regularization": {"kind": "l1", "rate": 0.0001}, "seed": 3}
EPOCHS = 3


def _write(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _assert_same_history(got: dict, trainer: Trainer) -> None:
    ref = history_of(trainer)
    assert got["epoch"] == ref["epoch"] == list(range(EPOCHS + 1))
    for key in ("train_loss", "test_loss"):
        np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-5)
    for key in ("train_accuracy", "test_accuracy"):
        np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-6)
    assert ref["train_loss"][-1] < ref["train_loss"][0]  # it trained: the comparison is not of two idle runs


def test_the_exported_script_reproduces_the_trainer(tmp_path):
    trainer = Trainer(Spec.from_dict(DENSE))
    assert len(trainer._x_train) == 51  # batches of 10 leave a last one of one sample: batch norm drops it
    _write(export(trainer, "script", "net", epochs=EPOCHS), tmp_path)
    trainer.train_epochs(EPOCHS)
    run = subprocess.run([sys.executable, "net.py", "--history", "history.json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"epoch    {EPOCHS}" in run.stdout
    _assert_same_history(json.loads((tmp_path / "history.json").read_text()), trainer)
    text = (tmp_path / "net.py").read_text()
    assert "import playground" not in text and "from playground" not in text  # only torch and numpy


# Sequences: one-hot tokens, an embedding, every recurrent cell and option, the automatic last
# step, per-step targets (text, with a dense layer on every step) and a penalty on W_ih and W_hh; short sequences, few samples.
LSTM = {"dataset": {"name": "recall", "length": 6, "n_samples": 40},
        "layers": [{"type": "lstm", "hidden": 5, "forget_bias": 0.0}],
        "optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 8, "seed": 2}
GRU = {"dataset": {"name": "brackets", "length": 6, "n_samples": 40},
       "layers": [{"type": "embedding", "dim": 3}, {"type": "gru", "hidden": 5, "bidirectional": True},
                  {"type": "dense", "units": 4, "activation": "relu"}],
       "init": "kaiming_uniform", "regularization": {"kind": "l2", "rate": 0.001}, "grad_clip": 1.0,
       "batch_size": 8, "seed": 3}
RNN = {"dataset": {"name": "text", "length": 6, "n_samples": 30},
       "layers": [{"type": "rnn", "hidden": 5, "nonlinearity": "relu", "orthogonal": False},
                  {"type": "dense", "units": 4}],  # a dense layer on every step
       "init": "pytorch_default", "batch_size": 8, "seed": 4}


@pytest.mark.parametrize("config", [LSTM, GRU, RNN], ids=["lstm-recall", "gru-brackets", "rnn-text-per-step"])
def test_the_exported_script_reproduces_a_recurrent_trainer(config, tmp_path):
    trainer = Trainer(Spec.from_dict(config))
    _write(export(trainer, "script", "net", epochs=EPOCHS), tmp_path)
    with np.load(tmp_path / "net.npz") as data:  # the inputs as the network sees them: one-hot tokens
        assert data["x_train"].shape[1:] == trainer.data.input_shape and set(np.unique(data["x_train"])) == {0, 1}
        assert data["y_train"].ndim == (2 if trainer.data.per_step else 1)
    trainer.train_epochs(EPOCHS)
    run = subprocess.run([sys.executable, "net.py", "--history", "history.json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    _assert_same_history(json.loads((tmp_path / "history.json").read_text()), trainer)


@pytest.mark.parametrize("init", INITS)
def test_the_script_sequence_network_has_the_app_keys_and_initial_weights(init):
    """Every recurrent option that changes the initial draws: orthogonal or not, the forget bias, both directions."""
    layers_ = [{"type": "embedding", "dim": 3}, {"type": "lstm", "hidden": 4, "bidirectional": True, "forget_bias": 2.5},
               {"type": "gru", "hidden": 3}, {"type": "rnn", "hidden": 3, "nonlinearity": "relu", "orthogonal": False},
               {"type": "dense", "units": 2}]
    spec = Spec.from_dict({**LSTM, "layers": layers_, "init": init})
    trainer = Trainer(spec)
    namespace = _script_namespace(trainer)
    torch.manual_seed(spec.seed)
    got, want = namespace["Net"]().state_dict(), trainer.model.state_dict()
    assert list(got) == list(want) and "lstm1.rnn.weight_hh_l0_reverse" in got and "last_step.weight" not in got
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)
    assert float(got["lstm1.rnn.bias_ih_l0"][4:8].min()) == 2.5  # the forget gate's block: torch's i, f, g, o


def test_the_notebook_is_valid_and_its_cells_reproduce_the_trainer(tmp_path):
    import nbformat

    trainer = Trainer(Spec.from_dict(CONV))
    files = export(trainer, "notebook", "convnet", epochs=EPOCHS)
    assert set(files) == {"convnet.ipynb", "convnet.npz"}
    _write(files, tmp_path)
    nb = nbformat.reads(files["convnet.ipynb"].decode(), as_version=4)
    nbformat.validate(nb)
    code = "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    (tmp_path / "cells.py").write_text(code + "\n\nPath('history.json').write_text(json.dumps(history))\n")
    trainer.train_epochs(EPOCHS)
    run = subprocess.run([sys.executable, "cells.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    _assert_same_history(json.loads((tmp_path / "history.json").read_text()), trainer)


def _script_namespace(trainer: Trainer) -> dict:
    """The script's settings and network sections run in this process (no data)."""
    sections = script.script_sections(trainer, "net", 1)
    namespace: dict = {}
    exec(sections[0].code + "\n\n" + sections[2].code, namespace)  # noqa: S102 (our own generated code)
    return namespace


@pytest.mark.parametrize("init", INITS)
def test_the_script_network_has_the_app_keys_and_initial_weights(init):
    spec = Spec.from_dict({**CONV, "init": init})
    trainer = Trainer(spec)
    namespace = _script_namespace(trainer)
    torch.manual_seed(spec.seed)
    net = namespace["Net"]()
    reference = build_model(spec.layers, trainer.data.input_shape, trainer.data.n_outputs, init, seed=spec.seed)
    got, want = net.state_dict(), reference.state_dict()
    assert list(got) == list(want)  # the same layer names and state-dict keys, in the same order
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)


def test_every_activation_is_written_as_an_equivalent_module():
    assert set(blocks.ACTIVATION_CODE) == set(ACTIVATION_NAMES)
    x = torch.linspace(-4, 4, 101)
    for name, (expr, classes) in blocks.ACTIVATION_CODE.items():
        namespace = {"nn": torch.nn, "torch": torch}
        for source in classes:
            exec(source, namespace)  # noqa: S102
        torch.testing.assert_close(eval(expr, namespace)(x), make_activation(name)(x), rtol=0, atol=0)


@pytest.mark.parametrize("case,n_classes", [("regression", 1), ("binary", 2), ("multiclass", 4)])
def test_every_loss_is_written_as_the_trainer_computes_it(case, n_classes):
    torch.manual_seed(0)
    task = "regression" if case == "regression" else "classification"
    out = torch.randn(9, 1 if n_classes <= 2 else n_classes)
    y = torch.randn(9) if task == "regression" else torch.randint(0, n_classes, (9,))
    for name in LOSSES:
        try:
            concrete, fn = resolve_loss(name, task, n_classes)
        except ValueError:
            continue  # a classification loss on regression data: the spec refuses it
        target = y.float() if case == "binary" else y
        expr = script.LOSS_CODE[concrete, case].split("  #")[0]
        got = eval(expr, {"F": torch.nn.functional, "torch": torch, "N_CLASSES": n_classes,
                          "out": out, "y": target})
        torch.testing.assert_close(got, fn(out, y), rtol=0, atol=1e-7)


def test_a_kind_without_a_code_writer_is_refused_naming_the_layer(monkeypatch):
    trainer = Trainer(Spec.from_dict(CONV))
    monkeypatch.setitem(layers.KINDS, "maxpool2d", dataclasses.replace(layers.KINDS["maxpool2d"], code=None))
    with pytest.raises(NotExportable, match=r"layer 2 \(pool1\) is a Max pool layer"):
        export(trainer, "script", "net", epochs=1)


def test_weights_round_trip_with_the_spec_in_the_metadata():
    trainer = Trainer(Spec.from_dict(CONV))
    trainer.train_epochs(1)
    data = weights_bytes(trainer.model, trainer.spec)
    assert data[8:].lstrip(b"{").startswith(b'"') and b"pickle" not in data[:200]
    assert read_spec(data) == trainer.spec  # torch-free
    spec, tensors = read_weights(data)
    fresh = Trainer(spec)
    restore_into_trainer(fresh, tensors)
    x = trainer.data.x_test
    torch.testing.assert_close(fresh.predict(x), trainer.predict(x), rtol=0, atol=0)
    assert fresh.history.as_dict()["test_loss"] == [trainer.latest_metrics()["test_loss"]]


def test_weights_that_do_not_fit_are_refused_naming_the_layer():
    spec = Spec.from_dict(DENSE)
    data = weights_bytes(Trainer(spec).model, spec)
    wider = Spec.from_dict({**DENSE, "layers": [{**layer, "units": 7} for layer in DENSE["layers"]]})
    other = Trainer(wider)
    before = other.predict(other.data.x_test)
    with pytest.raises(WeightsError, match=r"layer dense1: dense1\.linear\.weight has shape \(6, 3\) in the file"):
        restore_into_trainer(other, read_weights(data)[1])
    torch.testing.assert_close(other.predict(other.data.x_test), before)  # untouched
    with pytest.raises(WeightsError, match="not a safetensors"):
        read_weights(b"\x03\x00\x00\x00\x00\x00\x00\x00{}x")


def test_onnx_matches_onnxruntime_on_the_test_set():
    trainer = Trainer(Spec.from_dict(CONV))
    trainer.train_epochs(1)
    from playground.export.onnx_model import run_onnx

    data = export(trainer, "onnx", "convnet")["convnet.onnx"]
    got = run_onnx(data, trainer.data.x_test)
    want = trainer.predict(trainer.data.x_test).numpy()
    assert got.shape == want.shape == (len(trainer.data.x_test), 10)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_an_lstm_exports_to_onnx_and_round_trips_its_weights():
    from playground.export.onnx_model import run_onnx

    trainer = Trainer(Spec.from_dict({**LSTM, "layers": [{"type": "lstm", "hidden": 5, "bidirectional": True}]}))
    trainer.train_epochs(1)
    x = trainer.data.x_test
    want = trainer.predict(x)
    got = run_onnx(export(trainer, "onnx", "lstm")["lstm.onnx"], x)
    assert got.shape == tuple(want.shape) == (len(x), trainer.data.n_outputs)
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-4)
    spec, tensors = read_weights(export(trainer, "safetensors", "lstm")["lstm.safetensors"])
    assert spec == trainer.spec and "lstm1.rnn.weight_hh_l0_reverse" in tensors
    fresh = Trainer(spec)
    restore_into_trainer(fresh, tensors)
    torch.testing.assert_close(fresh.predict(x), want, rtol=0, atol=0)


def test_the_film_refuses_sequence_data_saying_why():
    from playground.export.formats import unsupported

    spec = Spec.from_dict(LSTM)
    assert "sequence data (recall)" in unsupported(spec, "gif")
    assert unsupported(spec, "script") is None and unsupported(spec, "onnx") is None
    with pytest.raises(NotExportable, match=r"sequence data \(recall\) has none of these"):
        export(Trainer(spec), "gif", "film", epochs=2, frames=1)


def test_bundle_and_file_names():
    assert file_stem(Spec.from_dict(DENSE)) == "spiral-6-6"
    assert file_stem(Spec.from_dict(CONV)) == "digits-conv3-pool-conv4-pool-bn-dropout-8"
    assert bundle({"a.gif": b"G"}, "a", "image/gif") == ("a.gif", b"G", "image/gif")
    name, data, mime = bundle({"a.py": b"P", "a.npz": b"N"}, "a")
    assert name == "a.zip" and mime == "application/zip"
    import io

    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["a/a.npz", "a/a.py"]
    assert set(FORMATS) == {"script", "notebook", "safetensors", "onnx", "gif"}


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from playground.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_exports_weights_and_train_restores_them(tmp_path, capsys):
    config = tmp_path / "spec.json"
    config.write_text(Spec.from_dict(DENSE).to_json())
    code, out, err = _cli(capsys, "export", "--config", str(config), "--format", "safetensors",
                          "--out", str(tmp_path / "w.safetensors"), "--epochs", "2")
    assert code == 0, err
    assert json.loads(out)["files"][0]["path"].endswith("w.safetensors")
    trained = Trainer(Spec.from_dict(DENSE))
    trained.train_epochs(2)
    code, out, err = _cli(capsys, "train", "--weights", str(tmp_path / "w.safetensors"), "--epochs", "0")  # its spec
    assert code == 0, err
    assert json.loads(out)["test_loss"] == pytest.approx(trained.latest_metrics()["test_loss"], abs=1e-6)
    # A file whose tensors do not fit the config: exit 2 and one line naming the layer.
    narrow = tmp_path / "narrow.json"
    narrow.write_text(Spec.from_dict({**DENSE, "layers": [{"type": "dense", "units": 3, "activation": "relu"}]}).to_json())
    code, out, err = _cli(capsys, "train", "--config", str(narrow), "--weights", str(tmp_path / "w.safetensors"))
    assert code == 2 and err.count("\n") == 1 and "layer dense1" in err and "w.safetensors" in err
    code, out, err = _cli(capsys, "export", "--config", str(config), "--format", "script",
                          "--out", str(tmp_path / "s.py"), "--weights", str(tmp_path / "w.safetensors"))
    assert code == 2 and "--weights applies to" in err
    code, out, err = _cli(capsys, "export", "--config", str(config), "--format", "script", "--out",
                          str(tmp_path / "s.py"), "--epochs", "7")
    assert code == 0 and {f["path"][-5:] for f in json.loads(out)["files"]} == {"/s.py", "s.npz"}
    assert "EPOCHS = 7" in (tmp_path / "s.py").read_text() and 'with_name("s.npz")' in (tmp_path / "s.py").read_text()


@pytest.mark.parametrize("config", [DENSE, CONV, {"dataset": {"name": "sine", "n_samples": 60}, "features": ["x1"]}],
                         ids=["points", "images", "curve"])
def test_the_film_is_an_animated_gif_of_the_training(config):
    import io

    from PIL import Image

    from playground.export.film import PANEL, record_film

    trainer = Trainer(Spec.from_dict(config))
    frames = record_film(trainer, epochs=4, n_frames=2)
    assert [f.epoch for f in frames] == [0, 2, 4] and trainer.epoch == 4
    assert frames[0].output.shape == (PANEL, PANEL, 3) and not np.array_equal(frames[0].output, frames[-1].output)
    assert len(frames[-1].train_loss) == 5  # the curve up to that frame
    data = export(Trainer(Spec.from_dict(config)), "gif", "film", epochs=4, frames=2, seconds=3.0)["film.gif"]
    gif = Image.open(io.BytesIO(data))
    assert gif.format == "GIF" and gif.n_frames == 3 and gif.info.get("loop") == 0


def test_the_app_exports_and_loads_weights_through_the_runner():
    """What the Export menu does: build the file where the trainer lives, load one into another trainer."""
    from playground.export.formats import export_in_trainer, load_weights_in_trainer
    from playground.live import LiveRunner

    spec = Spec.from_dict(DENSE)
    trained, fresh = LiveRunner(spec, mode="thread"), LiveRunner(spec, mode="thread")
    try:
        trained.step_epochs(2)
        name, data, mime = trained.call(export_in_trainer, "safetensors", {})
        assert name == "spiral-6-6.safetensors" and read_spec(data) == spec
        assert fresh.call(load_weights_in_trainer, data) == len(read_weights(data)[1])
        x = trained.data.x_test
        got, want = (r.call(_predict, x) for r in (fresh, trained))
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        name, data, mime = trained.call(export_in_trainer, "script", {"epochs": 5})
        assert name == "spiral-6-6.zip" and mime == "application/zip"
    finally:
        trained.close()
        fresh.close()


def _predict(trainer, x):
    return trainer.predict(x)


def test_the_toolbar_offers_every_export():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    try:
        assert not at.exception, at.exception
        labels = [b.proto.label for b in at.get("download_button")]
        assert all(f.title in labels for f in FORMATS.values())
        assert "Load weights (.safetensors)" in [u.proto.label for u in at.get("file_uploader")]
    finally:
        at.session_state["experiments"][0].runner.close()


def test_the_export_menu_and_the_formats_table_import_no_torch():
    """The app server draws the Export menu and reads a weights file's spec without torch."""
    code = ("import sys, playground.ui.export_menu, playground.export.formats, playground.export.weights; "
            "print('torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
