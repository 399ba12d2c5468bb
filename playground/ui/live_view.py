"""The live views: the metrics and the live board (network with its builder, output, curves,
gradient flow, activation health), beside the data column, on one screen.

Drawn by one fragment. A click inside it (+/- on the diagram, a tab, a toggle) reruns only the
fragment, not the page. While training plays, the live board fetches a frame every
FRAME_SECONDS from its feed (feed.py), built by the same code as the fragment's frames; where
the frame holds other Streamlit elements (a Lab experiment's verdict, the image and sequence
views) or there is no feed, the fragment reruns itself every FRAME_SECONDS instead. Otherwise it
reruns every HEARTBEAT_SECONDS, which tells the trainer pool the tab is still open (a closed tab
stops asking and its trainer is freed within a minute).
"""
from __future__ import annotations

import math
import time
from urllib.parse import urlencode
import streamlit as st

from playground.activations import ACTIVATIONS
from playground.experiment import Experiment
from playground.live import TrainerLost
from playground.layers import infer_shapes
from playground.spec import MAX_LAYERS, MAX_UNITS
from playground.ui import builder, feed
from playground.ui.live_board import live_board, plotly_js_url
from playground.ui.state import (LIVE_FRAGMENT, LIVE_FRAME, OUTSIDE_CLICK, claim, experiment, frame_lock,
                                 session_runs, show_flashes, ss, url_query)
from playground.viz import dashboard
from playground.viz._common import plain, plain_figures, restyled
from playground.viz.compare import held_parts

FRAME_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0
FEED_TOKEN = "_board_feed"  # session state: the token of this session's feed (feed.py)
QUEUED_SECONDS = 1.0  # a queued session's frame does not change: look for its turn once a second
# While playing, the gradient and health panels and the hover values of the network and output
# charts are rebuilt on every SLOW_EVERY-th frame (once a second); the metrics, the maps, the
# links and the curves refresh every frame.
SLOW_EVERY = 4
TABS = {"network": "Network", "gradients": "Gradient flow", "health": "Activation health"}
# Margins as plotly's automargin makes them (colour bar, ticks), so the plot keeps what is left;
# the axes are named in the hover text (x₁, x₂) rather than by titles that cost 20 px each.
OUTPUT_LAYOUT = dict(height=370, margin=dict(l=40, r=82, t=16, b=40), showlegend=False)
# On a taller window the output grows: min(width × 0.9, window height − 350) px, at least 370.
OUTPUT_FIT = {"min": 370, "reserve": 350, "aspect": 0.9}
CURVES_LAYOUT = dict(height=154, margin=dict(l=50, r=58, t=30, b=30))
DROPOUTS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None else str(value)
    return f"{value:.1%}" if percent else f"{value:.4f}"


def metric_items(header) -> list[dict]:
    """Epoch, loss and accuracy of the weights as they are now (after the latest step), for the
    live board's metrics row."""
    m = header.metrics
    items = [{"label": "Epoch", "value": f"{header.epoch:,}", "help": f"{header.step:,} mini-batch steps"},
             {"label": "Train loss", "value": _fmt(m.get("train_loss"))},
             {"label": "Test loss", "value": _fmt(m.get("test_loss"))}]
    if header.task == "classification":
        items += [{"label": "Train accuracy", "value": _fmt(m.get("train_accuracy"), True)},
                  {"label": "Test accuracy", "value": _fmt(m.get("test_accuracy"), True)}]
    return items


# -- the builder on the diagram -------------------------------------------------------------
def builder_controls(exp: Experiment, columns: list[dict]) -> dict | None:
    """What the board draws above the network diagram: +/- layer, and per hidden column +/-
    neurons, its activation and its options. None where the network is not all dense layers."""
    spec, data = exp.spec, exp.data
    if any(layer.type != "dense" for layer in spec.layers):
        return None
    shapes = infer_shapes(spec.layers, data.input_shape, data.n_outputs)
    index_of = {s.name: s.index for s in shapes if s.index is not None}
    cols = []
    for c, column in enumerate(columns):
        i = index_of.get(column["name"])
        if i is None:
            continue
        layer = spec.layers[i]
        cols.append({"col": c, "layer": i, "units": layer.units, "activation": layer.activation,
                     "dropout": layer.dropout, "batch_norm": layer.batch_norm, "residual": layer.residual,
                     "first": i == 0, "last": i == len(spec.layers) - 1})
    return {"n_columns": len(columns), "layers": len(spec.layers), "max_layers": MAX_LAYERS,
            "max_units": MAX_UNITS, "activations": list(ACTIVATIONS), "dropouts": DROPOUTS, "columns": cols}


