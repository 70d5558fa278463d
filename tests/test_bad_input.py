"""One set of bad inputs, run against every public estimator.

Each case must be refused with a ``ValueError`` or ``TypeError`` raised while the input
is validated (by skmts, scikit-learn or sktime), never from deep inside torch, skorch or
PyPOTS, and its message must name the argument (``X``, ``y`` or the parameter) and say
what was expected or got. The heads take 2-D features ``(n_samples, n_features)``; the
panel estimators take ``(n_samples, n_timesteps, n_channels)``; the sktime adapters take
sktime's ``numpy3D``, ``(n_instances, n_channels, n_timesteps)``: sktime checks their input
first, in its own words, and by its contract a single class in ``y`` only warns (the class
is then predicted).

The second half checks that no estimator modifies the caller's arrays (values and NaN
positions) in ``fit``, ``transform`` or ``predict``.
"""

import importlib.util
import os
import re

import numpy as np
import pytest

from skmts import (
    DMAETransformer,
    EndToEndClassifier,
    EndToEndRegressor,
    FrozenImputerTransformer,
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)

HAS_PYPOTS = importlib.util.find_spec("pypots") is not None
HAS_SKTIME = importlib.util.find_spec("sktime") is not None

N, T, C, F = 12, 10, 2, 5  # series, timesteps, channels; features of the heads


def _dmae(**kw):
    return DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                           random_state=0, **kw)


def _frozen(**kw):
    return FrozenImputerTransformer(backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16},
                                    max_epochs=1, batch_size=16, random_state=0, **kw)


def _e2e(cls, head_cls, **kw):
    return cls(_dmae(), head=head_cls(max_epochs=2, random_state=0), random_state=0, **kw)


def _sktime(kind):
    from skmts import sktime as adapters

    if kind == "classifier":
        return adapters.SktimeClassifier(_e2e(EndToEndClassifier, LinearHeadClassifier))
    if kind == "regressor":
        return adapters.SktimeRegressor(_e2e(EndToEndRegressor, LinearHeadRegressor))
    return adapters.SktimeTransformer(_dmae())


# name -> (factory, layout, kind, a bad string option {param: value})
ESTIMATORS = {
    "LinearHeadClassifier": (lambda: LinearHeadClassifier(max_epochs=2, random_state=0),
                             "features", "classifier", {"standardize": "bogus"}),
    "LinearHeadRegressor": (lambda: LinearHeadRegressor(max_epochs=2, random_state=0),
                            "features", "regressor", {"standardize": "bogus"}),
    "MLPHeadClassifier": (lambda: MLPHeadClassifier(max_epochs=2, random_state=0),
                          "features", "classifier", {"standardize": "bogus"}),
    "MLPHeadRegressor": (lambda: MLPHeadRegressor(max_epochs=2, random_state=0),
                         "features", "regressor", {"standardize": "bogus"}),
    "DMAETransformer": (_dmae, "panel", "transformer", {"norm": "bogus"}),
    "FrozenImputerTransformer": (_frozen, "panel", "transformer", {"missing_pattern": "bogus"}),
    "EndToEndClassifier": (lambda: _e2e(EndToEndClassifier, LinearHeadClassifier),
                           "panel", "classifier", {"head": "bogus"}),
    "EndToEndRegressor": (lambda: _e2e(EndToEndRegressor, LinearHeadRegressor),
                          "panel", "regressor", {"head": "bogus"}),
    "SktimeClassifier": (lambda: _sktime("classifier"), "sktime", "classifier", None),
    "SktimeRegressor": (lambda: _sktime("regressor"), "sktime", "regressor", None),
    "SktimeTransformer": (lambda: _sktime("transformer"), "sktime", "transformer", None),
}


def _marks(name):
    if name == "FrozenImputerTransformer" and not HAS_PYPOTS:
        return [pytest.mark.skip(reason="PyPOTS is not installed")]
    if name.startswith("Sktime") and not HAS_SKTIME:
        return [pytest.mark.skip(reason="sktime is not installed")]
    return []


