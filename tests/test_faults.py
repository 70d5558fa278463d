"""What skmts promises when things go wrong: Ctrl-C, NaN losses, GPU out of memory, and
the ``callbacks`` parameter (its order and its copies)."""

import os
import signal
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, EarlyStopping

from skmts import DMAETransformer, EndToEndClassifier, FrozenImputerTransformer
from skmts.heads import LinearHeadClassifier
from skmts.training import extra_callbacks

TINY = dict(d_model=8, n_heads=2, n_layers=1, d_ff=16, n_conv_blocks=1, batch_size=8,
            random_state=0)
INTERRUPTED = "interrupted"


class CtrlC(Callback):
    """Sends a real SIGINT (what Ctrl-C does) at the end of epoch ``at``."""

    def __init__(self, at=2):
        self.at = at

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at:
            os.kill(os.getpid(), signal.SIGINT)


class Stop(Callback):
    """Stops training the skorch way (a KeyboardInterrupt raised by a callback)."""

    def __init__(self, at=2):
        self.at = at

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at:
            raise KeyboardInterrupt


class Recorder(Callback):
    """Records the callbacks' names and the epochs whose end it saw."""

    def __init__(self, tag="rec"):
        self.tag = tag

    def on_train_begin(self, net, **kwargs):
        self.names_ = [name for name, _ in net.callbacks_]
        self.epochs_ = []

    def on_epoch_end(self, net, **kwargs):
        self.epochs_.append(len(net.history))


def _interrupt_warnings(record):
    return [str(w.message) for w in record if INTERRUPTED in str(w.message)]


@pytest.fixture
def features():
    X = np.random.default_rng(0).normal(size=(40, 3))
    return X, np.array([0, 1] * 20)


# ---- Ctrl-C -----------------------------------------------------------------------------
def test_ctrl_c_during_dmae_fit_warns_and_keeps_a_usable_estimator(panel):
    with pytest.warns(UserWarning, match=r"DMAETransformer.fit interrupted at epoch 2 of 10; "
                                         r"the estimator holds the weights trained so far"):
        est = DMAETransformer(**TINY, max_epochs=10, callbacks=[CtrlC(2)]).fit(panel)
    assert len(est.history_) == 2
    assert not est.module_.training  # BatchNorm recalibrated, eval mode
    Z = est.transform(panel)
    assert Z.shape == (12, 32) and np.isfinite(Z).all()
    assert np.isfinite(est.score(panel)) and not np.isnan(est.impute(panel)).any()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_during_head_and_end_to_end_fit(panel, features):
    X, y = features
    with pytest.warns(UserWarning, match="LinearHeadClassifier.fit interrupted at epoch 3"):
        head = LinearHeadClassifier(max_epochs=20, patience=None, callbacks=[CtrlC(3)],
                                    random_state=0).fit(X, y)
    assert head.n_epochs_ == 3 and np.isfinite(head.predict_proba(X)).all()

    y12 = np.array(["a", "b"] * 6)
    backbone = DMAETransformer(**TINY, max_epochs=1)
    with pytest.warns(UserWarning, match="EndToEndClassifier.fit interrupted at epoch 2"):
        clf = EndToEndClassifier(backbone, head=LinearHeadClassifier(max_epochs=10),
                                 callbacks=[CtrlC(2)], random_state=0).fit(panel, y12)
    assert clf.n_epochs_ == 2 and np.isfinite(clf.predict_proba(panel)).all()


def test_ctrl_c_while_end_to_end_pretrains_its_backbone_raises(panel):
    y12 = np.array(["a", "b"] * 6)
    backbone = DMAETransformer(**TINY, max_epochs=10, callbacks=[CtrlC(2)])
    clf = EndToEndClassifier(backbone, head=LinearHeadClassifier(max_epochs=2), random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt, match="while pretraining its backbone"):
            clf.fit(panel, y12)
    assert _interrupt_warnings(record) == []  # the backbone's warning is not shown
    with pytest.raises(NotFittedError):
        clf.predict(panel)


