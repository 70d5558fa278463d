"""MiniRocket (sktime) on skmts panels: the reference row of every comparison.

MiniRocket's transform is fitted without labels (like a backbone's pretraining), then a
RidgeClassifierCV (classification) or RidgeCV (regression) is fitted on the labelled
features. The sktime transformers are used outside any scikit-learn Pipeline (sklearn
1.9's callback context breaks on skbase objects).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MiniRocketReference", "interpolate_linear", "minirocket_for", "to_sktime",
           "warm_minirocket"]


def to_sktime(X):
    """NTC panel -> sktime: numpy3D (n, C, T), or a df-list for a list of series."""
    if isinstance(X, np.ndarray):
        return np.ascontiguousarray(np.transpose(X, (0, 2, 1)))
    import pandas as pd

    return [pd.DataFrame(np.asarray(s).reshape(len(s), -1)) for s in X]


def minirocket_for(X, seed: int):
    """The MiniRocket variant for a panel: univariate, multivariate or variable-length."""
    from sktime.transformations.rocket import (
        MiniRocket,
        MiniRocketMultivariate,
        MiniRocketMultivariateVariable,
    )

    if not isinstance(X, np.ndarray):
        # series may be shorter than MiniRocket's 9-step kernels (JapaneseVowels: 7)
        return MiniRocketMultivariateVariable(pad_value_short_series=0.0, random_state=seed)
    if X.shape[2] == 1:
        return MiniRocket(random_state=seed)
    return MiniRocketMultivariate(random_state=seed)


def warm_minirocket(X, seed: int) -> None:
    """Compile (or load from numba's cache) MiniRocket's kernels outside any timing."""
    rng = np.random.default_rng(0)
    if isinstance(X, np.ndarray):
        tiny = rng.normal(size=(4, 16, X.shape[2]))
    else:
        c = np.asarray(X[0]).reshape(len(X[0]), -1).shape[1]
        tiny = [rng.normal(size=(12, c)), rng.normal(size=(16, c)), rng.normal(size=(14, c))]
    trf = minirocket_for(tiny, seed)
    trf.fit(to_sktime(tiny))
    trf.transform(to_sktime(tiny))


class MiniRocketReference:
    """MiniRocket features fitted on unlabelled series, a ridge head on the labelled ones.

    MiniRocket cannot read NaN: missing values are linearly interpolated along time
    within each series and channel first (the nearest observed value at the ends).

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
    random_state : int, default=0
        Seeds MiniRocket's kernels' biases.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts.model_selection import MiniRocketReference
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 32, 2)); y = np.array(["a", "b"] * 10)
    >>> X[y == "b", :, 0] += 3 * np.sin(np.arange(32))
    >>> ref = MiniRocketReference().fit(X, X[:12], y[:12])
    >>> ref.score(X[12:], y[12:])
    1.0
    """

    def __init__(self, task="classification", random_state=0):
        self.task = task
        self.random_state = random_state

    def fit(self, X_unlabelled, X, y):
        from sklearn.linear_model import RidgeClassifierCV, RidgeCV

        X_unlabelled, X = interpolate_linear(X_unlabelled), interpolate_linear(X)
        warm_minirocket(X, self.random_state)
        self.transformer_ = minirocket_for(X, self.random_state)
        self.transformer_.fit(to_sktime(X_unlabelled))
        ridge = RidgeClassifierCV if self.task == "classification" else RidgeCV
        self.head_ = ridge(alphas=np.logspace(-3, 3, 10))
        self.head_.fit(self.features(X, interpolated=True), y)
        return self

    def features(self, X, interpolated=False):
        X = X if interpolated else interpolate_linear(X)
        return np.asarray(self.transformer_.transform(to_sktime(X)))

    def predict(self, X):
        return self.head_.predict(self.features(X))

    def score(self, X, y):
        return float(self.head_.score(self.features(X), y))

    @property
    def n_parameters(self) -> int:
        return int(np.size(self.head_.coef_) + np.size(self.head_.intercept_))


def interpolate_linear(X):
    """Fill NaN by linear interpolation along time, per series and channel (a float64 copy).

    Leading and trailing gaps take the nearest observed value; a channel with no observed
    value in a series becomes 0. A 3-D (or 2-D univariate) array gives a 3-D array, a
    list of series a list.
    """
    if isinstance(X, np.ndarray):
        series = list(X if X.ndim == 3 else X[:, :, None])
    else:
        series = [np.asarray(s) if np.ndim(s) == 2 else np.asarray(s)[:, None] for s in X]
    out = []
    for s in series:
        s = np.array(s, dtype=np.float64)
        t = np.arange(s.shape[0])
        for c in range(s.shape[1]):
            obs = ~np.isnan(s[:, c])
            if obs.all():
                continue
            s[:, c] = np.interp(t, t[obs], s[obs, c]) if obs.any() else 0.0
        out.append(s)
    return np.stack(out) if isinstance(X, np.ndarray) else out
