"""End-to-end: the real app in headless Chromium, as a user drives it. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser import ARTIFACTS, CHROMIUM_ARGS, metric, open_page, require_chromium, running_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


def _epoch(page) -> int:
    return int(metric(page, "Epoch").replace(",", ""))


def test_play_trains_live_and_pause_stops(browser, app_url):
    page = open_page(browser, app_url)
    page.locator(".st-key-live_board [data-chart=network_chart] .js-plotly-plot").wait_for(timeout=60_000)
    start_loss = float(metric(page, "Test loss"))
    page.get_by_role("button", name="Play").click()
    deadline = time.monotonic() + 60
    while _epoch(page) < 30 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _epoch(page) >= 30, "the epoch counter did not advance while playing"
    page.wait_for_timeout(1500)
    assert float(metric(page, "Test loss")) < start_loss
    page.screenshot(path=str(ARTIFACTS / "e2e-playing.png"))
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=10_000)
    page.wait_for_timeout(1500)
    stopped = _epoch(page)
    page.wait_for_timeout(1500)
    assert _epoch(page) == stopped, "training went on after Pause"
    page.screenshot(path=str(ARTIFACTS / "e2e-paused.png"))
    page.close()


def test_add_layer_changes_the_diagram(browser, app_url):
    page = open_page(browser, app_url)
    diagram = page.locator(".st-key-live_board [data-chart=network_chart] .js-plotly-plot")
    diagram.wait_for(timeout=60_000)
    assert "dense3" not in diagram.inner_text()
    page.get_by_role("button", name="Add layer").click()
    page.locator(".st-key-layer_card_2").wait_for(timeout=30_000)
    page.wait_for_function("document.querySelector('.st-key-live_board [data-chart=network_chart] .js-plotly-plot')"
                           ".innerText.includes('dense3')", timeout=30_000)
    assert "3 hidden layers" in page.get_by_text(re.compile(r"\d+ hidden layers")).first.inner_text()
    assert "layers=" in page.url and page.url.count("dense") == 3  # the link follows
    page.screenshot(path=str(ARTIFACTS / "e2e-add-layer.png"))
    page.close()


def test_shared_url_opens_the_same_experiment(browser, app_url):
    from playground.spec import Spec

    shared = Spec.from_dict({"dataset": {"name": "xor", "noise": 0.1}, "features": ["x1", "x2", "x1_x2"],
                             "layers": [{"type": "dense", "units": 6, "activation": "relu"}],
                             "optimizer": {"name": "sgd", "lr": 0.1}, "seed": 4})
    from urllib.parse import urlencode

    page = open_page(browser, f"{app_url}/?{urlencode(shared.to_query())}")
    page.locator(".st-key-live_board [data-chart=network_chart] .js-plotly-plot").wait_for(timeout=60_000)
    assert page.locator(".st-key-layer0_units input").first.input_value() == "6"
    assert page.locator(".st-key-layer_card_1").count() == 0
    assert page.locator(".st-key-dataset_xor button").first.get_attribute("kind") == "primary"
    assert page.locator(".st-key-feature_x1_x2 input").first.is_checked()
    assert page.locator(".st-key-lr input").first.input_value().strip() == "0.1"
    page.screenshot(path=str(ARTIFACTS / "e2e-shared-url.png"))
    page.close()


def test_bad_link_shows_a_message(browser, app_url):
    page = open_page(browser, f"{app_url}/?optimizer.lr=banana")
    alert = page.locator('[data-testid="stAlert"]').first
    alert.wait_for(timeout=30_000)
    assert "optimizer.lr" in alert.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "e2e-bad-link.png"))
    page.close()


def test_digits_train_live_and_show_feature_maps(browser, app_url):
    from urllib.parse import urlencode

    from playground.presets import image_spec

    page = open_page(browser, f"{app_url}/?{urlencode(image_spec('digits').to_query())}")
    page.locator(".st-key-fmap_conv1_chart .js-plotly-plot").wait_for(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    deadline = time.monotonic() + 60
    accuracy = 0.0
    while time.monotonic() < deadline:
        text = metric(page, "Test accuracy")
        accuracy = float(text.rstrip("%")) if text.endswith("%") else 0.0
        if accuracy >= 90:
            break
        time.sleep(0.5)
    assert accuracy >= 90, f"digits reached only {accuracy}% test accuracy in the browser"
    # Live charts are remounted every frame: wait for one rather than count at an instant.
    page.locator(".st-key-fmap_conv2_chart .js-plotly-plot").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "e2e-digits-feature-maps.png"))
    page.get_by_text("Attribution", exact=True).first.click()
    page.locator(".st-key-attr_grad_cam_chart .js-plotly-plot").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "e2e-digits-attribution.png"))
    page.get_by_role("button", name="Pause").click()
    try:
        page.get_by_role("button", name="Play").wait_for(timeout=10_000)
    except PlaywrightTimeoutError:
        # Seen once, in CI on a clean clone: Play had not come back 10 s after the click
        # (locally it takes 0.3-0.6 s, also with both cores busy). A user would click again.
        pause = page.get_by_role("button", name="Pause")
        if pause.is_visible():
            pause.click()
        page.get_by_role("button", name="Play").wait_for(timeout=20_000)
    page.close()


def test_two_tabs_are_two_experiments(browser, app_url):
    first = open_page(browser, app_url)
    second = open_page(browser, app_url)
    first.get_by_role("button", name="Play").click()
    deadline = time.monotonic() + 30
    while _epoch(first) < 10 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _epoch(first) >= 10
    assert _epoch(second) == 0, "training in one tab moved the other"
    second.get_by_role("button", name="Add layer").click()
    second.locator(".st-key-layer_card_2").wait_for(timeout=30_000)
    assert first.locator(".st-key-layer_card_2").count() == 0
    first.get_by_role("button", name="Pause").click()
    first.close()
    second.close()


def test_clicking_a_neuron_enlarges_its_map(browser, app_url):
    page = open_page(browser, app_url)
    chart = page.locator(".st-key-live_board [data-chart=network_chart] .js-plotly-plot").first
    chart.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    # The hidden neurons' markers: the nodes trace carries customdata [layer, node].
    box = page.evaluate("""() => {
        const gd = document.querySelector('.st-key-live_board [data-chart=network_chart] .js-plotly-plot');
        const i = gd.data.findIndex(t => t.customdata && t.customdata.length && t.meta && t.meta.kind === 'nodes');
        const t = gd.data[i]; const k = t.customdata.findIndex(c => c[0] === 1);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        return {x: r.left + xa._offset + xa.l2p(t.x[k]), y: r.top + ya._offset + ya.l2p(t.y[k])};
    }""")
    page.mouse.click(box["x"], box["y"])
    page.locator(".st-key-live_board [data-chart=neuron_chart] .js-plotly-plot").first.wait_for(timeout=30_000)
    assert "dense1.1" in page.locator(".st-key-live_board [data-chart=neuron_chart]").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "e2e-neuron-enlarged.png"))
    page.locator(".st-key-live_board [data-button=close_neuron]").first.click()
    page.locator(".st-key-live_board [data-chart=neuron_chart]").first.wait_for(state="detached", timeout=30_000)
    # The board's own toggles reach Python: "Show test data" adds the test points to the output.
    output = ".st-key-live_board [data-chart=output_chart] .js-plotly-plot"
    assert page.evaluate(f"document.querySelector('{output}').data.every(t => t.name !== 'test')")
    page.locator(".st-key-live_board [data-toggle=show_test]").first.check()
    page.wait_for_function(f"document.querySelector('{output}').data.some(t => t.name === 'test')",
                           timeout=30_000)
    page.close()


def test_draw_a_digit_and_see_its_prediction(browser, app_url):
    from urllib.parse import urlencode

    from playground.presets import image_spec

    page = open_page(browser, f"{app_url}/?{urlencode(image_spec('digits').to_query())}")
    page.locator(".st-key-fmap_conv1_chart .js-plotly-plot").wait_for(timeout=60_000)
    page.get_by_text("my drawing").click()
    canvas = page.locator(".st-key-draw_canvas canvas").first
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for i in range(1, 11):  # a vertical stroke: a "1"
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (0.15 + 0.07 * i))
    page.mouse.up()
    title = page.locator(".st-key-selected_image_chart").first
    page.wait_for_function("document.querySelector('.st-key-selected_image_chart')"
                           "?.innerText.includes('your image')", timeout=30_000)
    assert "predicted" in title.inner_text()
    page.screenshot(path=str(ARTIFACTS / "e2e-drawing.png"))
    page.close()

