"""Synthetic missingness for panels, with PyGrinder (imported lazily).

The one implementation behind :func:`skmts.datasets.inject_missing` and the validation
masks of :class:`~skmts.FrozenImputerTransformer`.
"""

from __future__ import annotations

import contextlib
import logging
import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from ._panel import restore_layout, to_panel

__all__ = ["inject_missing"]

_PATTERNS = ("mcar", "seq", "block")


def inject_missing(
    X, rate, pattern="mcar", *, random_state=None, seq_len=None, block_width=None
):
    """Hide a share of the observed values of a panel (NaN), with PyGrinder.

    Returns a new panel of the same kind as ``X``; ``X`` itself is never modified.
    Values that were already missing stay missing and do not count towards ``rate``.
    Every series keeps at least one observed value in each channel that had one, so
    the result is still a valid skmts panel.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_channels) or list of array-like
        A 3-D panel, a 2-D ``(n_samples, n_timesteps)`` panel of univariate series, or
        a list of ``(n_timesteps_i, n_channels)`` (or 1-D) series of different lengths.
    rate : float in [0, 1)
        Target share of the observed values to hide. Exact in expectation for "mcar";
        approximate for "seq" and "block" (their rate is calibrated, see Notes).
    pattern : {"mcar", "seq", "block"}, default="mcar"
        "mcar": each value independently (``pygrinder.mcar``); "seq": runs of
        ``seq_len`` steps in one channel (``pygrinder.seq_missing``); "block": runs of
        ``seq_len`` steps across ``block_width`` neighbouring channels at once
        (``pygrinder.block_missing``).
    random_state : int, RandomState instance or None, default=None
        Seed for the missingness. PyGrinder draws from numpy's global generator; it is
        seeded for the call and restored afterwards, so the caller's state is untouched.
    seq_len : int or None, default=None
        Length of a missing run for "seq" and "block"; None means 10 % of the series
        length, at least 2 steps (never more than the series length).
    block_width : int or None, default=None
        Channels per block for "block"; None means a quarter of the channels, at least 1.

    Returns
    -------
    X_missing : ndarray or list of ndarray
        A float copy of ``X`` (same shape; a list of new arrays for a list input) with
        the hidden values set to NaN.

    Raises
    ------
    ValueError
        If ``rate`` is outside [0, 1), ``pattern`` is unknown, or ``X`` is not a panel
        (checked by skmts's input layer, :func:`skmts._panel.to_panel`).
    TypeError
        If ``X`` is a DataFrame or a sparse matrix.

    Notes
    -----
    PyGrinder's "seq" and "block" patterns take a hit rate rather than a missing
    rate, and runs overlap; skmts converts ``rate`` into PyGrinder's parameter from
    the expected coverage and corrects it once from the realised coverage. Series of
    different lengths are processed in groups of equal length.

    See Also
    --------
    load_dataset : Shipped datasets in skmts's layout.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.datasets import inject_missing
    >>> X = np.random.default_rng(0).normal(size=(20, 50, 3))
    >>> X_missing = inject_missing(X, 0.3, random_state=0)
    >>> round(float(np.isnan(X_missing).mean()), 1), bool(np.isnan(X).any())
    (0.3, False)
    """
    if not isinstance(rate, Real) or isinstance(rate, bool) or not 0 <= rate < 1:
        raise ValueError(f"rate must be a float in [0, 1), got {rate!r}.")
    if pattern not in _PATTERNS:
        raise ValueError(f"pattern must be one of {list(_PATTERNS)}, got {pattern!r}.")
    for arg, value in (("seq_len", seq_len), ("block_width", block_width)):
        if value is not None and (
            not isinstance(value, Integral) or isinstance(value, bool) or value < 1
        ):
            raise ValueError(f"{arg} must be a positive int or None, got {value!r}.")

    if hasattr(X, "columns"):
        raise TypeError(
            "X is a DataFrame; inject_missing takes a numpy panel or a list of series "
            "(use skmts.datasets.load_dataset, or convert first)."
        )
    # float64 keeps the input's values exactly; no layout warning (the estimators warn)
    panel, _ = to_panel(X, dtype=np.float64, warn_layout=False)
    if rate == 0:
        return restore_layout(panel.values, panel, X)

    rng = check_random_state(random_state)
    seed = int(rng.randint(0, 2**31 - 1))
    out = panel.values.copy()
    with _numpy_global_seed(seed), _quiet_pygrinder():
        for length in np.unique(panel.lengths):  # equal-length groups, shortest first
            idx = np.flatnonzero(panel.lengths == length)
            group = panel.values[idx, :length]
            out[idx, :length] = _inject_group(group, float(rate), pattern, seq_len,
                                              block_width)

    _keep_one_observed(panel.values, out, np.random.default_rng(seed))
    return restore_layout(out, panel, X)


@contextlib.contextmanager
def _numpy_global_seed(seed: int):
    """PyGrinder draws from np.random; seed it for the block, then restore the caller's state."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _quiet_pygrinder():
    """PyGrinder logs "hit_rate > 1" through tsdb's logger for dense seq/block settings."""
    log = logging.getLogger("TSDB running log")
    previous = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = previous


def _inject_group(group, rate, pattern, seq_len, block_width) -> np.ndarray:
    """Inject missingness into an equal-length group (n, T, C); returns a new array."""
    import pygrinder

    n, t, c = group.shape
    if pattern == "mcar":
        return pygrinder.mcar(group, rate)

    run = seq_len if seq_len is not None else max(2, round(0.1 * t))
    run = int(min(run, t))
    width = block_width if block_width is not None else max(1, round(c / 4))
    width = int(min(width, c))
    observed = ~np.isnan(group)
    n_observed = observed.sum()
    if n_observed == 0:
        return group.copy()

    def draw(strength: float) -> np.ndarray:
        if pattern == "seq":
            # hit_rate = p * T / seq_len starts per (sample, channel); runs overlap
            p = min(max(strength, 1e-6), 1.0)
            return pygrinder.seq_missing(group, p, run)
        # block: hit_rate = factor * T * C / (seq_len * width) starts per start channel
        return pygrinder.block_missing(group, max(strength, 1e-6), run, width)

    # Expected coverage with overlapping runs placed uniformly: 1 - exp(-density), where
    # density = p for "seq" and factor * (C - width + 1) for "block"; invert it, then
    # correct once from the realised share (same mapping), as the edges are covered less.
    target = -math.log1p(-rate)
    per = 1.0 if pattern == "seq" else float(c - width + 1)
    strength = target / per
    hidden = draw(strength)
    realised = (observed & np.isnan(hidden)).sum() / n_observed
    if 0 < realised < 1:
        strength *= target / -math.log1p(-realised)
        hidden = draw(strength)
    return hidden


def _keep_one_observed(original, hidden, rng) -> None:
    """Give back one hidden value where a series lost every observed value of a channel.

    ``original`` and ``hidden`` are (n, T, C) (padding is NaN in both); ``hidden`` is
    changed in place.
    """
    for orig, new in zip(original, hidden):
        had = ~np.isnan(orig)
        has = ~np.isnan(new)
        lost = had.any(axis=0) & ~has.any(axis=0)
        for ch in np.flatnonzero(lost):
            t = rng.choice(np.flatnonzero(had[:, ch]))
            new[t, ch] = orig[t, ch]
