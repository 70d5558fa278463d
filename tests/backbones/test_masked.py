"""Pretraining masks come from PyGrinder in the chosen pattern (skmts.backbones._masked)."""

import numpy as np
import pytest

from skmts.backbones import _masked
from skmts.backbones._masked import training_masks
from skmts.representation._frozen import FrozenImputerTransformer

pytest.importorskip("pypots")

SAITS = {"d_model": 8, "n_heads": 2, "d_ffn": 16}


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 40, 8))
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


@pytest.fixture
def record(monkeypatch):
    """Every training set a masked-imputation pretraining draws, by epoch."""
    drawn = []
    original = _masked.PatternMaskedDataset.hidden

    def hidden(self, epoch):
        out = original(self, epoch)
        drawn.append((epoch, self.values, out))
        return out

    monkeypatch.setattr(_masked.PatternMaskedDataset, "hidden", hidden)
    return drawn


def _mean_run(hidden_now: np.ndarray) -> float:
    """Mean length of runs of newly hidden values along time, over all channels."""
    h = hidden_now.transpose(0, 2, 1).reshape(-1, hidden_now.shape[1]).astype(int)
    starts = np.diff(np.pad(h, ((0, 0), (1, 0))), axis=1) == 1
    return h.sum() / max(starts.sum(), 1)


def _fit(pattern, X, **kw):
    return FrozenImputerTransformer("saits", SAITS, max_epochs=3, batch_size=8,
                                    missing_pattern=pattern, missing_rate=0.3,
                                    random_state=0, **kw).fit(X)


def test_missing_pattern_changes_the_training_masks(record, panel):
    mcar = _fit("mcar", panel)
    mcar_masks = list(record)
    record.clear()
    block = _fit("block", panel)
    block_masks = list(record)

    assert [e for e, _, _ in mcar_masks] == [0, 1, 2]  # one fresh draw per epoch
    assert [e for e, _, _ in block_masks] == [0, 1, 2]
    runs = {}
    for name, masks in (("mcar", mcar_masks), ("block", block_masks)):
        shares, lengths = [], []
        for _, values, hidden in masks:
            new = ~np.isnan(values) & np.isnan(hidden)
            shares.append(new.sum() / (~np.isnan(values)).sum())
            lengths.append(_mean_run(new))
            assert np.array_equal(np.isnan(values), np.isnan(values) & np.isnan(hidden))
        np.testing.assert_allclose(np.mean(shares), 0.3, atol=0.06)
        runs[name] = np.mean(lengths)
    # block hides runs of 10 % of the length (4 steps) across channels; MCAR ~1.4
    assert runs["block"] > 2.5 > 1.6 > runs["mcar"]
    # and the backbone learned something different
    a, b = mcar.transform(panel), block.transform(panel)
    assert not np.allclose(a, b, atol=1e-4)


def test_training_masks_are_seeded_fresh_per_epoch_and_leave_global_rng(panel):
    state = np.random.get_state()
    first = training_masks(panel, 0.2, "seq", seed=3, epoch=0)
    again = training_masks(panel, 0.2, "seq", seed=3, epoch=0)
    later = training_masks(panel, 0.2, "seq", seed=3, epoch=1)
    other = training_masks(panel, 0.2, "seq", seed=4, epoch=0)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1])
    np.testing.assert_array_equal(np.isnan(first), np.isnan(again))
    assert not np.array_equal(np.isnan(first), np.isnan(later))
    assert not np.array_equal(np.isnan(first), np.isnan(other))
    assert np.isnan(panel).sum() < np.isnan(first).sum()  # the caller's data is untouched


def test_same_seed_same_masks_same_model(record, panel):
    a = _fit("seq", panel).transform(panel)
    b = _fit("seq", panel).transform(panel)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(record) == 6
    for (_, _, h1), (_, _, h2) in zip(record[:3], record[3:]):
        np.testing.assert_array_equal(np.isnan(h1), np.isnan(h2))


@pytest.mark.parametrize("name", ["brits", "grud"])
def test_rnn_backbones_keep_pypots_training(record, name, panel):
    FrozenImputerTransformer(name, {"rnn_hidden_size": 8}, max_epochs=2, batch_size=8,
                             missing_pattern="block", random_state=0).fit(panel)
    assert record == []


def test_validation_part_follows_the_shared_split_rule(panel, monkeypatch):
    seen = {}

    def spy(model, train_values, val_set, **kw):
        seen["n_train"], seen["n_val"] = len(train_values), len(val_set["X"])
        return original(model, train_values, val_set, **kw)

    from skmts.backbones import _pretrain
    original = _pretrain.fit_masked
    monkeypatch.setattr(_pretrain, "fit_masked", spy)
    FrozenImputerTransformer("saits", SAITS, max_epochs=1, validation_fraction=0.15,
                             random_state=0).fit(panel)
    assert seen == {"n_train": 13, "n_val": 3}  # ceil(0.15 * 16) = 3, as heads and DMAE
