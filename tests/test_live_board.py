"""The live board: what it sends to the browser, its Streamlit fallback, and its JavaScript in Chromium."""
from __future__ import annotations

import json
import re

import pytest

from playground.ui.live_board import JS, board_data
from playground.viz._common import make_figure

LAYOUT = [[(1.5, ["a", {"caption": "hello"}]), (1.0, ["b", {"toggles": [{"name": "t", "label": "T"}]}])],
          "Heading", [(1.0, ["c"])]]


def _fig(y):
    return make_figure([dict(type="scatter", x=[0, 1, 2], y=y)])


def test_board_data_sends_the_charts_in_the_layout_with_their_hold_flags():
    figures = {"a": _fig([1, 2, 3]), "b": _fig([3, 2, 1]), "c": _fig([0, 0, 0]), "unused": _fig([9, 9, 9])}
    data = board_data("/app/static/plotly.js", LAYOUT, figures, hold=["b"])
    assert list(data["charts"]) == ["a", "b", "c"]  # in layout order; "unused" is not sent
    assert [data["charts"][n]["hold"] for n in "abc"] == [False, True, False]
    assert json.loads(data["charts"]["b"]["figure"])["data"][0]["y"] == [3, 2, 1]
    json.dumps(data)  # all of it is JSON for the component


def test_figures_are_sent_as_plotly_s_own_encoder_writes_them():
    import numpy as np
    import plotly.io as pio

    from playground.viz._common import figure_json

    figure = make_figure([dict(type="heatmap", z=np.array([[0.5, np.nan], [np.inf, -1.0]], dtype=np.float32),
                               customdata=[[1, None]], hovertext=["<b>a</b> & é"])])
    figure.update_layout(title=dict(text="x₁ <i>and</i> x₂"), xaxis=dict(range=[0, float("nan")]))
    for fig in (figure, figure.to_plotly_json()):
        text = figure_json(fig)
        assert json.loads(text) == json.loads(pio.to_json(fig, validate=False, engine="json"))
        assert "<" not in text and "é" in json.loads(text)["data"][0]["hovertext"][0]  # HTML-safe, as plotly's
    assert json.loads(figure_json(figure))["data"][0]["z"]["dtype"] == "f4"  # typed arrays stay typed


def test_the_shared_template_is_sent_as_a_mark_and_any_other_as_it_is():
    from playground.viz._common import TEMPLATE_MARK

    plain = {"data": [], "layout": {"template": {"layout": {"paper_bgcolor": "black"}}}}
    data = board_data("/s.js", [[(1.0, ["a", "b"])]], {"a": _fig([1, 2, 3]), "b": plain})
    sent = {name: json.loads(chart["figure"]) for name, chart in data["charts"].items()}
    assert sent["a"]["layout"]["template"] == TEMPLATE_MARK
    assert sent["b"]["layout"]["template"] == {"layout": {"paper_bgcolor": "black"}}
    assert sent["a"]["data"][0]["y"] == [1, 2, 3] and sent["a"]["layout"]["uirevision"]


