"""How :class:`~skmts.DMAETransformer` trains: its settings checked, the data-dependent
plan, the skorch net and the BatchNorm recalibration after training.

Each function reads the estimator's hyperparameters (``est``) and sets nothing on it;
the estimator decides what to keep.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._utils import logger
from .._validation import Panel
from ..nn._dmae import DMAEModule

__all__ = ["build_net", "check_params", "plan_training", "recalibrate"]


def check_params(est) -> None:
    """What the parameter constraints cannot say: ``d_model`` divisible by ``n_heads``
    (ValueError), a ``mask_ratio`` above 0.8 (UserWarning, pointing at ``fit``'s caller)."""
    if est.d_model % est.n_heads:
        raise ValueError(
            f"d_model={est.d_model} must be divisible by n_heads={est.n_heads}."
        )
    if est.mask_ratio > 0.8:
        import warnings

        warnings.warn(
            f"mask_ratio={est.mask_ratio} hides almost everything from the student; "
            "masked models train well at 0.15-0.6.",
            UserWarning,
            stacklevel=3,
        )


def plan_training(est, panel: Panel,
                  seed: int) -> tuple[int, int, int, np.ndarray, np.ndarray | None]:
    """Data-dependent sizes: (patch_len, batch_size, max_epochs, train and validation
    indices), resolving the "auto" settings of ``est`` for ``panel``."""
    from ..training._recipe import split_indices

    patch = est.patch_len
    if patch == "auto":
        patch = max(1, -(-panel.n_timesteps // 32))
    train_idx, valid_idx = split_indices(panel.n_samples, est.validation_fraction, seed)
    n_train = len(train_idx)
    batch = est.batch_size
    if batch == "auto":
        batch = int(np.clip(n_train // 8, 8, 64))
    batch = max(1, min(batch, n_train))
    epochs = est.max_epochs
    if epochs == "auto":
        steps = 200 if int(panel.observed.sum()) <= 100_000 else 600
        epochs = max(1, -(-steps // -(-n_train // batch)))
    return int(patch), int(batch), int(epochs), train_idx, valid_idx


def build_net(est, panel: Panel, device: str, seed: int, valid: dict | None, steps: int):
    """The skorch net of ``est`` (planned: ``patch_len_``, ``batch_size_`` and
    ``max_epochs_`` set) for ``panel``'s channels; ``valid`` holds the validation inputs
    (None: no validation), ``steps`` the planned optimiser steps (the schedules)."""
    from skorch.callbacks import GradientNormClipping, LRScheduler
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    from ..training._net import DMAENet, EMATeacher, WarmupCosine
    from ..training._recipe import noop, training_callbacks

    callbacks = [("clip", GradientNormClipping(4.0))]
    if est.lr_schedule == "cosine":
        callbacks.append(("lr", LRScheduler(
            torch.optim.lr_scheduler.LambdaLR, lr_lambda=WarmupCosine(steps),
            step_every="batch",
        )))
    if est.teacher == "ema" and est.alignment_weight > 0:
        callbacks.append(("ema", EMATeacher(steps)))
    callbacks += training_callbacks(est.verbose, valid=valid is not None,
                                    patience=est.patience, callbacks=est.callbacks,
                                    owner=type(est).__name__)
    if valid is None and est.validation_fraction > 0:
        logger.info(
            "validation_fraction=%s leaves no validation series out of %d; "
            "monitoring the training loss.", est.validation_fraction, panel.n_samples
        )
    return DMAENet(
        DMAEModule,
        module__n_channels=panel.n_channels,
        module__d_model=est.d_model,
        module__n_heads=est.n_heads,
        module__n_layers=est.n_layers,
        module__d_ff=est.d_ff,
        module__dropout=est.dropout,
        module__norm=est.norm,
        module__teacher=est.teacher if est.alignment_weight > 0 else "shared",
        module__teacher_view=est.teacher_view,
        module__ema_momentum=est.ema_momentum,
        module__patch_len=est.patch_len_,
        module__n_conv_blocks=est.n_conv_blocks,
        criterion=nn.MSELoss,  # unused: DMAENet.get_loss combines the named outputs
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=est.weight_decay,
        lr=est.lr,
        max_epochs=max(est.max_epochs_, 1),
        batch_size=est.batch_size_,
        train_split=None if valid is None else predefined_split(Dataset(valid, None)),
        iterator_train__shuffle=True,
        callbacks=callbacks,
        callbacks__print_log__sink=logger.info if est.verbose >= 1 else noop,
        device=device,
        verbose=int(est.verbose >= 1),
        mask_ratio=est.mask_ratio,
        mean_span=float(est.mean_span),
        alignment_weight=float(est.alignment_weight),
        mask_seed=seed,
        patch_len=est.patch_len_,
        mask_per_channel=bool(est.mask_per_channel),
        contrastive_weight=float(est.contrastive_weight),
    )


def recalibrate(module: DMAEModule, batches) -> None:
    """Recompute the student's BatchNorm statistics from ``batches`` of
    ``(x, observed, valid)`` tensors (whole, unmasked series) and copy them to the
    teacher, so that both normalise with the statistics of what ``transform`` encodes."""
    from ..nn._encoder import recalibrate_batchnorm

    encoder = module.encoder
    recalibrate_batchnorm(encoder, batches)
    if module.teacher is not None:  # keep the teacher's buffers in step
        for t, s in zip(module.teacher.buffers(), encoder.buffers()):
            t.copy_(s)
