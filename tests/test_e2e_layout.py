"""End-to-end layout: what fits on one screen, what stays in view, and that nothing is clipped.

Measured in headless Chromium from the elements' boxes; a screenshot of each window size goes to
tests/artifacts/e2e-layout-<w>x<h>.png.
"""
from __future__ import annotations

import pytest

from browser import ARTIFACTS, open_page, running_app

pytestmark = pytest.mark.e2e

BOARD = ".st-key-live_board"
OUTPUT = f"{BOARD} [data-chart=output_chart]"
NETWORK = f"{BOARD} [data-chart=network_chart]"

# Boxes of the toolbar and of each chart: its plotly div and its plot area (the largest drag
# rectangle, plotly's `.nsewdrag`; the network diagram's is its drawing area).
BOXES = """() => {
    const box = (e) => { const r = e.getBoundingClientRect();
                         return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
    const charts = {};
    for (const cell of document.querySelectorAll('.st-key-live_board [data-chart]')) {
        const plot = cell.querySelector('.js-plotly-plot');
        const drags = [...cell.querySelectorAll('.nsewdrag')].map(box).sort((a, b) => b.width * b.height - a.width * a.height);
        charts[cell.dataset.chart] = {div: plot ? box(plot) : null, area: drags[0] || null};
    }
    return {toolbar: box(document.querySelector('.st-key-toolbar')), charts,
            viewport: {width: innerWidth, height: innerHeight}};
}"""

# Every visible element whose text is wider than its box (scrollWidth > clientWidth), and the
# page's horizontal overflow (the document and Streamlit's scrolling main area).
CLIPPED = """() => {
    const out = [];
    const sel = 'button, label, [data-testid=stMetricValue], [data-testid=stMetricLabel], .pg-metric-value, .pg-metric-label, '
              + '[data-testid=stWidgetLabel] p, input[role=combobox], .pg-tabs button, .pg-caption, .pg-bcol';
    for (const e of document.querySelectorAll(sel)) {
        if (e.offsetParent === null || e.clientWidth === 0) continue;
        if (e.scrollWidth > e.clientWidth + 1) {
            out.push(`${e.tagName.toLowerCase()} "${(e.innerText || e.value || '').trim().slice(0, 40)}": `
                     + `${e.scrollWidth} px of text in ${e.clientWidth} px`);
        }
    }
    const main = document.querySelector('[data-testid=stMain]');
    const doc = document.documentElement;
    return {clipped: out, page: [doc.scrollWidth, doc.clientWidth], main: main ? [main.scrollWidth, main.clientWidth] : null};
}"""


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


def _page(browser, url: str, width: int, height: int):
    page = open_page(browser, url, width, height)
    for cell in (NETWORK, OUTPUT):
        page.locator(f"{cell} .main-svg").first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)  # the board's resize observers settle the plot sizes
    page.screenshot(path=str(ARTIFACTS / f"e2e-layout-{width}x{height}.png"))
    return page


def _inside(box: dict, viewport: dict) -> bool:
    return box["left"] >= 0 and box["top"] >= 0 and box["right"] <= viewport["width"] and box["bottom"] <= viewport["height"]


@pytest.fixture(scope="module")
def laptop(browser, app_url):
    """The page at 1280×720, not scrolled, and its boxes."""
    page = _page(browser, app_url, 1280, 720)
    yield page, page.evaluate(BOXES)
    page.close()


