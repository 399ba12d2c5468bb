"""Test helpers for the trainer pool: a bounded wait, and functions run inside a trainer's host.

Module-level functions, so that a pool process can unpickle them by name (`pools.step_count`).
"""
from __future__ import annotations

import time

import pytest

DEADLINE = 60.0  # seconds a wait may take on a loaded machine before the test fails


def wait_until(condition, what: str, deadline: float = DEADLINE) -> None:
    """Poll `condition` until it is true; fail (saying what) if it never becomes true."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def step_count(trainer) -> int:
    """The trainer's mini-batch step count (run in its host)."""
    return trainer.step_count
