import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.dummy import DummyClassifier

pytest.importorskip("sktime")

from skmts.sktime import SktimeClassifier, SktimeRegressor, SktimeTransformer  # noqa: E402


class _Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the class of the first channel's sign and records what it was given."""

    def fit(self, X, y):
        self.seen_ = X
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.where(np.nanmean(_first_channel(X), axis=1) > 0, self.classes_[-1],
                        self.classes_[0])


class _MeanRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        self.seen_ = X
        return self

    def predict(self, X):
        return np.nanmean(_first_channel(X), axis=1)


def _first_channel(X):
    if isinstance(X, pd.DataFrame):
        return np.array([g.iloc[:, 0].mean() for _, g in X.groupby(level=0)])[:, None]
    return X[:, :, 0]


def _numpy3d(n=10, c=2, t=7, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, c, t))
    y = np.where(X[:, 0].mean(axis=1) > 0, "up", "down")
    return X, y


def _unequal(n=6, c=2):
    rng = np.random.default_rng(1)
    frames = []
    for i in range(n):
        t = 4 + i
        frames.append(pd.DataFrame(rng.normal(size=(t, c)), columns=["a", "b"],
                                   index=pd.MultiIndex.from_product([[i], range(t)])))
    return pd.concat(frames), np.array(["x", "y"] * (n // 2))


def test_numpy3d_is_transposed_to_skmts_layout():
    X, y = _numpy3d()
    X_before = X.copy()
    clf = SktimeClassifier(_Recorder()).fit(X, y)
    assert clf.estimator_.seen_.shape == (10, 7, 2)
    np.testing.assert_array_equal(clf.estimator_.seen_[3], X[3].T)
    np.testing.assert_array_equal(clf.predict(X), y)
    np.testing.assert_array_equal(X, X_before)  # the caller's data is untouched
    assert clf.estimator_ is not clf.estimator  # cloned


def test_unequal_lengths_reach_skmts_as_multiindex_frame():
    X, y = _unequal()
    clf = SktimeClassifier(_Recorder()).fit(X, y)
    seen = clf.estimator_.seen_
    assert isinstance(seen, pd.DataFrame) and seen.index.nlevels == 2
    assert list(seen.columns) == [0, 1]  # channels by position, as sktime matches them
    assert len(clf.predict(X)) == 6


def test_predict_proba_columns_follow_sktime_classes():
    X, y = _numpy3d(n=12)
    y = np.array(["c", "a", "b"] * 4)
    clf = SktimeClassifier(DummyClassifier(strategy="prior")).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    np.testing.assert_allclose(proba, np.full((12, 3), 1 / 3))
    assert clf.get_tag("capability:predict_proba") is True
    assert SktimeClassifier(_Recorder()).get_tag("capability:predict_proba") is False
    # without predict_proba, sktime's one-hot of predict
    onehot = SktimeClassifier(_Recorder()).fit(*_numpy3d()).predict_proba(_numpy3d()[0])
    assert set(np.unique(onehot)) <= {0.0, 1.0}


def test_regressor_and_nan_pass_through():
    X, _ = _numpy3d()
    X[0, 1, 2] = np.nan
    y = X[:, 0].mean(axis=1)
    reg = SktimeRegressor(_MeanRegressor()).fit(X, y)
    assert np.isnan(reg.estimator_.seen_[0, 2, 1])
    np.testing.assert_allclose(reg.predict(X), y)


@pytest.mark.parametrize("cls", [SktimeClassifier, SktimeRegressor, SktimeTransformer])
def test_rejects_what_is_not_an_estimator(cls):
    with pytest.raises(TypeError, match="must be a scikit-learn .*; got str, which has no fit"):
        cls("dmae")


def test_transformer_gives_skmts_features_and_composes_with_star():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    X, y = _numpy3d()
    # an sklearn transformer that reads skmts input (an NTC array or, from sktime's
    # pipelines, a MultiIndex frame): the mean of each channel
    means = FunctionTransformer(lambda P: P.groupby(level=0).mean().to_numpy()
                                if isinstance(P, pd.DataFrame) else np.nanmean(P, axis=1))
    feats = SktimeTransformer(means).fit_transform(X)
    np.testing.assert_allclose(np.asarray(feats), X.mean(axis=2))  # per channel, not per step
    pipe = SktimeTransformer(means) * LogisticRegression()
    assert type(pipe).__name__ == "SklearnClassifierPipeline"
    np.testing.assert_array_equal(pipe.fit(X, y).predict(X), y)


def test_modular_and_end_to_end_in_sktime():
    """The adapters' own test settings (a DMAE pipeline and an end-to-end classifier) fit
    and predict sktime data, with unequal lengths and missing values."""
    from sktime.utils._testing.panel import make_classification_problem

    X, y = make_classification_problem(n_instances=12, n_columns=2, n_timepoints=10,
                                       return_numpy=True, random_state=0)
    X[0, 0, 3] = np.nan
    for params in SktimeClassifier.get_test_params():
        clf = SktimeClassifier(**params).fit(X, y)
        assert clf.predict_proba(X).shape == (12, len(np.unique(y)))
    Xu, yu = _unequal(n=8)
    clf = SktimeClassifier(**SktimeClassifier.get_test_params()[1]).fit(Xu, yu)
    assert set(clf.predict(Xu)) <= {"x", "y"}


@pytest.mark.parametrize("cls", [SktimeClassifier, SktimeRegressor, SktimeTransformer])
def test_sktime_check_estimator(cls):
    """sktime's own conformance suite (~400 checks, both test settings of each adapter)."""
    from sktime.utils.estimator_checks import check_estimator

    results = check_estimator(cls, raise_exceptions=False, verbose=False)
    failed = {k: v for k, v in results.items() if v != "PASSED"}
    assert not failed, failed
