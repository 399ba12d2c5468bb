"""The headless CLI: a JSON summary on success, one line naming the field on a bad config."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from playground.cli import main
from playground.spec import Spec

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path, data, name="spec.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_train_prints_the_summary(tmp_path, capsys):
    config = _write(tmp_path, Spec().to_dict())
    assert main(["train", "--config", config, "--epochs", "100"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("steps", "epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                "grad_norms", "diverged", "seconds"):
        assert key in out
    assert out["epochs"] == 100 and out["steps"] == 2500
    assert list(out["grad_norms"]) == ["dense1", "dense2", "output"]
    assert out["test_accuracy"] >= 0.95 and out["diverged"] is False


def _run(capsys, *argv) -> dict:
    assert main(["train", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_steps_and_seed(tmp_path, capsys):
    config = _write(tmp_path, Spec().to_dict())
    a = _run(capsys, "--config", config, "--steps", "7", "--seed", "3")
    b = _run(capsys, "--config", config, "--steps", "7", "--seed", "3")
    assert a["steps"] == 7 and a["epochs"] == 0
    assert a["train_loss"] == b["train_loss"] and a["grad_norms"] == b["grad_norms"]  # equal seeds: equal runs
    c = _run(capsys, "--config", config, "--steps", "7", "--seed", "4")
    assert c["train_loss"] != a["train_loss"] and c["grad_norms"] != a["grad_norms"]  # another seed: another run


def test_steps_inside_the_first_epoch_report_the_last_step(tmp_path, capsys):
    import copy

    import torch
    import torch.nn.functional as F

    from playground.train import Trainer

    config = _write(tmp_path, Spec().to_dict())
    before = _run(capsys, "--config", config, "--steps", "0")
    out = _run(capsys, "--config", config, "--steps", "1")
    # Plain PyTorch: one SGD step on the trainer's first mini-batch, then the loss on the training set.
    trainer = Trainer(Spec())
    model = copy.deepcopy(trainer.model)
    order = torch.randperm(len(trainer._x_train), generator=torch.Generator().manual_seed(Spec().seed))
    xb, yb = trainer._x_train[order[:10]], trainer._y_train[order[:10]]
    F.binary_cross_entropy_with_logits(model(xb).squeeze(1), yb).backward()
    grads = {name: float(layer.weight.grad.norm()) for name, layer in model.weight_layers()}
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.03 * p.grad
        loss = float(F.binary_cross_entropy_with_logits(model.eval()(trainer._x_train).squeeze(1), trainer._y_train))
    assert out["steps"] == 1 and out["train_loss"] != before["train_loss"]
    assert out["train_loss"] == pytest.approx(loss, rel=1e-5)
    assert out["grad_norms"] == pytest.approx(grads, rel=1e-5) and all(v > 0 for v in out["grad_norms"].values())


@pytest.mark.parametrize("threads", ["0", "-2", "65", "100000"])
def test_threads_out_of_range_exit_2_with_one_line(tmp_path, capsys, threads):
    config = _write(tmp_path, Spec().to_dict())
    assert main(["train", "--config", config, "--steps", "1", "--threads", threads]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --threads must be between 1 and 64") and err.count("\n") == 1


def test_threads_help_says_what_it_does(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "torch intra-op threads" in text and "default 1" in text


def test_clipping_is_reported_by_the_cli(tmp_path, capsys):
    config = _write(tmp_path, {**Spec().to_dict(), "init": "normal", "grad_clip": 0.01})
    out = _run(capsys, "--config", config, "--steps", "1")
    assert out["clip"]["clipped"] is True and out["clip"]["max_norm"] == 0.01
    assert all(out["grad_norms_preclip"][n] > out["grad_norms"][n] for n in out["grad_norms"])


def test_divergence_is_reported(tmp_path, capsys):
    spec = Spec.from_dict({"dataset": {"name": "plane"}, "init": "normal", "optimizer": {"lr": 10},
                           "layers": [{"type": "dense", "units": 8, "activation": "relu"}] * 4})
    config = _write(tmp_path, spec.to_dict())
    assert main(["train", "--config", config, "--epochs", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diverged"] is True and "lower the learning rate" in out["message"].lower()


@pytest.mark.parametrize("content, words", [
    ({"optimizer": {"lr": -0.1}}, "optimizer.lr: must be > 0"),
    ({"layers": [{"type": "dense", "units": "many"}]}, "layers[0].units: must be a whole number"),
    ({"dataset": {"name": "imagenet"}}, "dataset.name: unknown dataset"),
    ('{"seed": ', "not valid JSON"),
    ({"dataset": {"name": "digits"}, "layers": [{"type": "conv2d", "kernel": 9}]},
     "kernel 9 is larger than its 8×8 input"),
])
def test_bad_config_exits_2_with_one_line(tmp_path, capsys, content, words):
    config = _write(tmp_path, content)
    assert main(["train", "--config", config]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err
    assert err.count("\n") == 1  # one line, no traceback


def test_missing_config_file(tmp_path, capsys):
    assert main(["train", "--config", str(tmp_path / "nope.json")]) == 2
    assert "cannot read config" in capsys.readouterr().err


def test_custom_csv_data(tmp_path, capsys):
    rows = ["x1,x2,label"] + [f"{x},{y},{int(x * y > 0)}" for x in range(-5, 6) for y in (-3, -1, 1, 3)]
    data = _write(tmp_path, "\n".join(rows), "points.csv")
    config = _write(tmp_path, {"features": ["x1_x2"], "layers": []})
    assert main(["train", "--config", config, "--data", data, "--epochs", "30"]) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] >= 0.9
    bad = _write(tmp_path, "x1,x2,label\n1,2,0\n1,oops,1\n2,2,0\n3,1,1\n", "bad.csv")
    assert main(["train", "--config", config, "--data", bad]) == 2
    assert "row 3" in capsys.readouterr().err


def test_module_entry_point_runs(tmp_path):
    config = _write(tmp_path, Spec().to_dict())
    done = subprocess.run([sys.executable, "-m", "playground", "train", "--config", config, "--steps", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"] == 5
