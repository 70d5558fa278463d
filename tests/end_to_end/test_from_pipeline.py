"""The end-to-end twin of a modular pipeline: ``from_pipeline``, fitted heads as the
starting point of joint training, the shared standardisation, and ``max_epochs``."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skmts import DMAETransformer
from skmts.end_to_end import EndToEndClassifier, EndToEndRegressor
from skmts.heads import (
    LinearHeadClassifier,
    LinearHeadRegressor,
    MLPHeadClassifier,
    MLPHeadRegressor,
)
from skmts.nn._heads import Standardize


# On CUDA, DMAE's transform runs under bfloat16 autocast while the joint net computes
# in float32: the pair is exact to float32 only on the CPU, where these tests run.
CPU = "cpu"


def _dmae():
    return DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                           random_state=0, device=CPU)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 12, 3))
    y_idx = np.arange(30) % 2
    X[y_idx == 1, :, 0] += 1.5
    X[0, 2, 1] = np.nan
    return X, np.array(["no", "yes"])[y_idx], 5 + 3 * np.nanmean(X[:, :, 0], axis=1)


CLF_HEADS = [
    LinearHeadClassifier(lr=5e-2, max_epochs=6, batch_size=16, random_state=0, device=CPU),
    MLPHeadClassifier(hidden_size=8, n_layers=3, lr=2e-2, max_epochs=6, batch_size=16,
                      random_state=0, device=CPU),
]


@pytest.fixture(scope="module")
def fitted_clf_pipes(data):
    X, y, _ = data
    return [Pipeline([("emb", _dmae()), ("clf", clone(h))]).fit(X, y) for h in CLF_HEADS]


# ---- the pair is exact ------------------------------------------------------------------
@pytest.mark.parametrize("which", [0, 1], ids=["linear", "mlp"])
def test_from_fitted_pipeline_with_no_epoch_predicts_what_the_pipeline_predicts(
        which, data, fitted_clf_pipes):
    X, y, _ = data
    pipe = fitted_clf_pipes[which]
    head_state = {k: v.clone() for k, v in pipe[-1].net_.module_.state_dict().items()}
    twin = EndToEndClassifier.from_pipeline(pipe, device=CPU, max_epochs=0).fit(X, y)
    assert twin.n_epochs_ == 0 and len(twin.net_.history) == 0
    np.testing.assert_allclose(twin.predict_proba(X), pipe.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(twin.predict(X), pipe.predict(X))
    frozen = EndToEndClassifier.from_pipeline(pipe, device=CPU, freeze=True, max_epochs=0).fit(X, y)
    np.testing.assert_allclose(frozen.predict_proba(X), pipe.predict_proba(X), atol=1e-12)
    # fine-tuning starts there and moves away
    tuned = EndToEndClassifier.from_pipeline(pipe, device=CPU, max_epochs=2, random_state=0).fit(X, y)
    assert tuned.n_epochs_ == 2
    assert not np.allclose(tuned.predict_proba(X), pipe.predict_proba(X), atol=1e-4)
    assert isinstance(tuned.net_.module_.head.standardize, Standardize)
    # on copies: the pipeline's head is untouched
    for k, v in pipe[-1].net_.module_.state_dict().items():
        assert torch.equal(v, head_state[k])


@pytest.mark.parametrize("Head", [LinearHeadRegressor, MLPHeadRegressor])
def test_regressor_pair_is_exact(Head, data):
    X, _, target = data
    extra = {"hidden_size": 8, "n_layers": 2} if Head is MLPHeadRegressor else {}
    head = Head(lr=2e-2, max_epochs=6, batch_size=16, random_state=0, device=CPU, **extra)
    pipe = Pipeline([("emb", _dmae()), ("reg", head)]).fit(X, target)
    twin = EndToEndRegressor.from_pipeline(pipe, device=CPU, max_epochs=0).fit(X, target)
    np.testing.assert_allclose(twin.predict(X), pipe.predict(X), atol=1e-5 * np.abs(target).max())
    # the twin keeps the fitted head's target scaling, so new targets do not shift it
    shifted = EndToEndRegressor.from_pipeline(pipe, device=CPU, max_epochs=0).fit(X, target + 100)
    np.testing.assert_allclose(shifted.predict(X), pipe.predict(X), atol=1e-5 * np.abs(target).max())
    tuned = EndToEndRegressor.from_pipeline(pipe, device=CPU, max_epochs=2, random_state=0).fit(X, target)
    assert not np.allclose(tuned.predict(X), pipe.predict(X), atol=1e-4)


def test_unfitted_head_gets_the_pipelines_statistics(data):
    """Built from scratch, the end-to-end head standardises with the statistics of the
    backbone's frozen features, as the pipeline's head does: with the same head weights
    the joint module at initialisation is the pipeline's function."""
    X, y, _ = data
    backbone = _dmae().fit(X)
    head = LinearHeadClassifier(max_epochs=3, random_state=0, device=CPU)
    pipe = Pipeline([("emb", FrozenEstimator(backbone)), ("clf", clone(head))]).fit(X, y)
    e2e = EndToEndClassifier(backbone, device=CPU, head=head, max_epochs=0, random_state=0).fit(X, y)
    ours, theirs = e2e.net_.module_.head.standardize, pipe[-1].net_.module_.standardize
    np.testing.assert_allclose(ours.mean.numpy(), theirs.mean.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.scale.numpy(), theirs.scale.numpy(), rtol=1e-6)
    e2e.net_.module_.head.linear.load_state_dict(pipe[-1].net_.module_.linear.state_dict())
    np.testing.assert_allclose(e2e.predict_proba(X), pipe.predict_proba(X), atol=1e-5)
    bare = EndToEndClassifier(backbone, device=CPU, head=clone(head).set_params(standardize=False),
                              max_epochs=0).fit(X, y)
    assert bare.net_.module_.head.standardize is None


