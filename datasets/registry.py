"""The catalogue of built-in datasets, keyed by name, in the order the UI lists them."""

from __future__ import annotations

from . import curves, images, sequences, shapes, tf_playground, toy2d
from .base import KINDS, TASKS, DatasetError, DatasetInfo

_TWO = ("0", "1")

_ENTRIES = (
    # classification on the plane, TensorFlow Playground's four
    DatasetInfo("circle", "Circle", "points", "classification", 2, tf_playground.circle,
                "A disc of one class inside a ring of the other; needs a curved boundary.", class_names=_TWO),
    DatasetInfo("xor", "Exclusive or", "points", "classification", 2, tf_playground.xor,
                "Opposite quadrants share a class; no single line can separate them.", class_names=_TWO),
    DatasetInfo("gaussian", "Gaussian", "points", "classification", 2, tf_playground.gaussian,
                "Two gaussian clouds that a straight line separates; noise widens them.", class_names=_TWO),
    DatasetInfo("spiral", "Spiral", "points", "classification", 2, tf_playground.spiral,
                "Two interleaved spirals, the hardest of the four.", class_names=_TWO),
    DatasetInfo("moons", "Two moons", "points", "classification", 2, toy2d.moons,
                "Two interlocking half circles (scikit-learn's make_moons).", class_names=_TWO),
    DatasetInfo("blobs", "Blobs", "points", "classification", 3, toy2d.blobs,
                "Several round clusters, one per class, set by the classes option (2 to 8).",
                options=("classes",)),
    # regression on the plane, TensorFlow Playground's two
    DatasetInfo("plane", "Plane", "points", "regression", 1, tf_playground.plane,
                "A tilted plane: the target rises evenly from corner to corner."),
    DatasetInfo("multi_gaussian", "Multi gaussian", "points", "regression", 1, tf_playground.multi_gaussian,
                "Six round bumps, alternately up and down, on a flat floor."),
    # regression of one input, for the universal approximation experiment
    DatasetInfo("sine", "Sine", "curve", "regression", 1, curves.sine,
                "y = sin(x1), a smooth wave."),
    DatasetInfo("step", "Step", "curve", "regression", 1, curves.step,
                "y jumps from -1 to 1 at x1 = 0."),
    DatasetInfo("abs", "Absolute value", "curve", "regression", 1, curves.abs_,
                "y = |x1|/3 - 1, a V with a sharp corner."),
    DatasetInfo("poly", "Cubic", "curve", "regression", 1, curves.poly,
                "y = (x1³ - 27·x1)/54, a cubic with one hill and one valley."),
    # images
    DatasetInfo("digits", "Digits 8×8", "image", "classification", 10, images.digits,
                "1,797 small handwritten digits that ship with scikit-learn.",
                image_shape=(8, 8), class_names=images.DIGIT_NAMES,
                default_n=images.DIGITS_COUNT, max_n=images.DIGITS_COUNT),
    DatasetInfo("shapes", "Shapes", "image", "classification", len(shapes.SHAPE_NAMES), shapes.shapes,
                "Drawn circles, squares, triangles and crosses at random places, sizes and angles.",
                image_shape=(shapes.IMAGE_SIZE, shapes.IMAGE_SIZE), class_names=shapes.SHAPE_NAMES,
                default_n=2000),
    DatasetInfo("mnist", "MNIST", "image", "classification", 10, images.mnist,
                "70,000 handwritten digits, 28×28; downloaded once (about 11 MB).",
                image_shape=(28, 28), class_names=images.DIGIT_NAMES,
                default_n=5000, max_n=images.IDX_COUNT, options=("data_dir",)),
    DatasetInfo("fashion_mnist", "Fashion-MNIST", "image", "classification", 10, images.fashion_mnist,
                "70,000 clothing photos in 10 kinds, 28×28; downloaded once (about 30 MB).",
                image_shape=(28, 28), class_names=images.FASHION_NAMES,
                default_n=5000, max_n=images.IDX_COUNT, options=("data_dir",)),
    # sequences, for recurrent networks (the length T is the `length` option)
    DatasetInfo("recall", "Recall", "sequence", "classification", len(sequences.RECALL_KEYS), sequences.recall,
                "A key (A-D) at step 1, distractors, then '?': name the key. Memory over T steps.",
                class_names=sequences.RECALL_KEYS, vocab=sequences.RECALL_VOCAB, default_n=2000,
                options=("length",)),
    DatasetInfo("adding", "Adding", "sequence", "regression", 1, sequences.adding,
                "Pairs (value, marker): output the sum of the two marked values (Hochreiter & Schmidhuber).",
                default_n=2000, options=("length",)),
    DatasetInfo("brackets", "Brackets", "sequence", "classification", 2, sequences.brackets,
                "Strings of ( ) [ ]: balanced or not? Counting and nesting memory.",
                class_names=("unbalanced", "balanced"), vocab=sequences.BRACKETS_VOCAB, default_n=2000,
                options=("length",)),
    DatasetInfo("forecast", "Forecast", "sequence", "regression", 1, sequences.forecast,
                "A noisy sum of sines (or your CSV series): predict the next value at every step.",
                default_n=1000, per_step=True, options=("length",)),
    DatasetInfo("text", "Text", "sequence", "classification", len(sequences.TEXT_VOCAB), sequences.text,
                "Sentences of a toy grammar (or your text): predict the next character at every step.",
                class_names=sequences.TEXT_VOCAB, vocab=sequences.TEXT_VOCAB, default_n=1000, per_step=True,
                options=("length",)),
)  # fmt: skip

REGISTRY: dict[str, DatasetInfo] = {info.name: info for info in _ENTRIES}


def get(name: str) -> DatasetInfo:
    """The dataset registered under name."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise DatasetError(f"unknown dataset {name!r}; choose one of: {', '.join(REGISTRY)}") from None


def names(kind: str | None = None, task: str | None = None) -> list[str]:
    """Registered names, optionally only those of one kind and/or task, in registry order."""
    if kind is not None and kind not in KINDS:
        raise DatasetError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if task is not None and task not in TASKS:
        raise DatasetError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    return [
        info.name
        for info in REGISTRY.values()
        if (kind is None or info.kind == kind) and (task is None or info.task == task)
    ]
