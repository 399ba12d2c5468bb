"""The trainer pool: many sessions' trainers per host, fair turns, pause, idle freeing, re-attach, crashes.

Most tests use thread hosts (the same Host class, in this process: fast); the crash and the
state-file tests use real pool processes. Every check is on counts and states, never on speed:
waits are bounded loops that give up after a generous deadline.
"""
from __future__ import annotations

import gc
import glob
import json
import os
import signal
import sys
import threading
import time
import types
from dataclasses import replace

import pytest
import torch

from playground import pool as pool_module
from playground.live import LiveRunner, TrainerLost
from playground.pool import Pool, pool_memory
from playground.spec import LayerSpec, OptimizerSpec, Spec
from pools import step_count, wait_until

# Functions run in the trainer's host (module level: a pool process unpickles them by name).
def linear_widths(trainer) -> list[int]:
    """out_features of every Linear layer of the trainer's model, input side first."""
    return [m.out_features for m in trainer.model.modules() if isinstance(m, torch.nn.Linear)]


def learning_rate(trainer) -> float:
    return trainer.optimizer.param_groups[0]["lr"]


def crash_once(trainer, marker: str) -> str:
    """Kill the host process the first time (marker file absent); answer the second time."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return f"answered at step {trainer.step_count}"


def crash_always(trainer) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def spec_with(*units: int) -> Spec:
    return replace(Spec(), layers=tuple(LayerSpec(units=u) for u in units))


def read_states(state_dir) -> dict:
    """Merge every host's state file: {runner id: {"step", "epoch", "playing"}}."""
    merged: dict = {}
    for path in glob.glob(os.path.join(str(state_dir), "pool-*.json")):
        with open(path) as f:
            merged.update(json.load(f))
    return merged


@pytest.fixture(scope="module")
def process_pool():
    pool = Pool("process", size=1)
    yield pool
    pool.shutdown()


# -- independence and placement ----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["thread", "process"])
def test_two_runners_on_one_host_are_independent(mode, thread_pool, process_pool):
    pool = thread_pool if mode == "thread" else process_pool
    a = LiveRunner(spec_with(3), mode=mode, pool=pool)
    b = LiveRunner(spec_with(5, 4), mode=mode, pool=pool)
    try:
        assert a._slot is b._slot  # one host: the test is about sharing it, not about separate hosts
        a.step_batches(3)
        b.step_batches(5)
        # Had they shared one trainer, both would show 8 steps and the same network.
        assert (a.call(step_count), b.call(step_count)) == (3, 5)
        assert (a.status["step"], b.status["step"]) == (3, 5)
        assert a.call(linear_widths) == [3, 1] and b.call(linear_widths) == [5, 4, 1]
        assert a.id != b.id and len(a.id) >= 16
        b.apply_spec(replace(spec_with(5, 4), optimizer=OptimizerSpec(lr=0.25)))
        assert a.call(learning_rate) == Spec().optimizer.lr and b.call(learning_rate) == 0.25
    finally:
        a.close()
        b.close()


def test_new_trainers_go_to_the_least_loaded_host():
    pool = Pool("thread", size=2)
    try:
        runners = [LiveRunner(Spec(), mode="thread", pool=pool) for _ in range(3)]
        assert [r._slot.index for r in runners] == [0, 1, 0]
        runners[0].close()
        runners[2].close()
        fourth = LiveRunner(Spec(), mode="thread", pool=pool)
        assert fourth._slot.index == 0  # host 0 is empty again, host 1 still has one
        assert set(pool.hosted()) == {runners[1].id, fourth.id}
    finally:
        pool.shutdown()


def test_sessions_sending_commands_at_once_each_get_their_own_replies(process_pool):
    runners = [LiveRunner(spec_with(k + 2), mode="process", pool=process_pool) for k in range(4)]
    failures: list[BaseException] = []

    def session(k: int, runner: LiveRunner) -> None:
        try:
            for i in range(1, 13):
                runner.step_batches(k + 1)
                assert runner.status["step"] == i * (k + 1)
                assert runner.call(linear_widths) == [k + 2, 1]
        except BaseException as exc:  # noqa: BLE001 — reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=session, args=(k, r)) for k, r in enumerate(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert failures == []
        assert [r.call(step_count) for r in runners] == [12, 24, 36, 48]
    finally:
        for r in runners:
            r.close()


