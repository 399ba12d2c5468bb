"""Hostile links and uploads through the app (AppTest): a message, the experiment unchanged, no traceback."""
import io
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import datasets
from playground.spec import Spec
from test_hostile_inputs import DIGITS, LINKS, _png_header

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _exp(at):
    return at.session_state["experiments"][0]


def _open(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def opened():
    """Open the app on a link; every page opened is closed, and none may show a traceback."""
    pages = []

    def open_link(params=None):
        pages.append(_open(params or {}))
        return pages[-1]

    yield open_link
    for at in pages:
        _exp(at).runner.close()
        assert not at.exception, at.exception


# One link of each kind the issue lists (all of them are refused in the engine: test_hostile_inputs).
APP_LINKS = [LINKS[i] for i in (0, 5, 10, 16, 20, 24)]


@pytest.mark.parametrize("params, field", APP_LINKS, ids=[",".join(p)[:40] for p, _ in APP_LINKS])
def test_hostile_link_shows_a_message_and_the_default(opened, params, field):
    at = opened(params)
    assert not at.exception
    assert any(field in e.value and "default experiment" in e.value for e in at.error), [e.value for e in at.error]
    assert _exp(at).spec == Spec()


@pytest.mark.parametrize("n", ["50000", "10"])
def test_link_to_uploaded_data_falls_back_to_circle(opened, n):
    at = opened({"dataset.name": "custom", "dataset.n_samples": n,
                 "layers": '[{"type":"dense","units":3,"batch_norm":true}]'})
    assert any("uploaded CSV data, which a link cannot carry" in e.value for e in at.error)
    spec = _exp(at).spec
    assert spec.dataset.name == "circle" and spec.dataset.n_samples is None and spec.layers[0].batch_norm


def test_link_at_the_spec_extremes_is_drawn_by_its_widgets(opened):
    at = opened({"dataset.noise": "0.5", "dataset.train_ratio": "0.9", "optimizer.momentum": "0.99",
                 "layers": '[{"type":"dense","units":4,"dropout":0.9}]'})
    assert not at.exception and not at.error
    assert at.slider(key="noise").value == 50 and at.slider(key="train_ratio").value == 90
    assert at.slider(key="momentum").value == 0.99
    at.toggle(key="layer_details").set_value(True).run()  # the layer cards
    assert at.slider(key="layer0_dropout").value == 0.9 and at.slider(key="layer0_dropout").max == 0.9


def test_samples_widget_shows_what_is_trained_on(opened):
    at = opened({"dataset.name": "spiral", "dataset.n_samples": "20000"})
    assert not at.error
    assert _exp(at).spec.dataset.n_samples == 20_000 and at.number_input(key="n_samples").value == 20_000
    assert at.number_input(key="n_samples").max == 20_000  # the widget's maximum is the set's
    at = opened({"dataset.name": "spiral", "dataset.n_samples": "70000"})  # above it: refused, not shrunk silently
    assert _exp(at).spec == Spec() and at.number_input(key="n_samples").value == 500


def _upload(at, key, name, data, mime="application/octet-stream"):
    at.file_uploader(key=key).set_value((name, data, mime)).run()
    return at


BAD_CONFIGS = [
    ('{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than"),
    ('{"seed": ' + DIGITS + "}", "digits"),
    ('{"layers": [{"type": ["dense"]}]}', "layers[0].type"),
    ('{"layers": [{"type": "dense", "units": 4, "batch_norm": true}], "batch_size": 1}', "batch_size"),
    ('{"dataset": {"noise": 1}}', "dataset.noise"),
    ("{" + " " * (2**20) + "}", "a config is at most"),
]


def test_hostile_config_uploads_are_refused_and_change_nothing(opened):
    at = opened()
    for i, (text, says) in enumerate(BAD_CONFIGS):  # one page, one upload after another
        _upload(at, "upload_config", f"bad{i}.json", text.encode(), "application/json")
        assert not at.exception
        assert any(says in e.value and f"bad{i}.json was not loaded, nothing changed" in e.value for e in at.error), \
            [e.value for e in at.error]
        assert not at.success and _exp(at).spec == Spec()


def test_config_at_the_spec_extremes_loads(opened):
    at = opened()
    spec = Spec.from_dict({"dataset": {"noise": 0.5, "train_ratio": 0.1}, "optimizer": {"momentum": 0.99},
                           "layers": [{"type": "dense", "units": 4, "dropout": 0.9}]})
    _upload(at, "upload_config", "extreme.json", spec.to_json().encode(), "application/json")
    assert not at.error and any("Loaded the experiment" in s.value for s in at.success)
    assert _exp(at).spec == spec and at.slider(key="train_ratio").value == 10


def test_batch_size_one_with_batch_norm_is_refused_in_the_app(opened):
    at = opened({"layers": '[{"type":"dense","units":4,"batch_norm":true}]'})
    before = _exp(at).spec
    at.select_slider(key="batch_size").set_value(1).run()
    assert any("batch_size" in e.value and "batch norm" in e.value for e in at.error)
    assert _exp(at).spec == before
    at.button(key="step").click().run()  # and Step still trains, at the old batch size
    assert _exp(at).runner.status["epoch"] == 1


def test_hostile_csv_uploads_are_refused(opened):
    at = opened()
    for data, says in [(b"x1,x2,label\n" + b"1,2,0\n" * 30_000, "more than 20,000 data rows"),
                       (b"\0\1\2", "binary data"), (b"x1,x2,label\n" + b"1e999,2,0\n" * 5, "not a finite number")]:
        _upload(at, "upload_csv", "points.csv", data, "text/csv")
        assert any(says in e.value for e in at.error), [e.value for e in at.error]
        assert _exp(at).spec == Spec()


def test_samples_of_an_uploaded_csv_are_its_rows(opened):
    at = opened()
    _upload(at, "upload_csv", "four.csv", b"x1,x2,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n", "text/csv")
    assert len(_exp(at).custom.X) == 4 and not at.error
    assert "n_samples" not in [n.key for n in at.number_input]  # no widget showing another number
    assert any("the 4 rows of your CSV" in c.value for c in at.caption)


def test_image_upload_bomb_is_refused_and_a_good_image_is_used(opened):
    at = opened({"dataset.name": "digits", "features": "x1", "layers": '[{"type":"dense","units":8}]'})
    at.radio(key="image_source").set_value("upload").run()
    _upload(at, "upload_image", "bomb.png", _png_header(20_000, 20_000), "image/png")
    assert any("bomb.png was not used" in e.value and "pixels" in e.value for e in at.error)
    assert "user_image" not in at.session_state
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 0).save(buffer, format="PNG")
    _upload(at, "upload_image", "dark.png", buffer.getvalue(), "image/png")
    assert at.session_state["user_image"].shape == (8, 8)


def test_upload_size_limits_match_the_parsers():
    from playground.spec import MAX_CONFIG_BYTES

    at = _open({})
    try:
        limits = {u.key: u.proto.max_upload_size_mb for u in at.file_uploader}
        assert limits == {"upload_config": MAX_CONFIG_BYTES // 2**20, "upload_csv": datasets.MAX_CSV_BYTES // 2**20}
    finally:
        _exp(at).runner.close()
