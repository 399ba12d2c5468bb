"""Live training: a worker trains while the views take snapshots between frames.

The app gives each browser tab a worker *process* that owns the Trainer. The reason is the
GIL: torch releases it around every op, so a training thread beside Streamlit's renderer
waits for the GIL after each tiny op. When we measured that, live training dropped to 16
epochs/s, against 125 headless. A process trains at full speed on its own core whatever the
browser and the renderer do.

Both runners take the same commands (`Session.handle`): play, pause, step, reset, apply a
spec, take a snapshot, or run a module-level function on the trainer (`call`). The thread
runner runs them in this process. It is there for the tests and for notebooks.
"""
from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import time
import types
import weakref
from typing import Any, Callable

from playground.data import CustomData, DataBundle, build_data
from playground.model import infer_shapes
from playground.probes import Snapshot, snapshot
from playground.spec import Spec
from playground.train import Trainer, configure_threads, recommended_threads

SLICE_SECONDS = 0.02      # training between two looks at the command pipe / lock
IDLE_PAUSE = 15.0         # pause when no frame asked for a snapshot for this long (a closed tab)
_MAIN_SWAP = threading.Lock()


class Session:
    """The commands a runner accepts, executed on the Trainer in whichever process owns it."""

    def __init__(self, spec: Spec, custom: CustomData | None):
        self.trainer = Trainer(spec, custom)
        configure_threads(recommended_threads(self.trainer))
        self.playing = False
        self.error: str | None = None
        self.last_seen = time.monotonic()

    def status(self) -> dict[str, Any]:
        """What the UI needs on every reply: playing, progress, divergence, errors."""
        t = self.trainer
        return {"playing": self.playing, "epoch": t.epoch, "step": t.step_count, "diverged": t.diverged,
                "error": self.error, "epoch_progress": t.epoch_progress}

    def handle(self, command: str, *args: Any) -> Any:
        """Run one command; returns its result (the status for control commands)."""
        self.last_seen = time.monotonic()
        t = self.trainer
        if command == "play":
            self.playing = not t.diverged
        elif command == "pause":
            self.playing = False
        elif command == "step_epochs":
            t.train_epochs(args[0])
        elif command == "step_batches":
            t.train_steps(args[0])
        elif command == "reset":
            t.reset()
            self.error = None
        elif command == "apply_spec":
            spec, custom = args
            if t.needs_rebuild(spec, custom):
                self.trainer = Trainer(spec, custom)
                configure_threads(recommended_threads(self.trainer))
                self.error = None
                return True
            t.apply_hot(spec)
            return False
        elif command == "snapshot":
            return snapshot(t, *args)
        elif command == "call":
            fn, fn_args = args
            return fn(t, *fn_args)
        elif command != "status":
            raise ValueError(f"unknown command {command!r}")
        return self.status()

    def tick(self) -> None:
        """One slice of training while playing; pauses on divergence or when nobody looks."""
        if not self.playing:
            return
        if time.monotonic() - self.last_seen > IDLE_PAUSE:
            self.playing = False
            return
        try:
            self.trainer.train_for(SLICE_SECONDS)
        except Exception as exc:  # never stop silently: the UI shows this
            self.error = f"training stopped: {type(exc).__name__}: {exc}"
            self.playing = False
        if self.trainer.diverged:
            self.playing = False


def _worker_main(conn, spec: Spec, custom: CustomData | None) -> None:
    """The worker process: answer commands, train between them."""
    try:
        session = Session(spec, custom)
    except Exception as exc:  # the UI validated the spec; report anything else instead of hanging
        conn.send(("error", exc, None))
        return
    conn.send(("ok", None, session.status()))
    # The worker lives as long as its tab's runner: it ends on "close" (sent when the runner is
    # garbage-collected with its session) or when the pipe breaks (the app went away). It never
    # times out on its own, so a paused, trained model is still there when the user returns.
    while True:
        if conn.poll(0 if session.playing else 0.5):
            try:
                command, args = conn.recv()
            except (EOFError, OSError):
                return  # the app went away
            if command == "close":
                return
            try:
                result = session.handle(command, *args)
                conn.send(("ok", result, session.status()))
            except Exception as exc:
                conn.send(("error", exc, session.status()))
        elif session.playing:
            session.tick()


