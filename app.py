"""Neural Playground: build a network by clicking, train it live with PyTorch, watch it learn.

Wiring only: URL/session -> spec -> runner -> views. Run with `make run`
(or `streamlit run app.py`).
"""
import streamlit as st

st.set_page_config(page_title="Neural Playground", page_icon=":material/hub:", layout="wide")

from playground.train import configure_threads  # noqa: E402
from playground.ui.builder import render_builder  # noqa: E402
from playground.ui.data_panel import render_data_panel  # noqa: E402
from playground.ui.image_panel import render_image_selector  # noqa: E402
from playground.ui.legend import render_header, render_legend  # noqa: E402
from playground.ui.live_view import live_fragment  # noqa: E402
from playground.ui.sidebar import render_sidebar  # noqa: E402
from playground.ui.state import init_session, show_flashes, ss, write_url  # noqa: E402
from playground.ui.toolbar import render_toolbar  # noqa: E402

configure_threads(1)  # small models train fastest on one thread (see playground.train)
init_session()
render_header()
render_toolbar()
show_flashes()
render_sidebar()
data_col, main_col = st.columns([1, 3.3], gap="medium")
with data_col:
    render_data_panel()
with main_col:
    render_builder()
    render_image_selector()
    live_fragment()
render_legend()
write_url(ss.spec)
