"""End-to-end: the real app in headless Chromium, as a user drives it. Screenshots go to tests/artifacts/.

Whether training runs or stands still is read from the engine itself (the trainer pool's state
files, see tests/browser.py), not from the page's counters, and never from how long anything took.
"""
from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from browser import (ARTIFACTS, COUNT_SENT, FEED, button, engine_state, metric, open_page,
                     run_id, running_app, wait_engine)

pytestmark = pytest.mark.e2e

BOARD = ".st-key-live_board"
NETWORK = f"{BOARD} [data-chart=network_chart] .js-plotly-plot"
CURVES = f"{BOARD} [data-chart=curves_chart] .js-plotly-plot"
OUTPUT = f"{BOARD} [data-chart=output_chart] .js-plotly-plot"
# Hidden neurons per column of the diagram, from the nodes trace's customdata [column, node].
NODES_PER_COLUMN = f"""() => {{
    const gd = document.querySelector('{NETWORK}');
    const t = gd && gd.data && gd.data.find(t => t.meta && t.meta.kind === 'nodes');
    if (!t) return null;
    const counts = {{}};
    for (const [col] of t.customdata) counts[col] = (counts[col] || 0) + 1;
    return Object.keys(counts).sort((a, b) => a - b).map(k => counts[k]);
}}"""


# The output's decision-boundary picture: a digest of the source its layout holds, and whether the
# <image> plotly drew shows that source (a held frame updates the picture alone, by a relayout).
OUTPUT_PICTURE = f"""() => {{
    const gd = document.querySelector('{OUTPUT}');
    const src = gd && gd.layout && gd.layout.images && gd.layout.images[0] && gd.layout.images[0].source;
    if (!src) return null;
    const shown = [...gd.querySelectorAll('image')].some(i => (i.getAttribute('href') || i.getAttribute('xlink:href')) === src);
    return {{digest: src.length + ':' + src.slice(-200), shown}};
}}"""


# The loss curves' train-loss line: the last epoch the board says it draws (gd.__drawn: between
# plotly's full redraws the board extends the lines itself), and whether the line drawn ends at
# that epoch's point on the axes.
CURVE_END = f"""() => {{
    const gd = document.querySelector('{CURVES}');
    const data = gd && (gd.__drawn || gd.data), path = gd && gd.querySelector('.scatterlayer path.js-line');
    if (!data || !data.length || !path || !gd._fullLayout) return null;
    const t = data[0], x = t.x[t.x.length - 1], y = t.y[t.y.length - 1];
    const end = path.getAttribute('d').split(/[ML]/).pop().split(',').map(Number);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return {{epoch: x, ends: Math.abs(end[0] - xa.c2p(x)) < 1 && Math.abs(end[1] - ya.c2p(y)) < 1}};
}}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(base URL, state dir) of one app server for the module."""
    state_dir = tmp_path_factory.mktemp("pool-state")
    with running_app(state_dir=state_dir) as url:
        yield url, state_dir


def _ready(page) -> None:
    page.locator(OUTPUT).wait_for(timeout=60_000)


def _layers_in_url(page) -> list[dict]:
    # The address bar as the page has it (Playwright's page.url can lag a history.replaceState).
    return json.loads(parse_qs(page.evaluate("location.search")[1:])["layers"][0])


def _play_until_steps(page, state_dir, rid: str, steps: int) -> dict:
    """Press Play; wait until the engine has trained `steps` more mini-batch steps."""
    start = (engine_state(state_dir, rid) or {}).get("step", 0)
    button(page, "play").click()
    return wait_engine(state_dir, rid, lambda s: s["playing"] and s["step"] >= start + steps, 60,
                       f"{steps} steps of training")