def test_fallback_draws_streamlit_elements_and_reports_events(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from playground.ui import live_board

    monkeypatch.setattr(live_board, "plotly_js_url", lambda: None)  # as if static serving were off

    def app():
        import streamlit as st

        from playground.ui import live_board as board
        from playground.viz._common import make_figure

        events = st.session_state.setdefault("events", [])
        figures = {n: make_figure([dict(type="scatter", x=[0, 1], y=[1, 0])]) for n in ("a", "b", "c")}
        layout = [[(1.5, ["a", {"caption": "hello"}]),
                   (1.0, ["b", {"toggles": [{"name": "t", "label": "T"}]}, {"button": {"name": "go", "label": "Go"}}])],
                  "Heading", [(1.0, ["c"])]]
        board.live_board("board", layout, figures, on_event=events.append)

    at = AppTest.from_function(app).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3
    assert at.caption[0].value == "hello"
    assert "Heading" in at.markdown[0].value
    at.checkbox(key="board_t").check().run()
    at.button(key="board_go").click().run()
    assert at.session_state["events"] == [{"kind": "toggle", "name": "t", "value": True},
                                          {"kind": "button", "name": "go"}]


# drawFrames(el, [[figure, hold, extend], ...]): the board draws them in turn (extend optional) on
# a fresh chart unless `more`; returns how many of them plotly drew whole (Plotly.react).
# settled(el): resolves when the board's drawing of el (one it started itself) is done.
DRAW_FRAMES = """
window.drawFrames = async (el, frames, more = false) => {
    if (!more) { el.__config = {}; el.__figure = null; el.__source = null; }
    let reacts = 0;
    const react = Plotly.react;
    Plotly.react = (...a) => { reacts += 1; return react(...a); };
    try {
        for (const [figure, hold, extend] of frames) { el.__latest = {figure, hold, extend: !!extend}; await draw(el, Plotly); }
    } finally { Plotly.react = react; }
    return reacts;
};
window.settled = async (el) => { while (el.__busy || el.__latest) await new Promise((r) => setTimeout(r, 10)); };"""


@pytest.fixture(scope="module")
def page():
    from browser import CHROMIUM_ARGS, require_chromium

    path = require_chromium()
    from playwright.sync_api import sync_playwright

    from playground.ui.live_board import PLOTLY_JS

    helpers = JS[JS.index("const DTYPES"):JS.index("function chartCell")]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        pg = b.new_page()
        pg.set_content("<html><body><div id='plot' style='width: 400px'></div></body></html>")
        pg.add_script_tag(path=str(PLOTLY_JS))
        pg.add_script_tag(content=helpers + "\nwindow.share = share; window.decode = decode; window.draw = draw;"
                          + "window.watchPointer = watchPointer;" + DRAW_FRAMES)
        yield pg
        b.close()


@pytest.mark.e2e
def test_share_keeps_unchanged_arrays_and_replaces_changed_ones(page):
    result = page.evaluate("""() => {
        const a = share(undefined, {data: [{x: [1, 2], y: [3, 4]}], layout: {images: [{source: 's1'}]}});
        const b = share(a, {data: [{x: [1, 2], y: [3, 5]}], layout: {images: [{source: 's1'}]}});
        const c = share(b, {data: [{x: [1, 2], y: [3, 5]}], layout: {images: [{source: 's1'}]}});
        return {xKept: a.data[0].x === b.data[0].x, yNew: a.data[0].y !== b.data[0].y, y: Array.from(b.data[0].y),
                layoutKept: a.layout === b.layout, allKept: b === c};
    }""")
    assert result == {"xKept": True, "yNew": True, "y": [3, 5], "layoutKept": True, "allKept": True}


@pytest.mark.e2e
def test_decode_reads_plotly_py_typed_arrays(page):
    import numpy as np
    import plotly.io as pio

    fig = make_figure([dict(type="heatmap", z=np.arange(6, dtype=np.float64).reshape(2, 3),
                            x=np.array([1, 2, 3], dtype=np.int32))])
    trace = json.loads(pio.to_json(fig, validate=False))["data"][0]
    assert "bdata" in trace["z"]  # plotly.py does send numpy arrays this way
    decoded = page.evaluate("""(t) => { const s = share(undefined, t);
        return {z: s.z.map(r => Array.from(r)), x: Array.from(s.x), again: share(s, JSON.parse(JSON.stringify(t))).z === s.z}; }""",
                            trace)
    assert decoded == {"z": [[0, 1, 2], [3, 4, 5]], "x": [1, 2, 3], "again": True}


def test_plotly_js_is_copied_into_the_static_folder_once(tmp_path, monkeypatch):
    import streamlit as st

    from playground.ui import live_board

    monkeypatch.setattr(live_board, "STATIC_DIR", tmp_path / "static")
    monkeypatch.setattr(st, "get_option", lambda name: {"server.enableStaticServing": True,
                                                         "server.baseUrlPath": "sub/"}.get(name))
    url = live_board.plotly_js_url()
    assert url == f"/sub/app/static/{live_board.PLOTLY_JS_NAME}"
    copied = tmp_path / "static" / live_board.PLOTLY_JS_NAME
    assert copied.read_bytes() == live_board.PLOTLY_JS.read_bytes()
    assert [p.name for p in (tmp_path / "static").iterdir()] == [live_board.PLOTLY_JS_NAME]  # no temp file left
    monkeypatch.setattr(st, "get_option", lambda name: False if name == "server.enableStaticServing" else "")
    assert live_board.plotly_js_url() is None  # static serving off: the Streamlit fallback is used


def test_board_data_serialises_a_figure_object_once(monkeypatch):
    import plotly.io as pio

    calls = []
    real = pio.to_json
    monkeypatch.setattr(pio, "to_json", lambda fig, **kw: calls.append(fig) or real(fig, **kw))
    same, cache = _fig([1, 2, 3]), {}
    first = board_data("/s.js", [[(1.0, ["a"])]], {"a": same}, cache=cache)
    again = board_data("/s.js", [[(1.0, ["a"])]], {"a": same}, cache=cache)
    assert again["charts"]["a"]["figure"] == first["charts"]["a"]["figure"]
    assert len(calls) == 1  # the same object again: its JSON is reused
    board_data("/s.js", [[(1.0, ["a"])]], {"a": _fig([1, 2, 3])}, cache=cache)
    assert len(calls) == 2  # a new figure object is serialised, even if equal


@pytest.mark.e2e
def test_a_held_frame_does_not_stop_the_same_figure_being_drawn_in_full(page):
    # Frame 1 draws y=[1,2,3]; frame 2 (held) keeps those traces but takes y=[3,2,1]'s layout;
    # frame 3 sends the frame-2 figure again unheld (as when paused): its traces must be drawn.
    one, two = (pio_json(_fig(y)) for y in ([1, 2, 3], [3, 2, 1]))
    drawn = page.evaluate("""async ([one, two]) => {
        const el = document.getElementById('plot'); el.__config = {};
        const ys = [];
        for (const [figure, hold] of [[one, false], [two, true], [two, false]]) {
            el.__latest = {figure, hold}; await draw(el, Plotly); ys.push(Array.from(el.data[0].y));
        }
        return ys;
    }""", [one, two])
    assert drawn == [[1, 2, 3], [1, 2, 3], [3, 2, 1]]


def pio_json(fig) -> str:
    import plotly.io as pio

    return pio.to_json(fig, validate=False)


@pytest.mark.e2e
def test_a_figure_sent_with_the_template_mark_is_drawn_as_with_the_template(page):
    figure = _fig([1, 3, 2])
    marked = board_data("/s.js", [[(1.0, ["a"])]], {"a": figure})["charts"]["a"]["figure"]
    shown = page.evaluate("""async ([marked, full]) => {
        const el = document.getElementById('plot');
        await drawFrames(el, [[marked, false]]);
        const first = el.layout.template;
        await drawFrames(el, [[marked.replace('[1,3,2]', '[1,3,3]'), false]], true);
        const fresh = document.createElement('div');
        fresh.style.width = '400px';
        document.body.appendChild(fresh);
        const f = JSON.parse(full);
        await Plotly.newPlot(fresh, f.data, f.layout);
        const look = (gd) => [gd._fullLayout.plot_bgcolor, gd._fullLayout.xaxis.gridcolor, gd._fullLayout.colorway.join()];
        const out = {board: look(el), plotly: look(fresh), kept: el.layout.template === first,
                     same: JSON.stringify(el.layout.template) === JSON.stringify(f.layout.template)};
        fresh.remove();
        return out;
    }""", [marked, pio_json(figure)])
    assert '"template":"playground:' in marked.replace(" ", "")
    assert shown["board"] == shown["plotly"] and shown["same"] and shown["kept"]


def _png(rgb: tuple[int, int, int]) -> str:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2), rgb).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _held_fig(path: str, rgb: tuple[int, int, int], title: str):
    fig = _fig([1, 2, 3])
    fig.update_layout(title=dict(text=title), xaxis=dict(range=[0, 3]), yaxis=dict(range=[0, 100]),
                      shapes=[dict(type="path", path=path, xref="x", yref="y", layer="below",
                                   line=dict(color="blue", width=2))],
                      images=[dict(source=_png(rgb), xref="x", yref="y", x=0, y=100, sizex=1, sizey=20,
                                   layer="below")])
    return fig


