"""Tests for the end-to-end estimators (skmts.end_to_end) and Pipeline caching."""

import copy
import importlib.util
import pickle
from numbers import Integral

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from torch import nn

from skmts._compat import Interval
from skmts._utils import NanStandardScaler, seed_from, torch_seed_scope
from skmts.end_to_end import EndToEndClassifier, EndToEndRegressor
from skmts.heads import LinearHeadClassifier, LinearHeadRegressor, MLPHeadClassifier
from skmts.nn._heads import EncoderWithHead
from skmts.nn._pooling import masked_pool
from skmts.representation._base import BaseSeriesTransformer


# ---- a tiny backbone implementing the representation protocol ---------------------------
class _TinyEncoder(nn.Module):
    def __init__(self, n_channels, d):
        super().__init__()
        self.proj = nn.Linear(n_channels, d)

    def forward(self, x, valid):
        return masked_pool(torch.tanh(self.proj(x)), valid, "mean")  # (B, T, C) -> (B, d)


class TinyBackbone(BaseSeriesTransformer):
    """Per-step linear encoder + mean pooling, 'pretrained' as a tiny autoencoder."""

    _parameter_constraints = {
        "d": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, d=4, *, epochs=3, random_state=None):
        self.d = d
        self.epochs = epochs
        self.random_state = random_state

    def fit_panel(self, panel, *, train):
        self.scaler_ = NanStandardScaler().fit(panel.values, panel.observed)
        with torch_seed_scope(seed_from(self.random_state)):
            self.module_ = _TinyEncoder(panel.n_channels, self.d)
            if train:
                inputs = {k: torch.as_tensor(v) for k, v in self.feature_inputs(panel).items()}
                decoder = nn.Linear(self.d, panel.n_channels)
                params = list(self.module_.parameters()) + list(decoder.parameters())
                opt = torch.optim.Adam(params, lr=1e-2)
                for _ in range(self.epochs):
                    opt.zero_grad()
                    z = self.module_(**inputs)
                    loss = ((decoder(z) - inputs["x"].mean(1)) ** 2).mean()
                    loss.backward()
                    opt.step()
        self.module_.eval()
        self._n_features_out = self.d

    def feature_inputs(self, panel):
        x = np.where(panel.observed, self.scaler_.transform(panel.values), 0.0)
        return {"x": x.astype(np.float32), "valid": panel.valid}

    def encode_panel(self, panel):
        inputs = {k: torch.as_tensor(v) for k, v in self.feature_inputs(panel).items()}
        with torch.no_grad():
            return self.module_(**inputs).numpy().astype(np.float32)

    def feature_module(self):
        return copy.deepcopy(self.module_)


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 12, 3))
    y_idx = np.arange(30) % 2
    X[y_idx == 1, :, 0] += 1.5  # class signal in channel 0
    X[0, 2, 1] = np.nan  # a missing value
    return X, np.array(["no", "yes"])[y_idx]


HEAD = dict(lr=5e-2, max_epochs=15, batch_size=16, random_state=0)


