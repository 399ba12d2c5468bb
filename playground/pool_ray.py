"""Trainer hosts in Ray actors: the pool's backend when a class outgrows one machine.

With env PLAYGROUND_RAY_ADDRESS set, the app's pool (playground/pool.py) hosts its trainers in
Ray actors instead of its own processes:
  "local"            start a Ray cluster inside this server (one machine, loopback only);
  "auto"             join the cluster that `ray start` runs on this machine;
  "ray://head:10001" a remote cluster through Ray Client.
Each actor holds a ThreadSlot (the pool's Host, trained by a thread between two commands), so
it takes exactly the commands a pool process takes; a RaySlot is the server's handle on one
actor, with ProcessSlot's `request` interface. Ray places the actors (one CPU each) on its
nodes; the pool has as many as the cluster has CPUs (or PLAYGROUND_POOL_SIZE). Every node must
run the same checkout of the project (the same container image), as the actors import it.

Ray is optional (requirements-cluster.txt): this module is imported only when a Ray pool is made.
"""
from __future__ import annotations

import os
import threading
from typing import Any

import ray

from playground.pool import START_TIMEOUT, ProcessLost, ThreadSlot, _count_from_env, max_playing

_INIT_LOCK = threading.Lock()


def ray_address() -> str | None:
    """The cluster to host trainers on (env PLAYGROUND_RAY_ADDRESS), or None for the local pool."""
    return os.environ.get("PLAYGROUND_RAY_ADDRESS") or None


def connect(address: str | None = None) -> None:
    """Join (or, for "local", start) the Ray cluster once per server process."""
    with _INIT_LOCK:
        if ray.is_initialized():
            return
        address = address or ray_address() or "local"
        if address == "local":
            # A cluster of this machine, reachable from this machine only.
            ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", logging_level="warning",
                     log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, logging_level="warning", log_to_driver=False, configure_logging=False)


def ray_pool_size() -> int:
    """Actors in a Ray pool: env PLAYGROUND_POOL_SIZE, else the cluster's CPUs."""
    connect()
    return _count_from_env("PLAYGROUND_POOL_SIZE", max(1, int(ray.cluster_resources().get("CPU", 1))))


@ray.remote(num_cpus=1)
class HostActor:
    """One pool host inside a Ray actor: a ThreadSlot, so commands are answered between slices."""

    def __init__(self, index: int, state_dir: str | None, cap: int | None):
        from playground.train import configure_threads

        configure_threads(1)  # one core per actor, as a pool process has
        self.slot = ThreadSlot(index, state_dir)
        if cap is not None:
            self.slot.host.max_playing = cap

    def request(self, rid: str | None, command: str, args: tuple) -> tuple[str, Any, dict | None, int]:
        """(kind, value, status, load): the reply of a pool process."""
        kind, value, status, _ = self.slot.request(rid, command, *args)
        return kind, value, status, self.slot.load

    def pid(self) -> int:
        """The actor's process id (its node's)."""
        return os.getpid()

    def close(self) -> None:
        """Drop the trainers and the state file (before the actor is killed)."""
        self.slot.shutdown()


class RaySlot:
    """One Ray actor as the server sees it; the same interface as ProcessSlot and ThreadSlot."""

    def __init__(self, index: int, state_dir: str | None, cap: int | None = None):
        self.index = index
        self.state_dir = state_dir
        self.cap = cap if cap is not None else max_playing()  # trainers it trains at once, as here
        self.generation = 0
        self.load = 0
        self._lock = threading.Lock()      # one command at a time, as on a pipe
        self._actor = None
        self._pid: int | None = None

    @property
    def started(self) -> bool:
        """True once its actor has been created."""
        return self._actor is not None

    @property
    def pid(self) -> int | None:
        """The actor's process id (on its node), if started."""
        return self._pid

    def request(self, rid: str | None, command: str, *args: Any) -> tuple[str, Any, dict | None, int]:
        """Send a command; returns (kind, value, status, generation). Raises ProcessLost if the actor died."""
        with self._lock:
            if self._actor is None:
                self._spawn()
            generation = self.generation
            try:
                kind, value, status, load = ray.get(self._actor.request.remote(rid, command, args))
            except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as exc:
                self._restart_locked()
                raise ProcessLost(f"ray actor {self.index} stopped during {command!r}") from exc
            self.load = load
            return kind, value, status, generation

    def restart(self) -> None:
        """Replace the actor (every trainer it hosted is lost)."""
        with self._lock:
            self._restart_locked()

    def _restart_locked(self) -> None:
        self._stop_locked()
        self.generation += 1
        self.load = 0
        self._spawn()

    def _spawn(self) -> None:
        connect()
        actor = HostActor.options(name=None, max_restarts=0).remote(self.index, self.state_dir, self.cap)
        try:
            # The first call waits for the actor to be placed and started (importing torch): bounded,
            # so a cluster without a free CPU is an error, not a hang.
            self._pid = ray.get(actor.pid.remote(), timeout=START_TIMEOUT)
        except Exception:
            ray.kill(actor)
            raise
        self._actor = actor

    def _stop_locked(self) -> None:
        actor, self._actor, self._pid = self._actor, None, None
        if actor is not None:
            try:
                ray.get(actor.close.remote(), timeout=5)
            except Exception:  # noqa: BLE001 - a dead actor has nothing to close
                pass
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass

    def shutdown(self) -> None:
        """Stop the actor for good."""
        with self._lock:
            self._stop_locked()
