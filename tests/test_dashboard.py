"""The live frame's figures from real frames, for every kind of 2-D problem."""
from dataclasses import replace

import pytest

from playground.frame import take_frame
from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec
from playground.train import Trainer
from playground.viz.dashboard import activation_gradient_view, build_figures, gradient_views, selected_map


@pytest.mark.parametrize("dataset, features", [("circle", ("x1", "x2")), ("blobs", ("x1", "x2")),
                                               ("plane", ("x1", "x2")), ("sine", ("x1", "sin_x1"))])
def test_every_figure_builds_from_a_real_snapshot(dataset, features):
    trainer = Trainer(replace(Spec(), dataset=DatasetSpec(dataset), features=features,
                              layers=(LayerSpec(units=5), LayerSpec(units=3))))
    trainer.train_epochs(2)
    figures = build_figures(trainer.data, take_frame(trainer, detail=(1, 0)), show_test=True, selected=(1, 0))
    assert set(figures) == {"network", "output", "curves", "gradient_bars", "gradient_heatmap",
                            "activation_gradients", "activation_stats", "neuron"}
    nodes = [t for t in figures["network"].data if (t.meta or {}).get("kind") == "nodes"]
    assert len(nodes) == 1 and len(nodes[0].customdata) == len(features) + 5 + 3 + trainer.data.n_outputs


def test_no_gradient_is_flagged_before_the_first_step():
    trainer = Trainer(Spec())
    _, _, flags = gradient_views(take_frame(trainer))
    assert flags == {}
    spec = replace(Spec(), init="normal", layers=tuple(LayerSpec(units=8, activation="sigmoid") for _ in range(8)))
    deep = Trainer(spec)
    deep.train_steps(5)
    bars, _, flags = gradient_views(take_frame(deep))
    assert flags.get("dense1") == "vanished"  # eight sigmoid layers: the first barely learns
    assert "vanished" in bars.data[0].text[0]


def test_unvalidated_live_figures_equal_validated_ones(monkeypatch):
    """The app skips plotly's validation for speed; the figures must come out the same."""
    import json

    import playground.viz._common as common

    trainer = Trainer(replace(Spec(), dataset=DatasetSpec("blobs"), features=("x1", "x2", "x1_x2")))
    trainer.train_epochs(2)
    frame = take_frame(trainer, detail=(1, 1))
    figures = {}
    for validate in (True, False):
        monkeypatch.setattr(common, "VALIDATE", validate)
        built = build_figures(trainer.data, frame, show_test=True, selected=(1, 1))
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


def test_gradient_bars_after_one_step_and_with_clipping():
    trainer = Trainer(Spec())
    trainer.train_steps(1)  # inside the first epoch: the bars are this step's, not zeros
    bars, _, flags = gradient_views(take_frame(trainer))
    assert flags == {} and len(bars.data) == 1
    assert all(v > 0 for v in bars.data[0].x) and not any("vanished" in t for t in bars.data[0].text)
    clipped = Trainer(replace(Spec(), init="normal", grad_clip=0.01))
    clipped.train_steps(1)
    frame = take_frame(clipped)
    bars, _, _ = gradient_views(frame)
    assert [t.name for t in bars.data] == ["before clipping", "after clipping"]
    h = frame.header
    assert list(bars.data[0].x) == pytest.approx([h.grad_norms_preclip[n] for n in h.grad_norms])
    assert list(bars.data[1].x) == pytest.approx(list(h.grad_norms.values()))


def test_exploded_bars_and_activation_gradient_view():
    spec = replace(Spec(), dataset=DatasetSpec("plane"), init="normal", optimizer=OptimizerSpec(lr=10.0),
                   layers=tuple(LayerSpec(units=8, activation="relu") for _ in range(4)))
    trainer = Trainer(spec)
    trainer.train_steps(25)
    frame = take_frame(trainer)
    bars, _, flags = gradient_views(frame)
    assert flags and set(flags.values()) == {"exploded"}
    assert all("exploded" in t for t in bars.data[0].text)
    fig = activation_gradient_view(frame)
    assert list(fig.data[0].y) == list(frame.header.activation_grad_norms)


def test_selected_output_map_is_a_probability():
    trainer = Trainer(Spec())
    frame = take_frame(trainer, resolution=20, detail=(3, 0))
    fig = selected_map(frame, trainer.data)
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert (heat.zmin, heat.zmax) == (0.0, 1.0) and "probability" in fig.layout.title.text
