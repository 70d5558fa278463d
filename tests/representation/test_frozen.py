"""Tests for FrozenImputerTransformer (frozen PyPOTS imputers as feature extractors)."""

import copy
import pickle
import random
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skmts.backbones import BACKBONES, PyPOTSFeatureModule, build_inputs
from skmts._persist._pypots import load_saved_model as _load_model
from skmts.backbones._pretrain import scoring_mask as _scoring_mask
from skmts.representation._frozen import FrozenImputerTransformer

pytest.importorskip("pypots")

# tiny widths: every backbone fits a 12 x 16 x 3 panel in well under a second
TINY = {
    "saits": {"d_model": 8, "n_heads": 2, "d_ffn": 16},
    "transformer": {"d_model": 8, "n_heads": 2, "d_ffn": 16, "n_layers": 1},
    "timesnet": {"d_model": 8, "d_ffn": 8, "n_layers": 1},
    "brits": {"rnn_hidden_size": 8},
    "grud": {"rnn_hidden_size": 8},
    "csai": {"rnn_hidden_size": 8, "step_channels": 8},
}
WIDTH = {"saits": 8, "transformer": 8, "timesnet": 8, "brits": 16, "grud": 8, "csai": 16}


def _tiny(backbone="saits", **kw):
    params = dict(max_epochs=2, batch_size=8, random_state=0)
    params.update(kw)
    return FrozenImputerTransformer(backbone, TINY[backbone.lower()], **params)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 16, 3))
    X[rng.random(X.shape) < 0.2] = np.nan
    return X


@pytest.fixture(scope="module")
def ragged():
    rng = np.random.default_rng(1)
    series = [rng.normal(size=(n, 3)) for n in (16, 10, 5, 16, 12, 8)]
    series[1][3, 0] = np.nan
    return series


@pytest.fixture(scope="module")
def fitted(panel):
    # one fitted estimator per backbone, shared by the module: don't refit or set_params
    return {name: _tiny(name).fit(panel) for name in TINY}


# ---- every backbone -------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TINY))
def test_every_backbone_fits_and_transforms(name, fitted, panel, ragged):
    est = fitted[name]
    Z = est.transform(panel)
    assert Z.shape == (12, WIDTH[name]) and Z.dtype == np.float32
    assert np.isfinite(Z).all()
    assert len(est.get_feature_names_out()) == WIDTH[name]
    Zr = est.transform(ragged)
    assert Zr.shape == (6, WIDTH[name]) and np.isfinite(Zr).all()
    # batch independent: a series gets the same features alone or with others
    np.testing.assert_allclose(est.transform(ragged[2:3]), Zr[2:3], rtol=1e-5, atol=1e-6)
    assert est.n_steps_ == 16 and est.backbone_name_ == name


@pytest.mark.parametrize("name", sorted(TINY))
def test_fit_on_ragged_panel(name, ragged):
    est = _tiny(name, max_epochs=1).fit(ragged)
    assert est.n_steps_ == 16
    Z = est.transform(ragged)
    assert Z.shape == (6, WIDTH[name]) and np.isfinite(Z).all()


