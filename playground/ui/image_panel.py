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

from playground.experiment import Experiment
from playground.ui.live_board import CHART_CONFIG
from playground.ui.state import experiment, flash, ss
from playground.viz import (attribution_overlay, confusion_matrix, dense_activations, feature_maps, filters,
                            image_grid, loss_curves, misclassified_gallery)
from playground.viz.dashboard import activation_gradient_view, gradient_views, stats_view

VIEWS = {"inspect": "Activations", "attribution": "Attribution", "filters": "Filters",
         "confusion": "Confusion matrix", "health": "Gradients & health"}
METHOD_TITLES = {"saliency": "Saliency |∂y/∂x|", "integrated_gradients": "Integrated gradients",
                 "grad_cam": "Grad-CAM (last conv layer)"}
CHART = {"config": CHART_CONFIG}  # a PNG download button, as on the board's charts


@st.cache_data(show_spinner=False, max_entries=8)
def _gallery(name: str, seed: int, n: int, _data) -> tuple[np.ndarray, list[str]]:
    from playground.interpret import class_gallery  # torch: loaded only when images are shown

    return class_gallery(_data, per_class=6)


def render_gallery(exp: Experiment) -> None:
    """Samples of each class of the current image set (in the data column)."""
    data = exp.data
    if data.kind != "image":
        return
    images, titles = _gallery(data.name, exp.spec.dataset.seed, len(data.raw_train), data)
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


def render_image_selector(exp: Experiment) -> None:
    """Which image the views explain: a test image, a drawing or an upload (outside the live fragment,
    so the drawing survives the refreshes)."""
    data = exp.data
    if data.kind != "image":
        return
    h, w = data.input_shape[-2:]
    # One row (the views stay on screen): which image, then which view of it.
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium", key="image_selector")
    row.radio("Explain", ["test", "drawing", "upload"], key="image_source", on_change=_source_changed,
              horizontal=True, width="content",
              format_func={"test": "a test image", "drawing": "a drawing", "upload": "a file"}.get)
    source = ss.get("image_source", "test")
    if source == "test":
        row.number_input("Test image #", min_value=0, max_value=max(0, len(data.x_test) - 1), step=1,
                         key="image_index", width=140,
                         help="Which test image the activation and attribution views show.")
    elif source == "upload":
        row.file_uploader("Image file", type=["png", "jpg", "jpeg", "bmp", "gif"], key="upload_image",
                          on_change=_uploaded_image, width=300,
                          help="Resized to the model's input; shown white on black.")
    row.segmented_control("View", list(VIEWS), format_func=VIEWS.get, key="image_view", default="inspect",
                          width="content")
    if source == "drawing":
        st.caption(f"Draw (white on black); it is scaled to {w}×{h}.")
        from playground.ui.draw_canvas import draw_canvas

        draw_canvas(h, w, key="draw_canvas", on_change=_drawn)


def _selection(data) -> tuple[int, np.ndarray | None]:
    source = ss.get("image_source", "test")
    if source != "test" and ss.get("user_image") is not None:
        return 0, ss.user_image
    return int(ss.get("image_index", 0) or 0), None


def _inspection(frame, data, figures: dict) -> list:
    ins = frame.payload.inspection
    if ins is None:
        return [{"note": "The test set is empty."}]
    items: list = []
    if ss.get("image_source", "test") != "test" and ss.get("user_image") is None:
        items.append({"caption": "Draw a digit or upload an image above; until then the views show test image 0."})
    names = list(data.class_names)
    truth = f"true {names[ins.label]} · " if ins.label is not None else "your image · "
    figures["selected_image_chart"] = image_grid(ins.image[None], [f"{truth}predicted {names[ins.predicted]}"],
                                                 cols=1).update_layout(height=230, margin=dict(t=24, b=4, l=4, r=4))
    figures["probabilities_chart"] = dense_activations(ins.probabilities, "output: class probabilities", names)
    for name, maps in ins.feature_maps.items():
        figures[f"fmap_{name}_chart"] = feature_maps(maps, name)
        items.append(f"fmap_{name}_chart")
    for name, values in ins.dense_activations.items():
        figures[f"dense_{name}_chart"] = dense_activations(values, name)
        items.append(f"dense_{name}_chart")
    if not ins.feature_maps:
        items.append({"caption": "This network has no conv layers: add a Conv 2-D layer to see feature maps."})
    return items


