"""App tests: the script driven without a browser (streamlit.testing.v1.AppTest).

AppTest does not fire run_every timers, so training is driven with Step; the runner works
in a thread here (PLAYGROUND_WORKER=thread, set by conftest) instead of a process.
"""
import time
from pathlib import Path

import board
import pytest
from streamlit.testing.v1 import AppTest

from playground.spec import Spec

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _exp(at):
    return at.session_state["experiments"][0]


def _details(at):
    """Show the layer cards (the 2-D builder is drawn on the diagram, which AppTest cannot click)."""
    at.toggle(key="layer_details").set_value(True).run()
    return at


def _toolbar_activation(at):
    """The toolbar's all-layers activation picker (its key names the state it shows)."""
    return next(s for s in at.selectbox if s.label == "Activation" and s.key.startswith("activation_all"))


def _output_points(at) -> list:
    """The x of the data points the board's output chart draws."""
    import json

    figure = json.loads(board.boards(at)[0]["charts"]["output_chart"]["figure"])
    return [t.get("x") for t in figure["data"] if t.get("mode") == "markers"]


def _epoch(trainer) -> int:
    return trainer.epoch


def _learning_rate(trainer) -> float:
    return trainer.optimizer.param_groups[0]["lr"]


def _metric(at, label):
    return board.metric(at, label)


@pytest.fixture
def at():
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, app.exception
    yield app
    _exp(app).runner.close()
    assert not app.exception, app.exception  # no test may leave a traceback on the page


def test_page_shows_controls_views_and_metrics(at):
    labels = [b.label for b in at.button]
    for expected in ("Play", "Step", "+1 batch", "Reset", "Regenerate", "Circle", "Spiral"):
        assert expected in labels
    assert len(at.get("popover")) == 4  # Training, Share (and export), Lab, More data options
    assert list(board.metrics(at))[:3] == ["Epoch", "Train loss", "Test loss"]
    assert _metric(at, "Epoch") == "0"
    assert _exp(at).spec == Spec()
    assert not at.error


def test_step_trains_one_epoch_and_lowers_the_loss(at):
    before = float(_metric(at, "Train loss"))
    for _ in range(5):
        at.button(key="step").click().run()
    assert _metric(at, "Epoch") == "5"
    assert float(_metric(at, "Train loss")) < before
    at.button(key="step_batch").click().run()
    assert _exp(at).runner.status["step"] == 5 * 25 + 1


def test_reset_restores_the_initial_loss(at):
    initial = _metric(at, "Train loss")
    at.button(key="step").click().run()
    assert _metric(at, "Train loss") != initial
    at.button(key="reset").click().run()
    assert _metric(at, "Epoch") == "0" and _metric(at, "Train loss") == initial


def test_add_and_remove_layers(at):
    _details(at)
    at.button(key="add_layer").click().run()
    spec = _exp(at).spec
    assert len(spec.layers) == 3 and spec.layers[2].units == 2
    assert at.number_input(key="layer2_units").value == 2
    at.number_input(key="layer2_units").set_value(6).run()
    assert _exp(at).spec.layers[2].units == 6
    assert _exp(at).runner.data.input_shape == (2,)
    frame, _ = _exp(at).runner.frame()
    assert [len(c["labels"]) for c in frame.payload.columns] == [2, 4, 2, 6, 1]  # the diagram gets the new layer
    at.button(key="remove_layer").click().run()
    at.button(key="remove_layer").click().run()
    assert [l.units for l in _exp(at).spec.layers] == [4]
    assert not at.exception


def test_change_activation_per_layer_and_for_all(at):
    _details(at)
    at.selectbox(key="layer0_activation").select("relu").run()
    assert [l.activation for l in _exp(at).spec.layers] == ["relu", "tanh"]
    assert _toolbar_activation(at).value == "mixed"
    _toolbar_activation(at).select("sigmoid").run()
    assert [l.activation for l in _exp(at).spec.layers] == ["sigmoid", "sigmoid"]
    assert at.selectbox(key="layer1_activation").value == "sigmoid"


