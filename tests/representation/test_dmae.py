import logging
import pickle
import re

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmts import DMAETransformer

TINY = dict(d_model=8, n_heads=2, n_layers=1, d_ff=16, n_conv_blocks=1, max_epochs=2,
            batch_size=8, random_state=0)
# features: (stem + 1 layer) x 8 per pooled statistic


@pytest.fixture(scope="module")
def fitted():
    # shared fitted estimator: tests must not refit it or call set_params on it
    X = np.random.default_rng(0).normal(size=(16, 12, 3))
    X[1, 2:5, 0] = np.nan
    return DMAETransformer(**TINY).fit(X), X


def test_transform_shape_dtype_and_pooling(panel):
    widths = [("mean", 16), ("max", 16), ("meanmax", 32), ("last", 16), ("segments", 80),
              ("meanmaxppv", 48), ("multiscale", 128),
              ("segmentsmax", 96)]
    for pooling, width in widths:
        Z = DMAETransformer(**TINY, pooling=pooling).fit_transform(panel)
        assert Z.shape == (12, width) and Z.dtype == np.float32 and np.isfinite(Z).all()


def test_fit_transform_equals_fit_then_transform(panel):
    a = DMAETransformer(**TINY).fit_transform(panel)
    b = DMAETransformer(**TINY).fit(panel).transform(panel)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_random_state_repeatable_and_global_rng_untouched(panel):
    torch.manual_seed(123)
    np.random.seed(123)
    t_state, n_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    a = DMAETransformer(**TINY).fit(panel).transform(panel)
    assert torch.equal(torch.get_rng_state(), t_state)
    assert np.array_equal(np.random.get_state()[1], n_state)
    b = DMAETransformer(**TINY).fit(panel).transform(panel)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    c = DMAETransformer(**{**TINY, "random_state": 1}).fit(panel).transform(panel)
    assert not np.allclose(a, c)


def test_input_not_modified(panel):
    before = panel.copy()
    est = DMAETransformer(**TINY).fit(panel)
    est.transform(panel)
    est.impute(panel)
    np.testing.assert_array_equal(panel, before)


def test_ragged_series_features_do_not_depend_on_padding(ragged):
    est = DMAETransformer(**TINY).fit(ragged)
    together = est.transform(ragged)
    alone = np.vstack([est.transform([s]) for s in ragged])
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-5)


def test_longer_series_than_fit_are_encoded(fitted):
    est, X = fitted
    longer = np.random.default_rng(1).normal(size=(3, 40, 3))
    assert est.transform(longer).shape == (3, 32)


def test_training_reduces_the_loss():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 6 * np.pi, 32)
    X = np.stack([np.sin(t + p)[:, None] * [1, 2] for p in rng.uniform(0, 6, 48)])
    # reconstruction only: the alignment target moves with the teacher
    est = DMAETransformer(**{**TINY, "max_epochs": 40, "alignment_weight": 0}).fit(X)
    losses = est.history_[:, "train_loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_contrastive_term_trains_on_ragged_partially_observed_series(ragged):
    ragged = [s.copy() for s in ragged]
    ragged[2][3:6, 1] = np.nan
    params = {**TINY, "contrastive_weight": 1.0, "max_epochs": 3}
    est = DMAETransformer(**params).fit(ragged)
    assert np.isfinite(est.history_[:, "train_loss"]).all()
    a = est.transform(ragged)
    np.testing.assert_allclose(a, DMAETransformer(**params).fit(ragged).transform(ragged),
                               rtol=1e-5, atol=1e-6)
    without = DMAETransformer(**{**params, "contrastive_weight": 0.0}).fit(ragged)
    assert not np.allclose(a, without.transform(ragged))  # the term changes the training


def test_history_and_early_stopping(panel):
    est = DMAETransformer(**{**TINY, "max_epochs": 30, "patience": 1, "lr": 1e-6,
                             "validation_fraction": 0.2}).fit(panel)
    assert 2 <= len(est.history_) < 30  # a tiny lr stalls: early stopping ends the run
    assert "valid_loss" in est.history_[-1]


def test_impute_fills_missing_and_keeps_observed(fitted):
    est, X = fitted
    out = est.impute(X)
    assert out.shape == X.shape and not np.isnan(out).any()
    obs = ~np.isnan(X)
    np.testing.assert_allclose(out[obs], X[obs].astype(np.float32), rtol=1e-6)
    lst = est.impute([X[0], X[1, :7]])
    assert [s.shape for s in lst] == [(12, 3), (7, 3)]


def test_score_is_deterministic_and_better_after_training():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 4 * np.pi, 24)
    X = np.stack([np.stack([np.sin(t + p), np.cos(t + p)], 1) for p in rng.uniform(0, 6, 40)])
    short = DMAETransformer(**{**TINY, "max_epochs": 1}).fit(X)
    long = DMAETransformer(**{**TINY, "max_epochs": 25, "patience": None}).fit(X)
    assert short.score(X) == short.score(X)
    assert long.score(X) > short.score(X)


def test_grid_search_on_score_without_labels(panel):
    gs = GridSearchCV(DMAETransformer(**TINY), {"mask_ratio": [0.15, 0.3]}, cv=2).fit(panel)
    assert gs.best_params_["mask_ratio"] in (0.15, 0.3)


