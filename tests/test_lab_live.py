"""Early stopping through the live runner: the pool stops playing and says why."""
import time

from playground.live import LiveRunner
from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec


def test_play_stops_when_early_stopping_ends_training():
    spec = Spec(dataset=DatasetSpec("circle", noise=0.3, n_samples=60), layers=(
        LayerSpec(units=64, activation="relu"), LayerSpec(units=64, activation="relu")), init="kaiming_uniform",
        optimizer=OptimizerSpec("adam", lr=0.01), batch_size=10, patience=5)
    runner = LiveRunner(spec, mode="thread")
    try:
        runner.play()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runner.touch()  # every reply refreshes the status
            if runner.status.get("stopped"):
                break
            time.sleep(0.2)
        status = runner.status
        assert status["stopped"] and "early stopping at epoch" in status["stopped"]
        assert not status["playing"]
    finally:
        runner.close()
