"""Reading a PyPOTS core's latent state with hooks, and pooling it into features.

Which sub-module holds the latent, and what kind it is, is each backbone's table row
(:data:`~skmts.backbones._pypots.BACKBONES`; the kinds are described there).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..nn._pooling import masked_pool, pooled_width
from ._inputs import core_inputs
from ._pypots import BACKBONES

__all__ = ["PyPOTSFeatureModule", "feature_width", "latent_width"]


class _Recorder:
    """A hook that keeps what it sees (a class, not a lambda: picklable if ever stored)."""

    def __init__(self):
        self.items: list[torch.Tensor] = []

    def pre(self, module, args):
        self.items.append(args[0])

    def out(self, module, args, output):
        self.items.append(output[0] if isinstance(output, tuple) else output)


class PyPOTSFeatureModule(nn.Module):
    """A PyPOTS core plus latent capture and pooling: ``forward(**inputs) -> (B, d)``.

    Parameters
    ----------
    core : torch.nn.Module
        The PyPOTS core (``pm.model``); used as given (copy it first to fine-tune).
    backbone : str
        Table key.
    pooling : str
        A pooling of ``DMAETransformer``'s ``pooling`` parameter (e.g. "mean"): per-step
        latents over the steps with an observed value, RNN hidden states over the
        real steps ("last": the final state).
    empirical_mean : array-like of shape (n_channels,) or None
        GRU-D's fallback value per channel (learned at fit, stored as a buffer).
    intervals : dict or None
        CSAI's median observation interval per channel (``pm.intervals``).
    """

    def __init__(self, core, backbone: str, pooling: str = "mean", empirical_mean=None,
                 intervals=None):
        super().__init__()
        self.core = core
        self.backbone = backbone
        self.pooling = pooling
        self.intervals = intervals
        if empirical_mean is not None:
            self.register_buffer(
                "empirical_mean", torch.as_tensor(np.asarray(empirical_mean, np.float32))
            )
        else:
            self.empirical_mean = None

    def _core_inputs(self, inputs: dict) -> dict:
        return core_inputs(BACKBONES[self.backbone].inputs, inputs, self.empirical_mean,
                            self.intervals)

    def latent(self, **inputs):
        """The raw latent: (B, T, d) per-step, or a list of (B, T, H) per direction."""
        spec = BACKBONES[self.backbone]
        recorders, handles = [], []
        try:
            for path in spec.hooks:
                module = self.core.get_submodule(path)
                rec = _Recorder()
                if spec.latent == "per_step":
                    handles.append(module.register_forward_pre_hook(rec.pre))
                else:
                    handles.append(module.register_forward_hook(rec.out))
                recorders.append(rec)
            self.core(self._core_inputs(inputs))
        finally:
            for h in handles:
                h.remove()
        if spec.latent == "per_step":
            return recorders[0].items[-1]
        return [torch.stack(rec.items, dim=1) for rec in recorders]

    def forward(self, **inputs):
        spec = BACKBONES[self.backbone]
        lat = self.latent(**inputs)
        how = self.pooling
        if spec.latent == "per_step":
            return masked_pool(lat, inputs["step_mask"], how)
        lengths = inputs["lengths"].long().to(lat[0].device)
        if how == "last":
            # hidden state after the last real step of each series, in each direction
            last = (lengths - 1).clamp(min=0)
            rows = torch.arange(last.shape[0], device=last.device)
            return torch.cat([h[rows, last] for h in lat], dim=-1)
        # every real step's hidden state, pooled (the backward direction is reversed
        # within each series' length, so its real steps come first too)
        steps = torch.arange(lat[0].shape[1], device=lengths.device)[None, :] < lengths[:, None]
        return torch.cat([masked_pool(h, steps, how) for h in lat], dim=-1)

    def impute(self, **inputs):
        """The core's imputation (B, T, C) in the scaled space."""
        return self.core(self._core_inputs(inputs))["imputation"]


def latent_width(key: str, core) -> int:
    """Width of one direction's latent: the hooked layer's input or hidden size."""
    spec = BACKBONES[key]
    module = core.get_submodule(spec.hooks[0])
    if spec.latent == "per_step":
        return int(module.in_features)
    return int(module.hidden_size)


def feature_width(key: str, core, pooling: str) -> int:
    """Number of features a backbone gives with ``pooling``."""
    directions = 1 if BACKBONES[key].latent == "per_step" else len(BACKBONES[key].hooks)
    return directions * pooled_width(latent_width(key, core), pooling)