# Counts Plotly.react calls per board chart from now on (window.__reacts).
COUNT_REACTS = """() => {
    window.__reacts = {};
    const react = window.Plotly.react;
    window.Plotly.react = function (gd, ...rest) {
        const cell = gd.closest && gd.closest('[data-chart]');
        const name = cell ? cell.dataset.chart : '?';
        window.__reacts[name] = (window.__reacts[name] || 0) + 1;
        return react.call(this, gd, ...rest);
    };
}"""
# Hover labels of the output (its hover heatmap at a few points of the plane) and of the
# network's nodes, as the board shows them and as plotly draws the figure the board last took
# (a fresh chart).
HOVER_LABELS = f"""async () => {{
    const label = (gd, where) => {{
        Plotly.Fx.hover(gd, where);
        const text = [...gd.querySelectorAll('.hoverlayer .hovertext')].map((n) => n.textContent).join('|');
        Plotly.Fx.unhover(gd);
        return text;
    }};
    const read = (output, network) => [
        ...[[-4, -4], [0, 0], [2.5, -1.5], [4, 4]].map(([x, y]) => label(output, [{{curveNumber: 0, xval: x, yval: y}}])),
        ...network.data[0].x.map((_, k) => label(network, [{{curveNumber: 0, pointNumber: k}}]))];
    const output = document.querySelector('{OUTPUT}'), network = document.querySelector('{NETWORK}');
    if (!output.__source || !network.__source) return null;  // a held frame is the last drawn
    const fresh = [output, network].map((gd) => {{
        const div = document.createElement('div');
        div.style.width = gd.offsetWidth + 'px';
        document.body.appendChild(div);
        return div;
    }});
    for (const [gd, div] of [[output, fresh[0]], [network, fresh[1]]]) {{
        const fig = JSON.parse(gd.__source);
        await Plotly.newPlot(div, fig.data, fig.layout, {{}});
    }}
    const result = {{board: read(output, network), plotly: read(fresh[0], fresh[1])}};
    fresh.forEach((div) => {{ Plotly.purge(div); div.remove(); }});
    return result;
}}"""


def _pause_and_check_stopped(page, state_dir, rid: str) -> int:
    """Press Pause once (a lost click fails): Play comes back and the engine's step count stands still."""
    button(page, "play").click()
    # The engine first (a lost click fails here, naming it); how fast is the benchmark's business,
    # so the waits are long enough for a loaded CI machine.
    stopped = wait_engine(state_dir, rid, lambda s: not s["playing"], 60, "paused after one Pause click")
    page.wait_for_function("document.querySelector('.st-key-play').innerText.includes('Play')", timeout=60_000)
    time.sleep(1.2)
    later = engine_state(state_dir, rid)
    assert later is not None and not later["playing"]
    assert later["step"] == stopped["step"], f"training went on after Pause: step {stopped['step']} -> {later['step']}"
    return later["step"]


def test_play_trains_live_and_pause_stops(browser, app):
    url, state_dir = app
    page = open_page(browser, url)
    _ready(page)
    rid = run_id(page)
    start_loss = float(metric(page, "Test loss"))
    _play_until_steps(page, state_dir, rid, 300)
    page.wait_for_function("""() => { const v = document.querySelector('.pg-metric[data-metric=Epoch] .pg-metric-value');
        return v && Number(v.innerText.replace(/,/g, '')) >= 10; }""", timeout=30_000)
    # While training plays the boundary is redrawn with every frame (not only with the frames that
    # rebuild the whole chart, one in four), and what is drawn is the picture the figure holds.
    # So are the loss curves: their lines reach the latest epoch with every frame.
    pictures, epochs, curves = [], set(), []
    page.evaluate(COUNT_REACTS)
    deadline = time.monotonic() + 30
    while len(epochs) < 12 and time.monotonic() < deadline:
        picture, curve = page.evaluate(OUTPUT_PICTURE), page.evaluate(CURVE_END)
        if picture is not None and curve is not None:
            pictures.append(picture)
            curves.append(curve)
            epochs.add(metric(page, "Epoch"))
        time.sleep(0.05)
    changes = len({p["digest"] for p in pictures})
    assert len(epochs) >= 12 and changes >= 0.6 * len(epochs), (len(epochs), changes)
    assert all(p["shown"] for p in pictures), "a picture in the output's layout was not the one drawn"
    curve_changes = len({c["epoch"] for c in curves})
    assert curve_changes >= 0.6 * len(epochs), (len(epochs), curve_changes)
    assert all(c["ends"] for c in curves), "a loss line does not end at the last point it is said to draw"
    # The once-a-second frames' new hover values are set in place: neither chart was drawn whole.
    reacts = page.evaluate("window.__reacts")
    assert not reacts.get("output_chart") and not reacts.get("network_chart"), reacts
    page.screenshot(path=str(ARTIFACTS / "e2e-playing.png"))
    _pause_and_check_stopped(page, state_dir, rid)
    assert float(metric(page, "Test loss")) < start_loss
    # Paused, the last frame is sent whole; its hover values, set in place, read as plotly's own
    # drawing of that figure reads them.
    page.wait_for_function(f"!!(document.querySelector('{OUTPUT}').__source && document.querySelector('{NETWORK}').__source)",
                           timeout=30_000)
    labels = page.evaluate(HOVER_LABELS)
    assert labels is not None and len(labels["board"]) == 4 + 9
    assert all(labels["plotly"]) and labels["board"] == labels["plotly"], labels
    page.screenshot(path=str(ARTIFACTS / "e2e-paused.png"))
    page.close()




