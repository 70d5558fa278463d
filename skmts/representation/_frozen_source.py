"""Where a FrozenImputerTransformer's model comes from.

Three sources, one result: a PyPOTS model pretrained here on the panel (``backbone`` a
table name), a copy of a fitted ``FrozenImputerTransformer``'s model (with its scaler
and fit state), or a copy of a fitted PyPOTS model. The transformer freezes whatever
comes back; this module only decides where it comes from and checks that it fits the
panel.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import torch

from .._utils import NanStandardScaler, seed_from, unwrap_frozen
from .._validation import Panel
from ..backbones._pretrain import pretrain
from ..backbones._pypots import BACKBONES, spec_for_model, spec_key

__all__ = ["FrozenSource", "frozen_source"]


class FrozenSource(NamedTuple):
    key: str  # the backbone table's row
    model: object  # the PyPOTS model, not yet frozen
    scaler: NanStandardScaler | None  # None: the model sees data units
    empirical_mean: np.ndarray | None  # GRU-D's fit state, when it came with the model
    best_epoch: int | None


def frozen_source(est, panel: Panel, device: str, max_epochs: int,
                  train: bool) -> FrozenSource:
    """The model ``est`` (a FrozenImputerTransformer) freezes, for the panel ``panel``."""
    backbone = unwrap_frozen(est.backbone)  # a FrozenEstimator survives clone
    if isinstance(backbone, str):
        return _pretrained_here(est, spec_key(backbone), panel, device, max_epochs, train)
    from ._frozen import FrozenImputerTransformer  # the class that calls this module

    if isinstance(backbone, FrozenImputerTransformer):
        if not hasattr(backbone, "model_"):
            raise ValueError(
                "backbone is an unfitted FrozenImputerTransformer; fit it first (note "
                "that sklearn.base.clone unfits estimator parameters: wrap a fitted one "
                "in sklearn.frozen.FrozenEstimator, or pass its model_)."
            )
        source = FrozenSource(backbone.backbone_name_, copy.deepcopy(backbone.model_),
                              copy.deepcopy(backbone.scaler_), backbone.empirical_mean_, None)
    else:
        key = spec_for_model(backbone)
        missing = [a for a in BACKBONES[key].fit_state if not hasattr(backbone, a)]
        if missing:
            raise ValueError(
                f"backbone is a {BACKBONES[key].name} model that was never fitted: "
                f"{BACKBONES[key].name} learns {', '.join(missing)} in fit(), and load() "
                "does not restore them."
            )
        source = FrozenSource(key, copy.deepcopy(backbone), None, None, None)
    _check_pretrained(source.model, panel)
    source.model.model.to(device)
    source.model.device = torch.device(device)
    return source


def _pretrained_here(est, key: str, panel: Panel, device: str, max_epochs: int,
                     train: bool) -> FrozenSource:
    _check_n_steps(est, panel)
    scaler = NanStandardScaler().fit(panel.values, panel.observed)
    values = scaler.transform(panel.values)
    if est.n_steps is not None and est.n_steps > panel.n_timesteps:
        pad = est.n_steps - panel.n_timesteps
        values = np.pad(values, ((0, 0), (0, pad), (0, 0)), constant_values=np.nan)
    train = train and max_epochs > 0
    model = pretrain(
        key, values, backbone_params=est.backbone_params, max_epochs=max_epochs,
        patience=est.patience, batch_size=est.batch_size, lr=est.lr, device=device,
        verbose=est.verbose, seed=seed_from(est.random_state),
        validation_fraction=est.validation_fraction, missing_rate=est.missing_rate,
        missing_pattern=est.missing_pattern, train=train,
        interrupted=(f"{type(est).__name__}.fit interrupted during PyPOTS pretraining; the "
                     "estimator is left unfitted (PyPOTS has no per-epoch hook, so the "
                     "weights trained so far are not kept)."),
    )
    best_epoch = getattr(model, "best_epoch", None) if train else None
    return FrozenSource(key, model, scaler, None, best_epoch)


def _check_n_steps(est, panel: Panel) -> None:
    if (est.n_steps or panel.n_timesteps) < 2:
        raise ValueError(
            f"{type(est).__name__} needs series of at least 2 timesteps; X has "
            f"n_timesteps={panel.n_timesteps} (a 2-D X is read as "
            "(n_samples, n_timesteps): 1 feature(s) = 1 timestep)."
        )
    if est.n_steps is not None and est.n_steps < panel.n_timesteps:
        raise ValueError(
            f"n_steps={est.n_steps} is shorter than the longest series in X "
            f"({panel.n_timesteps} timesteps); use n_steps >= {panel.n_timesteps} "
            "or None."
        )


def _check_pretrained(model, panel: Panel) -> None:
    if int(model.n_features) != panel.n_channels:
        raise ValueError(
            f"X has {panel.n_channels} channels, but the pretrained backbone expects "
            f"{model.n_features} channels."
        )
    if panel.n_timesteps > int(model.n_steps):
        raise ValueError(
            f"X has series of {panel.n_timesteps} timesteps, but the pretrained backbone "
            f"was built for series of at most n_steps={model.n_steps} timesteps."
        )
