"""The Ray backend of the trainer pool: a trainer hosted in a Ray actor takes the local pool's commands.

Starts a one-CPU Ray cluster on this machine (loopback only, no dashboard) for the module and
stops it after; skipped when ray is not installed (it is optional: requirements-cluster.txt).
Checks are on the engine's step counts, never on speed.
"""
from __future__ import annotations

import operator
import os
import time

import pytest

ray = pytest.importorskip("ray")

from playground.live import CRASHED, LiveRunner  # noqa: E402
from playground.pool import Pool  # noqa: E402
from playground.spec import Spec  # noqa: E402

DEADLINE = 60.0
step_count = operator.attrgetter("step_count")  # picklable by value: the actor needs no test module


@pytest.fixture(scope="module")
def ray_pool():
    ray.init(num_cpus=1, include_dashboard=False, _node_ip_address="127.0.0.1", object_store_memory=80 * 2**20,
             log_to_driver=False, configure_logging=False)
    pool = Pool("ray", size=1)
    try:
        yield pool
    finally:
        pool.shutdown()
        ray.shutdown()


def wait_step(runner: LiveRunner, above: int) -> int:
    """Touch the runner until its trainer's step count is above `above`; that count."""
    end = time.monotonic() + DEADLINE
    while True:
        runner.frame()  # a look, as an open tab's frames are (a touch is not)
        if runner.status["step"] > above:
            return runner.status["step"]
        assert time.monotonic() < end, f"the trainer never passed step {above}"
        time.sleep(0.05)


def wait_dead(actor) -> None:
    """Return once `actor` answers no more calls."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        try:
            ray.get(actor.pid.remote(), timeout=DEADLINE)
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError):
            return
        time.sleep(0.05)
    raise AssertionError("the killed actor kept answering")


def test_a_trainer_in_a_ray_actor_steps_plays_draws_and_pauses(ray_pool):
    runner = LiveRunner(Spec(), mode="ray", pool=ray_pool)
    try:
        assert runner.mode == "ray" and runner._slot.pid not in (None, os.getpid())  # another process
        runner.step_batches(3)
        assert runner.status["step"] == 3 and runner.call(step_count) == 3
        runner.play()
        assert runner.playing and not runner.queued
        moved = wait_step(runner, 3)
        frame, data = runner.frame()
        assert frame.header.step >= moved and frame.payload is not None and data.n_outputs >= 1
        runner.pause()
        stopped = runner.status["step"]
        assert not runner.playing
        time.sleep(0.3)  # many 20 ms slices: a trainer that kept training would have moved
        assert runner.call(step_count) == stopped
    finally:
        runner.close()
    assert runner.id not in ray_pool.hosted()


def test_a_killed_actor_is_replaced_and_the_experiment_restarts(ray_pool):
    runner = LiveRunner(Spec(), mode="ray", pool=ray_pool)
    try:
        runner.step_batches(5)
        actor = runner._slot._actor
        ray.kill(actor)
        wait_dead(actor)  # ray.kill returns before the actor is gone: a command sent now may still land on it
        runner.step_batches(2)  # redone on a trainer rebuilt from the spec, in a new actor
        assert runner.call(step_count) == 2
        assert runner.status["error"] == CRASHED
    finally:
        runner.close()
