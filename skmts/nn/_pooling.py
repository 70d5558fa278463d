"""Pooling per-position latents (B, N, d) over the valid positions of each series."""

from __future__ import annotations

import torch

__all__ = ["masked_pool", "POOLINGS"]

POOLINGS = ("mean", "max", "meanmax", "last", "segments", "segmentsmax", "meanmaxppv",
            "multiscale")
N_SEGMENTS = 4


def _segment_means(h, valid, w, k: int):
    """Mean over ``k`` consecutive segments of each series' own valid positions: (B, k*d).

    Segments are cut by rank among the valid positions, so a series is split by its own
    length and padding never shifts a boundary; this keeps coarse order (beginning,
    middle, end) that a global mean throws away.
    """
    rank = valid.long().cumsum(1) - 1  # (B, N): rank of each valid position
    n_valid = valid.long().sum(1, keepdim=True).clamp(min=1)
    seg = (rank * k) // n_valid  # (B, N) in [0, k)
    onehot = torch.nn.functional.one_hot(seg.clamp(0, k - 1), k).to(h.dtype) * w  # (B, N, k)
    sums = torch.einsum("bnk,bnd->bkd", onehot, h)
    means = sums / onehot.sum(1).clamp(min=1.0)[..., None]
    return means.flatten(1)


def _segment_ids(valid, k: int):
    """Segment (0..k-1) of each position among its series' own valid positions."""
    rank = valid.long().cumsum(1) - 1
    n_valid = valid.long().sum(1, keepdim=True).clamp(min=1)
    return ((rank * k) // n_valid).clamp(0, k - 1)


def _segment_maxes(h, valid, k: int):
    """Max over each of ``k`` consecutive segments of the valid positions: (B, k*d).

    A segment without a valid position (a series shorter than ``k`` steps) gives 0.
    """
    seg = _segment_ids(valid, k)
    out = []
    for j in range(k):
        inside = (valid & (seg == j)).unsqueeze(-1)
        mx = h.masked_fill(~inside, float("-inf")).amax(1)
        out.append(torch.where(torch.isfinite(mx), mx, torch.zeros_like(mx)))
    return torch.cat(out, dim=-1)


def masked_pool(h: torch.Tensor, valid: torch.Tensor, how: str = "mean") -> torch.Tensor:
    """Pool ``h`` of shape (B, N, d) over the positions where ``valid`` (B, N) is True.

    Padding never enters the result, so a series gives the same features whatever it
    is padded to. ``how`` is one of:

    * "mean", "max": over all valid positions, (B, d);
    * "meanmax": both, concatenated, (B, 2d);
    * "last": the last valid position, (B, d);
    * "segments": the mean over each of 4 consecutive segments of the valid positions
      plus the global max, (B, 5d): coarse order is kept;
    * "segmentsmax": "segments" plus the global mean, (B, 6d);
    * "meanmaxppv": mean, max and the proportion of positive values (MiniRocket's PPV:
      the fraction of valid positions where a latent is above 0), (B, 3d);
    * "multiscale": the mean, and the max over the whole series, its 2 halves and its
      4 quarters (TS2Vec's multi-scale max pooling, on each series' own valid
      positions), (B, 8d).
    """
    valid = valid.to(torch.bool)
    w = valid.unsqueeze(-1).to(h.dtype)  # (B, N, 1)
    if how == "last":
        idx = (valid.long().sum(1) - 1).clamp(min=0)  # (B,)
        return h[torch.arange(h.shape[0], device=h.device), idx]
    mean = (h * w).sum(1) / w.sum(1).clamp(min=1.0)
    if how == "mean":
        return mean
    mx = h.masked_fill(~valid.unsqueeze(-1), float("-inf")).amax(1)
    mx = torch.where(torch.isfinite(mx), mx, torch.zeros_like(mx))  # a series with no valid step
    if how == "max":
        return mx
    if how == "meanmax":
        return torch.cat([mean, mx], dim=-1)
    if how == "meanmaxppv":
        ppv = ((h > 0).to(h.dtype) * w).sum(1) / w.sum(1).clamp(min=1.0)
        return torch.cat([mean, mx, ppv], dim=-1)
    if how == "segments":
        return torch.cat([_segment_means(h, valid, w, N_SEGMENTS), mx], dim=-1)
    if how == "segmentsmax":
        return torch.cat([_segment_means(h, valid, w, N_SEGMENTS), mean, mx], dim=-1)
    if how == "multiscale":
        return torch.cat([mean, mx, _segment_maxes(h, valid, 2), _segment_maxes(h, valid, 4)],
                         dim=-1)
    raise ValueError(f"pooling must be one of {', '.join(map(repr, POOLINGS))}; got {how!r}.")


def pooled_width(d: int, how: str) -> int:
    """Output width of :func:`masked_pool` for latents of width ``d``."""
    return d * {"mean": 1, "max": 1, "last": 1, "meanmax": 2, "segments": N_SEGMENTS + 1,
                "segmentsmax": N_SEGMENTS + 2, "meanmaxppv": 3, "multiscale": 8}[how]
