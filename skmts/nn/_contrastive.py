"""TS2Vec's hierarchical contrastive loss, for padded token sequences.

Two views of the same batch give latents ``z1``, ``z2`` of shape (B, N, d). At each
level the loss contrasts, for every valid token,

* its twin in the other view against the other series' tokens at the same position
  (instance contrast), and
* its twin in the other view against the same series' tokens at other positions
  (temporal contrast);

then both views are max-pooled by 2 along the tokens and the next level starts, until
one token is left (instance contrast only). Similarities are plain dot products and
the levels are averaged, as in TS2Vec (Yue et al., AAAI 2022). Unlike TS2Vec's crops,
positions that are padding (``valid`` False) are kept out of every softmax and every
average, so ragged series train without being cut to a common length.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["hierarchical_contrastive"]


def _contrast(z: torch.Tensor, valid: torch.Tensor, half: int):
    """Cross-entropy of each valid row of ``z @ z.T`` towards its twin ``half`` rows
    away, over the valid columns other than itself. ``z`` is (G, 2M, d), ``valid``
    (G, 2M). Returns the mean loss and the number of rows that entered it."""
    sim = torch.matmul(z, z.transpose(1, 2))  # (G, 2M, 2M)
    n = z.shape[1]
    eye = torch.eye(n, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(eye | ~valid[:, None, :], -1e9)  # finite: no NaN in backward
    twin = (torch.arange(n, device=z.device) + half) % n
    logp = torch.log_softmax(sim, dim=-1)
    pos = logp.gather(-1, twin.expand(z.shape[0], n)[..., None]).squeeze(-1)  # (G, 2M)
    # a row enters when it and its twin are valid and it has a negative to compare with
    rows = valid & valid[:, twin] & (valid.sum(-1, keepdim=True) > 2)
    count = rows.sum()
    return -(pos.masked_fill(~rows, 0.0)).sum() / count.clamp(min=1), count


def _mean_present(parts):
    """Mean of the ``(loss, count)`` parts whose count is above 0, and how many those
    are; tensors throughout, so the training step never waits on the device."""
    values = torch.stack([loss for loss, _ in parts])
    present = torch.stack([count > 0 for _, count in parts]).to(values.dtype)
    return (values * present).sum() / present.sum().clamp(min=1), present.sum()


def _level(z1, z2, valid, temporal: bool):
    """Mean of the instance (and temporal) contrast losses of one level, and how many
    of them had a row to contrast."""
    b, n, _ = z1.shape
    parts = []
    # instance: per position, the 2B tokens of both views
    zi = torch.cat([z1, z2], dim=0).transpose(0, 1)  # (N, 2B, d)
    vi = torch.cat([valid, valid], dim=0).transpose(0, 1)  # (N, 2B)
    parts.append(_contrast(zi, vi, b))
    if temporal:  # per series, the 2N tokens of both views
        zt = torch.cat([z1, z2], dim=1)  # (B, 2N, d)
        vt = torch.cat([valid, valid], dim=1)
        parts.append(_contrast(zt, vt, n))
    return _mean_present(parts)


def hierarchical_contrastive(z1: torch.Tensor, z2: torch.Tensor,
                             valid: torch.Tensor) -> torch.Tensor:
    """TS2Vec's hierarchical contrastive loss of two views (B, N, d), padded tokens out.

    Parameters
    ----------
    z1, z2 : Tensor of shape (n_series, n_tokens, d)
        Latents of the same series under two views, token ``i`` of ``z1`` matching
        token ``i`` of ``z2``.
    valid : Tensor of bool, shape (n_series, n_tokens)
        Unpadded tokens.

    Returns
    -------
    loss : scalar Tensor
        Mean over the levels that had something to contrast (0 when none had).

    Examples
    --------
    >>> import torch
    >>> z = torch.randn(4, 8, 16)
    >>> valid = torch.ones(4, 8, dtype=torch.bool)
    >>> same = hierarchical_contrastive(z, z, valid)
    >>> other = hierarchical_contrastive(z, torch.randn(4, 8, 16), valid)
    >>> bool(same < other)
    True
    """
    with torch.autocast(z1.device.type, enabled=False):  # float32: masks stay finite
        return _hierarchical(z1.float(), z2.float(), valid.to(torch.bool))


def _hierarchical(z1, z2, valid):
    levels = []
    while True:
        n = z1.shape[1]
        levels.append(_level(z1, z2, valid, temporal=n > 1))
        if n <= 1:
            break
        # max-pool by 2 over valid tokens; a pooled token is valid when either was
        z1, z2 = (F.max_pool1d(z.masked_fill(~valid[..., None], float("-inf")).transpose(1, 2),
                               2, ceil_mode=True).transpose(1, 2) for z in (z1, z2))
        valid = F.max_pool1d(valid[:, None].float(), 2, ceil_mode=True)[:, 0] > 0
        z1, z2 = (z.masked_fill(~valid[..., None], 0.0) for z in (z1, z2))
    return _mean_present(levels)[0]
