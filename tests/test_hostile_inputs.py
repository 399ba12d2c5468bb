"""Every hostile input issue 8 lists, kept as a regression corpus: each is refused cleanly.

Links (Spec.from_query), CLI configs and options (exit 2 and one line naming the field),
uploads (CSV, image, IDX, config) and the silent wrongs (NaN in the CLI's JSON, an unstable
run said nowhere). The same links and uploads through the app are in test_hostile_app.py.
"""
import gzip
import io
import json
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

import datasets
from datasets import DatasetError
from playground.cli import main
from playground.spec import MAX_LAYERS, Spec, SpecError

DEEP = "[" * 10_000 + "]" * 10_000
DIGITS = "1" * 5_001

# (query parameters, the field the refusal must name)
LINKS = [
    ({"dataset.noise": "1"}, "dataset.noise"),
    ({"dataset.train_ratio": "0.05"}, "dataset.train_ratio"),
    ({"dataset.train_ratio": "0.95"}, "dataset.train_ratio"),
    ({"optimizer.momentum": "0.995"}, "optimizer.momentum"),
    ({"layers": '[{"type":"dense","units":4,"dropout":0.999}]'}, "layers[0].dropout"),
    ({"seed.x": "1"}, "seed.x"),
    ({"layers.0": "1"}, "layers.0"),
    ({"features.x": "1"}, "features.x"),
    ({"grad_clip.x": "1"}, "grad_clip.x"),
    ({"loss.kind": "1"}, "loss.kind"),
    ({"dataset": "foo", "dataset.name": "spiral"}, "dataset"),
    ({"dataset.name": "spiral", "dataset": "foo"}, "dataset"),
    ({"seed": "18446744073709551616"}, "seed"),
    ({"seed": "1e308"}, "seed"),
    ({"dataset.seed": "-1"}, "dataset.seed"),
    ({"dataset.seed": "2147483648"}, "dataset.seed"),
    ({"layers": DEEP}, "layers"),
    ({"seed": DIGITS}, "seed"),
    ({"optimizer.lr": DIGITS}, "optimizer.lr"),
    ({"layers": '[{"type":"dense","units":' + DIGITS + "}]"}, "layers"),
    ({"layers": '[{"type":["dense"]}]'}, "layers[0].type"),
    ({"layers": '[{"type":{"a":1}}]'}, "layers[0].type"),
    ({"dataset.name": "spiral", "dataset.n_samples": "70000"}, "dataset.n_samples"),
    ({"dataset.name": "digits", "dataset.n_samples": "5000"}, "dataset.n_samples"),
    ({"batch_size": "1", "layers": '[{"type":"dense","units":4,"batch_norm":true}]'}, "batch_size"),
    ({"dataset.n_samples": "10", "dataset.train_ratio": "0.1", "layers": '[{"type":"batchnorm"}]'},
     "dataset.n_samples"),
    ({"layers": json.dumps([{"type": "flatten"}] * (MAX_LAYERS + 1))}, "layers"),
    ({"loss": "x" * 100_000}, "loss"),                      # a paragraph as a name: refused, echoed in part
    ({"dataset.name": "x" * 100_000}, "dataset.name"),
    ({"layers": json.dumps([{"type": "dense", "activation": "x" * 100_000}])}, "layers[0].activation"),
]


@pytest.mark.parametrize("params, field", LINKS, ids=[",".join(p)[:40] for p, _ in LINKS])
def test_link_is_refused_naming_the_field(params, field):
    with pytest.raises(SpecError) as info:
        Spec.from_query(params)
    assert info.value.path == field
    assert len(str(info.value)) < 800  # a 5,000-digit value or 100,000-letter name is not echoed back whole


def test_widget_bounds_agree_with_the_spec_at_the_extremes():
    """The spec's extreme values are exactly what the widgets are drawn to accept (BOUNDS)."""
    spec = Spec.from_query({"dataset.noise": "0.5", "dataset.train_ratio": "0.9", "optimizer.momentum": "0.99",
                            "layers": '[{"type":"dense","units":4,"dropout":0.9}]', "seed": "2147483647"})
    assert (spec.dataset.noise, spec.dataset.train_ratio, spec.optimizer.momentum) == (0.5, 0.9, 0.99)
    assert spec.layers[0].dropout == 0.9 and spec.seed == 2**31 - 1


def test_three_million_layers_are_refused_before_any_is_built():
    data = {"layers": [{"type": "dense", "units": 4}] * 3_000_000}
    started = time.perf_counter()
    with pytest.raises(SpecError, match="at most 16 hidden layers, got 3,000,000"):
        Spec.from_dict(data)
    assert time.perf_counter() - started < 5  # not a speed budget: building them took over 60 s


