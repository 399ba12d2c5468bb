"""A pool of trainer hosts shared by every session of the server: processes, or threads for tests.

A *host* keeps the Trainers of many sessions, keyed by their runner's id, and shares its time
among the ones playing: round-robin slices of SLICE_SECONDS, with the commands that arrived
answered between two slices (so Pause is answered, and obeyed, within one slice). A session
costs its model and data, not a process.

In the app a host is a spawned *process*: torch releases the GIL around every op, so a
training thread beside Streamlit's renderer waits for the GIL after each tiny op (16 epochs/s
live against 125 headless, when measured). The pool has os.cpu_count() of them by default
(env PLAYGROUND_POOL_SIZE), started on first use; a new trainer goes to the least-loaded one.
The *thread* host is the same Host class driven by a thread in this process, for the app
tests and notebooks.

Freeing: a trainer not touched (sent any command) for its idle timeout is removed by its host.
A playing trainer that nobody looks at (no frame or call for IDLE_PAUSE seconds) pauses.

Lock-step: the runs of one compare (a group) may live on different hosts; the lanes every host
shares with the server (playground/lockstep.py) keep them at the same epoch. Without lanes (Ray
actors) a compare's runs share a host, which trains them one after the other.

Fair share and a queue: a host trains at most `max_playing()` trainers at once (env
PLAYGROUND_MAX_PLAYING, default MAX_PLAYING). A Play beyond that is *queued*: its status says
so ("queued", and "training": how many train now), it costs nothing while it waits, and it
starts, first come first served, when a playing trainer pauses, diverges or is freed. Without
the cap every Play would slow every session on the host down, each to 1/n of the slices.

With env PLAYGROUND_STATE_DIR set, every host writes `<dir>/pool-<pid>.json` (thread hosts:
`pool-<pid>-t<n>.json`) = {runner id: {"step", "epoch", "playing", "queued"}} after every command and at
most every STATE_EVERY seconds while training, atomically (temp file + rename), so a test can
read the engine's state without a page.
"""
from __future__ import annotations

import itertools
import json
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.data import CustomData
from playground.lockstep import BARRIER_SECONDS, WAIT_SECONDS, Blocks, Lane, Lanes, slack
from playground.spec import Spec

if TYPE_CHECKING:  # torch is loaded where trainers live (a pool process), not by the app server
    from playground.train import Trainer

SLICE_SECONDS = 0.02      # training of one trainer between two looks at the commands
IDLE_PAUSE = 15.0         # a playing trainer with no frame (or call) for this long pauses: a closed tab
IDLE_SECONDS = 60.0       # a trainer not touched for this long is freed (env PLAYGROUND_IDLE_SECONDS)
STATE_EVERY = 0.2         # seconds between two state-file writes while training
POLL_SECONDS = 0.1        # a host with nothing playing wakes this often to free idle trainers
COMMANDS_PER_SLICE = 8    # commands answered in a row before the next slice (training is not starved)
START_TIMEOUT = 120.0     # seconds a new pool process may take to import torch and say it is ready
WARM_UP_STAGGER = 3.0     # seconds from the first host being ready to the other hosts' start (see warm_up)
MAX_PLAYING = 4           # trainers a host trains at once; more Plays wait (env PLAYGROUND_MAX_PLAYING)
# After a user's edit (a new network, data or setting) the host trains nothing for GIVE_WAY_SECONDS,
# so the server and the browser have the CPU while they redraw the changed views: the edit is
# answered sooner, and training, which restarts for a new network anyway, loses a moment once per
# click. At most one such pause in GIVE_WAY_EVERY seconds, so a stream of edits cannot starve
# training (env PLAYGROUND_GIVE_WAY_SECONDS; 0 turns it off).
GIVE_WAY_SECONDS = float(os.environ.get("PLAYGROUND_GIVE_WAY_SECONDS", "0.3"))
GIVE_WAY_EVERY = 1.0
_EDITS = {"apply_spec", "reset"}

# Commands that do not count as someone looking at a playing trainer (the idle pause).
_NOT_LOOKS = {"touch", "status", "pause", "free"}
_MAIN_SWAP = threading.Lock()
_THREAD_HOSTS = itertools.count(1)


class ProcessLost(RuntimeError):
    """The pool process died while (or before) answering a command; it has been restarted."""


def _count_from_env(name: str, default: int) -> int:
    """A count of at least one from env `name`, else `default`."""
    value = os.environ.get(name)
    if not value:
        return default
    count = int(value)
    if count < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return count


