"""Per-tab session state: the experiments, the URL, and flash messages.

Every change to an experiment goes through `set_spec`, which validates, hands the spec to the
experiment's runner (hyper-parameters change in place, anything else rebuilds), and writes the
URL. A refused change leaves the previous spec (and the user's model) untouched and says why.

The URL also carries `run`, the id of the experiment's trainer in the pool: a reloaded tab
finds its trainer again (with the trained weights) instead of starting a new one, as long as
no other open tab is using it (a copied link opens a fresh trainer of the same spec).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from typing import Any

import streamlit as st

import datasets
from playground import compare
from playground.compare import Run
from playground.data import CUSTOM, CustomData
from playground.experiment import Experiment
from playground.live import LiveRunner, TrainerLost, lockstep
from playground.lockstep import LanesExhausted
from playground.spec import Spec, SpecError

ss = st.session_state
RUN_PARAM = "run"
LIVE_FRAGMENT = "live_views"  # the key of the live views' fragment (live_view.py), for st.rerun(scope=...)
LIVE_FRAME = "live_frame"     # the key of the container of its elements (style.py: not faded while stale)
DATA_FRAGMENT = "data_column"  # the key of the data column's fragment (data_panel.py)
VIEWS = (DATA_FRAGMENT, LIVE_FRAGMENT)  # what a change of the data shows in
OUTSIDE_CLICK = "live_outside_click"  # set when a control outside the live views reruns only them
OWNER_WAIT = 1.5  # seconds a reloaded page waits for its old session to close
# Which browser session last drew each runner, when, and the runner itself: a reload may adopt
# a runner only when the session that had it is gone, and the strong reference keeps the runner
# (whose pool only holds it weakly) for KEEP_SECONDS after its tab last drew it, so a reload
# finds it even after Streamlit dropped the old session. Process-wide, like the pool itself.
KEEP_SECONDS = 60.0
RUN_PREFIXES = ("", "b_", "c_", "d_", "e_", "f_")  # widget-key prefixes of a compare's runs (compare.MAX_RUNS)
_OWNERS: dict[str, tuple[str, LiveRunner, float]] = {}
_OWNERS_LOCK = threading.Lock()


def flash(level: str, text: str) -> None:
    """Queue a message ('error', 'warning', 'info', 'success') for the next render."""
    ss.setdefault("flashes", []).append((level, text))


def show_flashes() -> None:
    """Draw and clear queued messages."""
    for level, text in ss.pop("flashes", []):
        getattr(st, level)(text)


def experiment() -> Experiment:
    """The run the controls edit: the session's only experiment, or the chosen run of a compare."""
    return ss.experiments[min(ss.get("active_run", 0), len(ss.experiments) - 1)]


def session_runs(exp: Experiment | None = None) -> list[Experiment]:
    """Every run on the page (exp's compare), or [exp] for an experiment not in this session."""
    runs = ss.get("experiments") or []
    return runs if exp is None or any(r is exp for r in runs) else [exp]


def runs_from_url(params: dict[str, Any]) -> tuple[list[Run], str | None, str | None]:
    """The runs (and Lab experiment) a shared link describes, or the default with a message."""
    params = {k: v for k, v in params.items() if k != RUN_PARAM}
    try:
        runs, lab = compare.from_query(params)
    except SpecError as exc:
        return [Run(Spec())], None, (f"The link's settings could not be used ({exc}). "
                                     "Showing the default experiment instead.")
    message = None
    for i, run in enumerate(runs):
        spec, said = spec_from_url(run.spec.to_query())
        runs[i], message = Run(spec, run.label), message or said
    return runs, lab, message


def spec_from_url(params: dict[str, Any]) -> tuple[Spec, str | None]:
    """The spec a shared link describes, or the default with a message saying what was wrong."""
    params = {k: v for k, v in params.items() if k != RUN_PARAM}
    if not params:
        return Spec(), None
    try:
        spec = Spec.from_query(params)
    except SpecError as exc:
        return Spec(), f"The link's settings could not be used ({exc}). Showing the default experiment instead."
    if spec.dataset.name == CUSTOM:
        # The CSV's row count means nothing for circle (and may be more than it has): its natural size.
        try:
            fallback = spec.with_changes(dataset=replace(spec.dataset, name="circle", n_samples=None))
        except SpecError:
            fallback = Spec()
        return fallback, ("This link was made with uploaded CSV data, which a link cannot carry: "
                          "showing the circle dataset with the same network. Upload the CSV to continue.")
    return spec, None


def _mode() -> str:
    return os.environ.get("PLAYGROUND_WORKER", "process")


def warm_up_pool() -> None:
    """Start the trainer pool's processes now, in the background (they import torch for seconds
    while this page's own imports and widgets are done). Cheap once they run."""
    from playground.pool import get_pool

    get_pool(_mode()).warm_up()


def new_runner(spec: Spec, custom: CustomData | None = None) -> LiveRunner:
    """A runner in the trainer pool (or a thread when PLAYGROUND_WORKER=thread, as the app tests set)."""
    return LiveRunner(spec, custom, mode=_mode())


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _owner_active(run_id: str) -> bool:
    entry = _OWNERS.get(run_id)
    if entry is None:
        return False
    owner = entry[0]
    try:
        from streamlit.runtime import Runtime

        return Runtime.exists() and Runtime.instance().is_active_session(owner)
    except Exception:  # noqa: BLE001 - no runtime (bare mode): nobody else can own it
        return False


