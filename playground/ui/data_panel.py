"""The data column: dataset picker with thumbnails, data controls, CSV upload, input features.

Drawn as a fragment (state.DATA_FRAGMENT): each control's callback ends by rerunning this column
and the live views only (state.redraw_only), not the page, so every callback here goes through
`_redrawn` and every spec widget through `_widget`.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial, wraps
from typing import Callable

import numpy as np
import streamlit as st

import datasets
from playground.data import CUSTOM, CustomData
from playground.features import FEATURES, LABELS, USES_X2, feature_matrix, grid_points
from playground.presets import image_spec, sequence_spec
from playground.spec import Spec, limits
from playground.ui.controls import BATCH_SIZES, choices_with, widget
from playground.experiment import Experiment
from playground.ui.state import DATA_FRAGMENT, VIEWS, experiment, flash, redraw_only, set_spec, ss
from playground.ui.toolbar import problem_of
from playground.viz import dataset_thumbnail, map_thumbnail


_widget = partial(widget, redraw=VIEWS)  # a spec widget of this column


def _redrawn(callback: Callable[..., None]) -> Callable[..., None]:
    """A callback of this column, after which the column and the live views redraw."""
    @wraps(callback)
    def run(*args) -> None:
        callback(*args)
        redraw_only(*VIEWS)
    return run


@st.cache_data(show_spinner=False, max_entries=64)
def _dataset_thumbnail(name: str) -> str:
    info = datasets.get(name)
    X, y = info.generate(200, 0.0, np.random.default_rng(0))
    return dataset_thumbnail(X, y, info.task, info.n_classes, size=72)


DOWNLOADABLE = ("mnist", "fashion_mnist")
# Button labels short enough for a third of the data column.
SHORT_TITLES = {"circle": "Circle", "xor": "XOR", "gaussian": "Gauss", "spiral": "Spiral", "moons": "Moons",
                "blobs": "Blobs", "plane": "Plane", "multi_gaussian": "Gaussians", "sine": "Sine", "step": "Step",
                "abs": "|x|", "poly": "Cubic", "digits": "Digits", "shapes": "Shapes", "mnist": "MNIST",
                "fashion_mnist": "Fashion", "recall": "Recall", "adding": "Adding", "brackets": "( [ ] )",
                "forecast": "Forecast", "text": "Text"}


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


@st.cache_data(show_spinner=False, max_entries=64)
def _image_thumbnail_uri(name: str) -> str:
    from playground.viz.colors import png_data_uri

    grey = _image_thumbnail(name)
    return png_data_uri(np.repeat(grey[:, :, None], 3, axis=2))


def picture_css(exp: Experiment) -> str:
    """CSS that paints each dataset button and feature checkbox with its picture.

    The pictures stay Streamlit buttons and checkboxes (clickable, keyboard- and test-friendly);
    the CSS is sent once per full page run, not with every live frame.
    """
    rules = []
    for name in datasets.names():
        info = datasets.get(name)
        uri = _image_thumbnail_uri(name) if info.kind == "image" else \
            _sequence_thumbnail(name) if info.kind == "sequence" else _dataset_thumbnail(name)
        rules.append(f".st-key-{exp.key('dataset_' + name)} button {{ background-image: url({uri}); }}")
    for name in FEATURES:
        rules.append(f".st-key-{exp.key('feature_' + name)} label::before {{ background-image: url({_feature_thumbnail(name)}); }}")
    return "\n".join(rules)


@st.cache_data(show_spinner=False, max_entries=16)
def _sequence_thumbnail(name: str) -> str:
    from playground.viz.thumbnails import sequence_thumbnail

    info = datasets.get(name)
    X, y = info.generate(8, 0.0, np.random.default_rng(0), length=16)
    return sequence_thumbnail(X, len(info.vocab), size=72)


def _pick_sequence(exp: Experiment, name: str) -> None:
    """Another sequence set: keep the network and training settings when they fit its task."""
    spec, info = exp.spec, datasets.get(name)
    new = sequence_spec(name, length=spec.dataset.length)
    if problem_of(exp) == "sequence" and datasets.get(spec.dataset.name).per_step == info.per_step:
        new = replace(new, layers=spec.layers, optimizer=spec.optimizer, batch_size=spec.batch_size,
                      init=spec.init, seed=spec.seed, grad_clip=spec.grad_clip,
                      dataset=replace(new.dataset, seed=spec.dataset.seed, noise=spec.dataset.noise))
    set_spec(exp, new, custom=None, sync=True)


def _pick_dataset(exp: Experiment, name: str) -> None:
    spec = exp.spec
    info = datasets.get(name)
    if not _available(name):
        ss[exp.key("pending_download")] = name  # the page downloads it with a progress bar, then switches
        return
    if info.kind == "sequence":
        _pick_sequence(exp, name)
        return
    if info.kind == "image":
        current_is_image = problem_of(exp) == "image"
        new = image_spec(name, spec.layers if current_is_image else image_spec().layers)
        if current_is_image:
            new = replace(new, optimizer=spec.optimizer, batch_size=spec.batch_size, init=spec.init, seed=spec.seed)
        set_spec(exp, new, custom=None, sync=True)
        return
    features = spec.features
    if info.kind == "curve":
        features = tuple(f for f in features if f not in USES_X2) or ("x1",)
    elif features == ("x1",):
        features = ("x1", "x2")
    dataset = replace(spec.dataset, name=name, n_samples=None)  # the new set's natural size
    set_spec(exp, replace(spec, dataset=dataset, features=features), custom=None, sync=True)


def _csv_uploaded(exp: Experiment) -> None:
    upload = ss.get(exp.key("upload_csv"))
    if upload is None:
        return
    try:
        upload.seek(0)
        X, y, task = datasets.load_points_csv(upload)  # reads at most its byte cap, stops at the row cap
    except datasets.DatasetError as exc:
        flash("error", f"{upload.name} was not loaded: {exc}")
        return
    spec = exp.spec
    features = spec.features if problem_of(exp) != "image" else ("x1", "x2")
    layers = spec.layers if all(layer.type == "dense" for layer in spec.layers) else Spec().layers
    new = replace(spec, dataset=replace(spec.dataset, name=CUSTOM, n_samples=max(10, len(X))),
                  features=features, layers=layers, loss="auto")
    if set_spec(exp, new, custom=CustomData(X, y, task), sync=True):
        kind = f"{int(y.max()) + 1} classes" if task == "classification" else "regression targets"
        flash("success", f"Loaded {len(X)} points with {kind} from {upload.name}.")


def _sequence_uploaded(exp: Experiment) -> None:
    """The user's own text (for `text`) or series (for `forecast`): checked, then trained on."""
    upload = ss.get(exp.key("upload_sequence"))
    name = exp.spec.dataset.name
    if upload is None:
        if exp.custom is not None:  # the upload was removed: back to the generated data
            set_spec(exp, exp.spec, custom=None)
        return
    try:
        if name == "text":
            data, what = np.array(datasets.load_text(upload.getvalue())), "characters"
            size = len(str(data))
        else:
            data, what = datasets.load_series_csv(upload.getvalue()), "values"
            size = len(data)
    except datasets.DatasetError as exc:
        flash("error", f"{upload.name} was not loaded: {exc}")
        return
    if set_spec(exp, exp.spec, custom=CustomData(data, np.empty(0), "sequence"), sync=True):
        flash("success", f"Training on {size:,} {what} from {upload.name} (a shared link carries the generated "
                         "data, not your file).")


