"""The sessions benchmark's arithmetic: each session's share of training, and the server's memory."""
from __future__ import annotations

import json
import os

from playground.bench_sessions import read_states, server_memory, shares


def test_shares_count_only_sessions_training_throughout_and_fairness_is_slowest_over_fastest():
    before = {"a": {"epoch": 10, "playing": True}, "b": {"epoch": 0, "playing": True},
              "c": {"epoch": 5, "playing": False, "queued": True}, "d": {"epoch": 3, "playing": True}}
    after = {"a": {"epoch": 30, "playing": True}, "b": {"epoch": 10, "playing": True},
             "c": {"epoch": 5, "playing": False, "queued": True}, "d": {"epoch": 4, "playing": False}}
    got = shares(before, after, 2.0)
    # a: 20 epochs in 2 s, b: 10; c is queued, d stopped during the window: neither counts.
    assert got == {"training": 2, "queued": 1, "min_epochs_per_s": 5.0, "max_epochs_per_s": 10.0,
                   "mean_epochs_per_s": 7.5, "fairness": 0.5}
    assert shares({}, {}, 1.0)["fairness"] is None


def test_memory_is_read_for_the_pool_processes_named_by_their_state_files_and_their_parent(tmp_path):
    # This process stands in for a pool process; its parent for the server.
    (tmp_path / f"pool-{os.getpid()}.json").write_text(json.dumps({"r1": {"step": 1, "epoch": 0, "playing": False}}))
    (tmp_path / "pool-123-t1.json").write_text(json.dumps({"r2": {"step": 2, "epoch": 0, "playing": True}}))
    memory = server_memory(str(tmp_path))
    assert memory["pool_processes"] == 1 and memory["pool_mb"] > 0 and memory["server_mb"] > 0
    assert abs(memory["total_mb"] - memory["server_mb"] - memory["pool_mb"]) <= 1  # each rounded
    assert set(read_states(str(tmp_path))) == {"r1", "r2"}


def test_the_cli_refuses_a_tab_count_out_of_bounds_in_one_line(capsys):
    from playground.cli import main

    for value in ("0", "31", "-2"):
        assert main(["bench", "--sessions", value]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "--sessions: must be 1 to 30" in err
