"""The live board: every live chart of a view in one element that stays mounted and updates in place.

`st.plotly_chart` mounts a new chart (Plotly.newPlot on fresh DOM) whenever its figure changes,
which during training is every frame for every chart, and every Streamlit element redrawn in a
frame costs the browser a React render. On a 2-core machine that browser work took CPU from
the training process. The board is one components-v2 element: it lays its charts out in
rows and columns, hands each new figure to `Plotly.react`, keeps the arrays that did not change
(plotly recomputes a whole chart for any new array) and, for charts marked `hold`, keeps the
traces and redraws only the layout's images and shapes. Hover, zoom and clicks keep working
while training plays; clicks, toggles and buttons come back to Python as events.

plotly.js is the copy shipped inside the plotly Python package (so it matches the figures
plotly.py builds), served once per browser tab from the app's static folder
(`server.enableStaticServing`). Where that is off, the board falls back to Streamlit columns,
`st.plotly_chart`, `st.checkbox` and `st.button` with the same keys and events.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Union

import plotly
import plotly.graph_objects as go
import streamlit as st

from playground.ui import feed
from playground.ui.state import ss
from playground.viz._common import TEMPLATE_MARK, board_json, shared_template_json

# Streamlit serves <folder of app.py>/static at /app/static when static serving is on.
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
FULL_PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
# plotly.js's own "cartesian" bundle (npm plotly.js-cartesian-dist-min, MIT): every trace type
# the views use (scatter, bar, heatmap, image) in a third of the full bundle, which the browser
# evaluates in a third of the time (1.2 s of the first chart here). Used only when it is the
# same plotly.js version as the plotly package's, so that figures and library always agree.
CARTESIAN_PLOTLY_JS = Path(__file__).with_name("assets") / "plotly-cartesian.min.js"


def _js_version(path: Path) -> str | None:
    """The "vX.Y.Z" in a plotly.js bundle's banner comment."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(300)
    except OSError:
        return None
    match = re.search(r"plotly\.js[^\n]* v(\d+\.\d+\.\d+)", head)
    return match.group(1) if match else None


def _bundle() -> tuple[Path, str]:
    """The plotly.js file to serve and its served name (the version in it keeps caches safe)."""
    version = _js_version(FULL_PLOTLY_JS)
    if version is not None and _js_version(CARTESIAN_PLOTLY_JS) == version:
        return CARTESIAN_PLOTLY_JS, f"plotly-cartesian-{version}.min.js"
    return FULL_PLOTLY_JS, f"plotly-{plotly.__version__}.min.js"


PLOTLY_JS, PLOTLY_JS_NAME = _bundle()

# A board layout: rows, each either a heading (str) or columns of (relative width, items);
# an item is a chart name, {"caption": text}, {"note": text} (a warning),
# {"toggles": [{"name", "label", "value", "disabled"}]} or {"button": {"name", "label"}}.
Item = Union[str, dict]
Layout = list  # list[str | list[tuple[float, list[Item]]]]
Event = dict  # {"kind": "click", "chart", "points"} | {"kind": "toggle", "name", "value"} | {"kind": "button", "name"}
Metric = dict  # {"label": "Epoch", "value": "1,234", "help": "..."} (help optional)

