"""skorch is the training loop; this module adds only what DMAE needs on top of it."""

from __future__ import annotations

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_device

from .._utils import is_cuda
from ..nn._dmae import dmae_losses
from ..nn._masking import patch_span_mask
from ._recipe import autocast

__all__ = ["DMAENet", "EMATeacher", "WarmupCosine"]


class WarmupCosine:
    """Learning-rate factor for ``LambdaLR``: linear warm-up, then cosine decay to 0.

    A class rather than a closure so that a fitted net pickles.

    Parameters
    ----------
    total_steps : int
        Optimiser steps of the whole run.
    warmup : float, default=0.05
        Fraction of the steps spent warming up.
    """

    def __init__(self, total_steps: int, warmup: float = 0.05):
        self.total_steps = max(int(total_steps), 1)
        self.warmup_steps = max(int(round(warmup * self.total_steps)), 1)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        progress = (step - self.warmup_steps) / max(self.total_steps - self.warmup_steps, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


class EMATeacher(Callback):
    """Moves the EMA teacher towards the student after every training batch.

    The momentum follows BYOL's schedule: it rises from the module's ``ema_momentum``
    at the first step to 1 at ``total_steps`` (cosine), so the teacher follows the
    student closely while it changes fast and settles as training ends. With
    ``total_steps=None`` the momentum stays constant.
    """

    def __init__(self, total_steps: int | None = None):
        self.total_steps = total_steps

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.step_ = 0

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        m0 = net.module_.ema_momentum
        m = None
        if self.total_steps:
            progress = min(self.step_ / self.total_steps, 1.0)
            m = 1.0 - (1.0 - m0) * 0.5 * (1.0 + math.cos(math.pi * progress))
        net.module_.update_teacher(m)
        self.step_ += 1


class DMAENet(NeuralNet):
    """A skorch ``NeuralNet`` for :class:`~skmts.nn.DMAEModule`.

    It draws a fresh span mask for every training batch (from a generator seeded by
    ``mask_seed``), and the same masks for the validation set at every epoch, so that
    ``valid_loss`` is comparable across epochs and early stopping is meaningful.
    ``X`` is a dict ``{"x", "observed", "valid"}``; there is no ``y``. Masks are drawn
    over patches of ``patch_len`` steps, per channel or shared across channels.
    """

    def __init__(self, *args, mask_ratio=0.15, mean_span=3.0, alignment_weight=1.0,
                 mask_seed=0, patch_len=1, mask_per_channel=True, contrastive_weight=0.0,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.mask_ratio = mask_ratio
        self.mean_span = mean_span
        self.alignment_weight = alignment_weight
        self.mask_seed = mask_seed
        self.patch_len = patch_len
        self.mask_per_channel = mask_per_channel
        self.contrastive_weight = contrastive_weight

    def _generator(self, training: bool) -> torch.Generator:
        name = "_train_gen" if training else "_eval_gen"
        gen = getattr(self, name, None)
        if gen is None:
            device = self.device if is_cuda(self.device) else "cpu"
            gen = torch.Generator(device=device)
            gen.manual_seed(self.mask_seed + (0 if training else 1))
            setattr(self, name, gen)
        return gen

    def draw_mask(self, shape, generator, device) -> torch.Tensor:
        """A hidden-values mask (B, T, C) with this net's masking settings."""
        return patch_span_mask(tuple(shape), self.patch_len, self.mask_ratio, self.mean_span,
                               per_channel=self.mask_per_channel, generator=generator,
                               device=device)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not training:  # the same validation masks at every epoch
            self._generator(False).manual_seed(self.mask_seed + 1)
        return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def infer(self, x, **fit_params):
        x = to_device(x, self.device)
        hidden = self.draw_mask(x["x"].shape, self._generator(self.module_.training),
                                x["x"].device)
        with autocast(self.device):
            out = self.module_(**x, hidden=hidden, with_teacher=self.alignment_weight > 0,
                               with_views=self.contrastive_weight > 0)
        out["hidden"] = hidden
        return out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_device(X, self.device)
        losses = dmae_losses(y_pred, X["x"], X["observed"], X["valid"], y_pred["hidden"])
        loss = losses["reconstruction"]
        if "alignment" in losses:
            loss = loss + self.alignment_weight * losses["alignment"]
        if "contrastive" in losses:
            loss = loss + self.contrastive_weight * losses["contrastive"]
        return loss

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_train_gen", None)  # generators do not pickle; they are rebuilt lazily
        state.pop("_eval_gen", None)
        return state
