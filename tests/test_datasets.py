"""Tests of the dataset registry and every built-in generator except the downloaded IDX sets."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np
import pytest

# without a conftest, pytest puts tests/ rather than the repo root on sys.path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datasets  # noqa: E402
from datasets import DatasetError, DatasetInfo, get, names  # noqa: E402
from datasets import curves, shapes, tf_playground, toy2d  # noqa: E402

DOWNLOADED = {"mnist", "fashion_mnist"}
LOCAL = [name for name in names() if name not in DOWNLOADED and get(name).kind != "sequence"]  # sequences: test_sequence_data.py
TF_TWO_CLASS = ["circle", "xor", "gaussian", "spiral"]
CURVES = {"sine": np.sin, "step": curves.step_target, "abs": curves.abs_target, "poly": curves.poly_target}


def gen(name: str, n: int = 500, noise: float = 0.0, seed: int = 0, **options):
    """Generate from the registry with a fresh seeded generator."""
    return get(name).generate(n, noise, np.random.default_rng(seed), **options)


# ---------------------------------------------------------------- registry


def test_registry_has_the_promised_sets_in_order():
    expected = [
        "circle", "xor", "gaussian", "spiral", "moons", "blobs", "plane", "multi_gaussian",
        "sine", "step", "abs", "poly", "digits", "shapes", "mnist", "fashion_mnist",
        "recall", "adding", "brackets", "forecast", "text",
    ]  # fmt: skip
    assert names() == expected
    assert list(datasets.REGISTRY) == expected
    assert all(isinstance(info, DatasetInfo) and info.name == key for key, info in datasets.REGISTRY.items())


def test_names_filters_by_kind_and_task():
    assert names("curve") == ["sine", "step", "abs", "poly"]
    assert names("image") == ["digits", "shapes", "mnist", "fashion_mnist"]
    assert names("points", "regression") == ["plane", "multi_gaussian"]
    assert names(task="classification") == TF_TWO_CLASS + ["moons", "blobs", "digits", "shapes", "mnist", "fashion_mnist",
                                                          "recall", "brackets", "text"]
    assert names("sequence") == ["recall", "adding", "brackets", "forecast", "text"]
    with pytest.raises(DatasetError, match="unknown kind 'pointz'"):
        names("pointz")
    with pytest.raises(DatasetError, match="unknown task"):
        names(task="clustering")


def test_get_unknown_name_lists_the_choices():
    with pytest.raises(DatasetError) as err:
        get("foo")
    assert str(err.value).startswith("unknown dataset 'foo'; choose one of: circle, xor, gaussian,")
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("name", names())
def test_info_is_consistent(name):
    info = get(name)
    assert info.title and info.description.endswith(".")
    assert 1 <= info.default_n <= info.max_n
    if info.task == "regression":
        assert info.n_classes == 1
    else:
        assert info.n_classes >= 2
    if info.class_names:
        assert len(info.class_names) == info.n_classes
    assert (info.image_shape is not None) == (info.kind == "image")


def test_published_options():
    assert get("blobs").options == ("classes",) and get("blobs").n_classes == 3
    assert get("mnist").options == ("data_dir",) == get("fashion_mnist").options
    assert get("digits").class_names == tuple("0123456789")
    assert get("shapes").class_names[:4] == ("circle", "square", "triangle", "cross")
    assert get("fashion_mnist").class_names[0] == "T-shirt/top" and get("fashion_mnist").class_names[-1] == "Ankle boot"
    assert get("mnist").image_shape == (28, 28) and get("digits").image_shape == (8, 8)


# ---------------------------------------------------------------- every local generator


@pytest.mark.parametrize("name", LOCAL)
@pytest.mark.parametrize("n", [7, 100])
def test_shape_dtype_and_exact_n(name, n):
    info = get(name)
    X, y = gen(name, n, noise=0.3)
    assert X.dtype == np.float32 and len(X) == len(y) == n
    assert np.isfinite(X).all() and np.isfinite(y).all()
    if info.kind == "image":
        assert X.shape == (n, 1, *info.image_shape)
        assert X.min() >= 0 and X.max() <= 1
    else:
        assert X.shape == (n, 2)
    if info.task == "classification":
        assert y.dtype == np.int64 and y.shape == (n,)
        assert y.min() >= 0 and y.max() < info.n_classes
    else:
        assert y.dtype == np.float32 and y.shape == (n,)
    if info.kind == "curve":
        assert (X[:, 1] == 0).all() and np.abs(X[:, 0]).max() <= 6


@pytest.mark.parametrize("name", LOCAL)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    X1, y1 = gen(name, 200, noise=0.3, seed=5)
    X2, y2 = gen(name, 200, noise=0.3, seed=5)
    X3, _ = gen(name, 200, noise=0.3, seed=6)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_generators_leave_global_random_state_alone():
    np.random.seed(1234)
    random.seed(1234)
    np_state, py_state = np.random.get_state(), random.getstate()
    for name in LOCAL:
        gen(name, 50, noise=0.2)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(np_state, after))
    assert random.getstate() == py_state


@pytest.mark.parametrize("name, n", [(name, n) for name in ["circle", "gaussian", "spiral", "moons", "blobs", "shapes"] for n in (101, 1000)])
def test_balanced_classes(name, n):
    _, y = gen(name, n, noise=0.0)
    k = get(name).n_classes
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and np.abs(counts - n / k).max() <= 1


@pytest.mark.parametrize("bad_n", [0, -3, 2.5, True, "100"])
def test_bad_sample_count_is_rejected(bad_n):
    with pytest.raises(DatasetError, match="number of samples"):
        get("circle").generate(bad_n, 0.0, np.random.default_rng(0))


@pytest.mark.parametrize("bad_noise", [-0.1, float("nan"), float("inf"), "lots"])
def test_bad_noise_is_rejected(bad_noise):
    with pytest.raises(DatasetError, match="noise"):
        get("xor").generate(10, bad_noise, np.random.default_rng(0))


def test_noise_does_not_move_the_clean_points():
    # the clean coordinates are drawn before the noise, so the noise slider only flips labels
    for name in ["circle", "xor", "plane", "multi_gaussian"]:
        X0, _ = gen(name, 300, noise=0.0, seed=9)
        X1, _ = gen(name, 300, noise=0.5, seed=9)
        np.testing.assert_array_equal(X0, X1)


# ---------------------------------------------------------------- defining properties, TF Playground sets


def test_circle_noise_free_disc_and_ring():
    X, y = gen("circle", 1001, noise=0.0)
    r = np.hypot(X[:, 0].astype(np.float64), X[:, 1])
    assert (r[y == 1] < 2.5).all()
    assert ((r[y == 0] >= 3.5 - 1e-5) & (r[y == 0] <= 5 + 1e-5)).all()
    assert np.bincount(y).tolist() == [500, 501]


def test_circle_noise_flips_labels_but_not_points():
    X, y = gen("circle", 2000, noise=0.5)
    r = np.hypot(X[:, 0], X[:, 1])
    # points stay in the disc or the ring (TF stores the clean point) ...
    assert ((r < 2.5) | ((r >= 3.5 - 1e-5) & (r <= 5 + 1e-5))).all()
    # ... but the label comes from the noisy point, so some disagree with the radius
    disagree = np.mean((r < 2.5) != (y == 1))
    assert 0.05 < disagree < 0.5


def test_xor_noise_free_quadrants_and_padding():
    X, y = gen("xor", 2000, noise=0.0)
    x1, x2 = X[:, 0].astype(np.float64), X[:, 1].astype(np.float64)
    np.testing.assert_array_equal(y, (x1 * x2 >= 0).astype(np.int64))
    assert np.abs(X).min() >= 0.3 - 1e-6 and np.abs(X).max() <= 5.3 + 1e-6
    assert 0.4 < y.mean() < 0.6  # four quadrants of equal area


def test_xor_noise_makes_some_labels_disagree():
    X, y = gen("xor", 2000, noise=0.5)
    assert 0.05 < np.mean(y != (X[:, 0] * X[:, 1] >= 0)) < 0.5


def test_gaussian_means_and_spread():
    X, y = gen("gaussian", 4000, noise=0.0)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    assert abs(X[y == 1].std() - np.sqrt(0.5)) < 0.05  # TF: variance 0.5 at noise 0
    X, y = gen("gaussian", 4000, noise=0.5)
    assert abs(X[y == 1].std() - 2.0) < 0.1  # variance 4 at noise 0.5


@pytest.mark.parametrize("n", [200, 201])
def test_spiral_radius_grows_linearly_with_index(n):
    X, y = gen("spiral", n, noise=0.0)
    n_pos = n - n // 2
    i = np.concatenate([np.arange(n_pos), np.arange(n // 2)])
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), i / (n / 2) * 5, rtol=1e-6, atol=1e-6)
    assert (y[:n_pos] == 1).all() and (y[n_pos:] == 0).all()
    # the second arm is the first one turned by pi
    np.testing.assert_allclose(X[n_pos : n_pos + n // 2], -X[: n // 2], atol=1e-5)


def test_spiral_noise_jitters_within_one_unit_per_coordinate():
    clean, _ = gen("spiral", 500, noise=0.0)
    noisy, _ = gen("spiral", 500, noise=0.5)
    delta = np.abs(noisy - clean)
    assert delta.max() <= 0.5 + 1e-5 and delta.max() > 0.4


def test_plane_target():
    X, y = gen("plane", 1000, noise=0.0)
    np.testing.assert_allclose(y, (X[:, 0].astype(np.float64) + X[:, 1]) / 10, atol=1e-6)
    assert np.abs(X).max() <= 6 and np.abs(y).max() <= 1.2
    _, y_noisy = gen("plane", 1000, noise=0.5)
    assert np.abs(y_noisy - y).max() > 0.3


def test_multi_gaussian_label_function():
    label = tf_playground.regress_gaussian_label
    assert label(-4.0, 2.5) == 1.0
    assert label(0.0, 2.5) == -1.0
    assert label(4.0, -2.5) == -1.0
    assert label(0.0, 0.0) == 0.0  # 2.5 from the nearest centre, outside every bump
    assert label(-4.0, 3.5) == pytest.approx(0.5)
    np.testing.assert_allclose(label(np.array([-4.0, 0.0]), np.array([-1.5, -1.5])), [-0.5, 0.5])


def test_multi_gaussian_generator_uses_the_label_function():
    X, y = gen("multi_gaussian", 2000, noise=0.0)
    np.testing.assert_allclose(y, tf_playground.regress_gaussian_label(X[:, 0], X[:, 1]), atol=1e-6)
    assert y.min() < -0.8 and y.max() > 0.8 and np.mean(y == 0) > 0.3


# ---------------------------------------------------------------- moons and blobs


def test_moons_are_two_half_circles_in_the_plane():
    X, y = gen("moons", 1000, noise=0.0)
    s = toy2d.MOONS_SCALE
    outer_center = (np.array([0.0, 0.0]) - toy2d.MOONS_CENTER) * s
    inner_center = (np.array([1.0, 0.5]) - toy2d.MOONS_CENTER) * s
    np.testing.assert_allclose(np.linalg.norm(X[y == 0] - outer_center, axis=1), s, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - inner_center, axis=1), s, rtol=1e-5)
    assert np.abs(X[:, 0]).max() <= 5 + 1e-4 and np.abs(X[:, 1]).max() <= 2.5 + 1e-4
    noisy, _ = gen("moons", 1000, noise=0.5)
    assert np.abs(noisy - X).mean() > 0.5  # the same seed, visibly scattered


@pytest.mark.parametrize("classes", [2, 5, 8])
def test_blobs_classes_option_and_centres(classes):
    X, y = gen("blobs", 4000, noise=0.0, classes=classes)
    assert sorted(set(y.tolist())) == list(range(classes))
    centers = toy2d.blob_centers(classes)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 3.5)
    for k in range(classes):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.1)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1


def test_blobs_spread_grows_with_noise():
    X0, y0 = gen("blobs", 3000, noise=0.0)
    X1, y1 = gen("blobs", 3000, noise=0.5)
    assert X1[y1 == 0].std() > 2 * X0[y0 == 0].std()


@pytest.mark.parametrize("classes", [1, 9, 2.0, "3"])
def test_blobs_rejects_bad_class_counts(classes):
    with pytest.raises(DatasetError, match="classes"):
        gen("blobs", 100, classes=classes)


# ---------------------------------------------------------------- curves


@pytest.mark.parametrize("name", list(CURVES))
def test_curve_targets_at_noise_zero(name):
    X, y = gen(name, 1000, noise=0.0)
    np.testing.assert_allclose(y, CURVES[name](X[:, 0].astype(np.float64)), atol=1e-6)
    assert X[:, 0].min() < -5.5 and X[:, 0].max() > 5.5  # uniform over [-6, 6]


@pytest.mark.parametrize("name", list(CURVES))
def test_curve_targets_stay_in_unit_range(name):
    grid = np.linspace(-6, 6, 10001)
    values = CURVES[name](grid)
    assert values.min() >= -1 - 1e-12 and values.max() <= 1 + 1e-12
    assert values.max() - values.min() > 1.5  # and actually use most of it


def test_curve_shapes():
    assert curves.step_target(np.array([-0.001, 0.0, 2.0])).tolist() == [-1, 1, 1]
    assert curves.abs_target(np.array([-6.0, 0.0, 3.0])).tolist() == [1, -1, 0]
    np.testing.assert_allclose(curves.poly_target(np.array([-6.0, -3.0, 0.0, 3.0, 6.0])), [-1, 1, 0, -1, 1])


@pytest.mark.parametrize("name", list(CURVES))
def test_curve_noise_is_gaussian_with_sd_noise(name):
    X, y = gen(name, 20000, noise=0.2)
    residual = y - CURVES[name](X[:, 0].astype(np.float64))
    assert abs(residual.mean()) < 0.01 and abs(residual.std() - 0.2) < 0.01


# ---------------------------------------------------------------- image sets that need no download


def test_digits_all_and_subset():
    X, y = gen("digits", 5000, noise=0.0)
    assert X.shape == (1797, 1, 8, 8)  # capped at the whole set
    assert X.min() == 0 and X.max() == 1
    np.testing.assert_array_equal(X * 16, np.round(X * 16))  # 0..16 scaled, no noise
    assert sorted(set(y.tolist())) == list(range(10))
    from sklearn.datasets import load_digits

    assert np.bincount(y).tolist() == np.bincount(load_digits().target).tolist()  # every image exactly once
    Xs, ys = gen("digits", 300, seed=1)
    assert Xs.shape == (300, 1, 8, 8) and len(set(ys.tolist())) == 10


def test_digits_pixel_noise_is_clipped():
    X, _ = gen("digits", 200, noise=0.3, seed=2)
    clean, _ = gen("digits", 200, noise=0.0, seed=2)
    assert X.min() >= 0 and X.max() <= 1
    assert 0.1 < np.abs(X - clean).mean() < 0.3


def test_digits_does_not_corrupt_its_cache():
    X, _ = gen("digits", 50, seed=3)
    X[:] = 7
    again, _ = gen("digits", 50, seed=3)
    assert again.max() <= 1


def test_shapes_images_are_clear_and_inside_the_frame():
    X, y = gen("shapes", 400, noise=0.0)
    images = X[:, 0]
    assert (images.max(axis=(1, 2)) > 0.99).all()  # every image has a shape
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    assert border.max() == 0  # nothing cut off at the edges
    # anti-aliased edges: most pixels are clean background or clean ink
    assert np.mean((images > 0.02) & (images < 0.98)) < 0.12


def test_shapes_noise():
    clean, _ = gen("shapes", 100, noise=0.0, seed=4)
    noisy, _ = gen("shapes", 100, noise=0.2, seed=4)
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert 0.05 < np.abs(noisy - clean).mean() < 0.2


@pytest.mark.parametrize(
    "name, area",
    [
        ("circle", np.pi * 9**2),
        ("square", 2 * 9**2),
        ("triangle", 3 * np.sqrt(3) / 4 * 9**2),
        ("cross", None),
    ],
)
def test_filled_shapes_have_the_right_area(name, area):
    # a filled shape of circumradius 9 in the middle: ink area must match geometry
    k = shapes.SHAPE_NAMES.index(name)
    one = np.ones(1)
    image = shapes.render_shapes(np.array([k]), 13.5 * one, 13.5 * one, 9 * one, 0.3 * one, 2 * one, np.array([True]))
    if area is None:
        w = 9 * shapes.CROSS_HALF_WIDTH
        arm = np.sqrt(81 - w**2)
        area = 2 * (2 * arm * 2 * w) - (2 * w) ** 2
    assert image.sum() == pytest.approx(area, rel=0.03)


def test_shapes_classes_differ():
    # mean images per class must differ clearly, or the classes would be unlearnable
    X, y = gen("shapes", 2000, noise=0.0)
    means = np.stack([X[y == k, 0].mean(axis=0) for k in range(4)])
    ink = np.stack([X[y == k, 0].sum(axis=(1, 2)).mean() for k in range(4)])
    assert len(set(np.round(ink).tolist())) == 4
    assert np.abs(means[:, None] - means[None]).sum(axis=(2, 3))[~np.eye(4, dtype=bool)].min() > 5


def test_shapes_are_fast():
    start = time.perf_counter()
    X, _ = gen("shapes", 2000, noise=0.1)
    elapsed = time.perf_counter() - start
    assert X.shape == (2000, 1, 28, 28)
    assert elapsed < 2.0, f"2000 shapes took {elapsed:.2f} s"