# ---- classification ---------------------------------------------------------------------
def test_classifier_fits_string_labels_and_predicts(data):
    X, y = data
    clf = EndToEndClassifier(TinyBackbone(), head=LinearHeadClassifier(**HEAD), random_state=0)
    clf.fit(X, y)
    assert clf.classes_.tolist() == ["no", "yes"]
    proba = clf.predict_proba(X)
    assert proba.shape == (30, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(clf.predict(X)) <= {"no", "yes"}
    assert clf.score(X, y) > 0.8
    assert isinstance(clf.net_.module_, EncoderWithHead)
    assert "valid_loss" in clf.net_.history[-1]  # early stopping watched a validation split
    assert clf.transform(X).shape == (30, 4)


def test_freeze_matches_the_modular_pipeline(data):
    X, y = data
    backbone = TinyBackbone(random_state=0).fit(X)
    head = MLPHeadClassifier(hidden_size=8, **HEAD)
    modular = Pipeline([("emb", backbone), ("clf", clone(head))]).fit(X, y)
    e2e = EndToEndClassifier(backbone, head=head, freeze=True).fit(X, y)
    np.testing.assert_allclose(e2e.predict_proba(X), modular.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(e2e.predict(X), modular.predict(X))
    np.testing.assert_allclose(e2e.transform(X), backbone.transform(X), rtol=1e-5, atol=1e-6)


def test_unfitted_backbone_is_pretrained_on_a_clone(data, monkeypatch):
    X, y = data
    calls = []
    original = TinyBackbone.fit_panel

    def spy(self, panel, *, train):
        calls.append(train)
        return original(self, panel, train=train)

    monkeypatch.setattr(TinyBackbone, "fit_panel", spy)
    backbone = TinyBackbone()
    EndToEndClassifier(backbone, head=LinearHeadClassifier(**HEAD)).fit(X, y)
    EndToEndClassifier(backbone, head=LinearHeadClassifier(**HEAD), pretrain=False).fit(X, y)
    assert calls == [True, False]
    assert not hasattr(backbone, "module_")  # the user's backbone stays unfitted
    fitted = TinyBackbone(random_state=0).fit(X)
    calls.clear()
    EndToEndClassifier(fitted, head=LinearHeadClassifier(**HEAD), pretrain=False).fit(X, y)
    assert calls == []  # a fitted backbone is used as it is, never refitted


def test_frozen_estimator_keeps_a_pretrained_backbone_through_clone(data, monkeypatch):
    """clone() (GridSearchCV, cross_val_score, sktime) unfits a plain fitted backbone;
    wrapped in FrozenEstimator it stays pretrained, and is still copied, never tuned in place."""
    from sklearn.exceptions import NotFittedError
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import cross_val_score

    X, y = data
    backbone = TinyBackbone(random_state=0).fit(X)
    before = {k: v.clone() for k, v in backbone.module_.state_dict().items()}
    calls = []
    monkeypatch.setattr(TinyBackbone, "fit_panel", lambda *a, **k: calls.append(1))
    head = LinearHeadClassifier(**HEAD)
    cloned = clone(EndToEndClassifier(FrozenEstimator(backbone), head=head, freeze=True))
    cloned.fit(X, y)
    modular = Pipeline([("emb", FrozenEstimator(backbone)), ("clf", clone(head))]).fit(X, y)
    np.testing.assert_allclose(cloned.predict_proba(X), modular.predict_proba(X), rtol=1e-5, atol=1e-6)
    scores = cross_val_score(EndToEndClassifier(FrozenEstimator(backbone), head=head,
                                                random_state=0), X, y, cv=KFold(3))
    assert calls == [] and scores.shape == (3,)  # never pretrained again
    for k, v in backbone.module_.state_dict().items():
        assert torch.equal(v, before[k])  # fine-tuning worked on copies
    with pytest.raises(NotFittedError):
        EndToEndClassifier(FrozenEstimator(TinyBackbone()), head=head).fit(X, y)


def test_fine_tuning_leaves_the_users_backbone_unchanged(data):
    X, y = data
    backbone = TinyBackbone(random_state=0).fit(X)
    before = {k: v.clone() for k, v in backbone.module_.state_dict().items()}
    clf = EndToEndClassifier(
        backbone, head=LinearHeadClassifier(**HEAD), backbone_lr=5e-2, random_state=0
    ).fit(X, y)
    for k, v in backbone.module_.state_dict().items():
        assert torch.equal(v, before[k])
    tuned = clf.net_.module_.encoder.state_dict()
    assert not torch.equal(tuned["proj.weight"], before["proj.weight"])  # the copy was tuned
    assert not np.allclose(clf.transform(X), backbone.transform(X))


def test_separate_learning_rates_for_backbone_and_head(data):
    X, y = data
    clf = EndToEndClassifier(
        TinyBackbone(random_state=0), head=LinearHeadClassifier(**HEAD), random_state=0
    ).fit(X, y)
    lrs = sorted(g["lr"] for g in clf.net_.optimizer_.param_groups)
    assert lrs == pytest.approx([HEAD["lr"] / 10, HEAD["lr"]])
    clf.set_params(backbone_lr=1e-4).fit(X, y)
    groups = clf.net_.optimizer_.param_groups
    encoder_ids = {id(p) for p in clf.net_.module_.encoder.parameters()}
    (enc_group,) = [g for g in groups if {id(p) for p in g["params"]} <= encoder_ids]
    assert enc_group["lr"] == 1e-4


def test_random_state_repeatable_and_global_rng_untouched(data):
    X, y = data
    torch.manual_seed(5)
    state = torch.random.get_rng_state()

    def run(seed):
        # backbone and head have random_state=None: the estimator's seed reaches both
        head = LinearHeadClassifier(max_epochs=4, batch_size=16)
        return EndToEndClassifier(TinyBackbone(), head=head, random_state=seed).fit(
            X, y
        ).predict_proba(X)

    a, b, c = run(1), run(1), run(2)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, c)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_string_heads_and_ragged_input(data):
    X, y = data
    ragged = [X[i, : 8 + i % 4] for i in range(len(X))]
    clf = EndToEndClassifier(TinyBackbone(), head="mlp", random_state=0)
    clf.set_params(head=clf._make_head().set_params(max_epochs=3))  # "mlp" with a short budget
    clf.fit(ragged, y)
    assert clf.predict(ragged).shape == (30,)
    assert clf.net_.module_.head.layers[-1].out_features == 2


class TanhHead(LinearHeadClassifier):
    """A third-party head: a shipped head with its own ``build_module`` (BaseHead protocol)."""

    def build_module(self, n_in, n_out, standardize=None):
        layers = [standardize] if standardize is not None else []
        return nn.Sequential(*layers, nn.Linear(n_in, 5), nn.Tanh(), nn.Linear(5, n_out))


@pytest.mark.parametrize("freeze", [False, True])
def test_a_head_of_your_own_trains_end_to_end(data, freeze):
    X, y = data
    clf = EndToEndClassifier(TinyBackbone(), head=TanhHead(**HEAD), freeze=freeze,
                             random_state=0).fit(X, y)
    head_module = clf.head_.net_.module_ if freeze else clf.net_.module_.head
    assert isinstance(head_module, nn.Sequential) and isinstance(head_module[-2], nn.Tanh)
    assert head_module[0].__class__.__name__ == "Standardize"  # make_module put it first
    assert clf.score(X, y) > 0.8
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


def test_components_are_checked(data):
    X, y = data
    from sklearn.decomposition import PCA

    with pytest.raises(ValueError, match="'backbone' parameter of EndToEndClassifier"):
        EndToEndClassifier(PCA()).fit(X, y)
    with pytest.raises(ValueError, match="classifier head"):
        EndToEndClassifier(TinyBackbone(), head=LinearHeadRegressor()).fit(X, y)
    with pytest.raises(ValueError, match="'head' parameter"):
        EndToEndClassifier(TinyBackbone(), head="svm").fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        EndToEndClassifier(TinyBackbone()).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=r"y has \d+ entries, but X has \d+ samples"):
        EndToEndClassifier(TinyBackbone()).fit(X, y[:-1])


