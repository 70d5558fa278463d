"""skmts's own skorch callbacks for faults and early stopping (skorch imported here).

* :class:`FiniteLossGuard`: a NaN or infinite training loss stops training with a
  ``RuntimeError`` naming the estimator, the epoch and the batch;
* :class:`DeferredEarlyStopping` and :class:`StopTraining`: skorch's ``EarlyStopping``,
  except that training stops only after *every* callback (a user's, model selection's)
  has seen the epoch's ``on_epoch_end``: skorch's own raises ``KeyboardInterrupt`` in
  the middle of that notification, so callbacks after it would miss the last epoch.
"""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback, EarlyStopping

__all__ = ["DeferredEarlyStopping", "FiniteLossGuard", "StopTraining"]


class FiniteLossGuard(Callback):
    """Raise ``RuntimeError`` as soon as a training batch's loss is NaN or infinite.

    Also checks at the end of training that every parameter of the module is finite
    (the last optimiser step can break the weights after a finite loss). ``owner`` names
    the estimator in the message; ``hint`` says which learning rate to lower (a format
    string with ``{lr}``, the net's, and ``{lower}``, a tenth of it).
    """

    def __init__(self, owner="skmts", hint=None):
        self.owner = owner
        self.hint = hint

    def on_epoch_begin(self, net, **kwargs):
        self.batch_ = 0

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        self.batch_ = getattr(self, "batch_", 0) + 1
        value = float(loss.detach()) if torch.is_tensor(loss) else float(loss)
        if not math.isfinite(value):
            raise RuntimeError(
                f"{self.owner}: training diverged: the training loss is {value} at epoch "
                f"{len(net.history)}, batch {self.batch_}. {self._advice(net)}"
            )

    def on_train_end(self, net, **kwargs):
        module = getattr(net, "module_", None)
        if module is None:
            return
        for name, p in module.named_parameters():
            if not bool(torch.isfinite(p).all()):
                raise RuntimeError(
                    f"{self.owner}: training diverged: parameter {name!r} is not finite "
                    f"after epoch {len(net.history)}. {self._advice(net)}"
                )

    def _advice(self, net) -> str:
        lr = float(net.lr)
        hint = self.hint or "Set a lower lr (it is {lr:g}; try {lower:g})."
        return (hint.format(lr=lr, lower=lr / 10) + " skmts stops rather than return NaN "
                "features or predictions.")


class DeferredEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` that only marks the stop (``stop_``); the
    :class:`StopTraining` callback, last in the list, then ends training."""

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.stop_ = False

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:  # EarlyStopping's "stop": deferred to StopTraining
            self.stop_ = True


class StopTraining(Callback):
    """Ends training (skorch's ``KeyboardInterrupt``) after the epoch at which the
    callback named ``early_stopping`` (a :class:`DeferredEarlyStopping`) asked to stop."""

    def __init__(self, early_stopping="early_stopping"):
        self.early_stopping = early_stopping

    def on_epoch_end(self, net, **kwargs):
        cb = dict(net.callbacks_).get(self.early_stopping)
        if getattr(cb, "stop_", False):
            raise KeyboardInterrupt