def _feature_toggled(exp: Experiment, name: str) -> None:
    spec = exp.spec
    on = ss[exp.key(f"feature_{name}")]
    features = [f for f in FEATURES if (f in spec.features and f != name) or (f == name and on)]
    if not features:
        flash("warning", "The network needs at least one input feature.")
        ss[exp.key(f"feature_{name}")] = True
        return
    set_spec(exp, replace(spec, features=tuple(features)))


def _download_pending(exp: Experiment) -> None:
    """Fetch a requested MNIST-style set with a progress bar; on failure say which files go where."""
    name = ss.pop(exp.key("pending_download"), None)
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
    _pick_dataset(exp, name)
    st.rerun()


def _dataset_grid(exp: Experiment, names: list[str]) -> None:
    """The datasets as picture buttons, three to a row (TensorFlow Playground's DATA column)."""
    grid = st.container(horizontal=True, gap="small", key=exp.key("dataset_grid"))
    for name in names:
        info = datasets.get(name)
        title = SHORT_TITLES.get(name, info.title) + ("" if _available(name) else " ↓")
        grid.button(title, key=exp.key(f"dataset_{name}"), on_click=_redrawn(_pick_dataset), args=(exp, name),
                    type="primary" if exp.spec.dataset.name == name else "secondary",
                    help=f"{info.title}: {info.description}" + ("" if _available(name) else " (not downloaded yet)"))


def render_data_column() -> None:
    """The data column as a fragment: a change of the data reruns it and the live views alone."""
    @st.fragment(key=DATA_FRAGMENT)
    def column() -> None:
        render_data_panel(experiment())

    column()


