"""Features of series longer than a fixed-length backbone's: half-overlapping windows."""

from __future__ import annotations

import numpy as np

from .._validation import Panel

__all__ = ["encode_in_windows"]


def encode_in_windows(panel: Panel, length: int, pooling: str, encode) -> np.ndarray:
    """Features of a panel with series longer than ``n_steps_``.

    A PyPOTS model is built for one length. A series of at most ``n_steps_`` steps is
    encoded as usual (so its features are exactly those of a panel without longer
    series); a longer one is cut into windows of ``n_steps_`` steps, half
    overlapping, the last one ending with the series, and the windows' features are
    combined: averaged, or their maximum with ``pooling="max"``, or the last window's
    with ``pooling="last"`` (the state after the final step).
    """
    L = int(length)
    owner, rows = [], []
    for i, length in enumerate(panel.lengths):
        length = int(length)
        starts = [0] if length <= L else sorted(set(range(0, length - L, max(1, L // 2)))
                                                | {length - L})
        for start in starts:
            owner.append(i)
            rows.append((i, start, min(length, L)))
    n = len(rows)
    values = np.full((n, L, panel.n_channels), np.nan, dtype=panel.values.dtype)
    observed = np.zeros((n, L, panel.n_channels), dtype=bool)
    lengths = np.empty(n, dtype=np.int64)
    for k, (i, start, width) in enumerate(rows):
        values[k, :width] = panel.values[i, start : start + width]
        observed[k, :width] = panel.observed[i, start : start + width]
        lengths[k] = width
    feats = encode(Panel(values, observed, lengths))
    owner = np.asarray(owner)
    out = np.empty((panel.n_samples, feats.shape[1]), dtype=feats.dtype)
    for i in range(panel.n_samples):
        mine = feats[owner == i]
        if pooling == "last":
            out[i] = mine[-1]
        elif pooling == "max":
            out[i] = mine.max(axis=0)
        else:
            out[i] = mine.mean(axis=0)
    return out
