"""Per-tab session state: the current spec, its LiveRunner, the URL, and flash messages.

Every change to the experiment goes through `set_spec`, which validates, hands the spec to
the runner (hyper-parameters change in place, anything else rebuilds), and writes the URL.
A refused change leaves the previous spec (and the user's model) untouched and says why.
"""
from __future__ import annotations

from typing import Any

import os

import streamlit as st

import datasets
from playground.data import CUSTOM, CustomData
from playground.live import LiveRunner
from playground.spec import Spec, SpecError

ss = st.session_state


def flash(level: str, text: str) -> None:
    """Queue a message ('error', 'warning', 'info', 'success') for the next render."""
    ss.setdefault("flashes", []).append((level, text))


def show_flashes() -> None:
    """Draw and clear queued messages."""
    for level, text in ss.pop("flashes", []):
        getattr(st, level)(text)


def spec_from_url(params: dict[str, Any]) -> tuple[Spec, str | None]:
    """The spec a shared link describes, or the default with a message saying what was wrong."""
    if not params:
        return Spec(), None
    try:
        spec = Spec.from_query(params)
    except SpecError as exc:
        return Spec(), f"The link's settings could not be used ({exc}). Showing the default experiment instead."
    if spec.dataset.name == CUSTOM:
        fallback = Spec.from_dict({**spec.to_dict(), "dataset": {**spec.to_dict()["dataset"], "name": "circle"}})
        return fallback, ("This link was made with uploaded CSV data, which a link cannot carry: "
                          "showing the circle dataset with the same network. Upload the CSV to continue.")
    return spec, None


def new_runner(spec: Spec) -> LiveRunner:
    """A runner in a worker process (or a thread when PLAYGROUND_WORKER=thread, as the app tests set)."""
    return LiveRunner(spec, mode=os.environ.get("PLAYGROUND_WORKER", "process"))


def init_session() -> None:
    """First run of a tab: spec from the URL (or the default), a runner, widgets in sync."""
    if "spec" in ss:
        return
    spec, message = spec_from_url(st.query_params.to_dict())
    try:
        runner = new_runner(spec)
    except (SpecError, datasets.DatasetError) as exc:
        message = f"The link's experiment could not be built ({exc}). Showing the default experiment instead."
        spec = Spec()
        runner = new_runner(spec)
    ss.spec, ss.custom, ss.runner = spec, None, runner
    ss.selected = None
    if message:
        flash("error", message)
    from playground.ui.controls import sync_widgets

    sync_widgets(spec)
    write_url(spec)


def write_url(spec: Spec) -> None:
    """Keep the address bar equal to the spec, so copying it shares the experiment."""
    query = spec.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def set_spec(spec: Spec, custom: CustomData | None | str = "keep", sync: bool = False) -> bool:
    """Adopt `spec` if it is valid and buildable; otherwise keep the old one and say why."""
    if custom == "keep":
        custom = ss.custom if spec.dataset.name == CUSTOM else None
    runner: LiveRunner = ss.runner
    old_spec = ss.spec
    try:
        spec.validate()
        runner.apply_spec(spec, custom)
    except (SpecError, datasets.DatasetError, ValueError) as exc:
        flash("error", f"That change was not applied: {exc}")
        # Put the widgets back to what is really running.
        from playground.ui.controls import sync_widgets

        sync_widgets(old_spec)
        return False
    ss.spec, ss.custom = spec, custom
    if sync:
        from playground.ui.controls import sync_widgets

        sync_widgets(spec)
    write_url(spec)
    return True