def test_trainable_standardisation_is_fine_tuned_without_weight_decay(data):
    X, y, _ = data
    head = LinearHeadClassifier(standardize="trainable", max_epochs=2, random_state=0)
    e2e = EndToEndClassifier(_dmae(), head=head, random_state=0).fit(X, y)
    layer = e2e.net_.module_.head.standardize
    assert layer.trainable
    (group,) = [g for g in e2e.net_.optimizer_.param_groups
                if any(p is layer.weight for p in g["params"])]
    assert group["weight_decay"] == 0.0 and group["lr"] == head.lr


# ---- what from_pipeline returns ---------------------------------------------------------
def test_clone_keeps_the_fitted_backbone_and_head(data, fitted_clf_pipes):
    X, y, _ = data
    pipe = fitted_clf_pipes[0]
    est = EndToEndClassifier.from_pipeline(pipe, device=CPU, max_epochs=0, random_state=3)
    assert est.get_params()["random_state"] == 3 and est.max_epochs == 0
    for param, step in ((est.backbone, pipe[0]), (est.head, pipe[-1])):
        assert isinstance(param, FrozenEstimator) and param.estimator is step
    again = clone(est)
    check_is_fitted(again.backbone.estimator)
    check_is_fitted(again.head.estimator)
    np.testing.assert_allclose(again.fit(X, y).predict_proba(X), pipe.predict_proba(X), atol=1e-5)


def test_an_unfitted_pipeline_gives_its_unfitted_steps(data):
    X, y, _ = data
    backbone, head = _dmae(), LinearHeadClassifier(max_epochs=2, random_state=0)
    est = EndToEndClassifier.from_pipeline(Pipeline([("emb", backbone), ("clf", head)]))
    assert est.backbone is backbone and est.head is head
    assert est.fit(X, y).predict(X).shape == (30,)
    # a FrozenEstimator around a fitted head is accepted directly, an unfitted one is not
    with pytest.raises(NotFittedError):
        EndToEndClassifier(backbone, device=CPU, head=FrozenEstimator(clone(head))).fit(X, y)