def pool_size() -> int:
    """Hosts in a pool: env PLAYGROUND_POOL_SIZE, else the number of CPUs."""
    return _count_from_env("PLAYGROUND_POOL_SIZE", os.cpu_count() or 1)


def max_playing() -> int:
    """Trainers one host trains at once: env PLAYGROUND_MAX_PLAYING, else MAX_PLAYING."""
    return _count_from_env("PLAYGROUND_MAX_PLAYING", MAX_PLAYING)


def idle_seconds() -> float:
    """The idle timeout of new trainers: env PLAYGROUND_IDLE_SECONDS, else IDLE_SECONDS."""
    value = os.environ.get("PLAYGROUND_IDLE_SECONDS")
    return float(value) if value else IDLE_SECONDS


# -- the host: many trainers, one at a time --------------------------------------------------
@dataclass
class Hosted:
    """One session's trainer inside a host, with its play state and clocks."""

    trainer: "Trainer"
    idle_seconds: float
    playing: bool = False
    error: str | None = None
    last_touch: float = 0.0   # any command: the idle timeout counts from here
    last_look: float = 0.0    # a frame, a call or a control: the idle pause counts from here
    group: str | None = None  # the runs of one compare share a group: trained in lock-step
    lane: Lane | None = None  # the run's lanes in its compare's block (playground/lockstep.py), if any
    published: int | None = -1  # what its lanes say now: its epoch while playing, None (BIG) if not; -1: unknown
    epoch_seconds: float | None = None  # how long its epochs take (moving average), for its lock-step slack
    ticket: int | None = None  # the lanes' ticket of its last frame taken at the limit: it may pass the limit
    until: int | None = None  # play pauses at this epoch (a Lab experiment's budget)
    queued_at: float | None = None  # Play pressed while the host was full: waiting since then

    def status(self) -> dict[str, Any]:
        """What the UI needs on every reply: playing, progress, divergence, errors.

        A queued trainer counts as playing (Play was pressed: the button offers Pause) and
        says "queued"; the host adds "training", how many of its trainers train now.
        """
        t = self.trainer
        return {"playing": self.playing or self.queued_at is not None, "queued": self.queued_at is not None,
                "epoch": t.epoch, "step": t.step_count, "diverged": t.diverged, "stopped": t.stopped,
                "error": self.error, "epoch_progress": t.epoch_progress}


def _take_frame(trainer: "Trainer", request: dict[str, Any]) -> Any:
    """playground.frame.take_frame(trainer, **request)."""
    from playground.frame import take_frame

    return take_frame(trainer, **request)


def _measured(measure: Any, trainer: "Trainer") -> tuple[bool, Any]:
    """(True, measure(trainer)), or (False, "Error: message") where it fails: one run's failed
    measurement must not cost the compare its frames."""
    try:
        return True, measure(trainer)
    except Exception as exc:  # noqa: BLE001 - reported in the verdict's place
        return False, f"{type(exc).__name__}: {exc}"


def _new_trainer(spec: Spec, custom: CustomData | None) -> "Trainer":
    from playground.train import Trainer, configure_threads, recommended_threads

    trainer = Trainer(spec, custom)
    configure_threads(recommended_threads(trainer))
    return trainer


def _same_custom(a: CustomData | None, b: CustomData | None) -> bool:
    """Equal uploaded data (a process receives a new copy of it with every command)."""
    if a is None or b is None:
        return a is b
    return a is b or (a.task == b.task and np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y))


