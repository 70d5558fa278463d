"""Training: skmts's one skorch recipe and the DMAE net built on it.

skorch is imported on first use of the net classes, so ``import skmts`` stays light.
"""

from ._recipe import extra_callbacks, run_batched, split_indices, train_net, training_callbacks

__all__ = ["DMAENet", "EMATeacher", "WarmupCosine", "extra_callbacks", "run_batched",
           "split_indices", "train_net", "training_callbacks"]


def __getattr__(name):
    if name in ("DMAENet", "EMATeacher", "WarmupCosine"):
        from . import _net

        return getattr(_net, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
