"""Tests for the skorch-trained heads (skmts.heads)."""

import re

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmts.heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)
from skmts._utils import seed_from
from skmts.training._recipe import split_indices as _split_indices
from skmts.nn._heads import EncoderWithHead, LinearHead, MLPHead


@pytest.fixture
def blobs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = np.array(["cat", "dog", "emu"])[np.argmax(X[:, :3] @ rng.normal(size=(3, 3)), axis=1)]
    return X, y


# ---- torch modules -----------------------------------------------------------------
def test_mlp_head_has_n_layers_linear_layers_with_relu():
    head = MLPHead(7, 3, hidden_size=5)
    linears = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
    relus = [m for m in head.modules() if isinstance(m, torch.nn.ReLU)]
    assert len(linears) == 5 and len(relus) == 4
    assert linears[0].in_features == 7 and linears[-1].out_features == 3
    assert head(torch.zeros(2, 7)).shape == (2, 3)
    one = MLPHead(7, 3, n_layers=1)
    assert len([m for m in one.modules() if isinstance(m, torch.nn.Linear)]) == 1


def test_encoder_with_head_passes_named_inputs():
    class Enc(torch.nn.Module):
        def forward(self, a, b):
            return a + b

    model = EncoderWithHead(Enc(), LinearHead(3, 2))
    assert model(a=torch.ones(4, 3), b=torch.ones(4, 3)).shape == (4, 2)


# ---- estimator behaviour -----------------------------------------------------------
@pytest.mark.parametrize("Est", [LinearHeadClassifier, MLPHeadClassifier])
def test_classifier_string_labels_and_proba(Est, blobs):
    X, y = blobs
    clf = make_pipeline(StandardScaler(), Est(lr=3e-2, max_epochs=60, random_state=0)).fit(X, y)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("Est", [LinearHeadRegressor, MLPHeadRegressor])
def test_regressor_targets_1d_and_2d(Est):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = 100 + 20 * X[:, 0] - 10 * X[:, 1]  # far from standardised: the head scales y
    reg = Est(lr=3e-2, max_epochs=80, random_state=0).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (80,) and pred.dtype == np.float64
    assert reg.score(X, y) > 0.8
    Y = np.c_[y, -y]
    assert Est(max_epochs=2, random_state=0).fit(X, Y).predict(X).shape == (80, 2)


def test_float32_and_float64_inputs_give_same_model(blobs):
    X, y = blobs
    a = LinearHeadClassifier(max_epochs=5, random_state=0).fit(X.astype(np.float32), y)
    b = LinearHeadClassifier(max_epochs=5, random_state=0).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)


def test_random_state_repeatable_and_global_rng_untouched(blobs):
    X, y = blobs
    torch.manual_seed(123)
    np.random.seed(7)
    before_t, before_np = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    p1 = MLPHeadClassifier(hidden_size=8, max_epochs=4, random_state=3).fit(X, y).predict_proba(X)
    p2 = MLPHeadClassifier(hidden_size=8, max_epochs=4, random_state=3).fit(X, y).predict_proba(X)
    p3 = MLPHeadClassifier(hidden_size=8, max_epochs=4, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(p1, p2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(p1, p3)
    assert torch.equal(torch.random.get_rng_state(), before_t)
    np.testing.assert_array_equal(np.random.get_state()[1], before_np)


def test_early_stopping_stops_and_restores(blobs):
    X, y = blobs
    clf = LinearHeadClassifier(lr=0.5, max_epochs=200, patience=3, random_state=0).fit(X, y)
    assert clf.n_epochs_ < 200
    # the weights of the best epoch are restored: the validation loss recomputed now
    # equals the best one in the history, not the last one
    _, valid = _split_indices(len(y), 0.1, seed_from(0), stratify=clf.classes_.searchsorted(y))
    proba = clf.predict_proba(X[valid])
    loss = -np.mean(np.log(proba[np.arange(len(valid)), clf.classes_.searchsorted(y[valid])]))
    history = clf.net_.history[:, "valid_loss"]
    assert loss == pytest.approx(min(history), rel=1e-4)
    assert min(history) < history[-1]
    no_split = LinearHeadClassifier(max_epochs=3, validation_fraction=0.0, random_state=0).fit(X, y)
    assert "valid_loss" not in no_split.net_.history[-1]
    no_stop = LinearHeadClassifier(max_epochs=7, patience=None, random_state=0).fit(X, y)
    assert no_stop.n_epochs_ == 7


def test_get_params_is_clean():
    params = MLPHeadClassifier().get_params()
    assert set(params) == {
        "hidden_size", "n_layers", "dropout", "standardize", "lr", "max_epochs", "batch_size",
        "weight_decay", "validation_fraction", "patience", "callbacks", "device",
        "random_state", "verbose",
    }
    assert "module" not in LinearHeadRegressor().get_params()


def test_build_module_gives_the_bare_head():
    m = MLPHeadRegressor(hidden_size=6, n_layers=3).build_module(4, 2)
    assert isinstance(m, MLPHead) and m(torch.zeros(5, 4)).shape == (5, 2)
    assert isinstance(LinearHeadClassifier().build_module(4, 3), LinearHead)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"lr": 0}, "'lr' parameter of LinearHeadClassifier must be"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"patience": 0}, "'patience' parameter"),
        ({"standardize": "yes"}, "'standardize' parameter of LinearHeadClassifier must be"),
        ({"standardize": 1}, "'standardize' parameter"),
    ],
)
def test_invalid_params_name_the_argument(params, match, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=re.escape(match)):
        LinearHeadClassifier(**params).fit(X, y)


def test_one_class_is_a_clear_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        LinearHeadClassifier(max_epochs=1).fit(X, np.zeros(len(X)))


def test_cuda_without_cuda_is_a_clear_error(blobs):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X, y = blobs
    with pytest.raises(ValueError, match="device='cuda'"):
        LinearHeadClassifier(device="cuda", max_epochs=1).fit(X, y)


def test_verbose_logs_epochs(blobs, caplog):
    X, y = blobs
    with caplog.at_level("INFO", logger="skmts"):
        LinearHeadClassifier(max_epochs=2, verbose=1, random_state=0).fit(X, y)
    assert "train_loss" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="skmts"):
        LinearHeadClassifier(max_epochs=2, random_state=0).fit(X, y)
    assert caplog.text == ""


def test_pickle_roundtrip(blobs):
    import pickle

    X, y = blobs
    clf = MLPHeadClassifier(hidden_size=8, max_epochs=3, random_state=0).fit(X, y)
    clf2 = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(clf.predict_proba(X), clf2.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert clone(clf).get_params() == clf.get_params()


def test_no_validation_split_that_could_drop_a_class():
    # one labelled series per class: a split would hold out a class's only example
    y = np.array([0, 1, 2, 3])
    train, valid = _split_indices(4, 0.1, 0, stratify=y)
    assert valid is None and train.tolist() == [0, 1, 2, 3]
    X = np.random.default_rng(0).normal(size=(4, 3)) + y[:, None] * 3
    clf = LinearHeadClassifier(lr=0.5, max_epochs=200, patience=None, random_state=0).fit(X, y)
    assert set(clf.predict(X)) == {0, 1, 2, 3}
    train, valid = _split_indices(40, 0.1, 0, stratify=np.repeat([0, 1], 20))
    assert valid is not None and len(valid) == 4  # a stratified split where one is possible
