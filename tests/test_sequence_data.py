"""The sequence tasks: shapes, determinism from the seed, and each task's defining property."""
from __future__ import annotations

import numpy as np
import pytest

import datasets
from datasets import sequences as S
from playground.data import build_data
from playground.spec import DatasetSpec, Spec, SpecError

SEQUENCE_SETS = ("recall", "adding", "brackets", "forecast", "text")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", SEQUENCE_SETS)
def test_shapes_and_determinism(name):
    info = datasets.get(name)
    X, y = info.generate(64, 0.1, rng(3), length=17)
    X2, y2 = info.generate(64, 0.1, rng(3), length=17)
    X3, _ = info.generate(64, 0.1, rng(4), length=17)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)  # same seed, same data
    assert not np.array_equal(X, X3)                       # another seed, other data
    assert X.shape[:2] == (64, 17)
    assert y.shape == ((64, 17) if info.per_step else (64,))
    if info.vocab:
        assert X.dtype == np.int64 and X.min() >= 0 and X.max() < len(info.vocab)


def test_recall_label_is_the_first_symbol():
    X, y = S.recall(500, 0.3, rng(1), length=30)
    assert np.array_equal(S.RECALL_VOCAB[0:4][0], "A")
    assert np.array_equal(X[:, 0], y)                              # the key is the label
    assert (X[:, -1] == S.RECALL_VOCAB.index("?")).all()           # the query at the end
    assert set(np.unique(y)) == {0, 1, 2, 3}
    clean, _ = S.recall(200, 0.0, rng(1), length=30)
    assert (clean[:, 1:-1] >= 4).all() and (clean[:, 1:-1] < 8).all()  # only distractors between


def test_adding_target_is_the_sum_of_the_marked_values():
    X, y = S.adding(300, 0.0, rng(2), length=25)
    assert (X[:, :, 1].sum(axis=1) == 2).all()                     # exactly two markers
    first, second = np.argwhere(X[:, :, 1] == 1)[:, 1].reshape(-1, 2).T
    assert (first < 12).all() and (second >= 12).all()             # one in each half
    expected = (X[:, :, 0] * X[:, :, 1]).sum(axis=1)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.03             # the "always 1" baseline: MSE about 1/6


def _stack_check(tokens: list[str]) -> bool:
    """An independent balance check (counts per kind are not enough: '([)]' is not balanced)."""
    stack = []
    for t in tokens:
        if t in "([":
            stack.append(t)
        elif t in ")]":
            if not stack or {"(": ")", "[": "]"}[stack.pop()] != t:
                return False
    return not stack


def test_brackets_labels_agree_with_a_stack_check():
    X, y = S.brackets(400, 0.0, rng(5), length=15)
    for row, label in zip(X, y):
        assert _stack_check([S.BRACKETS_VOCAB[i] for i in row]) == bool(label)
    assert 0.3 < y.mean() < 0.7                                    # both classes present
    assert S.balanced("([])[]") and not S.balanced("([)]") and not S.balanced("((")


def test_forecast_target_is_the_next_value():
    X, y = S.forecast(50, 0.05, rng(6), length=20)
    np.testing.assert_array_equal(X[:, 1:, 0], y[:, :-1])           # y_t = x_{t+1}


def test_text_target_is_the_next_character_and_grammar_is_words():
    X, y = S.text(50, 0.0, rng(7), length=30)
    np.testing.assert_array_equal(X[:, 1:], y[:, :-1])
    sample = "".join(S.TEXT_VOCAB[i] for i in X[0])
    assert set(sample) <= set(S.TEXT_VOCAB)
    corpus = S.load_text(b"hello world, hello again!\nthe quick brown fox jumps over the lazy dog.")
    Xc, yc = S.text(10, 0.0, rng(1), length=8, corpus=corpus)
    vocab = S.text_vocab(corpus)
    assert "".join(vocab[i] for i in Xc[0]) in corpus


def test_uploads_are_validated():
    with pytest.raises(datasets.DatasetError, match="at least 50"):
        S.load_text(b"too short")
    with pytest.raises(datasets.DatasetError, match="at most"):
        S.load_text(b"a" * (S.MAX_TEXT_BYTES + 1))
    with pytest.raises(datasets.DatasetError, match="UTF-8"):
        S.load_text(b"\xff\xfe" + b"abc" * 40)
    with pytest.raises(datasets.DatasetError, match="binary"):
        S.load_text(b"abc\x00" * 40)
    series = S.load_series_csv("value\n1\n2\n3\n4\n5\n6\n7\n")
    assert len(series) == 7 and abs(series.mean()) < 1e-9
    with pytest.raises(datasets.DatasetError, match="row 3"):
        S.load_series_csv("value\n1\nabc\n3\n4\n5\n6\n")
    with pytest.raises(datasets.DatasetError, match="at least"):
        S.load_series_csv("1\n2\n")


def test_length_is_bounded_in_the_spec_and_the_generator():
    with pytest.raises(SpecError, match="dataset.length"):
        Spec.from_dict({"dataset": {"name": "recall", "length": 201}})
    with pytest.raises(datasets.DatasetError, match="from 5 to 200"):
        S.recall(10, 0.0, rng(), length=4)
    spec = Spec.from_dict({"dataset": {"name": "recall", "length": 40}})
    assert Spec.from_query(spec.to_query()) == spec
    assert "length" not in Spec().to_dict()["dataset"]           # 2-D links unchanged


def test_bundle_one_hot_codes_tokens():
    data = build_data(Spec(dataset=DatasetSpec(name="recall", length=10, n_samples=40)))
    assert data.input_shape == (10, len(S.RECALL_VOCAB)) and data.n_outputs == 4
    np.testing.assert_array_equal(data.x_train.argmax(axis=2), data.raw_train)
    assert (data.x_train.sum(axis=2) == 1).all()


def test_an_uploaded_text_or_series_is_trained_on():
    from playground.data import CustomData

    text = "abba cab. " * 20
    spec = Spec(dataset=DatasetSpec(name="text", length=6, n_samples=30))
    data = build_data(spec, CustomData(np.array(text), np.empty(0), "sequence"))
    assert data.vocab == (" ", ".", "a", "b", "c") and data.n_classes == 5 and data.input_shape == (6, 5)
    assert "".join(data.vocab[i] for i in data.raw_train[0]) in text
    series = np.arange(40.0)
    fc = build_data(Spec(dataset=DatasetSpec(name="forecast", length=5, n_samples=20)),
                    CustomData(series, np.empty(0), "sequence"))
    np.testing.assert_array_equal(np.diff(fc.x_train[:, :, 0], axis=1), 1.0)  # windows of the uploaded ramp
