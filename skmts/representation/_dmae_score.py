"""The label-free score of :class:`~skmts.DMAETransformer`: masked reconstruction on a
fixed reference task.

The reference mask is not the estimator's own masking, so that candidates trained on
different tasks (``GridSearchCV`` over ``mask_ratio``, ...) are scored on the same
hidden values.
"""

from __future__ import annotations

import torch

from .._utils import seed_from
from .._validation import Panel
from ..nn._dmae import dmae_losses

__all__ = ["SCORE_MASK_RATIO", "SCORE_MEAN_SPAN", "masked_error", "reference_task",
           "score_mask"]

#: The reference task of :meth:`DMAETransformer.score` (fixed: not the estimator's own
#: masking, so that candidates trained on different tasks are scored on the same one).
SCORE_MASK_RATIO = 0.3
SCORE_MEAN_SPAN = 3.0


def reference_task(mask_ratio, mean_span, random_state) -> tuple[float, float, int]:
    """The ``(mask_ratio, mean_span, seed)`` of :meth:`DMAETransformer.score`'s arguments
    (None: the reference values), checked."""
    ratio = SCORE_MASK_RATIO if mask_ratio is None else float(mask_ratio)
    span = SCORE_MEAN_SPAN if mean_span is None else float(mean_span)
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"mask_ratio must be in (0, 1); got {mask_ratio!r}.")
    if not span >= 1.0:
        raise ValueError(f"mean_span must be >= 1; got {mean_span!r}.")
    return ratio, span, seed_from(0 if random_state is None else random_state)


def score_mask(panel: Panel, mask_ratio: float, mean_span: float, seed: int,
               per_channel: bool = False) -> torch.Tensor:
    """The values :meth:`DMAETransformer.score` hides: a bool tensor (n, T, C) on the CPU.

    Geometric spans of time steps (:func:`skmts.nn._masking.patch_span_mask` with
    ``patch_len=1``), all channels of a step at once unless ``per_channel``, drawn once
    for the whole panel from a generator seeded by ``seed``: the mask depends on the
    panel's shape and the arguments only. If it hides no observed value, the first
    observed value is hidden, so that there is always something to score.
    """
    from ..nn._masking import patch_span_mask

    gen = torch.Generator().manual_seed(int(seed))
    hidden = patch_span_mask(panel.values.shape, 1, mask_ratio, mean_span,
                             per_channel=per_channel, generator=gen).contiguous()
    scorable = torch.as_tensor(panel.observed & panel.valid[..., None])
    if not bool((hidden & scorable).any()) and bool(scorable.any()):
        hidden.view(-1)[int(torch.nonzero(scorable.reshape(-1))[0])] = True
    return hidden


def masked_error(module, inputs: dict, hidden_all: torch.Tensor, batch_size: int, device,
                 *, what: str) -> float:
    """The MSE of the eval-mode ``module``'s reconstruction over the hidden
    (``hidden_all``), observed values of ``inputs`` (the model inputs of a panel),
    batched; the batch size is halved when the GPU runs out of memory."""
    from ..training._faults import retry_on_oom
    from ..training._recipe import batches

    n_samples = len(inputs["x"])
    module.eval()

    def run(size):
        total, count = 0.0, 0.0
        with torch.no_grad():
            for start, b in zip(range(0, n_samples, size), batches(inputs, size, device)):
                hidden = hidden_all[start : start + size].to(b["x"].device)
                out = module(b["x"], b["observed"], b["valid"], hidden, with_teacher=False)
                target = (b["observed"] & hidden & b["valid"][..., None]).sum().item()
                loss = dmae_losses(out, b["x"], b["observed"], b["valid"], hidden)
                total += loss["reconstruction"].item() * target
                count += target
        return total, count

    total, count = retry_on_oom(run, batch_size, what=what, setting=None)
    return total / max(count, 1.0)
