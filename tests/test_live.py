"""The live runner's commands, in a pool process (as the app runs it) and in a thread (as the app tests do)."""
import time
from dataclasses import replace

import pytest

from playground.live import LiveRunner
from playground.spec import LayerSpec, OptimizerSpec, Spec, SpecError
from playground.train import Trainer


def _epoch_of(trainer: Trainer) -> int:
    return trainer.epoch


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_play_pause_step_and_specs(mode):
    runner = LiveRunner(Spec(), mode=mode)
    try:
        runner.play()
        deadline = time.monotonic() + 60
        while runner.call(_epoch_of) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runner.call(_epoch_of) >= 5 and runner.playing
        runner.pause()
        stopped = runner.status["epoch"]
        assert runner.call(_epoch_of) == stopped and not runner.playing
        runner.step_epochs(2)
        assert runner.call(_epoch_of) == stopped + 2 == runner.status["epoch"]
        # A hot change keeps the training state; a structural one rebuilds.
        assert runner.apply_spec(replace(Spec(), optimizer=OptimizerSpec(lr=0.1))) is False
        assert runner.call(_epoch_of) == stopped + 2
        # An impossible spec is refused before it reaches the pool; the model stays.
        with pytest.raises(SpecError, match="skip connection"):
            runner.apply_spec(replace(Spec(), layers=(LayerSpec(units=3, residual=True),)))
        assert runner.call(_epoch_of) == stopped + 2 and runner.spec.optimizer.lr == 0.1
        assert runner.apply_spec(replace(Spec(), layers=(LayerSpec(units=3),))) is True
        assert runner.call(_epoch_of) == 0
        runner.step_batches(3)
        assert runner.status["step"] == 3
        runner.reset()
        assert runner.status["epoch"] == 0 and runner.status["step"] == 0
        frame, data = runner.frame(resolution=20)
        assert data is runner.data and frame is not None
        runner.touch()
        assert runner.status["error"] is None
    finally:
        runner.close()


def test_a_runner_with_uploaded_data_keeps_its_model_on_a_hot_change():
    # A pool process receives a fresh copy of the uploaded points with every command; the same
    # points must still count as the same data (no rebuild, the training state stays).
    import numpy as np

    from playground.data import CustomData

    rng = np.random.default_rng(0)
    X = rng.uniform(-5, 5, (60, 2)).astype(np.float32)
    custom = CustomData(X, (X[:, 0] > 0).astype(np.int64), "classification")
    spec = Spec.from_dict({**Spec().to_dict(), "dataset": {**Spec().to_dict()["dataset"], "name": "custom"}})
    runner = LiveRunner(spec, custom, mode="process")
    try:
        runner.step_batches(4)
        assert runner.apply_spec(replace(spec, optimizer=OptimizerSpec(lr=0.2)), custom) is False
        assert runner.status["step"] == 4
        moved = CustomData(X + 1, custom.y, "classification")
        assert runner.apply_spec(spec, moved) is True and runner.status["step"] == 0
    finally:
        runner.close()
