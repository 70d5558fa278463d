"""The Dual-Masked Autoencoder network (arXiv 2509.16078), tensors in, named outputs out."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ._encoder import SeriesEncoder, sinusoidal_positions

__all__ = ["FeatureQuery", "DMAEModule", "dmae_losses"]


class FeatureQuery(nn.Module):
    """Predict a latent per step from the student's output by cross-attention.

    The queries carry position only (a learned vector plus the sinusoidal position of
    the step), so what a query retrieves about a hidden step can only come from the
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
        queries = self.query + sinusoidal_positions(t, d, h.device).to(h.dtype)  # (T, d)
        q = self.q(queries).view(1, t, self.n_heads, hd).transpose(1, 2).expand(b, -1, -1, -1)
        k, v = self.kv(h).view(b, t, 2, self.n_heads, hd).permute(2, 0, 3, 1, 4)
        z = F.scaled_dot_product_attention(q, k, v, attn_mask=valid[:, None, None, :])
        return self.out(z.transpose(1, 2).reshape(b, t, d))


class DMAEModule(nn.Module):
    """Student encoder, reconstruction decoder, feature-query predictor and teacher.

    ``forward(x, observed, valid, hidden)`` runs one training view:

    * the student encodes the visible values ``x * (observed & ~hidden)``;
    * a linear decoder reconstructs every value from the student's output;
    * the feature-query module predicts, per step, the latent that the teacher
      computes from the complementary view ``x * (observed & hidden)``;
    * the teacher runs without gradient: the student's own weights (``teacher="shared"``)
      or an exponential moving average of them (``teacher="ema"``), in both cases with
      BatchNorm statistics frozen so its mostly-empty input never pollutes them.

    ``encode(x, observed, valid)`` returns the student's latent on the whole series.

    Parameters
    ----------
    n_channels : int
        Channels of the input.
    d_model, n_heads, n_layers, d_ff, dropout, norm
        Encoder settings, see :class:`~skmts.nn._encoder.SeriesEncoder`.
    teacher : {"ema", "shared"}, default="ema"
        Where the teacher's weights come from.
    ema_momentum : float, default=0.99
        Momentum of the EMA teacher (ignored for "shared").

    Examples
    --------
    >>> import torch
    >>> m = DMAEModule(3, d_model=8, n_heads=2, n_layers=1, d_ff=16)
    >>> x, obs = torch.randn(4, 10, 3), torch.ones(4, 10, 3, dtype=torch.bool)
    >>> valid = torch.ones(4, 10, dtype=torch.bool)
    >>> hidden = torch.zeros(4, 10, 3, dtype=torch.bool); hidden[:, 2:4] = True
    >>> out = m(x, obs, valid, hidden)
    >>> sorted(out)
    ['latent_pred', 'latent_target', 'reconstruction']
    """

    def __init__(self, n_channels, d_model=64, n_heads=8, n_layers=3, d_ff=256, dropout=0.1,
                 norm="batch", teacher="ema", ema_momentum=0.99):
        super().__init__()
        self.encoder = SeriesEncoder(n_channels, d_model, n_heads, n_layers, d_ff, dropout, norm)
        self.decoder = nn.Linear(d_model, n_channels)
        self.feature_query = FeatureQuery(d_model, n_heads)
        self.teacher_kind = teacher
        self.ema_momentum = ema_momentum
        if teacher == "ema":
            self.teacher = copy.deepcopy(self.encoder)
            self.teacher.requires_grad_(False)
        else:
            self.teacher = None

    def _teacher_encoder(self) -> SeriesEncoder:
        return self.teacher if self.teacher is not None else self.encoder

    def forward(self, x, observed, valid, hidden, with_teacher: bool = True):
        observed = observed.to(torch.bool)
        visible = observed & ~hidden
        h = self.encoder(x * visible, visible, valid)  # (B, T, d)
        out = {"reconstruction": self.decoder(h)}
        if with_teacher:
            out["latent_pred"] = self.feature_query(h, valid)
            complement = observed & hidden
            with torch.no_grad():  # stop-gradient: the teacher is a target, not a path
                out["latent_target"] = self._teacher_encoder()(
                    x * complement, complement, valid, teacher=True
                ).detach()
        return out

    def encode(self, x, observed, valid, *, all_layers: bool = False):
        """Student latent of the whole series (B, T, d) (or every layer's, as a list)."""
        return self.encoder(x * observed.to(x.dtype), observed, valid, all_layers=all_layers)

    @torch.no_grad()
    def update_teacher(self) -> None:
        """One EMA step: teacher <- m * teacher + (1 - m) * student (no-op when shared)."""
        if self.teacher is None:
            return
        m = self.ema_momentum
        for t, s in zip(self.teacher.parameters(), self.encoder.parameters()):
            t.mul_(m).add_(s.detach(), alpha=1.0 - m)


def dmae_losses(out: dict, x, observed, valid, hidden) -> dict:
    """Reconstruction and alignment losses of one view.

    * reconstruction: MSE over values that are hidden from the student and observed
      (a value missing in the input never enters a loss);
    * alignment: MSE between predicted and teacher latents over the valid steps where
      at least one observed value was hidden.
    """
    target = (observed.to(torch.bool) & hidden & valid[..., None]).to(x.dtype)
    err = (out["reconstruction"].float() - x.float()) ** 2
    recon = (err * target).sum() / target.sum().clamp(min=1.0)
    losses = {"reconstruction": recon}
    if "latent_pred" in out:
        steps = (target.sum(-1) > 0).to(x.dtype)  # (B, T)
        diff = ((out["latent_pred"].float() - out["latent_target"].float()) ** 2).mean(-1)
        losses["alignment"] = (diff * steps).sum() / steps.sum().clamp(min=1.0)
    return losses
