"""Live training: the app's handle on one experiment, whose Trainer lives in the shared pool.

Every browser tab gets a LiveRunner; its Trainer is hosted by one of the pool's processes
(playground/pool.py), which trains the playing trainers of many sessions in turn, so a tab
costs its model and data, not a process. The runner keeps the spec, the uploaded data and the
data bundle on this side, so that:

- the views can draw the data without asking the pool;
- a trainer the pool lost (its process crashed, or it was freed after its idle timeout) is
  rebuilt from the spec on the next command, and status["error"] says so in plain words;
- a reloaded tab finds its experiment again with `LiveRunner.attach(runner.id)`.

Freeing: `close()` frees the trainer at once; a runner that is garbage-collected frees it
soon after; a trainer not touched for its idle timeout (IDLE_SECONDS, env
PLAYGROUND_IDLE_SECONDS) is freed by its host, so the UI touches a paused runner every ~15 s
while its tab is open. mode="thread" runs the same hosts in threads of this process, for the
app tests (PLAYGROUND_WORKER=thread) and notebooks.
"""
from __future__ import annotations

import secrets
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from playground.data import CustomData, DataBundle, build_data
from playground.layers import infer_shapes
from playground.pool import (IDLE_PAUSE, IDLE_SECONDS, SLICE_SECONDS, Pool, ProcessLost, get_pool,
                             pool_memory)
from playground.pool import idle_seconds as default_idle_seconds
from playground.spec import Spec

__all__ = ["LiveRunner", "Lockstep", "lockstep", "TrainerLost", "pool_memory", "get_pool", "Pool",
           "SLICE_SECONDS", "IDLE_PAUSE", "IDLE_SECONDS", "CRASHED", "FREED"]

CRASHED = ("the training process stopped unexpectedly; your experiment was restarted from its "
           "initial weights")
FREED = ("this experiment was idle for longer than {seconds:g} s and its trained weights were freed; "
         "it was restarted from its initial weights")
QUEUED = "{training} on this server; yours starts in a moment (Pause to leave the queue)"
# Commands a person gives on purpose: they clear a notice about a lost trainer (it was seen).
_DELIBERATE = {"play", "step_epochs", "step_batches", "reset", "apply_spec"}
_MAX_TRIES = 4    # attempts at one command whose trainer keeps being found gone
_MAX_CRASHES = 2  # a command during which the process died is redone once

_RUNNERS: "weakref.WeakValueDictionary[str, LiveRunner]" = weakref.WeakValueDictionary()
_RUNNERS_LOCK = threading.Lock()
_EXECUTOR: "ThreadPoolExecutor | None" = None  # sends a compare's commands to its hosts at once


def _on_each(runners: list["LiveRunner"], fn: Callable[["LiveRunner"], Any]) -> list[Any]:
    """[fn(runner) for runner in runners], each on its own thread (runners on different hosts)."""
    if len(runners) < 2:
        return [fn(r) for r in runners]
    global _EXECUTOR
    with _RUNNERS_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=8, thread_name_prefix="playground-lockstep")
    futures = [_EXECUTOR.submit(fn, r) for r in runners[1:]]
    first = fn(runners[0])
    return [first] + [f.result() for f in futures]


def _measure_here(trainer: Any, measure: Callable[[Any], Any]) -> tuple[bool, Any]:
    """pool._measured where the trainer lives (a run outside its compare's host)."""
    from playground.pool import _measured

    return _measured(measure, trainer)


class TrainerLost(RuntimeError):
    """The training process stopped again and again while running a command; it did not run.

    The experiment (spec and data) is kept, and its trainer is rebuilt on the next command.
    """