HTML = '<div class="pg-metrics"></div><div class="pg-board"></div><div class="pg-table"></div>'
CSS = """
.pg-metrics { display: flex; gap: 1rem; width: 100%; align-items: flex-end; flex-wrap: wrap; }
.pg-metrics:empty { display: none; }
.pg-metric { flex: 1 1 0; min-width: 5.5rem; }
.pg-metric-label { font-size: 0.75rem; color: rgba(49, 51, 63, 0.75); line-height: 1.3; white-space: nowrap; }
.pg-metric-value { font-size: 1.15rem; line-height: 1.4; color: rgb(49, 51, 63); font-variant-numeric: tabular-nums;
                   white-space: nowrap; }
.pg-progress { flex: 1 1 100%; font-size: 0.75rem; color: rgba(49, 51, 63, 0.75); }
.pg-progress-bar { height: 0.25rem; border-radius: 0.25rem; background: rgba(49, 51, 63, 0.12); overflow: hidden; }
.pg-progress-bar > div { height: 100%; background: #0877bd; }
.pg-table { width: 100%; overflow-x: auto; margin-top: 0.5rem; }
.pg-table:empty { display: none; }
.pg-table table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pg-table th { text-align: left; font-weight: 600; color: rgba(49, 51, 63, 0.75); padding: 0.25rem 0.75rem 0.25rem 0;
               border-bottom: 1px solid rgba(49, 51, 63, 0.2); }
.pg-table td { padding: 0.2rem 0.75rem 0.2rem 0; border-bottom: 1px solid rgba(49, 51, 63, 0.08); }
.pg-board { display: flex; flex-direction: column; gap: 0.5rem; width: 100%; }
.pg-row { display: flex; gap: 1.5rem; width: 100%; align-items: flex-start; }
.pg-col { display: flex; flex-direction: column; gap: 0.5rem; min-width: 0; }
.pg-chart, .pg-plot { width: 100%; }
.pg-heading { font-weight: 600; font-size: 1.125rem; margin-top: 0.75rem; }
.pg-caption { font-size: 0.875rem; color: rgba(49, 51, 63, 0.6); line-height: 1.4; }
.pg-note { font-size: 0.9rem; padding: 0.75rem 1rem; border-radius: 0.5rem; color: #926c05;
           background: rgba(255, 227, 18, 0.12); }
.pg-toggles { display: flex; gap: 1.5rem; flex-wrap: wrap; font-size: 0.95rem; }
.pg-toggles label { display: inline-flex; align-items: center; gap: 0.35rem; cursor: pointer; }
.pg-toggles input { width: 1rem; height: 1rem; accent-color: #0877bd; cursor: pointer; }
.pg-toggles label:has(input:disabled) { color: rgba(49, 51, 63, 0.4); cursor: not-allowed; }
.pg-toggles input:disabled { cursor: not-allowed; }
.pg-buttons button { font: inherit; font-size: 0.9rem; padding: 0.25rem 0.75rem; border-radius: 0.5rem;
                     border: 1px solid rgba(49, 51, 63, 0.2); background: #fff; cursor: pointer; }
.pg-buttons button:hover { border-color: #0877bd; color: #0877bd; }
.pg-tabs { display: flex; gap: 0.25rem; border-bottom: 1px solid rgba(49, 51, 63, 0.15); }
.pg-tabs button { font: inherit; font-size: 0.875rem; padding: 0.3rem 0.75rem; border: none; background: none;
                  cursor: pointer; color: rgba(49, 51, 63, 0.75); border-bottom: 2px solid transparent; }
.pg-tabs button[aria-selected="true"] { color: #0877bd; border-bottom-color: #0877bd; font-weight: 600; cursor: default; }
.pg-builder { display: flex; flex-direction: column; gap: 0.2rem; font-size: 0.8rem; }
.pg-builder-top { display: flex; align-items: center; gap: 0.4rem; }
.pg-builder-count { font-weight: 600; margin-left: 0.25rem; }
.pg-builder-cols { position: relative; height: 3.6rem; overflow: visible; }
.pg-bcol { position: absolute; top: 0; transform: translateX(-50%); display: flex; flex-direction: column;
           align-items: center; gap: 0.1rem; z-index: 2; }
.pg-bcol-row { display: flex; align-items: center; gap: 0.2rem; }
.pg-units { min-width: 1.6rem; text-align: center; font-weight: 600; }
.pg-round { width: 1.4rem; height: 1.4rem; border-radius: 50%; border: 1px solid rgba(49, 51, 63, 0.3);
            background: #fff; cursor: pointer; font: inherit; line-height: 1; padding: 0; }
.pg-round:hover:not(:disabled) { border-color: #0877bd; color: #0877bd; }
.pg-round:disabled { opacity: 0.35; cursor: not-allowed; }
.pg-bcol select { font: inherit; font-size: 0.75rem; max-width: 100%; }
.pg-bcol.pg-narrow .pg-round { width: 1.1rem; height: 1.1rem; font-size: 0.7rem; }
.pg-bcol.pg-narrow .pg-units { min-width: 1rem; font-size: 0.72rem; }
.pg-bcol.pg-narrow .pg-bcol-row { gap: 0.05rem; }
.pg-bcol.pg-narrow select { font-size: 0.62rem; width: 100%; }
.pg-bcol.pg-tiny .pg-bcol-row { flex-direction: column; }
.pg-bcol.pg-tiny select, .pg-bcol.pg-tiny .pg-options { display: none; }
.pg-options { position: relative; font-size: 0.72rem; }
.pg-options summary { cursor: pointer; color: rgba(49, 51, 63, 0.7); list-style: none; }
.pg-options[open] .pg-options-body { position: absolute; top: 1.1rem; left: 50%; transform: translateX(-50%);
    background: #fff; border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.4rem; padding: 0.4rem;
    box-shadow: 0 2px 8px rgba(0, 0, 0, 0.15); display: flex; flex-direction: column; gap: 0.25rem;
    white-space: nowrap; z-index: 5; }
.pg-options-row { display: flex; gap: 0.25rem; }
@media (max-width: 700px) { .pg-row { flex-direction: column; } .pg-col { width: 100%; } }
"""
ASSETS = Path(__file__).with_name("assets")
LOAD_PLOTLY_JS = (ASSETS / "load_plotly.js").read_text(encoding="utf-8")  # loadPlotly(src), shared with style.py
# The template every figure carries, in the board's JavaScript once: a figure is sent with
# TEMPLATE_MARK in its place (viz._common.board_json; 7 KB of the ~20 KB a held chart's frame
# took, nine charts a frame in a 4-run compare, four frames a second).
JS = LOAD_PLOTLY_JS + "\n" + (ASSETS / "live_board.js").read_text(encoding="utf-8").replace(
    "__SHARED_TEMPLATE__", json.dumps(shared_template_json())).replace("__TEMPLATE_MARK__", json.dumps(TEMPLATE_MARK))