class Host:
    """The trainers of many sessions and the commands on them; driven by a process or a thread."""

    def __init__(self, state_path: str | None = None, cap: int | None = None, lanes: Lanes | None = None):
        self.entries: dict[str, Hosted] = {}
        self.lanes = lanes             # shared with the other hosts: a compare spans hosts (None: it cannot)
        self._stalled = False          # the last slice found nothing it may train (waiting on another host)
        self.state_path = state_path
        self.max_playing = cap if cap is not None else max_playing()  # more Plays than this wait
        self._turn = 0                 # round-robin cursor over the playing trainers
        self._last_write = 0.0
        self._dirty = True
        self._give_way_until = 0.0     # no training before this (monotonic time): see GIVE_WAY_SECONDS

    # -- commands ----------------------------------------------------------------------------
    def command(self, rid: str | None, command: str, args: tuple) -> tuple[str, Any, dict | None, int]:
        """Run one command; returns (kind, value, status, load).

        kind is "ok" (value is the result), "error" (value is the exception) or "unknown" (this
        host has no trainer for rid: it was freed, or the host was restarted). load is the
        number of trainers hosted, for placement.
        """
        try:
            if rid is None:
                return "ok", self._pool_command(command), None, len(self.entries)
            if command == "create":
                spec, custom, idle = args
                self.entries[rid] = self._new_entry(spec, custom, idle)
                return "ok", None, self._status(self.entries[rid]), len(self.entries)
            entry = self.entries.get(rid)
            if entry is None:
                return "unknown", None, None, len(self.entries)
            now = time.monotonic()
            entry.last_touch = now
            if command not in _NOT_LOOKS:
                entry.last_look = now
            if command in _EDITS and GIVE_WAY_SECONDS > 0 and now - self._give_way_until > GIVE_WAY_EVERY:
                self._give_way_until = now + GIVE_WAY_SECONDS
            if command == "free":
                self._unbind(self.entries.pop(rid))
                self.admit()
                return "ok", None, None, len(self.entries)
            try:
                value = self._run(entry, command, args)
            except Exception as exc:
                return "error", exc, self._status(entry), len(self.entries)
            return "ok", value, self._status(entry), len(self.entries)
        except Exception as exc:  # a trainer that cannot be built: the caller raises it
            return "error", exc, None, len(self.entries)
        finally:
            self.sync_lanes()
            self._dirty = True
            self.write_state(force=True)

    def _new_entry(self, spec: Spec, custom: CustomData | None, idle: float) -> Hosted:
        trainer = _new_trainer(spec, custom)
        now = time.monotonic()
        return Hosted(trainer, idle, last_touch=now, last_look=now)

    def _run(self, entry: Hosted, command: str, args: tuple) -> Any:
        t = entry.trainer
        if command == "play":
            for member in self._group_of(entry).values():  # a compare plays as one
                self._play(member, args[0] if args else None)
        elif command == "pause":
            for member in self._group_of(entry).values():
                member.playing, member.queued_at, member.until = False, None, None
            self.admit()
        elif command == "join":
            # (group,) or (group, base, n, index): a compare that spans hosts has lanes.
            self._unbind(entry)
            entry.group = args[0]
            entry.lane = tuple(args[1:4]) if len(args) >= 4 and args[1] is not None and self.lanes else None
            entry.published, entry.ticket = -1, None
        elif command == "group_frame":
            # Every run of the compare hosted here in one command. With a level (L, ticket) the
            # server set the compare's limit L: each playing run behind it trains up to L here
            # first, so the frames show the same epoch on every host, then passes the limit under
            # that ticket. Each counts as a look at its run. With a measure (a Lab verdict's),
            # each run is measured right after its frame: the same weights.
            request, measure, level = (tuple(args) + (None, None))[:3]
            now, out = time.monotonic(), []
            members = self._group_of(entry)
            if level is not None:
                self._train_to(list(members.values()), level[0])
            for rid, member in members.items():
                member.last_look = member.last_touch = now
                if level is not None and member.lane is not None:
                    member.ticket = level[1]
                frame = _take_frame(member.trainer, request)
                out.append((rid, frame, member.status(), None if measure is None else _measured(measure, member.trainer)))
            return out
        elif command == "step_epochs":
            t.train_epochs(args[0])
        elif command == "step_batches":
            t.train_steps(args[0])
        elif command == "reset":
            t.reset()
            entry.error = None
        elif command == "apply_spec":
            spec, custom = args
            if _same_custom(custom, t.custom):
                custom = t.custom  # the trainer tells data changes by identity
            if t.needs_rebuild(spec, custom):
                entry.trainer = _new_trainer(spec, custom)
                entry.error = None
                return True
            t.apply_hot(spec)
            return False
        elif command == "frame":
            return _take_frame(t, args[0])
        elif command == "call":
            fn, fn_args = args
            return fn(t, *fn_args)
        elif command not in ("status", "touch"):
            raise ValueError(f"unknown command {command!r}")
        return None

    def _pool_command(self, command: str) -> Any:
        if command == "list":
            return self.state()
        raise ValueError(f"unknown pool command {command!r}")

    # -- the queue ---------------------------------------------------------------------------
    def training(self) -> int:
        """How many experiments train here now (a compare's runs count once; the queued do not)."""
        return len({e.group or id(e) for e in self.entries.values() if e.playing})

    def _status(self, entry: Hosted) -> dict[str, Any]:
        return {**entry.status(), "training": self.training()}

    def _play(self, entry: Hosted, until: int | None = None) -> None:
        """Play now if the host has room (or the entry's compare already trains here), else queue."""
        t = entry.trainer
        if t.diverged or t.stopped:
            return
        entry.until = until
        if entry.playing or entry.queued_at is not None:
            return
        with_group = entry.group is not None and any(e.playing for e in self._group_of(entry).values())
        if with_group or self.training() < self.max_playing:
            entry.playing = True
        else:
            entry.queued_at = time.monotonic()

    def admit(self) -> None:
        """Start queued experiments (a compare's runs together), longest waiting first, while the host has room."""
        free = self.max_playing - self.training()
        if free <= 0:
            return
        waiting = sorted((e for e in self.entries.values() if e.queued_at is not None), key=lambda e: e.queued_at)
        for entry in waiting:
            if free <= 0:
                return
            if entry.queued_at is None:
                continue  # admitted with its compare
            for member in self._group_of(entry).values():
                if member.queued_at is not None:
                    member.playing, member.queued_at = True, None
            free -= 1
            self._dirty = True

    # -- training ----------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True if any hosted trainer is playing."""
        return any(e.playing for e in self.entries.values())

    def wait_seconds(self) -> float:
        """How long the driver may wait for a command before the next slice: 0 while training,
        WAIT_SECONDS while every playing run waits for a run on another host, the rest of a
        give-way pause, POLL_SECONDS when nothing plays."""
        if not self.playing:
            return POLL_SECONDS
        rest = max(0.0, min(POLL_SECONDS, self._give_way_until - time.monotonic()))
        return max(rest, WAIT_SECONDS) if self._stalled else rest

    def run_slice(self) -> bool:
        """One slice of training for the next playing trainer in turn; False if none plays, every
        playing one waits for another host (its compare's lock-step), or the host gives way to
        a user's edit for a moment."""
        self._stalled = False
        playing = [e for e in self.entries.values() if e.playing]
        if not playing or time.monotonic() < self._give_way_until:
            return False
        # One turn per experiment: a compare's runs share theirs (they train in lock-step).
        turns = list({e.group or id(e): e for e in playing}.values())
        for k in range(len(turns)):
            entry = turns[(self._turn + k) % len(turns)]
            if time.monotonic() - entry.last_look > IDLE_PAUSE:
                entry.playing = False  # nobody looks: the tab was closed or hidden
                trained = True
            elif entry.group is not None:
                trained = self._train_lockstep([e for e in playing if e.group == entry.group])
            else:
                left = None if entry.until is None else max(0, entry.until - entry.trainer.epoch)
                self._train(entry, lambda t: t.train_for(SLICE_SECONDS, max_epochs=left))
                trained = True
            if trained:
                self._turn += k + 1
                self.admit()  # a run that stopped (diverged, budget reached) makes room for a queued one
                self.sync_lanes()
                self._dirty = True
                return True
        self._stalled = True  # every compare here waits for a run on another host: do not spin
        return False

    @staticmethod
    def _train(entry: Hosted, train) -> None:
        try:
            train(entry.trainer)
        except Exception as exc:  # never stop silently: the UI shows this
            entry.error = f"training stopped: {type(exc).__name__}: {exc}"
            entry.playing = False
        if entry.trainer.diverged or entry.trainer.stopped or (entry.until is not None and entry.trainer.epoch >= entry.until):
            entry.playing = False

    # -- lock-step: the runs of one compare ---------------------------------------------------
    def _group_of(self, entry: Hosted) -> dict[str, Hosted]:
        """{runner id: entry} of the entry and the other runs of its compare hosted here."""
        return {rid: e for rid, e in self.entries.items()
                if e is entry or (entry.group is not None and e.group == entry.group)}

    def _train_lockstep(self, members: list[Hosted]) -> bool:
        """Whole epochs, one run after the other, for about SLICE_SECONDS; a run that is behind
        (it joined later, or was reset) catches up first. So between two slices, when frames
        are taken, the playing runs of a compare have trained the same number of epochs.

        A compare with lanes (its runs may live on other hosts too) follows their rule instead:
        a run trains its next epoch only when no run of the compare is behind it and the limit
        allows it (playground/lockstep.py). Returns False if no run here could train."""
        if self.lanes is not None and all(m.lane is not None for m in members):
            return self._train_by_lanes(members)
        deadline = time.monotonic() + SLICE_SECONDS
        while members:
            target = max(m.trainer.epoch for m in members)
            behind = [m for m in members if m.trainer.epoch < target] or members
            for member in behind:
                self._train(member, lambda t: t.train_epochs(1))
            members = [m for m in members if m.playing]  # a diverged run stops; the others go on
            if time.monotonic() >= deadline:
                break
        return True

    def _train_by_lanes(self, members: list[Hosted]) -> bool:
        deadline = time.monotonic() + SLICE_SECONDS
        trained = False
        while members:
            moved = False
            for member in sorted(members, key=lambda m: m.trainer.epoch):
                self.sync_lanes()  # a run stopped meanwhile (diverged, budget) waits for nobody
                if not member.playing or not self.lanes.may_train(member.lane, member.trainer.epoch,
                                                                  slack(member.epoch_seconds), member.ticket):
                    continue
                member.published = -1  # its target moved on: publish its epoch (or BIG) after it
                start = time.perf_counter()
                self._train(member, lambda t: t.train_epochs(1))
                took = time.perf_counter() - start
                member.epoch_seconds = took if member.epoch_seconds is None else 0.8 * member.epoch_seconds + 0.2 * took
                moved = trained = True
            self.sync_lanes()
            members = [m for m in members if m.playing]  # a diverged run stops; the others go on
            if not moved or time.monotonic() >= deadline:
                break
        return trained

    def _train_to(self, members: list[Hosted], level: int) -> None:
        """Train the playing members behind epoch `level` up to it (a frame's level), for at most
        BARRIER_SECONDS: a frame never waits longer for a slow run than the pause barrier does."""
        deadline = time.monotonic() + BARRIER_SECONDS
        for member in sorted(members, key=lambda m: m.trainer.epoch):
            while member.playing and member.trainer.epoch < level and time.monotonic() < deadline:
                self._train(member, lambda t: t.train_epochs(1))
            self.sync_lanes()

    def sync_lanes(self) -> None:
        """Publish each hosted run's epoch in its compare's lanes if it plays, else BIG (nobody waits
        for it), where that changed: after every command, slice and epoch."""
        if self.lanes is None:
            return
        for entry in self.entries.values():
            if entry.lane is None:
                continue
            epoch = entry.trainer.epoch if entry.playing else None
            if epoch != entry.published:
                self.lanes.publish(entry.lane, epoch)
                entry.published = epoch

    def _unbind(self, entry: Hosted) -> None:
        """The run leaves its compare's lanes (it is freed, or joins another compare): BIG."""
        if entry.lane is not None and self.lanes is not None:
            self.lanes.publish(entry.lane, None)
        entry.lane, entry.published = None, -1

    def housekeep(self) -> None:
        """Free the trainers whose idle timeout has passed; write the state file when due."""
        now = time.monotonic()
        for rid in [rid for rid, e in self.entries.items() if now - e.last_touch > e.idle_seconds]:
            self._unbind(self.entries.pop(rid))
            self._dirty = True
        for entry in self.entries.values():
            if entry.queued_at is not None and now - entry.last_look > IDLE_PAUSE:
                entry.queued_at = None  # nobody waits for it any more: the tab was closed
                self._dirty = True
        self.admit()
        self.sync_lanes()
        self.write_state()

    # -- state for tests without a page ------------------------------------------------------
    def state(self) -> dict[str, dict[str, Any]]:
        """{runner id: {"step", "epoch", "playing", "queued"}} of every hosted trainer."""
        return {rid: {"step": e.trainer.step_count, "epoch": e.trainer.epoch, "playing": e.playing,
                      "queued": e.queued_at is not None}
                for rid, e in self.entries.items()}

    def write_state(self, force: bool = False) -> None:
        """Write the state file (if configured), at most every STATE_EVERY s unless forced."""
        if self.state_path is None or not self._dirty:
            return
        now = time.monotonic()
        if not force and now - self._last_write < STATE_EVERY:
            return
        tmp = f"{self.state_path}.tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(self.state(), f)
            os.replace(tmp, self.state_path)  # readers see the old file or the new one, never half
        except OSError:
            return  # a diagnostic file must never stop training
        self._last_write, self._dirty = now, False

    def remove_state(self) -> None:
        """Delete the state file (the host is going away)."""
        if self.state_path is not None:
            for path in (self.state_path, f"{self.state_path}.tmp"):
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass


def _state_path(state_dir: str | None, name: str) -> str | None:
    if not state_dir:
        return None
    os.makedirs(state_dir, exist_ok=True)
    return os.path.join(state_dir, name)


# -- process hosts ---------------------------------------------------------------------------
def _send_reply(conn, reply: tuple) -> None:
    try:
        conn.send(reply)
    except OSError:
        raise
    except Exception as exc:  # an unpicklable result or exception: say what it was instead
        kind, value, status, load = reply
        conn.send(("error", RuntimeError(f"the reply could not be sent back: {type(exc).__name__}: {exc}"
                                         f" (result was {type(value).__name__})"), status, load))


NICENESS = int(os.environ.get("PLAYGROUND_TRAINER_NICE", "0"))


def _process_main(conn, state_dir: str | None, lanes: Lanes | None = None) -> None:
    """A pool process: answer commands, and between them train the playing trainers in turn."""
    # The server stops its daemonic pool processes with SIGTERM: exit through `finally`, so the
    # state file goes too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # PLAYGROUND_TRAINER_NICE > 0 makes training yield to the page. Measured here (2 cores):
    # nice 5 answered clicks while playing sooner (+ neuron p50 342 -> 209 ms) but live training
    # fell from 110 to 94 epochs/s (default task) and 63 to 45 (6x8 spiral), so it is off by default.
    if NICENESS:
        os.nice(NICENESS)
    from playground.train import configure_threads

    configure_threads(1)
    # Everything a first frame needs (captum comes with the image views), imported before the
    # host says it is ready: the first page on this host then does not wait a second for it.
    import playground.frame, playground.interpret, playground.probes  # noqa: E401, F401
    # And torch's first-use costs (kernels, the autograd engine): ~1 s for the first trainer.
    warm = _new_trainer(Spec(), None)
    warm.train_steps(1)
    _take_frame(warm, {})
    del warm
    host = Host(_state_path(state_dir, f"pool-{os.getpid()}.json"), lanes=lanes)
    conn.send(("ready", os.getpid()))
    try:
        while True:
            timeout = host.wait_seconds()
            for _ in range(COMMANDS_PER_SLICE):
                if not conn.poll(timeout):
                    break
                try:
                    rid, command, args = conn.recv()
                except (EOFError, OSError):
                    return  # the server went away
                if rid is None and command == "close":
                    return
                try:
                    _send_reply(conn, host.command(rid, command, args))
                except OSError:
                    return  # the server went away
                timeout = 0
            host.run_slice()
            host.housekeep()
    finally:
        host.remove_state()