def test_not_fitted_and_channel_check(data):
    from sklearn.exceptions import NotFittedError

    X, y = data
    clf = EndToEndClassifier(TinyBackbone(), head=LinearHeadClassifier(max_epochs=1))
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 channels"):
        clf.predict(X[:, :, :2])


def test_get_params_nests_backbone_and_head_and_pickles(data):
    X, y = data
    clf = EndToEndClassifier(TinyBackbone(d=3), head=LinearHeadClassifier(**HEAD), random_state=0)
    params = clf.get_params()
    assert params["backbone__d"] == 3 and params["head__lr"] == HEAD["lr"]
    clf.fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_verbose_logs_the_phases(data, caplog):
    X, y = data
    with caplog.at_level("INFO", logger="skmts"):
        EndToEndClassifier(
            TinyBackbone(), head=LinearHeadClassifier(max_epochs=2), verbose=1
        ).fit(X, y)
    assert "pretraining the backbone TinyBackbone" in caplog.text
    assert "fine-tuning" in caplog.text and "train_loss" in caplog.text


# ---- regression -------------------------------------------------------------------------
def test_regressor_1d_targets_and_freeze_equivalence(data):
    X, _ = data
    y = 50 + 10 * np.nanmean(X[:, :, 0], axis=1)
    reg = EndToEndRegressor(TinyBackbone(), head=LinearHeadRegressor(**HEAD), random_state=0)
    pred = reg.fit(X, y).predict(X)
    assert pred.shape == (30,) and pred.dtype == np.float64
    assert reg.score(X, y) > 0.5
    two = EndToEndRegressor(TinyBackbone(), head=LinearHeadRegressor(max_epochs=2))
    assert two.fit(X, np.c_[y, y]).predict(X).shape == (30, 2)
    backbone = TinyBackbone(random_state=0).fit(X)
    modular = Pipeline([("emb", backbone), ("reg", LinearHeadRegressor(**HEAD))]).fit(X, y)
    frozen = EndToEndRegressor(backbone, head=LinearHeadRegressor(**HEAD), freeze=True).fit(X, y)
    np.testing.assert_array_equal(frozen.predict(X), modular.predict(X))


