"""End to end: with the host full, a second tab's Play waits with a message and starts when the first pauses.

The app runs with one pool process that trains one trainer at a time (PLAYGROUND_POOL_SIZE=1,
PLAYGROUND_MAX_PLAYING=1); the engine's state is read from the pool's state files.
"""
from __future__ import annotations

import pytest

from browser import ARTIFACTS, button, engine_state, open_page, run_id, running_app, wait_engine

pytestmark = pytest.mark.e2e


def test_a_second_play_waits_its_turn_with_a_message(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_POOL_SIZE", "1")
    monkeypatch.setenv("PLAYGROUND_MAX_PLAYING", "1")
    with running_app(state_dir=tmp_path) as url:
        first, second = (open_page(browser, url, 1280, 720) for _ in range(2))
        a, b = run_id(first), run_id(second)
        button(first, "play").click()
        wait_engine(tmp_path, a, lambda s: s["playing"] and s["step"] > 0, 60, "the first tab training")
        button(second, "play").click()
        wait_engine(tmp_path, b, lambda s: s["queued"], 60, "the second tab queued")
        notice = second.locator(".st-key-queued").first
        notice.wait_for(timeout=60_000)
        assert "1 experiment is training on this server; yours starts in a moment" in notice.inner_text()
        assert "Pause" in button(second, "play").inner_text()
        second.screenshot(path=str(ARTIFACTS / "queued.png"))
        assert engine_state(tmp_path, b)["step"] == 0  # waiting costs the others nothing
        button(first, "play").click()  # Pause: the slot frees
        wait_engine(tmp_path, b, lambda s: s["playing"] and not s["queued"] and s["step"] > 0, 60,
                    "the second tab training")
        notice.wait_for(state="detached", timeout=60_000)
        first.close()
        second.close()