@pytest.mark.e2e
def test_a_held_frame_s_links_picture_and_title_are_drawn_as_plotly_draws_them(page):
    # Frame 2 (held) changes only a link shape's path, a picture and the title: the board sets
    # them on the SVG itself, without Plotly.relayout. What it shows must be what plotly draws
    # for that figure from scratch (a second chart, Plotly.react of frame 2).
    one = _held_fig("M0,10.00L1,50.00M1,50.00L2,30.00", (255, 0, 0), "epoch 1")
    two = _held_fig("M0,20.00L2,80.00M1,5.50L3,99.00", (0, 0, 255), "epoch 2")
    shown = page.evaluate("""async ([one, two]) => {
        const el = document.getElementById('plot'); el.__config = {};
        el.__figure = null; el.__source = null;
        const read = (gd) => ({
            d: gd.querySelector('.shapelayer path[data-index="0"]').getAttribute('d'),
            href: gd.querySelector('image').href.baseVal,  // the source the browser shows
            title: gd.querySelector('.g-gtitle text.gtitle').textContent});
        let relayouts = 0;
        const relayout = Plotly.relayout;
        Plotly.relayout = (...a) => { relayouts += 1; return relayout(...a); };
        try {
            el.__latest = {figure: one, hold: false}; await draw(el, Plotly);
            el.__latest = {figure: two, hold: true}; await draw(el, Plotly);
        } finally { Plotly.relayout = relayout; }
        const fresh = document.createElement('div'); fresh.style.width = '400px'; document.body.appendChild(fresh);
        const fig = JSON.parse(two);
        await Plotly.react(fresh, fig.data, fig.layout, {});
        const result = {board: read(el), plotly: read(fresh), relayouts, layout: el.layout.shapes[0].path};
        Plotly.purge(fresh); fresh.remove();
        return result;
    }""", [pio_json(one), pio_json(two)])
    board, plotly = shown["board"], shown["plotly"]
    assert shown["relayouts"] == 0                    # done on the SVG
    numbers = [float(v) for v in plotly["d"].replace("M", " ").replace("L", " ").replace(",", " ").split()]
    drawn = [float(v) for v in board["d"].replace("M", " ").replace("L", " ").replace(",", " ").split()]
    assert drawn == pytest.approx(numbers, abs=0.01) and len(numbers) == 8
    assert board["href"] == plotly["href"] == json.loads(pio_json(two))["layout"]["images"][0]["source"]
    assert board["title"] == plotly["title"] == "epoch 2"
    assert shown["layout"] == "M0,20.00L2,80.00M1,5.50L3,99.00"  # the layout plotly keeps, for later draws