def test_early_stopping_and_callback_stops_do_not_warn(panel, features):
    X, y = features
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = DMAETransformer(**TINY, max_epochs=30, patience=1, lr=1e-6,
                              validation_fraction=0.2).fit(panel)
        head = LinearHeadClassifier(max_epochs=200, patience=2, random_state=0).fit(X, y)
        stopped = LinearHeadClassifier(max_epochs=20, patience=None, callbacks=[Stop(4)],
                                       random_state=0).fit(X, y)
    assert 2 <= len(est.history_) < 30 and head.n_epochs_ < 200 and stopped.n_epochs_ == 4
    assert _interrupt_warnings(record) == []


def test_interrupt_guard_still_turns_ctrl_c_into_an_interrupt(features):
    from skmts.model_selection._study import interrupt_guard

    X, y = features
    head = LinearHeadClassifier(max_epochs=20, patience=None, random_state=0, callbacks=[CtrlC(2)])
    with pytest.raises(KeyboardInterrupt), interrupt_guard():
        head.fit(X, y)
    with pytest.raises(NotFittedError):  # no half-fitted estimator left behind
        head.predict(X)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("at_batch", [1, 6])  # during epoch 1 (no best epoch) or later
def test_ctrl_c_during_pypots_pretraining_raises_and_leaves_it_unfitted(panel, monkeypatch,
                                                                         at_batch):
    from pypots.imputation import SAITS

    original = SAITS._assemble_input_for_training
    calls = []

    def assemble(self, data):
        calls.append(1)
        if len(calls) == at_batch:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, data)

    params = dict(backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16}, max_epochs=10,
                  batch_size=4, validation_fraction=0.0, patience=None, random_state=0)
    est = FrozenImputerTransformer(**{**params, "max_epochs": 1}).fit(panel)  # fitted before
    monkeypatch.setattr(SAITS, "_assemble_input_for_training", assemble)
    with pytest.raises(KeyboardInterrupt, match="left unfitted"):
        est.set_params(max_epochs=10).fit(panel)
    assert not [k for k in vars(est) if k.endswith("_")]  # no stale fitted attribute
    with pytest.raises(NotFittedError):
        est.transform(panel)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ---- NaN / inf losses -------------------------------------------------------------------
def test_nan_loss_stops_dmae_with_the_epoch_and_batch(panel, monkeypatch):
    import skmts.training._net as net_module

    original = net_module.dmae_losses
    calls = []

    def losses(*args, **kwargs):  # 12 series, batch 8: 2 batches per epoch
        calls.append(1)
        out = original(*args, **kwargs)
        if len(calls) >= 3:
            out["reconstruction"] = out["reconstruction"] * float("nan")
        return out

    monkeypatch.setattr(net_module, "dmae_losses", losses)
    est = DMAETransformer(**TINY, max_epochs=5)
    with pytest.raises(RuntimeError, match=r"DMAETransformer: training diverged: the training "
                                           r"loss is nan at epoch 2, batch 1\. Set a lower lr"):
        est.fit(panel)
    with pytest.raises(NotFittedError):
        est.transform(panel)


def test_diverging_head_and_end_to_end_raise(panel, features):
    X, y = features
    with pytest.raises(RuntimeError, match=r"LinearHeadClassifier: training diverged.*epoch "
                                           r"\d+, batch \d+.*lower lr \(it is 1e\+30"):
        LinearHeadClassifier(lr=1e30, max_epochs=20, random_state=0).fit(X * 1e3, y)
    y12 = np.array(["a", "b"] * 6)
    clf = EndToEndClassifier(DMAETransformer(**TINY, max_epochs=1),
                             head=LinearHeadClassifier(lr=1e30, max_epochs=20), random_state=0)
    with pytest.raises(RuntimeError, match=r"EndToEndClassifier: training diverged.*epoch "
                                           r"\d+.*backbone_lr"):
        clf.fit(panel * 1e3, y12)
    assert not hasattr(clf, "net_")


