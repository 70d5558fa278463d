"""The one input layer: every accepted panel format becomes a :class:`Panel`.

skmts speaks ``(n_samples, n_timesteps, n_channels)`` with NaN for a missing value.
Accepted inputs (see :func:`check_panel`):

* a 3-D array ``(n_samples, n_timesteps, n_channels)``;
* a 2-D array ``(n_samples, n_timesteps)``: a panel of univariate series;
* a list (or tuple) of 2-D arrays ``(n_timesteps_i, n_channels)`` or of 1-D arrays
  ``(n_timesteps_i,)``, possibly of different lengths: a ragged panel;
* a pandas DataFrame with an ``(instance, time)`` MultiIndex and one column per channel
  (sktime's ``pd-multiindex``), or a plain DataFrame, read as a 2-D array.

No estimator parses input on its own: they all call :func:`check_panel` (the heads, on
2-D features, call :func:`check_features`; supervised estimators check ``y`` with
:func:`check_y`). Feature names follow scikit-learn's rules, with its own code
(``_check_feature_names``): a DataFrame whose column names are all strings sets
``feature_names_in_`` at fit, and after fit a DataFrame with other or reordered columns is
refused with scikit-learn's message ("The feature names should match those that were
passed during fit."); an array after a DataFrame, or a DataFrame after an array, warns.
For a MultiIndex frame the names are the channels'; for a plain (wide) frame, one row per
univariate series, they label the time steps. Every error names the argument (``X``,
``X[i]`` for a series of a list, ``y``) and what was expected or found.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from ._compat import _check_feature_names

__all__ = ["Panel", "check_features", "check_panel", "check_y", "to_panel", "restore_layout"]


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

    def filled(self, fill_value: float = 0.0) -> np.ndarray:
        """Values with missing values and padding replaced by ``fill_value``."""
        return np.where(self.observed, self.values, np.float32(fill_value))

    def to_list(self) -> list[np.ndarray]:
        """The series as a list of (length_i, n_channels) arrays (NaN kept)."""
        return [self.values[i, : self.lengths[i]] for i in range(self.n_samples)]


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


def to_panel(X, *, input_name: str = "X") -> tuple[Panel, np.ndarray | None]:
    """Convert any accepted input to a :class:`Panel` (no estimator state involved).

    Returns the panel and the channel names when ``X`` was a MultiIndex DataFrame
    with string column names (else None).
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
    elif isinstance(X, (list, tuple)) and len(X) > 0 and _is_ragged_list(X):
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
        if c > 2 * t and c > 8:
            warnings.warn(
                f"{input_name} has shape {arr.shape}: {c} channels but only {t} timesteps. "
                "skmts expects (n_samples, n_timesteps, n_channels); if this is sktime's "
                "(n_samples, n_channels, n_timesteps) layout, pass X.transpose(0, 2, 1).",
                UserWarning,
                stacklevel=3,
            )
        values = arr.astype(np.float32, copy=True)
        observed = ~np.isnan(values)
        lengths = np.full(n, t, dtype=np.int64)
        _check_has_observed(observed, lengths, input_name)
        return Panel(values, observed, lengths), names
    return _pad(series, input_name), names


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


def _pad(series: list[np.ndarray], input_name: str) -> Panel:
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
    values = np.full((len(series), int(lengths.max()), c), np.nan, dtype=np.float32)
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


def check_panel(estimator, X, *, reset: bool, input_name: str = "X") -> Panel:
    """Validate ``X`` for ``estimator`` and return it as a :class:`Panel`.

    With ``reset=True`` (in ``fit``) it records ``n_features_in_`` (= the number of
    channels), ``n_channels_in_``, ``n_timesteps_in_`` (the longest series) and, for a
    DataFrame whose column names are all strings, ``feature_names_in_`` (the column
    names: channels for a MultiIndex frame, time steps for a wide one). With
    ``reset=False`` (after fit) it checks the feature names as scikit-learn does (other
    or reordered columns raise, a missing or new set of names warns) and the number of
    channels against the fitted one.

    Parameters
    ----------
    estimator : estimator instance
        The estimator whose attributes are set or checked.
    X : array-like, list of array-like or DataFrame
        The panel (see the module docstring for the accepted formats).
    reset : bool
        Whether this call is in ``fit``.
    input_name : str, default="X"
        Name used in error messages.

    Returns
    -------
    panel : Panel
        New arrays: the caller's data is never modified.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts._validation import to_panel
    >>> panel, _ = to_panel([np.ones((5, 2)), np.ones((3, 2))])
    >>> panel.values.shape, panel.lengths.tolist()
    ((2, 5, 2), [5, 3])

    Column names are checked as scikit-learn checks them:

    >>> import pandas as pd
    >>> from skmts import DMAETransformer
    >>> index = pd.MultiIndex.from_product([range(3), range(4)], names=["instance", "time"])
    >>> df = pd.DataFrame(np.ones((12, 2)), index=index, columns=["ecg", "resp"])
    >>> est = DMAETransformer()
    >>> check_panel(est, df, reset=True).values.shape, est.feature_names_in_.tolist()
    ((3, 4, 2), ['ecg', 'resp'])
    >>> check_panel(est, df[["resp", "ecg"]], reset=False)
    Traceback (most recent call last):
    ...
    ValueError: The feature names should match those that were passed during fit.
    Feature names must be in the same order as they were in fit.
    <BLANKLINE>
    """
    if not reset:  # names first, as in scikit-learn's validate_data
        _check_feature_names(estimator, X, reset=False)
    panel, _ = to_panel(X, input_name=input_name)
    if reset:
        _check_feature_names(estimator, X, reset=True)
        estimator.n_features_in_ = panel.n_channels
        estimator.n_channels_in_ = panel.n_channels
        estimator.n_timesteps_in_ = int(panel.lengths.max())
        return panel
    expected = getattr(estimator, "n_channels_in_", None)
    if expected is not None and panel.n_channels != expected:
        raise ValueError(
            f"{input_name} has {panel.n_channels} channels, but {type(estimator).__name__} "
            f"is expecting {expected} channels as input."
        )
    return panel