def _hover_fig(z: list, hovertext: list[str], title: str) -> str:
    """An output-like chart: an invisible heatmap (its values only in hovers) and points whose
    hover texts change, as a network's nodes do."""
    import numpy as np

    fig = make_figure([dict(type="heatmap", x=[0, 1, 2], y=[0, 1], z=np.array(z, dtype=float), opacity=0, zmin=0,
                            zmax=1, showscale=False, hovertemplate="P %{z:.3f}<extra></extra>"),
                       dict(type="scatter", mode="markers", x=[0.2, 1.8], y=[0.1, 0.9], hovertext=hovertext,
                            hovertemplate="%{hovertext}<extra></extra>")])
    fig.update_layout(title=dict(text=title), width=400, height=300, hovermode="closest",
                      xaxis=dict(range=[-0.5, 2.5]), yaxis=dict(range=[-0.5, 1.5]))
    return pio_json(fig)


@pytest.mark.e2e
def test_a_frame_that_changes_only_hover_values_updates_them_as_plotly_would(page):
    # Frame 2 (not held) changes the heatmap's z, the points' hover texts and the title: the
    # board sets them in place, without Plotly.react. Every hover label must read what plotly's
    # own drawing of frame 2 (a second chart) reads, and none of frame 1's values.
    one = _hover_fig([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], ["a0", "b0"], "one")
    two = _hover_fig([[0.9, 0.8, 0.7], [0.6, 0.55, 0.4]], ["a1", "b1"], "two")
    shown = page.evaluate("""async ([one, two]) => {
        const el = document.getElementById('plot');
        const reacts = await drawFrames(el, [[one, false], [two, false]]);
        const fresh = document.createElement('div'); fresh.style.width = '400px'; document.body.appendChild(fresh);
        const fig = JSON.parse(two);
        await Plotly.react(fresh, fig.data, fig.layout, {});
        const label = (gd, where) => {
            Plotly.Fx.hover(gd, where);
            const text = [...gd.querySelectorAll('.hoverlayer .hovertext')].map((n) => n.textContent).join('|');
            Plotly.Fx.unhover(gd);
            return text;
        };
        const read = (gd) => [label(gd, [{curveNumber: 1, pointNumber: 0}]), label(gd, [{curveNumber: 1, pointNumber: 1}]),
            ...[[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]].map(([x, y]) => label(gd, {xval: x, yval: y})),
            gd.querySelector('.g-gtitle text.gtitle').textContent];
        const result = {board: read(el), plotly: read(fresh), reacts, again: el.__source === two};
        Plotly.purge(fresh); fresh.remove();
        return result;
    }""", [one, two])
    assert shown["reacts"] == 1  # only frame 1 was drawn whole
    assert shown["plotly"] == ["a1", "b1", "P 0.900", "P 0.800", "P 0.700", "P 0.600", "P 0.550", "P 0.400", "two"]
    assert shown["board"] == shown["plotly"]
    assert shown["again"]  # the same figure sent again (as when paused) is not redrawn


