"""A Transformer encoder for partially observed, padded multivariate series.

The layout follows the TST reference design (Zerveas et al., KDD 2021, mvts_transformer):
a linear input projection scaled by sqrt(d_model), fixed sinusoidal positions, post-norm
encoder layers with BatchNorm in place of LayerNorm and a GELU feed-forward block. Three
changes for skmts's data, each a parameter so the reference design stays reachable:

* the observed mask enters as extra input channels (so a zero can be told from a
  missing value), and every operation that mixes steps or samples (attention, BatchNorm
  statistics, pooling) sees valid, unpadded positions only;
* ``n_conv_blocks`` residual dilated convolutions (TS2Vec's blocks) run over the steps
  before tokenisation, so that local shape is seen by a shift-tolerant filter bank rather
  than built by attention over single values (0 blocks: TST's per-step projection);
* ``patch_len`` consecutive steps form one token (PatchTST), which shortens the
  attended sequence ``patch_len``-fold; a last partial patch is padded and masked.
  ``patch_len=1`` is one token per step, as in TST.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._pooling import masked_pool, pooled_width

__all__ = [
    "sinusoidal_positions",
    "MaskedNorm",
    "EncoderLayer",
    "ConvBlock",
    "SeriesEncoder",
    "to_patches",
    "recalibrate_batchnorm",
]


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


def to_patches(t: torch.Tensor, patch_len: int) -> torch.Tensor:
    """(B, T, ...) -> (B, N, patch_len, ...) with N = ceil(T / patch_len), zero-padded.

    A boolean tensor is padded with False, so a padded step is never valid or observed.
    """
    b, n_steps = t.shape[:2]
    n = -(-n_steps // patch_len)
    pad = n * patch_len - n_steps
    if pad:
        t = torch.cat([t, t.new_zeros((b, pad, *t.shape[2:]))], dim=1)
    return t.reshape(b, n, patch_len, *t.shape[2:])


class MaskedNorm(nn.Module):
    """BatchNorm (or LayerNorm) over the valid positions of a (B, N, d) batch.

    BatchNorm statistics are computed over valid tokens only, so padding neither
    shifts them nor is shifted by them. ``freeze_stats=True`` normalises with the
    batch's statistics without updating the running ones (the teacher's pass). A
    BatchNorm whose ``momentum`` is None keeps a cumulative average (used to
    recalibrate the running statistics after training).
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
        momentum = bn.momentum
        if use_batch_stats and not freeze_stats and momentum is None:
            bn.num_batches_tracked += 1
            momentum = 1.0 / float(bn.num_batches_tracked)
        normed = F.batch_norm(
            tokens,
            bn.running_mean,
            bn.running_var,
            bn.weight,
            bn.bias,
            training=use_batch_stats,
            momentum=0.0 if freeze_stats else momentum,
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

    def forward(self, h, valid, teacher: bool = False, p: float | None = None):
        b, t, d = h.shape
        q, k, v = self.qkv(h).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        # (B, heads, N, d_head); padded keys never receive attention
        attn = F.scaled_dot_product_attention(q, k, v, attn_mask=valid[:, None, None, :])
        attn = self.out(attn.transpose(1, 2).reshape(b, t, d))
        if p is None:
            p = 0.0 if (teacher or not self.training) else self.dropout
        h = self.norm1(h + F.dropout(attn, p, True), valid, freeze_stats=teacher)
        h = self.norm2(h + F.dropout(self.ff(h), p, True), valid, freeze_stats=teacher)
        return h


class ConvBlock(nn.Module):
    """Residual dilated convolution block (TS2Vec): GELU -> conv -> GELU -> conv, + input.

    Kernel 3 with "same" padding, so the length is kept; inputs are (B, d, T) and the
    valid-step weights ``w`` (B, 1, T). Padded steps are zeroed between the two
    convolutions, so a series sees zeros past its end whatever it is padded to (as the
    convolutions' own padding does at the end of the batch).
    """

    def __init__(self, d_model: int, dilation: int):
        super().__init__()
        self.conv1 = nn.Conv1d(d_model, d_model, 3, dilation=dilation, padding=dilation)
        self.conv2 = nn.Conv1d(d_model, d_model, 3, dilation=dilation, padding=dilation)

    def forward(self, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return (h + self.conv2(F.gelu(self.conv1(F.gelu(h))) * w)) * w


class SeriesEncoder(nn.Module):
    """Values and observed mask (B, T, C) -> per-token latents (B, N, d_model).

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
    patch_len : int, default=1
        Steps per token; ``N = ceil(T / patch_len)`` tokens.
    n_conv_blocks : int, default=0
        Residual dilated convolution blocks (dilations 1, 2, 4, ...) over the steps
        before tokenisation; a patch token then embeds the mean and max of the stem's
        output over the patch's valid steps.

    Examples
    --------
    >>> import torch
    >>> enc = SeriesEncoder(3, d_model=8, n_heads=2, n_layers=1, d_ff=16, patch_len=4)
    >>> x, m = torch.zeros(4, 10, 3), torch.ones(4, 10, 3)
    >>> enc(x, m, torch.ones(4, 10, dtype=torch.bool)).shape
    torch.Size([4, 3, 8])
    """

    def __init__(self, n_channels, d_model=64, n_heads=8, n_layers=3, d_ff=256, dropout=0.1,
                 norm="batch", patch_len=1, n_conv_blocks=0):
        super().__init__()
        self.d_model = d_model
        self.patch_len = int(patch_len)
        self.n_conv_blocks = int(n_conv_blocks)
        if self.n_conv_blocks:
            self.stem_in = nn.Linear(2 * n_channels, d_model)
            self.stem = nn.ModuleList(ConvBlock(d_model, 2**i) for i in range(self.n_conv_blocks))
            self.project = nn.Linear(2 * d_model, d_model)
        else:
            self.project = nn.Linear(2 * n_channels * self.patch_len, d_model)
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, n_heads, d_ff, dropout, norm) for _ in range(n_layers)
        )
        self.dropout = dropout

    def token_mask(self, step_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) step mask -> (B, N): a token is set when any of its steps is."""
        return to_patches(step_mask.to(torch.bool), self.patch_len).any(-1)

    def _stem(self, x, observed, valid):
        """Per-step stem features (B, T, d), zero at padded steps."""
        w = valid[..., None].to(x.dtype)
        s = self.stem_in(torch.cat([x, observed], dim=-1)) * w
        s, w = s.transpose(1, 2), w.transpose(1, 2)  # (B, d, T), (B, 1, T)
        for block in self.stem:
            s = block(s, w)
        return s.transpose(1, 2)

    def forward(self, x, observed, valid, *, teacher: bool = False, all_layers: bool = False,
                p: float | None = None):
        """Encode; ``x`` must be 0 wherever ``observed`` is 0.

        Returns the last layer's tokens (B, N, d), or, with ``all_layers``, a dict with
        ``"layers"`` (every layer's tokens), ``"tokens"`` (B, N) token validity and
        ``"stem"`` (the stem's per-step output (B, T, d), or None). ``teacher=True``
        runs without dropout and without updating BatchNorm's running statistics;
        ``p`` overrides the dropout rate.
        """
        observed = observed.to(x.dtype)
        valid = valid.to(torch.bool)
        tokens = self.token_mask(valid)  # (B, N)
        stem = None
        if self.n_conv_blocks:
            stem = self._stem(x, observed, valid)
            s = to_patches(stem, self.patch_len)  # (B, N, P, d)
            w = to_patches(valid, self.patch_len)[..., None]  # (B, N, P, 1)
            mean = (s * w).sum(2) / w.sum(2).clamp(min=1)
            mx = s.masked_fill(~w, float("-inf")).amax(2).masked_fill(~tokens[..., None], 0.0)
            h = self.project(torch.cat([mean, mx], dim=-1))
        else:
            z = to_patches(torch.cat([x, observed], dim=-1), self.patch_len)  # (B, N, P, 2C)
            h = self.project(z.flatten(2))
        h = h * math.sqrt(self.d_model)
        h = h + sinusoidal_positions(h.shape[1], self.d_model, x.device).to(h.dtype)
        if p is None:
            p = 0.0 if (teacher or not self.training) else self.dropout
        h = F.dropout(h, p, True) * tokens[..., None]
        outputs = []
        for layer in self.layers:
            h = layer(h, tokens, teacher=teacher, p=p)
            outputs.append(h)
        if all_layers:
            return {"layers": outputs, "tokens": tokens, "stem": stem}
        return h

    def features(self, x, observed, valid, pooling: str = "meanmax",
                 layers: str = "all") -> torch.Tensor:
        """One vector per series (B, n_features): pooled latents of the whole series.

        ``x`` may hold anything where ``observed`` is False (it is zeroed here). Tokens
        (and, for the stem, steps) enter the pooling only when unpadded with at least
        one observed value. ``layers="all"`` concatenates the pooled stem output (when
        there is a stem) and every layer's; ``"last"`` pools the last layer only.
        """
        valid = valid.to(torch.bool)
        observed = observed.to(torch.bool)
        out = self(x * observed.to(x.dtype), observed, valid, all_layers=True)
        steps = valid & observed.any(-1)  # (B, T)
        tokens = self.token_mask(steps)  # (B, N)
        if layers != "all":
            return masked_pool(out["layers"][-1].float(), tokens, pooling)
        pooled = [masked_pool(h.float(), tokens, pooling) for h in out["layers"]]
        if out["stem"] is not None:
            pooled.insert(0, masked_pool(out["stem"].float(), steps, pooling))
        return torch.cat(pooled, dim=-1)

    def n_features(self, pooling: str = "meanmax", layers: str = "all") -> int:
        """Width of :meth:`features` for these settings."""
        n = 1 if layers != "all" else len(self.layers) + int(self.n_conv_blocks > 0)
        return n * pooled_width(self.d_model, pooling)


@torch.no_grad()
def recalibrate_batchnorm(encoder: SeriesEncoder, batches) -> None:
    """Recompute BatchNorm running statistics from ``batches`` of full inputs.

    During training the running statistics follow masked inputs (and weights that were
    still moving); ``transform`` encodes whole series with the final weights. Each
    batch is ``(x, observed, valid)``; the statistics become the cumulative average
    over all of them, and the encoder's training mode is restored afterwards.
    """
    norms = [m.norm for m in encoder.modules()
             if isinstance(m, MaskedNorm) and m.kind == "batch"]
    if not norms:
        return
    was_training = encoder.training
    momenta = [bn.momentum for bn in norms]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None
    encoder.train()
    try:
        for x, observed, valid in batches:
            encoder(x * observed.to(x.dtype), observed, valid, p=0.0)
    finally:
        for bn, m in zip(norms, momenta):
            bn.momentum = m
        encoder.train(was_training)
