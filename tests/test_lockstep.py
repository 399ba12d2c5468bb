"""Lock-step across hosts: a compare's runs train on different pool hosts, and every frame (and
every Pause) finds them at the same epoch (playground/lockstep.py, Host._train_by_lanes,
LiveRunner's group commands).

Checks are on epochs and step counts, never on speed; waits are bounded loops.
"""
from __future__ import annotations

import gc
import time
from dataclasses import replace

import pytest

from playground.live import LiveRunner, lockstep
from playground import pool as pool_module
from playground.lockstep import (BIG, MAX_SLACK, SLACK_SECONDS, WAIT_SECONDS, Blocks, Lanes, LanesExhausted,
                                 slack)
from playground.pool import Host, Pool
from playground.spec import Spec
from pools import step_count, wait_until

THREAD_HOSTS = 2  # the thread_pool fixture's hosts: a compare's runs on two

SMALL = replace(Spec(), dataset=replace(Spec().dataset, n_samples=60))
DIVERGES = Spec.from_dict({"dataset": {"name": "plane"}, "init": "normal", "optimizer": {"lr": 10},
                           "layers": [{"type": "dense", "units": 8, "activation": "relu"}] * 4})


def epoch_of(trainer) -> int:
    return trainer.epoch


def compare_of(pool: Pool, *specs: Spec) -> list[LiveRunner]:
    """Runners of one compare, spread over the pool's hosts as the app does."""
    runners = [LiveRunner(specs[0], mode=pool.mode, pool=pool)]
    for spec in specs[1:]:
        runners.append(LiveRunner(spec, mode=pool.mode, pool=pool, near=runners))
    lockstep(runners)
    return runners


# -- the host's rule, on lanes of its own (no threads) ----------------------------------------
def _lone_host() -> tuple[Host, Lanes, int]:
    """A host with run "a", member 0 of a 2-run compare whose member 1 lives elsewhere."""
    lanes = Lanes.create(64)
    base = Blocks(lanes).allocate(2)
    host = Host(lanes=lanes)
    assert host.command("a", "create", (SMALL, None, 60.0))[0] == "ok"
    host.command("a", "join", ("g", base, 2, 0))
    return host, lanes, base


@pytest.mark.parametrize("ahead", [0, 2])
def test_a_run_ahead_of_a_remote_run_waits_for_it(monkeypatch, ahead):
    monkeypatch.setattr(pool_module, "slack", lambda epoch_seconds: ahead)  # epochs it may lead by
    host, lanes, base = _lone_host()
    remote = (base, 2, 1)
    lanes.publish(remote, 0)                   # the other run plays, at epoch 0
    host.command("a", "play", ())
    assert lanes.block(base, 2)["done"][0] == 0  # playing: its epoch is published
    assert host.run_slice()                    # one epoch (and its slack), then it would be ahead
    trainer = host.entries["a"].trainer
    assert trainer.epoch == 1 + ahead and lanes.block(base, 2)["done"] == [1 + ahead, 0]
    for _ in range(5):
        assert not host.run_slice()            # waits: nothing trained ...
        assert host.wait_seconds() == WAIT_SECONDS  # ... and the host sleeps instead of spinning
    assert trainer.epoch == 1 + ahead
    lanes.publish(remote, 1)                   # the other run finished its epoch 1
    assert host.run_slice() and trainer.epoch == 2 + ahead
    lanes.publish(remote, 0)                   # it was reset: a waits until it has caught up
    assert not host.run_slice() and trainer.epoch == 2 + ahead


def test_the_slack_is_a_few_epochs_only_where_epochs_are_short():
    assert slack(None) == 0                              # not measured yet
    assert slack(0.001) == MAX_SLACK                     # the default task: ~9 ms an epoch
    assert slack(SLACK_SECONDS / 2) == min(2, MAX_SLACK)
    assert slack(0.5) == 0                               # a long epoch: strictly in step


