"""The top bar: Play/Pause, Step, one-batch step, Reset, Regenerate, and the common knobs.

Mirrors TensorFlow Playground's header: learning rate, activation, regularisation and its
rate, problem type — all of which change live, without stopping training.
"""
from __future__ import annotations

import random
from dataclasses import replace

import streamlit as st

import datasets
from playground.activations import ACTIVATIONS
from playground.live import LiveRunner
from playground.spec import Spec
from playground.ui.controls import (LEARNING_RATES, REG_RATES, choices_with, set_all_activations,
                                    widget)
from playground.ui.state import flash, set_spec, ss

PROBLEMS = {"classification": "Classification", "regression": "Regression", "image": "Images"}
FIRST_DATASET = {"classification": "circle", "regression": "plane", "image": "digits"}


def problem_of(spec: Spec) -> str:
    """Which problem tab a spec belongs to."""
    if spec.dataset.name == "custom":
        return ss.custom.task if ss.get("custom") is not None else "classification"
    info = datasets.get(spec.dataset.name)
    return "image" if info.kind == "image" else info.task


def _set_playing(play: bool) -> None:
    """Play or Pause: the button carries the state it was drawn for, not a toggle.

    A click that reaches the server twice (it can, when a live frame reruns at the same
    moment) then still pauses, where a toggle would pause and play again.
    """
    runner: LiveRunner = ss.runner
    if not play:
        runner.pause()
    elif runner.status.get("diverged"):
        flash("warning", "Training has diverged: press Reset (or lower the learning rate, then Reset) first.")
    elif not runner.playing:
        runner.play()


def _step_epoch() -> None:
    ss.runner.step_epochs(1)


def _step_batch() -> None:
    ss.runner.step_batches(1)


def _reset() -> None:
    ss.runner.reset()


def _regenerate() -> None:
    spec: Spec = ss.spec
    if spec.dataset.name == "custom":
        flash("info", "Uploaded data cannot be regenerated; pick a generated dataset to draw new points.")
        return
    new_seed = random.Random().randint(1, 99_999)
    set_spec(replace(spec, dataset=replace(spec.dataset, seed=new_seed)), sync=True)


def _problem_changed() -> None:
    problem = ss["problem"]
    if problem is None or problem == problem_of(ss.spec):
        return
    from playground.presets import preset_for_problem

    set_spec(preset_for_problem(ss.spec, problem), custom=None, sync=True)


def _activation_changed() -> None:
    set_all_activations(ss["activation_all"])


def render_toolbar() -> None:
    """Draw the bar; every button acts through a callback, before the page redraws."""
    runner: LiveRunner = ss.runner
    spec: Spec = ss.spec
    with st.container(border=True, key="toolbar"):
        # Wrapping flex groups (buttons as wide as their labels, knobs of fixed width): fixed
        # columns truncated the labels ("P…", "Regener…") in a 1440-px window with the sidebar
        # open. A narrow window puts the knobs' group on a second line, all together.
        outer = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
        bar = outer.container(horizontal=True, vertical_alignment="bottom", gap="small", width="content")
        knobs = outer.container(horizontal=True, vertical_alignment="bottom", gap="small", width="content")
        playing = runner.playing
        bar.button("Pause" if playing else "Play", key="play", type="primary", on_click=_set_playing,
                   args=(not playing,),
                   icon=":material/pause:" if playing else ":material/play_arrow:", width="content",
                   help="Train continuously; the views refresh several times a second.")
        bar.button("Step", key="step", on_click=_step_epoch, width="content",
                   help="Train one epoch (one pass over the training set).")
        bar.button("+1 batch", key="step_batch", on_click=_step_batch, width="content",
                   help="Train a single mini-batch step.")
        bar.button("Reset", key="reset", on_click=_reset, width="content",
                   help="Back to the same initial weights (from the seed); keeps the data.")
        bar.button("Regenerate", key="regenerate", on_click=_regenerate, width="content",
                   help="Draw a new sample of the dataset (a new data seed).")
        widget(knobs.selectbox, "Learning rate", "lr", options=choices_with(spec.optimizer.lr, LEARNING_RATES),
               format_func=lambda v: f"{v:g}", width=115)
        act_options = list(ACTIVATIONS) + (["mixed"] if ss.get("activation_all") == "mixed" else [])
        knobs.selectbox("Activation", act_options, key="activation_all", on_change=_activation_changed, width=125,
                        help="Set every hidden layer's activation at once (each layer can differ below).")
        widget(knobs.selectbox, "Regularization", "reg_kind", options=["none", "l1", "l2"],
               format_func=lambda v: {"none": "None", "l1": "L1", "l2": "L2"}[v], width=120)
        widget(knobs.selectbox, "Reg. rate", "reg_rate", options=choices_with(spec.regularization.rate, REG_RATES),
               format_func=lambda v: f"{v:g}", width=100)
        ss["problem"] = problem_of(spec)
        knobs.selectbox("Problem type", list(PROBLEMS), key="problem", format_func=PROBLEMS.get,
                        on_change=_problem_changed, width=150)