def render_data_panel(exp: Experiment) -> None:
    """Draw the data column: datasets, the data's knobs, features."""
    spec = exp.spec
    problem = problem_of(exp)
    image = problem == "image"
    sequence = problem == "sequence"
    if image or sequence:
        names = datasets.names(kind=problem)
    else:
        names = [n for n in datasets.names(task=problem) if datasets.get(n).kind not in ("image", "sequence")]
    _dataset_grid(exp, names)
    _download_pending(exp)
    if spec.dataset.name == CUSTOM:
        st.caption(f"Training on your uploaded points ({len(exp.custom.X) if exp.custom else 0} rows).")
    info = datasets.get(spec.dataset.name) if spec.dataset.name != CUSTOM else None
    ratio, noise = limits("dataset.train_ratio"), limits("dataset.noise")  # the widgets' ranges are the spec's
    _widget(exp, st.slider, "Training data", "train_ratio", min_value=round(ratio.lo * 100),
            max_value=round(ratio.hi * 100), step=5, format="%d%%",
            help="The share of the samples used for training; the rest is the test set.")
    if sequence:
        length = limits("dataset.length")
        _widget(exp, st.slider, "Sequence length", "length", min_value=int(length.lo), max_value=int(length.hi),
                help="Steps per sequence (T). Longer sequences need a longer memory.")
    _widget(exp, st.slider, "Noise" if not image else "Pixel noise", "noise", min_value=round(noise.lo * 100),
            max_value=round(noise.hi * 100), step=5, format="%d%%", disabled=info is None)
    _widget(exp, st.select_slider, "Batch size", "batch_size", options=choices_with(spec.batch_size, BATCH_SIZES))
    with st.popover("Data options", icon=":material/database:", width="stretch"):
        if info is not None:
            n = limits("dataset.n_samples", spec.dataset.name)
            _widget(exp, st.number_input, n.label, "n_samples", min_value=n.lo, max_value=n.hi, step=n.step)
        else:  # uploaded points: the CSV's rows are what is trained on (there may be fewer than 10)
            st.caption(f"Samples: the {len(exp.custom.X) if exp.custom else 0} rows of your CSV.")
        seed = limits("dataset.seed")
        _widget(exp, st.number_input, "Data seed", "data_seed", min_value=int(seed.lo), max_value=int(seed.hi), step=1,
                disabled=info is None)
        if info is not None and "classes" in info.options:
            _widget(exp, st.slider, "Classes", "classes", min_value=2, max_value=8)
        if image:
            _widget(exp, st.radio, "Normalisation", "normalize", options=["standard", "none"],
                    format_func={"standard": "zero mean, unit variance", "none": "pixels in [0, 1]"}.get)
        elif sequence:
            st.caption("Recall: noise puts keys among the distractors. Adding and forecast: noise on the "
                       "targets or the series. Brackets: a share of the labels flipped.")
            if spec.dataset.name in ("text", "forecast"):
                text = spec.dataset.name == "text"
                st.markdown("**Your own text**" if text else "**Your own series (CSV)**")
                st.caption("Plain UTF-8 text, up to 200 kB." if text else
                           "One numeric column (a header row is optional), one value per row.")
                st.file_uploader("Upload", type=["txt"] if text else ["csv", "txt"], key=exp.key("upload_sequence"),
                                 on_change=_redrawn(_sequence_uploaded), args=(exp,), label_visibility="collapsed")
        else:
            st.markdown("**Your own data (CSV)**")
            st.caption("Columns `x1`, `x2` and `label` (classes) or `target` (regression), one point per row.")
            st.file_uploader("Upload points", type=["csv"], key=exp.key("upload_csv"), on_change=_redrawn(_csv_uploaded),
                             args=(exp,), label_visibility="collapsed",
                             max_upload_size=datasets.MAX_CSV_BYTES // 2**20)
    if image:
        from playground.ui.image_panel import render_gallery

        render_gallery(exp)
        return
    if sequence:
        return
    st.markdown("**Features**", help="Which properties of each point the network sees.")
    usable = [f for f in FEATURES if not (info is not None and info.kind == "curve" and f in USES_X2)]
    # Two to a row (style.py): seven in one column ran below a 720-px window.
    with st.container(key=exp.key("features_grid")):
        for name in usable:
            ss[exp.key(f"feature_{name}")] = name in spec.features
            st.checkbox(LABELS[name], key=exp.key(f"feature_{name}"), on_change=_redrawn(_feature_toggled), args=(exp, name))