def test_backbone_names_are_case_insensitive(fitted, panel):
    est = _tiny("SAITS").fit(panel)
    np.testing.assert_allclose(est.transform(panel), fitted["saits"].transform(panel), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pooling, width", [("mean", 8), ("max", 8), ("meanmax", 16), ("last", 8)])
def test_per_step_latent_pooled_over_observed_steps(pooling, width, panel, ragged):
    est = _tiny("saits", pooling=pooling).fit(panel)
    Z = est.transform(ragged)
    assert Z.shape == (6, width)
    # manual pooling of the raw latent over the steps that have an observed value
    panel_inputs = est.feature_inputs(est._check_panel(ragged))
    module = est._module(est.model_.model).eval()
    with torch.no_grad():
        lat = module.latent(**{k: torch.as_tensor(v) for k, v in panel_inputs.items()}).numpy()
    for i, s in enumerate(ragged):
        steps = np.flatnonzero(~np.isnan(s).all(axis=1))
        h = lat[i, steps]
        expected = {
            "mean": h.mean(0),
            "max": h.max(0),
            "meanmax": np.concatenate([h.mean(0), h.max(0)]),
            "last": h[-1],
        }[pooling]
        np.testing.assert_allclose(Z[i], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["grud", "brits"])
def test_rnn_features_ignore_padding(name, fitted, ragged):
    # the hidden state after the last real step equals the final state of the same RNN run
    # on the unpadded series alone (GRU-D/BRITS weights do not depend on n_steps)
    est = fitted[name]
    s = ragged[2]  # 5 steps, padded to 16 inside transform
    z = est.transform([s, ragged[0]])[0]
    core = copy.deepcopy(est.model_.model)
    for m in core.modules():
        if hasattr(m, "n_steps"):
            m.n_steps = len(s)
    values = est.scaler_.transform(s[None].astype(np.float32))
    inputs = build_inputs(name, values, np.array([len(s)]))
    module = PyPOTSFeatureModule(core, name, empirical_mean=est.empirical_mean_).eval()
    with torch.no_grad():
        expected = module(**{k: torch.as_tensor(v) for k, v in inputs.items()})[0].numpy()
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["grud", "brits", "csai"])
def test_rnn_features_are_final_hidden_states(name, panel):
    # pooling="last", equal lengths: the hooked states match the final states PyPOTS's
    # backbone returns
    est = _tiny(name, pooling="last").fit(panel)
    Z = est.transform(panel)
    module = est._module(est.model_.model).eval()
    raw = est.feature_inputs(est._check_panel(panel))
    inputs = {k: torch.as_tensor(v) for k, v in raw.items()}
    with torch.no_grad():
        core_in = module._core_inputs(inputs)
        if name == "grud":
            c = core_in
            _, h = est.model_.model.backbone(
                c["X"], c["missing_mask"], c["deltas"], c["empirical_mean"], c["X_filledLOCF"]
            )
            expected = h
        elif name == "brits":
            out = est.model_.model.model(core_in)
            # BRITS's _reverse permutes the units of the (B, H) backward state
            expected = torch.cat([out[3], out[4].flip(-1)], dim=-1)
        else:
            # CSAI mixes the samples of a batch in its initial state: one series at a time
            rows = []
            for i in range(len(panel)):
                one = module._core_inputs({k: v[i : i + 1] for k, v in inputs.items()})
                out = est.model_.model.model(one)
                rows.append(torch.cat([out[3], out[4]], dim=-1))
            expected = torch.cat(rows)
    np.testing.assert_allclose(Z, expected.numpy(), rtol=1e-5, atol=1e-6)


# ---- determinism and RNG --------------------------------------------------------------
@pytest.mark.parametrize("name", ["saits", "csai"])
def test_random_state_makes_fit_repeatable(name, fitted, panel):
    again = _tiny(name).fit(panel)
    np.testing.assert_allclose(again.transform(panel), fitted[name].transform(panel), rtol=1e-5, atol=1e-6)
    assert again.score(panel) == fitted[name].score(panel)
    other = _tiny(name, random_state=1).fit(panel)
    assert not np.allclose(other.transform(panel), fitted[name].transform(panel))


def test_global_rng_state_untouched(panel):
    np.random.seed(123)
    random.seed(123)
    torch.manual_seed(123)
    np_state, py_state, t_state = np.random.get_state(), random.getstate(), torch.get_rng_state()
    est = _tiny("csai", random_state=0).fit(panel)
    est.transform(panel)
    est.score(panel)
    est.impute(panel)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert random.getstate() == py_state
    assert torch.equal(torch.get_rng_state(), t_state)


