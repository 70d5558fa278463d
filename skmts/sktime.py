"""sktime adapters: any skmts (or scikit-learn) panel estimator as an sktime estimator.

sktime's benchmarking (``sktime.benchmarking.classification.ClassificationBenchmark``),
its pipelines and its estimator checks take sktime estimators. The adapters here wrap a
scikit-learn estimator that reads skmts panels — an ``EndToEndClassifier``, a
``Pipeline([("emb", DMAETransformer()), ("clf", LogisticRegression())])``, a
``DMAETransformer`` — so that modular and end-to-end setups can be compared in sktime next
to its own classifiers, and skmts features compose with sktime's ``*`` pipelines.

sktime hands the adapters ``numpy3D`` data, ``(n_instances, n_channels, n_timesteps)``,
which is transposed to skmts's ``(n_samples, n_timesteps, n_channels)``, or, for series of
different lengths, a ``pd-multiindex`` DataFrame, which skmts reads as it is, channels by
position (column names are not passed on, as sktime does not match them between calls).
Missing values (NaN) pass through.

This module imports sktime (``pip install skmts[sktime]``); ``import skmts`` does not.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

try:
    from sktime.classification.base import BaseClassifier
    from sktime.regression.base import BaseRegressor
    from sktime.transformations.base import BaseTransformer
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "skmts.sktime needs sktime; install it with `pip install sktime` "
        "(or `pip install skmts[sktime]`)."
    ) from err

__all__ = ["SktimeClassifier", "SktimeRegressor", "SktimeTransformer"]

_TAGS = {
    "authors": ["skmts"],
    "X_inner_mtype": ["numpy3D", "pd-multiindex"],
    "y_inner_mtype": "numpy1D",
    "capability:multivariate": True,
    "capability:unequal_length": True,
    "capability:missing_values": True,
}


def _to_skmts(X):
    """sktime inner data -> what skmts reads: (n, C, T) arrays become an (n, T, C) view (skmts
    copies its input once, when it validates it); pd-multiindex DataFrames (unequal lengths)
    are already skmts input, once their column names are dropped: sktime matches channels
    by position and may hand over a DataFrame in ``fit`` and an array in ``predict``, so
    names would only make skmts warn or refuse (scikit-learn's feature-name check)."""
    if isinstance(X, np.ndarray):
        return X.transpose(0, 2, 1)
    return X.set_axis(range(X.shape[1]), axis="columns")


def _require(obj, name, kind, methods):
    """TypeError unless ``obj`` has ``methods``, naming the argument and what it got."""
    missing = [m for m in methods if not hasattr(obj, m)]
    if missing:
        raise TypeError(
            f"{name} must be a scikit-learn {kind} with {' and '.join(methods)}; "
            f"got {type(obj).__name__}, which has no {', '.join(missing)}."
        )


class _Adapter:
    """What both adapters share: the wrapped estimator, checked, cloned and fitted."""

    def __init__(self, estimator):
        self.estimator = estimator
        super().__init__()
        _require(estimator, "estimator", "estimator", ("fit", "predict"))

    def _fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(_to_skmts(X), y)
        return self


def _tiny_dmae():
    from .representation._dmae import DMAETransformer

    return DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                           batch_size=8, random_state=0)


def _test_params(step, final, end_to_end, head):
    """sktime test settings of a supervised adapter: a tiny DMAE pipeline ending in ``final``
    (named ``step``) and the end-to-end estimator with a 2-epoch ``head``."""
    from sklearn.pipeline import Pipeline

    return [
        {"estimator": Pipeline([("emb", _tiny_dmae()), (step, final)])},
        {"estimator": end_to_end(_tiny_dmae(), head=head(max_epochs=2, random_state=0),
                                 random_state=0)},
    ]