def test_learning_rate_changes_without_reset(at):
    at.button(key="step").click().run()
    at.button(key="step").click().run()
    at.selectbox(key="lr").select(0.3).run()
    assert _exp(at).spec.optimizer.lr == 0.3
    assert _metric(at, "Epoch") == "2"  # kept training state
    assert at.query_params["optimizer.lr"] in ("0.3", ["0.3"])  # the shareable URL follows


def test_a_page_run_while_playing_that_changes_nothing_drawn_reuses_the_last_frame(at, monkeypatch):
    import playground.ui.live_view as live_view

    monkeypatch.setattr(live_view, "FRAME_SECONDS", 600.0)  # "the last frame is recent", whatever the machine
    runner = _exp(at).runner
    runner.play()
    try:
        wait = time.monotonic() + 60
        while runner.call(_epoch) < 3:
            assert time.monotonic() < wait, "training did not start"
            time.sleep(0.05)
        at.run()  # a fresh frame (the first while playing)
        shown, points = _metric(at, "Epoch"), _output_points(at)
        assert int(shown.replace(",", "")) >= 3
        while runner.call(_epoch) <= int(shown.replace(",", "")):
            time.sleep(0.05)
        # The learning rate changes nothing the views draw: the frame just drawn is drawn again
        # (the next refresh, a fragment run, brings the new one) and the URL follows the change.
        next(s for s in at.selectbox if s.label.startswith("Learning")).set_value(0.1).run()
        assert _metric(at, "Epoch") == shown and _exp(at).spec.optimizer.lr == 0.1
        assert runner.call(_learning_rate) == 0.1  # the trainer got it
        assert at.query_params["optimizer.lr"] in ("0.1", ["0.1"])
        # Only the live views ran for it (state.redraw_only): AppTest's tree then holds
        # theirs alone, not the toolbar's.
        assert not [s for s in at.selectbox if s.label.startswith("Learning")]
        at.run()
        # A new dataset changes what is drawn: a fresh frame at once, of the new points.
        at.button(key="dataset_xor").click().run()
        assert _exp(at).spec.dataset.name == "xor" and _output_points(at) != points
    finally:
        runner.pause()


def test_a_link_to_an_unknown_lab_experiment_says_so_and_opens_the_default():
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["lab"] = "optimizers"  # the Lab's is "optimisers"
    app.run()
    try:
        assert not app.exception
        assert any("no Lab experiment 'optimizers'" in e.value and "optimisers" in e.value for e in app.error)
        assert _exp(app).spec == Spec() and len(app.session_state["experiments"]) == 1
    finally:
        _exp(app).runner.close()


def test_bad_query_parameter_shows_a_message_and_the_default(monkeypatch):
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["optimizer.lr"] = "-5"
    app.query_params["layers"] = '[{"type":"dense","units":3}]'
    app.run()
    try:
        assert not app.exception
        assert any("optimizer.lr" in e.value and "default experiment" in e.value for e in app.error)
        assert _exp(app).spec == Spec()
    finally:
        _exp(app).runner.close()


def test_shared_link_reproduces_the_experiment():
    shared = Spec.from_dict({"dataset": {"name": "xor", "noise": 0.1, "seed": 5}, "features": ["x1", "x2", "x1_x2"],
                             "layers": [{"type": "dense", "units": 5, "activation": "relu"}], "seed": 9})
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in shared.to_query().items():
        app.query_params[key] = value
    app.run()
    try:
        assert not app.exception and not app.error
        assert _exp(app).spec == shared
        assert app.checkbox(key="feature_x1_x2").value is True
        assert _details(app).number_input(key="layer0_units").value == 5
    finally:
        _exp(app).runner.close()


def test_impossible_change_is_refused_and_keeps_the_model(at):
    _details(at)
    at.button(key="step").click().run()
    at.checkbox(key="layer0_residual").check().run()  # 2 inputs -> 4 units: widths differ
    assert any("skip connection" in e.value for e in at.error)
    assert _exp(at).spec == Spec()
    assert at.checkbox(key="layer0_residual").value is False
    assert _metric(at, "Epoch") == "1"  # the trained model is still there