# isolate_styles=False: plotly.js puts its styles in the page's <head>, which a shadow root would hide.
_component = st.components.v2.component("playground_live_board", html=HTML, css=CSS, js=JS,
                                         isolate_styles=False)


_SERVED: set[Path] = set()  # static files checked in place by this server process


def plotly_js_url() -> str | None:
    """URL of the served plotly.js, copying it into the static folder if needed; None if unavailable."""
    if not st.get_option("server.enableStaticServing"):
        return None
    target = STATIC_DIR / PLOTLY_JS_NAME
    try:
        # Checked once per process: two file stats on every live frame showed in the server's
        # profile (~9 ms a second while playing).
        if target not in _SERVED and (not target.exists() or target.stat().st_size != PLOTLY_JS.stat().st_size):
            STATIC_DIR.mkdir(exist_ok=True)
            # A private temporary name, then an atomic rename: a browser never gets half a
            # file, even when two sessions start at once.
            partial = STATIC_DIR / f".{PLOTLY_JS_NAME}.{os.getpid()}.{threading.get_ident()}.part"
            shutil.copyfile(PLOTLY_JS, partial)
            partial.replace(target)
        _SERVED.add(target)
    except OSError:
        return None
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static/{PLOTLY_JS_NAME}" if base else f"/app/static/{PLOTLY_JS_NAME}"


def _chart_names(layout: Layout) -> Iterable[str]:
    for row in layout:
        if isinstance(row, str):
            continue
        for _, items in row:
            yield from (i for i in items if isinstance(i, str))


# Every chart's one tool: plotly's camera button (shown on hover, top right) downloads it as a PNG,
# drawn in the browser at twice the screen's resolution.
CHART_CONFIG = {"displayModeBar": "hover", "modeBarButtons": [["toImage"]], "displaylogo": False,
                "toImageButtonOptions": {"format": "png", "scale": 2}}


def live_board(key: str, layout: Layout, figures: dict[str, go.Figure], hold: Iterable[str] = (),
               on_event: Callable[[Event], None] | None = None, config: dict | None = None,
               fit: dict[str, dict] | None = None, query: str | None = None,
               metrics: list[Metric] | None = None, progress: tuple[float, str] | None = None,
               table: dict[str, list[str]] | None = None, extend: Iterable[str] = ()) -> None:
    """Draw `figures` laid out as `layout` in one board that stays mounted under `key`.

    Charts named in `hold` keep their traces and take only the new layout (images, shapes).
    Charts named in `extend` (line charts whose new points fall on their axes as drawn, such as
    the loss curves with a `growing_range`) redraw only their lines while their layout is the
    same but for the axes' ranges (relayouted), and are drawn whole when the pointer comes over
    them (their hover values); anything else is drawn whole. Send them extended while training
    plays only.
    `on_event` gets each click on a chart's point, toggle change and button press.
    `fit` sizes a chart to the window: {name: {"min", "reserve", "aspect"}} gives it the height
    min(width × aspect, window height − reserve), at least `min` px (the output grows on a
    large screen and still fits a laptop's). `query`, if given, is put in the address bar.
    `metrics` (label, value, help) and `progress` (fraction, text) head the board, and `table`
    ({column: cells}) follows it: drawn by it, they cost no Streamlit elements, each of which
    re-renders much of the page in the browser on every frame.
    Inside `feed.serving(url, every)` the board then fetches its frames from that feed while
    training plays; inside `feed.capture()` (a frame the feed serves) the data is handed over
    instead of drawn.
    """
    config = {**CHART_CONFIG, **(config or {})}
    src = plotly_js_url()
    if src is None:  # (never in a feed's frame: live_view._feedable wants static serving)
        _fallback_metrics(metrics or [], progress)
        _fallback(layout, figures, on_event, config)
        if table:
            st.dataframe(table, hide_index=True, width="stretch")
        return

    def changed() -> None:
        event = getattr(ss.get(key), "event", None)
        if event and on_event is not None:
            on_event(dict(event))

    cache = ss.setdefault(f"_{key}_json", {})
    data = board_data(src, layout, figures, hold, config, cache, extend)
    for name, rule in (fit or {}).items():
        if name in data["charts"]:
            data["charts"][name]["fit"] = rule
    if query is not None:
        data["query"] = query
    data["metrics"] = metrics or []
    data["table"] = table or {}
    if progress is not None:
        data["progress"] = {"value": float(progress[0]), "text": progress[1]}
    # When the frame was built (ms): the board draws no frame older than the one it shows, when
    # frames come both from reruns and from the feed.
    data["seq"] = round(time.time() * 1000, 1)
    out = feed.captured()
    if out is not None:
        out["data"] = data  # a frame for the feed (feed.py): the board is already on the page
        return
    follow = feed.followed()
    if follow is not None:
        data["feed"] = follow
    _component(key=key, data=data, on_event_change=changed)


