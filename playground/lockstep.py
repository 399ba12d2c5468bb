"""Lock-step across hosts: the runs of one compare train on different pool hosts, yet at every
frame they show the same epoch.

The server and its pool hosts (processes or threads) share one array of 64-bit *lanes* and a
lock (`Lanes`, made once by the pool and handed to every host at spawn). A compare of n runs
owns a contiguous block of 2 + 2n lanes (`Blocks` allocates them on the server):

    lanes[base]            limit:    no run may finish an epoch beyond it (BIG: no limit) ...
    lanes[base + 1]        ticket:   ... unless its frame at the limit, for this ticket, was taken
    lanes[base + 2 + 2i]   target_i: the epoch run i trains towards (BIG: not playing)
    lanes[base + 3 + 2i]   done_i:   the epoch run i has finished   (BIG: not playing)

A host trains run i one more epoch only if no playing run of the compare is behind it (epoch <=
min done_j, give or take a small slack) and the limit allows it (epoch + 1 <= limit); it says
so in target_i first, under the lock. The slack (a few epochs, only where an epoch is short)
lets a run go on while the run on the other core was descheduled for a moment instead of
waiting at every epoch: measured here with a browser bench running beside it, 2 runs of the
default task trained at 77 epochs/s each with a slack of 3 against 68 without (median of 4).
A run that does not play publishes BIG: nobody waits for it.

The server pauses a compare behind a barrier: under the lock it sets limit = L, the highest
target, and a new ticket, then waits until every playing run has done L; every run is then at
epoch L and stays there until the limit is lifted.

Frames take the same level without the wait (`level(wait=False)`): the server sets the limit and a new
ticket and asks every host for its runs' frames at L. A host trains its runs that are behind up
to L, takes their frames, and lets them go on past L under that ticket. So a host whose runs
reached L first does not sit idle until the last run of the other host gets there and every
frame is taken. Measured here: behind the barrier the server waited 52 ms of every 250 ms frame of
a 4-run compare in the browser; without it the headless compare (bench) went from 39.2 to 44.5
epochs/s each with 4 runs and from 90.3 to 104.2 with 2 (medians of 6, alternating).

No torch and no Streamlit here: plain integers in shared memory.
"""
from __future__ import annotations

import multiprocessing as mp
import threading
import time
from typing import Any

BIG = 2 ** 62             # "not playing: do not wait for me", and "no limit"
LANES = 4096              # lanes in a pool: about 290 compares of six runs at once
BARRIER_SECONDS = 2.0     # the server waits at most this long for the runs to reach the same epoch
WAIT_SECONDS = 0.0005     # how often a waiting host or server looks at the lanes again
LOCK_SECONDS = 1.0        # a host never blocks longer than this on the lock (a stuck lock stalls, not hangs)
MAX_SLACK = 3             # epochs a run may be ahead of the slowest run of its compare, if its epochs are short:
SLACK_SECONDS = 0.03      # the slack is at most this much training (so a frame waits at most ~this for the others)

Lane = tuple[int, int, int]  # (base, n, index) of one run: where its compare's block starts, its size, which run


class LanesExhausted(RuntimeError):
    """Every lane of the pool belongs to a compare: no new compare can train in lock-step."""