def test_pipeline_with_classifier(panel):
    y = np.array([0, 1] * 6)
    pipe = Pipeline([("emb", DMAETransformer(**TINY)), ("clf", LogisticRegression())]).fit(panel, y)
    assert pipe.predict(panel).shape == (12,)


def test_pandas_output_and_feature_names(panel):
    est = DMAETransformer(**TINY).set_output(transform="pandas").fit(panel)
    out = est.transform(panel)
    assert isinstance(out, pd.DataFrame) and out.shape == (12, 32)
    assert out.columns[0] == "dmaetransformer0"
    idx = pd.MultiIndex.from_tuples([(f"s{i}", t) for i in range(4) for t in range(6)])
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(24, 3)), index=idx, columns=list("abc"))
    out = est.fit(df).transform(df)
    assert out.index.tolist() == ["s0", "s1", "s2", "s3"]


def test_pickle_round_trip(fitted, tmp_path):
    est, X = fitted
    path = tmp_path / "est.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(X), est.transform(X))
    assert next(loaded.module_.parameters()).device.type == "cpu"


def test_clone_keeps_params_only(fitted):
    est, _ = fitted
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "net_")


def test_not_fitted():
    with pytest.raises(NotFittedError):
        DMAETransformer().transform(np.ones((2, 4, 1)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"d_model": 30, "n_heads": 4}, "d_model=30 must be divisible by n_heads=4"),
        ({"mask_ratio": 1.0}, "The 'mask_ratio' parameter of DMAETransformer must be"),
        ({"pooling": "sum"}, "The 'pooling' parameter of DMAETransformer must be"),
        ({"teacher": "momentum"}, "The 'teacher' parameter of DMAETransformer must be"),
    ],
)
def test_invalid_params_name_the_argument(params, match, panel):
    with pytest.raises(ValueError, match=re.escape(match)):
        DMAETransformer(**{**TINY, **params}).fit(panel)


def test_cuda_request_without_cuda_is_a_clear_error(panel):
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ValueError, match="CUDA is not available"):
        DMAETransformer(**TINY, device="cuda").fit(panel)


def test_gpu_trained_weights_load_on_cpu(fitted, tmp_path, monkeypatch):
    # skorch stores the device with the net; a net pickled on CUDA is loaded with
    # map_location=cpu when CUDA is absent. Simulate by marking the pickle as CUDA.
    est, X = fitted
    est2 = pickle.loads(pickle.dumps(est))
    est2.net_.device = "cuda"
    blob = pickle.dumps(est2)
    with pytest.warns(UserWarning, match="no CUDA devices are available"):
        loaded = pickle.loads(blob)
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))


def test_verbose_zero_is_silent(panel, capfd):
    DMAETransformer(**TINY).fit(panel).transform(panel)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_shows_epochs_on_stderr_without_logging_config(panel, capfd, monkeypatch):
    # as in a plain script: no handler anywhere (pytest's own handlers removed here)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(logging.getLogger("skmts"), "handlers", [])
    DMAETransformer(**TINY, verbose=1).fit(panel)
    assert "train_loss" in capfd.readouterr().err
    assert logging.getLogger("skmts").handlers == []  # the temporary handler is gone


def test_verbose_logs_epochs_to_the_skmts_logger(panel, caplog):
    with caplog.at_level("INFO", logger="skmts"):
        DMAETransformer(**TINY, verbose=1).fit(panel)
    assert any("train_loss" in r.getMessage() for r in caplog.records)


def test_auto_sizes_follow_the_data():
    # patch_len ~ 32 tokens, batch n // 8 in [8, 64], about 200 optimiser steps
    X = np.random.default_rng(0).normal(size=(40, 100, 2))
    est = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, n_conv_blocks=1,
                          random_state=0).fit(X)
    assert (est.patch_len_, est.batch_size_, est.max_epochs_) == (4, 8, 40)
    assert len(est.history_) == 40
    short = DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1).fit(X[:, :20])
    assert short.patch_len_ == 1


def test_untrained_twin_has_data_batchnorm_statistics(panel):
    # max_epochs=0: random weights, no optimiser step, BatchNorm statistics from the data
    est = DMAETransformer(**{**TINY, "max_epochs": 0}).fit(panel)
    bn = est.module_.encoder.layers[0].norm1.norm
    assert not hasattr(est.net_, "history_") or len(est.history_) == 0
    assert int(bn.num_batches_tracked) >= 1 and not torch.allclose(bn.running_var, torch.ones(8))
    trained = DMAETransformer(**TINY).fit(panel)
    twin_weights = est.module_.encoder.project.weight
    assert not torch.allclose(twin_weights, trained.module_.encoder.project.weight)


def test_paper_point_tokens_remain_reachable(panel):
    est = DMAETransformer(**{**TINY, "patch_len": 1, "n_conv_blocks": 0, "mask_ratio": 0.15,
                             "mean_span": 3, "mask_per_channel": True}).fit(panel)
    assert est.patch_len_ == 1 and est.transform(panel).shape == (12, 16)


def test_features_do_not_depend_on_sample_order(fitted):
    est, X = fitted
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(est.transform(X[order]), est.transform(X)[order],
                               rtol=1e-5, atol=1e-6)
