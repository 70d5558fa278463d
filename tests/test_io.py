"""skmts.io: weights-only files (safetensors + JSON) for every skmts estimator."""

import copy
import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

import skmts
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
from skmts.io import FORMAT_VERSION, load, save

pytest.importorskip("pypots")

TINY_PYPOTS = {
    "saits": {"d_model": 8, "n_heads": 2, "d_ffn": 16},
    "transformer": {"d_model": 8, "n_heads": 2, "d_ffn": 16, "n_layers": 1},
    "timesnet": {"d_model": 8, "d_ffn": 8, "n_layers": 1},
    "brits": {"rnn_hidden_size": 8},
    "grud": {"rnn_hidden_size": 8},
    "csai": {"rnn_hidden_size": 8, "step_channels": 8},
}
HEAD = dict(max_epochs=2, batch_size=8, random_state=0)


def _dmae(**kw):
    return DMAETransformer(d_model=4, n_heads=1, n_layers=1, d_ff=8, n_conv_blocks=1,
                           max_epochs=1, batch_size=8, random_state=0, **kw)


def _frozen(name, **kw):
    return FrozenImputerTransformer(name, TINY_PYPOTS[name], max_epochs=1, batch_size=8,
                                    random_state=0, **kw)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 16, 3))
    X[rng.random(X.shape) < 0.15] = np.nan
    y = np.array(["a", "b", "c"] * 4)
    y_reg = rng.normal(size=(12, 2))
    F = rng.normal(size=(12, 5))
    return X, y, y_reg, F


@pytest.fixture(scope="module")
def frozen(data):
    X = data[0]
    return {name: _frozen(name).fit(X) for name in TINY_PYPOTS}


def _round_trip(est, tmp_path, name="est.skmts"):
    path = tmp_path / name
    save(est, path)
    return load(path)


def _params(est):
    """get_params(deep=False) with nested estimators replaced by (class, their params)."""
    def plain(v):
        if hasattr(v, "get_params"):
            return type(v), _params(v)
        if isinstance(v, (list, tuple)):
            return type(v)(plain(x) for x in v)
        if hasattr(v, "model") and isinstance(getattr(v, "model"), torch.nn.Module):
            return type(v), tuple(v.model.state_dict())  # a PyPOTS model
        return v

    return {k: plain(v) for k, v in est.get_params(deep=False).items()}


def _same(a, b, *, exact_labels=False):
    if exact_labels:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- every estimator ------------------------------------------------------------------
def test_dmae_round_trip(data, tmp_path):
    X = data[0]
    est = _dmae(validation_fraction=0.2, patience=2).fit(X)
    loaded = _round_trip(est, tmp_path)
    assert type(loaded) is DMAETransformer and loaded.get_params() == est.get_params()
    _same(loaded.transform(X), est.transform(X))
    _same(loaded.impute(X), est.impute(X))
    assert loaded.score(X) == pytest.approx(est.score(X), rel=1e-5)
    assert loaded.scaler_.mean_.dtype == np.float32
    assert len(loaded.history_) == len(est.history_)
    assert loaded.history_[-1, "train_loss"] == pytest.approx(est.history_[-1, "train_loss"])
    assert (loaded.patch_len_, loaded.batch_size_, loaded.max_epochs_) == (
        est.patch_len_, est.batch_size_, est.max_epochs_)


@pytest.mark.parametrize("name", sorted(TINY_PYPOTS))
def test_frozen_imputer_round_trip(name, frozen, data, tmp_path):
    X = data[0]
    est = frozen[name]
    loaded = _round_trip(est, tmp_path)
    assert loaded.get_params() == est.get_params()
    assert type(loaded.model_) is type(est.model_) and loaded.backbone_name_ == name
    _same(loaded.transform(X), est.transform(X))
    _same(loaded.impute(X), est.impute(X))
    assert loaded.model_.model.training is False
    assert not any(p.requires_grad for p in loaded.model_.model.parameters())
    if name == "csai":  # CSAI's fitted extras (not in its state_dict) come back too
        assert loaded.model_.intervals == est.model_.intervals
        np.testing.assert_array_equal(loaded.model_.replacement_probabilities,
                                      est.model_.replacement_probabilities)
    if name == "grud":
        np.testing.assert_array_equal(loaded.empirical_mean_, est.empirical_mean_)