def test_non_finite_pypots_features_raise(panel, monkeypatch):
    def nan_features(self, panel):
        return np.full((panel.n_samples, self._n_features_out), np.nan, dtype=np.float32)

    monkeypatch.setattr(FrozenImputerTransformer, "encode_panel", nan_features)
    est = FrozenImputerTransformer(backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16},
                                   max_epochs=1, random_state=0)
    with pytest.raises(RuntimeError, match="FrozenImputerTransformer: the fitted PyPOTS SAITS "
                                           "gives non-finite features.*lower lr"):
        est.fit(panel)
    assert not hasattr(est, "model_")


# ---- CUDA out of memory at inference ----------------------------------------------------
def _oom_above(monkeypatch, cls, name, k):
    """``cls.<name>`` raises CUDA OOM for batches of more than ``k`` series."""
    original = getattr(cls, name)
    sizes = []

    def patched(self, *args, **kwargs):
        x = next(v for v in (*args, *kwargs.values()) if torch.is_tensor(v))
        sizes.append(len(x))
        if len(x) > k:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, patched)
    return sizes


def test_dmae_transform_retries_with_half_the_batch(monkeypatch, panel):
    from skmts.nn._dmae import DMAEModule

    est = DMAETransformer(**TINY, max_epochs=1).fit(panel)
    expected = est.transform(panel)
    sizes = _oom_above(monkeypatch, DMAEModule, "features", 3)
    with pytest.warns(UserWarning, match=r"DMAETransformer.transform ran out of GPU memory "
                                         r"with batch_size=256 .* batch_size=2"):
        Z = est.transform(panel)
    np.testing.assert_allclose(Z, expected, rtol=1e-5, atol=1e-6)
    assert max(sizes[-6:]) == 2  # the successful pass ran 2 series at a time
    with pytest.warns(UserWarning) as record:  # DMAE's batch_size does not set it
        est.transform(panel)
    assert "set batch_size" not in str(record[0].message)
    with pytest.warns(UserWarning, match="DMAETransformer.score ran out of GPU memory"):
        _oom_above(monkeypatch, DMAEModule, "forward", 3)
        assert np.isfinite(est.score(panel))

    _oom_above(monkeypatch, DMAEModule, "features", 0)  # nothing fits
    with pytest.raises(RuntimeError, match=r"DMAETransformer.transform ran out of GPU memory "
                                           r"even with batch_size=1.*device='cpu'"):
        est.transform(panel)


def test_frozen_encode_and_end_to_end_predict_retry(monkeypatch, panel):
    from skmts.backbones._latent import PyPOTSFeatureModule
    from skmts.nn._heads import EncoderWithHead

    est = FrozenImputerTransformer(backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16},
                                   max_epochs=1, batch_size=8, random_state=0).fit(panel)
    expected = est.transform(panel)
    _oom_above(monkeypatch, PyPOTSFeatureModule, "forward", 3)
    with pytest.warns(UserWarning, match=r"FrozenImputerTransformer.transform ran out of GPU "
                                         r"memory with batch_size=8 .* batch_size=2; "
                                         r"set batch_size=2 \(or lower\)"):
        np.testing.assert_allclose(est.transform(panel), expected, rtol=1e-5, atol=1e-6)

    y12 = np.array(["a", "b"] * 6)
    clf = EndToEndClassifier(DMAETransformer(**TINY, max_epochs=1),
                             head=LinearHeadClassifier(max_epochs=2), random_state=0)
    clf.fit(panel, y12)
    expected = clf.predict_proba(panel)
    batch_size = clf.net_.batch_size
    assert isinstance(clf.net_.module_, EncoderWithHead)
    _oom_above(monkeypatch, type(clf.net_.module_.encoder), "forward", 3)
    with pytest.warns(UserWarning, match="EndToEndClassifier.predict_proba ran out of GPU.*"
                                         "set the head's batch_size=2"):
        np.testing.assert_allclose(clf.predict_proba(panel), expected, rtol=1e-5, atol=1e-6)
    assert clf.net_.batch_size == batch_size  # restored


