"""Tests for playground.viz: figure structure, colour conventions and pure helpers."""

from __future__ import annotations

import base64
import io
import math
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

# without a conftest, pytest puts tests/ rather than the repo root on sys.path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import playground.viz as V  # noqa: E402
from playground.viz.colors import hex_to_rgb  # noqa: E402
from playground.viz.boundary import BG_OPACITY  # noqa: E402
from playground.viz.network import N_BINS, link_segments  # noqa: E402

ORANGE_RGB = hex_to_rgb(V.ORANGE)
BLUE_RGB = hex_to_rgb(V.BLUE)


def decode_png(uri: str) -> Image.Image:
    """Data URI → PIL image (asserting the prefix)."""
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    img = Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):])))
    assert img.format == "PNG"
    return img


def kinds(fig: go.Figure, kind: str) -> list:
    """Traces tagged with meta.kind == kind."""
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("kind") == kind]


# ---------------------------------------------------------------- module hygiene

def test_viz_does_not_import_streamlit_or_torch():
    import subprocess

    code = ("import sys, playground.viz; "
            "print(any(m.split('.')[0] in ('streamlit', 'torch') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_no_webgl_traces_and_uirevision_everywhere():
    rng = np.random.default_rng(0)
    g = np.linspace(-1, 1, 10)
    X = rng.uniform(-1, 1, (20, 2))
    y = (X[:, 0] > 0).astype(int)
    figs = [
        V.decision_boundary(g, g, rng.random((10, 10)), (X, y), (X, y), "classification", 2),
        V.curve_fit(g, g, (X, X[:, 0]), None),
        V.network_diagram(_layers([2, 3, 1]), [np.ones((3, 2)), np.ones((1, 3))]),
        V.neuron_map(g, g, rng.random((10, 10)), "n"),
        V.loss_curves({"epoch": [0, 1], "train_loss": [1.0, 0.5], "test_loss": [1.1, 0.6]}),
        V.gradient_bars(["a", "b"], [1.0, 0.1]),
        V.gradient_heatmap(["a", "b"], [0, 1], np.ones((2, 2))),
        V.activation_stats(["a"], [0.1], [0.2], [0.5]),
        V.image_grid(rng.random((3, 5, 5))),
        V.feature_maps(rng.random((4, 5, 5)), "conv1"),
        V.filters(rng.normal(size=(4, 1, 3, 3)), "conv1"),
        V.dense_activations(rng.normal(size=8), "fc"),
        V.attribution_overlay(rng.random((5, 5)), rng.normal(size=(5, 5)), "attr"),
        V.confusion_matrix(np.eye(3, dtype=int), ["a", "b", "c"]),
        V.misclassified_gallery(rng.random((2, 5, 5)), ["1", "2"], ["2", "1"], [0.9, 0.8]),
    ]
    for fig in figs:
        assert fig.layout.uirevision == "neural-playground"
        assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white, not the default
        assert all(t.type != "scattergl" for t in fig.data)
        # Every figure carries a title or at least one axis title / column heading.
        titled = bool(fig.layout.title.text) or bool(fig.layout.xaxis.title.text) \
            or bool(fig.layout.annotations)
        assert titled


def test_long_hex_colour_lists_skip_plotly_validation_but_not_checking():
    from playground.viz._common import make_figure

    colours = [V.ORANGE, V.BLUE] * 20
    fig = make_figure([dict(type="scatter", x=list(range(40)), y=list(range(40)), mode="markers",
                            marker=dict(color=colours, size=7))])
    assert list(fig.data[0].marker.color) == colours and fig.data[0].marker.size == 7
    assert fig.to_plotly_json()["data"][0]["marker"]["color"] == colours
    # Anything but '#rrggbb' strings goes through plotly's own validation as before.
    with pytest.raises(ValueError):
        make_figure([dict(type="scatter", x=[0] * 40, y=[0] * 40,
                          marker=dict(color=["#f59322"] * 39 + ["not a colour"]))])


# ---------------------------------------------------------------- colours

def test_to_rgb_image_maps_ends_and_zero():
    rgb = V.to_rgb_image(np.array([[-2.0, 0.0, 2.0]]), -2.0, 2.0)
    assert rgb.shape == (1, 3, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == ORANGE_RGB
    assert tuple(rgb[0, 2]) == BLUE_RGB
    assert all(c > 225 for c in rgb[0, 1])  # near white
    # Clipping beyond the range and NaN → neutral.
    rgb2 = V.to_rgb_image(np.array([[-10.0, 10.0, np.nan]]), -1, 1)
    assert tuple(rgb2[0, 0]) == ORANGE_RGB and tuple(rgb2[0, 1]) == BLUE_RGB
    assert tuple(rgb2[0, 2]) == tuple(rgb[0, 1])


def test_diverging_rgb_matches_to_rgb_image():
    from playground.viz.colors import diverging_rgb

    rng = np.random.default_rng(2)
    z = rng.normal(size=(40, 30)) * 2
    z[0, :5] = [np.nan, np.inf, -np.inf, 1e300, -1e300]
    want = V.to_rgb_image(z, -1.5, 1.5).astype(int)
    assert np.abs(diverging_rgb(z, -1.5, 1.5).astype(int) - want).max() <= 1
    z32 = z.copy()
    z32[0, 3:5] = [1e30, -1e30]  # float32 input: huge (finite) values clip to the ends too
    z32 = z32.astype(np.float32)
    assert np.abs(diverging_rgb(z32, -1.5, 1.5).astype(int) - want).max() <= 1
    assert tuple(diverging_rgb(np.array([[-9.0]]), -1, 1)[0, 0]) == ORANGE_RGB
    # At an opacity, the colour as seen over white.
    faded = diverging_rgb(np.array([[1.0]]), -1, 1, opacity=0.7)[0, 0].astype(float)
    np.testing.assert_allclose(faded, np.asarray(BLUE_RGB) * 0.7 + 255 * 0.3, atol=0.5)


def test_png_data_uri_roundtrip():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    img = decode_png(V.png_data_uri(rgb))
    assert img.size == (5, 7)
    np.testing.assert_array_equal(np.asarray(img.convert("RGB")), rgb)


def test_class_colors():
    assert V.class_colors(2) == [V.ORANGE, V.BLUE]
    assert len(set(V.class_colors(5))) == 5


# ---------------------------------------------------------------- network diagram

def _layers(sizes: list[int]) -> list[dict]:
    names = ["input"] + [f"hidden{i}" for i in range(1, len(sizes) - 1)] + ["output"]
    return [dict(name=n, labels=[f"{n}.{k}" for k in range(s)],
                 activation=None if n == "input" else "tanh")
            for n, s in zip(names, sizes)]


def _net_2_4_2_1():
    rng = np.random.default_rng(3)
    w = [rng.normal(size=(4, 2)), rng.normal(size=(2, 4)), rng.normal(size=(1, 2))]
    w[0][0, 0] = 5.0  # the unique largest |w|, positive
    w[1][1, 3] = -0.01  # a tiny negative weight
    return _layers([2, 4, 2, 1]), w


def _node_y(fig: go.Figure) -> dict[tuple[int, int], float]:
    nodes = kinds(fig, "nodes")
    assert len(nodes) == 1
    return {(int(c[0]), int(c[1])): float(yv) for c, yv in zip(nodes[0].customdata, nodes[0].y)}


def links(fig: go.Figure) -> list:
    """The link shapes (one SVG path per sign × |w| bucket), named "link+<bin>" / "link-<bin>"."""
    return [sh for sh in fig.layout.shapes if (sh.name or "").startswith("link")]


def _segments(shape) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) per link in a link shape's "M x0,y0 L x1,y1 …" path."""
    segs = link_segments(shape)
    assert all(len(s) == 4 for s in segs)
    assert shape.path.count("M") == shape.path.count("L") == len(segs)
    return segs


def _trace_with_link(fig, layer, src, dst):
    ypos = _node_y(fig)
    want = (layer, ypos[(layer, src)], layer + 1, ypos[(layer + 1, dst)])
    hits = [t for t in links(fig) if any(np.allclose(s, want, atol=0.01) for s in _segments(t))]
    assert len(hits) == 1
    return hits[0]


def test_network_nodes_have_customdata():
    layers, w = _net_2_4_2_1()
    fig = V.network_diagram(layers, w)
    ypos = _node_y(fig)
    assert len(ypos) == 9
    assert set(ypos) == {(0, 0), (0, 1)} | {(1, k) for k in range(4)} | {(2, 0), (2, 1), (3, 0)}
    # Hover names layer, neuron and activation.
    hover = kinds(fig, "nodes")[0].hovertext
    assert "hidden1.2" in hover[4] and "tanh" in hover[4]


def test_network_links_count_colour_and_width():
    layers, w = _net_2_4_2_1()
    fig = V.network_diagram(layers, w)
    shapes = links(fig)
    assert 1 <= len(shapes) <= 12
    assert not kinds(fig, "link")  # links are shapes, not traces
    assert sum(len(_segments(t)) for t in shapes) == 8 + 8 + 2
    pos = _trace_with_link(fig, 0, 0, 0)  # w[0][0, 0] = 5.0
    neg = _trace_with_link(fig, 1, 3, 1)  # w[1][1, 3] = -0.01
    assert pos.line.color == V.BLUE
    assert neg.line.color == V.ORANGE
    thickest = max(shapes, key=lambda t: t.line.width)
    assert thickest is pos
    assert neg.line.width < pos.line.width
    # Every link's colour matches its weight's sign.
    ypos = _node_y(fig)
    for t in shapes:
        for x0, y0, x1, y1 in _segments(t):
            i = int(round(x0))
            src = next(k for (li, k), yy in ypos.items() if li == i and abs(yy - y0) < 0.01)
            dst = next(k for (li, k), yy in ypos.items() if li == i + 1 and abs(yy - y1) < 0.01)
            assert (w[i][dst, src] >= 0) == (t.line.color == V.BLUE)


def test_network_links_are_the_same_twelve_shapes_whatever_the_weights():
    # The live board redraws a held network's link paths alone only while its shapes stay the
    # same list; a bucket that empties (all weights equal: one bucket) keeps its shape, empty.
    layers, w = _net_2_4_2_1()
    varied = links(V.network_diagram(layers, w))
    equal = links(V.network_diagram(layers, [np.full_like(x, 2.0) for x in w]))
    assert [s.name for s in varied] == [s.name for s in equal]
    assert sorted(s.name for s in varied) == sorted(f"link{sign}{b}" for sign in "+-" for b in range(N_BINS))
    filled = [s for s in equal if s.path]
    assert [s.name for s in filled] == [f"link+{N_BINS - 1}"] and len(_segments(filled[0])) == 8 + 8 + 2
    assert all(_segments(s) == [] for s in equal if not s.path)


def test_network_none_weights_and_bad_shape():
    layers, w = _net_2_4_2_1()
    fig = V.network_diagram(layers, [w[0], None, w[2]])
    assert sum(len(_segments(t)) for t in links(fig)) == 8 + 2
    with pytest.raises(ValueError):
        V.network_diagram(layers, [w[0].T, w[1], w[2]])


def _strip_pixel(fig, layer: int, y: float) -> tuple[int, int, int, int]:
    """RGBA of column `layer`'s thumbnail strip at plot-pixel height y, centre column
    (transparent outside the strip, which is cropped to its thumbnails)."""
    im = next(im for im in fig.layout.images if im.x == layer)
    rgba = np.asarray(decode_png(im.source).convert("RGBA"))
    scale = rgba.shape[0] / im.sizey  # strip pixels per plot pixel
    row = int((im.y - y) * scale)  # the strip's top edge is at im.y
    if not 0 <= row < rgba.shape[0]:
        return (0, 0, 0, 0)
    return tuple(int(c) for c in rgba[row, rgba.shape[1] // 2])


def test_network_maps_become_one_strip_per_column_and_selection():
    layers, w = _net_2_4_2_1()
    rng = np.random.default_rng(4)
    maps = [[rng.normal(size=(20, 20)) for _ in range(n)] for n in (2, 4, 2, 1)]
    fig = V.network_diagram(layers, w, maps=maps, selected=(1, 2))
    assert len(fig.layout.images) == 4  # one transparent strip per column, not one per node
    for im in fig.layout.images:
        decode_png(im.source)
        assert im.xref == "x" and im.yref == "y" and im.layer == "above"
    ypos = _node_y(fig)
    sel = kinds(fig, "selected")
    assert len(sel) == 1 and sel[0].x[0] == 1 and sel[0].y[0] == pytest.approx(ypos[(1, 2)])
    hover = kinds(fig, "nodes")[0].hovertext
    assert "mean" in hover[0] and "max" in hover[0]
    assert V.network_diagram(layers, w).layout.images == ()


def test_network_strip_shows_each_nodes_map_at_its_position():
    layers, w = _net_2_4_2_1()
    # Node k of column 1 is all +1 (blue) or all -1 (orange); the others alternate too.
    sign = lambda i, k: 1.0 if (i + k) % 2 == 0 else -1.0  # noqa: E731
    maps = [[np.full((21, 21), sign(i, k)) for k in range(n)] for i, n in enumerate((2, 4, 2, 1))]
    maps[2][1] = None  # a node without a map leaves its spot transparent
    fig = V.network_diagram(layers, w, maps=maps)
    for (i, k), y in _node_y(fig).items():
        r, g, b, a = _strip_pixel(fig, i, y)
        if maps[i][k] is None:
            assert a == 0
            continue
        assert a == 255
        assert (r, g, b) == (BLUE_RGB if sign(i, k) > 0 else ORANGE_RGB), (i, k)
    # Between two nodes of a column the strip is transparent (links show through).
    ypos = _node_y(fig)
    assert _strip_pixel(fig, 1, (ypos[(1, 0)] + ypos[(1, 1)]) / 2)[3] == 0


def test_network_thumbnail_is_the_map_upright():
    layers, w = _net_2_4_2_1()
    z = np.zeros((21, 21))
    z[-3:, :] = 1.0  # high x2 (last grid rows) is positive: blue at the top of the thumbnail
    z[:3, :] = -1.0
    maps = [[z, z], [z] * 4, [z] * 2, [z]]
    fig = V.network_diagram(layers, w, maps=maps, vmax=1.0)
    y = _node_y(fig)[(3, 0)]
    im = next(im for im in fig.layout.images if im.x == 3)
    half = (im.sizey - 2) / 2  # thumbnail half-size, frame excluded
    assert _strip_pixel(fig, 3, y + half - 1)[:3] == BLUE_RGB
    assert _strip_pixel(fig, 3, y - half + 1)[:3] == ORANGE_RGB


def test_network_links_thin_and_fade_where_a_small_chart_gives_each_little_room():
    sizes = [2] + [8] * 16 + [1]  # the skip-connections lab's net
    w = [np.full((sizes[i + 1], sizes[i]), 2.0) for i in range(len(sizes) - 1)]
    roomy = V.network_diagram(_layers(sizes), w, height=600, width=1400)
    cramped = V.network_diagram(_layers(sizes), w, height=200, width=175)  # a compare's run, 1440 px
    widest = lambda fig: max(sh.line.width for sh in links(fig))  # noqa: E731
    faintest = lambda fig: max(sh.opacity for sh in links(fig))  # noqa: E731
    assert widest(cramped) <= 0.25 * widest(roomy) and faintest(cramped) < 0.6 * faintest(roomy)
    assert sum(len(_segments(t)) for t in links(cramped)) == sum(x.size for x in w)  # every link is still drawn
    few = [np.full((4, 2), 2.0), np.full((1, 4), 2.0)]  # the default net at the same size: untouched
    assert widest(V.network_diagram(_layers([2, 4, 1]), few, height=200, width=175)) == \
        widest(V.network_diagram(_layers([2, 4, 1]), few, height=600, width=1400))


def test_network_wide_and_deep_stays_within_height_cap():
    sizes = [2] + [64] * 3 + [8] * 7 + [1]
    layers = _layers(sizes)
    rng = np.random.default_rng(5)
    w = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    maps = [[rng.normal(size=(20, 20)) for _ in range(n)] for n in sizes]
    fig = V.network_diagram(layers, w, maps=maps)
    assert 360 <= fig.layout.height <= 900
    assert len(links(fig)) <= 12
    assert sum(len(_segments(t)) for t in links(fig)) == sum(x.size for x in w)
    assert len(fig.layout.images) == len(sizes)
    # Thumbnails in 64-wide columns are smaller (narrower strips) than in 8-wide ones.
    size_of = {round(im.x): decode_png(im.source).size[0] for im in fig.layout.images}
    assert size_of[1] < size_of[5]
    small = V.network_diagram(_layers([2, 3, 1]), [np.ones((3, 2)), np.ones((1, 3))])
    assert small.layout.height == 360


# ---------------------------------------------------------------- decision boundary

def _toy():
    rng = np.random.default_rng(6)
    g = np.linspace(-6, 6, 25)
    xx, yy = np.meshgrid(g, g)
    z = 1 / (1 + np.exp(-xx))  # P(class 1) grows with x1
    X = rng.uniform(-6, 6, (40, 2))
    y = (X[:, 0] > 0).astype(int)
    return g, z, X, y


def decode_image(uri: str) -> np.ndarray:
    """PNG or JPEG data URI → (h, w, 3) uint8 array."""
    head, data = uri.split(",", 1)
    assert head in ("data:image/png;base64", "data:image/jpeg;base64")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def _background(fig: go.Figure) -> np.ndarray:
    """The map drawn under the points: one layout image covering the axis ranges exactly."""
    assert len(fig.layout.images) == 1
    im = fig.layout.images[0]
    assert (im.xref, im.yref, im.layer, im.sizing) == ("x", "y", "below", "stretch")
    assert (im.xanchor, im.yanchor) == ("left", "top")
    assert im.x == pytest.approx(fig.layout.xaxis.range[0])
    assert im.x + im.sizex == pytest.approx(fig.layout.xaxis.range[1])
    assert im.y == pytest.approx(fig.layout.yaxis.range[1])  # row 0 = top = largest x2
    assert im.y - im.sizey == pytest.approx(fig.layout.yaxis.range[0])
    return decode_image(im.source)


def _hover(fig: go.Figure):
    """The invisible, coarse hover heatmap over the background image."""
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 1 and heat[0].opacity == 0
    return heat[0]


def _faded(rgb: tuple[int, int, int]) -> np.ndarray:
    """A colour as seen under the map's opacity over white."""
    return np.asarray(rgb) * BG_OPACITY + 255 * (1 - BG_OPACITY)


def test_decision_boundary_binary():
    g, z, X, y = _toy()
    fig = V.decision_boundary(g, g, z, (X, y), None, "classification", 2)
    heat = _hover(fig)
    assert heat.zmin == 0 and heat.zmax == 1 and heat.showscale is not False
    assert heat.colorbar.title.text == "P(1)"
    assert "P(class 1)" in heat.hovertemplate
    # The hover grid samples the map: every hover cell holds z at its own centre.
    hx, hy, hz = (np.asarray(a, float) for a in (heat.x, heat.y, heat.z))
    for i in range(len(hy)):
        for j in range(len(hx)):
            nearest = z[np.argmin(abs(g - hy[i])), np.argmin(abs(g - hx[j]))]
            assert hz[i, j] == pytest.approx(nearest)
    img = _background(fig).astype(float)
    h, w, _ = img.shape
    assert w >= 200 and h == w  # fine enough that the browser barely rescales it
    # z grows with x1: orange at the left, blue at the right, the faded TF colours.
    np.testing.assert_allclose(img[h // 2, 1], _faded(ORANGE_RGB), atol=6)
    np.testing.assert_allclose(img[h // 2, -2], _faded(BLUE_RGB), atol=6)
    # Smooth: z varies gradually, so neighbouring pixels differ by little (no blocks).
    assert np.abs(np.diff(img[h // 2], axis=0)).max() < 12
    names = [t.name for t in fig.data]
    assert "train" in names and "test" not in names
    train = next(t for t in fig.data if t.name == "train" and t.x is not None and len(t.x) == 40)
    assert [c.lower() for c in train.marker.color] == [
        (V.BLUE if v else V.ORANGE) for v in y]
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.title.text == "x1" and fig.layout.yaxis.title.text == "x2"
    assert fig.layout.xaxis.range[0] <= -6 and fig.layout.xaxis.range[1] >= 6


def test_decision_boundary_image_is_upright():
    g, _, X, y = _toy()
    gx, gy = np.meshgrid(g, g)
    z = (gy > 0).astype(float)  # class 1 (blue) wherever x2 > 0
    img = _background(V.decision_boundary(g, g, z, (X, y), None, "classification", 2))
    h, w, _ = img.shape
    np.testing.assert_allclose(img[2, w // 2], _faded(BLUE_RGB), atol=6)  # top row = high x2
    np.testing.assert_allclose(img[-3, w // 2], _faded(ORANGE_RGB), atol=6)


def test_decision_boundary_test_points_and_discretize():
    g, z, X, y = _toy()
    fig = V.decision_boundary(g, g, z, (X, y), (X[:10], y[:10]), "classification", 2,
                              discretize=True)
    test_traces = [t for t in fig.data if t.name == "test" and t.x is not None
                   and len(t.x) == 10]
    assert len(test_traces) == 1
    train = next(t for t in fig.data if t.name == "train" and t.x is not None and len(t.x) == 40)
    assert test_traces[0].marker.line.color != train.marker.line.color  # distinguishable
    heat = _hover(fig)
    zz = np.asarray(heat.z, float)
    assert set(np.unique(zz)) <= {0.0, 1.0}
    assert heat.showscale is False
    # The thresholded map is crisp: exactly two colours, and lossless (PNG).
    assert fig.layout.images[0].source.startswith("data:image/png")
    img = _background(fig)
    colours = {tuple(c) for c in img.reshape(-1, 3)}
    assert colours == {tuple(np.round(_faded(ORANGE_RGB)).astype(int)),
                       tuple(np.round(_faded(BLUE_RGB)).astype(int))}
    # … and its boundary sits where z crosses 0.5 (x1 = 0 here: z = sigmoid(x1)).
    h, w, _ = img.shape
    row = img[h // 2]
    flip = np.nonzero(np.any(row[1:] != row[:-1], axis=1))[0]
    assert len(flip) == 1 and abs(flip[0] + 1 - w / 2) <= w / len(g)


def test_decision_boundary_multiclass_and_regression():
    g, z, X, _ = _toy()
    cls = np.clip((z * 3).astype(int), 0, 2)
    y3 = np.arange(40) % 3
    fig = V.decision_boundary(g, g, cls, (X, y3), None, "classification", 3, z_conf=z)
    heat = _hover(fig)
    # The integer part of the encoded z is the class index; hover names class and confidence.
    hx, hy, hz = (np.asarray(a, float) for a in (heat.x, heat.y, heat.z))
    jx = [int(np.argmin(abs(g - v))) for v in hx]
    iy = [int(np.argmin(abs(g - v))) for v in hy]
    np.testing.assert_array_equal(np.floor(hz), cls[np.ix_(iy, jx)])
    custom = np.asarray(heat.customdata, float)
    np.testing.assert_array_equal(custom[..., 0], cls[np.ix_(iy, jx)])
    np.testing.assert_allclose(custom[..., 1], z[np.ix_(iy, jx)])
    train = next(t for t in fig.data if t.name == "train" and t.x is not None and len(t.x) == 40)
    assert len(set(train.marker.color)) == 3
    # Background: each class's colour where it is predicted, lighter where less confident.
    img = _background(fig).astype(float)
    h, w, _ = img.shape
    palette = [np.asarray(hex_to_rgb(c), float) for c in V.class_colors(3)]
    left, right = img[h // 2, 1], img[h // 2, -2]  # class 0 (z ≈ 0) and class 2 (z ≈ 1)
    dist = lambda a, c: np.abs(a - _faded(tuple(c))).sum()  # noqa: E731
    assert min(range(3), key=lambda c: dist(left, palette[c])) == 0
    assert min(range(3), key=lambda c: dist(right, palette[c])) == 2

    zr = np.tanh(np.asarray(z) - 0.5)
    fig = V.decision_boundary(g, g, zr, (X, X[:, 0] / 6), None, "regression", 0)
    heat = _hover(fig)
    hx, hy, hz = (np.asarray(a, float) for a in (heat.x, heat.y, heat.z))
    jx = [int(np.argmin(abs(g - v))) for v in hx]
    iy = [int(np.argmin(abs(g - v))) for v in hy]
    np.testing.assert_allclose(hz, zr[np.ix_(iy, jx)])
    assert heat.zmin == -heat.zmax  # centred at 0
    assert heat.colorbar.title.text == "ŷ"
    img = _background(fig).astype(float)
    # zr < 0 on the left (orange side), > 0 on the right, at most ±0.46 of vmax = 1.
    assert img[img.shape[0] // 2, 1, 2] < img[img.shape[0] // 2, -2, 2]


def test_background_of_a_100_grid_builds_repeatedly():
    # Its speed is the benchmark's business (bench: the live loop); here, that it builds the same.
    g = np.linspace(-6, 6, 100)
    z = 1 / (1 + np.exp(-np.add.outer(g, g)))
    X = np.zeros((0, 2))
    first = V.decision_boundary(g, g, z, (X, np.zeros(0)), None, "classification", 2)
    again = V.decision_boundary(g, g, z, (X, np.zeros(0)), None, "classification", 2)
    assert first.layout.images[0].source == again.layout.images[0].source


def test_curve_fit():
    x = np.linspace(-1, 1, 50)
    X = np.c_[np.linspace(-1, 1, 9), np.zeros(9)]
    fig = V.curve_fit(x, np.sin(x), (X, X[:, 0] ** 2), (X[:3], X[:3, 0]))
    names = [t.name for t in fig.data]
    assert names.count("train") == 1 and names.count("test") == 1 and "network" in names
    line = fig.data[names.index("network")]
    np.testing.assert_allclose(np.asarray(line.y, float), np.sin(x))
    assert fig.layout.xaxis.title.text == "x1" and fig.layout.yaxis.title.text == "y"


def test_neuron_map_centred():
    g = np.linspace(-1, 1, 8)
    z = np.linspace(-0.2, 0.9, 64).reshape(8, 8)
    fig = V.neuron_map(g, g, z, "h1.0", train=(np.zeros((3, 2)), np.array([0, 1, 1])))
    heat = _hover(fig)
    np.testing.assert_allclose(np.asarray(heat.z, float), z)  # 8 cells: all of them
    assert heat.zmin == pytest.approx(-0.9) and heat.zmax == pytest.approx(0.9)
    assert fig.layout.title.text == "h1.0"
    img = _background(fig).astype(float)
    # z grows along rows (x2) to +0.9 = full blue at the top; -0.2 is pale orange at the bottom.
    np.testing.assert_allclose(img[1, -2], BLUE_RGB, atol=6)
    bottom = img[-2, 1]
    assert bottom[0] > bottom[2] and bottom.min() > 150


# ---------------------------------------------------------------- curves

def test_loss_curves_draw_a_long_history_thinned_with_its_latest_epoch():
    n = 1000  # what a History keeps at most
    hist = {"epoch": list(range(1, n + 1)), "train_loss": [1 / i for i in range(1, n + 1)],
            "test_loss": [2 / i for i in range(1, n + 1)]}
    fig = V.loss_curves(hist, task="regression")
    for trace in fig.data:
        assert 300 <= len(trace.x) <= 401
        assert trace.x[0] == 1 and trace.x[-1] == n  # the first and the latest epoch are drawn
    assert fig.data[0].y[-1] == 1 / n and fig.data[1].y[-1] == 2 / n
    assert list(fig.data[0].y) == [1 / e for e in fig.data[0].x]  # each point is its epoch's value


def test_loss_curves_with_gaps_and_spike():
    n = 20
    hist = {"epoch": list(range(n)), "step": list(range(0, 10 * n, 10)),
            "train_loss": [1 / (i + 1) for i in range(n)],
            "test_loss": [None] * 3 + [1.2 / (i + 1) for i in range(3, n)],
            "train_accuracy": [i / n for i in range(n)],
            "test_accuracy": [float("nan")] * 3 + [i / n for i in range(3, n)]}
    hist["train_loss"][10] = 1e9  # one blow-up must not flatten the rest
    fig = V.loss_curves(hist)
    names = [t.name for t in fig.data]
    assert names == ["train loss", "test loss", "train acc", "test acc"]
    assert fig.data[1].y[0] is None and fig.data[3].y[0] is None
    assert fig.layout.yaxis.range[1] < 100
    assert fig.layout.yaxis2.tickformat == ".0%"
    assert fig.layout.hovermode == "x unified"
    assert fig.layout.legend.orientation == "h"
    assert list(V.loss_curves(hist, x_key="step").data[0].x) == hist["step"]
    reg = V.loss_curves({k: hist[k] for k in ("epoch", "train_loss", "test_loss")},
                        task="regression")
    assert len(reg.data) == 2 and "yaxis2" not in reg.layout.to_plotly_json()
    assert len(V.loss_curves({}).data) == 0  # empty history → placeholder


def test_playing_curves_leave_the_epoch_axis_room_to_grow():
    import math

    from playground.viz.curves import NICE_ENDS, ROOM, growing_range

    for last in (1, 9, 95, 100, 137, 999, 1000, 12345):
        lo, hi = growing_range(0, last)
        assert lo == 0 and last * ROOM <= hi <= last * ROOM * 4 / 3  # the next round number up
        assert round(hi / 10 ** math.floor(math.log10(hi)), 9) in NICE_ENDS
    hist = {"epoch": list(range(1, 138)), "train_loss": [1 / i for i in range(1, 138)],
            "test_loss": [2 / i for i in range(1, 138)]}
    assert list(V.loss_curves(hist, playing=True).layout.xaxis.range) == [1, 200]
    assert V.loss_curves(hist).layout.xaxis.range is None  # paused: the axis fits the curve
    two = V.overlay_curves([hist, {**hist, "epoch": list(range(2, 139))}], ["a", "b"], "regression", playing=True)
    assert list(two.layout.xaxis.range) == [1, 200]


# ---------------------------------------------------------------- gradients

def test_flag_gradients():
    assert V.flag_gradients({"a": 1.0, "b": 1e-4, "c": 5e3}) == {"b": "vanished", "c": "exploded"}
    assert V.flag_gradients({"a": 1.0, "b": float("nan")}) == {"b": "exploded"}
    assert V.flag_gradients({"a": 1.0, "b": float("inf")}) == {"b": "exploded"}
    assert V.flag_gradients({"a": 1.0, "b": 0.0}) == {"b": "vanished"}
    assert V.flag_gradients({"a": 1.0, "b": 0.5}) == {}
    assert V.flag_gradients({"a": 1.0, "b": 0.05}, vanish_ratio=0.1) == {"b": "vanished"}


def test_gradient_bars():
    names = ["h1", "h2", "h3", "out"]
    norms = [1e-7, 0.5, 0.0, float("nan")]
    flags = V.flag_gradients(dict(zip(names, norms)))
    fig = V.gradient_bars(names, norms, flags)
    bar = fig.data[0]
    assert list(bar.y) == names
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "‖∂L/∂W‖₂ (log)"
    assert all(v > 0 and math.isfinite(v) for v in bar.x)  # 0/NaN drawn as stubs
    assert "0" in bar.text[2] and "nan" in bar.text[3]
    assert "vanished" in bar.text[0] and "exploded" in bar.text[3]
    colors = list(bar.marker.color)
    assert colors[0] != colors[1] and colors[3] != colors[1] and colors[0] != colors[3]
    assert fig.layout.yaxis.autorange == "reversed"  # input side on top


def test_gradient_heatmap_log10():
    norms = np.array([[1e-3, 1e-2, 0.0], [1.0, 10.0, np.nan]])
    fig = V.gradient_heatmap(["a", "b"], [0, 10, 20], norms)
    z = np.asarray(fig.data[0].z, float)
    np.testing.assert_allclose(z[:, :2], np.log10(norms[:, :2]))
    assert np.isnan(z[0, 2]) and np.isnan(z[1, 2])
    assert list(fig.data[0].y) == ["a", "b"] and fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "step"
    assert "log₁₀" in fig.data[0].colorbar.title.text


def test_activation_stats():
    fig = V.activation_stats(["h1", "h2"], [0.1, 0.5], [0.0, 0.2], [0.3, 1.5])
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter"]
    assert fig.data[2].yaxis == "y2"
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.barmode == "group"


# ---------------------------------------------------------------- images

def test_image_grid_tiles():
    rng = np.random.default_rng(7)
    imgs = rng.random((64, 1, 6, 5))
    titles = [f"t{i}" for i in range(64)]
    fig = V.image_grid(imgs, titles=titles, cols=8, title="grid")
    z = np.asarray(fig.data[0].z, float)
    assert np.isfinite(z).sum() == 64 * 6 * 5  # every tile, NaN gutters between
    assert [a.text for a in fig.layout.annotations] == titles
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # image convention
    # Hover text carries the tile title for each tile pixel.
    text = np.asarray(fig.data[0].text)
    assert set(text[np.isfinite(z)]) == set(titles)
    div = V.image_grid(rng.normal(size=(3, 4, 4)), colorscale="diverging")
    assert div.data[0].zmin == -div.data[0].zmax


def test_feature_maps_and_filters():
    rng = np.random.default_rng(8)
    fig = V.feature_maps(rng.random((40, 7, 7)), "conv2", max_channels=32)
    assert len(fig.layout.annotations) == 32 and fig.layout.annotations[0].text == "ch 0"
    assert "conv2" in fig.layout.title.text and "40×7×7" in fig.layout.title.text
    w = rng.normal(size=(6, 3, 3, 3))
    f1 = V.filters(w, "conv1", in_channel=2)
    assert len(f1.layout.annotations) == 6 and f1.data[0].zmin == -f1.data[0].zmax
    z = np.asarray(f1.data[0].z, float)
    # The tiles hold exactly input channel 2 of every filter (float32 in the figure).
    np.testing.assert_allclose(np.sort(z[~np.isnan(z)]), np.sort(w[:, 2].ravel()), rtol=1e-5)
    fm = V.filters(w, "conv1")
    assert "mean" in fm.layout.title.text


def test_dense_activations():
    p = np.array([0.1, 0.7, 0.2])
    fig = V.dense_activations(p, "output", ["cat", "dog", "cow"])
    assert list(fig.data[0].x) == ["cat", "dog", "cow"]
    assert fig.layout.yaxis.tickformat == ".0%"
    assert V.dense_activations(np.arange(100.0) - 50, "fc").data[0].type == "heatmap"


def test_attribution_overlay():
    rng = np.random.default_rng(9)
    fig = V.attribution_overlay(rng.random((8, 8)), rng.normal(size=(8, 8)), "saliency")
    assert len(fig.data) == 2
    assert fig.data[1].zmin == -fig.data[1].zmax
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]


def test_confusion_matrix():
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    fig = V.confusion_matrix(cm, ["a", "b", "c"])
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), cm)
    assert fig.layout.xaxis.title.text == "predicted" and fig.layout.yaxis.title.text == "true"
    assert fig.data[0].texttemplate == "%{z}"
    np.testing.assert_allclose(np.asarray(fig.data[0].customdata)[1], [0.2, 0.7, 0.1])
    assert "count" in fig.data[0].hovertemplate


def test_misclassified_gallery_titles():
    rng = np.random.default_rng(10)
    fig = V.misclassified_gallery(rng.random((2, 6, 6)), ["3", "1"], ["8", "7"], [0.97, 0.5])
    texts = [a.text.replace("<br>", " ") for a in fig.layout.annotations]
    assert texts == ["true 3 → 8 (97%)", "true 1 → 7 (50%)"]
    assert len(V.misclassified_gallery(np.zeros((0, 6, 6)), [], [], []).data) == 0


# ---------------------------------------------------------------- thumbnails

def test_dataset_thumbnail_size_and_colour():
    rng = np.random.default_rng(11)
    X = rng.uniform(-6, 6, (1000, 2))
    y = (X[:, 0] > 0).astype(int)
    img = decode_png(V.dataset_thumbnail(X, y, "classification", 2, size=64))
    assert img.size == (64, 64)
    arr = np.asarray(img.convert("RGBA")).astype(int)
    # Left half (x1 < 0) is dominated by orange, right half by blue.
    def near(px, ref):
        return (np.abs(px[..., :3] - np.array(ref)).sum(-1) < 60) & (px[..., 3] > 200)
    assert near(arr[:, :28], ORANGE_RGB).sum() > 10 * max(1, near(arr[:, :28], BLUE_RGB).sum())
    assert near(arr[:, 36:], BLUE_RGB).sum() > 10 * max(1, near(arr[:, 36:], ORANGE_RGB).sum())
    assert decode_png(V.dataset_thumbnail(X, X[:, 0], "regression", 0, size=32)).size == (32, 32)
    assert decode_png(V.dataset_thumbnail(X, y % 3, "classification", 3)).size == (64, 64)


def test_dataset_thumbnail_curve_sets_draw_y_against_x1():
    x1 = np.linspace(-6, 6, 200)
    X = np.c_[x1, np.zeros_like(x1)]  # 1-D set: x2 is constant
    img = np.asarray(decode_png(V.dataset_thumbnail(X, np.sin(x1), "regression", 1)))
    rows_used = np.nonzero(img[..., 3].max(axis=1) > 0)[0]
    assert rows_used.max() - rows_used.min() > 40  # spans the height, not one line of dots


def test_map_thumbnail():
    z = np.zeros((20, 20))
    z[0, :] = 1.0  # grid row 0 = lowest x2 → bottom row of the image
    img = decode_png(V.map_thumbnail(z, size=20))
    assert img.size == (20, 20)
    arr = np.asarray(img.convert("RGB"))
    assert tuple(arr[-1, 10]) == BLUE_RGB
    assert all(c > 225 for c in arr[0, 10])
    assert decode_png(V.map_thumbnail(z, vmax=2.0, size=48)).size == (48, 48)


def test_narrow_column_titles_shorten_layer_names():
    from playground.viz.network import _column_title

    assert _column_title({"name": "dense10", "activation": "relu"}, 64, 2) == "<b>D10</b><br>64<br>relu"
    assert _column_title({"name": "dense10", "activation": "relu"}, 64, 1) == "<b>dense10</b><br>64 relu"
    assert _column_title({"name": "input"}, 2, 2) == "<b>In</b><br>2<br>"
    assert _column_title({"name": "dense3", "activation": "sigmoid"}, 8, 2) == "<b>D3</b><br>8<br>σ"


def test_columns_too_narrow_for_a_title_are_numbered_and_summarised():
    # Ten 8-unit tanh layers drawn 175 px wide (a compare): 12 columns of ~10 px, where "tanh"
    # (~20 px at 10 px type) ran into its neighbours. Each shown title is then at most 3
    # characters, shown titles are at least 16 px apart, and one line says the layers.
    layers = [{"name": "input", "labels": ["x1", "x2"]}]
    layers += [{"name": f"dense{i}", "labels": list("abcdefgh"), "activation": "tanh"} for i in range(1, 11)]
    layers += [{"name": "output", "labels": ["y"], "activation": "sigmoid"}]
    counts = [2] + [8] * 10 + [1]
    weights = [np.ones((counts[i + 1], counts[i])) for i in range(11)]
    fig = V.network_diagram(layers, weights, height=220, width=175)
    titles = [a for a in fig.layout.annotations if a.yref == "paper" and a.xref == "x"]
    spacing = (175 - 48 - 8) / 12  # px per column: the plot's width (input labels take 48 px)
    assert all(len(a.text) <= 3 for a in titles) and titles[0].text == "In" and titles[-1].text == "Out"
    xs = [a.x for a in titles]
    assert min(b - a for a, b in zip(xs, xs[1:])) * spacing >= 16
    assert [a.text for a in fig.layout.annotations if a.name == "hidden summary"] == ["hidden: 10 × 8 tanh"]
    # Without a known width the diagram titles its columns as before.
    assert "tanh" in V.network_diagram(layers, weights, height=220).layout.annotations[1].text


# ---------------------------------------------------------------- what each map holds

def _columns_with_values():
    layers = _layers([3, 4, 2, 1])
    for layer, values in zip(layers, ("feature", "activation", "activation", "probability")):
        layer["values"] = values
    layers[-1]["labels"] = ["P(1)"]
    return layers


def test_output_probability_maps_are_drawn_on_0_to_1_with_white_at_half():
    layers, w = _columns_with_values(), None
    rng = np.random.default_rng(7)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=(1, 2))]
    p_half, p_one = np.full((21, 21), 0.5), np.full((21, 21), 1.0)
    maps = [[rng.normal(size=(21, 21)) for _ in range(3)], [np.full((21, 21), -0.3)] * 4,
            [np.full((21, 21), 0.2)] * 2, [p_half]]
    fig = V.network_diagram(layers, w, maps=maps)
    y_out = _node_y(fig)[(3, 0)]
    assert _strip_pixel(fig, 3, y_out)[:3] == hex_to_rgb(V.WHITE)  # P = 0.5 is white, not pale blue
    maps[3] = [p_one]
    assert _strip_pixel(V.network_diagram(layers, w, maps=maps), 3, y_out)[:3] == BLUE_RGB
    hover = kinds(fig, "nodes")[0].hovertext
    out_hover = hover[-1]
    assert "P(1) over the plane" in out_hover and "min 0.5" in out_hover and "white 0.5" in out_hover
    assert "-0.667" not in out_hover and "orange 0 " in out_hover
    # Hidden units: activation, white at 0 (one symmetric range for the column).
    assert "activation over the plane" in hover[3] and "white 0 " in hover[3]
    assert "value over the plane" in hover[0]


def test_every_input_gets_its_label():
    layers = _columns_with_values()
    layers[0]["labels"] = ["x₁", "x₂", "sin(x₁)"]
    fig = V.network_diagram(layers, [None, None, None])
    labels = [a.text for a in fig.layout.annotations if a.name == "input label"]
    assert labels == ["x₁", "x₂", "sin(x₁)"]
    ypos = _node_y(fig)
    assert [a.y for a in fig.layout.annotations if a.name == "input label"] == [ypos[(0, k)] for k in range(3)]


def test_neuron_map_of_a_probability_and_of_a_prediction():
    g = np.linspace(-1, 1, 8)
    p = np.linspace(0.1, 0.6, 64).reshape(8, 8)
    fig = V.neuron_map(g, g, p, "P(1)", values="probability")
    heat = _hover(fig)
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert heat.colorbar.title.text == "P(class)" and "probability" in heat.hovertemplate
    reg = V.neuron_map(g, g, p - 0.2, "ŷ", values="prediction")
    assert _hover(reg).colorbar.title.text == "ŷ" and _hover(reg).zmin == -_hover(reg).zmax


def test_gradient_bars_show_preclip_beside_clipped():
    names = ["h1", "h2"]
    fig = V.gradient_bars(names, [0.3, 0.4], {"h2": "exploded"}, preclip=[3e3, 4e3])
    assert [t.name for t in fig.data] == ["before clipping", "after clipping"]
    assert list(fig.data[0].x) == [3e3, 4e3] and list(fig.data[1].x) == [0.3, 0.4]
    assert "exploded" in fig.data[0].text[1] and "exploded" not in fig.data[0].text[0]
    assert fig.layout.barmode == "group" and fig.layout.showlegend


def test_activation_gradient_bars():
    fig = V.activation_gradient_bars(["dense1", "dense2"], [0.02, 0.0])
    bar = fig.data[0]
    assert list(bar.y) == ["dense1", "dense2"] and fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "‖∂L/∂a‖₂ (log)"
    assert bar.x[0] == 0.02 and "0" == bar.text[1] and bar.x[1] > 0  # 0 drawn as a labelled stub
    assert len(V.activation_gradient_bars([], []).data) == 0


def test_flag_gradients_when_every_gradient_is_zero():
    assert V.flag_gradients({"a": 0.0, "b": 0.0}) == {}  # no reference: said in the warnings instead
    assert V.flag_gradients({"a": 0.0, "b": float("inf")}) == {"b": "exploded"}
