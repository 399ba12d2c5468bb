"""The pool's queue: a host trains at most its cap of trainers at once; more Plays wait their turn.

Checked on the engine's state (the Host's entries and its replies), not on a page: a queued
trainer's step count must stand still, and it must start, first come first served, when a
playing one stops.
"""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from playground import pool as pool_module
from playground.live import LiveRunner
from playground.pool import Host, Pool
from playground.spec import Spec
from pools import step_count


def make_host(cap: int, n: int) -> tuple[Host, list[str]]:
    host = Host(cap=cap)
    rids = [f"r{k}" for k in range(n)]
    for rid in rids:
        kind, _, _, _ = host.command(rid, "create", (Spec(), None, 60.0))
        assert kind == "ok"
    return host, rids


def status(host: Host, rid: str) -> dict:
    kind, _, st, _ = host.command(rid, "status", ())
    assert kind == "ok"
    return st


def slices(host: Host, n: int) -> None:
    for _ in range(n):
        host.run_slice()
        host.housekeep()


def steps(host: Host) -> dict[str, int]:
    return {rid: s["step"] for rid, s in host.state().items()}


def test_a_play_beyond_the_cap_waits_and_starts_when_a_slot_frees():
    host, (a, b, c) = make_host(cap=2, n=3)
    replies = [host.command(rid, "play", ())[2] for rid in (a, b, c)]
    assert [r["queued"] for r in replies] == [False, False, True]
    assert all(r["playing"] for r in replies)        # Play was pressed for all three: each offers Pause
    assert replies[2]["training"] == 2               # "2 experiments are training; yours starts in a moment"
    assert host.state()[c] == {"step": 0, "epoch": 0, "playing": False, "queued": True}
    slices(host, 10)
    trained = steps(host)
    assert trained[a] > 0 and trained[b] > 0 and trained[c] == 0  # the queued one costs no training
    host.command(a, "pause", ())
    assert status(host, c)["queued"] is False and host.state()[c]["playing"] is True
    before = steps(host)
    slices(host, 10)
    after = steps(host)
    assert after[c] > 0 and after[b] > before[b] and after[a] == before[a]
    assert host.training() == 2


def test_the_queue_is_first_come_first_served_and_a_freed_trainer_makes_room():
    host, (a, b, c) = make_host(cap=1, n=3)
    for rid in (a, b, c):
        host.command(rid, "play", ())
    assert [host.state()[r]["queued"] for r in (a, b, c)] == [False, True, True]
    host.command(a, "free", ())
    assert host.state()[b] == {**host.state()[b], "playing": True, "queued": False}
    assert host.state()[c]["queued"] is True           # b waited longer
    host.command(c, "pause", ())                        # leaving the queue: no longer waits
    assert host.state()[c] == {**host.state()[c], "playing": False, "queued": False}
    host.command(b, "pause", ())
    assert host.training() == 0 and not any(s["queued"] for s in host.state().values())


def test_a_queued_trainer_nobody_looks_at_leaves_the_queue(monkeypatch):
    monkeypatch.setattr(pool_module, "IDLE_PAUSE", 0.05)
    host, (a, b) = make_host(cap=1, n=2)
    host.command(a, "play", ())
    host.command(b, "play", ())
    host.command(a, "touch", ())  # keeps a hosted, but is not a look: a pauses too
    time.sleep(0.1)
    slices(host, 3)
    assert host.state()[b]["queued"] is False and host.state()[b]["playing"] is False
    assert host.state()[a]["playing"] is False