# ---- Pipeline caching (issue 4, item 3) -------------------------------------------------
def test_pipeline_memory_pretrains_once_per_fold(data, tmp_path, monkeypatch):
    X, y = data
    runs = []
    original = TinyBackbone.fit_panel

    def counting(self, panel, *, train):
        runs.append(panel.n_samples)
        return original(self, panel, train=train)

    monkeypatch.setattr(TinyBackbone, "fit_panel", counting)
    pipe = Pipeline(
        [("emb", TinyBackbone(random_state=0)), ("clf", LinearHeadClassifier(max_epochs=3))],
        memory=str(tmp_path),
    )
    grid = {"clf__lr": [1e-2, 3e-2, 1e-1], "clf__weight_decay": [0.0, 1e-3]}
    search = GridSearchCV(pipe, grid, cv=KFold(3), n_jobs=1).fit(X, y)
    # 3 folds + the refit on all data; without memory it would be 3 * 6 + 1 = 19
    assert runs == [20, 20, 20, 30]
    assert search.best_estimator_.predict(X).shape == (30,)


# ---- the real backbones -----------------------------------------------------------------
def _dmae():
    from skmts import DMAETransformer

    return DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                           random_state=0)


def test_predictions_do_not_depend_on_sample_order_or_subset(data):
    # to float32 rounding (sklearn's own check asks for the last bit: see test_common)
    X, y = data
    clf = EndToEndClassifier(_dmae(), head=LinearHeadClassifier(**HEAD), random_state=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(clf.predict_proba(X[order]), proba[order], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X[:7]), proba[:7], rtol=1e-5, atol=1e-6)


