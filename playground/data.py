"""From a spec's dataset section to train/test tensors: generate, shuffle, split, featurise.

The raw points (or images) are kept beside the model inputs so the views can draw the data
in its own coordinates while the network sees the selected features.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

import datasets
from playground.features import feature_matrix

if TYPE_CHECKING:  # importing this module does not import torch (spec validation uses dataset_info)
    import torch

CUSTOM = "custom"
# Sequence sets that take the user's own upload (CustomData with task "sequence"), and the
# generator option it is passed as: a text for `text`, a series for `forecast`.
SEQUENCE_UPLOADS = {"text": "corpus", "forecast": "series"}


@dataclass(frozen=True)
class CustomData:
    """Points the user uploaded (CSV): raw X (n, 2), labels or targets, and the task.

    For a sequence set (task "sequence") X is the uploaded series (n,) or text (a 0-d str
    array) and y is empty; the set's generator cuts its windows from it.
    """

    X: np.ndarray
    y: np.ndarray
    task: str

    def __hash__(self) -> int:  # arrays are unhashable; identity is enough for the caches
        return id(self)


@dataclass(frozen=True)
class DataBundle:
    """Everything the trainer and the views need to know about the data of one spec."""

    name: str
    kind: str                    # "points", "curve", "image" or "sequence"
    task: str                    # "classification" or "regression"
    n_classes: int               # 1 for regression
    class_names: tuple[str, ...]
    raw_train: np.ndarray        # (n, 2) points, (n, 1, H, W) images, (n, T) tokens or (n, T, F) values
    raw_test: np.ndarray
    y_train: np.ndarray          # int64 labels or float32 targets
    y_test: np.ndarray
    x_train: np.ndarray          # model inputs: (n, features), normalised images or (n, T, F) sequences
    x_test: np.ndarray
    input_shape: tuple[int, ...]  # one sample's shape as the model sees it
    feature_names: tuple[str, ...]
    mean: float = 0.0            # image normalisation, applied to any new image (e.g. a drawing)
    std: float = 1.0
    vocab: tuple[str, ...] = ()  # sequences of tokens: the token names (inputs are their one-hot codes)
    per_step: bool = False       # sequences: a target at every step (y is (n, T)) rather than one per sequence

    @property
    def n_outputs(self) -> int:
        """Output units: one logit for two classes, k for k classes, one value for regression."""
        return 1 if self.task == "regression" or self.n_classes == 2 else self.n_classes

    def inputs_for_points(self, points: np.ndarray) -> np.ndarray:
        """Model inputs for raw 2-D points (n, 2), e.g. the decision-boundary grid."""
        return feature_matrix(points, self.feature_names)

    def tensors(self, device: "torch.device") -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor", "torch.Tensor"]:
        """(x_train, y_train, x_test, y_test) as tensors on `device`."""
        import torch

        return tuple(torch.as_tensor(a).to(device) for a in (self.x_train, self.y_train, self.x_test, self.y_test))


def dataset_info(name: str) -> datasets.DatasetInfo | None:
    """The registry entry for `name` (None for uploaded data); SpecError if unknown."""
    from playground.spec import SpecError

    if name == CUSTOM:
        return None
    try:
        return datasets.get(name)
    except datasets.DatasetError as exc:
        raise SpecError("dataset.name", str(exc)) from None


def n_samples_of(ds: Any) -> int | None:
    """How many samples a DatasetSpec draws: its n_samples, or when None the set's natural size.

    None for uploaded data ("custom") without n_samples: there it is the number of CSV rows.
    """
    if ds.n_samples is not None or ds.name == CUSTOM:
        return ds.n_samples
    return datasets.get(ds.name).default_n


def n_train_of(n: int, train_ratio: float) -> int:
    """Training samples of n at train_ratio: at least one, and at least one left for the test set."""
    return min(max(1, round(n * train_ratio)), n - 1)


def build_data(spec, custom: CustomData | None = None) -> DataBundle:
    """Generate (or take the uploaded) data for `spec`, split it and compute model inputs."""
    return _build(spec.dataset, tuple(spec.features), custom)


@lru_cache(maxsize=16)
def _build(ds, features: tuple[str, ...], custom: CustomData | None) -> DataBundle:
    # Cached on the frozen DatasetSpec: Reset and hyper-parameter changes reuse the same arrays.
    rng = np.random.default_rng(ds.seed)
    if ds.name == CUSTOM:
        if custom is None:
            raise datasets.DatasetError("the spec uses uploaded data ('custom'), but no CSV was given")
        X, y, task = custom.X, custom.y, custom.task
        kind, n_classes = "points", int(y.max()) + 1 if task == "classification" else 1
        class_names = tuple(str(i) for i in range(n_classes)) if task == "classification" else ()
    else:
        info = datasets.get(ds.name)
        options = {"classes": ds.classes} if "classes" in info.options else {}
        vocab = info.vocab
        if "length" in info.options:
            options["length"] = sequence_length(ds)
            if custom is not None and custom.task == "sequence" and ds.name in SEQUENCE_UPLOADS:
                upload = str(custom.X) if ds.name == "text" else custom.X
                options[SEQUENCE_UPLOADS[ds.name]] = upload
                if ds.name == "text":  # the uploaded text's own characters are the tokens
                    vocab = datasets.sequences.text_vocab(upload)
        n = n_samples_of(ds)
        if n > info.max_n:  # validation refuses this; a spec built in code may not have been validated
            raise datasets.DatasetError(f"{ds.name} has at most {info.max_n:,} samples, not {n:,}")
        X, y = info.generate(n, ds.noise, rng, **options)
        task, kind = info.task, info.kind
        n_classes = (ds.classes if "classes" in info.options else info.n_classes) if task == "classification" else 1
        if vocab is not info.vocab:
            n_classes, class_names = len(vocab), vocab
        else:
            class_names = info.class_names if info.class_names and len(info.class_names) == n_classes \
                else (tuple(str(i) for i in range(n_classes)) if task == "classification" else ())
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    n_train = n_train_of(len(X), ds.train_ratio)
    raw_train, raw_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
    y_dtype = np.int64 if task == "classification" else np.float32
    y_train, y_test = y_train.astype(y_dtype), y_test.astype(y_dtype)
    mean, std = 0.0, 1.0
    if kind == "image":
        if ds.normalize == "standard":
            # Statistics of the training split only, so the test set stays unseen.
            mean, std = float(raw_train.mean()), float(raw_train.std()) or 1.0
        x_train = ((raw_train - mean) / std).astype(np.float32)
        x_test = ((raw_test - mean) / std).astype(np.float32)
        input_shape, feature_names = tuple(raw_train.shape[1:]), ()
    elif kind == "sequence":
        x_train, x_test = sequence_inputs(raw_train, vocab), sequence_inputs(raw_test, vocab)
        return DataBundle(ds.name, kind, task, n_classes, tuple(class_names), raw_train, raw_test, y_train, y_test,
                          x_train, x_test, tuple(x_train.shape[1:]), (), vocab=vocab, per_step=info.per_step)
    else:
        x_train, x_test = feature_matrix(raw_train, features), feature_matrix(raw_test, features)
        input_shape, feature_names = (len(features),), features
    return DataBundle(ds.name, kind, task, n_classes, tuple(class_names), raw_train, raw_test, y_train, y_test,
                      x_train, x_test, input_shape, feature_names, mean, std)


def class_gallery(data, per_class: int = 8) -> tuple[np.ndarray, list[str]]:
    """Up to per_class training images of each class, grouped by class: (n, H, W) and their titles."""
    picks: list[int] = []
    titles: list[str] = []
    for c in range(data.n_classes):
        idx = np.flatnonzero(data.y_train == c)[:per_class]
        picks.extend(int(i) for i in idx)
        titles.extend(str(data.class_names[c]) if c < len(data.class_names) else str(c) for _ in idx)
    raw = data.raw_train
    images = raw[picks].reshape(len(picks), *raw.shape[-2:]) if picks else np.zeros((0, *raw.shape[-2:]), np.float32)
    return np.array(images, dtype=np.float32), titles


def sequence_length(ds: Any) -> int:
    """Steps per sequence of a DatasetSpec: its `length`, or the sequence sets' default."""
    from datasets.sequences import DEFAULT_LENGTH

    return ds.length if ds.length is not None else DEFAULT_LENGTH


def sequence_inputs(raw: np.ndarray, vocab: tuple[str, ...]) -> np.ndarray:
    """Model inputs of sequences: token ids (n, T) as one-hot codes (n, T, V); values (n, T, F) as they are."""
    if not vocab:
        return raw.astype(np.float32)
    return np.eye(len(vocab), dtype=np.float32)[raw]
