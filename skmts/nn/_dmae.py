"""The Dual-Masked Autoencoder network (arXiv 2509.16078), tensors in, named outputs out."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ._contrastive import hierarchical_contrastive
from ._encoder import SeriesEncoder, sinusoidal_positions

__all__ = ["FeatureQuery", "DMAEModule", "DMAEFeatures", "dmae_losses"]


class FeatureQuery(nn.Module):
    """Predict a latent per token from the student's output by cross-attention.

    The queries carry position only (a learned vector plus the sinusoidal position of
    the token), so what a query retrieves about a hidden token can only come from the
    visible context the student encoded.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.query = nn.Parameter(torch.zeros(d_model))
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.Linear(d_model, d_model))

    def forward(self, h: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        b, t, d = h.shape
        hd = d // self.n_heads
        queries = self.query + sinusoidal_positions(t, d, h.device).to(h.dtype)  # (N, d)
        q = self.q(queries).view(1, t, self.n_heads, hd).transpose(1, 2).expand(b, -1, -1, -1)
        k, v = self.kv(h).view(b, t, 2, self.n_heads, hd).permute(2, 0, 3, 1, 4)
        z = F.scaled_dot_product_attention(q, k, v, attn_mask=valid[:, None, None, :])
        return self.out(z.transpose(1, 2).reshape(b, t, d))


class DMAEModule(nn.Module):
    """Student encoder, reconstruction decoder, feature-query predictor and teacher.

    ``forward(x, observed, valid, hidden)`` runs one training view:

    * the student encodes the visible values ``x * (observed & ~hidden)``;
    * a decoder reconstructs every value (each token decodes its ``patch_len`` steps);
    * the feature-query module predicts, per token, the latent that the teacher
      computes from the complementary view ``x * (observed & hidden)``
      (``teacher_view="complement"``, the paper's design) or from the whole series
      (``"full"``, a data2vec-style target); targets are normalised per token
      (LayerNorm without parameters) so their scale cannot collapse;
    * the teacher runs without gradient: the student's own weights (``teacher="shared"``)
      or an exponential moving average of them (``teacher="ema"``), in both cases with
      BatchNorm statistics frozen so its input never pollutes them;
    * with ``with_views=True`` the student also encodes the complementary view (with
      gradient): ``view_a``, ``view_b`` and ``view_tokens`` feed the contrastive loss of
      :func:`dmae_losses`.

    ``features(x, observed, valid, pooling, layers)`` pools the student's latents of
    the whole series into one vector per series.

    Parameters
    ----------
    n_channels : int
        Channels of the input.
    d_model, n_heads, n_layers, d_ff, dropout, norm, patch_len, n_conv_blocks
        Encoder settings, see :class:`~skmts.nn.SeriesEncoder`.
    teacher : {"ema", "shared"}, default="ema"
        Where the teacher's weights come from.
    ema_momentum : float, default=0.99
        Momentum of the EMA teacher (ignored for "shared"); see :meth:`update_teacher`.
    teacher_view : {"complement", "full"}, default="complement"
        What the teacher sees.

    Examples
    --------
    >>> import torch
    >>> m = DMAEModule(3, d_model=8, n_heads=2, n_layers=1, d_ff=16, patch_len=2)
    >>> x, obs = torch.randn(4, 10, 3), torch.ones(4, 10, 3, dtype=torch.bool)
    >>> valid = torch.ones(4, 10, dtype=torch.bool)
    >>> hidden = torch.zeros(4, 10, 3, dtype=torch.bool); hidden[:, 2:4] = True
    >>> out = m(x, obs, valid, hidden)
    >>> sorted(out), tuple(out["reconstruction"].shape), tuple(out["latent_pred"].shape)
    (['latent_pred', 'latent_target', 'reconstruction', 'target_tokens'], (4, 10, 3), (4, 5, 8))
    """

    def __init__(self, n_channels, d_model=64, n_heads=8, n_layers=3, d_ff=256, dropout=0.1,
                 norm="batch", teacher="ema", ema_momentum=0.99, patch_len=1, n_conv_blocks=0,
                 teacher_view="complement"):
        super().__init__()
        self.n_channels = n_channels
        self.patch_len = int(patch_len)
        self.encoder = SeriesEncoder(n_channels, d_model, n_heads, n_layers, d_ff, dropout, norm,
                                     patch_len=patch_len, n_conv_blocks=n_conv_blocks)
        self.decoder = nn.Linear(d_model, n_channels * self.patch_len)  # per token: its steps
        self.feature_query = FeatureQuery(d_model, n_heads)
        self.teacher_kind = teacher
        self.teacher_view = teacher_view
        self.ema_momentum = ema_momentum
        if teacher == "ema":
            self.teacher = copy.deepcopy(self.encoder)
            self.teacher.requires_grad_(False)
        else:
            self.teacher = None

    def _teacher_encoder(self) -> SeriesEncoder:
        return self.teacher if self.teacher is not None else self.encoder

    def decode(self, h: torch.Tensor, n_steps: int) -> torch.Tensor:
        """Tokens (B, N, d) -> reconstructed values (B, T, C)."""
        b, n, _ = h.shape
        return self.decoder(h).view(b, n * self.patch_len, self.n_channels)[:, :n_steps]

    def forward(self, x, observed, valid, hidden, with_teacher: bool = True,
                with_views: bool = False):
        observed = observed.to(torch.bool)
        valid = valid.to(torch.bool)
        visible = observed & ~hidden
        h = self.encoder(x * visible, visible, valid)  # (B, N, d)
        out = {"reconstruction": self.decode(h, x.shape[1])}
        tokens = self.encoder.token_mask(valid)
        if with_views:  # the student on the complementary view too, with gradient
            seen = observed & hidden
            out["view_a"] = h
            out["view_b"] = self.encoder(x * seen, seen, valid)
            out["view_tokens"] = tokens
        if with_teacher:
            out["latent_pred"] = self.feature_query(h, tokens)
            target = observed & hidden & valid[..., None]
            out["target_tokens"] = self.encoder.token_mask(target.any(-1))  # (B, N)
            seen = observed & hidden if self.teacher_view == "complement" else observed
            with torch.no_grad():  # stop-gradient: the teacher is a target, not a path
                z = self._teacher_encoder()(x * seen, seen, valid, teacher=True)
                out["latent_target"] = F.layer_norm(z.float(), z.shape[-1:]).detach()
        return out

    def encode(self, x, observed, valid, *, all_layers: bool = False):
        """Student latents of the whole series (see :meth:`SeriesEncoder.forward`)."""
        return self.encoder(x * observed.to(x.dtype), observed, valid, all_layers=all_layers)

    def features(self, x, observed, valid, pooling: str = "meanmax",
                 layers: str = "all") -> torch.Tensor:
        """One vector per series: the student's pooled latents (see
        :meth:`SeriesEncoder.features`)."""
        return self.encoder.features(x, observed, valid, pooling, layers)

    @torch.no_grad()
    def update_teacher(self, momentum: float | None = None) -> None:
        """One EMA step: teacher <- m * teacher + (1 - m) * student (no-op when shared).

        ``momentum`` overrides ``ema_momentum`` (a schedule). BatchNorm buffers are
        copied from the student, so the teacher normalises with statistics of the
        weights it averages rather than its initial ones.
        """
        if self.teacher is None:
            return
        m = self.ema_momentum if momentum is None else momentum
        for t, s in zip(self.teacher.parameters(), self.encoder.parameters()):
            t.mul_(m).add_(s.detach(), alpha=1.0 - m)
        for t, s in zip(self.teacher.buffers(), self.encoder.buffers()):
            t.copy_(s)


class DMAEFeatures(nn.Module):
    """Student encoder + pooling: the trainable feature extractor for fine-tuning.

    ``forward(x, observed, valid)`` is the encoder's
    :meth:`~skmts.nn.SeriesEncoder.features` with the ``pooling`` and ``layers`` given;
    the encoder is a copy of a trained student's (see
    :meth:`skmts.DMAETransformer.feature_module`).
    """

    def __init__(self, encoder: nn.Module, pooling: str, layers: str):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.layers = layers

    def forward(self, x, observed, valid):
        return self.encoder.features(x, observed, valid, self.pooling, self.layers)


def dmae_losses(out: dict, x, observed, valid, hidden) -> dict:
    """Reconstruction and alignment losses of one view.

    * reconstruction: MSE over values that are hidden from the student and observed
      (a value missing in the input never enters a loss);
    * alignment: MSE between predicted and teacher latents over the tokens that hold
      at least one hidden, observed value;
    * contrastive (when the student also encoded the complementary view): TS2Vec's
      hierarchical contrastive loss between the two views' tokens.
    """
    target = (observed.to(torch.bool) & hidden & valid[..., None]).to(x.dtype)
    err = (out["reconstruction"].float() - x.float()) ** 2
    recon = (err * target).sum() / target.sum().clamp(min=1.0)
    losses = {"reconstruction": recon}
    if "latent_pred" in out:
        tokens = out["target_tokens"].to(x.dtype)  # (B, N)
        diff = ((out["latent_pred"].float() - out["latent_target"].float()) ** 2).mean(-1)
        losses["alignment"] = (diff * tokens).sum() / tokens.sum().clamp(min=1.0)
    if "view_b" in out:
        losses["contrastive"] = hierarchical_contrastive(out["view_a"], out["view_b"],
                                                         out["view_tokens"])
    return losses