def check_features(estimator, X, *, reset: bool, **check_params) -> np.ndarray:
    """Validate 2-D features ``X`` (n_samples, n_features) for ``estimator`` (the heads).

    scikit-learn's ``validate_data`` (``n_features_in_``, ``feature_names_in_``, NaN and
    infinity refused), with every error naming ``X``.

    Parameters
    ----------
    estimator : estimator instance
        The estimator whose attributes are set (``reset=True``) or checked.
    X : array-like of shape (n_samples, n_features)
        The features.
    reset : bool
        Whether this call is in ``fit``.
    **check_params
        Passed on to ``validate_data`` (``dtype``, ...).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The validated features.
    """
    with _named_errors("X"):
        return validate_data(estimator, X, reset=reset, **check_params)


def _n_rows(obj) -> int | None:
    """Length of the first axis of an array-like, or None (a scalar, an odd object)."""
    shape = getattr(obj, "shape", None)
    if shape is None and hasattr(obj, "__array__"):
        shape = np.asarray(obj).shape
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(obj)
    except TypeError:
        return None


def _missing_labels(y: np.ndarray) -> np.ndarray:
    """Boolean mask of missing labels (NaN, None, pandas' NA/NaT) in a 1-D array."""
    if y.dtype.kind in "fc":
        return np.isnan(y)
    if y.dtype.kind == "O":
        return np.array([_is_missing(v) for v in y], dtype=bool)
    return np.zeros(y.shape, dtype=bool)


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def check_y(estimator, y, n_samples: int, *, classifier: bool) -> np.ndarray:
    """Validate the labels or targets ``y`` of ``n_samples`` samples (series).

    Classifiers get 1-D labels (a column vector is raveled with scikit-learn's
    ``DataConversionWarning``) with none missing; regressors get finite numeric targets
    of shape (n_samples,) or (n_samples, n_outputs). Every error names ``y``.

    Parameters
    ----------
    estimator : estimator instance
        Named in the error when ``y`` is None.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The labels or targets.
    n_samples : int
        The number of samples (series) of ``X``.
    classifier : bool
        Whether ``y`` holds class labels.

    Returns
    -------
    y : ndarray
        1-D labels, or float targets (1-D or 2-D).

    Examples
    --------
    >>> import numpy as np
    >>> from skmts._validation import check_y
    >>> check_y(None, ["a", "b", "a"], 3, classifier=True).tolist()
    ['a', 'b', 'a']
    >>> check_y(None, [0.5, 1.5], 3, classifier=False)
    Traceback (most recent call last):
    ...
    ValueError: y has 2 entries, but X has 3 samples; y needs one label or target per sample (series) of X.
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    n_y = _n_rows(y)
    if n_y is None:
        raise TypeError(
            f"y must be array-like of shape (n_samples,); got {type(y).__name__} {y!r:.50}."
        )
    if n_y != n_samples:
        raise ValueError(
            f"y has {n_y} entries, but X has {n_samples} samples; y needs one label or "
            "target per sample (series) of X."
        )
    with _named_errors("y"):
        if not classifier:  # 1-D or 2-D: check_array refuses more dimensions
            return check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y = column_or_1d(y, warn=True)
        check_no_missing_labels(y)
        check_classification_targets(y)
    return y


def check_no_missing_labels(y) -> None:
    """ValueError naming ``y`` when a label is missing (NaN, None, pandas' NA).

    Without it, labels such as ``["a", nan, "b"]`` fail inside ``np.unique`` with "'<' not
    supported between instances of 'float' and 'str'".
    """
    y = np.asarray(y)
    missing = np.flatnonzero(_missing_labels(y.reshape(-1)))
    if missing.size:
        raise ValueError(
            f"y has {missing.size} missing label(s) (NaN or None), e.g. at index "
            f"{missing[:5].tolist()}; drop those samples or label them."
        )


def restore_layout(values: np.ndarray, panel: Panel, X):
    """Return ``values`` (n, T, C), aligned with ``panel``, in the layout of the input ``X``.

    A list gives a list of unpadded series (1-D series stay 1-D), a 2-D array a 2-D
    array, a MultiIndex DataFrame a DataFrame with the same index and columns, anything
    else a 3-D array. Used by the estimators' ``impute`` methods.
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
