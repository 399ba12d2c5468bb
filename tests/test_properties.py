"""Property-based tests (hypothesis): generated specs, links, configs and CSV files either work or are
refused with a SpecError / DatasetError, in the engine, the CLI and the app.

Derandomized (the same examples every run) and few, so the suite stays fast and a failure
reproduces; the hostile inputs issue 8 found are kept by name in test_hostile_inputs.py.
"""
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datasets
from playground.layers import KINDS, LAYER_TYPES
from playground.spec import Spec, SpecError

FEW = settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
VERY_FEW = settings(max_examples=6, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
# Not the downloadable sets: a generated spec must not start a download.
NAMES = [n for n in datasets.names() if n not in ("mnist", "fashion_mnist")]

# -- building blocks ---------------------------------------------------------------------------
odd_numbers = st.sampled_from([0, 1, -1, 2, 0.5, 0.999, 2**31 - 1, 2**31, 2**64, 1e30, 1e308, -0.0, 0.1, 0.9])
anything = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                    max_size=3), max_leaves=8)
number = st.one_of(odd_numbers, st.integers(-5, 300), st.floats(-2, 2), anything)


def _layer() -> st.SearchStrategy:
    fields = {name: number for kind in KINDS.values() for name in kind.field_names}
    fields["activation"] = st.sampled_from(["relu", "tanh", "linear", "nope"]) | anything
    return st.fixed_dictionaries({"type": st.sampled_from(LAYER_TYPES) | anything},
                                 optional={k: fields[k] for k in ("units", "channels", "kernel", "stride", "padding",
                                                                  "activation", "dropout", "batch_norm", "rate")})


spec_dicts = st.fixed_dictionaries({}, optional={
    "dataset": st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(NAMES + ["custom", "nope"]), "noise": number, "train_ratio": number,
        "n_samples": st.one_of(st.none(), st.integers(0, 2500), odd_numbers), "seed": number, "classes": number,
        "normalize": st.sampled_from(["standard", "none", "x"])}) | anything,
    "features": st.lists(st.sampled_from(["x1", "x2", "x1_x2", "sin_x1", "nope"]), max_size=4) | anything,
    "layers": st.lists(_layer(), max_size=4) | anything,
    "optimizer": st.fixed_dictionaries({}, optional={"name": st.sampled_from(["sgd", "adam", "x"]), "lr": number,
                                                     "momentum": number, "nesterov": number}),
    "batch_size": number, "seed": number, "grad_clip": number, "loss": st.sampled_from(["auto", "mse", "x"]),
    "init": st.sampled_from(["xavier_uniform", "zeros", "x"]),
})


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy, share: int = 4) -> st.SearchStrategy:
    """`usual` about share/(share+1) of the time, else `odd` (hypothesis's one_of does not weight)."""
    return st.integers(0, share).flatmap(lambda i: usual if i < share else odd)