# -- the CLI: exit 2 and one line naming the field ------------------------------------------

def _fail_line(capsys, argv) -> str:
    assert main(["train", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


CLI_CONFIGS = [
    ('{"layers": ' + DEEP + "}", "nested more than"),
    ('{"dataset": ' + "[" * 1_000 + "]" * 1_000 + "}", "nested more than"),
    ('{"seed": ' + "9" * 5_000 + "}", "5,000 digits"),
    ('{"seed": 18446744073709551616}', "seed:"),
    ('{"seed": 1e30}', "seed:"),
    ('{"dataset": {"seed": -1}}', "dataset.seed:"),
    ('{"dataset": {"seed": 1e30}}', "dataset.seed:"),
    ('{"layers": [{"type": ["dense"]}]}', "layers[0].type:"),
    ('{"layers": [{"type": {"name": "dense"}}]}', "layers[0].type:"),
    ('{"layers": [{"type": "dense", "units": 4, "batch_norm": true}], "batch_size": 1}', "batch_size:"),
    ('{"layers": [{"type": "batchnorm"}], "dataset": {"n_samples": 10, "train_ratio": 0.1}}',
     "dataset.n_samples:"),
    ('{"layers": [{"type": "batchnorm"}], "dataset": {"n_samples": 10, "train_ratio": 0.05}}',
     "dataset.train_ratio:"),
    ('{"layers": [{"type": "dense"}], "dataset": {"name": "spiral", "n_samples": 70000}}', "dataset.n_samples:"),
    (json.dumps({"layers": [{"type": "flatten"}] * 50_000}, separators=(",", ":")), "at most 16 hidden layers, got 50,000"),
    ('{"optimizer": {"lr": NaN}}', "optimizer.lr:"),
    (b"\xff\xfe{}", "not UTF-8"),
    ('{"a\\nb": 1}', "unknown key"),  # a key holding a newline: still one line
]


@pytest.mark.parametrize("text, says", CLI_CONFIGS, ids=[str(s) for _, s in CLI_CONFIGS])
def test_cli_refuses_a_bad_config_in_one_line(tmp_path, capsys, text, says):
    path = tmp_path / "spec.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert says in _fail_line(capsys, ["--config", str(path), "--steps", "1"])


def test_cli_refuses_a_huge_config_unread(tmp_path, capsys):
    path = tmp_path / "huge.json"
    layer = '{"type":"dense","units":4}'
    path.write_text('{"layers": [' + (layer + ",") * 2_999_999 + layer + "]}")  # 3 million layers, ~80 MB
    assert "larger than 1,048,576 bytes" in _fail_line(capsys, ["--config", str(path)])


@pytest.mark.parametrize("option, value", [("--threads", "-1"), ("--threads", "0"), ("--threads", "100000"),
                                           ("--seed", "-1"), ("--seed", str(2**64)), ("--seed", "2147483648")])
def test_cli_refuses_bad_threads_and_seeds(tmp_path, capsys, option, value):
    path = tmp_path / "spec.json"
    path.write_text("{}")
    assert _fail_line(capsys, ["--config", str(path), "--steps", "1", option, value]).startswith(f"error: {option}")


def test_cli_json_has_no_nan_and_says_why(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"dataset": {"name": "plane"}, "init": "normal", "optimizer": {"lr": 100},
                                "layers": [{"type": "dense", "units": 8, "activation": "relu"}] * 3}))
    assert main(["train", "--config", str(path), "--epochs", "5"]) == 0
    text = capsys.readouterr().out

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    out = json.loads(text, parse_constant=refuse)  # what jq and JSON.parse accept
    assert out["diverged"] is True and out["train_loss"] is None
    assert "not finite numbers, written as null: train_loss" in out["message"]


def _unstable_config(tmp_path, lr):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"optimizer": {"lr": lr}}))
    return str(path)


