"""Image data and CNNs: the sample gallery, and the live views of a convnet as it trains.

One image is selected from the test set (or uploaded); its feature maps, the dense layers'
activations, the predicted probabilities and the attributions (Captum: saliency, integrated
gradients, Grad-CAM) update while training runs. Filters, the confusion matrix and the most
confident mistakes have their own tabs of the view selector, so a frame computes only what
is on screen.
"""
from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image, UnidentifiedImageError

from playground.interpret import class_gallery, image_frame
from playground.live import LiveRunner
from playground.ui.state import experiment, flash, ss
from playground.viz import (attribution_overlay, confusion_matrix, dense_activations, feature_maps, filters,
                            image_grid, loss_curves, misclassified_gallery)
from playground.viz.dashboard import gradient_views, stats_view_from

VIEWS = {"inspect": "Activations", "attribution": "Attribution", "filters": "Filters",
         "confusion": "Confusion matrix", "health": "Gradients & health"}
METHOD_TITLES = {"saliency": "Saliency |∂y/∂x|", "integrated_gradients": "Integrated gradients",
                 "grad_cam": "Grad-CAM (last conv layer)"}
CHART = {"config": {"displayModeBar": False}}  # the image views mostly stay put between frames


@st.cache_data(show_spinner=False, max_entries=8)
def _gallery(name: str, seed: int, n: int, _data) -> tuple[np.ndarray, list[str]]:
    return class_gallery(_data, per_class=6)


def render_gallery(exp=None) -> None:
    """Samples of each class of the current image set (in the data column)."""
    data = experiment().data
    if data.kind != "image":
        return
    images, titles = _gallery(data.name, experiment().spec.dataset.seed, len(data.raw_train), data)
    with st.expander("Samples per class", expanded=False):
        st.plotly_chart(image_grid(images, titles, cols=6, title=""), key="gallery_chart", **CHART)


def _uploaded_image() -> None:
    upload = ss.get("upload_image")
    if upload is None:
        ss.pop("user_image", None)
        return
    h, w = experiment().data.input_shape[-2:]
    try:
        img = Image.open(io.BytesIO(upload.getvalue())).convert("L").resize((w, h), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError):
        flash("error", f"{upload.name} is not an image this app can read (PNG, JPEG, BMP, GIF).")
        return
    pixels = np.asarray(img, dtype=np.float32) / 255.0
    if pixels.mean() > 0.5:  # dark strokes on white paper: invert to the data's white-on-black
        pixels = 1.0 - pixels
    ss.user_image = pixels
    ss.image_source = "upload"


def _drawn() -> None:
    pixels = getattr(ss.get("draw_canvas"), "pixels", None)
    ss.pop("user_image", None)
    if pixels:
        h, w = experiment().data.input_shape[-2:]
        ss.user_image = np.asarray(pixels, dtype=np.float32).reshape(h, w)
        ss.image_source = "drawing"


def _source_changed() -> None:
    ss.pop("user_image", None)


def render_image_selector() -> None:
    """Which image the views explain: a test image, a drawing or an upload (outside the live fragment,
    so the drawing survives the refreshes)."""
    data = experiment().data
    if data.kind != "image":
        return
    h, w = data.input_shape[-2:]
    with st.container(border=True, key="image_selector"):
        c1, c2, c3 = st.columns([1, 1.1, 1.4], vertical_alignment="top")
        with c1:
            st.radio("Explain", ["test", "drawing", "upload"], key="image_source", on_change=_source_changed,
                     format_func={"test": "a test image", "drawing": "my drawing", "upload": "an uploaded image"}.get)
        source = ss.get("image_source", "test")
        with c2:
            if source == "test":
                st.number_input("Test image #", min_value=0, max_value=max(0, len(data.x_test) - 1), step=1,
                                key="image_index", help="Which test image the activation and attribution views show.")
            elif source == "upload":
                st.file_uploader("Image file", type=["png", "jpg", "jpeg", "bmp", "gif"], key="upload_image",
                                 on_change=_uploaded_image, help="Resized to the model's input; shown white on black.")
        with c3:
            if source == "drawing":
                st.caption(f"Draw (white on black); it is scaled to {w}×{h}.")
                from playground.ui.draw_canvas import draw_canvas

                draw_canvas(h, w, key="draw_canvas", on_change=_drawn)
        st.segmented_control("View", list(VIEWS), format_func=VIEWS.get, key="image_view", default="inspect")


def _selection(data) -> tuple[int, np.ndarray | None]:
    source = ss.get("image_source", "test")
    if source != "test" and ss.get("user_image") is not None:
        return 0, ss.user_image
    return int(ss.get("image_index", 0) or 0), None


