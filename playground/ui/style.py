"""The page's CSS: one screen for the whole experiment, as TensorFlow Playground has it.

Streamlit's own spacing is made for documents; here the toolbar stays at the top while the
page scrolls, paddings and widget gaps are tight, Streamlit's header (Deploy button, developer
menu) is hidden, dataset buttons and feature checkboxes wear their pictures, and below 700 px
the page becomes one column.
"""
from __future__ import annotations

import json

import streamlit as st

from playground.ui.state import LIVE_FRAME

CSS = """
header[data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding: 0 1rem 1rem 1rem; max-width: 100%; }
[data-testid="stAppViewContainer"] > section > div { padding-top: 0; }
/* The toolbar sticks to the top of the window: its wrapper is the element that can stick
   (the toolbar alone would be held inside a wrapper exactly its own height). */
[data-testid="stLayoutWrapper"]:has(> .st-key-toolbar) { position: sticky; top: 0; z-index: 999; }
.st-key-toolbar { background: #fff; border-bottom: 1px solid rgba(49, 51, 63, 0.12); padding: 0.4rem 0 0.45rem 0; }
.st-key-toolbar [data-testid="stWidgetLabel"] { min-height: 0; margin-bottom: 0.1rem; }
.st-key-toolbar [data-testid="stWidgetLabel"] p { font-size: 0.72rem; line-height: 1.1; }
.st-key-toolbar button { min-height: 2.1rem; padding: 0.15rem 0.65rem; }
.st-key-toolbar [data-baseweb="select"] > div { min-height: 2.1rem; }
.st-key-toolbar [data-baseweb="select"] > div > div { padding-top: 0.2rem; padding-bottom: 0.2rem; }
[data-testid="stVerticalBlock"] { gap: 0.45rem; }
/* The data column: picture buttons three to a row, compact sliders and features. */
[class*="dataset_grid"] { gap: 0.35rem !important; }
[class*="st-key-dataset_"] button, [class*="st-key-"][class*="_dataset_"] button {
    width: 58px; height: 58px; min-height: 0; padding: 0 0 2px 0; align-items: flex-end;
    background-size: 100% 100%; background-repeat: no-repeat; background-color: #fff; border-radius: 6px; }
[class*="st-key-dataset_"] button p { font-size: 0.7rem; line-height: 1; background: rgba(255, 255, 255, 0.85);
    padding: 1px 3px; border-radius: 3px; color: #222; }
[class*="st-key-dataset_"] button[kind="primary"], [class*="st-key-dataset_"] button[data-testid="stBaseButton-primary"] {
    outline: 3px solid #0877bd; outline-offset: 1px; }
[class*="st-key-feature_"] label::before { content: ""; display: inline-block; width: 22px; height: 22px;
    margin-right: 6px; background-size: 100% 100%; border-radius: 3px; border: 1px solid #ccc; order: 2; }
[class*="st-key-feature_"] { margin-bottom: -0.35rem; }
[class*="features_grid"] { display: grid !important; grid-template-columns: 1fr 1fr; column-gap: 0.25rem; }
[class*="features_grid"] [class*="st-key-feature_"] label::before { margin-right: 2px; width: 20px; height: 20px; }
[class*="features_grid"] [class*="st-key-feature_"] label p { white-space: nowrap; }
[data-testid="stSlider"] { padding-bottom: 0; }
[class*="st-key-image_selector"] [data-testid="stWidgetLabel"] p { font-size: 0.8rem; }
[data-testid="stProgress"] p { font-size: 0.75rem; }
/* Metrics in one tight row. */
[data-testid="stMetric"] { padding: 0; }
[data-testid="stMetricValue"] { font-size: 1.15rem; }
[data-testid="stMetricLabel"] p { font-size: 0.75rem; }
.st-key-plotly_boot { display: none; }
@media (max-width: 700px) {
  [data-testid="stLayoutWrapper"]:has(> .st-key-toolbar) { position: static; }
}
"""
# The live views' fragment reruns four times a second, and Streamlit marks its elements stale for
# the length of every run: a fade (an opacity transition) too slow to show in so short a run, but
# it put each element on a layer of its own and back, repainting the whole page twice a frame (a
# 4-run compare's trace: the viewport painted 12 times a second, 6 without it; raster 229 -> 140 ms/s).
CSS += f'.st-key-{LIVE_FRAME} [data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}\n'


def inject_css(extra: str = "", plotly_src: str | None = None) -> None:
    """Add the page's CSS (and `extra` rules) once per full page run; with `plotly_src`, start
    loading plotly.js now, which the live board needs a moment later.

    On a warm server the board asked for plotly.js ~1.6 s after the page opened and had it
    evaluated ~0.5 s later; asked for here, the first element of the page, it loads while the
    rest of the page is built: the first chart came ~250 ms sooner (measured, 4 page loads each).
    A <link rel="preload"> in the style element did not help: the resource timing showed the
    board's request as the first fetch of plotly.js.
    """
    st.html(f"<style>{CSS}\n{extra}</style>")  # styles alone: Streamlit puts them out of the layout
    if plotly_src:
        from playground.ui.live_board import LOAD_PLOTLY_JS

        with st.container(key="plotly_boot"):  # hidden: the script runs, the element takes no room
            st.html(f"<script>{LOAD_PLOTLY_JS}\nloadPlotly({json.dumps(plotly_src)}).catch(() => {{}});</script>",
                    unsafe_allow_javascript=True)