def test_while_playing_the_board_fetches_its_frames_and_the_page_does_not_rerun(browser, app):
    """Playing, each frame comes from the board's feed (playground/ui/feed.py), not from a rerun
    of the live views (which re-rendered the whole page): the page asks Streamlit for nothing,
    the feed is fetched about four times a second, and the board follows the engine. Paused,
    the fetching stops and the board shows the engine's last epoch. A closed tab's feed is dropped."""
    url, state_dir = app
    page = open_page(browser, url, 1440, 900, init_script=COUNT_SENT)
    _ready(page)
    rid = run_id(page)
    fetched: list[float] = []
    page.on("request", lambda request: fetched.append(time.monotonic()) if FEED in request.url else None)
    _play_until_steps(page, state_dir, rid, 100)
    page.wait_for_timeout(1000)
    sent, fetches, before = page.evaluate("window.__sent"), len(fetched), engine_state(state_dir, rid)["epoch"]
    shown = []
    for _ in range(6):
        page.wait_for_timeout(500)
        shown.append(int(metric(page, "Epoch").replace(",", "")))
        now = engine_state(state_dir, rid)["epoch"]
        assert shown[-1] <= now, f"the board shows epoch {shown[-1]}, beyond the engine's {now}"
    assert page.evaluate("window.__sent") - sent <= 1, "the live views reran while the board had a feed"
    assert len(fetched) - fetches >= 6, f"{len(fetched) - fetches} frames fetched in 3 s"
    assert shown[-1] > before and len(set(shown)) >= 4, (before, shown)  # the board followed the engine
    _pause_and_check_stopped(page, state_dir, rid)
    last = engine_state(state_dir, rid)["epoch"]
    page.wait_for_function(f"""() => Number(document.querySelector('.pg-metric[data-metric=Epoch] .pg-metric-value')
        .innerText.replace(/,/g, '')) === {last}""", timeout=30_000)
    fetches = len(fetched)
    page.wait_for_timeout(1500)
    assert len(fetched) == fetches, "the board went on fetching frames after Pause"
    # Played again and its tab closed, the feed is dropped (with what it holds of the session).
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url) if FEED in request.url else None)
    button(page, "play").click()
    page.wait_for_timeout(1000)
    while not urls:
        page.wait_for_timeout(250)
    page.close()
    assert _status(urls[-1]) == 404, "a closed tab's feed still answered"


def test_the_feed_works_under_a_base_url_path(browser, tmp_path):
    """Served under a path (`server.baseUrlPath`, as behind a proxy), the board's feed is under
    it too: playing, the frames come from it and the page does not rerun."""
    with running_app(state_dir=tmp_path, base="lab/pg") as url:
        assert url.endswith("/lab/pg")
        page = open_page(browser, url, 1440, 900, init_script=COUNT_SENT)
        _ready(page)
        rid = run_id(page)
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url) if FEED in request.url else None)
        _play_until_steps(page, tmp_path, rid, 50)
        page.wait_for_timeout(1000)
        sent, epoch = page.evaluate("window.__sent"), metric(page, "Epoch")
        page.wait_for_timeout(2000)
        assert len(fetched) >= 6 and all(u.startswith(url + FEED) for u in fetched), fetched[:3]
        assert page.evaluate("window.__sent") - sent <= 1, "the live views reran while the board had a feed"
        assert metric(page, "Epoch") != epoch
        _pause_and_check_stopped(page, tmp_path, rid)
        page.close()


