"""Pretraining a PyPOTS imputation model for skmts: the model's own loop, made safe.

:func:`pretrain` builds a model from its table row, holds out a validation part (the
shared split rule of :func:`skmts.training.split_indices`) into which PyGrinder hides
values, trains it (on PyGrinder masks in the chosen pattern for the masked-imputation
rows, :func:`~._masked.fit_masked`; with PyPOTS's ``fit`` otherwise) inside PyPOTS's
quiet logging and a private RNG scope, and turns PyPOTS's silent endings (Ctrl-C, NaN
losses) into exceptions.
"""

from __future__ import annotations

import numpy as np

from .._missing import inject_missing
from ..training import split_indices
from ..training._faults import record_interrupt
from ._masked import fit_masked
from ._pypots import BACKBONES, build_pypots_model
from ._quiet import import_pypots, pypots_logging, rng_scope

__all__ = ["pretrain", "scoring_mask"]


def scoring_mask(values: np.ndarray, pattern: str, rate: float, seed: int) -> np.ndarray:
    """``values`` (n, T, C) with extra values hidden for validation or ``score``.

    :func:`skmts.datasets.inject_missing` (PyGrinder, seeded, global RNG restored) with
    one addition: at least one observed value is always hidden, so that there is
    always something to score.
    """
    import_pypots()  # silences PyGrinder's loggers on first use
    values = np.asarray(values, dtype=np.float32)
    out = inject_missing(values, float(rate), pattern, random_state=seed).astype(np.float32)
    observed = ~np.isnan(values)
    if not (observed & np.isnan(out)).any():
        flat = np.flatnonzero(observed)
        out.reshape(-1)[np.random.default_rng(seed).choice(flat)] = np.nan
    return out


def pretrain(key: str, values: np.ndarray, *, backbone_params, max_epochs: int, patience,
             batch_size: int, lr: float, device: str, verbose: int, seed: int,
             validation_fraction: float, missing_rate: float, missing_pattern: str,
             train: bool, interrupted: str):
    """A PyPOTS model of table row ``key`` for the scaled, padded panel ``values``.

    ``train=False`` returns the randomly initialised model (with what its ``fit`` would
    have computed from the data, e.g. CSAI's intervals). ``interrupted`` is the message
    of the ``KeyboardInterrupt`` raised when Ctrl-C ends PyPOTS's loop.
    """
    n = values.shape[0]
    with pypots_logging(verbose) as errors, rng_scope(seed, device):
        model = build_pypots_model(
            key,
            n_steps=values.shape[1],
            n_features=values.shape[2],
            backbone_params=backbone_params,
            epochs=max(max_epochs, 1),
            patience=None if patience is None else min(patience, max(max_epochs, 1)),
            batch_size=batch_size,
            lr=lr,
            device=device,
            verbose=verbose,
        )
        if not train:
            if BACKBONES[key].untrained is not None:
                BACKBONES[key].untrained(model, values)
            return model
        train_idx, val_idx = split_indices(n, validation_fraction, seed)
        val_set = None
        if val_idx is not None:
            X_ori = values[val_idx]
            X_val = scoring_mask(X_ori, missing_pattern, missing_rate, seed)
            val_set = {"X": X_val, "X_ori": X_ori}
        with record_interrupt() as interrupt:
            try:
                if BACKBONES[key].masked_training:
                    fit_masked(model, values[train_idx], val_set, rate=missing_rate,
                               pattern=missing_pattern, seed=seed)
                else:
                    model.fit({"X": values[train_idx]}, val_set)
            except (RuntimeError, ValueError) as err:
                if interrupt.hit:  # PyPOTS swallowed Ctrl-C, then found no best epoch
                    raise KeyboardInterrupt(interrupted) from err
                detail = "; ".join(errors) or str(err)
                if "nan" in detail.lower():
                    detail += (f". The loss was NaN: try a lower lr (it is {lr:g}; "
                               f"try {lr / 10:g})")
                raise RuntimeError(
                    f"pretraining PyPOTS {BACKBONES[key].name} failed: {detail}"
                ) from err
        if interrupt.hit:  # PyPOTS ends its loop quietly on KeyboardInterrupt
            raise KeyboardInterrupt(interrupted)
    # the best weights are already loaded into the model; PyPOTS's extra copy of them
    # would only make the pickle 50 % larger
    model.best_model_dict = None
    return model