class SktimeClassifier(_Adapter, BaseClassifier):
    """An skmts (or scikit-learn) panel classifier as an sktime classifier.

    Parameters
    ----------
    estimator : scikit-learn classifier
        A classifier that takes skmts panels, ``(n_samples, n_timesteps, n_channels)``
        with NaN for missing values: an :class:`skmts.EndToEndClassifier`, or a
        ``Pipeline`` that starts with an skmts transformer. It is cloned in ``fit``.

    Attributes
    ----------
    estimator_ : scikit-learn classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        The class labels (set by sktime).

    See Also
    --------
    SktimeRegressor : The same for regressors.
    skmts.EndToEndClassifier : A backbone and a head trained jointly.

    Notes
    -----
    sktime gives ``numpy3D`` input, ``(n_instances, n_channels, n_timesteps)``, transposed
    here to skmts's layout, and, for series of different lengths, a ``pd-multiindex``
    DataFrame that skmts reads directly. The adapter declares multivariate, unequal-length
    and missing-value support; ``predict_proba`` is the estimator's when it has one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> from skmts import DMAETransformer
    >>> from skmts.sktime import SktimeClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 2, 24))          # sktime's numpy3D: (n, channels, time)
    >>> y = np.array(["a", "b"] * 10)
    >>> X[y == "b", 0] += 1.0
    >>> emb = DMAETransformer(d_model=16, n_layers=1, max_epochs=2, random_state=0)
    >>> clf = SktimeClassifier(Pipeline([("emb", emb), ("clf", LogisticRegression())]))
    >>> clf.fit(X, y).predict(X[:3]).tolist()
    ['a', 'b', 'a']
    """

    _tags = {**_TAGS, "capability:predict_proba": True}

    def __init__(self, estimator):
        super().__init__(estimator)
        self.set_tags(**{"capability:predict_proba": hasattr(estimator, "predict_proba")})

    def fit(self, X, y):
        """Fit the wrapped classifier (sktime's ``fit``; a missing label is refused first).

        sktime counts the classes of ``y`` with ``np.unique`` before anything else, which
        fails with a bare ``TypeError`` on labels such as ``["a", nan]``.

        Parameters
        ----------
        X : sktime Panel
            ``numpy3D`` (n_instances, n_channels, n_timesteps) or ``pd-multiindex``.
        y : array-like of shape (n_instances,)
            The class labels.

        Returns
        -------
        self : SktimeClassifier
            The fitted adapter.
        """
        if y is not None:
            from ._validation import check_no_missing_labels

            check_no_missing_labels(y)
        return super().fit(X, y)

    def _predict(self, X):
        return np.asarray(self.estimator_.predict(_to_skmts(X)))

    def _predict_proba(self, X):
        if not hasattr(self.estimator_, "predict_proba"):
            return super()._predict_proba(X)  # one-hot of predict
        proba = np.asarray(self.estimator_.predict_proba(_to_skmts(X)))
        # columns in sktime's classes_ order (a class unseen by the estimator gets 0)
        out = np.zeros((proba.shape[0], len(self.classes_)))
        cols = np.searchsorted(self.classes_, self.estimator_.classes_)
        out[:, cols] = proba
        return out

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Tiny, fast settings for sktime's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Unused; sktime's interface.

        Returns
        -------
        params : list of dict
            A modular pipeline (DMAE + logistic regression) and an end-to-end classifier.
        """
        from sklearn.linear_model import LogisticRegression

        from .end_to_end import EndToEndClassifier
        from .heads import LinearHeadClassifier

        return _test_params("clf", LogisticRegression(), EndToEndClassifier, LinearHeadClassifier)


class SktimeRegressor(_Adapter, BaseRegressor):
    """An skmts (or scikit-learn) panel regressor as an sktime regressor.

    Parameters
    ----------
    estimator : scikit-learn regressor
        A regressor that takes skmts panels, ``(n_samples, n_timesteps, n_channels)``
        with NaN for missing values: an :class:`skmts.EndToEndRegressor`, or a
        ``Pipeline`` that starts with an skmts transformer. It is cloned in ``fit``.

    Attributes
    ----------
    estimator_ : scikit-learn regressor
        The fitted clone of ``estimator``.

    See Also
    --------
    SktimeClassifier : The same for classifiers.
    skmts.EndToEndRegressor : A backbone and a head trained jointly.

    Notes
    -----
    Input handling is that of :class:`SktimeClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import Pipeline
    >>> from skmts import DMAETransformer
    >>> from skmts.sktime import SktimeRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 2, 24))          # sktime's numpy3D: (n, channels, time)
    >>> y = X[:, 0].mean(axis=1)
    >>> emb = DMAETransformer(d_model=16, n_layers=1, max_epochs=2, random_state=0)
    >>> reg = SktimeRegressor(Pipeline([("emb", emb), ("reg", Ridge())])).fit(X, y)
    >>> reg.predict(X).shape
    (20,)
    """

    _tags = dict(_TAGS)

    def __init__(self, estimator):
        super().__init__(estimator)

    def _predict(self, X):
        return np.asarray(self.estimator_.predict(_to_skmts(X))).reshape(-1)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Tiny, fast settings for sktime's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Unused; sktime's interface.

        Returns
        -------
        params : list of dict
            A modular pipeline (DMAE + ridge) and an end-to-end regressor.
        """
        from sklearn.linear_model import Ridge

        from .end_to_end import EndToEndRegressor
        from .heads import LinearHeadRegressor

        return _test_params("reg", Ridge(), EndToEndRegressor, LinearHeadRegressor)


class SktimeTransformer(BaseTransformer):
    """An skmts representation transformer as an sktime panel-to-features transformer.

    Parameters
    ----------
    transformer : scikit-learn transformer
        A transformer that takes skmts panels and returns one feature vector per series:
        :class:`skmts.DMAETransformer`, :class:`skmts.FrozenImputerTransformer`, or a
        ``Pipeline`` of them. It is cloned in ``fit``.

    Attributes
    ----------
    transformer_ : scikit-learn transformer
        The fitted clone of ``transformer``.

    See Also
    --------
    SktimeClassifier : A whole skmts classifier as an sktime classifier.

    Notes
    -----
    sktime tags: series in, primitives (one row of features per series) out; multivariate,
    unequal-length and missing-value input supported. ``adapter * LogisticRegression()``
    gives sktime's ``SklearnClassifierPipeline``. Input handling is that of
    :class:`SktimeClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmts import DMAETransformer
    >>> from skmts.sktime import SktimeTransformer
    >>> X = np.random.default_rng(0).normal(size=(10, 2, 16))  # (n, channels, time)
    >>> emb = SktimeTransformer(DMAETransformer(d_model=8, n_heads=2, n_layers=1,
    ...                                         n_conv_blocks=1, max_epochs=1, random_state=0))
    >>> emb.fit_transform(X).shape
    (10, 32)
    """

    _tags = {
        "authors": ["skmts"],
        "scitype:transform-input": "Series",
        "scitype:transform-output": "Primitives",
        "scitype:instancewise": False,
        "X_inner_mtype": ["numpy3D", "pd-multiindex"],
        "y_inner_mtype": "None",
        "fit_is_empty": False,
        "requires_y": False,
        "capability:multivariate": True,
        "capability:unequal_length": True,
        "capability:missing_values": True,
    }

    def __init__(self, transformer):
        self.transformer = transformer
        super().__init__()
        _require(transformer, "transformer", "transformer", ("fit", "transform"))

    def _fit(self, X, y=None):
        self.transformer_ = clone(self.transformer).fit(_to_skmts(X))
        return self

    def _transform(self, X, y=None):
        return np.asarray(self.transformer_.transform(_to_skmts(X)))

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Tiny, fast settings for sktime's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Unused; sktime's interface.

        Returns
        -------
        params : list of dict
            Two tiny DMAE transformers (all layers pooled, and the last layer's mean).
        """
        from .representation._dmae import DMAETransformer

        last_mean = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                                    pooling="mean", layers="last", random_state=0)
        return [{"transformer": _tiny_dmae()}, {"transformer": last_mean}]

