"""skorch is the training loop; this module adds only what DMAE needs on top of it."""

from __future__ import annotations

import contextlib

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_device

from ..nn._dmae import dmae_losses
from ..nn._masking import geometric_span_mask

__all__ = ["DMAENet", "EMATeacher", "autocast"]


def autocast(device: str):
    """bfloat16 autocast on CUDA (no loss scaling needed); a no-op on the CPU."""
    if str(device).startswith("cuda"):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


class EMATeacher(Callback):
    """Moves the EMA teacher towards the student after every training batch."""

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            net.module_.update_teacher()


class DMAENet(NeuralNet):
    """A skorch ``NeuralNet`` for :class:`~skmts.nn._dmae.DMAEModule`.

    It draws a fresh span mask for every training batch (from a generator seeded by
    ``mask_seed``), and the same masks for the validation set at every epoch, so that
    ``valid_loss`` is comparable across epochs and early stopping is meaningful.
    ``X`` is a dict ``{"x", "observed", "valid"}``; there is no ``y``.
    """

    def __init__(self, *args, mask_ratio=0.15, mean_span=3.0, alignment_weight=1.0,
                 mask_seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.mask_ratio = mask_ratio
        self.mean_span = mean_span
        self.alignment_weight = alignment_weight
        self.mask_seed = mask_seed

    def _generator(self, training: bool) -> torch.Generator:
        name = "_train_gen" if training else "_eval_gen"
        gen = getattr(self, name, None)
        if gen is None:
            device = self.device if str(self.device).startswith("cuda") else "cpu"
            gen = torch.Generator(device=device)
            gen.manual_seed(self.mask_seed + (0 if training else 1))
            setattr(self, name, gen)
        return gen

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not training:  # the same validation masks at every epoch
            self._generator(False).manual_seed(self.mask_seed + 1)
        return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def infer(self, x, **fit_params):
        x = to_device(x, self.device)
        hidden = geometric_span_mask(
            tuple(x["x"].shape), self.mask_ratio, self.mean_span,
            generator=self._generator(self.module_.training), device=x["x"].device,
        )
        with autocast(self.device):
            out = self.module_(**x, hidden=hidden, with_teacher=self.alignment_weight > 0)
        out["hidden"] = hidden
        return out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_device(X, self.device)
        losses = dmae_losses(y_pred, X["x"], X["observed"], X["valid"], y_pred["hidden"])
        loss = losses["reconstruction"]
        if "alignment" in losses:
            loss = loss + self.alignment_weight * losses["alignment"]
        return loss

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_train_gen", None)  # generators do not pickle; they are rebuilt lazily
        state.pop("_eval_gen", None)
        return state