# -- fair turns and pause --------------------------------------------------------------------------
def test_two_playing_trainers_on_one_host_both_advance(thread_pool):
    a = LiveRunner(Spec(), mode="thread", pool=thread_pool)
    b = LiveRunner(spec_with(6, 6), mode="thread", pool=thread_pool)
    a.play()
    b.play()
    # With one host and no turns, the first trainer would take every slice and b would stay at 0.
    wait_until(lambda: a.call(step_count) >= 200 and b.call(step_count) >= 200, "both trainers to train")
    assert a.playing and b.playing
    a.close()
    b.close()


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_pause_stops_the_step_count(mode, tmp_path):
    pool = Pool(mode, size=1, state_dir=str(tmp_path))
    try:
        paused = LiveRunner(Spec(), mode=mode, pool=pool)
        other = LiveRunner(Spec(), mode=mode, pool=pool)
        paused.play()
        other.play()
        wait_until(lambda: paused.call(step_count) > 0, "training to start")
        paused.pause()
        stopped = paused.status["step"]
        assert not paused.playing
        # The other trainer on the same host keeps taking slices: many turns pass...
        start = other.call(step_count)
        wait_until(lambda: other.call(step_count) >= start + 500, "the other trainer to take turns")
        # ...and the paused one has not moved, as the engine itself and its state file say.
        assert paused.call(step_count) == stopped
        assert read_states(tmp_path)[paused.id] == {"step": stopped, "epoch": paused.status["epoch"],
                                                    "playing": False, "queued": False}
        assert read_states(tmp_path)[other.id]["playing"] is True
    finally:
        pool.shutdown()
    assert read_states(tmp_path) == {}  # a host that stops removes its file


# -- freeing -------------------------------------------------------------------------------------
def test_idle_trainers_are_freed_after_the_timeout(thread_pool):
    runner = LiveRunner(Spec(), mode="thread", pool=thread_pool, idle_seconds=0.2)
    runner.step_batches(4)
    assert runner.id in thread_pool.hosted()
    wait_until(lambda: runner.id not in thread_pool.hosted(), "the idle trainer to be freed")
    # The runner keeps its experiment: the next command rebuilds the trainer and says why.
    runner.step_batches(1)
    assert runner.call(step_count) == 1
    assert "idle" in runner.status["error"] and "initial weights" in runner.status["error"]
    runner.close()


def test_touch_keeps_a_trainer_and_the_timeout_counts_from_the_last_command(thread_pool, monkeypatch):
    now = [time.monotonic()]  # only forward: other hosts in this process read the same clock
    monkeypatch.setattr(pool_module, "time", types.SimpleNamespace(monotonic=lambda: now[0], sleep=time.sleep))
    touched = LiveRunner(Spec(), mode="thread", pool=thread_pool, idle_seconds=60)
    forgotten = LiveRunner(Spec(), mode="thread", pool=thread_pool, idle_seconds=60)
    now[0] += 30
    touched.touch()
    now[0] += 31  # forgotten: 61 s without a command; touched: 31 s
    wait_until(lambda: forgotten.id not in thread_pool.hosted(), "the untouched trainer to be freed")
    assert touched.id in thread_pool.hosted()
    now[0] += 30
    wait_until(lambda: touched.id not in thread_pool.hosted(), "the touched trainer to time out too")


def test_idle_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_IDLE_SECONDS", "7.5")
    pool = Pool("thread", size=1)
    try:
        assert LiveRunner(Spec(), mode="thread", pool=pool).idle_seconds == 7.5
    finally:
        pool.shutdown()


def test_close_and_garbage_collection_free_the_trainer(thread_pool):
    closed = LiveRunner(Spec(), mode="thread", pool=thread_pool)
    closed.close()
    assert closed.id not in thread_pool.hosted()
    with pytest.raises(RuntimeError, match="closed"):
        closed.play()
    dropped = LiveRunner(Spec(), mode="thread", pool=thread_pool)
    rid = dropped.id
    assert rid in thread_pool.hosted()
    del dropped
    gc.collect()
    wait_until(lambda: rid not in thread_pool.hosted(), "the collected runner's trainer to be freed")
    assert LiveRunner.attach(rid) is None


# -- re-attach -------------------------------------------------------------------------------------
def test_attach_returns_the_same_trainer_with_its_steps(thread_pool):
    runner = LiveRunner(spec_with(4), mode="thread", pool=thread_pool)
    runner.step_batches(7)
    again = LiveRunner.attach(runner.id)
    assert again is runner
    assert again.call(step_count) == 7 and again.status["step"] == 7 and again.status["error"] is None
    assert LiveRunner.attach("no-such-experiment") is None
    assert LiveRunner.attach(None) is None
    runner.close()
    assert LiveRunner.attach(runner.id) is None


