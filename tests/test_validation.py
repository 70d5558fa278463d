import re
import warnings

import numpy as np
import pandas as pd
import pytest

from skmts._validation import check_panel, check_y, to_panel


class _Est:
    pass


def test_3d_array_is_copied_and_masked(panel):
    before = panel.copy()
    p, _ = to_panel(panel)
    assert p.values.shape == (12, 16, 3) and p.values.dtype == np.float32
    assert p.observed.sum() == np.isfinite(panel).sum()
    assert (p.lengths == 16).all() and not p.is_ragged
    p.values[:] = 0  # the panel owns its arrays
    np.testing.assert_array_equal(panel, before)


def test_2d_array_is_univariate():
    p, _ = to_panel(np.arange(20.0).reshape(4, 5))
    assert p.values.shape == (4, 5, 1)


def test_ragged_list_is_padded_and_lengths_kept(ragged):
    p, _ = to_panel(ragged)
    assert p.values.shape == (8, 16, 3)
    assert p.lengths.tolist() == [16, 9, 12, 5, 16, 7, 11, 14]
    assert not p.observed[3, 5:].any() and np.isnan(p.values[3, 5:]).all()
    assert p.valid.sum() == sum(len(s) for s in ragged)


def test_list_of_1d_series_is_univariate():
    p, _ = to_panel([np.ones(4), np.ones(6)])
    assert p.values.shape == (2, 6, 1) and p.lengths.tolist() == [4, 6]


def test_multiindex_dataframe(rng):
    idx = pd.MultiIndex.from_tuples([(i, t) for i in range(3) for t in range(4 + i)])
    df = pd.DataFrame(rng.normal(size=(len(idx), 2)), index=idx, columns=["a", "b"])
    est = _Est()
    p = check_panel(est, df, reset=True)
    assert p.values.shape == (3, 6, 2) and p.lengths.tolist() == [4, 5, 6]
    assert est.feature_names_in_.tolist() == ["a", "b"] and est.n_features_in_ == 2
    np.testing.assert_allclose(p.values[1, :5], df.loc[1].to_numpy(), rtol=1e-6)


def test_readonly_input_works(panel):
    panel.setflags(write=False)
    p, _ = to_panel(panel)
    assert p.values.flags.writeable


@pytest.mark.parametrize(
    "X, err, match",
    [
        (np.ones(5), ValueError, "Reshape your data"),
        (np.ones((2, 3, 4, 5)), ValueError, "4 dimensions"),
        (np.empty((0, 5, 2)), ValueError, "0 sample"),
        (np.array([[1.0, np.inf]]), ValueError, "infinity"),
        (np.array([["a", "b"]], dtype=object), ValueError, "could not convert"),
        (np.full((2, 3, 1), np.nan), ValueError, "no observed value"),
        ([np.ones((3, 2)), np.ones((4, 3))], ValueError, "different numbers of channels"),
        ([np.ones((3, 2)), np.ones((2, 3, 4))], ValueError, "X[1] has shape (2, 3, 4)"),
    ],
)
def test_bad_input_is_named(X, err, match):
    with pytest.raises(err, match=re.escape(match)):
        to_panel(X)


def test_sparse_is_rejected():
    sp = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse"):
        to_panel(sp.csr_matrix(np.eye(3)))


