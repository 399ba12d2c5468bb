"""The top bar: Play/Pause, Step, one-batch step, Reset, Regenerate, the common knobs, and the
Training, Share and Export menus.

Mirrors TensorFlow Playground's header: learning rate, activation, regularisation and its
rate, problem type — all of which change live, without stopping training. The bar stays at the
top of the window while the page scrolls (see style.py).
"""
from __future__ import annotations

import random
from dataclasses import replace

import streamlit as st

import datasets
from playground import compare
from playground.activations import ACTIVATIONS
from playground.experiment import Experiment
from playground.initializers import INITS
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS
from playground.spec import MAX_CONFIG_BYTES, SpecError, limits
from playground.ui.controls import (LEARNING_RATES, REG_RATES, choices_with, common_activation,
                                    fixed_nonlinearity, set_all_activations, widget)
from playground.ui.export_menu import render_export_menu
from playground.ui.state import LIVE_FRAGMENT, flash, redraw_only, session_runs, set_spec, ss

PROBLEMS = {"classification": "Classification", "regression": "Regression", "image": "Images",
            "sequence": "Sequences"}
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
INIT_TITLES = {"pytorch_default": "PyTorch default", "xavier_uniform": "Xavier uniform",
               "xavier_normal": "Xavier normal", "kaiming_uniform": "Kaiming uniform",
               "kaiming_normal": "Kaiming normal", "normal": "Normal N(0, 1) (naive)", "zeros": "Zeros"}
LOSS_TITLES = {"auto": "auto (cross-entropy / MSE)", "mse": "MSE", "mae": "MAE", "huber": "Huber",
               "hinge": "hinge", "cross_entropy": "cross-entropy"}


def problem_of(exp: Experiment) -> str:
    """Which problem type an experiment's data belongs to."""
    spec = exp.spec
    if spec.dataset.name == "custom":
        return exp.custom.task if exp.custom is not None else "classification"
    info = datasets.get(spec.dataset.name)
    return info.kind if info.kind in ("image", "sequence") else info.task


def _set_playing(exp: Experiment, play: bool) -> None:
    """Play or Pause: the button carries the state it was drawn for, not a toggle.

    A click that reaches the server twice (it can, when a live frame reruns at the same
    moment) then still pauses, where a toggle would pause and play again.
    """
    runners = [run.runner for run in session_runs(exp)]  # a compare's runs play as one
    if not play:
        for runner in runners:
            runner.pause()
    elif all(runner.status.get("diverged") for runner in runners):
        flash("warning", "Training has diverged: press Reset (or lower the learning rate, then Reset) first.")
    else:
        from playground.ui.lab_panel import play_until

        until = play_until(runners)  # an open Lab experiment pauses at its budget for the verdict
        for runner in runners:
            if not runner.playing:
                runner.play(until)


def _step_epoch(exp: Experiment) -> None:
    for run in session_runs(exp):
        run.runner.step_epochs(1)


def _step_batch(exp: Experiment) -> None:
    for run in session_runs(exp):
        run.runner.step_batches(1)


def _reset(exp: Experiment) -> None:
    for run in session_runs(exp):
        run.runner.reset()


def _regenerate(exp: Experiment) -> None:
    spec = exp.spec
    if spec.dataset.name == "custom":
        flash("info", "Uploaded data cannot be regenerated; pick a generated dataset to draw new points.")
        return
    new_seed = random.Random().randint(1, 99_999)
    set_spec(exp, replace(spec, dataset=replace(spec.dataset, seed=new_seed)), sync=True)


def _problem_changed(exp: Experiment) -> None:
    problem = ss[exp.key("problem")]
    if problem is None or problem == problem_of(exp):
        return
    from playground.presets import preset_for_problem

    set_spec(exp, preset_for_problem(exp.spec, problem), custom=None, sync=True)