class ProcessSlot:
    """One pool process as the server sees it: a pipe, a lock, a generation that counts restarts."""

    def __init__(self, index: int, state_dir: str | None, lanes: Lanes | None = None):
        self.index = index
        self.state_dir = state_dir
        self.lanes = lanes                 # the pool's shared lanes, handed to every process it starts
        self.generation = 0
        self.load = 0                      # trainers hosted (as of the last reply), for placement
        self._lock = threading.Lock()      # one command at a time on the pipe
        self._process = None
        self._conn = None

    @property
    def started(self) -> bool:
        """True once its process has been started."""
        return self._process is not None

    @property
    def pid(self) -> int | None:
        """The process id, if started."""
        return self._process.pid if self._process is not None else None

    def request(self, rid: str | None, command: str, *args: Any) -> tuple[str, Any, dict | None, int]:
        """Send a command; returns (kind, value, status, generation). Raises ProcessLost on a crash."""
        with self._lock:
            if self._process is None:
                self._spawn()
            elif not self._process.is_alive():
                self._restart_locked()  # died while idle: the reply will say "unknown"
            generation = self.generation
            try:
                self._conn.send((rid, command, args))
                kind, value, status, load = self._conn.recv()
            except (EOFError, OSError) as exc:
                self._restart_locked()
                raise ProcessLost(f"pool process {self.index} stopped during {command!r}") from exc
            self.load = load
            return kind, value, status, generation

    def restart(self) -> None:
        """Replace the process (every trainer it hosted is lost)."""
        with self._lock:
            self._restart_locked()

    def _restart_locked(self) -> None:
        old_pid = self.pid
        self._stop_locked()
        if old_pid is not None and self.state_dir:
            Host(_state_path(self.state_dir, f"pool-{old_pid}.json")).remove_state()
        self.generation += 1
        self.load = 0
        self._spawn()

    def _spawn(self) -> None:
        ctx = mp.get_context("spawn")  # fork is unsafe beside Streamlit's threads and torch's pools
        conn, child = ctx.Pipe()
        process = ctx.Process(target=_process_main, args=(child, self.state_dir, self.lanes),
                              name=f"playground-pool-{self.index}", daemon=True)
        with _MAIN_SWAP:
            # spawn re-imports the parent's __main__ in the child; under Streamlit that is app.py
            # itself, which would start a UI inside the pool process. Hide it while the child starts.
            main = sys.modules.get("__main__")
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                process.start()
            finally:
                sys.modules["__main__"] = main
        child.close()
        try:
            if not conn.poll(START_TIMEOUT):
                raise RuntimeError(f"the training process did not start within {START_TIMEOUT:.0f} s")
            conn.recv()  # ("ready", pid)
        except (EOFError, OSError, RuntimeError):
            process.kill()
            conn.close()
            raise
        self._process, self._conn = process, conn

    def _stop_locked(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None:
            return
        try:
            conn.send((None, "close", ()))
        except (OSError, BrokenPipeError):
            pass
        process.join(timeout=2)
        if process.is_alive():
            process.kill()
            process.join(timeout=2)
        conn.close()

    def shutdown(self) -> None:
        """Stop the process for good."""
        with self._lock:
            self._stop_locked()


# -- thread hosts ----------------------------------------------------------------------------
class ThreadSlot:
    """A Host in this process, trained by a daemon thread; the same interface as ProcessSlot."""

    def __init__(self, index: int, state_dir: str | None, lanes: Lanes | None = None):
        self.index = index
        self.state_dir = state_dir
        self.generation = 0
        self.load = 0
        self._name = f"pool-{os.getpid()}-t{next(_THREAD_HOSTS)}.json"
        self.host = Host(_state_path(state_dir, self._name), lanes=lanes)
        self._lock = threading.Lock()      # the host: a command or a slice, never both
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        """True once its thread runs."""
        return self._thread is not None

    @property
    def pid(self) -> int | None:
        """This process (a thread host has no process of its own)."""
        return os.getpid() if self._thread is not None else None

    def request(self, rid: str | None, command: str, *args: Any) -> tuple[str, Any, dict | None, int]:
        """Run a command on the host, between two slices; returns (kind, value, status, generation)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._drive, name=f"playground-host-{self.index}",
                                                daemon=True)
                self._thread.start()
            kind, value, status, load = self.host.command(rid, command, args)
            self.load = load
            generation = self.generation
        self._wake.set()
        return kind, value, status, generation

    def restart(self) -> None:
        """Drop every hosted trainer, as a crashed process would (the tests' stand-in for a crash)."""
        with self._lock:
            self.host.remove_state()
            self.host = Host(self.host.state_path, lanes=self.host.lanes)
            self.generation += 1
            self.load = 0

    def _drive(self) -> None:
        while not self._stopped:
            with self._lock:
                trained = self.host.run_slice()
                self.host.housekeep()
            if trained:
                time.sleep(0.0005)  # let a waiting command take the lock between slices
            else:
                self._wake.wait(self.host.wait_seconds() or 0.0005)
                self._wake.clear()

    def shutdown(self) -> None:
        """Stop the thread; the host's trainers are dropped."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock:
            self.host.entries.clear()
            self.host.remove_state()


# -- the pool --------------------------------------------------------------------------------
class Pool:
    """Hosts shared by all sessions; hosts start on first use, trainers go to the least loaded."""

    def __init__(self, mode: str = "process", size: int | None = None, state_dir: str | None = None):
        if mode not in ("process", "thread", "ray"):
            raise ValueError(f"mode must be 'process', 'thread' or 'ray', got {mode!r}")
        self.mode = mode
        state_dir = state_dir if state_dir is not None else os.environ.get("PLAYGROUND_STATE_DIR") or None
        # Lanes shared with every host, so a compare's runs can train on different hosts in
        # lock-step (playground/lockstep.py); Ray actors have none: a compare keeps to one actor.
        self.lanes: Lanes | None = None
        self.blocks: Blocks | None = None
        if mode == "ray":  # Ray actors (playground/pool_ray.py): imported only when asked for
            from playground.pool_ray import RaySlot, ray_pool_size

            self.size = size or ray_pool_size()
            self.slots: list[ProcessSlot | ThreadSlot] = [RaySlot(i, state_dir) for i in range(self.size)]
        else:
            slot, self.size = (ProcessSlot if mode == "process" else ThreadSlot), size or pool_size()
            self.lanes = Lanes.create()
            self.blocks = Blocks(self.lanes)
            self.slots = [slot(i, state_dir, self.lanes) for i in range(self.size)]
        self._lock = threading.Lock()
        self._warming = False  # a warm-up thread is starting the hosts
        # Frees of garbage-collected runners: a finalizer may run inside any code, even code
        # holding a slot's lock, so it only queues (SimpleQueue.put is reentrant) and this
        # thread sends.
        self._frees: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._reap, name="playground-pool-reaper", daemon=True).start()

    def place(self, apart_from: tuple = ()) -> ProcessSlot | ThreadSlot:
        """The least-loaded host (fewest trainers), preferring hosts not in `apart_from` (the hosts
        of the other runs of a compare: its runs train side by side on different cores), then,
        while the warm-up runs, hosts already started (one waiting for its turn to start would
        make the page wait for its start); counts the new trainer at once."""
        with self._lock:
            slot = min(self.slots, key=lambda s: (sum(other is s for other in apart_from),
                                                  self._warming and not s.started, s.load))
            slot.load += 1  # two sessions starting together do not both pick the same host
            return slot

    def warm_up(self) -> None:
        """Start every host that has not started, in the background: the first now, the others
        WARM_UP_STAGGER seconds after it is ready.

        A host's process imports torch, which takes seconds of CPU. The first page's trainer
        goes to the first host; the others' imports, beside it, slowed that page's first chart
        (on two cores, from a fresh server: 4.5-5.0 s with one host, 5.6-5.8 s with two starting
        together). Started a little later, they are ready before a second tab needs them.
        """
        with self._lock:
            if self._warming or all(slot.started for slot in self.slots):
                return
            self._warming = True
        threading.Thread(target=self._start_all, name="playground-pool-warm-up", daemon=True).start()

    def _start_all(self) -> None:
        try:
            for k, slot in enumerate([slot for slot in self.slots if not slot.started]):
                if k == 1:
                    time.sleep(WARM_UP_STAGGER)  # the first page, on the first host, goes first
                try:
                    slot.request(None, "list")  # spawns the process if it has not started
                except Exception:  # noqa: BLE001 - a host that fails to start is started again on first use
                    pass
        finally:
            with self._lock:
                self._warming = False

    def free_later(self, slot: ProcessSlot | ThreadSlot, rid: str) -> None:
        """Queue a free of rid's trainer (safe from a finalizer)."""
        self._frees.put((slot, rid))

    def free_block_later(self, base: int, members: list) -> None:
        """Queue a free of a compare's lanes, after frees of its runs' trainers [(slot, rid)]: no
        host writes into the lanes once another compare may have them (safe from a finalizer)."""
        for slot, rid in members:
            self._frees.put((slot, rid))
        self._frees.put(("lanes", base))

    def _reap(self) -> None:
        while True:
            slot, rid = self._frees.get()
            if slot is None:
                return
            if isinstance(slot, str):  # ("lanes", base)
                if self.blocks is not None:
                    self.blocks.free(rid)
                continue
            try:
                slot.request(rid, "free")
            except Exception:  # noqa: BLE001 — a crashed host has freed it already
                pass

    def hosted(self) -> dict[str, dict[str, Any]]:
        """{runner id: {"step", "epoch", "playing", "slot", "pid"}} across the started hosts."""
        out: dict[str, dict[str, Any]] = {}
        for slot in self.slots:
            if not slot.started:
                continue
            _, state, _, _ = slot.request(None, "list")
            for rid, s in state.items():
                out[rid] = {**s, "slot": slot.index, "pid": slot.pid}
        return out

    def memory(self) -> dict[int, float]:
        """RSS in MB of each started pool process (thread hosts have none of their own)."""
        if self.mode != "process":
            return {}
        return {slot.pid: rss_mb(slot.pid) for slot in self.slots if slot.started}

    def shutdown(self) -> None:
        """Stop every host (tests and notebooks; the app's pool lives as long as the server)."""
        for slot in self.slots:
            slot.shutdown()
        self._frees.put((None, None))


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB, from /proc (0.0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


_POOLS: dict[str, Pool] = {}
_POOLS_LOCK = threading.Lock()


def get_pool(mode: str = "process") -> Pool:
    """The server's pool for a mode, created on first use (one per server process).

    With env PLAYGROUND_RAY_ADDRESS set, the process pool's hosts are Ray actors instead.
    """
    if mode == "process" and os.environ.get("PLAYGROUND_RAY_ADDRESS"):
        mode = "ray"
    with _POOLS_LOCK:
        if mode not in _POOLS:
            _POOLS[mode] = Pool(mode)
        return _POOLS[mode]


def pool_memory() -> dict[int, float]:
    """{pid: RSS MB} of every pool process this server started."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
    out: dict[int, float] = {}
    for pool in pools:
        out.update(pool.memory())
    return out