@pytest.mark.parametrize("cls, kw", [
    (LinearHeadClassifier, {}),
    (MLPHeadClassifier, {"hidden_size": 8, "n_layers": 3, "standardize": "trainable"}),
    (LinearHeadRegressor, {"standardize": False}),
    (MLPHeadRegressor, {"hidden_size": 8, "n_layers": 2, "dropout": 0.1}),
])
def test_head_round_trip(cls, kw, data, tmp_path):
    _, y, y_reg, F = data
    target = y if cls._kind == "classifier" else y_reg[:, 0]
    est = cls(**kw, **HEAD).fit(F, target)
    loaded = _round_trip(est, tmp_path)
    assert type(loaded) is cls and loaded.get_params() == est.get_params()
    _same(loaded.predict(F), est.predict(F), exact_labels=cls._kind == "classifier")
    if cls._kind == "classifier":
        _same(loaded.predict_proba(F), est.predict_proba(F))
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert loaded.n_epochs_ == est.n_epochs_ and loaded.n_features_in_ == 5


def _end_to_end_cases(frozen):
    fitted_head = MLPHeadRegressor(hidden_size=8, n_layers=2, **HEAD)
    return {
        "joint-dmae": (EndToEndClassifier(_dmae(), LinearHeadClassifier(**HEAD),
                                          random_state=0), "y"),
        "joint-frozen-pypots": (EndToEndClassifier(FrozenEstimator(frozen["brits"]), "mlp",
                                                   max_epochs=1, random_state=0), "y"),
        "joint-regressor": (EndToEndRegressor(_dmae(), LinearHeadRegressor(**HEAD),
                                              backbone_mode="eval", random_state=0), "y_reg"),
        "freeze-fitted-head": (EndToEndRegressor(
            FrozenEstimator(frozen["saits"]), FrozenEstimator(fitted_head), freeze=True,
            max_epochs=1, random_state=0), "y_reg"),
    }


@pytest.mark.parametrize("case", ["joint-dmae", "joint-frozen-pypots", "joint-regressor",
                                  "freeze-fitted-head"])
def test_end_to_end_round_trip(case, frozen, data, tmp_path):
    X, y, y_reg, _ = data
    est, target = _end_to_end_cases(frozen)[case]
    head = est.head
    if isinstance(head, FrozenEstimator):  # fit the head on the backbone's features
        head.estimator.fit(est.backbone.transform(X), y_reg)
    est.fit(X, y if target == "y" else y_reg)
    loaded = _round_trip(est, tmp_path)
    assert _params(loaded) == _params(est)
    _same(loaded.predict(X), est.predict(X), exact_labels=target == "y")
    _same(loaded.transform(X), est.transform(X))
    if target == "y":
        _same(loaded.predict_proba(X), est.predict_proba(X))
    assert type(loaded.backbone_) is type(est.backbone_)
    if est.freeze:
        assert type(loaded.head_) is type(est.head_) and not hasattr(loaded, "net_")
    else:
        assert loaded.net_.batch_size == est.net_.batch_size
        assert loaded.net_.module_.training is False
        assert loaded.net_.module_.encoder_eval == (est.backbone_mode == "eval")
    # a loaded estimator refits like the saved one (its FrozenEstimator parts included)
    clone(loaded).set_params(max_epochs=1).fit(X, y if target == "y" else y_reg)


def test_pipeline_and_random_state_round_trip(data, tmp_path):
    X, y, _, _ = data
    pipe = Pipeline([("emb", _dmae()),
                     ("clf", LinearHeadClassifier(max_epochs=2,
                                                  random_state=np.random.RandomState(3)))])
    pipe.fit(X, y)
    loaded = _round_trip(pipe, tmp_path)
    _same(loaded.predict_proba(X), pipe.predict_proba(X))
    rs = loaded.named_steps["clf"].random_state
    assert isinstance(rs, np.random.RandomState)
    assert rs.randint(1000) == copy.deepcopy(pipe.named_steps["clf"].random_state).randint(1000)
    # a joblib cache directory would make a later fit unpickle: refused both ways
    with pytest.raises(TypeError, match="memory="):
        save(clone(pipe).set_params(memory=str(tmp_path)), tmp_path / "memory.skmts")
    path = _rewrite(tmp_path / "est.skmts", tmp_path / "memory.skmts",
                    lambda m: _node(m)["params"].update(memory=str(tmp_path)))
    with pytest.raises(ValueError, match=r"memory\.skmts .*memory="):
        load(path)


