"""The sidebar: training options (optimiser, loss, initialisation, clipping, seed) and sharing."""
from __future__ import annotations

import streamlit as st

from playground.initializers import INITS
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS
from playground.spec import Spec, SpecError
from playground.ui.controls import widget
from playground.ui.state import flash, set_spec, ss

OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
INIT_TITLES = {"pytorch_default": "PyTorch default", "xavier_uniform": "Xavier uniform",
               "xavier_normal": "Xavier normal", "kaiming_uniform": "Kaiming uniform",
               "kaiming_normal": "Kaiming normal", "normal": "Normal N(0, 1) (naive)", "zeros": "Zeros"}


def _config_uploaded() -> None:
    upload = ss.get("upload_config")
    if upload is None:
        return
    try:
        spec = Spec.from_json(upload.getvalue())
    except SpecError as exc:
        flash("error", f"{upload.name} was not loaded, nothing changed: {exc}")
        return
    if set_spec(spec, sync=True):
        flash("success", f"Loaded the experiment from {upload.name}.")


def render_sidebar() -> None:
    """Draw the sidebar."""
    spec: Spec = ss.spec
    with st.sidebar:
        st.markdown("### Training")
        widget(st.selectbox, "Optimizer", "optimizer", options=list(OPTIMIZERS), format_func=OPTIMIZER_TITLES.get)
        has_momentum = spec.optimizer.name in ("sgd", "rmsprop")
        widget(st.slider, "Momentum", "momentum", min_value=0.0, max_value=0.99, step=0.01,
               disabled=not has_momentum, help="Only SGD and RMSprop use momentum.")
        widget(st.checkbox, "Nesterov momentum", "nesterov", disabled=spec.optimizer.name != "sgd")
        widget(st.selectbox, "Loss", "loss", options=list(LOSSES),
               format_func=lambda v: {"auto": "auto (cross-entropy / MSE)", "mse": "MSE", "mae": "MAE",
                                      "huber": "Huber", "hinge": "hinge", "cross_entropy": "cross-entropy"}[v])
        widget(st.selectbox, "Initialization", "init", options=list(INITS), format_func=INIT_TITLES.get)
        widget(st.checkbox, "Gradient clipping", "grad_clip_on", help="Clip the gradient's global L2 norm.")
        if spec.grad_clip is not None:
            widget(st.number_input, "Max gradient norm", "grad_clip", min_value=0.001, max_value=1e6,
                   step=0.1, format="%.3f")
        widget(st.number_input, "Seed (initial weights)", "seed", min_value=0, max_value=2**31 - 1, step=1)
        st.markdown("### Share")
        st.caption("The address bar always holds this experiment: copy it to share the same data, "
                   "network and initial weights.")
        st.download_button("Download config", spec.to_json(), file_name="playground-spec.json",
                           mime="application/json", key="download_config", on_click="ignore",
                           icon=":material/download:", width="stretch")
        st.file_uploader("Load a config", type=["json"], key="upload_config", on_change=_config_uploaded)
        st.caption("Configs also run headless: `python -m playground train --config playground-spec.json`.")