def _status(url: str, timeout: float = 30.0) -> int:
    """The HTTP status of GET url, waiting up to `timeout` for it to become 404."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status == 404 or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def test_training_that_stops_by_itself_redraws_the_page(browser, app):
    """Early stopping ends training while the board is fed: the feed says its frames are stale,
    the page is drawn again with Play, and the board shows the epoch the engine stopped at."""
    url, state_dir = app
    page = open_page(browser, f"{url}/?patience=1", 1440, 900)
    _ready(page)
    rid = run_id(page)
    button(page, "play").click()
    stopped = wait_engine(state_dir, rid, lambda s: s["epoch"] > 0 and not s["playing"], 120,
                          "early stopping's end of training")
    page.wait_for_function("document.querySelector('.st-key-play').innerText.includes('Play')", timeout=30_000)
    page.wait_for_function(f"""() => Number(document.querySelector('.pg-metric[data-metric=Epoch] .pg-metric-value')
        .innerText.replace(/,/g, '')) === {stopped["epoch"]}""", timeout=30_000)
    page.close()


def test_builder_on_the_diagram(browser, app):
    url, _ = app
    page = open_page(browser, url, 1280, 720)
    _ready(page)
    assert page.evaluate(NODES_PER_COLUMN) == [2, 4, 2, 1]  # x1 x2 | 4 tanh | 2 tanh | output
    column = page.locator(f"{BOARD} .pg-bcol[data-layer='0']")
    column.locator("button[title='One neuron more']").click()
    page.wait_for_function(f"JSON.stringify(({NODES_PER_COLUMN})()) === '[2,5,2,1]'", timeout=30_000)
    page.wait_for_function("new URLSearchParams(location.search).get('layers')?.includes('\"units\":5')",
                           timeout=30_000)
    assert [layer["units"] for layer in _layers_in_url(page)] == [5, 2]

    page.locator(f"{BOARD} .pg-builder-top button[title='Add a hidden layer']").click()
    page.wait_for_function(f"(({NODES_PER_COLUMN})() || []).length === 5", timeout=30_000)
    page.wait_for_function("JSON.parse(new URLSearchParams(location.search).get('layers')).length === 3",
                           timeout=30_000)
    assert page.locator(f"{BOARD} .pg-bcol").count() == 3

    page.locator(f"{BOARD} .pg-bcol[data-layer='0'] select").first.select_option("relu")
    page.wait_for_function(f"""() => (document.querySelector('{NETWORK}').layout.annotations || [])
        .some(a => String(a.text).startsWith('<b>dense1</b>') && String(a.text).includes('relu'))""",
                           timeout=30_000)
    page.wait_for_function("JSON.parse(new URLSearchParams(location.search).get('layers'))[0].activation === 'relu'",
                           timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "e2e-builder.png"))

    page.locator(f"{BOARD} .pg-tabs button[data-tab=gradients]").click()
    for chart in ("gradient_bars_chart", "gradient_heatmap_chart"):
        page.locator(f"{BOARD} [data-chart={chart}] .main-svg").first.wait_for(timeout=30_000)
    assert page.locator(f"{BOARD} .pg-tabs button[data-tab=gradients]").get_attribute("aria-selected") == "true"
    assert page.locator(f"{BOARD} [data-chart=network_chart]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "e2e-gradient-flow.png"))
    page.close()


def test_an_activation_changed_on_the_diagram_while_playing_stays(browser, app):
    # Seen once: the toolbar's all-layers picker kept its old value in the browser and sent it
    # back on the next page run (Pause), which set every layer back to it.
    url, _ = app
    page = open_page(browser, url, 1280, 720)
    _ready(page)
    button(page, "play").click()
    page.wait_for_function("[...document.querySelectorAll('.st-key-play button')].some(b => b.innerText.includes('Pause'))",
                           timeout=30_000)
    page.locator(f"{BOARD} .pg-bcol[data-layer='0'] select[title='Activation of this layer']").select_option("relu")
    page.wait_for_function("JSON.parse(new URLSearchParams(location.search).get('layers'))[0].activation === 'relu'",
                           timeout=30_000)
    button(page, "play").click()  # Pause: a whole page run
    page.wait_for_function("[...document.querySelectorAll('.st-key-play button')].some(b => b.innerText.includes('Play'))",
                           timeout=30_000)
    page.wait_for_timeout(1500)
    assert [layer.get("activation") for layer in _layers_in_url(page)] == ["relu", "tanh"]
    # The toolbar's all-layers picker is drawn for the "mixed" state (its key names that state).
    page.locator(".st-key-toolbar .st-key-activation_all_mixed").first.wait_for(state="attached", timeout=10_000)
    page.close()


def test_the_all_layers_activation_picked_twice_sets_both(browser, app):
    # The toolbar's picker redraws only the live views (state.redraw_only), so the picker
    # itself is not redrawn between two picks: the second must not be taken for a stale value.
    url, _ = app
    page = open_page(browser, url, 1280, 720)
    _ready(page)
    for name in ("relu", "sigmoid"):
        page.locator("[class*='st-key-activation_all'] button[aria-label=Open]").first.click()
        page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(f"^{name}$")).first.click()
        page.wait_for_function("JSON.parse(new URLSearchParams(location.search).get('layers'))"
                               f".every(layer => layer.activation === '{name}')", timeout=30_000)
    # The network drawn says so too (its column headers name each layer's activation).
    page.wait_for_function(f"[...document.querySelectorAll(\"{BOARD} select[title='Activation of this layer']\")]"
                           ".every(s => s.value === 'sigmoid')", timeout=30_000)
    page.close()


def test_two_tabs_train_independently(browser, app):
    url, state_dir = app
    first, second = open_page(browser, url, 1280, 720), open_page(browser, url, 1280, 720)
    _ready(first)
    _ready(second)
    a, b = run_id(first), run_id(second)
    assert a != b, "two tabs got the same trainer"
    _play_until_steps(first, state_dir, a, 200)
    before_a, before_b = engine_state(state_dir, a), engine_state(state_dir, b)
    time.sleep(1.0)
    after_a, after_b = engine_state(state_dir, a), engine_state(state_dir, b)
    assert after_a["step"] > before_a["step"], "the playing tab's trainer did not train"
    assert after_b == before_b and not after_b["playing"], "the paused tab's trainer moved with the other"
    assert after_a["step"] != after_b["step"]
    assert "Play" in second.locator(".st-key-play").inner_text()
    _pause_and_check_stopped(first, state_dir, a)
    first.close()
    second.close()


def test_reload_finds_its_trainer(browser, app):
    url, state_dir = app
    page = open_page(browser, url, 1280, 720)
    _ready(page)
    rid = run_id(page)
    _play_until_steps(page, state_dir, rid, 200)
    trained = _pause_and_check_stopped(page, state_dir, rid)
    page.reload()
    _ready(page)
    assert run_id(page) == rid, "the reloaded page has another run id"
    state = engine_state(state_dir, rid)
    assert state is not None and state["step"] == trained, f"the trainer went back: {trained} -> {state}"
    epoch = int(metric(page, "Epoch").replace(",", ""))
    assert epoch > 0, "the reloaded page shows an untrained model"
    page.close()


def test_shared_url_opens_the_same_experiment(browser, app):
    from playground.spec import Spec

    url, _ = app
    shared = Spec.from_dict({"dataset": {"name": "xor", "noise": 0.1}, "features": ["x1", "x2", "x1_x2"],
                             "layers": [{"type": "dense", "units": 6, "activation": "relu"}],
                             "optimizer": {"name": "sgd", "lr": 0.1}, "seed": 4})
    page = open_page(browser, f"{url}/?{urlencode(shared.to_query())}")
    _ready(page)
    assert page.locator(f"{BOARD} .pg-bcol").count() == 1
    assert page.locator(f"{BOARD} .pg-bcol[data-layer='0'] .pg-units").inner_text() == "6"
    assert page.locator(f"{BOARD} .pg-bcol[data-layer='0'] select").first.input_value() == "relu"
    assert page.locator(".st-key-dataset_xor button").first.get_attribute("kind") == "primary"
    assert page.locator(".st-key-feature_x1_x2 input").first.is_checked()
    assert page.locator(".st-key-lr input[role=combobox]").first.input_value().strip() == "0.1"
    page.screenshot(path=str(ARTIFACTS / "e2e-shared-url.png"))
    page.close()


def test_bad_link_shows_a_message(browser, app):
    url, _ = app
    page = open_page(browser, f"{url}/?optimizer.lr=banana")
    alert = page.locator('[data-testid="stAlert"]').first
    alert.wait_for(timeout=30_000)
    assert "optimizer.lr" in alert.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "e2e-bad-link.png"))
    page.close()


def test_digits_train_live_and_pause_stops(browser, app):
    from playground.presets import image_spec

    url, state_dir = app
    page = open_page(browser, f"{url}/?{urlencode(image_spec('digits').to_query())}")
    board = ".st-key-image_board"
    page.locator(f"{board} [data-chart=fmap_conv1_chart] .main-svg").first.wait_for(timeout=60_000)
    rid = run_id(page)
    _play_until_steps(page, state_dir, rid, 50)
    deadline = time.monotonic() + 60
    accuracy = 0.0
    while time.monotonic() < deadline:
        text = metric(page, "Test accuracy")
        accuracy = float(text.rstrip("%")) if text.endswith("%") else 0.0
        if accuracy >= 90:
            break
        time.sleep(0.5)
    assert accuracy >= 90, f"digits reached only {accuracy}% test accuracy in the browser"
    page.locator(f"{board} [data-chart=fmap_conv2_chart] .main-svg").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "e2e-digits-feature-maps.png"))
    _pause_and_check_stopped(page, state_dir, rid)
    page.close()


def test_clicking_a_neuron_enlarges_its_map(browser, app):
    url, _ = app
    page = open_page(browser, url)
    _ready(page)
    page.wait_for_timeout(500)
    # The hidden neurons' markers: the nodes trace carries customdata [layer, node].
    box = page.evaluate(f"""() => {{
        const gd = document.querySelector('{NETWORK}');
        const t = gd.data.find(t => t.meta && t.meta.kind === 'nodes'); const k = t.customdata.findIndex(c => c[0] === 1);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        return {{x: r.left + xa._offset + xa.l2p(t.x[k]), y: r.top + ya._offset + ya.l2p(t.y[k])}};
    }}""")
    page.mouse.click(box["x"], box["y"])
    page.locator(f"{BOARD} [data-chart=neuron_chart] .js-plotly-plot").first.wait_for(timeout=30_000)
    assert "dense1.1" in page.locator(f"{BOARD} [data-chart=neuron_chart]").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "e2e-neuron-enlarged.png"))
    page.locator(f"{BOARD} [data-button=close_neuron]").first.click()
    page.locator(f"{BOARD} [data-chart=neuron_chart]").first.wait_for(state="detached", timeout=30_000)
    # The board's own toggles reach Python: "Show test data" adds the test points to the output.
    assert page.evaluate(f"document.querySelector('{OUTPUT}').data.every(t => t.name !== 'test')")
    page.locator(f"{BOARD} [data-toggle=show_test]").first.check()
    page.wait_for_function(f"document.querySelector('{OUTPUT}').data.some(t => t.name === 'test')", timeout=30_000)
    page.close()


def test_draw_a_digit_and_see_its_prediction(browser, app):
    from playground.presets import image_spec

    url, _ = app
    page = open_page(browser, f"{url}/?{urlencode(image_spec('digits').to_query())}")
    page.locator(".st-key-image_board [data-chart=fmap_conv1_chart] .main-svg").first.wait_for(timeout=60_000)
    page.get_by_text("a drawing", exact=True).click()
    canvas = page.locator(".st-key-draw_canvas canvas").first
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for i in range(1, 11):  # a vertical stroke: a "1"
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (0.15 + 0.07 * i))
    page.mouse.up()
    chart = ".st-key-image_board [data-chart=selected_image_chart]"
    page.wait_for_function(f"document.querySelector('{chart}')?.innerText.includes('your image')", timeout=30_000)
    assert "predicted" in page.locator(chart).first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "e2e-drawing.png"))
    page.close()