def test_cli_says_when_training_is_unstable(tmp_path, capsys):
    assert main(["train", "--config", _unstable_config(tmp_path, 100), "--epochs", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diverged"] is False and out["train_loss"] > 10  # trains on, far above its start (~0.7)
    assert len(out["warnings"]) == 1 and out["warnings"][0].startswith("training is unstable")
    assert main(["train", "--config", _unstable_config(tmp_path, 0.03), "--epochs", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def test_frame_header_says_when_training_is_unstable():
    from playground.frame import take_frame
    from playground.train import Trainer

    trainer = Trainer(Spec.from_dict({"optimizer": {"lr": 100}}))
    trainer.train_epochs(5)
    first, last = trainer.history.columns["train_loss"][0], trainer.history.columns["train_loss"][-1]
    assert last > 10 * first  # the premise, measured
    assert any(w.startswith("training is unstable") for w in take_frame(trainer).header.warnings)


# -- uploads: CSV, image, IDX ------------------------------------------------------------------

def test_csv_over_the_byte_cap_is_refused_unparsed():
    row = b"0.123456789,0.987654321,1\n"
    data = io.BytesIO(b"x1,x2,label\n" + row * (datasets.MAX_CSV_BYTES // len(row) + 1))
    with pytest.raises(DatasetError, match="larger than 10 MB"):
        datasets.load_points_csv(data)
    assert data.tell() == datasets.MAX_CSV_BYTES + 1  # read one byte past the cap, not the rest


def test_csv_stops_at_the_row_cap():
    rows = "".join(f"{i},{i},{i % 2}\n" for i in range(30_000))
    with pytest.raises(DatasetError, match="more than 20,000 data rows .row 20,002"):
        datasets.load_points_csv("x1,x2,label\n" + rows)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header says width × height (its pixel data is a stub: it is never decoded)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [20_000, 13_000, 5_000])
def test_image_with_too_many_pixels_is_refused_before_decoding(side):
    with pytest.raises(DatasetError, match="pixels"):
        datasets.load_user_image(_png_header(side, side), 8, 8)


@pytest.mark.parametrize("data", [b"", b"not an image", _png_header(64, 64)[:40], b"\x89PNG\r\n\x1a\n" + b"\0" * 100])
def test_unreadable_image_is_refused(data):
    with pytest.raises(DatasetError, match="not an image"):
        datasets.load_user_image(data, 8, 8)


def test_image_over_the_byte_cap_is_refused():
    with pytest.raises(DatasetError, match="at most 10 MB"):
        datasets.load_user_image(b"\0" * (datasets.MAX_IMAGE_BYTES + 1), 8, 8)


def test_a_good_image_is_shrunk_and_inverted():
    img = Image.new("L", (40, 40), 255)  # white paper...
    img.paste(0, (15, 0, 25, 40))        # ...with a dark bar in the middle
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    pixels = datasets.load_user_image(buffer.getvalue(), 8, 8)
    assert pixels.shape == (8, 8) and pixels.dtype == np.float32
    assert pixels[:, 4].min() > 0.9 and pixels[:, 0].max() < 0.1  # inverted: the bar is now light


def _idx(dims, body=b"", code=0x08) -> bytes:
    return struct.pack(">HBB", 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims) + body


@pytest.mark.parametrize("raw, says", [
    (_idx([0xFFFFFFFF] * 4), "at most 268,435,456 are read"),     # the product overflows int64
    (_idx([1] * 255), "255 dimensions"),
    (gzip.compress(_idx([2**31])), "at most 268,435,456 are read"),  # header of a 2 GiB bomb
], ids=["dims-overflow", "255-dims", "2GiB-header"])
def test_idx_header_is_checked_before_the_data(tmp_path, raw, says):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(raw)
    with pytest.raises(DatasetError, match=says):
        datasets.read_idx(path)


def test_idx_gzip_bomb_is_streamed_not_inflated(tmp_path):
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip: 10 labels, then 16 MiB of zeros
    zeros = b"\0" * 2**20
    parts = [packer.compress(_idx([10], bytes(10)))] + [packer.compress(zeros) for _ in range(16)]
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"".join(parts) + packer.flush())
    assert path.stat().st_size < 50_000
    with pytest.raises(DatasetError, match="extra bytes"):
        datasets.read_idx(path)


def test_batch_norm_with_one_uploaded_training_point_is_refused():
    from playground.data import CustomData
    from playground.train import Trainer

    X, y, task = datasets.load_points_csv("x1,x2,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n")
    spec = Spec.from_dict({"dataset": {"name": "custom", "train_ratio": 0.1}, "layers": [{"type": "batchnorm"}]})
    with pytest.raises(SpecError) as info:
        Trainer(spec, CustomData(X, y, task))
    assert info.value.path == "dataset.train_ratio" and "1 sample" in str(info.value)


def test_a_refusal_crosses_from_a_trainer_process_intact():
    import pickle

    back = pickle.loads(pickle.dumps(SpecError("batch_size", "must be at least 2 with batch norm")))
    assert (type(back), back.path, str(back)) == (SpecError, "batch_size", "batch_size: must be at least 2 with batch norm")


@pytest.mark.parametrize("argv", [["--threads", "abc"], ["--steps", "1e3"], ["--steps", "1", "--epochs", "1"],
                                  ["--nope"], []])
def test_cli_option_errors_are_one_line_too(tmp_path, capsys, argv):
    path = tmp_path / "spec.json"
    path.write_text("{}")
    with pytest.raises(SystemExit) as info:
        main(["train", *(["--config", str(path)] if argv else []), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: python -m playground")