@pytest.mark.e2e
def test_a_shown_colour_bar_that_follows_z_is_drawn_in_full(page):
    # Without zmin/zmax a shown colour bar's range follows z: not a hover value alone.
    import numpy as np

    def fig(z):
        f = make_figure([dict(type="heatmap", x=[0, 1], y=[0, 1], z=np.array(z, dtype=float), opacity=0)])
        f.update_layout(width=300, height=200, xaxis=dict(range=[-0.5, 1.5]), yaxis=dict(range=[-0.5, 1.5]))
        return pio_json(f)

    reacts = page.evaluate("""([one, two]) => drawFrames(document.getElementById('plot'), [[one, false], [two, false]])""",
                           [fig([[0, 1], [2, 3]]), fig([[0, 10], [20, 30]])])
    assert reacts == 2


def _loss_lines(y, top, x_end=20):
    """A live loss chart as curves_figure sends it: a line over epochs on set axis ranges."""
    f = make_figure([dict(type="scatter", mode="lines", x=list(range(len(y))), y=y, name="loss")])
    f.update_layout(width=400, height=250, xaxis=dict(range=[0, x_end]), yaxis=dict(range=[0, top]))
    return pio_json(f)


@pytest.mark.e2e
def test_extended_lines_are_drawn_whole_only_when_a_point_leaves_the_axes_as_drawn(page):
    # The first point, 5, is a spike that every frame's y range clips on purpose, and that range
    # shrinks a little with each frame (as _loss_range's does in a long run): the lines are
    # extended on the axes as drawn. Frame 4's new point is off them but inside its own range.
    frames = [[_loss_lines([5, 1, 0.9], 1.1), False, True],
              [_loss_lines([5, 1, 0.9, 0.8], 1.05), False, True],
              [_loss_lines([5, 1, 0.9, 0.8, 0.7], 1.0), False, True],
              [_loss_lines([5, 1, 0.9, 0.8, 0.7, 1.15], 1.2), False, True]]
    shown = page.evaluate("""async (frames) => {
        const el = document.getElementById('plot');
        const first = await drawFrames(el, frames.slice(0, 1));
        const extended = await drawFrames(el, frames.slice(1, 3), true);
        const d = el.querySelector('path.js-line').getAttribute('d');
        const spikeY = Number(d.match(/^M[-\\d.]+,(-?[\\d.]+)/)[1]);
        const clip = el.querySelector('.overplot .xy, .plot').getAttribute('clip-path');
        const last = await drawFrames(el, frames.slice(3), true);
        return {first, extended, last, spikeY, clip, range: el._fullLayout.yaxis.range};
    }""", frames)
    assert (shown["first"], shown["extended"], shown["last"]) == (1, 0, 1)
    assert shown["spikeY"] < 0 and shown["clip"]  # the spike lies above the plot area, which is clipped
    assert shown["range"] == [0, 1.2]


