"""Pooling a per-step latent (B, T, d) over the valid steps of each series."""

from __future__ import annotations

import torch

__all__ = ["masked_pool"]


def masked_pool(h: torch.Tensor, valid: torch.Tensor, how: str = "mean") -> torch.Tensor:
    """Pool ``h`` of shape (B, T, d) over the steps where ``valid`` (B, T) is True.

    Padding never enters the result, so a series gives the same features whatever it
    is padded to. ``how`` is "mean", "max", "meanmax" (both, concatenated: (B, 2d)) or
    "last" (the last valid step).
    """
    valid = valid.to(torch.bool)
    w = valid.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
    if how == "last":
        idx = (valid.long().sum(1) - 1).clamp(min=0)  # (B,)
        return h[torch.arange(h.shape[0], device=h.device), idx]
    mean = (h * w).sum(1) / w.sum(1).clamp(min=1.0)
    if how == "mean":
        return mean
    mx = h.masked_fill(~valid.unsqueeze(-1), float("-inf")).amax(1)
    if how == "max":
        return mx
    if how == "meanmax":
        return torch.cat([mean, mx], dim=-1)
    raise ValueError(f"pooling must be one of 'mean', 'max', 'meanmax', 'last'; got {how!r}.")
