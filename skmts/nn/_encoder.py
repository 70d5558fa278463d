"""A Transformer encoder for partially observed, padded multivariate series.

The layout follows the TST reference design (Zerveas et al., KDD 2021, mvts_transformer):
a linear input projection scaled by sqrt(d_model), fixed sinusoidal positions, post-norm
encoder layers with BatchNorm in place of LayerNorm and a GELU feed-forward block. Two
changes for skmts's data: the observed mask enters as extra input channels (so a zero
can be told from a missing value), and every operation that mixes steps or samples
(attention, BatchNorm statistics) sees valid, unpadded steps only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["sinusoidal_positions", "MaskedNorm", "EncoderLayer", "SeriesEncoder"]


def sinusoidal_positions(n_timesteps: int, d_model: int, device=None) -> torch.Tensor:
    """Fixed sine/cosine positions (T, d_model), defined for any length.

    Fixed rather than learned (TST's default) so that series longer than those seen
    in fit still get positions.
    """
    pos = torch.arange(n_timesteps, device=device, dtype=torch.float32)[:, None]
    i = torch.arange(0, d_model, 2, device=device, dtype=torch.float32)
    angle = pos * torch.exp(-math.log(10000.0) * i / d_model)
    pe = torch.zeros(n_timesteps, d_model, device=device)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe


class MaskedNorm(nn.Module):
    """BatchNorm (or LayerNorm) over the valid steps of a (B, T, d) batch.

    BatchNorm statistics are computed over valid tokens only, so padding neither
    shifts them nor is shifted by them. ``freeze_stats=True`` normalises with the
    batch's statistics without updating the running ones (the teacher's pass).
    """

    def __init__(self, d_model: int, kind: str = "batch"):
        super().__init__()
        self.kind = kind
        self.norm = nn.BatchNorm1d(d_model) if kind == "batch" else nn.LayerNorm(d_model)

    def forward(self, h: torch.Tensor, valid: torch.Tensor, freeze_stats: bool = False):
        if self.kind != "batch":
            return self.norm(h)
        tokens = h[valid]  # (n_valid, d)
        bn = self.norm
        use_batch_stats = self.training and tokens.shape[0] > 1
        normed = F.batch_norm(
            tokens,
            bn.running_mean,
            bn.running_var,
            bn.weight,
            bn.bias,
            training=use_batch_stats,
            momentum=0.0 if freeze_stats else bn.momentum,
            eps=bn.eps,
        )
        out = torch.zeros_like(h)
        out[valid] = normed.to(h.dtype)
        return out


class EncoderLayer(nn.Module):
    """Post-norm Transformer layer: attention -> add & norm -> feed-forward -> add & norm."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float, norm: str):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.norm1 = MaskedNorm(d_model, norm)
        self.norm2 = MaskedNorm(d_model, norm)
        self.dropout = dropout

    def forward(self, h, valid, teacher: bool = False):
        b, t, d = h.shape
        q, k, v = self.qkv(h).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        # (B, heads, T, d_head); padded keys never receive attention
        attn = F.scaled_dot_product_attention(q, k, v, attn_mask=valid[:, None, None, :])
        attn = self.out(attn.transpose(1, 2).reshape(b, t, d))
        p = 0.0 if (teacher or not self.training) else self.dropout
        h = self.norm1(h + F.dropout(attn, p, True), valid, freeze_stats=teacher)
        h = self.norm2(h + F.dropout(self.ff(h), p, True), valid, freeze_stats=teacher)
        return h


class SeriesEncoder(nn.Module):
    """Values and observed mask (B, T, C) -> per-step latent (B, T, d_model).

    Parameters
    ----------
    n_channels : int
        Channels of the input series.
    d_model, n_heads, n_layers, d_ff : int
        Transformer sizes; ``d_model`` must be divisible by ``n_heads``.
    dropout : float
        Dropout after attention and feed-forward blocks (none inside attention, which
        keeps ``scaled_dot_product_attention`` on its fast path).
    norm : {"batch", "layer"}
        Normalisation inside the layers.

    Examples
    --------
    >>> import torch
    >>> enc = SeriesEncoder(3, d_model=8, n_heads=2, n_layers=1, d_ff=16)
    >>> x, m = torch.zeros(4, 10, 3), torch.ones(4, 10, 3)
    >>> enc(x, m, torch.ones(4, 10, dtype=torch.bool)).shape
    torch.Size([4, 10, 8])
    """

    def __init__(self, n_channels, d_model=64, n_heads=8, n_layers=3, d_ff=256, dropout=0.1,
                 norm="batch"):
        super().__init__()
        self.d_model = d_model
        self.project = nn.Linear(2 * n_channels, d_model)
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, n_heads, d_ff, dropout, norm) for _ in range(n_layers)
        )
        self.dropout = dropout

    def forward(self, x, observed, valid, *, teacher: bool = False, all_layers: bool = False):
        """Encode; ``x`` must be 0 wherever ``observed`` is 0.

        Returns the last layer's output (B, T, d), or the list of every layer's output
        when ``all_layers`` is True. ``teacher=True`` runs without dropout and without
        updating BatchNorm's running statistics.
        """
        observed = observed.to(x.dtype)
        h = self.project(torch.cat([x, observed], dim=-1)) * math.sqrt(self.d_model)
        h = h + sinusoidal_positions(x.shape[1], self.d_model, x.device).to(h.dtype)
        p = 0.0 if (teacher or not self.training) else self.dropout
        h = F.dropout(h, p, True) * valid[..., None]
        outputs = []
        for layer in self.layers:
            h = layer(h, valid, teacher=teacher)
            outputs.append(h)
        return outputs if all_layers else h
