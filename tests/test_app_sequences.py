"""App test for sequences: pick the problem type, build an LSTM by clicking, Step it, see the views."""
from pathlib import Path

import board
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def at():
    app = AppTest.from_file(APP, default_timeout=90).run()
    assert not app.exception, app.exception
    yield app
    app.session_state["experiments"][0].runner.close()
    assert not app.exception, app.exception


def _exp(at):
    return at.session_state["experiments"][0]


def test_build_an_lstm_by_clicking_and_step_it(at):
    at.selectbox(key="problem").select("sequence").run()
    exp = _exp(at)
    assert exp.data.kind == "sequence" and exp.spec.grad_clip == 1.0  # clipping on for recurrent nets
    # A pure LSTM net has no dense layer for the toolbar's activation picker to set: it says what the cell uses.
    picker = at.selectbox(key="activation_fixed")
    assert picker.disabled and picker.value == "σ, tanh" and not [s for s in at.selectbox if s.value == "mixed"]
    labels = [b.label for b in at.button]
    assert {"Recall", "Adding", "Forecast", "Text"} <= set(labels)
    at.button(key="dataset_brackets").click().run()
    assert _exp(at).spec.dataset.name == "brackets"
    # Start from nothing, then click an LSTM and an embedding in (the embedding goes first).
    while _exp(at).spec.layers:
        at.button(key="remove_layer").click().run()
    at.selectbox(key="new_layer_type").select("lstm").run()
    at.button(key="add_layer").click().run()
    at.selectbox(key="new_layer_type").select("embedding").run()
    at.button(key="add_layer").click().run()
    assert [l.type for l in _exp(at).spec.layers] == ["lstm", "embedding"]
    at.button(key="layer1_left").click().run()
    assert [l.type for l in _exp(at).spec.layers] == ["embedding", "lstm"]
    at.number_input(key="layer1_hidden").set_value(12).run()
    assert _exp(at).spec.layers[1].hidden == 12
    at.slider(key="length").set_value(30).run()
    assert _exp(at).spec.dataset.length == 30 and _exp(at).data.input_shape == (30, 5)
    at.button(key="step").click().run()
    assert board.metric(at, "Epoch") == "1"
    assert not at.error, [e.value for e in at.error]
    # A dense layer before the LSTM is refused, naming the layer; the network stays.
    before = _exp(at).spec
    at.selectbox(key="new_layer_type").select("dense").run()
    at.button(key="add_layer").click().run()
    at.button(key="layer2_left").click().run()
    assert any("lstm1" in e.value and "needs a sequence" in e.value for e in at.error)
    assert [l.type for l in _exp(at).spec.layers] == ["embedding", "lstm", "dense"]
    assert before.layers == _exp(at).spec.layers[:2]


def test_text_and_forecast_pages_step_and_show_their_views(at):
    at.selectbox(key="problem").select("sequence").run()
    for name in ("text", "forecast"):
        at.button(key=f"dataset_{name}").click().run()
        assert _exp(at).spec.dataset.name == name and _exp(at).data.per_step
        at.button(key="step").click().run()
        assert board.metric(at, "Epoch") == "1"
        assert not at.error, [e.value for e in at.error]
    assert any(u.key == "upload_sequence" for u in at.get("file_uploader"))  # the forecast's own series


def test_the_memory_lab_opens_steps_and_draws_each_runs_gradient_through_time(at):
    """A compare of recurrent runs: each run's cell shows its hidden state and gradient through time."""
    at.button(key="lab_open_memory").click().run()
    runs = at.session_state["experiments"]
    assert [r.spec.layers[0].type for r in runs] == ["rnn", "lstm", "gru"]
    at.button(key="step").click().run()
    assert not at.exception, at.exception
    verdict = next(i.value for i in at.info if "Verdict" in i.value)
    assert "After 1 epoch (" in verdict and verdict.count("memory horizon") == 3
    assert not [c.value for c in at.caption if "could not be drawn" in c.value]
    for r in runs[1:]:
        r.runner.close()