def test_a_fitted_head_uses_its_recipe_and_classes(data, fitted_clf_pipes):
    X, y, _ = data
    pipe = fitted_clf_pipes[0]
    e2e = EndToEndClassifier.from_pipeline(pipe, device=CPU, max_epochs=1).fit(X, y)
    lrs = sorted(g["lr"] for g in e2e.net_.optimizer_.param_groups)
    assert lrs == pytest.approx([pipe[-1].lr / 10, pipe[-1].lr])
    assert e2e.classes_.tolist() == pipe.classes_.tolist()
    with pytest.raises(ValueError, match="labels the fitted head was not trained on"):
        EndToEndClassifier.from_pipeline(pipe, device=CPU, max_epochs=0).fit(X, np.where(y == "no", "maybe", y))
    wider = DMAETransformer(d_model=12, n_heads=2, n_layers=1, d_ff=16, max_epochs=1)
    with pytest.raises(ValueError, match="trained on 32 features"):
        EndToEndClassifier(wider, head=FrozenEstimator(pipe[-1])).fit(X, y)


# ---- bad pipelines ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda b, h: [("emb", b), ("clf", h)], TypeError, "Pipeline of exactly two steps.*got list"),
        (lambda b, h: b, TypeError, "got DMAETransformer"),
        (lambda b, h: Pipeline([("emb", b), ("scale", StandardScaler()), ("clf", h)]),
         ValueError, r"got 3 step\(s\).*'scale': StandardScaler.*standardise their input themselves"),
        (lambda b, h: Pipeline([("emb", b)]), ValueError, r"got 1 step\(s\): \['emb': DMAETransformer\]"),
        (lambda b, h: Pipeline([("emb", b), ("clf", LogisticRegression())]), TypeError,
         "last step 'clf': LogisticRegression is not an skmts classifier head"),
        (lambda b, h: Pipeline([("emb", b), ("reg", LinearHeadRegressor())]), TypeError,
         "skmts regressor head: use EndToEndRegressor.from_pipeline"),
        (lambda b, h: Pipeline([("scale", StandardScaler()), ("clf", h)]), TypeError,
         "first step 'scale': StandardScaler is not an skmts backbone.*standardise"),
        (lambda b, h: Pipeline([("pca", PCA()), ("clf", h)]), TypeError,
         "first step 'pca': PCA is not an skmts backbone"),
    ],
    ids=["list", "not-a-pipeline", "scaler-between", "one-step", "sklearn-head",
         "regressor-head", "scaler-first", "pca-first"],
)
def test_bad_pipelines_say_what_was_expected(make, error, match):
    with pytest.raises(error, match=match):
        EndToEndClassifier.from_pipeline(make(_dmae(), LinearHeadClassifier()))


def test_regressor_refuses_a_classifier_head_and_params_name_conflicts():
    pipe = Pipeline([("emb", _dmae()), ("clf", LinearHeadClassifier())])
    with pytest.raises(TypeError, match="skmts classifier head: use EndToEndClassifier"):
        EndToEndRegressor.from_pipeline(pipe)
    with pytest.raises(TypeError, match="takes head from the pipeline"):
        EndToEndClassifier.from_pipeline(pipe, device=CPU, head="mlp")
    with pytest.raises(TypeError, match="unexpected keyword"):
        EndToEndClassifier.from_pipeline(pipe, device=CPU, epochs=3)


# ---- max_epochs -------------------------------------------------------------------------
def test_max_epochs_overrides_the_heads(data):
    X, y, _ = data
    head = LinearHeadClassifier(max_epochs=4, patience=None, batch_size=16, random_state=0)
    backbone = _dmae().fit(X)
    assert EndToEndClassifier(backbone, device=CPU, head=head).fit(X, y).n_epochs_ == 4
    assert EndToEndClassifier(backbone, device=CPU, head=head, max_epochs=2).fit(X, y).n_epochs_ == 2
    frozen = EndToEndClassifier(backbone, device=CPU, head=head, freeze=True, max_epochs=3).fit(X, y)
    assert frozen.n_epochs_ == 3 == frozen.head_.n_epochs_
    untrained = EndToEndClassifier(backbone, device=CPU, head=head, max_epochs=0).fit(X, y)
    assert untrained.n_epochs_ == 0 and untrained.predict_proba(X).shape == (30, 2)
    with pytest.raises(ValueError, match="'max_epochs' parameter of EndToEndClassifier"):
        EndToEndClassifier(backbone, device=CPU, head=head, max_epochs=-1).fit(X, y)
