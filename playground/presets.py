"""Ready-made experiments to start from: the default per problem, and image-network presets."""
from __future__ import annotations

from dataclasses import replace

from playground.spec import DatasetSpec, LayerSpec, OptimizerSpec, Spec

SMALL_MLP = (LayerSpec("dense", units=64, activation="relu"),)
LENET_LIKE = (LayerSpec("conv2d", channels=8, kernel=3, stride=1, padding=1, activation="relu"),
              LayerSpec("maxpool2d", kernel=2),
              LayerSpec("conv2d", channels=16, kernel=3, stride=1, padding=1, activation="relu"),
              LayerSpec("maxpool2d", kernel=2),
              LayerSpec("flatten"),
              LayerSpec("dense", units=32, activation="relu"))
IMAGE_PRESETS = {"LeNet-like convnet": LENET_LIKE, "Small MLP": SMALL_MLP}


def image_spec(name: str = "digits", layers: tuple[LayerSpec, ...] = LENET_LIKE) -> Spec:
    """A sensible image experiment: Adam, batch 32, kaiming init, 80 % training data.

    The set's natural size (n_samples None): all 1,797 digits, 2,000 shapes, 5,000 MNIST images.
    """
    return Spec(dataset=DatasetSpec(name=name, train_ratio=0.8), features=("x1", "x2"),
                layers=layers, init="kaiming_uniform", optimizer=OptimizerSpec("adam", lr=0.003), batch_size=32)


def preset_for_problem(spec: Spec, problem: str) -> Spec:
    """The spec to switch to when the user picks another problem type.

    Between 2-D problems the network is kept (as TensorFlow Playground does); moving to or
    from images swaps in a network that suits the data.
    """
    if problem == "image":
        return image_spec()
    name = "circle" if problem == "classification" else "plane"
    if any(layer.type != "dense" for layer in spec.layers) or spec.dataset.name in ("digits", "shapes", "mnist",
                                                                                    "fashion_mnist"):
        return replace(Spec(), dataset=DatasetSpec(name=name))
    return replace(spec, dataset=replace(spec.dataset, name=name), loss="auto")