def test_feature_names_and_output_config_round_trip(data, tmp_path):
    import pandas as pd

    _, y, _, F = data
    frame = pd.DataFrame(F, columns=[f"f{i}" for i in range(5)])
    est = LinearHeadClassifier(**HEAD).fit(frame, y)
    loaded = _round_trip(est, tmp_path)
    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    _same(loaded.predict_proba(frame), est.predict_proba(frame))
    emb = _dmae().fit(data[0]).set_output(transform="pandas")
    out = _round_trip(emb, tmp_path).transform(data[0])
    assert isinstance(out, pd.DataFrame)
    _same(out.to_numpy(), emb.transform(data[0]).to_numpy())


@pytest.mark.parametrize("est", [
    _dmae(), FrozenImputerTransformer("csai", {"step_channels": 8}), LinearHeadClassifier(),
    MLPHeadRegressor(hidden_size=8), LinearHeadRegressor(), MLPHeadClassifier(),
    EndToEndClassifier(_dmae(), LinearHeadClassifier(max_epochs=1)),
    EndToEndRegressor(FrozenEstimator(FrozenImputerTransformer()), "mlp", freeze=True),
], ids=lambda e: type(e).__name__)
def test_unfitted_round_trip(est, tmp_path, data):
    loaded = _round_trip(est, tmp_path)
    assert type(loaded) is type(est) and _params(loaded) == _params(est)
    assert set(vars(loaded)) == set(vars(est))  # nothing fitted appears


def test_pypots_model_as_parameter(frozen, data, tmp_path):
    X = data[0]
    est = FrozenImputerTransformer(frozen["timesnet"].model_).fit(X)
    loaded = _round_trip(est, tmp_path)
    assert type(loaded.backbone) is type(est.backbone)
    _same(loaded.transform(X), est.transform(X))
    _same(clone(loaded).fit(X).transform(X), est.transform(X))


def test_file_objects_and_global_rng(frozen, data):
    X = data[0]
    buffer = io.BytesIO()
    save(frozen["saits"], buffer)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    loaded = load(io.BytesIO(buffer.getvalue()))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()
    _same(loaded.transform(X), frozen["saits"].transform(X))


def test_values_of_every_supported_kind_round_trip():
    from skmts._persist._codec import Reader, Writer

    value = {
        "scalars": [None, True, 3, 2.5, "s", float("nan"), float("-inf"), np.float64(1.5),
                    np.int32(7), np.bool_(False), np.str_("u")],
        "arrays": [np.arange(6, dtype=np.int16).reshape(2, 3), np.array(2.0), np.zeros(0),
                   np.array([True, False]), np.array(["a", "bc"]),
                   np.array(["x", 1], dtype=object), np.arange(3, dtype=">f8")],
        "containers": ({1: "one", (2, 3): [4]}, {"$key": 1}, ()),
        "torch": [torch.device("cuda:1"), torch.ones(2, dtype=torch.bfloat16)],
    }
    writer = Writer()
    encoded = json.loads(json.dumps(writer.value(value, "v"), allow_nan=False))
    back = Reader(writer.tensors).value(encoded)
    assert back["scalars"][:5] == value["scalars"][:5] and np.isnan(back["scalars"][5])
    for a, b in zip(back["scalars"][6:], value["scalars"][6:]):
        assert a == b and type(a) is type(b)
    for a, b in zip(back["arrays"], value["arrays"]):
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind
        np.testing.assert_array_equal(a, b)
    assert back["containers"] == value["containers"]
    assert back["torch"][0] == value["torch"][0] and torch.equal(back["torch"][1],
                                                                 value["torch"][1])