def test_the_limit_stops_a_run_and_lifting_it_lets_it_go_on():
    host, lanes, base = _lone_host()
    host.command("a", "play", ())              # the other run does not play (BIG): nobody to wait for
    with lanes.lock:
        lanes.array[base] = 3                  # the server's barrier: no epoch beyond 3
    for _ in range(20):
        host.run_slice()
    trainer = host.entries["a"].trainer
    assert trainer.epoch == 3 and host.entries["a"].playing
    assert lanes.block(base, 2)["target"][0] == 3
    lanes.release(base)
    assert host.run_slice() and trainer.epoch > 3
    host.command("a", "pause", ())             # not playing: BIG, nobody waits for it
    assert lanes.block(base, 2)["target"][0] == lanes.block(base, 2)["done"][0] == BIG
    host.command("a", "play", ())
    assert lanes.block(base, 2)["done"][0] == trainer.epoch
    host.command("a", "free", ())              # freed: BIG again
    assert lanes.block(base, 2)["done"][0] == BIG


def test_the_barrier_holds_every_playing_run_at_the_furthest_target():
    lanes = Lanes.create(16)
    base = Blocks(lanes).allocate(3)
    lanes.publish((base, 3, 0), 5)
    lanes.publish((base, 3, 1), 7)   # ahead (it had started epoch 7)
    assert lanes.level(base, 3, wait=True, timeout=0.05) == (7, 1)  # run 0 never gets there here: the wait is bounded
    assert lanes.block(base, 3)["limit"] == 7 and lanes.block(base, 3)["ticket"] == 1  # a new ticket
    lanes.release(base)
    assert lanes.block(base, 3)["limit"] == BIG
    lanes.publish((base, 3, 0), None)
    lanes.publish((base, 3, 1), None)
    assert lanes.level(base, 3, wait=True, timeout=0.05) is None and lanes.block(base, 3)["limit"] == BIG  # none play


def test_a_frame_brings_a_run_to_the_level_then_it_passes_the_limit_under_that_ticket(monkeypatch):
    monkeypatch.setattr(pool_module, "slack", lambda epoch_seconds: 100)  # no lock-step wait here
    host, lanes, base = _lone_host()
    lanes.publish((base, 2, 1), 6)             # the other run (another host) has done epoch 6
    host.command("a", "play", ())
    level, ticket = lanes.level(base, 2)       # the server's frame: limit 6, a new ticket, no wait
    assert (level, lanes.block(base, 2)["limit"]) == (6, 6) and ticket == 1
    kind, replies, _, _ = host.command("a", "group_frame", ({"resolution": 8}, None, (level, ticket)))
    trainer = host.entries["a"].trainer
    assert kind == "ok" and replies[0][1].header.epoch == trainer.epoch == 6  # brought to the level
    assert lanes.block(base, 2)["done"][0] == 6
    assert host.run_slice() and trainer.epoch > 6  # its frame is taken: on past the limit, unreleased
    lanes.release(base)
    # A new level whose frame this host has not taken (a Pause's barrier): the run stops there.
    level, ticket = lanes.level(base, 2)
    assert ticket == 2 and level == lanes.block(base, 2)["target"][0]
    for _ in range(5):
        host.run_slice()
    assert trainer.epoch == level


def test_blocks_are_contiguous_reused_and_run_out_with_a_clear_error():
    lanes = Lanes.create(14)
    blocks = Blocks(lanes)
    assert blocks.allocate(2) == 0 and blocks.allocate(2) == 6   # 2 + 2n lanes each
    with pytest.raises(LanesExhausted, match="lanes"):
        blocks.allocate(1)
    blocks.free(0)
    assert blocks.allocate(1) == 0 and len(blocks) == 2


# -- a compare on two thread hosts -----------------------------------------------------------
def test_runs_on_two_hosts_show_the_same_epoch_at_every_frame_and_pause_level(thread_pool):
    a, b = runners = compare_of(thread_pool, SMALL, replace(SMALL, batch_size=4))
    assert a._slot is not b._slot                  # one core each
    a.play()                                       # plays both hosts
    assert a.playing and b.playing
    seen = []
    while len(seen) < 40 or seen[-1] < 30:
        frames = a.group_frames(runners, resolution=10)
        epochs = [f.header.epoch for f in frames]
        assert epochs[0] == epochs[1], seen      # b has 4x the steps per epoch: unequal if not held
        seen.append(epochs[0])
        assert len(seen) < 2000, "the compare did not train"
    assert seen[-1] > seen[0]
    b.pause()                                      # either run pauses the compare
    assert not a.playing and not b.playing
    steps = [r.call(step_count) for r in runners]
    epochs = [r.call(epoch_of) for r in runners]
    time.sleep(0.2)
    assert [r.call(step_count) for r in runners] == steps  # stands still as soon as pause returned
    assert epochs[0] == epochs[1] and [r.status["epoch"] for r in runners] == epochs


