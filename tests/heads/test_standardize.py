"""The heads standardise their input: the ``Standardize`` layer and ``standardize``."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from skmts.heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)
from skmts.nn._heads import LinearHead, MLPHead, Standardize

ALL_HEADS = [LinearHeadClassifier, MLPHeadClassifier, LinearHeadRegressor, MLPHeadRegressor]


def _data(offset=0.0, spread=1.0, n=60):
    """Features with a class / target signal; ``offset`` and ``spread`` change the units."""
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(n, 4))
    labels = np.where(Z[:, 0] + 0.5 * Z[:, 1] > 0, "pos", "neg")
    target = 2 * Z[:, 0] - Z[:, 2]
    scales = spread * np.array([1.0, 3.0, 0.5, 10.0])
    return Z * scales + offset, labels, target


def _target(Est, labels, target):
    return labels if Est._kind == "classifier" else target


def _small(Est, **kw):
    extra = {"hidden_size": 8, "n_layers": 3} if Est in (MLPHeadClassifier, MLPHeadRegressor) else {}
    return Est(max_epochs=8, batch_size=16, random_state=0, **extra, **kw)


# ---- the torch layer ----------------------------------------------------------------
def test_standardize_layer_computes_x_minus_mean_over_scale():
    layer = Standardize([1.0, -2.0], [2.0, 0.5])
    x = torch.tensor([[3.0, -1.0], [1.0, -2.0]])
    torch.testing.assert_close(layer(x), torch.tensor([[1.0, 2.0], [0.0, 0.0]]))
    assert not layer.trainable and list(layer.parameters()) == []
    assert set(layer.state_dict()) == {"mean", "scale"}  # buffers travel with the weights
    assert copy.deepcopy(layer).to(torch.float64).scale.dtype == torch.float64  # .to(dtype) too
    trainable = Standardize([1.0, -2.0], [2.0, 0.5], trainable=True)
    assert trainable.trainable
    assert [n for n, p in trainable.named_parameters() if p.requires_grad] == ["weight", "bias"]
    torch.testing.assert_close(trainable(x), layer(x))  # starts as the fixed layer
    with torch.no_grad():
        trainable.weight.fill_(2.0)
        trainable.bias.fill_(1.0)
    torch.testing.assert_close(trainable(x), layer(x) * 2 + 1)
    assert set(trainable.state_dict()) == {"mean", "scale", "weight", "bias"}
    with pytest.raises(ValueError, match="positive"):
        Standardize([0.0], [0.0])
    with pytest.raises(ValueError, match="same length"):
        Standardize([0.0, 1.0], [1.0])


def test_heads_take_the_layer_first():
    layer = Standardize(np.full(3, 5.0), np.full(3, 2.0))
    for head in (LinearHead(3, 2, standardize=layer), MLPHead(3, 2, 4, 2, standardize=layer)):
        assert head.standardize is layer
        x = torch.randn(4, 3)
        bare = copy.deepcopy(head)
        bare.standardize = None
        torch.testing.assert_close(head(x), bare((x - 5.0) / 2.0))


# ---- the estimators -----------------------------------------------------------------
@pytest.mark.parametrize("Est", ALL_HEADS)
def test_fixed_layer_holds_the_training_features_mean_and_std(Est):
    X, labels, target = _data(offset=100.0, spread=7.0)
    X[:, 2] = 3.0  # a constant feature keeps scale 1, as in StandardScaler
    head = _small(Est).fit(X, _target(Est, labels, target))
    layer = head.net_.module_.standardize
    assert isinstance(layer, Standardize) and not layer.trainable
    expected_scale = X.std(axis=0)
    expected_scale[2] = 1.0
    np.testing.assert_allclose(layer.mean.numpy(), X.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.scale.numpy(), expected_scale, rtol=1e-6)
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(layer.scale.numpy(), scaler.scale_, rtol=1e-6)
    # fixed: not a parameter, so no optimizer saw it
    names = {n for n, _ in head.net_.module_.named_parameters()}
    assert not any(n.startswith("standardize") for n in names)


def test_trainable_layer_starts_from_the_statistics_and_is_trained():
    X, labels, _ = _data(offset=10.0, spread=2.0)
    head = LinearHeadClassifier(standardize="trainable", lr=5e-2, max_epochs=10,
                                patience=None, random_state=0).fit(X, labels)
    layer = head.net_.module_.standardize
    assert layer.trainable
    # the statistics it started from stay as buffers ...
    np.testing.assert_allclose(layer.mean.numpy(), X.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.scale.numpy(), X.std(axis=0), rtol=1e-6)
    # ... and the effective mean and scale were trained away from them
    for p in (layer.weight, layer.bias):
        assert isinstance(p, torch.nn.Parameter) and p.requires_grad
    assert not np.allclose(layer.weight.detach().numpy(), 1.0, atol=1e-4)
    assert not np.allclose(layer.bias.detach().numpy(), 0.0, atol=1e-4)
    # without weight decay
    (group,) = [g for g in head.net_.optimizer_.param_groups
                if any(p is layer.weight for p in g["params"])]
    assert group["weight_decay"] == 0.0 and any(p is layer.bias for p in group["params"])
    fixed = LinearHeadClassifier(max_epochs=10, patience=None, random_state=0).fit(X, labels)
    assert not fixed.net_.module_.standardize.trainable
    assert list(fixed.net_.module_.standardize.parameters()) == []


@pytest.mark.parametrize("unit", [1e-3, 1e3])
def test_trainable_layer_does_not_depend_on_the_features_units(unit):
    """The trainable map lives in standardised units: the same data in other units
    trains the same model (a trainable raw mean and scale would not: Adam's steps of
    about lr would be huge for a scale of 1e-3 and nothing for one of 1e3)."""
    X, labels, _ = _data()
    kw = dict(standardize="trainable", lr=5e-2, max_epochs=10, patience=None, random_state=0)
    a = LinearHeadClassifier(**kw).fit(X, labels)
    b = LinearHeadClassifier(**kw).fit(X * unit, labels)
    np.testing.assert_allclose(b.predict_proba(X * unit), a.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("Est", ALL_HEADS)
def test_standardize_false_has_no_layer(Est):
    X, labels, target = _data()
    module = _small(Est, standardize=False).fit(X, _target(Est, labels, target)).net_.module_
    assert module.standardize is None
    assert not any(isinstance(m, Standardize) for m in module.modules())


@pytest.mark.parametrize("Est", ALL_HEADS)
def test_standardized_head_equals_the_head_on_standard_scaled_features(Est):
    """With the same random_state, the weights start equal (the layer draws no random
    number) and the linear layer sees the same standardised features (to float32
    rounding): training and predictions match a bare head on StandardScaler output."""
    X, labels, target = _data(offset=300.0, spread=20.0)
    y = _target(Est, labels, target)
    inside = _small(Est, patience=None).fit(X, y)
    Xs = StandardScaler().fit_transform(X)
    outside = _small(Est, standardize=False, patience=None).fit(Xs, y)
    predict = "predict_proba" if Est._kind == "classifier" else "predict"
    np.testing.assert_allclose(getattr(inside, predict)(X), getattr(outside, predict)(Xs),
                               rtol=1e-4, atol=1e-5)
    # and the layer is what made the difference: raw features train another model
    raw = _small(Est, standardize=False, patience=None).fit(X, y)
    assert not np.allclose(getattr(raw, predict)(X), getattr(inside, predict)(X), atol=1e-3)


@pytest.mark.parametrize("standardize", [True, "trainable"])
def test_fitted_layer_survives_pickle_deepcopy_and_float64(standardize):
    X, labels, _ = _data(offset=50.0, spread=5.0)
    clf = MLPHeadClassifier(hidden_size=8, standardize=standardize, max_epochs=3,
                            random_state=0).fit(X, labels)
    proba = clf.predict_proba(X)
    for other in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        np.testing.assert_allclose(other.predict_proba(X), proba, rtol=1e-7, atol=1e-12)
        np.testing.assert_array_equal(other.net_.module_.standardize.mean.detach().numpy(),
                                      clf.net_.module_.standardize.mean.detach().numpy())
    # float64 prediction casts the layer's statistics too (no dtype clash)
    as64 = copy.deepcopy(clf.net_.module_).to(torch.float64)
    assert as64.standardize.mean.dtype == torch.float64
    assert as64.standardize.scale.dtype == torch.float64
    assert proba.dtype == np.float64


def test_make_module_is_the_one_code_path():
    X = np.random.RandomState(0).normal(size=(10, 4)) * 3 + 1
    module = MLPHeadRegressor(hidden_size=6, n_layers=2).make_module(4, 2, X)
    assert isinstance(module, MLPHead) and isinstance(module.standardize, Standardize)
    np.testing.assert_allclose(module.standardize.mean.numpy(), X.mean(0), rtol=1e-6)
    assert LinearHeadClassifier(standardize=False).make_module(4, 3).standardize is None
    with pytest.raises(ValueError, match="statistics"):
        LinearHeadClassifier().make_module(4, 3)
