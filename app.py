"""Neural Playground: build a network by clicking, train it live with PyTorch, watch it learn.

Wiring only: URL/session -> experiment -> runner -> views. Run with `make run`
(or `streamlit run app.py`).
"""
import streamlit as st

st.set_page_config(page_title="Neural Playground", page_icon=":material/hub:", layout="wide",
                   initial_sidebar_state="collapsed")

from playground.ui.state import warm_up_pool  # noqa: E402

warm_up_pool()  # first thing: the trainer processes start while the rest of the page is built

import datasets  # noqa: E402

datasets.import_in_background()  # the dataset pictures need scikit-learn; it imports meanwhile

from playground.ui.compare import render_compare_bar, render_run_picker  # noqa: E402
from playground.ui.data_panel import picture_css, render_data_column  # noqa: E402
from playground.ui.image_panel import render_image_selector  # noqa: E402
from playground.ui.lab_panel import render_lab_panel  # noqa: E402
from playground.ui.legend import render_legend  # noqa: E402
from playground.ui.live_board import plotly_js_url  # noqa: E402
from playground.ui.live_view import live_fragment  # noqa: E402
from playground.ui.sequence_panel import render_sequence_selector  # noqa: E402
from playground.ui.state import experiment, init_session, write_url  # noqa: E402
from playground.ui.style import inject_css  # noqa: E402
from playground.ui.toolbar import render_toolbar  # noqa: E402

init_session()
exp = experiment()
inject_css(picture_css(exp), plotly_src=plotly_js_url())
render_toolbar(exp)
data_col, main_col = st.columns([0.78, 4.22], gap="small")
with data_col:
    render_compare_bar(exp)
    render_data_column()
with main_col:
    render_lab_panel()
    render_run_picker()  # which run of a compare the controls edit
    render_image_selector(exp)  # outside the live fragment, so a drawing survives its refreshes
    render_sequence_selector(exp)
    live_fragment()
render_legend()
write_url(exp)