def test_a_runner_says_it_is_queued_until_its_turn(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_PLAYING", "1")
    pool = Pool("thread", size=1)
    first = LiveRunner(Spec(), mode="thread", pool=pool)
    second = LiveRunner(Spec(), mode="thread", pool=pool)
    try:
        first.play()
        second.play()
        assert second.playing and second.status["queued"] and second.status["training"] == 1
        assert second.queue_message().startswith("1 experiment is training on this server; yours starts")
        assert first.status["queued"] is False
        first.pause()
        second.touch()
        assert second.status["queued"] is False and second.playing and second.queue_message() is None
        deadline = time.monotonic() + 60
        while second.call(step_count) == 0:
            assert time.monotonic() < deadline, "the queued runner never started training"
            time.sleep(0.02)
        second.pause()
    finally:
        first.close()
        second.close()
        pool.shutdown()


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_cap_below_one_is_refused(monkeypatch, value):
    monkeypatch.setenv("PLAYGROUND_MAX_PLAYING", value)
    with pytest.raises(ValueError, match="PLAYGROUND_MAX_PLAYING"):
        pool_module.max_playing()


def test_the_page_of_a_queued_play_says_it_waits_and_offers_pause(monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLAYGROUND_MAX_PLAYING", "1")
    monkeypatch.setenv("PLAYGROUND_POOL_SIZE", "1")
    monkeypatch.setattr(pool_module, "_POOLS", {})  # a pool of its own, made with the settings above
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    first, second = (AppTest.from_file(app, default_timeout=60).run() for _ in range(2))
    try:
        first.button(key="play").click().run()
        second.button(key="play").click().run()
        runner = second.session_state["experiments"][0].runner
        assert runner.queued
        assert [b.label for b in second.button if b.key == "play"] == ["Pause"]
        assert [i.value for i in second.info] == [
            "1 experiment is training on this server; yours starts in a moment (Pause to leave the queue)"]
        assert not first.info
        first.button(key="play").click().run()   # Pause: the slot frees
        second.run()
        assert not runner.queued and runner.playing and not second.info
        assert not first.exception and not second.exception
    finally:
        for at in (first, second):
            at.session_state["experiments"][0].runner.close()
        for pool in pool_module._POOLS.values():
            pool.shutdown()


def test_a_compare_counts_as_one_experiment_and_queues_and_starts_as_one():
    # A 3-run compare under a cap of 1: its runs play together (lock-step needs every run);
    # another experiment waits, and when the compare pauses it starts. The other way round, a
    # compare queued behind a playing experiment starts all its runs at once.
    host, (a, b, c, other) = make_host(cap=1, n=4)
    for rid in (a, b, c):
        host.command(rid, "join", ("g",))
    host.command(a, "play", ())
    assert [host.state()[rid]["playing"] for rid in (a, b, c)] == [True, True, True]
    assert host.training() == 1
    assert host.command(other, "play", ())[2]["queued"] is True
    slices(host, 6)
    trained = steps(host)
    assert trained[other] == 0 and len({host.state()[r]["epoch"] for r in (a, b, c)}) == 1
    host.command(b, "pause", ())
    state = host.state()
    assert not any(state[r]["playing"] for r in (a, b, c)) and state[other]["playing"]
    host.command(c, "play", ())  # the compare again: now it waits, every run of it
    state = host.state()
    assert all(state[r]["queued"] and not state[r]["playing"] for r in (a, b, c))
    host.command(other, "pause", ())
    state = host.state()
    assert all(state[r]["playing"] and not state[r]["queued"] for r in (a, b, c))


def test_a_host_gives_way_after_an_edit_then_trains_and_not_again_within_a_second(monkeypatch):
    """After a user's edit the host trains nothing for GIVE_WAY_SECONDS (the page redraws first),
    then resumes; a second edit within GIVE_WAY_EVERY does not pause training again."""
    clock = [1000.0]
    monkeypatch.setattr(pool_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(pool_module, "GIVE_WAY_SECONDS", 0.3)
    host, (rid,) = make_host(cap=4, n=1)
    host.command(rid, "play", ())
    assert host.run_slice() and steps(host)[rid] > 0
    layers = Spec().layers
    wider = Spec(layers=(replace(layers[0], units=layers[0].units + 1),) + layers[1:])
    host.command(rid, "apply_spec", (wider, None))           # a new network: a fresh trainer, 0 steps
    assert host.wait_seconds() == pytest.approx(0.1)         # waits for commands, at most POLL_SECONDS
    assert not host.run_slice() and steps(host)[rid] == 0    # gives way
    clock[0] += 0.31
    assert host.wait_seconds() == 0.0
    assert host.run_slice() and steps(host)[rid] > 0         # trains again
    host.command(rid, "apply_spec", (Spec(), None))          # another edit 0.31 s after the first
    assert host.run_slice() and steps(host)[rid] > 0         # no second pause within GIVE_WAY_EVERY