# ---- transfer -------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TINY))
def test_pretrained_pypots_model_is_used_as_is(name, fitted):
    pretrained = fitted[name].model_
    before = {k: v.clone() for k, v in pretrained.model.state_dict().items()}
    rng = np.random.default_rng(5)
    other = rng.normal(size=(7, 12, 3))  # another data set: shorter series, same channels
    est = FrozenImputerTransformer(pretrained, max_epochs=50).fit(other)
    assert est.model_ is not pretrained and est.scaler_ is None and est.best_epoch_ is None
    Z = est.transform(other)
    assert Z.shape == (7, WIDTH[name]) and np.isfinite(Z).all()
    after = pretrained.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    with pytest.raises(ValueError, match="pretrained backbone expects 3 channels"):
        FrozenImputerTransformer(pretrained).fit(other[:, :, :2])
    with pytest.raises(ValueError, match=r"at most n_steps=16"):
        FrozenImputerTransformer(pretrained).fit(rng.normal(size=(4, 20, 3)))


def test_fitted_transformer_as_backbone(fitted, panel, ragged):
    source = fitted["brits"]
    est = FrozenImputerTransformer(source).fit(ragged)
    np.testing.assert_allclose(est.transform(panel), source.transform(panel), rtol=1e-5, atol=1e-6)
    assert est.model_ is not source.model_
    # clone unfits estimator parameters: a clear error, and FrozenEstimator as the fix
    with pytest.raises(ValueError, match="unfitted FrozenImputerTransformer"):
        clone(est).fit(panel)
    from sklearn.frozen import FrozenEstimator

    cloned = clone(FrozenImputerTransformer(FrozenEstimator(source))).fit(panel)
    np.testing.assert_allclose(cloned.transform(panel), source.transform(panel), rtol=1e-5, atol=1e-6)


def test_unfitted_csai_model_is_refused(panel):
    from skmts.backbones import build_pypots_model

    raw = build_pypots_model("csai", n_steps=16, n_features=3, backbone_params=TINY["csai"],
                             epochs=1, patience=None, batch_size=8, lr=1e-3, device="cpu",
                             verbose=0)
    with pytest.raises(ValueError, match="CSAI model that was never fitted"):
        FrozenImputerTransformer(raw).fit(panel)


# ---- errors ---------------------------------------------------------------------------
def test_longer_series_are_windowed_at_transform_but_refused_by_impute(fitted):
    X = np.random.default_rng(0).normal(size=(3, 20, 3))
    assert np.isfinite(fitted["saits"].transform(X)).all()  # see test_frozen_windows.py
    with pytest.raises(ValueError, match=r"length 20.*n_steps_=16"):
        fitted["saits"].impute(X)


def test_n_steps_accepts_longer_series_later(panel):
    est = _tiny("saits", n_steps=20).fit(panel)
    assert est.n_steps_ == 20 and est.n_timesteps_in_ == 16
    longer = np.random.default_rng(0).normal(size=(3, 20, 3))
    assert est.transform(longer).shape == (3, 8)
    assert est.impute(panel).shape == panel.shape
    with pytest.raises(ValueError, match="n_steps=8 is shorter than the longest series in X"):
        _tiny("saits", n_steps=8).fit(panel)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"backbone": "lstm"}, ValueError, "backbone='lstm' is not a known backbone"),
        ({"backbone_params": {"d_modle": 8}}, ValueError,
         "'d_modle', which PyPOTS SAITS does not accept"),
        ({"backbone_params": {"epochs": 3}}, ValueError, "may not set 'epochs'"),
        ({"backbone_params": {"d_model": 10, "n_heads": 4}}, ValueError,
         "d_model=10 must be divisible by n_heads=4"),
        ({"backbone": "csai", "backbone_params": {"step_channels": 4}}, ValueError,
         "step_channels=4 must be a multiple of 8"),
        ({"backbone": "timesnet", "backbone_params": {"top_k": 12}}, ValueError,
         "top_k=12 is too large"),
        ({"backbone": "brits", "backbone_params": {"rnn_hidden_size": -1}}, ValueError,
         "PyPOTS BRITS rejected"),
        ({"missing_rate": 1.0}, ValueError,
         "'missing_rate' parameter of FrozenImputerTransformer must be"),
        ({"missing_pattern": "mar"}, ValueError, "'missing_pattern' parameter"),
    ],
)
def test_invalid_params_name_the_problem(kwargs, err, match, panel):
    with pytest.raises(err, match=re.escape(match)):
        FrozenImputerTransformer(**{"max_epochs": 1, **kwargs}).fit(panel)


