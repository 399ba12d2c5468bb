"""The data column: dataset picker with thumbnails, data controls, CSV upload, input features."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

import datasets
from playground.data import CUSTOM, CustomData
from playground.features import FEATURES, LABELS, USES_X2, feature_matrix
from playground.presets import image_spec
from playground.probes import grid_points
from playground.spec import Spec
from playground.ui.controls import BATCH_SIZES, choices_with, widget
from playground.ui.state import flash, set_spec, ss
from playground.ui.toolbar import problem_of
from playground.viz import dataset_thumbnail, map_thumbnail


@st.cache_data(show_spinner=False, max_entries=64)
def _dataset_thumbnail(name: str, noise: float) -> str:
    info = datasets.get(name)
    X, y = info.generate(200, noise, np.random.default_rng(0))
    return dataset_thumbnail(X, y, info.task, info.n_classes, size=72)


DOWNLOADABLE = ("mnist", "fashion_mnist")
# Button labels short enough for a third of the data column.
SHORT_TITLES = {"circle": "Circle", "xor": "XOR", "gaussian": "Gauss", "spiral": "Spiral", "moons": "Moons",
                "blobs": "Blobs", "plane": "Plane", "multi_gaussian": "Gaussians", "sine": "Sine", "step": "Step",
                "abs": "|x|", "poly": "Cubic", "digits": "Digits", "shapes": "Shapes", "mnist": "MNIST",
                "fashion_mnist": "Fashion"}


def _available(name: str) -> bool:
    """False for a downloadable set whose files are not on this machine yet."""
    return name not in DOWNLOADABLE or not datasets.missing_idx_files(name)


@st.cache_data(show_spinner=False, max_entries=64)
def _image_thumbnail(name: str) -> np.ndarray:
    info = datasets.get(name)
    if not _available(name):
        return np.full((64, 64), 40, dtype=np.uint8)  # not downloaded yet: a dark placeholder
    X, _ = info.generate(min(info.default_n, 8), 0.0, np.random.default_rng(0))
    s = X[:4, 0]
    tile = np.block([[s[0], s[1]], [s[2], s[3]]])  # four samples, 2 x 2: square like the 2-D thumbnails
    # Whole-pixel upscaling, so the browser does not blur an 8x8 digit into a smudge.
    tile = np.kron(tile, np.ones((max(1, 64 // tile.shape[0]),) * 2))
    return (np.clip(tile, 0, 1) * 255).astype(np.uint8)


@st.cache_data(show_spinner=False)
def _feature_thumbnail(name: str) -> str:
    _, _, points = grid_points(40)
    z = feature_matrix(points, (name,))[:, 0].reshape(40, 40)
    return map_thumbnail(z, size=40)


def _img(uri: str, size: int, title: str = "") -> None:
    st.markdown(f'<img src="{uri}" width="{size}" height="{size}" title="{title}" '
                f'style="border-radius:4px;border:1px solid #ddd;display:block;margin:auto"/>',
                unsafe_allow_html=True)


def _pick_dataset(name: str) -> None:
    spec: Spec = ss.spec
    info = datasets.get(name)
    if not _available(name):
        ss.pending_download = name  # the page downloads it with a progress bar, then switches
        return
    if info.kind == "image":
        current_is_image = problem_of(spec) == "image"
        new = image_spec(name, spec.layers if current_is_image else image_spec().layers)
        if current_is_image:
            new = replace(new, optimizer=spec.optimizer, batch_size=spec.batch_size, init=spec.init, seed=spec.seed)
        set_spec(new, custom=None, sync=True)
        return
    features = spec.features
    if info.kind == "curve":
        features = tuple(f for f in features if f not in USES_X2) or ("x1",)
    elif features == ("x1",):
        features = ("x1", "x2")
    dataset = replace(spec.dataset, name=name, n_samples=min(spec.dataset.n_samples, info.max_n))
    set_spec(replace(spec, dataset=dataset, features=features), custom=None, sync=True)


def _csv_uploaded() -> None:
    upload = ss.get("upload_csv")
    if upload is None:
        return
    try:
        X, y, task = datasets.load_points_csv(upload.getvalue())
    except datasets.DatasetError as exc:
        flash("error", f"{upload.name} was not loaded: {exc}")
        return
    spec: Spec = ss.spec
    features = spec.features if problem_of(spec) != "image" else ("x1", "x2")
    layers = spec.layers if all(layer.type == "dense" for layer in spec.layers) else Spec().layers
    new = replace(spec, dataset=replace(spec.dataset, name=CUSTOM, n_samples=max(10, len(X))),
                  features=features, layers=layers, loss="auto")
    if set_spec(new, custom=CustomData(X, y, task), sync=True):
        kind = f"{int(y.max()) + 1} classes" if task == "classification" else "regression targets"
        flash("success", f"Loaded {len(X)} points with {kind} from {upload.name}.")


def _feature_toggled(name: str) -> None:
    spec: Spec = ss.spec
    on = ss[f"feature_{name}"]
    features = [f for f in FEATURES if (f in spec.features and f != name) or (f == name and on)]
    if not features:
        flash("warning", "The network needs at least one input feature.")
        ss[f"feature_{name}"] = True
        return
    set_spec(replace(spec, features=tuple(features)))


def _download_pending() -> None:
    """Fetch a requested MNIST-style set with a progress bar; on failure say which files go where."""
    name = ss.pop("pending_download", None)
    if name is None:
        return
    bar = st.progress(0.0, text=f"Downloading {datasets.get(name).title}…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 0.0, text=f"Downloading {datasets.get(name).title}: "
                     f"{done / 1e6:.1f} of {total / 1e6:.1f} MB")

    try:
        datasets.download_idx(name, progress=progress)
    except datasets.DatasetError as exc:
        bar.empty()
        st.error(str(exc).replace("\n", "  \n"))
        return
    bar.empty()
    _pick_dataset(name)
    st.rerun()


def _dataset_grid(names: list[str], spec: Spec, image: bool) -> None:
    per_row = 2  # two wide columns keep the names ("Gauss", "Moons") and captions on one line
    for start in range(0, len(names), per_row):
        cols = st.columns(per_row, gap="small")
        for col, name in zip(cols, names[start:start + per_row]):
            info = datasets.get(name)
            with col:
                if image:
                    st.image(_image_thumbnail(name), width="stretch",
                             caption=None if _available(name) else "not downloaded")
                else:
                    _img(_dataset_thumbnail(name, spec.dataset.noise), 64, info.description)
                st.button(SHORT_TITLES.get(name, info.title), key=f"dataset_{name}", on_click=_pick_dataset, args=(name,),
                          type="primary" if spec.dataset.name == name else "secondary",
                          width="stretch", help=f"{info.title}: {info.description}")


def render_data_panel() -> None:
    """Draw the data column."""
    spec: Spec = ss.spec
    problem = problem_of(spec)
    image = problem == "image"
    st.markdown("##### Data")
    if image:
        names = datasets.names(kind="image")
    else:
        names = [n for n in datasets.names(task=problem) if datasets.get(n).kind != "image"]
    _dataset_grid(names, spec, image)
    _download_pending()
    if spec.dataset.name == CUSTOM:
        st.caption(f"Training on your uploaded points ({len(ss.custom.X) if ss.custom else 0} rows).")
    info = datasets.get(spec.dataset.name) if spec.dataset.name != CUSTOM else None
    widget(st.slider, "Ratio of training to test data", "train_ratio", min_value=10, max_value=90, step=5,
           format="%d%%")
    if info is None or info.kind != "image":
        widget(st.slider, "Noise", "noise", min_value=0, max_value=50, step=5, format="%d%%",
               disabled=info is None)
    else:
        widget(st.slider, "Pixel noise", "noise", min_value=0, max_value=50, step=5, format="%d%%")
    widget(st.select_slider, "Batch size", "batch_size", options=choices_with(spec.batch_size, BATCH_SIZES))
    c1, c2 = st.columns(2)
    max_n = info.max_n if info else 20_000
    widget(c1.number_input, "Samples" if not image else "Images", "n_samples", min_value=10,
           max_value=max_n, step=50 if not image else 100, disabled=info is None)
    widget(c2.number_input, "Data seed", "data_seed", min_value=0, max_value=2**31 - 1, step=1,
           disabled=info is None)
    if info is not None and "classes" in info.options:
        widget(st.slider, "Classes", "classes", min_value=2, max_value=8)
    if image:
        widget(st.radio, "Normalisation", "normalize", options=["standard", "none"], horizontal=True,
               format_func={"standard": "zero mean, unit variance", "none": "pixels in [0, 1]"}.get)
        from playground.ui.image_panel import render_gallery

        render_gallery()
        return
    with st.expander("Your own data (CSV)"):
        st.caption("Columns `x1`, `x2` and `label` (classes) or `target` (regression), one point per row.")
        st.file_uploader("Upload points", type=["csv"], key="upload_csv", on_change=_csv_uploaded,
                         label_visibility="collapsed")
    st.markdown("##### Features")
    st.caption("Which properties of each point the network sees.")
    usable = [f for f in FEATURES if not (info is not None and info.kind == "curve" and f in USES_X2)]
    for name in usable:
        c1, c2 = st.columns([1, 3], vertical_alignment="center")
        with c1:
            _img(_feature_thumbnail(name), 32, LABELS[name])
        c2.checkbox(LABELS[name], key=f"feature_{name}", on_change=_feature_toggled, args=(name,))