# -- crashes -------------------------------------------------------------------------------------
def test_a_killed_pool_process_is_restarted_and_its_sessions_keep_their_specs(process_pool):
    tuned = replace(spec_with(3), optimizer=OptimizerSpec(lr=0.125))
    a = LiveRunner(spec_with(3), mode="process", pool=process_pool)
    b = LiveRunner(spec_with(5, 4), mode="process", pool=process_pool)
    try:
        assert a.apply_spec(tuned) is False
        a.step_batches(3)
        b.step_batches(2)
        old_pid = a._slot.pid
        os.kill(old_pid, signal.SIGKILL)
        a.step_batches(2)  # redone on a trainer rebuilt from the spec
        assert a._slot.pid != old_pid
        assert a.call(step_count) == 2 and a.status["step"] == 2
        assert "stopped unexpectedly" in a.status["error"] and "initial weights" in a.status["error"]
        assert a.spec == tuned and a.call(learning_rate) == 0.125 and a.call(linear_widths) == [3, 1]
        # b learns it at its next command (a heartbeat), with its own spec.
        b.touch()
        assert "stopped unexpectedly" in b.status["error"]
        assert b.status["step"] == 0 and b.call(linear_widths) == [5, 4, 1]
        # Pressing a control means the message was seen.
        b.step_batches(1)
        assert b.status["error"] is None and b.status["step"] == 1
    finally:
        a.close()
        b.close()


def test_a_crash_during_a_command_redoes_it_or_raises_trainer_lost(process_pool, tmp_path):
    runner = LiveRunner(Spec(), mode="process", pool=process_pool)
    try:
        runner.step_batches(5)
        # Dies once while running the command: the command is redone, its result returned (not None).
        assert runner.call(crash_once, str(tmp_path / "crashed")) == "answered at step 0"
        assert "stopped unexpectedly" in runner.status["error"]
        # Dies every time: a clear exception, and the runner still works afterwards.
        with pytest.raises(TrainerLost, match="stopped unexpectedly"):
            runner.call(crash_always)
        runner.step_batches(2)
        assert runner.call(step_count) == 2 and runner.spec == Spec()
    finally:
        runner.close()


def test_a_lost_thread_host_rebuilds_from_the_spec(thread_pool):
    runner = LiveRunner(spec_with(2), mode="thread", pool=thread_pool)
    runner.step_batches(4)
    runner._slot.restart()  # what a crash does to a host: every trainer in it is gone
    assert runner.call(step_count) == 0 and runner.call(linear_widths) == [2, 1]
    assert "stopped unexpectedly" in runner.status["error"]
    runner.close()


# -- frames and memory -----------------------------------------------------------------------------
def test_frame_calls_take_frame_in_the_host(thread_pool, monkeypatch):
    fake = types.ModuleType("playground.frame")
    fake.take_frame = lambda trainer, **request: ("frame", trainer.step_count, request)
    monkeypatch.setitem(sys.modules, "playground.frame", fake)
    runner = LiveRunner(Spec(), mode="thread", pool=thread_pool)
    runner.step_batches(2)
    frame, data = runner.frame(resolution=11, detail=(1, 0))
    assert frame == ("frame", 2, {"resolution": 11, "detail": (1, 0)}) and data is runner.data
    runner.close()


def test_pool_memory_names_every_pool_process(process_pool):
    runner = LiveRunner(Spec(), mode="process", pool=process_pool)
    try:
        memory = process_pool.memory()
        assert list(memory) == [runner._slot.pid] and memory[runner._slot.pid] > 0
        assert isinstance(pool_memory(), dict)
    finally:
        runner.close()



def test_warm_up_starts_the_first_host_then_the_others_a_little_later_and_once(monkeypatch):
    monkeypatch.setattr(pool_module, "WARM_UP_STAGGER", 0.2)
    pool = Pool("thread", size=3)
    spans: list[tuple[int, float, float]] = []
    try:
        for slot in pool.slots:
            def start(rid, command, *args, slot=slot, real=slot.request):
                begin = time.monotonic()
                time.sleep(0.05)  # an import of torch, in miniature
                reply = real(rid, command, *args)
                spans.append((slot.index, begin, time.monotonic()))
                return reply
            slot.request = start
        pool.warm_up()
        pool.warm_up()  # a second page while the first warms up: no second start of any host
        wait_until(lambda: pool.slots[0].started, "the first host started")
        # While the others wait for their turn, new trainers go to the started host, even loaded.
        assert [pool.place() for _ in range(2)] == [pool.slots[0]] * 2
        wait_until(lambda: len(spans) >= 3 and not pool._warming, "every host started")
        time.sleep(0.1)
        assert [index for index, _, _ in spans] == [0, 1, 2]
        assert spans[1][1] - spans[0][2] >= 0.2  # the others only after the first is ready, and a pause
        assert all(slot.started for slot in pool.slots)
        assert pool.place() in pool.slots[1:]  # all started: the least loaded again
        pool.warm_up()  # all started: nothing more
        time.sleep(0.1)
        assert len(spans) == 3
    finally:
        pool.shutdown()


def test_scikit_learn_imports_in_the_background_once():
    code = ("import sys, datasets\n"
            "assert 'sklearn' not in sys.modules\n"
            "datasets.import_in_background(); datasets.import_in_background()\n"
            "assert len(datasets._IMPORTING) == 1\n"
            "datasets._IMPORTING[0].join(60)\n"
            "assert 'sklearn.datasets' in sys.modules\n")
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(__file__)),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