def test_non_pypots_backbone_object_is_a_type_error(panel):
    from sklearn.decomposition import PCA

    with pytest.raises(TypeError, match="got an instance of sklearn.decomposition"):
        FrozenImputerTransformer(PCA()).fit(panel)


def test_series_of_length_one_is_a_value_error():
    with pytest.raises(ValueError, match="at least 2 timesteps"):
        _tiny("brits").fit(np.ones((5, 1, 2)))


def test_not_fitted_errors(panel):
    est = _tiny()
    for method in (est.transform, est.impute, est.score):
        with pytest.raises(NotFittedError):
            method(panel)


def test_wrong_channel_count_at_transform(fitted, panel):
    with pytest.raises(ValueError, match="X has 2 channels"):
        fitted["saits"].transform(panel[:, :, :2])


# ---- persistence and cloning ----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TINY))
def test_joblib_round_trip_gives_identical_transform(name, fitted, panel, tmp_path):
    est = fitted[name]
    joblib.dump(est, tmp_path / "est.joblib")
    loaded = joblib.load(tmp_path / "est.joblib")
    np.testing.assert_array_equal(loaded.transform(panel), est.transform(panel))
    assert loaded.score(panel) == est.score(panel)
    # the original stays usable (pickling does not move or mutate it)
    assert est.model_.model.training is False
    assert est.model_.best_model_dict is None  # no second copy of the weights in the pickle


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_gpu_trained_model_loads_on_cpu(fitted, panel):
    est = fitted["saits"]
    state = est.__getstate__()
    state["model_"].device = "cuda:0"  # as written on a GPU machine
    state["device_"] = "cuda:0"
    loaded = FrozenImputerTransformer.__new__(FrozenImputerTransformer)
    loaded.__setstate__(state)
    assert loaded.device_ == "cpu" and str(loaded.model_.device) == "cpu"
    np.testing.assert_array_equal(loaded.transform(panel), est.transform(panel))
    # the same bytes with an explicit map_location function (torch.load's GPU->CPU path)
    model, dev = _load_model(est.__getstate__()["model_"], map_location=lambda s, loc: s)
    assert all(p.device.type == "cpu" for p in model.model.parameters())


def test_clone_keeps_params_and_drops_fit(fitted):
    est = fitted["transformer"]
    c = clone(est)
    assert c.get_params() == est.get_params()
    assert not hasattr(c, "model_")
    # a PyPOTS model passed as backbone is deep-copied by clone and stays pretrained
    c2 = clone(FrozenImputerTransformer(est.model_))
    assert c2.backbone is not est.model_ and type(c2.backbone) is type(est.model_)


# ---- quiet ----------------------------------------------------------------------------
def test_quiet_at_verbose_0(capfd, panel):
    est = _tiny("csai", max_epochs=2).fit(panel)
    est.transform(panel)
    est.score(panel)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_1_shows_pypots_epoch_lines(capfd, panel):
    _tiny("grud", max_epochs=2, verbose=1).fit(panel)
    _, err = capfd.readouterr()
    assert "Epoch 001" in err
    _tiny("grud", max_epochs=2).fit(panel)  # and the logger is quiet again afterwards
    assert capfd.readouterr() == ("", "")


def test_import_is_lazy_and_quiet():
    code = (
        "import sys\n"
        "import skmts.representation._frozen\n"
        "assert 'pypots' not in sys.modules, 'pypots imported at module import'\n"
        "from skmts.backbones import import_pypots\n"
        "import_pypots()\n"
        "assert 'pypots' in sys.modules\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""


# ---- impute and score -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TINY))
def test_impute_keeps_observed_values(name, fitted, panel, ragged):
    est = fitted[name]
    out = est.impute(panel)
    obs = ~np.isnan(panel)
    assert out.shape == panel.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[obs], panel[obs].astype(np.float32))
    assert np.isfinite(out).all()
    assert not np.isnan(panel).any() or not np.array_equal(out[~obs], panel[~obs])
    r = est.impute(ragged)  # a list in, a list of unpadded series out
    assert [x.shape for x in r] == [s.shape for s in ragged]
    for seg, s in zip(r, ragged):
        o = ~np.isnan(s)
        np.testing.assert_array_equal(seg[o], s[o].astype(np.float32))
        assert np.isfinite(seg).all()