def _activation_changed(exp: Experiment, key: str) -> None:
    """The toolbar's all-layers picker. A picker that shows another state than the network's now
    (the network was edited on the diagram since) is stale: what it sends is not the user's choice.
    What it shows is noted in `<key>_shown`: when drawn, and after a change it made, since that
    change redraws only the live views, not the picker."""
    shown = ss.get(f"{key}_shown")
    if common_activation(exp.spec) != shown or ss[key] == shown:
        return
    if set_all_activations(exp, ss[key]):
        ss[f"{key}_shown"] = ss[key]
    redraw_only(LIVE_FRAGMENT)


def _config_uploaded(exp: Experiment) -> None:
    upload = ss.get(exp.key("upload_config"))
    if upload is None:
        return
    try:
        if upload.size > MAX_CONFIG_BYTES:  # refused before its bytes are touched
            raise SpecError("", f"the file is {upload.size:,} bytes; a config is at most {MAX_CONFIG_BYTES:,}")
        runs, lab = compare.from_config(upload.getvalue())
    except SpecError as exc:
        flash("error", f"{upload.name} was not loaded, nothing changed: {exc}")
        return
    if len(runs) > 1 or len(session_runs(exp)) > 1 or lab:
        from playground.ui.compare import open_runs

        try:
            open_runs(runs, lab)
        except (SpecError, datasets.DatasetError, ValueError) as exc:
            flash("error", f"{upload.name} was not loaded, nothing changed: {exc}")
            return
        flash("success", f"Loaded the {len(runs)} runs of {upload.name}.")
    elif set_spec(exp, runs[0].spec, sync=True):
        flash("success", f"Loaded the experiment from {upload.name}.")


def _training_menu(exp: Experiment) -> None:
    """Optimiser, loss, initialisation, clipping and seed: TensorFlow Playground has none of these."""
    spec = exp.spec
    momentum, clip, seed = limits("optimizer.momentum"), limits("grad_clip"), limits("seed")  # the spec's ranges
    widget(exp, st.selectbox, "Optimizer", "optimizer", options=list(OPTIMIZERS), format_func=OPTIMIZER_TITLES.get)
    widget(exp, st.slider, "Momentum", "momentum", min_value=float(momentum.lo), max_value=float(momentum.hi),
           step=0.01, disabled=spec.optimizer.name not in ("sgd", "rmsprop"), help="Only SGD and RMSprop use momentum.")
    widget(exp, st.checkbox, "Nesterov momentum", "nesterov", disabled=spec.optimizer.name != "sgd")
    widget(exp, st.selectbox, "Loss", "loss", options=list(LOSSES), format_func=LOSS_TITLES.get)
    widget(exp, st.selectbox, "Initialization", "init", options=list(INITS), format_func=INIT_TITLES.get)
    widget(exp, st.checkbox, "Gradient clipping", "grad_clip_on", help="Clip the gradient's global L2 norm.")
    if spec.grad_clip is not None:
        widget(exp, st.number_input, "Max gradient norm", "grad_clip", min_value=float(clip.lo),
               max_value=float(clip.hi), step=0.1, format="%.3f")
    widget(exp, st.number_input, "Seed (initial weights)", "seed", min_value=int(seed.lo), max_value=int(seed.hi),
           step=1)