def _adopt(run_id: str | None, spec: Spec) -> LiveRunner | None:
    """The trainer a reloaded tab had, if it still exists, has this spec and nobody else uses it."""
    if not run_id:
        return None
    # A reload connects the new page at about the moment the old one disconnects: give the old
    # session a moment to be seen closing. A link copied into a second tab gets its own trainer.
    deadline = time.monotonic() + OWNER_WAIT
    while _owner_active(run_id):
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    try:
        runner = LiveRunner.attach(run_id)
    except Exception:  # noqa: BLE001 - a stale or foreign id is not an error: start afresh
        return None
    if runner is None or runner.spec != spec or runner.custom is not None:
        return None
    return runner


def init_session() -> None:
    """First run of a tab: the runs from the URL (or the default), their runners, widgets in sync."""
    if "experiments" in ss:
        for exp in ss.experiments:
            claim(exp)
        return
    params = st.query_params.to_dict()
    runs, lab, message = runs_from_url(params)
    run_ids = str(params.get(RUN_PARAM) or "").split(",")
    runners = [_adopt(run_ids[i] if i < len(run_ids) else None, run.spec) if message is None else None
               for i, run in enumerate(runs)]
    if None in runners:  # a compare is adopted whole or not at all: its runs train in lock-step
        runners = [None] * len(runs)
        try:
            runners = new_runners([run.spec for run in runs])
        except (SpecError, datasets.DatasetError, LanesExhausted) as exc:
            message = f"The link's experiment could not be built ({exc}). Showing the default experiment instead."
            runs, lab = [Run(Spec())], None
            runners = new_runners([Spec()])
    ss.experiments = [Experiment(run.spec, runner, prefix=RUN_PREFIXES[i], label=run.label)
                      for i, (run, runner) in enumerate(zip(runs, runners))]
    ss.active_run, ss.lab = 0, lab
    if message:
        flash("error", message)
    from playground.ui.controls import sync_widgets

    for exp in ss.experiments:
        sync_widgets(exp, exp.spec)
        claim(exp)
    write_url(experiment())


def new_runners(specs: list[Spec], custom: CustomData | None = None) -> list[LiveRunner]:
    """Runners for the runs of a compare, each on its own pool host where there are enough (the
    least loaded), trained in lock-step (one run: alone)."""
    runners = [new_runner(specs[0], custom)]
    try:
        for spec in specs[1:]:
            runners.append(LiveRunner(spec, custom, mode=_mode(), near=runners))
        lockstep(runners)
    except BaseException:
        for runner in runners:
            runner.close()
        raise
    return runners


def claim(exp: Experiment) -> None:
    """Note that this session draws exp's runner now (called on every run and live frame)."""
    run_id, session, now = exp.runner.id, _session_id(), time.monotonic()
    with _OWNERS_LOCK:
        for key in [k for k, (_, _, seen) in _OWNERS.items() if now - seen > KEEP_SECONDS]:
            del _OWNERS[key]  # long closed: let the runner go (its trainer is freed with it)
        if session:
            _OWNERS[run_id] = (session, exp.runner, now)


def frame_lock() -> threading.RLock:
    """The session's lock for a frame of the live views: held by the live fragment and by the
    board's feed (feed.py), whose threads would otherwise build frames at once."""
    return ss.setdefault("_frame_lock", threading.RLock())


def url_query(exp: Experiment) -> dict[str, str]:
    """The address bar's query: every run of exp's compare (playground.compare), the open Lab
    experiment, and the ids of their trainers (comma-separated)."""
    runs = session_runs(exp)
    query = compare.to_query([Run(r.spec, r.label) for r in runs], ss.get("lab"))
    query[RUN_PARAM] = ",".join(r.runner.id for r in runs)
    return query


def write_url(exp: Experiment) -> None:
    """Keep the address bar equal to the spec, so copying it shares the experiment.

    A change made inside the live fragment does not reach the browser's address bar this way
    (Streamlit sends query parameters with page runs), so the live board also carries the query
    and puts it in the address bar itself (live_board.js).
    """
    query = url_query(exp)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def redraw_only(*fragments: str) -> None:
    """From a widget callback: rerun only the named fragments (LIVE_FRAGMENT, DATA_FRAGMENT)
    instead of the whole page, for a control whose change shows in them alone (the learning rate,
    a dataset, a feature). While training played, the learning rate's click took p50 231-281 ms
    as a page run and 180-236 ms this way (bench --browser, two runs each).

    The page reruns instead when it may show more: a message waits (a refused change, whose
    widgets the page puts back), the page has several runs (the run picker's labels name what
    differs) or a Lab experiment, or the data are images or sequences (their selectors sit
    outside the fragments).
    """
    if (ss.get("flashes") or len(session_runs()) > 1 or ss.get("lab")
            or experiment().data.kind not in ("points", "curve")):
        st.rerun()
    ss[OUTSIDE_CLICK] = True
    st.rerun(scope=list(fragments))


def set_spec(exp: Experiment, spec: Spec, custom: CustomData | None | str = "keep", sync: bool = False) -> bool:
    """Adopt `spec` if it is valid and buildable; otherwise keep the old one and say why."""
    from playground.ui.controls import sync_widgets

    if custom == "keep":
        # Uploaded points go with "custom"; an uploaded text or series stays with its set.
        same_set = exp.custom is not None and exp.custom.task == "sequence" and spec.dataset.name == exp.spec.dataset.name
        custom = exp.custom if spec.dataset.name == CUSTOM or same_set else None
    old_spec = exp.spec
    try:
        spec.validate()
        exp.runner.apply_spec(spec, custom)
    except (SpecError, datasets.DatasetError, ValueError, TrainerLost) as exc:
        flash("error", f"That change was not applied: {exc}")
        sync_widgets(exp, old_spec)  # put the widgets back to what is really running
        return False
    exp.spec, exp.custom = spec, custom
    if sync:
        sync_widgets(exp, spec)
    write_url(exp)
    return True
