"""Image data and CNNs: the sample gallery, and the live views of a convnet as it trains.

One image is selected from the test set (or uploaded); its feature maps, the dense layers'
activations, the predicted probabilities and the attributions (Captum: saliency, integrated
gradients, Grad-CAM) update while training runs. Filters, the confusion matrix and the most
confident mistakes have their own tabs of the view selector, so a frame computes only what
is on screen.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

import datasets
from playground.data import class_gallery
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
        if upload.size > datasets.MAX_IMAGE_BYTES:  # refused before its bytes are touched
            raise datasets.DatasetError(f"the file is {upload.size / 2**20:.1f} MB; "
                                        f"at most {datasets.MAX_IMAGE_BYTES / 2**20:g} MB")
        pixels = datasets.load_user_image(upload.getvalue(), h, w)
    except datasets.DatasetError as exc:
        flash("error", f"{upload.name} was not used: {exc}.")
        return
    ss.user_image = pixels
    ss.image_source = "upload"


def _drawn() -> None:
    pixels = getattr(ss.get("draw_canvas"), "pixels", None)
    ss.pop("user_image", None)
    if pixels:
        h, w = experiment().data.input_shape[-2:]
        try:  # the browser sends what it sends: a drawing made for another image size is not used
            drawing = np.asarray(pixels, dtype=np.float32).reshape(h, w)
        except (ValueError, TypeError):
            flash("warning", f"The drawing does not fit this dataset's {h}×{w} images; draw it again.")
            return
        ss.user_image = np.clip(np.nan_to_num(drawing), 0.0, 1.0)
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
                          max_upload_size=datasets.MAX_IMAGE_BYTES // 2**20,
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


# While training plays, the views of the image (feature maps, activations, attributions, filters,
# confusion) are rebuilt on every SLOW_EVERY-th frame (once a second); the metrics, the progress
# bar and the curves refresh every frame. Each image view costs the trainer's process a forward
# pass (integrated gradients: 64) and the browser a redraw of several charts: at four a second,
# a 2-core machine kept a Pause click waiting for seconds behind them.
SLOW_EVERY = 4


def _image_views(frame, data, view: str) -> tuple[dict, list]:
    """The figures and board items of the chosen image view."""
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
    figures["img_stats_chart"] = stats_view(frame)
    return figures, items


def render_image_live(exp: Experiment) -> None:
    """One frame of the image views, on the live board like the 2-D views."""
    from playground.ui.live_board import live_board
    from playground.ui.live_view import metric_items

    runner, data, view_state = exp.runner, exp.data, exp.view
    index, user_image = _selection(data)
    view = ss.get("image_view") or "inspect"
    # What the slow views were drawn for: a new image, view, data or network redraws them at once.
    drawn = (id(data), exp.spec.layers, view, index, id(user_image))
    cache = ss.get(exp.key("_image_views"))
    view_state.frame_count += 1
    slow = (cache is None or cache[0] != drawn or not runner.playing or view == "filters"  # its sliders: every frame
            or view_state.frame_count % SLOW_EVERY == 0)
    panels = {"inspect": ("inspect",), "attribution": ("inspect", "attribution"), "filters": ("filters",),
              "confusion": ("confusion",), "health": ()}[view] if slow else ()
    frame, _ = runner.frame(index=index, image=user_image, panels=panels)
    header = frame.header
    if header.diverged:
        st.error(header.diverged)
    if runner.status.get("error"):
        st.error(runner.status["error"])
    if slow:
        cache = ss[exp.key("_image_views")] = (drawn, *_image_views(frame, data, view))
    _, views, items = cache
    figures = dict(views)
    items = [{"note": w} for w in header.warnings] + items
    figures["img_curves_chart"] = loss_curves(header.history, "epoch", "classification", playing=runner.playing)
    if "selected_image_chart" in figures:
        # The image, what the network says it is, and the curves on top; the feature maps under.
        layout = [[(0.6, ["selected_image_chart"]), (1.1, ["probabilities_chart"]), (1.3, ["img_curves_chart"])],
                  [(2.2, items or [{"caption": "No hidden layers to show."}]), (1.0, ["img_stats_chart"])]]
    else:
        layout = [[(2.2, items), (1.0, ["img_curves_chart", "img_stats_chart"])]]
    live_board(exp.key("image_board"), layout, figures, metrics=metric_items(header),
               extend=("img_curves_chart",) if runner.playing else (),
               progress=(header.epoch_progress, f"epoch {header.epoch + 1}: {header.epoch_progress:.0%} of the batches"))
