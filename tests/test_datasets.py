"""Tests for skmts.datasets: shipped loaders in NTC layout and PyGrinder missingness."""

import numpy as np
import pytest

from skmts.datasets import inject_missing, list_datasets, load_dataset


def _nan_share(X):
    if isinstance(X, list):
        return float(np.concatenate([np.isnan(s).ravel() for s in X]).mean())
    return float(np.isnan(X).mean())


@pytest.fixture(scope="module")
def panel():
    return np.random.default_rng(0).normal(size=(30, 60, 4))


@pytest.fixture(scope="module")
def ragged():
    rng = np.random.default_rng(1)
    return [rng.normal(size=(t, 3)) for t in (5, 9, 9, 14, 20, 31, 31, 31)]


# ---- loaders ------------------------------------------------------------------------------
def test_load_equal_length_multivariate_is_ntc():
    X, y = load_dataset("BasicMotions", split="train")
    assert X.shape == (40, 100, 6)  # sktime gives (40, 6, 100): channels last here
    assert X.dtype == np.float64 and not np.isnan(X).any()
    assert y.shape == (40,) and y.dtype.kind == "U"
    assert set(y) == {"badminton", "running", "standing", "walking"}


def test_load_univariate_is_3d_with_one_channel():
    X, y = load_dataset("itALYpowerDEMAND", split="test")  # names are case-insensitive
    assert X.shape == (1029, 24, 1) and y.shape == (1029,)


def test_load_ragged_is_list_of_time_by_channel_arrays():
    X_train, y_train = load_dataset("JapaneseVowels", split="train")
    X_all, y_all = load_dataset("JapaneseVowels")
    assert isinstance(X_train, list) and len(X_train) == len(y_train) == 270
    assert len(X_all) == len(y_all) == 270 + 370
    assert {s.shape[1] for s in X_train} == {12}
    lengths = {s.shape[0] for s in X_train}
    assert min(lengths) == 7 and max(lengths) == 26


def test_load_regression_targets_are_float():
    X, y = load_dataset("Covid3Month", split="test")
    assert X.shape == (61, 84, 1) and y.dtype == np.float64


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "NoSuchSet"}, "name='NoSuchSet' is not a shipped dataset"),
    ({"name": "GunPoint", "split": "valid"}, "split must be 'train', 'test' or None, got 'valid'"),
])
def test_load_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(**kwargs)


def test_list_datasets_by_task():
    assert list_datasets("regression") == ["Covid3Month", "Tecator"]
    assert {"BasicMotions", "JapaneseVowels", "OSULeaf"} <= set(list_datasets("classification"))


# ---- inject_missing -----------------------------------------------------------------------
@pytest.mark.parametrize("pattern", ["mcar", "seq", "block"])
@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_inject_missing_rate_is_about_right_and_input_untouched(panel, pattern, rate):
    before = panel.copy()
    out = inject_missing(panel, rate, pattern, random_state=0)
    assert out.shape == panel.shape and out is not panel
    np.testing.assert_array_equal(panel, before)
    assert abs(_nan_share(out) - rate) < 0.04
    kept = ~np.isnan(out)
    np.testing.assert_array_equal(out[kept], panel[kept])  # only hides, never changes values


@pytest.mark.parametrize("pattern", ["mcar", "seq", "block"])
def test_inject_missing_ragged_list(ragged, pattern):
    before = [s.copy() for s in ragged]
    out = inject_missing(ragged, 0.3, pattern, random_state=3)
    assert isinstance(out, list) and [s.shape for s in out] == [s.shape for s in ragged]
    for s, b in zip(ragged, before):
        np.testing.assert_array_equal(s, b)
    assert 0.15 < _nan_share(out) < 0.45


def test_inject_missing_keeps_one_observed_value_per_series_and_channel():
    X = np.random.default_rng(2).normal(size=(50, 4, 3))
    out = inject_missing(X, 0.95, "mcar", random_state=0)
    assert (~np.isnan(out)).any(axis=1).all()
    assert _nan_share(out) > 0.6


def test_inject_missing_counts_only_observed_values_and_keeps_old_nan(panel):
    X = panel.copy()
    X[:, :30] = np.nan  # half missing already
    out = inject_missing(X, 0.2, random_state=0)
    assert np.isnan(out[:, :30]).all()
    assert abs(np.isnan(out[:, 30:]).mean() - 0.2) < 0.03


def test_inject_missing_is_reproducible_and_leaves_global_rng_alone(panel):
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    a = inject_missing(panel, 0.3, "block", random_state=7)
    b = inject_missing(panel, 0.3, "block", random_state=7)
    c = inject_missing(panel, 0.3, "block", random_state=8)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert (np.isnan(a) != np.isnan(c)).any()
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_inject_missing_keeps_input_kind():
    X2 = np.random.default_rng(0).normal(size=(10, 20))
    out = inject_missing(X2, 0.2, random_state=0)
    assert out.shape == (10, 20)
    out1d = inject_missing([np.arange(10.0), np.arange(6.0)], 0.2, random_state=0)
    assert [s.shape for s in out1d] == [(10,), (6,)]
    np.testing.assert_array_equal(inject_missing(X2, 0.0), X2)


@pytest.mark.parametrize("kwargs, match", [
    ({"rate": 1.0}, r"rate must be a float in \[0, 1\), got 1.0"),
    ({"rate": -0.1}, r"rate must be a float in \[0, 1\)"),
    ({"rate": 0.1, "pattern": "mnar"}, "pattern must be one of"),
    ({"rate": 0.1, "pattern": "seq", "seq_len": 0}, "seq_len must be a positive int"),
])
def test_inject_missing_rejects_bad_arguments(panel, kwargs, match):
    with pytest.raises(ValueError, match=match):
        inject_missing(panel, **kwargs)


def test_inject_missing_rejects_non_panels():
    with pytest.raises(ValueError, match=r"expected a 2-D .*or 3-D .*array"):
        inject_missing(np.zeros(5), 0.1)
