"""The Lab: a list of experiments, one per concept of deep-learning theory, each opened as a
compare of its runs, with its theory, a measured verdict that updates while it trains, and
"try this next" changes.

The experiments are data in playground.lab.EXPERIMENTS (the lab engine); this module only
draws them: the menu, the theory and the buttons (outside the live fragment), and the
verdict (inside it: each run's exp.measure is called where its trainer lives, then
exp.verdict turns the measurements into one sentence).
"""
from __future__ import annotations

import time
from typing import Any, Callable

import streamlit as st

from playground.compare import Run
from playground.experiment import Experiment
from playground.ui.state import flash, session_runs, ss

VERDICT_ERROR = "The verdict could not be measured on these runs ({error})."
VERDICT_SECONDS = 1.0  # while playing, the verdict is measured again at least this often
THEORY_CHARS = 330     # a theory longer than this (about two lines at 1440 px) scrolls in THEORY_PX
THEORY_PX = 84
VIEWS_EVERY = 12    # frames between two refreshes of the extra views while playing (3 s)
# Extra views that take about a second per run in the trainer's process (a 30×30 loss landscape,
# attributions): measured only while paused, so that they do not hold the lock-step training up.
PAUSED_ONLY = {"loss_landscape", "attributions", "top_images", "feature_maps", "filters_before_after"}


def registry() -> dict[str, Any]:
    """playground.lab.EXPERIMENTS, in the Lab's order ({} where the lab engine is not installed)."""
    try:
        from playground.lab import EXPERIMENTS
    except ImportError:  # the lab engine (playground/lab.py) is a separate module: the app runs without it
        return {}
    return EXPERIMENTS


def current() -> Any | None:
    """The open Lab experiment, if any."""
    name = ss.get("lab")
    return registry().get(name) if name else None


def open_lab(name: str) -> None:
    """Set up a Lab experiment's runs as a compare (fresh trainers, the runs' own labels)."""
    from playground.ui.compare import open_runs

    exp = registry().get(name)
    if exp is None:
        flash("error", f"There is no Lab experiment called {name!r}.")
        return
    if not open_runs([Run(run.spec, run.label) for run in exp.runs], lab=name):
        return
    ss.pop("_lab_verdict", None)
    ss.lab_changes = []


def view_registry() -> tuple[dict[str, Any], dict[str, Any]]:
    """(playground.lab.VIEW_DATA, playground.viz.lab.FIGURES): each extra view's data function (run
    where the trainer lives) and its figures, by the names in LabExperiment.views; empty without them."""
    try:
        from playground.lab import VIEW_DATA
        from playground.viz.lab import FIGURES
    except ImportError:
        return {}, {}
    return VIEW_DATA, FIGURES


def _try_next(title: str, change) -> None:
    """A "try this next" button: the same change made to every run, which restart together."""
    from playground.ui.compare import open_runs

    runs = session_runs()
    try:
        changed = [Run(change(r.spec), r.label) for r in runs]
        for run in changed:
            run.spec.validate()
    except Exception as exc:  # noqa: BLE001 - a suggestion that does not apply here is said, not raised
        flash("error", f"“{title}” could not be applied: {exc}")
        return
    if not open_runs(changed, lab=ss.get("lab"), custom=runs[0].custom):
        return
    ss.pop("_lab_verdict", None)
    ss.lab_changes = [*ss.get("lab_changes", []), title]


def _close() -> None:
    ss.lab = None
    ss.pop("_lab_verdict", None)


def render_lab_menu() -> None:
    """The toolbar's Lab menu: every experiment by title; a click opens it."""
    experiments = registry()
    if not experiments:
        st.caption("The Lab's experiments (playground/lab.py) are not installed.")
        return
    st.caption("One concept of deep-learning theory per experiment: its runs side by side, what the theory "
               "predicts, and a verdict measured while they train.")
    for name, exp in experiments.items():
        st.button(exp.title, key=f"lab_open_{name}", on_click=open_lab, args=(name,), width="stretch",
                  type="primary" if ss.get("lab") == name else "secondary")


def render_lab_panel() -> None:
    """The open experiment's title, theory and "try this next" buttons (above the live views)."""
    exp = current()
    if exp is None:
        return
    budget = (f"press Play: it trains {exp.epochs:,} epochs, then pauses for the verdict" if exp.epochs
              else "step it with +1 batch")
    with st.container(key="lab_panel", border=True):
        # One row: the title, the "try this next" changes and Close; the theory under it.
        head = st.container(horizontal=True, vertical_alignment="center", gap="small")
        head.markdown(f"**Lab · {exp.title}** — {budget}.")
        for i, (title, change) in enumerate(exp.try_next):
            head.button(title, key=f"lab_try_{i}", on_click=_try_next, args=(title, change), width="content",
                        icon=":material/arrow_forward:", help="Try this next: the same change in every run.")
        head.button("Close", key="lab_close", on_click=_close, icon=":material/close:", width="content")
        changes = ss.get("lab_changes") or []
        text = exp.theory + (f"  \n*Changed from the experiment: {'; '.join(changes)}.*" if changes else "")
        if len(text) <= THEORY_CHARS:
            st.markdown(text)
        else:
            # A long theory scrolls in three lines' height: in full it pushed a compare's second row
            # of runs off a 900-px screen.
            with st.container(height=THEORY_PX, border=False, key="lab_theory"):
                st.markdown(text)