@pytest.mark.e2e
def test_a_new_epoch_axis_is_relayouted_and_the_lines_drawn_on_it_not_drawn_whole(page):
    # The epochs outgrow the x axis (20 -> 40) while the y range moves: plotly relayouts the axes
    # and the lines are drawn on them, as a whole draw of the same figure draws them.
    grown = _loss_lines([1, 0.9, 0.8, 0.7] + [0.6] * 20, 1.05, x_end=40)
    shown = page.evaluate("""async ([one, grown]) => {
        const el = document.getElementById('plot');
        const first = await drawFrames(el, [[one, false, true]]);
        const relayouts = [], relayout = Plotly.relayout;
        Plotly.relayout = (gd, update) => { relayouts.push(Object.keys(update).sort()); return relayout(gd, update); };
        let whole;
        try { whole = await drawFrames(el, [[grown, false, true]], true); } finally { Plotly.relayout = relayout; }
        const board = {d: el.querySelector('path.js-line').getAttribute('d'),
                       ticks: [...el.querySelectorAll('.xtick text')].map((t) => t.textContent)};
        const fresh = document.createElement('div');
        fresh.style.width = '400px';
        document.body.appendChild(fresh);
        const f = JSON.parse(grown);
        await Plotly.newPlot(fresh, f.data, f.layout);
        const plotly = {d: fresh.querySelector('path.js-line').getAttribute('d'),
                        ticks: [...fresh.querySelectorAll('.xtick text')].map((t) => t.textContent)};
        fresh.remove();
        return {first, whole, relayouts, board, plotly, x: el._fullLayout.xaxis.range, y: el._fullLayout.yaxis.range};
    }""", [_loss_lines([1, 0.9, 0.8, 0.7], 1.1), grown])
    assert (shown["first"], shown["whole"]) == (1, 0)
    assert shown["relayouts"] == [["xaxis.range"], ["yaxis.range"]]
    assert (shown["x"], shown["y"]) == ([0, 40], [0, 1.05])
    assert shown["board"]["ticks"] == shown["plotly"]["ticks"] and "40" in shown["board"]["ticks"]
    def pixels(d: str) -> list[list[int]]:
        return [[round(float(v)) for v in p.split(",")] for p in re.findall(r"[ML]([-\d.]+,[-\d.]+)", d)]

    points, expected = pixels(shown["board"]["d"]), pixels(shown["plotly"]["d"])
    # (plotly drops the points inside a straight run of a line: its points are among the board's)
    assert len(points) == 24 and (points[0], points[-1]) == (expected[0], expected[-1])
    assert all(point in points for point in expected) and len(expected) > 2
    # The relayout is not a user's zoom that a later whole draw would keep (plotly's uirevision):
    # a figure with the old range again (training restarted) is drawn on that range.
    again = page.evaluate("""async (f) => { const el = document.getElementById('plot');
        await drawFrames(el, [[f, false, false]], true); return el._fullLayout.xaxis.range; }""",
                          _loss_lines([1, 0.9, 0.8], 1.1))
    assert again == [0, 20]
    # A layout that changes in more than its ranges (a best-epoch marker) is drawn whole.
    marked = json.loads(grown)
    marked["layout"]["shapes"] = [dict(type="line", x0=3, x1=3, y0=0, y1=1, xref="x", yref="y")]
    assert page.evaluate("(f) => drawFrames(document.getElementById('plot'), [[f, false, true]], true)",
                         json.dumps(marked)) == 1