def test_impute_of_univariate_2d_panel_is_2d():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10, 12))
    X[0, 3] = np.nan
    est = FrozenImputerTransformer("grud", {"rnn_hidden_size": 4}, max_epochs=1, random_state=0).fit(X)
    out = est.impute(X)
    assert out.shape == (10, 12) and np.isfinite(out).all()
    assert out[1, 0] == np.float32(X[1, 0])


def test_score_is_finite_and_higher_for_a_better_model():
    # smooth, strongly correlated channels: a trained imputer beats an untrained one
    t = np.linspace(0, 4 * np.pi, 16)
    phase = np.random.default_rng(0).uniform(0, 2 * np.pi, size=(24, 1, 1))
    X = np.sin(t[None, :, None] + phase + np.array([0.0, 0.3, 0.6]))
    common = dict(backbone_params={"d_model": 16, "n_heads": 2, "d_ffn": 32}, random_state=0,
                  validation_fraction=0.0, batch_size=8, patience=None)
    weak = FrozenImputerTransformer(max_epochs=1, lr=1e-5, **common).fit(X)
    strong = FrozenImputerTransformer(max_epochs=15, lr=1e-2, **common).fit(X)
    s_weak, s_strong = weak.score(X), strong.score(X)
    assert np.isfinite(s_weak) and np.isfinite(s_strong) and s_weak < 0
    assert s_strong > s_weak + 0.1
    assert s_strong == strong.score(X)  # deterministic for a fixed random_state


@pytest.mark.parametrize("pattern", ["mcar", "seq", "block"])
def test_missing_patterns_fit_and_score(pattern, panel):
    est = _tiny("grud", max_epochs=1, missing_pattern=pattern, missing_rate=0.3).fit(panel)
    assert np.isfinite(est.score(panel))


# ---- the end-to-end protocol ----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TINY))
def test_feature_module_matches_transform_and_trains(name, fitted, ragged):
    est = fitted[name]
    p = est._check_panel(ragged)
    inputs = {k: torch.as_tensor(v) for k, v in est.feature_inputs(p).items()}
    module = est.feature_module()
    assert isinstance(module, torch.nn.Module)
    if BACKBONES[name].batch_independent:
        with torch.no_grad():
            out = module(**inputs)
        np.testing.assert_allclose(out.numpy(), est.transform(ragged), rtol=1e-5, atol=1e-6)
    before = est.transform(ragged)
    module.train()
    params = [q for q in module.parameters() if q.requires_grad]
    assert params
    opt = torch.optim.SGD(params, lr=0.1)
    out = module(**inputs)
    assert out.shape == (6, WIDTH[name])
    out.pow(2).mean().backward()
    assert any(q.grad is not None and q.grad.abs().sum() > 0 for q in params)
    opt.step()
    # fine-tuning works on a copy: the fitted estimator is unchanged
    np.testing.assert_array_equal(est.transform(ragged), before)
    assert not any(q.requires_grad for q in est.model_.model.parameters())
    pickle.dumps(module)  # no lambdas or live hooks left on the module


def test_pandas_output(panel):
    est = _tiny("grud", max_epochs=1).fit(panel)
    df = est.set_output(transform="pandas").transform(panel)
    assert list(df.columns) == [f"frozenimputertransformer{i}" for i in range(8)]


def test_fit_transform_equals_fit_then_transform(panel):
    a = _tiny("timesnet", max_epochs=1).fit_transform(panel)
    b = _tiny("timesnet", max_epochs=1).fit(panel).transform(panel)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- the untrained twin and RNN pooling ------------------------------------------------
