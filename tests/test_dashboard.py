"""The live frame's figures from real snapshots, for every kind of 2-D problem."""
from dataclasses import replace

import pytest

from playground.probes import snapshot
from playground.spec import DatasetSpec, LayerSpec, Spec
from playground.train import Trainer
from playground.viz.dashboard import build_figures, gradient_views


@pytest.mark.parametrize("dataset, features", [("circle", ("x1", "x2")), ("blobs", ("x1", "x2")),
                                               ("plane", ("x1", "x2")), ("sine", ("x1", "sin_x1"))])
def test_every_figure_builds_from_a_real_snapshot(dataset, features):
    trainer = Trainer(replace(Spec(), dataset=DatasetSpec(dataset), features=features,
                              layers=(LayerSpec(units=5), LayerSpec(units=3))))
    trainer.train_epochs(2)
    figures = build_figures(trainer.data, snapshot(trainer, detail=(1, 0)), show_test=True, selected=(1, 0))
    assert set(figures) == {"network", "output", "curves", "gradient_bars", "gradient_heatmap",
                            "activation_stats", "neuron"}
    nodes = [t for t in figures["network"].data if (t.meta or {}).get("kind") == "nodes"]
    assert len(nodes) == 1 and len(nodes[0].customdata) == len(features) + 5 + 3 + trainer.data.n_outputs


def test_no_gradient_is_flagged_before_the_first_step():
    trainer = Trainer(Spec())
    _, _, flags = gradient_views(snapshot(trainer))
    assert flags == {}
    spec = replace(Spec(), init="normal", layers=tuple(LayerSpec(units=8, activation="sigmoid") for _ in range(8)))
    deep = Trainer(spec)
    deep.train_steps(5)
    _, _, flags = gradient_views(snapshot(deep))
    assert flags.get("dense1") == "vanished"  # eight sigmoid layers: the first barely learns


def test_unvalidated_live_figures_equal_validated_ones(monkeypatch):
    """The app skips plotly's validation for speed; the figures must come out the same."""
    import json

    import playground.viz._common as common

    trainer = Trainer(replace(Spec(), dataset=DatasetSpec("blobs"), features=("x1", "x2", "x1_x2")))
    trainer.train_epochs(2)
    snap = snapshot(trainer, detail=(1, 1))
    figures = {}
    for validate in (True, False):
        monkeypatch.setattr(common, "VALIDATE", validate)
        built = build_figures(trainer.data, snap, show_test=True, selected=(1, 1))
        figures[validate] = {name: json.loads(fig.to_json()) for name, fig in built.items()}
    from plotly.colors import get_colorscale

    def normalise(obj):
        # Validation expands a named colorscale ("Viridis") into its list; plotly.js does the same.
        if isinstance(obj, dict):
            return {k: ([[round(float(a), 6), b.lower()] for a, b in get_colorscale(v)] if k == "colorscale" and
                        isinstance(v, str) else normalise(v)) for k, v in obj.items()}
        if isinstance(obj, list):
            if obj and all(isinstance(x, list) and len(x) == 2 and isinstance(x[1], str) for x in obj):
                return [[round(float(a), 6), b.lower()] for a, b in obj]
            return [normalise(x) for x in obj]
        return obj

    assert figures[True].keys() == figures[False].keys()
    for name in figures[True]:
        assert normalise(figures[True][name]["data"]) == normalise(figures[False][name]["data"]), name
        assert normalise(figures[True][name]["layout"]) == normalise(figures[False][name]["layout"]), name