@pytest.mark.e2e
def test_an_axis_that_loses_its_range_is_autoranged_again(page):
    # Playing, the epoch axis has a range; paused, the figure leaves it to plotly (autorange).
    # Under the figures' one uirevision, plotly kept the `autorange: false` it had filled in,
    # and the paused curves showed epochs -1 to 6 of 550 (seen at 1280x720), or kept the old range.
    playing = _loss_lines([1, 0.9, 0.8, 0.7] + [0.6] * 36, 1.1, x_end=50)
    paused = json.loads(playing)
    del paused["layout"]["xaxis"]["range"]
    shown = page.evaluate("""async ([playing, paused]) => {
        const el = document.getElementById('plot');
        await drawFrames(el, [[playing, false, true], [paused, false, false]]);
        const fresh = document.createElement('div');
        fresh.style.width = '400px';
        document.body.appendChild(fresh);
        const f = JSON.parse(paused);
        await Plotly.newPlot(fresh, f.data, f.layout);
        const out = {board: el._fullLayout.xaxis.range, plotly: fresh._fullLayout.xaxis.range};
        fresh.remove();
        return out;
    }""", [playing, json.dumps(paused)])
    assert shown["board"] == shown["plotly"] and shown["board"][1] >= 39


@pytest.mark.e2e
def test_lines_under_the_pointer_are_drawn_whole_so_their_hover_values_are_the_latest(page):
    frames = [[_loss_lines([1, 0.9, 0.8, 0.7 - 0.1 * k], 1.1), False, True] for k in range(4)]
    shown = page.evaluate("""async (frames) => {
        const el = document.getElementById('plot');
        const label = (point) => {
            Plotly.Fx.hover(el, [{curveNumber: 0, pointNumber: point}]);
            const text = [...el.querySelectorAll('.hoverlayer .hovertext')].map((n) => n.textContent).join('|');
            Plotly.Fx.unhover(el);
            return text;
        };
        const react = Plotly.react;
        let reacts = await drawFrames(el, frames.slice(0, 2));   // frame 1 whole, frame 2 extended
        watchPointer(el, Plotly);
        Plotly.react = (...a) => { reacts += 1; return react(...a); };
        el.dispatchEvent(new PointerEvent('pointerenter'));      // the pointer comes over the chart
        await settled(el);
        Plotly.react = react;
        const entered = [reacts, label(3)];
        reacts += await drawFrames(el, frames.slice(2, 3), true);  // under the pointer: whole
        const over = [reacts, label(3)];
        el.dispatchEvent(new PointerEvent('pointerleave'));
        reacts += await drawFrames(el, frames.slice(3), true);   // extended again
        return {entered, over, left: reacts};
    }""", frames)
    assert shown["entered"][0] == 2 and "0.6" in shown["entered"][1]  # frame 2's last value, drawn whole
    assert shown["over"][0] == 3 and "0.5" in shown["over"][1]
    assert shown["left"] == 3
