"""End-to-end: play a sequence task in headless Chromium; the hidden-state and gradient-through-time
views appear and change as the LSTM trains. Screenshots (1280×720) go to tests/artifacts/."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from browser import ARTIFACTS, button, open_page, run_id, running_app, wait_engine, engine_state

pytestmark = pytest.mark.e2e

BOARD = ".st-key-sequence_board"
HIDDEN = f"{BOARD} [data-chart=seq_hidden_lstm1_chart] .js-plotly-plot"
GRADIENT = f"{BOARD} [data-chart=seq_gradient_small_chart] .js-plotly-plot"


def _signature(page, selector: str) -> str:
    """The chart's first trace data as JSON: it changes when the weights do."""
    return page.evaluate(f"""() => {{ const gd = document.querySelector('{selector}');
        const t = gd && gd.data && gd.data[0]; return t ? JSON.stringify(t.z || t.y) : ''; }}""")


def test_play_a_sequence_task_and_the_views_change(browser, tmp_path):
    from playground.presets import sequence_spec

    with running_app(state_dir=tmp_path) as url:
        page = open_page(browser, f"{url}/?{urlencode(sequence_spec('recall').to_query())}", 1280, 720)
        page.locator(HIDDEN).wait_for(timeout=90_000)
        page.locator(GRADIENT).wait_for(timeout=30_000)
        hidden0, gradient0 = _signature(page, HIDDEN), _signature(page, GRADIENT)
        assert hidden0 and gradient0
        page.mouse.move(640, 700)  # no tooltip over the views
        page.screenshot(path=str(ARTIFACTS / "e2e-sequence-initial.png"))
        rid = run_id(page)
        start = (engine_state(tmp_path, rid) or {}).get("step", 0)
        button(page, "play").click()
        wait_engine(tmp_path, rid, lambda s: s["playing"] and s["step"] >= start + 50, 90, "50 steps of training")
        page.wait_for_function(f"""() => {{ const gd = document.querySelector('{HIDDEN}');
            return gd && gd.data && JSON.stringify(gd.data[0].z) !== {hidden0!r}; }}""", timeout=30_000)
        page.wait_for_function(f"""() => {{ const gd = document.querySelector('{GRADIENT}');
            return gd && gd.data && JSON.stringify(gd.data[0].y) !== {gradient0!r}; }}""", timeout=30_000)
        page.mouse.move(640, 700)
        page.screenshot(path=str(ARTIFACTS / "e2e-sequence-playing.png"))
        # The gates view of the same board.
        page.get_by_text("Gates & cell", exact=True).click()
        page.locator(f"{BOARD} [data-chart=seq_gates_lstm1_chart] .js-plotly-plot").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "e2e-sequence-gates.png"))
        button(page, "play").click()
        page.wait_for_function("document.querySelector('.st-key-play').innerText.includes('Play')", timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