@pytest.mark.parametrize("name", sorted(TINY))
def test_epochs_zero_freezes_the_untrained_model(name, panel, ragged):
    # the random-initialisation twin a pretrained backbone is compared with
    twin = _tiny(name, max_epochs=0).fit(panel)
    assert twin.best_epoch_ is None
    Z = twin.transform(ragged)
    assert Z.shape == (6, WIDTH[name]) and np.isfinite(Z).all()
    built = _tiny(name, max_epochs=0).fit(panel)  # the same seed builds the same weights
    np.testing.assert_allclose(built.transform(panel), twin.transform(panel), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["brits", "grud"])
def test_rnn_hidden_states_pooled_over_real_steps(name, fitted, panel, ragged):
    est = _tiny(name, pooling="meanmax").fit(panel)
    Z = est.transform(ragged)
    assert Z.shape == (6, 2 * WIDTH[name]) and np.isfinite(Z).all()
    # each series alone gives the same features: padding never enters the pooling
    alone = np.vstack([est.transform([s]) for s in ragged])
    np.testing.assert_allclose(alone, Z, rtol=1e-4, atol=1e-5)
    # the default pools with the mean: "meanmax" is [mean, max] per direction
    h = WIDTH[name] // (2 if name == "brits" else 1)  # one direction's width
    mean_part = np.hstack([Z[:, d * 2 * h : d * 2 * h + h] for d in range(WIDTH[name] // h)])
    np.testing.assert_allclose(fitted[name].transform(ragged), mean_part, rtol=1e-5, atol=1e-6)


def test_epochs_is_a_deprecated_alias_of_max_epochs(panel):
    with pytest.warns(FutureWarning, match="renamed `max_epochs`"):
        old = _tiny("grud", epochs=1).fit(panel)  # overrides _tiny's max_epochs=2
    new = _tiny("grud", max_epochs=1).fit(panel)
    np.testing.assert_allclose(old.transform(panel), new.transform(panel), rtol=1e-5, atol=1e-6)


# ---- validation and scoring masks ------------------------------------------------------
@pytest.mark.parametrize("pattern", ["mcar", "seq", "block"])
def test_scoring_mask_is_seeded_and_leaves_global_rng(pattern):
    X = np.random.default_rng(1).normal(size=(40, 30, 4)).astype(np.float32)
    np.random.seed(7)
    random.seed(7)
    np_state, py_state = np.random.get_state(), random.getstate()
    a = _scoring_mask(X, pattern, 0.2, seed=3)
    b = _scoring_mask(X, pattern, 0.2, seed=3)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert random.getstate() == py_state
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert not np.isnan(X).any()  # input untouched
    rate = np.isnan(a).mean()
    assert 0.08 < rate < 0.35, rate
    kept = ~np.isnan(a)
    np.testing.assert_array_equal(a[kept], X[kept])


def test_scoring_mask_always_hides_something():
    X = np.ones((1, 3, 1), dtype=np.float32)
    out = _scoring_mask(X, "mcar", 0.01, seed=0)
    assert np.isnan(out).sum() >= 1


# ---- the table is the one place that knows an architecture ----------------------------
def test_a_backbone_is_a_table_row(monkeypatch, panel, ragged):
    # PyPOTS's Informer has the Transformer's layout: a row is all skmts needs to use it
    from skmts.backbones import BackboneSpec

    row = BackboneSpec(name="Informer", defaults=dict(n_layers=1, d_model=8, n_heads=2,
                                                      d_ffn=16, factor=3),
                       latent="per_step", hooks=("output_projection",), inputs="masked")
    monkeypatch.setitem(BACKBONES, "informer", row)
    est = FrozenImputerTransformer("informer", max_epochs=1, random_state=0).fit(panel)
    Z = est.transform(ragged)
    assert est.backbone_name_ == "informer" and est.model_.__class__.__name__ == "Informer"
    assert Z.shape == (len(ragged), 8) and np.isfinite(Z).all()
    assert not np.isnan(est.impute(panel)).any()