def play_until(runners: list) -> int | None:
    """The epoch at which Play pauses: the open experiment's budget while the runs are below it
    (the verdict is calibrated for it); None otherwise (Play again trains on)."""
    exp = current()
    if exp is None or not exp.epochs:
        return None
    epochs = max(runner.status.get("epoch", 0) for runner in runners)
    return exp.epochs if epochs < exp.epochs else None


def measure_runs(exp: Any, runs: list[Experiment]) -> str:
    """exp.measure on every run's trainer (where it lives), then exp.verdict: one sentence."""
    try:
        measurements = [run.runner.call(exp.measure) for run in runs]
        return str(exp.verdict(measurements))
    except Exception as exc:  # noqa: BLE001 - a verdict that fails must not take the views down
        return VERDICT_ERROR.format(error=f"{type(exc).__name__}: {exc}")


def verdict_text(exp: Any, measured: list[tuple[bool, Any]]) -> str:
    """exp.verdict of the runs' measurements taken with their frames ((ok, value) per run)."""
    failed = next((value for ok, value in measured if not ok), None)
    if failed is not None:
        return VERDICT_ERROR.format(error=failed)
    try:
        return str(exp.verdict([value for _, value in measured]))
    except Exception as exc:  # noqa: BLE001 - a verdict that fails must not take the views down
        return VERDICT_ERROR.format(error=f"{type(exc).__name__}: {exc}")


def verdict_measure(slow: bool) -> Callable[[Any], Any] | None:
    """The open experiment's measure when its verdict is due: on a slow frame, or VERDICT_SECONDS
    after the last measurement (frames come slower than four a second on a loaded machine, and a
    frame count alone then left the verdict several seconds behind the views). None otherwise."""
    exp = current()
    if exp is None:
        return None
    cached = ss.get("_lab_verdict")
    due = slow or cached is None or cached[0] != ss.lab or time.monotonic() - cached[3] >= VERDICT_SECONDS
    return exp.measure if due else None


def render_verdict(runs: list[Experiment], slow: bool, measured: list[tuple[bool, Any]] | None = None,
                   epoch: int | None = None) -> None:
    """The measured verdict, inside the live fragment. A compare passes `measured`, taken with
    the frame the views draw (the same weights, at `epoch`); a single run is measured here when
    due (see verdict_measure), a few milliseconds of training after its frame."""
    exp = current()
    if exp is None:
        return
    cached = ss.get("_lab_verdict")
    if measured is not None:
        cached = ss["_lab_verdict"] = (ss.lab, verdict_text(exp, measured), epoch, time.monotonic())
    elif epoch is None and verdict_measure(slow) is not None:
        text = measure_runs(exp, runs)
        epoch = runs[0].runner.status.get("epoch", 0)
        cached = ss["_lab_verdict"] = (ss.lab, text, epoch, time.monotonic())
    _, text, measured_at, _ = cached
    budget = "" if not exp.epochs else " (budget reached)" if measured_at >= exp.epochs else f" (of {exp.epochs:,})"
    st.info(f"**Verdict** at epoch {measured_at:,}{budget}: {text}", icon=":material/science:")


def render_views(runs: list[Experiment], labels: list[str], frame_count: int) -> None:
    """The open experiment's extra views (LabExperiment.views), drawn from every run's data; they
    refresh every VIEWS_EVERY frames while playing (heavy ones only while paused)."""
    exp = current()
    if exp is None or not exp.views:
        return  # no Lab experiment open: nothing to import or draw on this frame
    data_of, figures_of = view_registry()
    names = [n for n in exp.views if n in data_of and n in figures_of]
    if not names:
        return
    playing = any(run.runner.playing for run in runs)
    cache = ss.setdefault("_lab_views", {})
    for name in names:
        due = not playing or (frame_count % VIEWS_EVERY == 0 and name not in PAUSED_ONLY)
        key = (ss.lab, name, tuple(run.runner.id for run in runs))
        if due or cache.get(name, (None,))[0] != key:
            try:
                figures = figures_of[name]([(label, run.runner.call(data_of[name]))
                                            for label, run in zip(labels, runs)])
                cache[name] = (key, figures, None)
            except Exception as exc:  # noqa: BLE001 - one view failing must not take the others down
                cache[name] = (key, [], f"{name}: {type(exc).__name__}: {exc}")
    figures = [fig for name in names for fig in cache[name][1]]
    for name in names:
        if cache[name][2]:
            st.caption(f"A view could not be drawn ({cache[name][2]}).")
    for start in range(0, len(figures), 3):
        for i, (column, fig) in enumerate(zip(st.columns(3, gap="small"), figures[start:start + 3]), start):
            column.plotly_chart(fig, config={"displayModeBar": False}, key=f"lab_view_{i}")