class Lanes:
    """The shared lanes and their lock, as every host and the server see them (picklable at spawn)."""

    def __init__(self, array: Any, lock: Any):
        self.array = array   # ctx.RawArray('q', size)
        self.lock = lock     # ctx.Lock()

    @classmethod
    def create(cls, size: int = LANES) -> "Lanes":
        """New lanes in shared memory (the spawn context, as the pool's processes use)."""
        ctx = mp.get_context("spawn")
        array = ctx.RawArray("q", size)
        for i in range(size):
            array[i] = BIG
        return cls(array, ctx.Lock())

    def __len__(self) -> int:
        return len(self.array)

    # -- a host ------------------------------------------------------------------------------
    def may_train(self, lane: Lane, epoch: int, slack: int = 0, ticket: int | None = None) -> bool:
        """True (and target_i = epoch + 1) if run i may train its next epoch now: no playing run
        of its compare is behind it (by more than `slack` epochs) and the limit allows one more
        (or `ticket`, the ticket of the last frame taken of run i, is the limit's)."""
        base, n, i = lane
        a = self.array
        if not self.lock.acquire(timeout=LOCK_SECONDS):
            return False
        try:
            if epoch + 1 > a[base] and ticket != a[base + 1]:
                return False
            for j in range(n):
                if a[base + 3 + 2 * j] < epoch - slack:
                    return False  # a run is behind: it catches up first
            a[base + 2 + 2 * i] = epoch + 1
            return True
        finally:
            self.lock.release()

    def publish(self, lane: Lane, epoch: int | None) -> None:
        """target_i = done_i = epoch, or BIG (None: run i does not play)."""
        base, _, i = lane
        value = BIG if epoch is None else epoch
        locked = self.lock.acquire(timeout=LOCK_SECONDS)
        try:
            self.array[base + 2 + 2 * i] = value
            self.array[base + 3 + 2 * i] = value
        finally:
            if locked:
                self.lock.release()

    # -- the server --------------------------------------------------------------------------
    def level(self, base: int, n: int, wait: bool = False,
              timeout: float = BARRIER_SECONDS) -> tuple[int, int] | None:
        """limit = L, the furthest target of the playing runs, and a new ticket; returns (L, ticket),
        or None when no run plays (then nothing is limited). wait=True is the barrier: it then
        waits (at most `timeout`) until every playing run has done L. Call release(base) afterwards."""
        a = self.array
        if not self.lock.acquire(timeout=LOCK_SECONDS):
            return None
        try:
            live = [t for t in (a[base + 2 + 2 * i] for i in range(n)) if t < BIG]
            if not live:
                return None
            a[base] = max(live)
            a[base + 1] += 1
            leveled = a[base], a[base + 1]
        finally:
            self.lock.release()
        deadline = time.monotonic() + timeout
        while wait and any(a[base + 3 + 2 * i] < leveled[0] for i in range(n)) and time.monotonic() < deadline:
            time.sleep(WAIT_SECONDS)
        return leveled

    def release(self, base: int) -> None:
        """Lift the compare's limit."""
        with self.lock:
            self.array[base] = BIG

    def block(self, base: int, n: int) -> dict[str, Any]:
        """{"limit", "target", "done"} of a compare's block (tests and diagnostics)."""
        a = self.array
        return {"limit": a[base], "ticket": a[base + 1], "target": [a[base + 2 + 2 * i] for i in range(n)],
                "done": [a[base + 3 + 2 * i] for i in range(n)]}


def slack(epoch_seconds: float | None) -> int:
    """Epochs a run whose epochs take `epoch_seconds` may be ahead of the others (0 until known)."""
    if not epoch_seconds:
        return 0
    return max(0, min(MAX_SLACK, int(SLACK_SECONDS / epoch_seconds)))


def block_size(n: int) -> int:
    """Lanes of a compare of n runs: its limit and ticket, and a target and a done per run."""
    return 2 + 2 * n


class Blocks:
    """The server's allocator of the lanes: a contiguous block per compare, first fit."""

    def __init__(self, lanes: Lanes):
        self.lanes = lanes
        self._used: dict[int, int] = {}   # base -> size
        self._lock = threading.Lock()

    def allocate(self, n: int) -> int:
        """The base of a new block for n runs: nobody plays, no limit (BIG), ticket 0."""
        size = block_size(n)
        with self._lock:
            base = 0
            for start, length in sorted(self._used.items()):
                if start - base >= size:
                    break
                base = start + length
            if base + size > len(self.lanes):
                raise LanesExhausted(f"the server trains {len(self._used)} compares in lock-step, which takes all "
                                     f"{len(self.lanes)} of its lanes: close a compare (or wait for idle ones "
                                     "to be freed), then try again")
            self._used[base] = size
        with self.lanes.lock:
            for k in range(base, base + size):
                self.lanes.array[k] = BIG
            self.lanes.array[base + 1] = 0  # the ticket
        return base

    def free(self, base: int) -> None:
        """Give a block back (a second free of the same block does nothing)."""
        with self._lock:
            self._used.pop(base, None)

    def __len__(self) -> int:
        """Blocks in use."""
        return len(self._used)
