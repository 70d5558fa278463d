"""The arrays a PyPOTS core needs, computed as PyPOTS's Dataset classes do.

:func:`build_inputs` turns a scaled, padded panel into flat arrays (first axis = samples,
so they batch like any skorch input); :func:`core_inputs` turns a batch of them into the
nested dict a core's ``forward`` reads. Which builder a backbone uses is its table row's
``inputs`` (:data:`~skmts.backbones._pypots.BACKBONES`).
"""

from __future__ import annotations

import numpy as np
import torch

from ._pypots import BACKBONES

__all__ = ["build_inputs", "core_inputs", "fit_state_from_data"]


def _deltas(mask: np.ndarray) -> np.ndarray:
    """GRU-D time gaps (PyPOTS ``parse_delta``), vectorised over samples and channels.

    ``d[0] = 0``, ``d[t] = 1 + (1 - m[t-1]) * d[t-1]``.
    """
    d = np.zeros_like(mask, dtype=np.float32)
    for t in range(1, mask.shape[1]):
        d[:, t] = 1.0 + (1.0 - mask[:, t - 1]) * d[:, t - 1]
    return d


def _last_obs(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """CSAI's ``compute_last_obs``, vectorised: last value observed strictly before t, else 0."""
    out = np.zeros_like(values, dtype=np.float32)
    cur = np.zeros(values.shape[::2], dtype=np.float32)  # (n, C)
    seen = np.zeros(values.shape[::2], dtype=bool)
    for t in range(1, values.shape[1]):
        m = mask[:, t - 1] > 0
        cur = np.where(m, values[:, t - 1], cur)
        seen |= m
        out[:, t] = np.where(seen, cur, 0.0)
    return out


def _reverse(a: np.ndarray, lengths: np.ndarray, within_length: bool) -> np.ndarray:
    """Reverse the time axis; with ``within_length`` only the first ``lengths[i]`` steps."""
    if not within_length:
        return np.ascontiguousarray(a[:, ::-1])
    t = np.arange(a.shape[1])
    idx = lengths[:, None] - 1 - t[None, :]
    idx = np.where(idx >= 0, idx, t[None, :])  # padding stays where it is (at the end)
    idx = idx.reshape(idx.shape + (1,) * (a.ndim - 2))
    return np.take_along_axis(a, np.broadcast_to(idx, a.shape), axis=1)


def fit_state_from_data(key: str, values: np.ndarray, observed: np.ndarray):
    """What a backbone's inputs need from the fit data besides the weights, or None.

    GRU-D falls back to the per-channel mean of the (scaled) fit data, as float32
    ``(n_channels,)``: PyPOTS computes it per predict call, which would make features
    depend on the batch. Other backbones need nothing.
    """
    if BACKBONES[key].inputs != "grud":
        return None
    count = observed.sum(axis=(0, 1))
    total = np.where(observed, values, 0.0).sum(axis=(0, 1))
    return np.where(count > 0, total / np.maximum(count, 1), 0.0).astype(np.float32)


def build_inputs(
    key: str, values: np.ndarray, lengths: np.ndarray, *, within_length: bool = True
) -> dict:
    """The arrays a backbone's core needs, computed as PyPOTS's Dataset classes do.

    Parameters
    ----------
    key : str
        Table key.
    values : ndarray of shape (n_samples, n_steps, n_channels)
        Scaled values, NaN = missing or padding; ``n_steps`` = the model's length.
    lengths : ndarray of shape (n_samples,)
        Real length of each series.
    within_length : bool, default=True
        For bidirectional models: reverse a shorter series within its own length (for
        latents) rather than over the padded length (as PyPOTS does; for imputation).

    Returns
    -------
    inputs : dict of str to ndarray
        Float32 arrays plus ``step_mask`` (bool, steps with an observed value) and
        ``lengths`` (int64); the keys are the keyword arguments of
        :meth:`PyPOTSFeatureModule.forward`.
    """
    spec = BACKBONES[key]
    observed = ~np.isnan(values)
    mask = observed.astype(np.float32)
    X = np.where(observed, values, 0.0).astype(np.float32)
    out = {"X": X, "missing_mask": mask}
    if spec.inputs == "grud":
        out["deltas"] = _deltas(mask)
    elif spec.inputs in ("brits", "csai"):
        out["deltas"] = _deltas(mask)
        X_b = _reverse(X, lengths, within_length)
        mask_b = _reverse(mask, lengths, within_length)
        out.update(X_b=X_b, missing_mask_b=mask_b, deltas_b=_deltas(mask_b))
        if spec.inputs == "csai":
            out["last_obs"] = _last_obs(X, mask)
            out["last_obs_b"] = _last_obs(X_b, mask_b)
    out["step_mask"] = observed.any(axis=2)
    out["lengths"] = np.asarray(lengths, dtype=np.int64)
    return out


def core_inputs(kind: str, t: dict, empirical_mean, intervals) -> dict:
    """Flat tensors -> the nested dict that a PyPOTS core's ``forward`` reads."""
    if kind == "masked":
        return {"X": t["X"], "missing_mask": t["missing_mask"]}
    if kind == "grud":
        return {
            "X": t["X"],
            # PyPOTS's DatasetForGRUD applies LOCF to the already zero-filled X, so its
            # models are trained with X_filledLOCF == X; feed them the same.
            "X_filledLOCF": t["X"],
            "missing_mask": t["missing_mask"],
            "deltas": t["deltas"],
            "empirical_mean": empirical_mean.expand(t["X"].shape[0], -1),
        }
    forward = {"X": t["X"], "missing_mask": t["missing_mask"], "deltas": t["deltas"]}
    backward = {"X": t["X_b"], "missing_mask": t["missing_mask_b"], "deltas": t["deltas_b"]}
    if kind == "brits":
        return {"forward": forward, "backward": backward}
    forward["last_obs"] = t["last_obs"]
    backward["last_obs"] = t["last_obs_b"]
    return {
        "forward": forward,
        "backward": backward,
        "intervals": intervals,
        # CSAI's core copies these into its output in eval mode; nothing is evaluated
        "X_ori": t["X"],
        "indicating_mask": torch.zeros_like(t["missing_mask"]),
    }