class LiveRunner:
    """One experiment: its spec and data here, its Trainer in a pool host (process or thread)."""

    def __init__(self, spec: Spec, custom: CustomData | None = None, mode: str = "process", *,
                 pool: Pool | None = None, idle_seconds: float | None = None,
                 near: "LiveRunner | Sequence[LiveRunner] | None" = None):
        self.mode = mode
        self.spec, self.custom = spec, custom
        self.data: DataBundle = build_data(spec, custom)
        infer_shapes(spec.layers, self.data.input_shape, self.data.n_outputs)  # refuse before the pool
        self.id: str = secrets.token_urlsafe(16)  # unguessable: it is the key to re-attach
        self.idle_seconds = float(idle_seconds if idle_seconds is not None else default_idle_seconds())
        siblings = [near] if isinstance(near, LiveRunner) else list(near or ())
        self._pool = siblings[0]._pool if siblings else pool or get_pool(mode)
        self.mode = self._pool.mode
        # The runs of a compare (`near`: the others) go to other hosts than theirs where the pool
        # has lanes (playground/lockstep.py keeps them in step); else (Ray) to their host, which
        # trains them in lock-step itself.
        if siblings and self._pool.lanes is None:
            self._slot = siblings[0]._slot
            self._slot.load += 1
        else:
            self._slot = self._pool.place(apart_from=tuple(r._slot for r in siblings))
        self._group: Lockstep | None = None  # the compare this runner trains in lock-step with
        self._status: dict[str, Any] = {"playing": False, "epoch": 0, "step": 0, "diverged": None,
                                        "stopped": None, "error": None, "epoch_progress": 0.0}
        self._notice: str | None = None     # why the trainer was rebuilt, shown as status["error"]
        self._lost: str | None = "new"      # the trainer must be (re)built before the next command
        self._generation = -1               # the host's restart count when the trainer was built
        self._closed = False
        self._lock = threading.Lock()
        with self._lock:
            self._exchange("status")  # builds the trainer; raises what the Trainer raised
        # Frees the trainer when the runner is garbage-collected (with its tab's session).
        self._finalizer = weakref.finalize(self, self._pool.free_later, self._slot, self.id)
        self._finalizer.atexit = False
        with _RUNNERS_LOCK:
            _RUNNERS[self.id] = self

    @classmethod
    def attach(cls, runner_id: str) -> "LiveRunner | None":
        """The live runner with this id (a reloaded tab's experiment), or None if there is none.

        If its trainer had been freed meanwhile, it is rebuilt from the spec and status["error"]
        says so; the runner still has the experiment's spec and uploaded data.
        """
        if not isinstance(runner_id, str):
            return None
        with _RUNNERS_LOCK:
            runner = _RUNNERS.get(runner_id)
        if runner is None or runner._closed:
            return None
        try:
            runner.touch()
        except TrainerLost:
            pass  # it is rebuilt on the next command
        return runner

    # -- transport ---------------------------------------------------------------------------
    def _send(self, command: str, *args: Any) -> Any:
        with self._lock:
            if self._closed:
                raise RuntimeError("this experiment's runner was closed")
            if command in _DELIBERATE:
                self._notice = None
            return self._exchange(command, *args)

    def _exchange(self, command: str, *args: Any) -> Any:
        # Called with the lock held. A command whose trainer is gone is redone on a trainer
        # rebuilt from the spec: it never returns None in place of its result.
        crashes = 0
        for _ in range(_MAX_TRIES):
            try:
                if self._lost is not None:
                    self._rebuild()
                kind, value, status, generation = self._slot.request(self.id, command, *args)
            except ProcessLost:
                self._lost = "crashed"
                crashes += 1
                if crashes == _MAX_CRASHES:
                    break  # the command itself may be what kills the process: do not redo it again
                continue
            if kind == "unknown":
                self._lost = "crashed" if generation != self._generation else "freed"
                continue
            if status is not None:
                self._status = status
            if kind == "error":
                raise value
            return value
        raise TrainerLost(f"the training process stopped unexpectedly while running {command!r}, twice, so it "
                          f"was not done; your experiment was restarted from its initial weights")

    def _rebuild(self) -> None:
        kind, value, status, generation = self._slot.request(self.id, "create", self.spec, self.custom,
                                                             self.idle_seconds)
        if kind == "error":
            raise value
        if self._lost == "crashed":
            self._notice = CRASHED
        elif self._lost == "freed":
            self._notice = FREED.format(seconds=self.idle_seconds)
        self._lost, self._generation, self._status = None, generation, status
        if self._group is not None:  # a rebuilt trainer rejoins its compare
            self._slot.request(self.id, "join", *self._group.binding(self))

    # -- state -------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True while the trainer trains (as of the last reply)."""
        return bool(self._status.get("playing"))

    @property
    def queued(self) -> bool:
        """True while Play waits for a free slot of its host (as of the last reply)."""
        return bool(self._status.get("queued"))

    def queue_message(self) -> str | None:
        """What a queued session is told ("4 experiments are training …"), or None."""
        if not self.queued:
            return None
        n = self._status.get("training", 0)
        return QUEUED.format(training="1 experiment is training" if n == 1 else f"{n} experiments are training")

    @property
    def status(self) -> dict[str, Any]:
        """The latest reply: playing, queued, training, epoch, step, epoch_progress, diverged, stopped
        (early stopping), error."""
        status = dict(self._status)
        if not status.get("error") and self._notice:
            status["error"] = self._notice
        return status

    # -- commands ----------------------------------------------------------------------------
    def touch(self) -> None:
        """Heartbeat: keeps a paused trainer from being freed (every command counts as one)."""
        self._send("touch")

    def play(self, until: int | None = None) -> None:
        """Start (or resume) training in the background; with `until`, pause at that epoch.
        A run of a compare plays every run of it."""
        args = () if until is None else (until,)
        for runner in self._group.open_runners() if self._group is not None else [self]:
            runner._send("play", *args)

    def pause(self) -> None:
        """Stop training: when this returns, the trainer's step count stands still. A run of a
        compare pauses every run of it, all at the same epoch."""
        if self._group is None:
            self._send("pause")
            return
        with self._group.held():
            for runner in self._group.open_runners():
                runner._send("pause")

    def step_epochs(self, n: int = 1) -> None:
        """Train n whole epochs now (the Step button)."""
        self._send("step_epochs", n)

    def step_batches(self, n: int = 1) -> None:
        """Train n mini-batches now (the one-batch step)."""
        self._send("step_batches", n)

    def reset(self) -> None:
        """Back to the initial weights of the seed; keeps playing if it was."""
        self._send("reset")

    def apply_spec(self, spec: Spec, custom: CustomData | None = None) -> bool:
        """Adopt a new spec; True if the model was rebuilt. Raises (and changes nothing) if invalid."""
        spec.validate()
        data = build_data(spec, custom)
        infer_shapes(spec.layers, data.input_shape, data.n_outputs)
        rebuilt = self._send("apply_spec", spec, custom)
        self.spec, self.custom, self.data = spec, custom, data
        return bool(rebuilt)

    def frame(self, **request: Any) -> tuple[Any, DataBundle]:
        """(playground.frame.take_frame(trainer, **request), data): the views' picture of the weights.

        Until playground/frame.py exists the frame is probes.snapshot(trainer, **request)
        (resolution=100, detail=(column, node) or None).
        """
        return self._send("frame", request), self.data

    def group_frames(self, runners: list["LiveRunner"], **request: Any) -> list[Any]:
        """The frames of `runners` (this runner's compare, in that order), so they show the same
        epoch: one command per host, at the compare's level (Lockstep.held); their statuses
        follow too. A runner outside this runner's compare gets its own frame."""
        return self.group_frames_measured(runners, None, **request)[0]

    def group_frames_measured(self, runners: list["LiveRunner"], measure: Callable[[Any], Any] | None,
                              **request: Any) -> tuple[list[Any], list[tuple[bool, Any]] | None]:
        """group_frames, and measure(trainer) of each run taken right after its frame (the same
        weights) as (True, value) or (False, "Error: message"); None without a measure.
        `measure` must be a module-level function (it is pickled)."""
        group = self._group
        if group is None or group.base is None:
            replies = {rid: rest for rid, *rest in self._send("group_frame", request, measure)}
        else:
            # One command per host, all at once, at one level: each host brings its playing runs
            # to epoch L and takes their frames there, so every frame shows the same epoch.
            replies = {}
            with group.held(wait=False) as level:
                for reply in _on_each(group.host_heads(runners),
                                      lambda r: r._send("group_frame", request, measure, level)):
                    replies.update({rid: rest for rid, *rest in reply})
        frames, measured = [], []
        for runner in runners:
            if runner.id in replies:
                frame, runner._status, value = replies[runner.id]
            else:
                frame = runner.frame(**request)[0]
                value = None if measure is None else runner.call(_measure_here, measure)
            frames.append(frame)
            measured.append(value)
        return frames, None if measure is None else measured

    def _join(self, group: "Lockstep | None") -> None:
        """Train in lock-step with the other runners of `group` (None: alone); see lockstep()."""
        old, self._group = self._group, group
        try:
            self._send("join", *(group.binding(self) if group is not None else (None,)))
        finally:
            if old is not None and old is not group:
                old.unbind(self)  # after the host took the new binding: it no longer writes the old lanes

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(trainer, *args) where the trainer lives; fn must be a module-level function (pickled)."""
        return self._send("call", fn, args)

    def close(self) -> None:
        """Free the trainer now; the runner takes no more commands."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._finalizer.detach()
            try:
                self._slot.request(self.id, "free")
            except ProcessLost:
                pass  # gone with its process
            if self._group is not None:
                self._group.unbind(self)
        with _RUNNERS_LOCK:
            if _RUNNERS.get(self.id) is self:
                del _RUNNERS[self.id]

    def __repr__(self) -> str:
        s = self._status
        return (f"LiveRunner(id={self.id[:6]}…, mode={self.mode}, host={self._slot.index}, "
                f"step={s.get('step')}, playing={s.get('playing')})")


