"""Input validation for the estimators, on top of the one panel parser (:mod:`._panel`).

No estimator parses input on its own: they all call :func:`check_panel` (the heads, on
2-D features, call :func:`check_features`; supervised estimators check ``y`` with
:func:`check_y`). The accepted panel formats are listed in :mod:`skmts._panel`, whose
:func:`to_panel` turns each into a :class:`Panel` (both re-exported here).

Feature names follow scikit-learn's rules, with its own code (``_check_feature_names``):
a DataFrame whose column names are all strings sets ``feature_names_in_`` at fit, and
after fit a DataFrame with other or reordered columns is refused with scikit-learn's
message ("The feature names should match those that were passed during fit."); an array
after a DataFrame, or a DataFrame after an array, warns. For a MultiIndex frame the names
are the channels'; for a plain (wide) frame, one row per univariate series, they label
the time steps. Every error names the argument (``X``, ``X[i]`` for a series of a list,
``y``) and what was expected or found.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from ._compat import _check_feature_names
from ._panel import Panel, _named_errors, restore_layout, to_panel

__all__ = ["Panel", "check_features", "check_panel", "check_y", "to_panel", "restore_layout"]


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
        The panel (the accepted formats are listed in :mod:`skmts._panel`).
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