# ---- data -----------------------------------------------------------------------------
def _good_X(layout, n=N, channels=None):
    rng = np.random.default_rng(0)
    if layout == "features":
        X = rng.normal(size=(n, channels or F))
    else:
        X = rng.normal(size=(n, T, channels or C))
        X[0, 3, 1] = np.nan  # panels allow missing values
        X[4, 5:8, 0] = np.nan
        if layout == "sktime":
            X = X.transpose(0, 2, 1).copy()  # (n, C, T)
    return X


def _good_y(kind, n=N):
    if kind == "classifier":
        return np.array(["a", "b"] * (n // 2))
    return np.linspace(0.0, 1.0, n)


def _fit(est, kind, X, y):
    return est.fit(X) if kind == "transformer" else est.fit(X, y)


def _apply(est, kind, X):
    return est.transform(X) if kind == "transformer" else est.predict(X)


_FITTED = {}


def _fitted(name):
    """A fitted estimator per name, shared by the tests that only call transform/predict
    on it (they never refit it or set its parameters)."""
    if name not in _FITTED:
        factory, layout, kind, _ = ESTIMATORS[name]
        _FITTED[name] = _fit(factory(), kind, _good_X(layout), _good_y(kind))
    return _FITTED[name]


# ---- the bad inputs -------------------------------------------------------------------
def _with(X, index, value):
    X = X.astype(object if isinstance(value, str) else float)
    X[index] = value
    return X


def _y_with_nan(kind):
    y = _good_y(kind).astype(object if kind == "classifier" else float)
    y[3] = np.nan  # a missing label or target
    return y


def _bad_ndim(layout):
    # one dimension too few for a panel would be a valid univariate panel (2-D)
    return np.ones(N) if layout == "features" else np.ones((N, T, C, 2))


def _all_nan(layout):
    X = _good_X(layout)
    X[2] = np.nan  # a whole series (a whole row for the heads)
    return X


# case -> (applies(layout, kind), make(layout, kind) -> (method, X, y), error message regex)
CASES = {
    "wrong_ndim": (
        lambda layout, kind: True,
        lambda layout, kind: ("fit", _bad_ndim(layout), _good_y(kind)),
        r"\bX\b.*(dimension|2D array|dim \d)|(dimension|2D array|dim \d).*\bX\b",
    ),
    "empty": (
        lambda layout, kind: True,
        lambda layout, kind: ("fit", _good_X(layout)[:0], _good_y(kind)[:0]),
        r"\bX\b.*0 sample|0 sample.*\bX\b|\bX\b.*empty",
    ),
    "inf": (
        lambda layout, kind: True,
        lambda layout, kind: ("fit", _with(_good_X(layout), (1, 1), np.inf), _good_y(kind)),
        r"\bX\b.*infinity",
    ),
    "strings": (
        lambda layout, kind: True,
        lambda layout, kind: ("fit", _with(_good_X(layout), (1, 1), "a"), _good_y(kind)),
        r"\bX\b.*(string|numeric|float)",
    ),
    "all_nan_series": (
        lambda layout, kind: True,
        lambda layout, kind: ("fit", _all_nan(layout), _good_y(kind)),
        r"\bX\b.*(NaN|no observed value)",
    ),
    "channel_change": (
        lambda layout, kind: True,
        lambda layout, kind: ("apply", _good_X(layout, channels=(F if layout == "features"
                                                                  else C) + 1), None),
        r"\bX\b.*\d+ (channels|features).*expect|\bX\b.*(channel|feature|dimension)",
    ),
    "y_wrong_length": (
        lambda layout, kind: kind != "transformer",
        lambda layout, kind: ("fit", _good_X(layout), _good_y(kind, N + 2)[: N - 1]),
        r"\by\b.*\b(11|12)\b|\b(11|12)\b.*\by\b",
    ),
    "y_nan": (
        lambda layout, kind: kind != "transformer",
        lambda layout, kind: ("fit", _good_X(layout), _y_with_nan(kind)),
        r"\by\b.*NaN|NaN.*\by\b",
    ),
    "single_class": (
        lambda layout, kind: kind == "classifier",
        lambda layout, kind: ("fit", _good_X(layout), np.array(["a"] * N)),
        r"\by\b.*class|class.*\by\b",
    ),
}


# sktime validates its adapters' input first, in its own words (which name X)
SKTIME_MATCH = {
    "wrong_ndim": r"X must be in an sktime compatible format",
    "empty": r"X has : 0|\bX\b.*0 sample",
}


def _pairs():
    for name, (_, layout, kind, _) in ESTIMATORS.items():
        for case, (applies, _, _) in CASES.items():
            if applies(layout, kind):
                yield pytest.param(name, case, id=f"{name}-{case}", marks=_marks(name))


def _assert_clean_rejection(excinfo, match):
    msg = str(excinfo.value)
    assert re.search(match, msg, flags=re.S), f"message does not name the argument: {msg!r}"
    # raised while validating, not by torch, skorch or PyPOTS from deep inside
    deep = (os.sep + "torch" + os.sep, os.sep + "skorch" + os.sep, os.sep + "pypots" + os.sep)
    where = str(excinfo.traceback[-1].path)
    assert not any(d in where for d in deep), f"raised from {where}: {msg!r}"


@pytest.mark.parametrize("name, case", list(_pairs()))
def test_bad_input_is_refused_with_a_named_error(name, case):
    factory, layout, kind, _ = ESTIMATORS[name]
    _, make, match = CASES[case]
    method, X, y = make(layout, kind)
    if layout == "sktime":
        match = SKTIME_MATCH.get(case, match)
        if case == "single_class":
            # sktime's contract: a single class warns and is predicted (it can come from
            # subsampling), see sktime's test_handles_single_class
            with pytest.warns(UserWarning, match="only single label seen in y"):
                est = factory().fit(X, y)
            assert set(est.predict(X)) == {"a"}
            return
    with pytest.raises((ValueError, TypeError)) as excinfo:
        if method == "fit":
            _fit(factory(), kind, X, y)
        else:
            _apply(_fitted(name), kind, X)
    _assert_clean_rejection(excinfo, match)


def _param_pairs():
    for name, (_, layout, kind, bad) in ESTIMATORS.items():
        params = dict(bad or {})
        params["device"] = "tpu"
        for param, value in params.items():
            yield pytest.param(name, param, value, id=f"{name}-{param}", marks=_marks(name))


@pytest.mark.parametrize("name, param, value", list(_param_pairs()))
def test_bad_parameter_value_is_named(name, param, value):
    factory, layout, kind, _ = ESTIMATORS[name]
    est = factory()
    target = est
    if name.startswith("Sktime"):  # the adapters pass their estimator's parameters on
        target = est.estimator if hasattr(est, "estimator") else est.transformer
    target.set_params(**{param: value})
    with pytest.raises((ValueError, TypeError)) as excinfo:
        _fit(est, kind, _good_X(layout), _good_y(kind))
    _assert_clean_rejection(excinfo, rf"\b{param}\b.*{value}|{value}.*\b{param}\b")


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in ESTIMATORS])
def test_unknown_parameter_is_named(name):
    est = ESTIMATORS[name][0]()
    with pytest.raises(ValueError, match="bogus"):
        est.set_params(bogus=1)


# ---- the caller's arrays are never modified -------------------------------------------
def _assert_unchanged(X, X_before, nan_before):
    np.testing.assert_array_equal(np.isnan(X), nan_before)  # NaN positions
    np.testing.assert_array_equal(X, X_before)  # values (NaN == NaN here)


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in ESTIMATORS])
def test_caller_arrays_are_not_modified(name):
    factory, layout, kind, _ = ESTIMATORS[name]
    X, y = _good_X(layout), _good_y(kind)  # panels hold NaN; the heads refuse it
    X_before, nan_before, y_before = X.copy(), np.isnan(X), y.copy()
    est = _fit(factory(), kind, X, y)
    _assert_unchanged(X, X_before, nan_before)
    np.testing.assert_array_equal(y, y_before)
    for method in ("transform", "predict", "predict_proba", "impute", "score"):
        if hasattr(est, method) and not (method == "score" and kind != "transformer"):
            getattr(est, method)(X)
            _assert_unchanged(X, X_before, nan_before)
    if kind == "transformer":
        factory().fit_transform(X)
        _assert_unchanged(X, X_before, nan_before)
