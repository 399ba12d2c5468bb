"""The toolbar's Export menu: one download button per format, and Load weights.

Every export runs where the trainer lives (the pool's process, through LiveRunner.call and the
module-level playground.export.formats.export_in_trainer), since the app server imports no
torch; a download button builds its file only when clicked. Each chart's own PNG download is
plotly's camera button, on the charts' top right corner.
"""
from __future__ import annotations

import streamlit as st

from playground.experiment import Experiment
from playground.export.formats import FORMATS, export_in_trainer, file_stem, load_weights_in_trainer, unsupported
from playground.export.weights import WeightsError, read_spec
from playground.ui.state import flash, set_spec, ss

MAX_FILM_EPOCHS = 2000


def _deferred(exp: Experiment, fmt: str, options: dict):
    """The download's contents, made when the button is clicked (in Streamlit's download thread)."""
    runner = exp.runner

    def make() -> bytes:
        return runner.call(export_in_trainer, fmt, options)[1]

    return make


def _weights_uploaded(exp: Experiment) -> None:
    upload = ss.get(exp.key("upload_weights"))
    if upload is None:
        return
    data = upload.getvalue()
    try:
        spec = read_spec(data)
    except WeightsError as exc:
        flash("error", f"{upload.name} was not loaded, nothing changed: {exc}")
        return
    changed = spec is not None and spec != exp.spec
    if changed:
        if spec.dataset.name == "custom" and exp.custom is None:
            flash("error", f"{upload.name} was trained on uploaded points: upload the same CSV first, then the weights.")
            return
        if not set_spec(exp, spec, sync=True):
            return  # set_spec said why
    try:
        count = exp.runner.call(load_weights_in_trainer, data)
    except WeightsError as exc:
        flash("error", f"{upload.name} was not loaded: {exc}")
        return
    flash("success", f"Loaded {count} weight tensors from {upload.name}" +
          (", with the experiment they were trained in." if changed else ".") +
          " The epoch count restarts from them.")


def render_export_menu(exp: Experiment) -> None:
    """The menu's contents (drawn inside the toolbar's popover)."""
    spec = exp.spec
    epoch = int(exp.runner.status.get("epoch") or 0)
    stem = file_stem(spec)
    st.caption(f"Now at epoch {epoch}. Weights and ONNX carry the trained weights; the script and notebook "
               f"train from the initial weights to the same losses as here.")
    epochs = st.number_input("Epochs for the script, notebook and film", 1, MAX_FILM_EPOCHS, max(epoch, 1) if epoch
                             else 100, key=exp.key("export_epochs"))
    seconds = st.slider("Film length (s)", 1.0, 30.0, 6.0, 0.5, key=exp.key("export_seconds"))
    options = {"epochs": int(epochs), "seconds": float(seconds), "frames": min(int(epochs), 60)}
    for fmt in FORMATS.values():
        why = unsupported(spec, fmt.name)
        several = fmt.name in ("script", "notebook")  # the data goes with them: one .zip
        st.download_button(fmt.title, _deferred(exp, fmt.name, options),
                           file_name=f"{stem}.zip" if several else f"{stem}{fmt.suffix}",
                           mime="application/zip" if several else fmt.mime, key=exp.key(f"export_{fmt.name}"),
                           on_click="ignore", icon=":material/download:", width="stretch", disabled=why is not None,
                           help=why or fmt.help)
    st.file_uploader("Load weights (.safetensors)", type=["safetensors"], key=exp.key("upload_weights"),
                     on_change=_weights_uploaded, args=(exp,),
                     help="Restores a trained model with the experiment it was trained in.")
    st.caption("Each chart downloads as PNG from the camera icon at its top right. Headless: "
               "`python -m playground export --config spec.json --format script --out net.py`.")
