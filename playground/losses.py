"""Loss functions by name, resolved against the task (classification or regression).

Classification models emit logits: one for two classes (so the output map is P(class 1)),
k for k classes. Regression models emit one value.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # importing this module does not import torch (the spec only needs LOSSES)
    import torch

LOSSES = ("auto", "mse", "mae", "huber", "hinge", "cross_entropy")
CLASSIFICATION_ONLY = frozenset({"hinge", "cross_entropy"})

LossFn = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]


def resolve_loss(name: str, task: str, n_classes: int) -> tuple[str, LossFn]:
    """The concrete loss name and a function (output, target) -> scalar for this task."""
    import torch
    import torch.nn.functional as F

    if name == "auto":
        name = "cross_entropy" if task == "classification" else "mse"
    if task == "regression":
        if name in CLASSIFICATION_ONLY:
            raise ValueError(f"loss {name!r} needs a classification dataset")
        regression = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.smooth_l1_loss}[name]
        return name, lambda out, y: regression(out.squeeze(1), y)
    binary = n_classes == 2
    if name == "cross_entropy":
        if binary:
            return name, lambda out, y: F.binary_cross_entropy_with_logits(out.squeeze(1), y.float())
        return name, F.cross_entropy
    if name == "hinge":
        if binary:
            # Labels 0/1 become -1/+1; the classic SVM hinge on the single logit.
            return name, lambda out, y: torch.clamp(1 - (2 * y.float() - 1) * out.squeeze(1), min=0).mean()
        return name, F.multi_margin_loss
    # mse / mae / huber on a classifier compare the predicted probabilities with one-hot targets.
    distance = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.smooth_l1_loss}[name]
    if binary:
        return name, lambda out, y: distance(torch.sigmoid(out.squeeze(1)), y.float())
    return name, lambda out, y: distance(torch.softmax(out, dim=1), F.one_hot(y, n_classes).float())