def _query_of(data: dict) -> dict[str, str]:
    """A generated dict as link parameters, the way a person might mangle one."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                out[f"{key}.{sub}"] = v if isinstance(v, str) else json.dumps(v)
        else:
            out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


query_keys = st.sampled_from(list(Spec().to_query()) + ["seed.x", "layers.0", "dataset", "dataset.foo", "foo",
                                                        "loss.kind", "features.x", "grad_clip.x", "run"])
query_values = st.one_of(st.text(max_size=12), st.sampled_from(["none", "nan", "inf", "-1", "1e308", "[" * 50,
                                                                "9" * 60, "[{}]", '[{"type":[1]}]', "true"]),
                         odd_numbers.map(str))
# A valid link with one or two values changed: mostly still valid, so both outcomes are exercised.
edited_links = st.builds(lambda edits: {**Spec().to_query(), **edits},
                         st.dictionaries(st.sampled_from(list(Spec().to_query())),
                                         st.one_of(odd_numbers.map(str), st.sampled_from(
                                             ["spiral", "xor", "sine", "digits", "relu", "adam", "x1", "none"])),
                                         max_size=2))
queries = mostly(edited_links, st.dictionaries(query_keys, query_values, max_size=5) | spec_dicts.map(_query_of), 2)


def _works_or_refused(make):
    """make() returns a Spec, or raises SpecError (anything else fails the test)."""
    try:
        return make()
    except SpecError as exc:
        assert str(exc) and len(str(exc)) < 600
        return None


# -- the engine --------------------------------------------------------------------------------

@FEW
@given(queries)
def test_a_generated_link_works_or_is_refused(params):
    spec = _works_or_refused(lambda: Spec.from_query({k: v for k, v in params.items() if k != "run"}))
    if spec is not None:
        assert Spec.from_query(spec.to_query()) == spec


@FEW
@given(spec_dicts)
def test_a_generated_config_works_or_is_refused(data):
    spec = _works_or_refused(lambda: Spec.from_json(json.dumps(data)))
    if spec is not None:
        assert Spec.from_dict(spec.to_dict()) == spec


valid_spec_dicts = spec_dicts.filter(lambda d: _works_or_refused(lambda: Spec.from_dict(d)) is not None)


@VERY_FEW
@given(valid_spec_dicts)
def test_a_valid_generated_spec_trains_or_is_refused(data):
    """Validation is not the last word: a valid spec builds and trains, or says why it cannot."""
    from playground.train import Trainer

    spec = Spec.from_dict(data)
    try:
        trainer = Trainer(spec, datasets_csv() if spec.dataset.name == "custom" else None)
    except (SpecError, datasets.DatasetError):
        return
    trainer.train_steps(2)
    assert trainer.step_count == 2 or trainer.diverged


def datasets_csv():
    from playground.data import CustomData

    X, y, task = datasets.load_points_csv("x1,x2,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n2,2,1\n")
    return CustomData(X, y, task)


bad_cells = st.one_of(st.floats().map(str), st.text(max_size=4), st.sampled_from(["", "nan", "1e999", '"', "a,b"]))
numbers = mostly(st.floats(-1e6, 1e6).map(str) | st.integers(-3, 3).map(str), bad_cells, 20)
labels = mostly(st.sampled_from(["0", "1", "2", "-1"]), st.floats(-1, 1).map(str) | bad_cells, 20)
headers = mostly(st.sampled_from([["x1", "x2", "label"], ["x1", "x2", "target"], ["X1", "x2", "label", "note"]]),
                 st.lists(st.sampled_from(["x1", "x2", "label", "target", "other", ""]), min_size=1, max_size=4))
csv_texts = st.builds(
    lambda header, rows, sep: sep.join(header) + "\n" + "\n".join(sep.join(r) for r in rows),
    headers, st.lists(st.tuples(numbers, numbers, labels), min_size=3, max_size=12), st.sampled_from([",", ";", "\t"]))


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.one_of(csv_texts, st.binary(max_size=60)))
def test_a_generated_csv_loads_or_is_refused(data):
    try:
        X, y, task = datasets.load_points_csv(data)
    except datasets.DatasetError as exc:
        assert str(exc)
        return
    assert X.shape == (len(y), 2) and task in ("classification", "regression")
    assert (abs(X) < float("inf")).all()


# -- the CLI and the app -----------------------------------------------------------------------

@VERY_FEW
@given(mostly(valid_spec_dicts, spec_dicts, 1))
def test_the_cli_trains_a_generated_config_or_exits_2_in_one_line(data):
    import contextlib
    import io

    from playground.cli import main

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.json"
        path.write_text(json.dumps(data))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["train", "--config", str(path), "--steps", "2"])
    if status == 2:
        assert out.getvalue() == "" and len(err.getvalue().strip().splitlines()) == 1
    else:
        assert status == 0
        json.loads(out.getvalue(), parse_constant=lambda name: 1 / 0)  # strict JSON: no NaN, no Infinity


@settings(max_examples=5, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(queries)
def test_the_app_opens_a_generated_link_or_says_why(params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    exp = at.session_state["experiments"][0]
    try:
        assert not at.exception, at.exception
        wanted = _works_or_refused(lambda: Spec.from_query({k: v for k, v in params.items() if k != "run"}))
        if wanted is None:
            assert exp.spec == Spec() and any("default experiment" in e.value for e in at.error)
        elif not at.error:
            assert exp.spec == wanted
    finally:
        exp.runner.close()


assert os.environ.get("PLAYGROUND_WORKER") == "thread"  # conftest: app tests train in a thread
