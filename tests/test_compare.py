"""Compare: the runs' link and config round-trip, the labels name what differs, and the pool
trains the runs of one compare in lock-step (same epoch count whenever they are looked at)."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from playground import compare
from playground.compare import Run
from playground.live import LiveRunner, lockstep
from playground.pool import Host, Pool
from playground.spec import LayerSpec, OptimizerSpec, Spec, SpecError

BASE = Spec()
ADAM = replace(BASE, optimizer=OptimizerSpec(name="adam", lr=0.01))
RELU = replace(BASE, layers=tuple(replace(layer, activation="relu") for layer in BASE.layers))
DEEP = replace(BASE, layers=(LayerSpec(units=8), LayerSpec(units=8), LayerSpec(units=8)),
               dataset=replace(BASE.dataset, n_samples=200))


def test_old_single_run_link_is_one_run():
    runs, lab = compare.from_query(BASE.to_query())
    assert runs == [Run(BASE)] and lab is None


def test_link_round_trips_every_run_and_writes_only_differences():
    runs = [Run(BASE, "SGD"), Run(ADAM), Run(DEEP), Run(BASE, "same again")]
    query = compare.to_query(runs, lab="optimisers")
    # Run 2 differs in the optimiser only: its name and lr, nothing else.
    assert {k for k in query if k.startswith("r2.")} == {"r2.optimizer.name", "r2.optimizer.lr"}
    assert query["r2.optimizer.name"] == "adam" and query["r4"] == ""
    # A field only run 3 has (n_samples is left out of run 1's link when None) is written for it.
    assert query["r3.dataset.n_samples"] == "200"
    assert compare.from_query(query) == (runs, "optimisers")
    # Streamlit hands query values as lists when repeated; the last one counts.
    assert compare.from_query({k: [v] for k, v in query.items()})[0] == runs


def test_a_field_run_one_has_and_a_variant_lacks_comes_back_as_none():
    runs = [Run(DEEP), Run(BASE)]
    query = compare.to_query(runs)
    assert query["r2.dataset.n_samples"] == "none"
    assert compare.from_query(query)[0] == runs


def test_config_round_trips_and_plain_spec_is_one_run():
    runs = [Run(BASE, "tanh"), Run(RELU, "relu")]
    text = compare.to_config(runs, lab="activation_functions")
    data = json.loads(text)
    assert [r["label"] for r in data["runs"]] == ["tanh", "relu"]
    assert data["runs"][1]["spec"]["layers"][0]["activation"] == "relu"
    assert compare.from_config(text) == (runs, "activation_functions")
    # One run without a label is the plain spec JSON the CLI and older versions read.
    assert compare.to_config([Run(BASE)]) == BASE.to_json()
    assert compare.from_config(BASE.to_json()) == ([Run(BASE)], None)


@pytest.mark.parametrize("query, path", [
    ({"r3": ""}, "r2"),                                   # a gap in the numbering
    ({"r7": ""}, "r7"),                                   # more than six runs
    ({"r2": "", "r2.optimizer.lr": "-1"}, "run 2: optimizer.lr"),
    ({"r1.optimizer.lr": "0.1"}, "r1.optimizer.lr"),     # run 1 is the link's own parameters
])
def test_bad_links_name_the_run_and_field(query, path):
    with pytest.raises(SpecError) as err:
        compare.from_query(query)
    assert err.value.path == path


def test_bad_config_names_the_run_and_field():
    bad = {"runs": [{"spec": BASE.to_dict()}, {"spec": {**BASE.to_dict(), "batch_size": 0}}]}
    with pytest.raises(SpecError) as err:
        compare.from_config(json.dumps(bad))
    assert err.value.path == "runs[1].batch_size"
    with pytest.raises(SpecError):
        compare.from_config(json.dumps({"runs": [{"spec": BASE.to_dict()}] * 7}))


def test_labels_name_what_differs():
    assert compare.labels([Run(BASE), Run(RELU)]) == ["activation tanh", "activation relu"]
    assert compare.labels([Run(BASE), Run(ADAM)]) == ["optimizer sgd, lr 0.03", "optimizer adam, lr 0.01"]
    assert compare.labels([Run(BASE), Run(BASE)]) == ["run 1", "run 2"]
    assert compare.labels([Run(BASE, "mine"), Run(DEEP)])[0] == "mine"
    assert compare.labels([Run(BASE), Run(DEEP)])[1] == "hidden 8-8-8, samples 200"
    # Per-layer values with repeats counted: the skip-connections lab's residual run.
    residual = replace(DEEP, layers=(DEEP.layers[0],) + tuple(replace(l, residual=True) for l in DEEP.layers[1:]))
    assert compare.labels([Run(DEEP), Run(residual)]) == ["residual no", "residual no, yes ×2"]


# -- lock-step in the host -------------------------------------------------------------------
SMALL = replace(BASE, dataset=replace(BASE.dataset, n_samples=60))


def test_host_trains_a_group_in_lockstep():
    host = Host()
    for rid, spec in (("a", SMALL), ("b", replace(SMALL, batch_size=2)), ("solo", SMALL)):
        assert host.command(rid, "create", (spec, None, 60.0))[0] == "ok"
    host.command("a", "join", ("g",))
    host.command("b", "join", ("g",))
    host.command("a", "step_epochs", (3,))     # a is ahead: b catches up in the first slice
    host.command("b", "play", ())              # play on one run plays the whole compare
    assert host.entries["a"].playing and host.entries["b"].playing and not host.entries["solo"].playing
    seen = []
    for _ in range(12):
        host.run_slice()
        seen.append((host.entries["a"].trainer.epoch, host.entries["b"].trainer.epoch))
    # b trains alone until it has caught up (a waits); from then on every slice ends level.
    level = next(i for i, (a, b) in enumerate(seen) if a == b)
    assert all(a == 3 for a, _ in seen[:level]) and all(a == b for a, b in seen[level:]), seen
    assert seen[-1][0] > 3 and host.entries["solo"].trainer.epoch == 0
    host.command("a", "pause", ())
    assert not host.entries["b"].playing


def test_runners_of_a_compare_go_to_different_hosts_and_stay_in_step():
    pool = Pool("thread", size=2)
    try:
        first = LiveRunner(SMALL, mode="thread", pool=pool)
        second = LiveRunner(replace(SMALL, seed=2), mode="thread", pool=pool, near=first)
        assert second._slot is not first._slot  # one core each (tests/test_lockstep.py: the lanes)
        lockstep([first, second])
        first.play()
        deadline = time.monotonic() + 60
        while first.status["epoch"] < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
            first.touch()
        first.pause()
        second.touch()
        assert first.status["epoch"] == second.status["epoch"] >= 5
    finally:
        pool.shutdown()


def _playing_pair() -> Host:
    """A host training runs "a" and "b" of one compare, three slices in."""
    host = Host()
    for rid in ("a", "b"):
        host.command(rid, "create", (SMALL, None, 60.0))
        host.command(rid, "join", ("g",))
    host.command("a", "play", ())
    for _ in range(3):
        host.run_slice()
    return host


def test_group_frame_takes_every_run_at_the_same_epoch():
    host = _playing_pair()
    kind, frames, _, _ = host.command("b", "group_frame", ({"resolution": 10},))
    assert kind == "ok" and [rid for rid, _, _, _ in frames] == ["a", "b"]
    epochs = [frame.header.epoch for _, frame, _, _ in frames]
    assert epochs[0] == epochs[1] == host.entries["a"].trainer.epoch > 0
    assert all(status["playing"] for _, _, status, _ in frames)
    assert [measured for _, _, _, measured in frames] == [None, None]


def _weights_sum(trainer) -> float:
    return float(sum(p.detach().sum() for p in trainer.model.parameters()))


def test_group_frame_measures_each_run_on_the_weights_of_its_frame():
    # A Lab verdict is measured in the frame's command: the same step count (no training in
    # between), and a measure that fails is reported for its run without losing the frames.
    host = _playing_pair()
    kind, frames, _, _ = host.command("a", "group_frame", ({"resolution": 10}, _weights_sum))
    assert kind == "ok"
    for rid, frame, status, (ok, value) in frames:
        trainer = host.entries[rid].trainer
        assert ok and value == _weights_sum(trainer) and status["step"] == frame.header.step == trainer.step_count
    kind, frames, _, _ = host.command("a", "group_frame", ({"resolution": 10}, _fails))
    assert kind == "ok" and len(frames) == 2
    assert all(measured == (False, "ValueError: no such measure") for _, _, _, measured in frames)


def _fails(trainer):
    raise ValueError("no such measure")


def test_play_until_pauses_the_compare_at_that_epoch():
    host = Host()
    for rid in ("a", "b", "solo"):
        host.command(rid, "create", (SMALL, None, 60.0))
    for rid in ("a", "b"):
        host.command(rid, "join", ("g",))
    host.command("a", "play", (3,))
    host.command("solo", "play", (2,))
    for _ in range(200):
        if not host.run_slice():
            break
    assert [host.entries[rid].trainer.epoch for rid in ("a", "b", "solo")] == [3, 3, 2]
    assert not any(e.playing for e in host.entries.values())


def test_cli_trains_every_run_of_a_compare_config(tmp_path, capsys):
    from playground.cli import main

    config = tmp_path / "compare.json"
    config.write_text(compare.to_config([Run(SMALL), Run(replace(SMALL, optimizer=OptimizerSpec(lr=0.3)))]))
    assert main(["train", "--config", str(config), "--epochs", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in out["runs"]] == ["lr 0.03", "lr 0.3"]
    assert all(r["epochs"] == 2 for r in out["runs"])
    config.write_text(json.dumps({"runs": [{"spec": {"batch_size": 0}}]}))
    assert main(["train", "--config", str(config)]) == 2
    assert "runs[0].batch_size" in capsys.readouterr().err


def test_the_overlay_draws_long_histories_thinned_keeping_the_first_and_last_epoch():
    from playground.viz.curves import CURVE_POINTS, thinned

    history = {"epoch": list(range(1, 2001)), "train_loss": [1 / e for e in range(1, 2001)]}
    short = thinned(history)
    assert len(short["epoch"]) <= CURVE_POINTS + 1
    assert short["epoch"][0] == 1 and short["epoch"][-1] == 2000
    assert all(loss == 1 / e for e, loss in zip(short["epoch"], short["train_loss"]))
    assert thinned({"epoch": [1, 2, 3]}) == {"epoch": [1, 2, 3]}


def test_a_bare_lab_link_opens_that_experiments_runs():
    """`?lab=memory` alone (typed, or shared by hand) opens the experiment, not the default net."""
    runs, lab = compare.from_query({"lab": "memory"})
    assert lab == "memory"
    assert [r.spec.layers[0].type for r in runs] == ["rnn", "lstm", "gru"]
    assert len({r.spec.dataset for r in runs}) == 1 and all(r.spec.seed == runs[0].spec.seed for r in runs)
    # An unknown name alone is refused, naming the experiments there are; with settings, the
    # link's runs open without a Lab panel.
    with pytest.raises(SpecError, match="no Lab experiment 'optimizers'.*optimisers"):
        compare.from_query({"lab": "optimizers"})
    assert compare.from_query({"lab": "nonsense", "optimizer.lr": "0.1"}) == \
        ([Run(replace(Spec(), optimizer=replace(Spec().optimizer, lr=0.1)))], None)
    assert compare.from_query({"lab": "memory", "optimizer.lr": "0.1"})[0][0].spec.optimizer.lr == 0.1


def test_held_frames_keep_only_charts_whose_picture_is_in_the_layout():
    """Between whole frames a 2-D run's network and output keep their traces (hover values; the
    maps and boundary are layout pictures), a 1-D fit keeps its network only, and a sequence run
    keeps nothing: its hidden state and gradient through time are traces, and stale traces under
    the new frame's axes drew a wrong picture."""
    import plotly.io as pio

    from playground.frame import take_frame
    from playground.presets import sequence_spec
    from playground.train import Trainer
    from playground.viz import compare as view

    grid = view.run_grid(2)
    curve = replace(BASE, dataset=replace(BASE.dataset, name="sine"), features=("x1",))
    for spec, kind, held in ((BASE, "points", {"network", "output"}), (curve, "curve", {"network"}),
                             (sequence_spec("recall"), "sequence", set())):
        trainer = Trainer(spec)
        frame = take_frame(trainer, {})
        assert frame.header.kind == kind
        whole = dict(zip(("network", "output"), view.run_figures(frame, trainer.data, grid)))
        parts = dict(zip(("network", "output"), view.run_figures(frame, trainer.data, grid, hold=True)))
        for part in ("network", "output"):
            sent, full = (pio.to_json({"data": f[part]["data"]}, validate=False) for f in (parts, whole))
            if part in held:  # stubs: the type and name the board compares, no data
                assert parts[part]["data"] == [{k: t[k] for k in ("type", "name", "visible") if t.get(k) is not None}
                                               for t in whole[part]["data"]], (kind, part)
            else:
                assert sent == full, (kind, part)