def _attribution(frame, data, figures: dict) -> list:
    ins = frame.payload.inspection
    if ins is None:
        return []
    names = list(data.class_names)
    items: list = [{"caption": f"Which pixels the prediction {names[ins.attribution_target]} "
                               f"({ins.probabilities[ins.attribution_target]:.0%}) depends on. Blue raises it, orange "
                               f"lowers it. Integrated gradients' completeness gap: {ins.ig_delta:+.2g}."}]
    for method, attr in ins.attributions.items():
        figures[f"attr_{method}_chart"] = attribution_overlay(ins.image, attr, METHOD_TITLES[method])
        items.append(f"attr_{method}_chart")
    if "grad_cam" not in ins.attributions:
        items.append({"caption": "Grad-CAM needs a conv layer."})
    return items


def _filters(frame, figures: dict) -> list:
    if not frame.payload.filters:
        return [{"note": "This network has no conv layers, so it has no filters to show."}]
    items: list = []
    for name, weights in frame.payload.filters.items():
        in_channel = None
        if weights.shape[1] > 1:
            in_channel = st.slider(f"{name}: input channel", 0, weights.shape[1] - 1, 0, key=f"filters_in_{name}")
        figures[f"filters_{name}_chart"] = filters(weights, name, in_channel)
        items.append(f"filters_{name}_chart")
    return items


def _confusion(frame, data, figures: dict) -> list:
    payload, names = frame.payload, list(data.class_names)
    items: list = []
    if payload.confusion is not None:
        figures["confusion_chart"] = confusion_matrix(payload.confusion, names)
        items.append("confusion_chart")
    if payload.mistakes:
        figures["mistakes_chart"] = misclassified_gallery(np.stack([m["image"] for m in payload.mistakes]),
                                                          [names[m["label"]] for m in payload.mistakes],
                                                          [names[m["predicted"]] for m in payload.mistakes],
                                                          [m["confidence"] for m in payload.mistakes])
        items.append("mistakes_chart")
    else:
        items.append({"caption": "No test image is misclassified."})
    return items


def render_image_live(exp: Experiment) -> None:
    """One frame of the image views, on the live board like the 2-D views."""
    from playground.ui.live_board import live_board
    from playground.ui.live_view import render_metrics

    runner, data = exp.runner, exp.data
    index, user_image = _selection(data)
    view = ss.get("image_view") or "inspect"
    panels = {"inspect": ("inspect",), "attribution": ("inspect", "attribution"), "filters": ("filters",),
              "confusion": ("confusion",), "health": ()}[view]
    frame, _ = runner.frame(index=index, image=user_image, panels=panels)
    header = frame.header
    if header.diverged:
        st.error(header.diverged)
    if runner.status.get("error"):
        st.error(runner.status["error"])
    render_metrics(header)
    st.progress(header.epoch_progress,
                text=f"epoch {header.epoch + 1}: {header.epoch_progress:.0%} of the batches")
    figures: dict = {}
    if view == "inspect":
        items = _inspection(frame, data, figures)
    elif view == "attribution":
        items = _attribution(frame, data, figures)
    elif view == "filters":
        items = _filters(frame, figures)
    elif view == "confusion":
        items = _confusion(frame, data, figures)
    else:
        bars, heat, _ = gradient_views(frame)
        figures.update(img_gradient_bars_chart=bars, img_activation_gradient_chart=activation_gradient_view(frame),
                       img_gradient_heatmap_chart=heat)
        items = list(figures)
    items = [{"note": w} for w in header.warnings] + items
    figures["img_curves_chart"] = loss_curves(header.history, "epoch", "classification")
    figures["img_stats_chart"] = stats_view(frame)
    if "selected_image_chart" in figures:
        # The image, what the network says it is, and the curves on top; the feature maps under.
        layout = [[(0.6, ["selected_image_chart"]), (1.1, ["probabilities_chart"]), (1.3, ["img_curves_chart"])],
                  [(2.2, items or [{"caption": "No hidden layers to show."}]), (1.0, ["img_stats_chart"])]]
    else:
        layout = [[(2.2, items), (1.0, ["img_curves_chart", "img_stats_chart"])]]
    live_board(exp.key("image_board"), layout, figures)