def test_one_screen_at_1280x720(laptop):
    _, boxes = laptop
    viewport, charts = boxes["viewport"], boxes["charts"]
    assert _inside(boxes["toolbar"], viewport), f"toolbar {boxes['toolbar']}"
    assert _inside(charts["network_chart"]["div"], viewport), f"network diagram {charts['network_chart']['div']}"
    assert _inside(charts["output_chart"]["div"], viewport), f"output chart {charts['output_chart']['div']}"
    area = charts["output_chart"]["area"]
    assert area["width"] >= 300 and area["height"] >= 300, f"output plot area {area['width']}x{area['height']} px"
    assert _inside(charts["curves_chart"]["div"], viewport), f"loss curves {charts['curves_chart']['div']}"
    page, _ = laptop
    features = page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-feature_"]')].map(e => {
        const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })""")
    assert len(features) == 7 and all(_inside(box, viewport) for box in features), f"feature toggles {features}"


def test_output_is_the_largest_chart(laptop):
    _, boxes = laptop
    charts = boxes["charts"]
    out = charts["output_chart"]

    def size(c: dict) -> float:
        return c["div"]["width"] * c["div"]["height"]

    for name, chart in charts.items():
        if name != "output_chart" and chart["div"] is not None:
            assert size(out) >= size(chart), f"{name} {chart['div']} is larger than the output {out['div']}"
            if chart["area"] is not None:
                assert min(out["area"]["width"], out["area"]["height"]) >= min(chart["area"]["width"],
                                                                                chart["area"]["height"]), name


def test_toolbar_stays_in_view_when_the_page_scrolls(laptop):
    page, before = laptop
    page.mouse.move(640, 600)
    page.mouse.wheel(0, 400)
    page.wait_for_function("(document.querySelector('[data-testid=stMain]')?.scrollTop || scrollY) > 0", timeout=10_000)
    after = page.evaluate(BOXES)
    moved = before["charts"]["output_chart"]["div"]["top"] - after["charts"]["output_chart"]["div"]["top"]
    assert moved > 0, "the page did not scroll"
    page.screenshot(path=str(ARTIFACTS / "e2e-layout-1280x720-scrolled.png"))
    toolbar = after["toolbar"]
    assert toolbar["top"] >= 0 and toolbar["bottom"] <= after["viewport"]["height"]
    assert toolbar["top"] < 5, f"the toolbar scrolled away: {toolbar}"
    assert page.locator(".st-key-play button").locator("visible=true").first.is_visible()
    page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollTo(0, 0)")


@pytest.mark.parametrize("width,height", [(1024, 768), (414, 896)])
def test_nothing_is_clipped(browser, app_url, width, height):
    page = _page(browser, app_url, width, height)
    found = page.evaluate(CLIPPED)
    assert found["clipped"] == [], "\n".join(found["clipped"])
    assert found["page"][0] <= found["page"][1], f"the page scrolls sideways: {found['page']}"
    if found["main"] is not None:
        assert found["main"][0] <= found["main"][1], f"the main area scrolls sideways: {found['main']}"
    if width < 600:
        charts = page.evaluate(BOXES)["charts"]
        network, output = charts["network_chart"]["div"], charts["output_chart"]["div"]
        assert output["top"] >= network["bottom"] - 1, f"the output is not below the network: {output} {network}"
        for name, chart in charts.items():
            if chart["div"] is not None:
                assert chart["div"]["width"] >= 300, f"{name} is {chart['div']['width']} px wide"
    page.close()


# Streamlit marks a rerunning fragment's elements stale (data-stale="true") for the length of the run.
STALE_STYLES = """() => { window.__stale = [];
    new MutationObserver((records) => { for (const m of records) {
        const e = m.target;
        if (m.attributeName !== 'data-stale' || e.getAttribute('data-stale') !== 'true' || !e.closest('.st-key-live_frame')) continue;
        const s = getComputedStyle(e);
        window.__stale.push({opacity: s.opacity, transition: s.transitionDuration + ' ' + s.transitionProperty});
    } }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-stale']}); }"""


def test_the_live_views_are_not_faded_while_they_refresh(browser, app_url):
    """Four reruns a second marked the live views stale every time: Streamlit's fade, an opacity
    transition, put each element on a layer of its own and back and repainted the whole page. The
    page's CSS keeps them as they are: no transition and full opacity, while marked stale. (The
    2-D views fetch their frames from the board's feed instead; the image views, as here, and a
    Lab experiment's still rerun every frame.)"""
    from urllib.parse import urlencode

    from playground.presets import image_spec

    page = open_page(browser, f"{app_url}/?{urlencode(image_spec('digits').to_query())}", 1280, 720)
    try:
        page.locator(".st-key-image_board [data-chart=fmap_conv1_chart] .main-svg").first.wait_for(timeout=60_000)
        page.evaluate(STALE_STYLES)
        page.locator(".st-key-play button").first.click()
        page.wait_for_function("window.__stale.length >= 8", timeout=30_000)  # two seconds of frames
        seen = page.evaluate("window.__stale")
        page.locator(".st-key-play button").first.click()
    finally:
        page.close()
    assert all(s["opacity"] == "1" and s["transition"].startswith("0s") for s in seen), seen
