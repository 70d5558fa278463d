"""The one panel parser: every accepted panel format becomes a :class:`Panel`.

skmts speaks ``(n_samples, n_timesteps, n_channels)`` with NaN for a missing value.
Accepted inputs (see :func:`to_panel`):

* a 3-D array ``(n_samples, n_timesteps, n_channels)``;
* a 2-D array ``(n_samples, n_timesteps)``: a panel of univariate series;
* a list (or tuple) of 2-D arrays ``(n_timesteps_i, n_channels)`` or of 1-D arrays
  ``(n_timesteps_i,)``, possibly of different lengths: a ragged panel;
* a pandas DataFrame with an ``(instance, time)`` MultiIndex and one column per channel
  (sktime's ``pd-multiindex``), or a plain DataFrame, read as a 2-D array.

:func:`restore_layout` puts values aligned with a panel back into the caller's layout.
Estimators do not call :func:`to_panel` directly: they validate through
:func:`skmts._validation.check_panel`, which adds the estimator's fitted state (channels,
feature names). Every error names the argument (``X``, ``X[i]`` for a series of a
list) and what was expected or found.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array

__all__ = ["Panel", "restore_layout", "to_panel"]


@contextlib.contextmanager
def _named_errors(input_name: str):
    """Prefix ``"Invalid <input_name>: "`` to a ValueError or TypeError raised inside the
    block whose message does not name the argument already.

    scikit-learn's ``check_array`` says "Found array with 0 sample(s)" or "could not
    convert string to float" without saying which argument it was checking.
    """
    try:
        yield
    except (ValueError, TypeError) as err:
        msg = str(err)
        if (
            type(err) not in (ValueError, TypeError)
            or re.search(rf"(?<![\w\[]){re.escape(input_name)}(?![\w\[])", msg)
            # scikit-learn's feature-name errors keep their well-known wording verbatim
            or msg.startswith(("The feature names should match", "Feature names are only"))
        ):
            raise
        raise type(err)(f"Invalid {input_name}: {msg}") from None


@dataclass(frozen=True)
class Panel:
    """A validated panel in skmts's internal form.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_channels), dtype float32
        The series, right-padded to the longest one. Missing values and padding are NaN.
        (float64 when :func:`to_panel` was asked for it.)
    observed : ndarray of shape (n_samples, n_timesteps, n_channels), dtype bool
        True where a value was observed; False where it is missing or padding.
    lengths : ndarray of shape (n_samples,), dtype int64
        The length of each series before padding.
    """

    values: np.ndarray
    observed: np.ndarray
    lengths: np.ndarray

    @property
    def n_samples(self) -> int:
        return self.values.shape[0]

    @property
    def n_timesteps(self) -> int:
        return self.values.shape[1]

    @property
    def n_channels(self) -> int:
        return self.values.shape[2]

    @property
    def valid(self) -> np.ndarray:
        """Boolean (n_samples, n_timesteps): True on real (unpadded) steps."""
        return np.arange(self.n_timesteps)[None, :] < self.lengths[:, None]

    @property
    def is_ragged(self) -> bool:
        return bool((self.lengths != self.n_timesteps).any())

    def __getitem__(self, index) -> "Panel":
        """Rows of the panel (an int array, a boolean mask or a slice)."""
        if isinstance(index, Integral):
            index = [index]
        return Panel(self.values[index], self.observed[index], self.lengths[index])


def _check_series(series, index: int, input_name: str) -> np.ndarray:
    """One series of a ragged panel -> float array (n_timesteps_i, n_channels)."""
    if sp.issparse(series):
        raise TypeError(
            f"{input_name}[{index}] is a sparse matrix; skmts needs dense series."
        )
    with _named_errors(f"{input_name}[{index}]"):
        arr = check_array(
            series,
            ensure_2d=False,
            allow_nd=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            ensure_min_samples=1,
            input_name=f"{input_name}[{index}]",
        )
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim != 2:
        raise ValueError(
            f"{input_name}[{index}] has shape {arr.shape}; each series of a list must be "
            "1-D (n_timesteps,) or 2-D (n_timesteps, n_channels)."
        )
    return arr


def _from_multiindex_frame(X, input_name: str) -> list[np.ndarray]:
    import pandas as pd

    if X.index.nlevels != 2:
        raise ValueError(
            f"{input_name} is a DataFrame with a {X.index.nlevels}-level MultiIndex; "
            "expected 2 levels (instance, time)."
        )
    non_numeric = [c for c, t in X.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
    if non_numeric:
        raise ValueError(
            f"{input_name} has non-numeric columns {non_numeric[:5]}; every column must be "
            "a numeric channel."
        )
    with _named_errors(input_name):  # no rows or columns, infinite values
        check_array(X.to_numpy(), dtype=[np.float64, np.float32], ensure_all_finite="allow-nan",
                    input_name=input_name)
    level0 = X.index.get_level_values(0)
    # keep the order in which instances first appear
    _, first = np.unique(level0, return_index=True)
    instances = level0[np.sort(first)]
    groups = X.groupby(level=0, sort=False)
    return [groups.get_group(k).to_numpy(dtype=np.float64) for k in instances]


def to_panel(X, *, input_name: str = "X", dtype=np.float32,
             warn_layout: bool = True) -> tuple[Panel, np.ndarray | None]:
    """Convert any accepted input to a :class:`Panel` (no estimator state involved).

    Returns the panel and the channel names when ``X`` was a MultiIndex DataFrame
    with string column names (else None). ``dtype`` is that of ``Panel.values`` (the
    estimators' float32, or float64 to keep the input's precision); ``warn_layout``
    warns when ``X`` looks like sktime's ``(n_samples, n_channels, n_timesteps)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts._panel import restore_layout, to_panel
    >>> X = [np.arange(5.0), np.arange(3.0)]
    >>> panel, _ = to_panel(X)
    >>> panel.values.shape, panel.lengths.tolist()
    ((2, 5, 1), [5, 3])
    >>> [s.shape for s in restore_layout(panel.values, panel, X)]
    [(5,), (3,)]
    """
    names = None
    if sp.issparse(X):
        raise TypeError(
            f"{input_name} is a sparse matrix; skmts needs a dense array of shape "
            "(n_samples, n_timesteps, n_channels)."
        )
    if hasattr(X, "index") and hasattr(X, "columns") and getattr(X.index, "nlevels", 1) > 1:
        series = _from_multiindex_frame(X, input_name)
        cols = np.asarray(X.columns, dtype=object)
        if all(isinstance(c, str) for c in cols):
            names = cols
    elif isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError(f"{input_name} is an empty list; expected at least one series.")
    elif isinstance(X, (list, tuple)) and _is_ragged_list(X):
        series = [_check_series(s, i, input_name) for i, s in enumerate(X)]
    else:
        ndim = getattr(X, "ndim", None)
        if isinstance(ndim, Integral) and ndim < 2:
            raise ValueError(
                f"{input_name} has {ndim} dimension(s) (shape {np.shape(X)}); expected a 2-D "
                "(n_samples, n_timesteps) or 3-D (n_samples, n_timesteps, n_channels) array. "
                f"Reshape your data: {input_name}.reshape(1, -1) if it is one univariate series."
            )
        with _named_errors(input_name):
            arr = check_array(
                X,
                allow_nd=True,
                dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan",
                ensure_min_samples=1,
                ensure_min_features=1,
                input_name=input_name,
            )
        if arr.ndim == 2:
            arr = arr[:, :, None]
        elif arr.ndim != 3:
            raise ValueError(
                f"{input_name} has {arr.ndim} dimensions (shape {arr.shape}); expected a 2-D "
                "(n_samples, n_timesteps) or 3-D (n_samples, n_timesteps, n_channels) array."
            )
        if arr.shape[2] == 0:
            raise ValueError(f"{input_name} has 0 channels (shape {arr.shape}).")
        n, t, c = arr.shape
        if warn_layout and c > 2 * t and c > 8:
            warnings.warn(
                f"{input_name} has shape {arr.shape}: {c} channels but only {t} timesteps. "
                "skmts expects (n_samples, n_timesteps, n_channels); if this is sktime's "
                "(n_samples, n_channels, n_timesteps) layout, pass X.transpose(0, 2, 1).",
                UserWarning,
                stacklevel=3,
            )
        values = arr.astype(dtype, copy=True)
        observed = ~np.isnan(values)
        lengths = np.full(n, t, dtype=np.int64)
        _check_has_observed(observed, lengths, input_name)
        return Panel(values, observed, lengths), names
    return _pad(series, input_name, dtype), names


def _is_ragged_list(X) -> bool:
    """True when X is a list of series (arrays), as opposed to a nested list of numbers."""
    first = X[0]
    if np.isscalar(first):
        return False
    shapes = {np.shape(s) for s in X}
    if len(shapes) > 1:
        return True
    # equal shapes: a list of 2-D series is (n, T, C); a list of 1-D ones is (n, T).
    return False


def _pad(series: list[np.ndarray], input_name: str, dtype) -> Panel:
    channels = {s.shape[1] for s in series}
    if len(channels) > 1:
        raise ValueError(
            f"the series in {input_name} have different numbers of channels "
            f"{sorted(channels)}; every series must have the same channels."
        )
    (c,) = channels
    if c == 0:
        raise ValueError(f"the series in {input_name} have 0 channels.")
    lengths = np.array([len(s) for s in series], dtype=np.int64)
    values = np.full((len(series), int(lengths.max()), c), np.nan, dtype=dtype)
    for i, s in enumerate(series):
        values[i, : len(s)] = s
    observed = ~np.isnan(values)
    _check_has_observed(observed, lengths, input_name)
    return Panel(values, observed, lengths)


def _check_has_observed(observed: np.ndarray, lengths: np.ndarray, input_name: str) -> None:
    empty = np.flatnonzero(~observed.any(axis=(1, 2)))
    if empty.size:
        raise ValueError(
            f"{input_name} has {empty.size} series with no observed value (all NaN), "
            f"e.g. the series at index {empty[:5].tolist()}; drop them or fill them first."
        )


def restore_layout(values: np.ndarray, panel: Panel, X):
    """Return ``values`` (n, T, C), aligned with ``panel``, in the layout of the input ``X``.

    A list gives a list of unpadded series (1-D series stay 1-D), a 2-D array a 2-D
    array, a MultiIndex DataFrame a DataFrame with the same index and columns, anything
    else a 3-D array. Used by the estimators' ``impute`` methods and by
    :func:`skmts.datasets.inject_missing`.
    """
    if isinstance(X, (list, tuple)):
        series = [values[i, : panel.lengths[i]] for i in range(panel.n_samples)]
        return [s[:, 0] if np.ndim(x) == 1 else s for s, x in zip(series, X)]
    if hasattr(X, "index") and getattr(X.index, "nlevels", 1) > 1:
        flat = np.concatenate([values[i, : panel.lengths[i]] for i in range(panel.n_samples)])
        return type(X)(flat, index=X.index, columns=X.columns)
    if np.ndim(X) == 2:
        return values[:, :, 0]
    return values