class LiveRunner:
    """The app's handle on one experiment: commands go to a worker process (or thread).

    The data bundle is also built here (it is deterministic and cached), so views can draw
    the data without asking the worker.
    """

    def __init__(self, spec: Spec, custom: CustomData | None = None, mode: str = "process"):
        self.mode = mode
        self.spec, self.custom = spec, custom
        self.data: DataBundle = build_data(spec, custom)
        infer_shapes(spec.layers, self.data.input_shape, self.data.n_outputs)  # refuse before spawning
        self._status: dict[str, Any] = {"playing": False, "epoch": 0, "step": 0, "diverged": None, "error": None}
        self._lock = threading.Lock()
        self._start()

    # -- transport ---------------------------------------------------------------------
    def _start(self) -> None:
        if self.mode == "thread":
            self._session = Session(self.spec, self.custom)
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._thread_main, name="playground-trainer", daemon=True)
            self._thread.start()
            self._status = self._session.status()
            return
        ctx = mp.get_context("spawn")  # fork is unsafe beside Streamlit's threads and torch's pools
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_worker_main, args=(child, self.spec, self.custom),
                                    name="playground-trainer", daemon=True)
        with _MAIN_SWAP:
            # spawn re-imports the parent's __main__ in the child; under Streamlit that is app.py
            # itself, which would start a UI inside the worker. Hide it while the child starts.
            main = sys.modules.get("__main__")
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                self._process.start()
            finally:
                sys.modules["__main__"] = main
        child.close()
        kind, value, status = self._conn.recv()
        if kind == "error":
            raise value
        self._status = status
        weakref.finalize(self, _close_process, self._conn, self._process)

    def _thread_main(self) -> None:
        while not self._stop.is_set():
            if not self._session.playing:
                time.sleep(0.01)
                continue
            with self._lock:
                self._session.tick()
            time.sleep(0.0005)  # let a waiting command take the lock between slices

    def _send(self, command: str, *args: Any) -> Any:
        with self._lock:
            if self.mode == "thread":
                result = self._session.handle(command, *args)
                self._status = self._session.status()
                return result
            if not self._process.is_alive():
                self._restart("the training process had stopped")
            try:
                self._conn.send((command, args))
                kind, value, status = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self._restart("the training process stopped unexpectedly")
                return None
        if status is not None:
            self._status = status
        if kind == "error":
            raise value
        return value

    def _restart(self, why: str) -> None:
        # Called with the lock held. The weights are lost; the experiment itself is not.
        self._start()
        self._status["error"] = f"{why}; it was restarted from the initial weights."

    # -- commands ----------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True while the worker trains (as of the last reply)."""
        return bool(self._status.get("playing"))

    @property
    def status(self) -> dict[str, Any]:
        """The latest status reply: epoch, step, diverged, error, playing."""
        return dict(self._status)

    def play(self) -> None:
        """Start (or resume) training in the background."""
        self._send("play")

    def pause(self) -> None:
        """Stop training (takes effect after the current slice, ≤ SLICE_SECONDS)."""
        self._send("pause")

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

    def frame(self, resolution: int = 100, detail: tuple[int, int] | None = None) -> tuple[Snapshot, DataBundle]:
        """A snapshot of the current weights (with `detail` node's full map) and its data."""
        return self._send("snapshot", resolution, detail), self.data

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(trainer, *args) in the worker; fn must be a module-level function (it is pickled)."""
        return self._send("call", fn, args)

    def close(self) -> None:
        """Stop the worker for good."""
        if self.mode == "thread":
            self._stop.set()
        else:
            _close_process(self._conn, self._process)


def _close_process(conn, process) -> None:
    try:
        conn.send(("close", ()))
    except (OSError, BrokenPipeError):
        pass
    process.join(timeout=1)
    if process.is_alive():
        process.kill()