def _builder_event(exp: Experiment, event: dict) -> None:
    """One edit from the diagram's controls. Each carries the value it was drawn with (the
    layer count, the target width), so an event that arrives twice changes the network once."""
    action, i = event.get("action"), event.get("layer")
    n = len(exp.spec.layers)
    if action == "add_layer":
        builder.add_layer(exp, int(event.get("drawn", n)), kind="dense")
    elif action == "remove_layer":
        builder.remove_layer(exp, None if i is None else int(i), int(event.get("drawn", n)))
    elif not isinstance(i, int) or not 0 <= i < n:
        return
    elif action == "units":
        builder.change_layer(exp, i, units=int(event["value"]))
    elif action == "activation" and event.get("value") in ACTIVATIONS:
        builder.change_layer(exp, i, activation=event["value"])  # the toolbar's picker follows at its next draw
    elif action == "option" and event.get("name") in ("dropout", "batch_norm", "residual"):
        name, value = event["name"], event.get("value")
        builder.change_layer(exp, i, **{name: float(value) if name == "dropout" else bool(value)})
    elif action == "move":
        builder.move_layer(exp, i, int(event.get("delta", 0)))


def _board_event(exp: Experiment, event: dict) -> None:
    """Clicks on the network select a neuron; toggles, tabs, Close and the builder set state."""
    kind, view = event.get("kind"), exp.view
    if kind == "click" and event.get("chart") == "network_chart":
        for point in event.get("points") or []:
            custom = point.get("customdata")
            if custom is not None and len(custom) >= 2:
                view.selected = (int(custom[0]), int(custom[1]))
                return
    elif kind == "toggle" and event.get("name") in ("show_test", "discretize"):
        setattr(view, event["name"], bool(event.get("value")))
    elif kind == "button" and event.get("name") == "close_neuron":
        view.selected = None
    elif kind == "tab" and event.get("name") in TABS:
        view.tab = event["name"]
    elif kind == "builder":
        _builder_event(exp, event)