def _metrics(frame, data) -> None:
    h = frame.history
    last = lambda key: (h.get(key) or [None])[-1]  # noqa: E731
    fmt = lambda v, pct=False: "—" if v is None else (f"{v:.1%}" if pct else f"{v:.4f}")  # noqa: E731
    cols = st.columns(5)
    cols[0].metric("Epoch", f"{frame.epoch:,}", help=f"{frame.step:,} mini-batch steps")
    cols[1].metric("Train loss", fmt(last("train_loss")))
    cols[2].metric("Test loss", fmt(last("test_loss")))
    cols[3].metric("Train accuracy", fmt(last("train_accuracy"), True))
    cols[4].metric("Test accuracy", fmt(last("test_accuracy"), True))
    st.progress(frame.epoch_progress, text=f"epoch {frame.epoch + 1}: {frame.epoch_progress:.0%} of the batches")


def _inspection(frame, data) -> None:
    ins = frame.inspection
    if ins is None:
        st.info("The test set is empty.")
        return
    if ss.get("image_source", "test") != "test" and ss.get("user_image") is None:
        st.info("Draw a digit or upload an image above; until then the views show test image 0.")
    names = list(data.class_names)
    truth = f"true {names[ins.label]} · " if ins.label is not None else "your image · "
    c1, c2 = st.columns([1, 2.2])
    with c1:
        st.plotly_chart(image_grid(ins.image[None], [f"{truth}predicted {names[ins.predicted]}"], cols=1),
                        key="selected_image_chart", **CHART)
        st.plotly_chart(dense_activations(ins.probabilities, "output: class probabilities", names),
                        key="probabilities_chart", **CHART)
    with c2:
        for name, maps in ins.feature_maps.items():
            st.plotly_chart(feature_maps(maps, name), key=f"fmap_{name}_chart", **CHART)
        for name, values in ins.dense_activations.items():
            st.plotly_chart(dense_activations(values, name), key=f"dense_{name}_chart", **CHART)
        if not ins.feature_maps:
            st.caption("This network has no conv layers: add a Conv 2-D layer to see feature maps.")


def _attribution(frame, data) -> None:
    ins = frame.inspection
    if ins is None:
        return
    names = list(data.class_names)
    st.caption(f"Which pixels the prediction **{names[ins.attribution_target]}** "
               f"({ins.probabilities[ins.attribution_target]:.0%}) depends on. Blue raises it, orange lowers it. "
               f"Integrated gradients' completeness gap: {ins.ig_delta:+.2g}.")
    cols = st.columns(len(ins.attributions) or 1)
    for col, (method, attr) in zip(cols, ins.attributions.items()):
        col.plotly_chart(attribution_overlay(ins.image, attr, METHOD_TITLES[method]), key=f"attr_{method}_chart",
                         **CHART)
    if "grad_cam" not in ins.attributions:
        st.caption("Grad-CAM needs a conv layer.")


def _filters(frame) -> None:
    if not frame.filters:
        st.info("This network has no conv layers, so it has no filters to show.")
        return
    for name, weights in frame.filters.items():
        in_channel = None
        if weights.shape[1] > 1:
            in_channel = st.slider(f"{name}: input channel", 0, weights.shape[1] - 1, 0, key=f"filters_in_{name}")
        st.plotly_chart(filters(weights, name, in_channel), key=f"filters_{name}_chart", **CHART)


def _confusion(frame, data) -> None:
    c1, c2 = st.columns(2)
    if frame.confusion is not None:
        c1.plotly_chart(confusion_matrix(frame.confusion, list(data.class_names)), key="confusion_chart", **CHART)
    if frame.mistakes:
        names = list(data.class_names)
        c2.plotly_chart(misclassified_gallery(np.stack([m["image"] for m in frame.mistakes]),
                                              [names[m["label"]] for m in frame.mistakes],
                                              [names[m["predicted"]] for m in frame.mistakes],
                                              [m["confidence"] for m in frame.mistakes]),
                        key="mistakes_chart", **CHART)
    else:
        c2.success("No test image is misclassified.")


def render_image_live(runner: LiveRunner) -> None:
    """One frame of the image views."""
    data = runner.data
    index, user_image = _selection(data)
    view = ss.get("image_view") or "inspect"
    panels = {"inspect": ("inspect",), "attribution": ("inspect", "attribution"), "filters": ("filters",),
              "confusion": ("confusion",), "health": ()}[view]
    frame = runner.call(image_frame, index, user_image, None, panels)
    if frame.diverged:
        st.error(frame.diverged)
    if runner.status.get("error"):
        st.error(runner.status["error"])
    _metrics(frame, data)
    left, right = st.columns([2.2, 1], gap="medium")
    with left:
        if view == "inspect":
            _inspection(frame, data)
        elif view == "attribution":
            _attribution(frame, data)
        elif view == "filters":
            _filters(frame)
        elif view == "confusion":
            _confusion(frame, data)
        else:
            bars, heat, _ = gradient_views(frame)
            st.plotly_chart(bars, key="img_gradient_bars_chart", **CHART)
            st.plotly_chart(heat, key="img_gradient_heatmap_chart", **CHART)
    with right:
        st.plotly_chart(loss_curves(frame.history, "epoch", "classification"), key="img_curves_chart", **CHART)
        st.plotly_chart(stats_view_from(frame.activation_stats), key="img_stats_chart", **CHART)