def test_dmae_backbone_end_to_end_and_frozen(data):
    X, y = data
    head = LinearHeadClassifier(**HEAD)
    clf = EndToEndClassifier(_dmae(), head=head, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (30, 2)
    assert clf.transform(X).shape == (30, clf.backbone_._n_features_out)
    backbone = _dmae().fit(X)
    modular = Pipeline([("emb", backbone), ("clf", clone(head))]).fit(X, y)
    frozen = EndToEndClassifier(backbone, head=head, freeze=True).fit(X, y)
    np.testing.assert_allclose(frozen.predict_proba(X), modular.predict_proba(X), rtol=1e-5, atol=1e-6)
    reg = EndToEndRegressor(_dmae(), head="linear", pretrain=False, random_state=0)
    assert reg.fit(X, X[:, :, 0].mean(1)).predict(X).shape == (30,)


def test_dmae_pipeline_memory_caches(data, tmp_path):
    from skmts.representation._dmae import DMAETransformer

    X, y = data
    pipe = Pipeline([("emb", _dmae()), ("clf", LinearHeadClassifier(max_epochs=2))],
                    memory=str(tmp_path))
    n = []
    original = DMAETransformer.fit_panel

    def counting(self, panel, *, train):
        n.append(1)
        return original(self, panel, train=train)

    DMAETransformer.fit_panel = counting
    try:
        GridSearchCV(pipe, {"clf__lr": [1e-2, 1e-1]}, cv=KFold(2), n_jobs=1).fit(X, y)
    finally:
        DMAETransformer.fit_panel = original
    assert len(n) == 3  # 2 folds + refit, not 2 * 2 + 1


_has_frozen = (
    importlib.util.find_spec("skmts.representation._frozen") is not None
    and importlib.util.find_spec("pypots") is not None
)


@pytest.mark.skipif(not _has_frozen, reason="FrozenImputerTransformer or pypots is not there")
def test_frozen_imputer_backbone_end_to_end_and_frozen(data):
    from skmts.representation._frozen import FrozenImputerTransformer

    def saits():
        return FrozenImputerTransformer(
            "saits", {"d_model": 8, "n_heads": 2, "d_ffn": 16}, max_epochs=1, random_state=0
        )

    X, y = data
    head = LinearHeadClassifier(lr=5e-2, max_epochs=4, batch_size=16, random_state=0)
    clf = EndToEndClassifier(saits(), head=head, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (30, 2)
    # fine-tuning moved the features away from the frozen backbone's
    assert not np.allclose(clf.transform(X), clf.backbone_.transform(X))
    backbone = saits().fit(X)
    modular = Pipeline([("emb", backbone), ("clf", clone(head))]).fit(X, y)
    frozen = EndToEndClassifier(backbone, head=head, freeze=True).fit(X, y)
    np.testing.assert_allclose(frozen.predict_proba(X), modular.predict_proba(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("freeze", [False, True])
def test_fixed_length_backbone_predicts_longer_series_in_windows(data, freeze):
    """A PyPOTS backbone fits one length; fine-tuned or frozen, series longer than the
    longest in fit are encoded in windows, as the backbone's own ``transform`` does
    (sktime's JapaneseVowels folds hold test series longer than every training one)."""
    from skmts.representation._frozen import FrozenImputerTransformer

    X, y = data
    ragged = [X[i, : 8 + i % 3] for i in range(len(X))]  # fit: at most 10 steps
    longer = [np.concatenate([X[i], X[i]])[: 10 + 4 * (i % 3)] for i in range(6)]  # 10-18
    backbone = FrozenImputerTransformer("saits", {"d_model": 8, "n_heads": 2, "d_ffn": 16},
                                        max_epochs=1, random_state=0)
    head = LinearHeadClassifier(lr=5e-2, max_epochs=3, batch_size=16, random_state=0)
    clf = EndToEndClassifier(backbone, head=head, freeze=freeze, random_state=0)
    clf.fit(ragged, y)
    assert clf.backbone_.n_steps_ == 10
    proba = clf.predict_proba(longer)
    assert proba.shape == (6, 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(1), 1.0)
    # a series of at most n_steps_ is encoded as usual, whatever else is in the panel
    alone = clf.predict_proba(longer[:1])
    np.testing.assert_allclose(proba[:1], alone, rtol=1e-5, atol=1e-6)
    feats = clf.transform(longer)
    assert feats.shape == (6, clf.backbone_._n_features_out)
    if freeze:
        np.testing.assert_allclose(feats, clf.backbone_.transform(longer), rtol=1e-5, atol=1e-6)
    else:
        # the fine-tuned encoder with the backbone's weights gives the backbone's windows
        net_encoder = clf.net_.module_.encoder
        fresh = clf.backbone_.feature_module()
        fresh.load_state_dict(net_encoder.state_dict())
        np.testing.assert_allclose(
            clf.backbone_.encode_with(fresh.eval(), clf._panel(longer), batch_size=4,
                                      device="cpu"),
            feats, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_backbone_mode_sets_the_encoders_mode_during_fine_tuning(data, mode):
    X, y = data
    backbone = _dmae().fit(X)
    clf = EndToEndClassifier(backbone, head=LinearHeadClassifier(**HEAD), backbone_lr=1e-2,
                             backbone_mode=mode, random_state=0).fit(X, y)
    encoder = backbone.net_.module_.encoder
    tuned = clf.net_.module_.encoder.encoder
    means = [(n, b) for n, b in encoder.named_buffers() if n.endswith("running_mean")]
    assert means  # the DMAE encoder has BatchNorm layers
    tuned_buffers = dict(tuned.named_buffers())
    same_stats = all(torch.equal(tuned_buffers[n], b) for n, b in means)
    # "eval" keeps BatchNorm on the backbone's running statistics; "train" updates them
    assert same_stats == (mode == "eval")
    tuned_params = dict(tuned.named_parameters())
    assert any(not torch.equal(tuned_params[n], p) for n, p in encoder.named_parameters())
    assert not clf.net_.module_.training  # eval mode after fit, whatever backbone_mode


def test_backbone_mode_is_validated(data):
    X, y = data
    with pytest.raises(ValueError, match="backbone_mode"):
        EndToEndClassifier(TinyBackbone(), backbone_mode="frozen").fit(X, y)


def test_encoder_with_head_keeps_its_encoder_in_eval_mode():
    module = EncoderWithHead(nn.Dropout(0.5), nn.Identity(), encoder_eval=True).train()
    assert module.training and module.head.training and not module.encoder.training
    x = torch.ones(4, 3)
    assert torch.equal(module(input=x), x)
    assert EncoderWithHead(nn.Dropout(0.5), nn.Identity()).train().encoder.training