# -- one frame of the 2-D views --------------------------------------------------------------
def _outside_click() -> bool:
    """True in a run for a click outside the live views: a run of the whole page, or of the live
    views alone for a control outside them (state.redraw_only); False in a refresh or for a
    click inside the views."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ss.pop(OUTSIDE_CLICK, False) or ctx is None or not ctx.fragment_ids_this_run


def _drawn(exp: Experiment) -> tuple:
    """What a frame of the 2-D views draws besides the weights: data, network and view options."""
    view = exp.view
    return (id(exp.runner.data), exp.spec.layers, exp.spec.features, view.show_test, view.discretize,
            view.selected, view.tab)


def render_live(exp: Experiment, outside_click: bool = False) -> None:
    """One frame of the 2-D playground's views; `outside_click`: this run answers a click outside them."""
    runner, view = exp.runner, exp.view
    last = view.last_board
    if (last is not None and last[2] and runner.playing and not runner.queued and not runner.status.get("error")
            and _drawn(exp) == view.drawn and time.monotonic() - last[0] < FRAME_SECONDS and outside_click):
        # A click outside the views while playing that changed nothing they draw (the learning
        # rate, a regularisation setting, a menu): the frame of under FRAME_SECONDS ago again, whose
        # figures the board has drawn already, so it draws nothing; the next refresh brings the
        # new one. A fresh frame here cost the click ~100 ms (a frame, its figures, three charts
        # redrawn), for a picture the refresh replaces a moment later.
        live_board(**{**last[1], "query": urlencode(url_query(exp))})
        return
    frame, data = runner.frame(detail=view.selected)
    header, snap = frame.header, frame.payload
    if header.diverged:
        feed.error(header.diverged, icon=":material/warning:")
    if runner.status.get("error"):
        feed.error(runner.status["error"])
    if view.selected is not None and snap.detail is None:
        view.selected = None  # the clicked neuron no longer exists (the network changed)
    view.frame_count += 1
    # A frame may keep the previous frame's traces (see `hold` below) only when nothing but the
    # weights changed: after a new dataset, features or network the old points and nodes would
    # stay on screen for up to a second.
    drawn = _drawn(exp)
    changed, view.drawn = drawn != view.drawn, drawn
    slow_frame = not runner.playing or changed or view.frame_count % SLOW_EVERY == 0
    # Plain figures: they are only serialised, and a go.Figure's construction deep-copied every
    # trace and the template (plain_figures), four times a second.
    with plain_figures():
        figures = {
            "network_chart": plain(dashboard.diagram(frame, view.selected)),
            # Sized for one screen: the output is the largest chart (its plot ≥ 300 px at 1280×720).
            "output_chart": restyled(dashboard.output_view(frame, data, view.show_test, view.discretize),
                                      OUTPUT_LAYOUT, axis_titles=False),
            "curves_chart": restyled(dashboard.loss_curves(header.history, "epoch", header.task,
                                                           playing=runner.playing), CURVES_LAYOUT),
        }
    tabs = {"tabs": [{"name": name, "label": label, "active": name == view.tab} for name, label in TABS.items()]}
    left: list = [tabs]
    if view.tab == "network":
        controls = builder_controls(exp, snap.columns)
        if controls is not None:
            left.append({"builder": controls})
        left += ["network_chart", {"caption": "Click a neuron to enlarge its map. Links: blue positive, orange "
                                              "negative weights; thicker means larger |w|."}]
        if view.selected is not None:
            enlarged = dashboard.selected_map(frame, data)
            if enlarged is not None:
                figures["neuron_chart"] = enlarged
                left += ["neuron_chart", {"button": {"name": "close_neuron", "label": "Close"}}]
    else:
        # The panels not on screen are not computed; on screen they refresh once a second.
        cache = ss.get(exp.key("_slow_figures"))
        if slow_frame or cache is None or cache[0] != (id(data), view.tab):
            if view.tab == "gradients":
                bars, heat, flags = dashboard.gradient_views(frame)
                slow = {"gradient_bars_chart": bars, "activation_gradient_chart": dashboard.activation_gradient_view(frame),
                        "gradient_heatmap_chart": heat}
            else:
                slow, flags = {"activation_stats_chart": dashboard.stats_view(frame)}, {}
            cache = ss[exp.key("_slow_figures")] = ((id(data), view.tab), slow, flags)
        _, slow, flags = cache
        figures.update(slow)
        if flags:
            said = ", ".join(f"{name} ({flag})" for name, flag in flags.items())
            left.append({"note": f"Gradient trouble: {said}. Vanished means ‖∂L/∂W‖ is over 1000× below "
                                 f"the largest layer's; exploded means it is above 1000 or not finite."})
        left += list(slow)
    for warning in header.warnings:
        left.insert(1, {"note": warning})
    toggles = {"toggles": [
        {"name": "show_test", "label": "Show test data", "value": view.show_test},
        {"name": "discretize", "label": "Discretize output", "value": view.discretize,
         "disabled": data.kind == "curve"}]}
    layout: list = [[(0.9, left), (1.0, ["output_chart", toggles, "curves_chart"])]]
    # Between the once-a-second frames, the network and the output keep their traces (hover
    # values) and redraw only their images and links: a full chart recomputation each frame
    # took CPU from training on a 2-core machine. (A 1-D fit is drawn as a trace: never held.)
    # The once-a-second frames send the traces, whose new hover values the board sets in place.
    hold = () if slow_frame else tuple(f"{part}_chart" for part in held_parts(data.kind))
    # And while training plays the curves draw only their lines' new points, on axes that leave
    # room for them (a relayout when the x axis grows; whole under the pointer: live_board.js).
    board = dict(key=exp.key("live_board"), layout=layout, figures=figures, hold=hold,
                 extend=("curves_chart",) if runner.playing and not changed else (),
                 on_event=lambda event: _board_event(exp, event), fit={"output_chart": OUTPUT_FIT},
                 query=urlencode(url_query(exp)), metrics=metric_items(header))
    view.last_board = (time.monotonic(), board, runner.playing and not runner.queued)
    live_board(**board)


def _feedable(runs: list[Experiment], current: Experiment) -> bool:
    """Whether the live views' frames are the live board alone, which the feed serves (feed.py):
    a compare or the 2-D views, playing, not queued, no Lab experiment open (its verdict and
    views are Streamlit elements that refresh with the frames), the board not in its fallback."""
    return (ss.get("lab") is None and (len(runs) > 1 or current.data.kind not in ("image", "sequence"))
            and any(run.runner.playing for run in runs) and not any(run.runner.queued for run in runs)
            and plotly_js_url() is not None and feed.install() is not None)