def board_data(src: str, layout: Layout, figures: dict[str, go.Figure], hold: Iterable[str] = (),
               config: dict | None = None, cache: dict | None = None, extend: Iterable[str] = ()) -> dict[str, Any]:
    """What the board's JavaScript gets: the layout and, for each chart in it, its figure as JSON.

    `cache` (chart name -> (figure, JSON)) spares serialising again a figure object that was sent
    before: the once-a-second gradient row is the same objects on the frames in between.
    """
    hold, extend = set(hold), set(extend)
    charts = {}
    for name in _chart_names(layout):
        if name not in figures:
            continue
        figure = figures[name]
        kept = cache.get(name) if cache is not None else None
        text = kept[1] if kept is not None and kept[0] is figure else board_json(figure)
        if cache is not None:
            cache[name] = (figure, text)
        charts[name] = {"figure": text, "hold": name in hold, "extend": name in extend}
    return {"src": src, "layout": layout, "charts": charts, "config": config or {}}


def _fallback_metrics(metrics: list[Metric], progress: tuple[float, str] | None) -> None:
    """The board's metrics and progress bar as Streamlit elements."""
    if metrics:
        for column, m in zip(st.columns(len(metrics), gap="small"), metrics):
            column.metric(m["label"], m["value"], help=m.get("help"))
    if progress is not None:
        st.progress(progress[0], text=progress[1])


def _fallback(layout: Layout, figures: dict[str, go.Figure], on_event, config: dict) -> None:
    """The same board with Streamlit's own elements (no static serving)."""
    emit = on_event or (lambda event: None)

    def clicked(name: str) -> None:
        points = ((ss.get(name) or {}).get("selection") or {}).get("points", [])
        emit({"kind": "click", "chart": name, "points": list(points)})

    def toggled(name: str) -> None:
        emit({"kind": "toggle", "name": name, "value": bool(ss.get(f"board_{name}"))})

    for row in layout:
        if isinstance(row, str):
            st.markdown(f"##### {row}")
            continue
        columns = st.columns([width for width, _ in row], gap="medium")
        for column, (_, items) in zip(columns, row):
            with column:
                for item in items:
                    _fallback_item(item, figures, config, on_event, clicked, toggled, emit)


def _fallback_item(item: Item, figures, config, on_event, clicked, toggled, emit) -> None:
    if isinstance(item, str):
        if item in figures:
            kwargs: dict[str, Any] = {}
            if on_event is not None:
                kwargs = dict(on_select=lambda name=item: clicked(name), selection_mode="points")
            st.plotly_chart(figures[item], key=item, config=config, **kwargs)
    elif "caption" in item:
        st.caption(item["caption"])
    elif "note" in item:
        st.warning(item["note"], icon=":material/warning:")
    elif "toggles" in item:
        for column, toggle in zip(st.columns(len(item["toggles"])), item["toggles"]):
            column.checkbox(toggle["label"], value=bool(toggle.get("value")), key=f"board_{toggle['name']}",
                            disabled=bool(toggle.get("disabled")),
                            on_change=lambda name=toggle["name"]: toggled(name))
    elif "button" in item:
        st.button(item["button"]["label"], key=f"board_{item['button']['name']}",
                  on_click=lambda name=item["button"]["name"]: emit({"kind": "button", "name": name}))
    elif "tabs" in item:
        names = [t["name"] for t in item["tabs"]]
        labels = {t["name"]: t["label"] for t in item["tabs"]}
        active = next((t["name"] for t in item["tabs"] if t.get("active")), names[0])
        st.segmented_control("View", names, default=active, format_func=labels.get, key="board_tabs",
                             label_visibility="collapsed",
                             on_change=lambda: emit({"kind": "tab", "name": ss.get("board_tabs") or active}))
    # {"builder": ...}: without the board, the layer cards ("Layer details") are the builder.