def test_a_diverged_run_does_not_stop_the_other(thread_pool):
    good, bad = runners = compare_of(thread_pool, SMALL, DIVERGES)
    assert good._slot is not bad._slot
    good.play()
    wait_until(lambda: good.group_frames(runners, resolution=10)[1].header.diverged, "the run to diverge")
    stopped_at = bad.status["epoch"]
    wait_until(lambda: good.group_frames(runners, resolution=10)[0].header.epoch > stopped_at + 10,
               "the other run to train on")
    assert good.playing and not bad.playing
    good.pause()


def test_a_run_reset_while_playing_catches_up_before_the_other_goes_on(thread_pool):
    a, b = runners = compare_of(thread_pool, SMALL, SMALL)
    a.play()
    wait_until(lambda: a.group_frames(runners, resolution=10)[0].header.epoch >= 20, "20 epochs")
    b.reset()
    group = a._group
    ahead = group.lanes.block(group.base, 2)["done"][0]  # a may finish the epoch it is in, no more
    frames = a.group_frames(runners, resolution=10)
    epochs = [f.header.epoch for f in frames]
    assert epochs[0] == epochs[1] and ahead <= epochs[0] <= ahead + 1
    assert b.status["playing"] and b.status["step"] > 0
    a.pause()


def test_lanes_are_freed_when_the_compare_changes_closes_or_is_collected(thread_pool):
    runners = compare_of(thread_pool, SMALL, SMALL, SMALL)
    assert len(thread_pool.blocks) == 1
    runners[2].close()
    lockstep(runners[:2])                 # the app's _regroup after removing a run
    assert len(thread_pool.blocks) == 1   # the new compare's block; the old one is free
    runners[1].close()
    assert len(thread_pool.blocks) == 1   # runners[0] still has the lanes
    lockstep(runners[:1])                 # one run left: alone, no lanes
    assert len(thread_pool.blocks) == 0 and runners[0]._group is None
    runners[0].close()
    compare_of(thread_pool, SMALL, SMALL)  # dropped without close, as a closed tab's session
    gc.collect()
    wait_until(lambda: len(thread_pool.blocks) == 0 and not thread_pool.hosted(), "the lanes and trainers to be freed")


def test_a_rebuilt_trainer_rejoins_its_compare(thread_pool):
    a, b = runners = compare_of(thread_pool, SMALL, SMALL)
    b._slot.restart()                      # b's host lost its trainers (a crashed process)
    a.play()                               # b is rebuilt from its spec, joins, and plays
    wait_until(lambda: a.group_frames(runners, resolution=10)[1].header.epoch >= 5, "b to train")
    frames = a.group_frames(runners, resolution=10)
    assert frames[0].header.epoch == frames[1].header.epoch
    assert b._slot.host.entries[b.id].lane is not None
    a.pause()


# -- real pool processes ----------------------------------------------------------------------
def test_a_compare_on_two_pool_processes_stays_in_step():
    pool = Pool("process", size=2)
    try:
        a, b = runners = compare_of(pool, SMALL, replace(SMALL, batch_size=4))
        assert a._slot.pid != b._slot.pid
        a.play()
        epochs = []
        while len(epochs) < 10 or epochs[-1] == epochs[0]:
            frames = a.group_frames(runners, resolution=10)
            assert frames[0].header.epoch == frames[1].header.epoch, epochs
            epochs.append(frames[0].header.epoch)
            assert len(epochs) < 2000, "the compare did not train"
        a.pause()
        assert a.status["epoch"] == b.status["epoch"]
    finally:
        pool.shutdown()