# ---- the callbacks parameter ------------------------------------------------------------
def test_user_callbacks_come_after_skmts_callbacks_and_before_extra_ones(panel):
    est = DMAETransformer(**TINY, max_epochs=30, patience=1, lr=1e-6, validation_fraction=0.2,
                          callbacks=[Recorder(), ("mine", Recorder("named"))])
    with extra_callbacks(Recorder("extra")):
        est.fit(panel)
    names = [name for name, _ in est.net_.callbacks_]
    rec = dict(est.net_.callbacks_)["Recorder"]
    assert rec.names_ == names
    order = ["clip", "lr", "ema", "finite_loss", "early_stopping", "Recorder", "mine",
             "extra_0", "stop_training"]
    assert [names.index(n) for n in order] == sorted(names.index(n) for n in order)
    # early stopping ended training, but only after every callback saw the last epoch
    n_epochs = len(est.history_)
    assert n_epochs < 30 and rec.epochs_ == list(range(1, n_epochs + 1))
    assert dict(est.net_.callbacks_)["extra_0"].epochs_ == rec.epochs_

    head = LinearHeadClassifier(max_epochs=3, callbacks=[Recorder()], random_state=0)
    head.fit(np.random.default_rng(0).normal(size=(40, 3)), np.array([0, 1] * 20))
    names = [name for name, _ in head.net_.callbacks_]
    assert names.index("early_stopping") < names.index("Recorder")


def test_each_fit_uses_fresh_copies_of_the_callbacks(features):
    X, y = features
    user = Recorder()
    callbacks = [user, ("es", EarlyStopping(monitor="train_loss", patience=50))]
    a = LinearHeadClassifier(max_epochs=2, callbacks=callbacks, random_state=0).fit(X, y)
    b = LinearHeadClassifier(max_epochs=3, callbacks=callbacks, random_state=0).fit(X, y)
    rec_a, rec_b = dict(a.net_.callbacks_)["Recorder"], dict(b.net_.callbacks_)["Recorder"]
    assert rec_a is not user and rec_b is not user and rec_a is not rec_b
    assert rec_a.epochs_ == [1, 2] and rec_b.epochs_ == [1, 2, 3]
    assert not hasattr(user, "epochs_") and a.callbacks[0] is user  # the parameter untouched

    search = GridSearchCV(LinearHeadClassifier(max_epochs=2, callbacks=callbacks,
                                               random_state=0),
                          {"lr": [1e-2, 1e-1]}, cv=2).fit(X, y)
    best = dict(search.best_estimator_.net_.callbacks_)["Recorder"]
    assert best is not user and not hasattr(user, "epochs_")
    assert clone(a).callbacks[0] is not user  # clones are independent


@pytest.mark.parametrize("bad, match", [
    ("checkpoint", "'callbacks' parameter"),
    ([Recorder(), 3], r"callbacks\[1\] is 3"),
    ([Recorder], r"an instance such as Recorder\(\), not the class"),
    ([("name", "x")], r"callbacks\[0\]"),
])
def test_bad_callbacks_are_refused_before_training(bad, match, panel, features):
    X, y = features
    with pytest.raises(ValueError, match=match):
        LinearHeadClassifier(callbacks=bad).fit(X, y)
    with pytest.raises(ValueError, match=match):
        DMAETransformer(**TINY, callbacks=bad).fit(panel)
    backbone = DMAETransformer(**TINY, max_epochs=1)
    with pytest.raises(ValueError, match=match):
        EndToEndClassifier(backbone, callbacks=bad).fit(panel, np.array(["a", "b"] * 6))
    assert not hasattr(backbone, "net_")  # refused before pretraining


def test_head_callbacks_come_with_the_head_into_end_to_end(panel):
    y12 = np.array(["a", "b"] * 6)
    head = LinearHeadClassifier(max_epochs=2, callbacks=[("from_head", Recorder())])
    for freeze in (False, True):
        clf = EndToEndClassifier(DMAETransformer(**TINY, max_epochs=1), head=head,
                                 freeze=freeze, callbacks=[("mine", Recorder())],
                                 random_state=0).fit(panel, y12)
        net = clf.head_.net_ if freeze else clf.net_
        names = [name for name, _ in net.callbacks_]
        assert names.index("early_stopping") < names.index("from_head") < names.index("mine")
