"""App tests of Compare and the Lab (AppTest, thread-mode trainers, training driven by Step).
The Lab's experiments come from playground.lab (the lab engine)."""
from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from board import table

from playground import compare
from playground.compare import Run
from playground.spec import OptimizerSpec, Spec

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def lab():
    """The lab engine's registry module."""
    return importlib.import_module("playground.lab")


def _close(at) -> None:
    for exp in at.session_state["experiments"]:
        exp.runner.close()


@pytest.fixture
def at():
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, app.exception
    yield app
    assert not app.exception, app.exception
    _close(app)


def _runs(at):
    return at.session_state["experiments"]


def test_compare_adds_a_variant_that_keeps_data_and_seeds(at):
    at.button(key="step").click().run()
    at.button(key="compare_add").click().run()
    first, variant = _runs(at)
    assert variant.spec == first.spec and variant.prefix != first.prefix
    # Same data and seeds: the same training points, and the same initial weights.
    assert (variant.data.raw_train == first.data.raw_train).all() and (variant.data.y_test == first.data.y_test).all()
    a, b = _trainer(first).model.state_dict(), _trainer(variant).model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    # One compare in lock-step, each run on its own pool host (core) where the pool has two.
    assert variant.runner._group is first.runner._group is not None
    assert first.runner._pool.size == 1 or variant.runner._slot is not first.runner._slot
    assert first.runner.status["epoch"] == variant.runner.status["epoch"] == 0  # restarted together
    at.button(key="step").click().run()  # Step acts on every run
    assert first.runner.status["epoch"] == variant.runner.status["epoch"] == 1
    # The controls now edit the variant (its own widget keys): change its optimiser only.
    at.selectbox(key=f"{variant.prefix}lr").set_value(0.3).run()
    assert variant.spec.optimizer.lr == 0.3 and first.spec.optimizer.lr == 0.03
    assert variant.spec.dataset == first.spec.dataset and variant.spec.seed == first.spec.seed
    shown = table(at)  # the table names what differs, and each run's figures at its epoch
    assert shown["lr"] == ["0.03", "0.3"] and shown["epoch"] == ["1", "1"], shown
    assert not at.error


def test_url_round_trips_every_run(at):
    at.button(key="compare_add").click().run()
    at.selectbox(key="b_lr").set_value(0.3).run()
    query = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert query["r2.optimizer.lr"] == "0.3" and len(query["run"].split(",")) == 2
    runs, _ = compare.from_query({k: v for k, v in query.items() if k != "run"})
    assert [r.spec for r in runs] == [r.spec for r in _runs(at)]
    # Opening the link in a new tab reproduces both runs.
    other = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        if key != "run":
            other.query_params[key] = value
    other.run()
    try:
        assert not other.exception, other.exception
        assert [e.spec for e in _runs(other)] == [r.spec for r in runs]
        assert _runs(other)[1].spec.optimizer.lr == 0.3
    finally:
        _close(other)


def test_old_single_run_link_still_opens_one_run():
    spec = replace(Spec(), optimizer=OptimizerSpec(name="adam", lr=0.01))
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in spec.to_query().items():
        app.query_params[key] = value
    app.run()
    try:
        assert not app.exception and len(_runs(app)) == 1 and _runs(app)[0].spec == spec
    finally:
        _close(app)


def test_opening_a_lab_experiment_sets_up_its_runs(lab, at):
    name, experiment = next(iter(lab.EXPERIMENTS.items()))
    at.button(key=f"lab_open_{name}").click().run()
    runs = _runs(at)
    assert [(r.spec, r.label) for r in runs] == [(run.spec, run.label) for run in experiment.runs]
    assert runs[0].runner._group is not None and len({id(r.runner._group) for r in runs}) == 1  # one compare
    assert len({id(r.runner._slot) for r in runs}) == min(len(runs), runs[0].runner._pool.size)  # spread over hosts
    assert any(experiment.theory in m.value for m in at.markdown)
    at.button(key="step").click().run()
    verdict = next(i.value for i in at.info if "Verdict" in i.value)
    expected = experiment.verdict([experiment.measure(_trainer(r)) for r in runs])
    assert expected in verdict
    query = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert query["lab"] == name and query["r2.label"] == experiment.runs[1].label
    if experiment.try_next:
        title, change = experiment.try_next[0]
        at.button(key="lab_try_0").click().run()
        assert [r.spec for r in _runs(at)] == [change(run.spec) for run in experiment.runs]


def _trainer(run):
    """The trainer of a thread-mode runner (the same object the pool host trains)."""
    slot = run.runner._slot
    return slot.host.entries[run.runner.id].trainer


def test_a_lab_experiment_the_server_cannot_train_in_lock_step_says_why_and_keeps_the_page(lab, at, monkeypatch):
    from playground.lockstep import Blocks, LanesExhausted

    def full(self, n):
        raise LanesExhausted("the server trains 300 compares in lock-step, which takes all 4096 of its lanes")

    before = _runs(at)
    monkeypatch.setattr(Blocks, "allocate", full)
    name = next(iter(lab.EXPERIMENTS))
    at.button(key=f"lab_open_{name}").click().run()
    assert not at.exception
    assert any("could not be opened" in e.value and "4096 of its lanes" in e.value for e in at.error)
    assert _runs(at) == before and at.session_state["lab"] is None  # the page's run is kept, untouched
    assert before[0].runner.status["step"] == 0 and not before[0].runner._closed


def test_removing_a_run_the_server_cannot_regroup_says_why_and_keeps_every_run(at, monkeypatch):
    from playground.lockstep import Blocks, LanesExhausted

    at.button(key="compare_add").click().run()
    at.button(key="compare_add").click().run()
    before = _runs(at)
    assert len(before) == 3

    def full(self, n):
        raise LanesExhausted("the server trains 300 compares in lock-step, which takes all 4096 of its lanes")

    monkeypatch.setattr(Blocks, "allocate", full)
    at.button(key="remove_run").click().run()
    assert not at.exception
    assert any("was not removed" in e.value and "4096 of its lanes" in e.value for e in at.error)
    assert _runs(at) == before and not any(r.runner._closed for r in before)
    assert len({id(r.runner._group) for r in before}) == 1  # still one compare, in lock-step
    monkeypatch.undo()
    at.button(key="remove_run").click().run()  # with lanes free again, it goes
    assert len(_runs(at)) == 2 and not at.exception