def _feed_frame() -> None:
    """One frame for the feed, under the session's frame lock: the board's data (captured by
    live_board), or feed.Stale when the page must be drawn again by a rerun."""
    runs, current = session_runs(), experiment()
    for run in runs:
        claim(run)
    if not _feedable(runs, current):
        raise feed.Stale("training stopped, or the views changed")
    if len(runs) > 1:
        from playground.ui.compare import render_compare

        render_compare(runs)
    else:
        render_live(current)


def live_fragment() -> None:
    """Draw the live views (one run's, or a compare's side by side); while playing, as a
    fragment that refreshes itself, or whose board fetches its frames from a feed."""
    runs = session_runs()
    playing = any(run.runner.playing for run in runs)
    queued = any(run.runner.queued for run in runs)
    fed = _feedable(runs, experiment())
    # Fed, the fragment reruns only as the heartbeat (and on clicks, and when the feed says the
    # page is stale); each rerun re-rendered the whole page in the browser (feed.py).
    every = QUEUED_SECONDS if queued else FRAME_SECONDS if playing and not fed else HEARTBEAT_SECONDS

    @st.fragment(run_every=every, key=LIVE_FRAGMENT)
    def frame() -> None:
        lock = frame_lock()
        with lock:
            runs, current = session_runs(), experiment()
            outside_click = _outside_click()
            for run in runs:
                claim(run)
            if playing != any(run.runner.playing for run in runs) or (
                    queued and not any(run.runner.queued for run in runs)) or fed != _feedable(runs, current):
                # Training stopped by itself (divergence, idle), a queued Play got its turn, a Play
                # click was handled by a fragment run (seen under load: training, with Play still
                # shown), or the views now need the fragment's own refresh instead of the feed (an
                # image set picked while playing): redraw the whole page so the Play button, the URL
                # and the refresh rate catch up.
                st.rerun(scope="app")
            served = feed.publish(ss.get(FEED_TOKEN), _feed_frame, lock) if fed else None
            if served is None:
                feed.withdraw(ss.pop(FEED_TOKEN, None))
            else:
                ss[FEED_TOKEN] = served[0]
            feed.reset_errors()
            # Its elements in one keyed container: the page's CSS does not fade them while Streamlit
            # marks them stale (playground/ui/style.py).
            with st.container(key=LIVE_FRAME), feed.serving(served and served[1], FRAME_SECONDS):
                _draw_frame(runs, current, outside_click)

    frame()


def _draw_frame(runs: list[Experiment], current: Experiment, outside_click: bool) -> None:
    """The live fragment's elements: one run's views, or a compare's; the layer cards on request."""
    show_flashes()
    notice = st.empty()  # filled after the frame, whose reply says whether Play still waits
    try:
        if len(runs) > 1:
            from playground.ui.compare import render_compare

            render_compare(runs)
        else:
            from playground.ui.lab_panel import render_verdict, render_views

            view = current.view  # a one-run Lab experiment: its verdict and views too
            render_verdict(runs, slow=not current.runner.playing or view.frame_count % SLOW_EVERY == 0)
            if current.data.kind == "image":
                from playground.ui.image_panel import render_image_live

                render_image_live(current)  # (it counts its frames, as render_live does)
            elif current.data.kind == "sequence":
                from playground.ui.sequence_panel import render_sequence_live

                view.frame_count += 1
                render_sequence_live(current)
            else:
                render_live(current, outside_click)
            render_views(runs, [current.label or "this run"], view.frame_count)
        # The cards are the image networks' builder (kernels, strides) and every layer's full
        # detail for 2-D ones; shown on request, so the views stay on one screen.
        if current.data.kind == "sequence" or st.toggle("Layer details", key=current.key("layer_details"),
                     help="Every layer as a card with its shape, parameters and options; "
                          "add conv, pooling and other layers here."):
            builder.render_builder(current)
    except TrainerLost as exc:
        st.error(str(exc))
    waiting = next((run for run in runs if run.runner.queued), None)
    if waiting is not None:
        with notice.container(key="queued"):
            st.info(waiting.runner.queue_message(), icon=":material/hourglass_top:")
