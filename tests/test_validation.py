import re
import warnings

import numpy as np
import pandas as pd
import pytest

from skmts._validation import check_panel, to_panel


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