def test_dataset_and_feature_controls(at):
    at.button(key="dataset_spiral").click().run()
    assert _exp(at).spec.dataset.name == "spiral"
    at.checkbox(key="feature_sin_x1").check().run()
    assert _exp(at).spec.features == ("x1", "x2", "sin_x1")
    at.checkbox(key="feature_x1").uncheck().run()
    at.checkbox(key="feature_x2").uncheck().run()
    at.checkbox(key="feature_sin_x1").uncheck().run()  # the last feature cannot go
    assert _exp(at).spec.features == ("sin_x1",)
    assert any("at least one input feature" in w.value for w in at.warning)
    at.slider(key="noise").set_value(30).run()
    assert _exp(at).spec.dataset.noise == pytest.approx(0.3)


def test_problem_type_regression_and_curve(at):
    at.selectbox(key="problem").select("regression").run()
    assert _exp(at).spec.dataset.name == "plane"
    at.button(key="dataset_sine").click().run()
    spec = _exp(at).spec
    assert spec.dataset.name == "sine" and spec.features == ("x1",)
    assert list(board.metrics(at)) == ["Epoch", "Train loss", "Test loss"]
    # Only the data column and the live views ran for the pick (state.redraw_only): AppTest's tree
    # then holds theirs alone, not the toolbar's.
    keys = {b.key for b in at.button}
    assert "dataset_plane" in keys and "step" not in keys
    at.run()
    at.button(key="step").click().run()
    assert not at.exception


def test_play_and_pause(at):
    at.button(key="play").click().run()
    runner = _exp(at).runner
    assert runner.playing
    assert [b.label for b in at.button if b.key == "play"] == ["Pause"]
    at.button(key="play").click().run()
    assert not runner.playing


def test_build_and_step_a_convnet(at):
    at.selectbox(key="problem").select("image").run()
    spec = _exp(at).spec
    assert spec.dataset.name == "digits" and [l.type for l in spec.layers][:2] == ["conv2d", "maxpool2d"]
    at.button(key="step").click().run()
    assert _metric(at, "Epoch") == "1"
    assert float(_metric(at, "Test accuracy").rstrip("%")) > 50  # one epoch of the LeNet-like preset
    for view in ("attribution", "filters", "confusion", "health", "inspect"):
        at.segmented_control(key="image_view").set_value(view).run()
        assert not at.exception and not at.error, view
    # Add a conv layer (the cards, under Layer details): it goes before the flatten, where the
    # data still has a shape.
    _details(at)
    at.selectbox(key="new_layer_type").select("conv2d").run()
    at.button(key="add_layer").click().run()
    types = [l.type for l in _exp(at).spec.layers]
    assert types == ["conv2d", "maxpool2d", "conv2d", "maxpool2d", "conv2d", "flatten", "dense"]
    # An impossible kernel is refused with the layer's name; the network stays as it was.
    before = _exp(at).spec
    at.number_input(key="layer4_kernel").set_value(5).run()
    assert any("layer 5 (conv3)" in e.value and "larger than its 2×2 input" in e.value for e in at.error)
    assert _exp(at).spec == before


def test_image_presets(at):
    at.selectbox(key="problem").select("image").run()
    _details(at)
    at.selectbox(key="image_preset").select("Small MLP").run()
    assert [l.type for l in _exp(at).spec.layers] == ["dense"]
    at.button(key="step").click().run()
    assert _metric(at, "Epoch") == "1" and not at.error
    at.selectbox(key="image_preset").select("LeNet-like convnet").run()
    assert [l.type for l in _exp(at).spec.layers][0] == "conv2d"


def test_divergence_is_said_plainly_and_reset_recovers():
    spec = Spec.from_dict({"dataset": {"name": "plane"}, "init": "normal", "optimizer": {"lr": 10},
                           "layers": [{"type": "dense", "units": 8, "activation": "relu"}] * 4})
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in spec.to_query().items():
        app.query_params[key] = value
    app.run()
    try:
        _exp(app).runner.step_epochs(20)
        app.run()
        assert any(e.value.startswith("training diverged at step") for e in app.error)
        app.button(key="play").click().run()
        assert any("diverged" in w.value for w in app.warning)  # Play refuses until Reset
        assert not _exp(app).runner.playing
        app.button(key="reset").click().run()
        assert not any("diverged" in e.value for e in app.error)
        assert _metric(app, "Epoch") == "0"
        assert not app.exception
    finally:
        _exp(app).runner.close()