class Lockstep:
    """The runs of one compare, trained in lock-step: at every frame they show the same epoch.

    Where the pool has lanes (process and thread pools) the runs live on different hosts and
    the compare owns a block of the lanes (playground/lockstep.py): the hosts keep the runs
    level epoch by epoch; frames are taken at one level and Pause goes behind a barrier.
    Without lanes (Ray) the runs share one host, which keeps them level itself. The block is
    freed when the last run leaves (it joins another compare or is closed), or soon after the
    runners are collected.
    """

    def __init__(self, runners: Sequence[LiveRunner]):
        pool = runners[0]._pool
        self.id = secrets.token_urlsafe(8)
        self.runners = list(runners)
        self.lanes = pool.lanes
        self.base: int | None = pool.blocks.allocate(len(runners)) if pool.blocks is not None else None
        self._bound = [(r._slot, r.id) for r in runners]  # still joined: freed with the lanes if collected
        self._lock = threading.Lock()                      # one barrier at a time (a frame, a Pause)
        self._finalizer = None
        if self.base is not None:
            self._blocks = pool.blocks
            self._finalizer = weakref.finalize(self, pool.free_block_later, self.base, self._bound)
            self._finalizer.atexit = False

    def binding(self, runner: LiveRunner) -> tuple:
        """What the runner's host is told on join: (group id, base, n, index); base None: no lanes."""
        return self.id, self.base, len(self.runners), self.runners.index(runner)

    def open_runners(self) -> list[LiveRunner]:
        """The runs not closed, in order."""
        return [r for r in self.runners if not r._closed and r._group is self]

    def host_heads(self, runners: Sequence[LiveRunner]) -> list[LiveRunner]:
        """One run of `runners` per host (its host answers for every run of the compare it has)."""
        heads: dict[int, LiveRunner] = {}
        for runner in runners:
            if runner._group is self and not runner._closed:
                heads.setdefault(id(runner._slot), runner)
        return list(heads.values())

    @contextmanager
    def held(self, wait: bool = True) -> Iterator[tuple[int, int] | None]:
        """The compare's level, lifted on exit: limit = L, the furthest target of its playing runs,
        and a new ticket; yields (L, ticket), or None when no run plays.

        wait=True (Pause) is the barrier: it first waits (at most lockstep.BARRIER_SECONDS) until
        every playing run has reached L, and inside it none trains further. wait=False (frames)
        yields at once: each host brings its runs to L, takes their frames there and lets them
        pass the limit under the ticket (Host's group_frame)."""
        with self._lock:
            if self.base is None:
                yield None
                return
            level = self.lanes.level(self.base, len(self.runners), wait)
            try:
                yield level
            finally:
                if level is not None:
                    self.lanes.release(self.base)

    def unbind(self, runner: LiveRunner) -> None:
        """The runner left (closed, or joined another compare); the last one frees the lanes."""
        self._bound[:] = [(slot, rid) for slot, rid in self._bound if rid != runner.id]
        if not self._bound and self._finalizer is not None and self._finalizer.detach() is not None:
            self._blocks.free(self.base)


def lockstep(runners: Sequence[LiveRunner]) -> Lockstep | None:
    """Make `runners` one compare, trained in lock-step (one runner, or none: each trains alone).

    Create them with near= the others (playground.ui.state.new_runners does), so they go to
    different hosts where the pool allows it. Play and Pause on any of them then act on all.
    Raises lockstep.LanesExhausted if the server has no lanes left for another compare.
    """
    group = Lockstep(runners) if len(runners) > 1 else None
    for runner in runners:
        runner._join(group)
    return group
