"""`bench --browser` itself, in a short window: it must see the Epoch counter move, and time clicks
and Pause in the real page.

Its own module: the benchmark starts its own app and Playwright, which cannot run inside another
test module's Playwright session. The figures are reported by the benchmark, not asserted.
"""
from __future__ import annotations

import pytest

from browser import require_chromium

pytestmark = pytest.mark.e2e


def test_browser_bench_measures_live_training_and_latency():
    require_chromium()
    from playground.bench import DEFAULT_TASK, browser_latency, browser_live_epochs_per_second, browser_session

    with browser_session() as session:
        result = browser_live_epochs_per_second(DEFAULT_TASK, 2.0, (1280, 720), session)
        assert result["epochs_per_s"] > 0
        assert result["epoch_changes_per_s"] > 0
        assert result["pause_to_play_shown_ms"] > 0
        assert result["epoch_changes_after_pause"] <= 1  # the frame in flight may still land; then it stands
        browser, url, state_dir = session
        latency = browser_latency(browser, url, state_dir, (1280, 720), reps=1, states=("paused",),
                                  only=("+ neuron", "dataset pick", "learning rate"), problem_cycles=0, pauses=1,
                                  warm_loads=1)
    # Each timed change was seen (a missed one has no number) and the engine stood still after Pause.
    for name in ("+ neuron", "dataset pick", "learning rate"):
        assert latency["paused"][name]["missed"] == 0 and latency["paused"][name]["p50"] > 0, name
    stopped = latency["playing"]["Pause -> training stopped"]
    assert stopped["missed"] == 0 and stopped["steps_after_stop"] == 0
    assert latency["playing"]["Pause -> Play shown"]["missed"] == 0
    images = latency["playing"]["Pause (images) -> training stopped"]
    assert images["missed"] == 0 and images["steps_after_stop"] == 0
    assert latency["page load"]["first chart (warm)"]["n"] == 1


def test_browser_bench_measures_a_compare_of_two_runs():
    require_chromium()
    from playground.bench import DEFAULT_TASK, browser_compare_epochs_per_second

    result = browser_compare_epochs_per_second(DEFAULT_TASK, 2, 3.0, (1440, 900))
    # Both runs' curves moved on screen.
    assert len(result["epochs_per_s_runs"]) == 2 and min(result["epochs_per_s_runs"]) > 0
    assert result["refreshes_per_s"] > 0
