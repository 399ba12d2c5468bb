"""`bench --browser` itself, in a short window: it must see the Epoch counter move and the page refresh.

Its own module: the benchmark starts its own app and Playwright, which cannot run inside another
test module's Playwright session. The speed figures are reported by the benchmark, not asserted.
"""
from __future__ import annotations

import pytest

from browser import require_chromium

pytestmark = pytest.mark.e2e


def test_browser_bench_measures_live_training():
    require_chromium()
    from playground.bench import DEFAULT_TASK, browser_live_epochs_per_second

    result = browser_live_epochs_per_second(DEFAULT_TASK, seconds=2.0)
    assert result["epochs_per_s"] > 0
    assert result["epoch_changes_per_s"] > 0
    assert result["pause_to_play_shown_ms"] > 0
    assert result["epoch_changes_after_pause"] <= 1  # the frame in flight may still land; then it stands
