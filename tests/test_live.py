"""The live runner, in a worker process (as the app runs it) and in a thread (as the app tests do)."""
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
        deadline = time.monotonic() + 20
        while runner.frame()[0].epoch < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runner.frame()[0].epoch >= 5 and runner.playing
        runner.pause()
        stopped = runner.call(_epoch_of)
        time.sleep(0.3)
        assert runner.call(_epoch_of) == stopped and not runner.playing
        runner.step_epochs(2)
        assert runner.call(_epoch_of) == stopped + 2
        # A hot change keeps the training state; a structural one rebuilds.
        assert runner.apply_spec(replace(Spec(), optimizer=OptimizerSpec(lr=0.1))) is False
        assert runner.call(_epoch_of) == stopped + 2
        # An impossible spec is refused before it reaches the worker; the model stays.
        with pytest.raises(SpecError, match="skip connection"):
            runner.apply_spec(replace(Spec(), layers=(LayerSpec(units=3, residual=True),)))
        assert runner.call(_epoch_of) == stopped + 2 and runner.spec.optimizer.lr == 0.1
        assert runner.apply_spec(replace(Spec(), layers=(LayerSpec(units=3),))) is True
        assert runner.call(_epoch_of) == 0
        runner.reset()
        assert runner.status["epoch"] == 0
    finally:
        runner.close()
