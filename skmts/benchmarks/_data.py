"""Data for the benchmark jobs: shipped datasets with injected missingness, label subsets
and imputation error (row selection and interpolation: ``skmts.model_selection``)."""

from __future__ import annotations

import numpy as np


def load_setting(dataset: str, setting: str, seed: int):
    """Train/test data with the setting's missingness injected (same masks for every method).

    Returns ``(X_train, y_train, X_test, y_test, X_train_complete, X_test_complete)``.
    """
    from skmts.datasets import inject_missing, load_dataset

    X_train, y_train = load_dataset(dataset, split="train")
    X_test, y_test = load_dataset(dataset, split="test")
    if setting == "complete":
        return X_train, y_train, X_test, y_test, X_train, X_test
    pattern, rate = _parse_missing(setting)
    X_train_m = inject_missing(X_train, rate, pattern, random_state=10_000 * seed + 1)
    X_test_m = inject_missing(X_test, rate, pattern, random_state=10_000 * seed + 2)
    return X_train_m, y_train, X_test_m, y_test, X_train, X_test


def _parse_missing(setting: str) -> tuple[str, float]:
    pattern, _, rate = setting.partition("-")
    if pattern not in ("mcar", "seq", "block") or not rate:
        raise ValueError(f"unknown missingness setting {setting!r}; expected e.g. 'mcar-0.3'.")
    return pattern, float(rate)


def _series(X) -> list[np.ndarray]:
    """A panel as a list of (T_i, C) float64 arrays, read by skmts's one input parser."""
    from .._panel import to_panel

    panel, _ = to_panel(X, dtype=np.float64, warn_layout=False)
    return [panel.values[i, : panel.lengths[i]] for i in range(panel.n_samples)]


def resample(X: np.ndarray, length: int) -> np.ndarray:
    """An equal-length panel (n, T, C) linearly resampled along time to ``length`` steps
    (both ends kept); NaN stays NaN where a neighbour is missing."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[1] == length:
        return X.copy()
    pos = np.linspace(0, X.shape[1] - 1, length)
    left = np.floor(pos).astype(int)
    right = np.minimum(left + 1, X.shape[1] - 1)
    w = (pos - left)[None, :, None]
    return (1 - w) * X[:, left] + w * X[:, right]


def _n(X) -> int:
    return X.shape[0] if isinstance(X, np.ndarray) else len(X)


def injected_mae(X_complete, X_missing, X_imputed) -> tuple[float, int, int]:
    """MAE of ``X_imputed`` on the values that were observed in ``X_complete`` and hidden
    in ``X_missing``, in the data's own units.

    Returns ``(mae, n_values, n_left_missing)``; values the imputer left NaN are counted
    apart and kept out of the mean. A padded 3-D ``X_imputed`` is cut to each length.
    """
    errors, left = [], 0
    for orig, miss, imp in zip(_series(X_complete), _series(X_missing), _series(X_imputed)):
        t = min(len(orig), len(miss))
        hidden = ~np.isnan(orig[:t]) & np.isnan(miss[:t])
        vals = np.asarray(imp, dtype=np.float64)[:t][hidden]
        left += int(np.isnan(vals).sum())
        errors.append(np.abs(vals - orig[:t][hidden])[~np.isnan(vals)])
    errors = np.concatenate(errors) if errors else np.empty(0)
    mae = float(errors.mean()) if errors.size else float("nan")
    return mae, int(errors.size + left), left


def _length_params(name: str, *panels) -> dict:
    """``n_steps`` for a fixed-length (PyPOTS) backbone on ragged data: the longest series
    of train and test, as a user serving such series would set it. {} otherwise."""
    if name == "dmae" or all(isinstance(X, np.ndarray) for X in panels):
        return {}
    return {"n_steps": int(max(len(s) for X in panels for s in _series(X)))}


def _fit_length_guard(estimator, X, *extra, fixed=True):
    """Cut test series longer than a fixed-length backbone's fitted length.

    PyPOTS backbones fix the series length at fit (JapaneseVowels' test split has series
    up to 29 steps, its training split up to 26); DMAE (``fixed=False``) takes any length.
    Returns the (possibly cut) panels and the number of series that were cut.
    """
    length = getattr(estimator, "n_steps_", getattr(estimator, "n_timesteps_in_", None))
    if not fixed or length is None or isinstance(X, np.ndarray):
        return (X, *extra, 0)
    n_cut = sum(len(s) > length for s in X)
    if not n_cut:
        return (X, *extra, 0)
    cut = [[s[:length] for s in panel] for panel in (X, *extra)]
    return (*cut, int(n_cut))