# ---- what the file is -----------------------------------------------------------------
def test_file_holds_only_json_and_safetensors(frozen, tmp_path, monkeypatch):
    from safetensors import safe_open

    est = EndToEndClassifier(FrozenEstimator(frozen["csai"]), max_epochs=1, random_state=0)
    X = np.random.default_rng(2).normal(size=(8, 16, 3))
    est.fit(X, np.array([0, 1] * 4))
    path = tmp_path / "e2e.skmts"
    save(est, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["meta.json", "tensors.safetensors"]
        meta = json.loads(zf.read("meta.json"))
        (tmp_path / "t.safetensors").write_bytes(zf.read("tensors.safetensors"))
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["skmts_version"] == skmts.__version__
    assert meta["torch_version"] == torch.__version__
    assert meta["estimator"]["$estimator"]["class"] == "skmts.EndToEndClassifier"
    with safe_open(tmp_path / "t.safetensors", framework="pt") as f:
        assert any(k.endswith(":head.linear.weight") for k in f.keys())

    def boom(*args, **kwargs):
        raise AssertionError("loading must not unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, boom)
    monkeypatch.setattr(torch, "load", boom)
    monkeypatch.setattr("builtins.eval", boom)
    monkeypatch.setattr("builtins.exec", boom)
    loaded = load(path)
    monkeypatch.undo()
    _same(loaded.predict_proba(X), est.predict_proba(X))


# ---- refusing files -------------------------------------------------------------------
def _rewrite(src, dst, edit):
    with zipfile.ZipFile(src) as zf:
        meta, blob = json.loads(zf.read("meta.json")), zf.read("tensors.safetensors")
    edit(meta)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("meta.json", json.dumps(meta))
        zf.writestr("tensors.safetensors", blob)
    return dst


@pytest.fixture(scope="module")
def saved(frozen, tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "saits.skmts"
    save(EndToEndClassifier(FrozenEstimator(frozen["saits"]), freeze=True), path)
    return path


@pytest.mark.parametrize("version", ["0.0.9", "1.1.0", "banana"])
def test_other_skmts_version_is_refused(version, saved, tmp_path):
    path = _rewrite(saved, tmp_path / "old.skmts",
                    lambda m: m.update(skmts_version=version))
    with pytest.raises(ValueError, match=rf"old\.skmts was saved by skmts {version}; "
                                         rf"this is skmts {skmts.__version__}"):
        load(path)


def test_same_minor_version_loads(saved, tmp_path):
    major, minor = skmts.__version__.split(".")[:2]
    path = _rewrite(saved, tmp_path / "patch.skmts",
                    lambda m: m.update(skmts_version=f"{major}.{minor}.99"))
    assert isinstance(load(path), EndToEndClassifier)


def test_unknown_format_version_is_refused(saved, tmp_path):
    path = _rewrite(saved, tmp_path / "future.skmts", lambda m: m.update(format_version=99))
    with pytest.raises(ValueError, match=r"future\.skmts uses skmts file format version 99.*"
                                         rf"this skmts {skmts.__version__} reads format "
                                         rf"version {FORMAT_VERSION}"):
        load(path)


def _node(meta):
    return meta["estimator"]["$estimator"]


@pytest.mark.parametrize("edit, match", [
    (lambda m: _node(m).update({"class": "os.system"}), "'os.system' is not one that skmts"),
    (lambda m: _node(m)["params"]["backbone"]["$estimator"].update(
        {"class": "sklearn.linear_model.LogisticRegression"}), "LogisticRegression' is not one"),
    (lambda m: _node(m)["params"].update({"evil": 1}), r"unknown parameters \['evil'\]"),
    (lambda m: _node(m)["params"].update({"head": {"$pickle": "gASV"}}), "unknown value tag"),
    (lambda m: _node(m)["params"]["backbone"]["$estimator"]["params"]["estimator"]
     ["$estimator"]["state"].update({"__class__": "x"}), "bad fitted attribute name"),
    (lambda m: _node(m)["params"]["backbone"]["$estimator"]["params"]["estimator"]
     ["$estimator"]["state"]["model_"]["$pypots"]["model"].update({"backbone": "os"}),
     "'os' is not one of skmts's backbones"),
])
def test_malicious_or_foreign_content_is_refused(edit, match, saved, tmp_path):
    path = _rewrite(saved, tmp_path / "bad.skmts", edit)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert "bad.skmts" in str(info.value)


def test_corrupt_files_are_refused_with_their_name(saved, tmp_path):
    junk = tmp_path / "junk.skmts"
    junk.write_bytes(b"\x80\x04 not a zip at all")
    with pytest.raises(ValueError, match=r"junk\.skmts is not an skmts estimator file"):
        load(junk)
    truncated = tmp_path / "truncated.skmts"
    truncated.write_bytes(saved.read_bytes()[:-200])
    with pytest.raises(ValueError, match=r"truncated\.skmts"):
        load(truncated)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("meta.json", "{}")
        zf.writestr("tensors.safetensors", b"")
    with pytest.raises(ValueError, match=r"other\.zip is not an skmts estimator file"):
        load(other)
    with zipfile.ZipFile(saved) as zf:
        meta = zf.read("meta.json")
    bad_tensors = tmp_path / "bad_tensors.skmts"
    with zipfile.ZipFile(bad_tensors, "w") as zf:
        zf.writestr("meta.json", meta)
        zf.writestr("tensors.safetensors", b"garbage" * 10)
    with pytest.raises(ValueError, match=r"bad_tensors\.skmts is not a valid skmts"):
        load(bad_tensors)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.skmts")


def test_unsupported_objects_are_refused_at_save(tmp_path):
    with pytest.raises(TypeError, match="LogisticRegression"):
        save(LogisticRegression(), tmp_path / "x.skmts")
    est = EndToEndClassifier(FrozenEstimator(LogisticRegression()))
    with pytest.raises(TypeError, match=r"EndToEndClassifier\.backbone\.estimator is a "
                                        r"sklearn.linear_model"):
        save(est, tmp_path / "x.skmts")
    with pytest.raises(TypeError, match=r"DMAETransformer\.d_model: an object of type "
                                        r"builtins.object"):
        save(DMAETransformer(d_model=object()), tmp_path / "x.skmts")
    from skorch.callbacks import EpochScoring

    head = LinearHeadClassifier(callbacks=[EpochScoring("accuracy")])
    with pytest.raises(TypeError, match=r"LinearHeadClassifier\.callbacks\.0: .*EpochScoring"
                                        r".*callbacks=None"):
        save(head, tmp_path / "x.skmts")
    assert not (tmp_path / "x.skmts").exists()


# ---- a model trained on a GPU, loaded without one -------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_cuda_trained_model_loads_and_predicts_on_the_cpu(frozen, data, tmp_path):
    X, y, _, _ = data
    backbone = copy.deepcopy(frozen["grud"])
    est = EndToEndClassifier(FrozenEstimator(backbone), LinearHeadClassifier(**HEAD),
                             random_state=0).fit(X, y)
    dmae = _dmae().fit(X)
    expected = {id(est): (est.transform(X), est.predict_proba(X)),
                id(dmae): (dmae.transform(X), None)}
    # now make them look as if fitted on a GPU machine (device="cuda" everywhere)
    est.set_params(device="cuda:0")
    est.net_.device = "cuda:0"
    for b in (backbone, est.backbone_):
        b.set_params(device="cuda")
        b.device_ = "cuda:0"
        b.model_.device = torch.device("cuda:0")
    dmae.set_params(device="cuda")
    dmae.net_.device = "cuda"
    for original in (est, dmae):
        with pytest.warns(UserWarning, match="no CUDA, so they were loaded on the CPU"):
            loaded = _round_trip(original, tmp_path)
        assert loaded.get_params(deep=False)["device"] == original.device  # kept as saved
        assert loaded.net_.device == "cpu"
        features, proba = expected[id(original)]
        _same(loaded.transform(X), features)
        if proba is not None:
            _same(loaded.predict_proba(X), proba)
            for inner in (loaded.backbone.estimator, loaded.backbone_):
                assert inner.device_ == "cpu" and str(inner.model_.device) == "cpu"
                assert inner.get_params()["device"] == "cuda"


# ---- pickle and joblib keep working, without torch.load(weights_only=False) ------------
@pytest.mark.parametrize("name", ["saits", "csai"])
def test_pickle_and_joblib_of_frozen_imputer(name, frozen, data, tmp_path, monkeypatch):
    X = data[0]
    est = frozen[name]
    real_load = torch.load

    def weights_only_load(*args, **kwargs):
        assert kwargs.get("weights_only") is True, kwargs
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", weights_only_load)
    loaded = pickle.loads(pickle.dumps(est))
    _same(loaded.transform(X), est.transform(X))
    joblib.dump(est, tmp_path / "est.joblib")
    _same(joblib.load(tmp_path / "est.joblib").transform(X), est.transform(X))
    assert copy.deepcopy(est).model_ is not est.model_


def test_pickles_of_earlier_skmts_still_load(frozen, data):
    # before skmts.io, the pickle held the whole PyPOTS model (cached backbones on disk)
    from skmts._persist._pypots import load_saved_model as _load_model
    from skmts.representation._frozen import _SavedModel  # the class path old pickles name

    est = frozen["brits"]
    buf = io.BytesIO()
    torch.save(est.model_, buf)
    state = est.__getstate__()
    state["model_"] = _SavedModel.__new__(_SavedModel)
    vars(state["model_"]).update(data=buf.getvalue(), device="cpu")  # no `spec`
    old = FrozenImputerTransformer.__new__(FrozenImputerTransformer)
    old.__setstate__(state)
    _same(old.transform(data[0]), est.transform(data[0]))
    model, device = _load_model(est.__getstate__()["model_"])
    assert device == "cpu" and type(model) is type(est.model_)