def _share_menu(exp: Experiment) -> None:
    st.caption("The address bar always holds this experiment: copy it to share the same data, "
               "network and initial weights.")
    from playground.ui.compare import session_config

    st.download_button("Download config", session_config(), file_name="playground-spec.json",
                       mime="application/json", key=exp.key("download_config"), on_click="ignore",
                       icon=":material/download:", width="stretch")
    st.file_uploader("Load a config", type=["json"], key=exp.key("upload_config"), on_change=_config_uploaded,
                     args=(exp,), max_upload_size=MAX_CONFIG_BYTES // 2**20)
    st.caption("Configs also run headless: `python -m playground train --config playground-spec.json`.")


def render_toolbar(exp: Experiment) -> None:
    """Draw the bar; every button acts through a callback, before the page redraws."""
    spec = exp.spec
    k = exp.key
    every = session_runs(exp)[0].key  # Play, Step, +1 batch and Reset act on every run: one key
    with st.container(key="toolbar"):
        # Wrapping flex groups: buttons as wide as their labels, knobs of fixed width. A narrow
        # window puts a group on the next line instead of truncating labels.
        outer = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
        bar = outer.container(horizontal=True, vertical_alignment="bottom", gap="small", width="content")
        knobs = outer.container(horizontal=True, vertical_alignment="bottom", gap="small", width="content")
        menus = outer.container(horizontal=True, vertical_alignment="bottom", gap="small", width="content")
        playing = any(run.runner.playing for run in session_runs(exp))
        bar.button("Pause" if playing else "Play", key=every("play"), type="primary", on_click=_set_playing,
                   args=(exp, not playing),
                   icon=":material/pause:" if playing else ":material/play_arrow:", width="content",
                   help="Train continuously; the views refresh four times a second.")
        bar.button("Step", key=every("step"), on_click=_step_epoch, args=(exp,), width="content",
                   help="Train one epoch (one pass over the training set).")
        bar.button("+1 batch", key=every("step_batch"), on_click=_step_batch, args=(exp,), width="content",
                   help="Train a single mini-batch step.")
        bar.button("Reset", key=every("reset"), on_click=_reset, args=(exp,), width="content",
                   help="Back to the same initial weights (from the seed); keeps the data.")
        bar.button("Regenerate", key=k("regenerate"), on_click=_regenerate, args=(exp,), width="content",
                   help="Draw a new sample of the dataset (a new data seed).")
        # The knobs whose change shows only in the live views redraw only those.
        widget(exp, knobs.selectbox, "Learning rate", "lr", redraw=(LIVE_FRAGMENT,),
               options=choices_with(spec.optimizer.lr, LEARNING_RATES), format_func=lambda v: f"{v:g}", width=92)
        # The key names the state the picker was drawn for: a change made on the diagram gives a
        # new widget, so the browser cannot send the old picker's stale value back as a choice
        # (seen: an edit on the diagram undone by the next page run).
        common, fixed = common_activation(spec), fixed_nonlinearity(spec)
        if fixed is not None:  # no dense or conv layer: nothing to set; say what the network does use
            ss[k("activation_fixed")] = fixed
            knobs.selectbox("Activation", [fixed], key=k("activation_fixed"), disabled=True, width=108,
                            help="This network has no dense or conv layer to set. An RNN's nonlinearity is set "
                                 "on its card; LSTM and GRU gates are sigmoids (σ) and their cells use tanh, "
                                 "by their equations." if fixed != "none" else
                            "This network has no hidden layer: the output layer is linear.")
        else:
            key = k(f"activation_all_{common}")
            ss[key] = ss[f"{key}_shown"] = common
            act_options = list(ACTIVATIONS) + (["mixed"] if common == "mixed" else [])
            knobs.selectbox("Activation", act_options, key=key, on_change=_activation_changed,
                            args=(exp, key), width=108,
                            help="Set every hidden layer's activation at once (each layer can differ on the "
                                 "diagram).")
        widget(exp, knobs.selectbox, "Regularization", "reg_kind", redraw=(LIVE_FRAGMENT,),
               options=["none", "l1", "l2"], format_func=lambda v: {"none": "None", "l1": "L1", "l2": "L2"}[v], width=90)
        widget(exp, knobs.selectbox, "Reg. rate", "reg_rate", redraw=(LIVE_FRAGMENT,),
               options=choices_with(spec.regularization.rate, REG_RATES), format_func=lambda v: f"{v:g}", width=80)
        ss[k("problem")] = problem_of(exp)
        knobs.selectbox("Problem type", list(PROBLEMS), key=k("problem"), format_func=PROBLEMS.get,
                        on_change=_problem_changed, args=(exp,), width=144)
        with menus.popover("Training", icon=":material/tune:", width="content"):
            _training_menu(exp)
        # One menu for sharing and exporting: a third menu button took the toolbar to two rows at 1280 px.
        with menus.popover("Share", icon=":material/share:", width="content",
                           help="Share this experiment (its link, its config) or export it: a PyTorch script, "
                                "a notebook, the weights, ONNX, a film of the training."):
            _share_menu(exp)
            st.divider()
            st.markdown("**Export**")
            render_export_menu(exp)