def test_transposed_looking_input_warns():
    with pytest.warns(UserWarning, match=r"transpose\(0, 2, 1\)"):
        to_panel(np.ones((4, 6, 100)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_panel(np.ones((4, 100, 6)))


def test_channel_count_checked_after_fit(panel):
    est = _Est()
    check_panel(est, panel, reset=True)
    assert (est.n_channels_in_, est.n_timesteps_in_) == (3, 16)
    with pytest.raises(ValueError, match="X has 2 channels, but _Est is expecting 3 channels"):
        check_panel(est, panel[:, :, :2], reset=False)
    # a different length is fine: transformers extrapolate or pad
    assert check_panel(est, panel[:, :10], reset=False).n_timesteps == 10


def _frame(rng, columns, n=3, t=4):
    idx = pd.MultiIndex.from_product([range(n), range(t)], names=["instance", "time"])
    return pd.DataFrame(rng.normal(size=(n * t, len(columns))), index=idx, columns=columns)


@pytest.mark.parametrize(
    "columns, match",
    [
        (["b", "a"], "Feature names must be in the same order as they were in fit."),
        (["a", "c"], "Feature names unseen at fit time:\n- c\n"),
        (["a"], "Feature names seen at fit time, yet now missing:\n- b\n"),
    ],
)
def test_multiindex_columns_must_match_fit(rng, columns, match):
    # scikit-learn's own check and wording (sklearn.utils.validation._check_feature_names)
    est = _Est()
    check_panel(est, _frame(rng, ["a", "b"]), reset=True)
    assert est.feature_names_in_.dtype == object
    with pytest.raises(ValueError, match=re.escape(
            "The feature names should match those that were passed during fit.\n" + match)):
        check_panel(est, _frame(rng, columns), reset=False)
    check_panel(est, _frame(rng, ["a", "b"], t=7), reset=False)  # other lengths are fine


def test_frame_then_array_warns_and_vice_versa(rng, panel):
    est = _Est()
    check_panel(est, _frame(rng, ["a", "b", "c"]), reset=True)
    with pytest.warns(UserWarning, match="X does not have valid feature names, but _Est was "
                                         "fitted with feature names"):
        check_panel(est, panel, reset=False)
    check_panel(est, panel, reset=True)
    assert not hasattr(est, "feature_names_in_")  # refit without names forgets them
    with pytest.warns(UserWarning, match="X has feature names, but _Est was fitted without "
                                         "feature names"):
        check_panel(est, _frame(rng, ["a", "b", "c"]), reset=False)


def test_only_string_column_names_are_feature_names(rng):
    est = _Est()
    check_panel(est, _frame(rng, [0, 1]), reset=True)
    assert not hasattr(est, "feature_names_in_") and est.n_features_in_ == 2
    with pytest.raises(TypeError, match="Feature names are only supported if all input "
                                        "features have string names"):
        check_panel(est, _frame(rng, ["a", 1]), reset=True)


def test_wide_frame_names_label_time_steps(rng):
    # a plain DataFrame is one univariate series per row: its columns are time steps
    df = pd.DataFrame(rng.normal(size=(4, 6)), columns=[f"t{i}" for i in range(6)])
    est = _Est()
    p = check_panel(est, df, reset=True)
    assert p.values.shape == (4, 6, 1) and est.n_features_in_ == 1
    assert est.feature_names_in_.tolist() == list(df.columns)
    with pytest.raises(ValueError, match="same order"):
        check_panel(est, df[df.columns[::-1]], reset=False)  # time reversed: refused


def test_estimator_refuses_reordered_channels(rng):
    from skmts import DMAETransformer

    df = _frame(rng, ["ecg", "resp"], n=6, t=8)
    emb = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                          random_state=0).fit(df)
    assert emb.feature_names_in_.tolist() == ["ecg", "resp"]
    for method in (emb.transform, emb.impute, emb.score):
        with pytest.raises(ValueError, match="The feature names should match"):
            method(df[["resp", "ecg"]])


@pytest.mark.parametrize(
    "y, n, classifier, err, match",
    [
        (None, 3, True, ValueError, "requires y to be passed"),
        ([0, 1], 3, False, ValueError, "y has 2 entries, but X has 3 samples"),
        (np.array(["a", None, "b"], dtype=object), 3, True, ValueError,
         "y has 1 missing label(s) (NaN or None), e.g. at index [1]"),
        ([0.0, np.nan, 1.0], 3, True, ValueError, "y has 1 missing label(s)"),
        ([0.0, np.nan, 1.0], 3, False, ValueError, "Input y contains NaN"),
        ([0.5, 1.5, 2.5], 3, True, ValueError, "Invalid y: Unknown label type"),
        (["a", "b", "c"], 3, False, ValueError, "Invalid y: could not convert"),
        (5, 3, True, TypeError, "y must be array-like"),
    ],
)
def test_check_y_names_y(y, n, classifier, err, match):
    with pytest.raises(err, match=re.escape(match)):
        check_y(_Est(), y, n, classifier=classifier)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda df: df.replace(df.iloc[2, 1], np.inf), "Input X contains infinity"),
        (lambda df: df.iloc[:0], "Invalid X: Found array with 0 sample(s)"),
        (lambda df: df.iloc[:, :0], "Invalid X: Found array with 0 feature(s)"),
    ],
)
def test_bad_multiindex_frame_is_named(rng, edit, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        to_panel(edit(_frame(rng, ["a", "b"])))
