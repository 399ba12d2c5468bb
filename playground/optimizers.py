"""Optimisers by name, built from the spec's optimizer section.

Importing this module does not import torch (the spec only needs OPTIMIZERS).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    import torch

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")


# Optimizer methods torch wraps in torch._disable_dynamo, whose wrapper imports torch._dynamo on
# its first call (to exclude them from torch.compile), and add_param_group is called by every
# constructor. That import took 1.1-2.7 s of a trainer process's start here, on the path of a
# fresh server's first chart. The playground never compiles, so it gives each wrapper the
# function itself as its "disabled" version, the slot the wrapper caches it in (torch/_compile.py):
# the same eager code, without the import. A torch without these slots is left as it is.
_DYNAMO_WRAPPED = ("add_param_group", "zero_grad", "state_dict", "load_state_dict")


def _eager_only() -> None:
    import torch

    for name in _DYNAMO_WRAPPED:
        fn = getattr(torch.optim.Optimizer.__dict__.get(name), "__wrapped__", None)
        if callable(fn) and getattr(fn, "__dynamo_disable", None) is None:
            setattr(fn, "__dynamo_disable", fn)


def plain_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """optimizer.step() without torch's wrappers: its profiler hook and hook checks, and the
    grad-mode switch that imports torch._dynamo and calls its graph_break() on every step (what
    they do besides is for torch.compile, optimizer hooks and differentiable optimisers, none of
    which the trainer uses). The step runs under no_grad, as the wrapper runs it."""
    import inspect

    import torch

    step = inspect.unwrap(type(optimizer).step)

    def run() -> None:
        with torch.no_grad():
            step(optimizer)
    return run


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float,
                   momentum: float = 0.0, nesterov: bool = False) -> torch.optim.Optimizer:
    """A torch optimiser; momentum applies to sgd and rmsprop, nesterov to sgd."""
    import torch

    _eager_only()
    params = list(params)
    # torch's fused kernels (one call for every tensor) instead of its default of a loop of small
    # ops per tensor on the CPU: the same update rule, measured here on the default network at
    # 35-62 against 160-250 µs an Adam step and 17-26 against 50-76 µs an SGD-with-momentum step
    # (a whole training step is ~300 µs). RMSprop has no fused kernel.
    fused = {"fused": True} if params and all(p.device.type in ("cpu", "cuda") for p in params) else {}
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum,
                               nesterov=nesterov and momentum > 0, **fused)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, **fused)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, **fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, **fused)
    raise ValueError(f"unknown optimizer {name!r}")


def set_hyperparameters(opt: torch.optim.Optimizer, lr: float, momentum: float) -> None:
    """Change learning rate (and momentum where the optimiser has one) mid-training."""
    for group in opt.param_groups:
        group["lr"] = lr
        if "momentum" in group:
            group["momentum"] = momentum
