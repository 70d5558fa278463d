"""The label-free ``score`` of the representation transformers is a fixed reference task:
candidates trained on different masking tasks are scored on the same hidden values."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skmts import DMAETransformer, FrozenImputerTransformer
from skmts.representation import _dmae, _frozen

TINY = dict(d_model=8, n_heads=2, n_layers=1, d_ff=16, n_conv_blocks=1, max_epochs=2,
            batch_size=8, random_state=0)


def _recording(monkeypatch, module, name):
    original = getattr(module, name)
    calls = []

    def record(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append((args, kwargs, out))
        return out

    monkeypatch.setattr(module, name, record)
    return calls


def test_grid_search_over_mask_ratio_scores_every_candidate_on_the_same_mask(panel,
                                                                              monkeypatch):
    calls = _recording(monkeypatch, _dmae, "score_mask")
    search = GridSearchCV(DMAETransformer(**TINY), {"mask_ratio": [0.15, 0.5]}, cv=2)
    search.fit(panel)
    assert len(calls) == 4  # 2 candidates x 2 test folds
    by_fold = {}
    for args, _, mask in calls:
        fold = args[0].values.tobytes()  # the test fold's panel
        by_fold.setdefault(fold, []).append((args[1:], mask))
    assert len(by_fold) == 2
    for (task_a, mask_a), (task_b, mask_b) in by_fold.values():
        assert task_a == task_b == (0.3, 3.0, _dmae.seed_from(0), False)  # the reference
        assert mask_a.equal(mask_b)  # identical hidden positions for both candidates
    assert search.best_params_["mask_ratio"] in (0.15, 0.5)


def test_dmae_score_ignores_the_estimators_own_masking_and_seed(panel):
    a = DMAETransformer(**TINY).fit(panel)
    b = DMAETransformer(**{**TINY, "mask_ratio": 0.2, "mean_span": 1, "patch_len": 4,
                           "mask_per_channel": True, "random_state": 3, "batch_size": 3})
    b.fit(panel)
    panel_ = a._check_panel(panel)
    mask = _dmae.score_mask(panel_, 0.3, 3.0, _dmae.seed_from(0))
    assert mask.shape == panel.shape and bool((mask == mask[..., :1]).all())  # whole steps
    assert a.score(panel) == a.score(panel, mask_ratio=0.3, mean_span=3, random_state=0)
    assert a.score(panel) != a.score(panel, mask_ratio=0.5)
    assert a.score(panel) != a.score(panel, per_channel=True)
    assert np.isfinite(b.score(panel)) and b.score(panel) == b.score(panel)
    with pytest.raises(ValueError, match="mask_ratio"):
        a.score(panel, mask_ratio=1.0)
    with pytest.raises(ValueError, match="mean_span"):
        a.score(panel, mean_span=0.5)


def test_frozen_imputer_score_hides_the_same_values_whatever_its_missing_rate(panel,
                                                                               monkeypatch):
    common = dict(backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16}, max_epochs=1,
                  batch_size=8)
    a = FrozenImputerTransformer(**common, missing_rate=0.1, random_state=0).fit(panel)
    b = FrozenImputerTransformer(**common, missing_rate=0.4, missing_pattern="seq",
                                 random_state=1).fit(panel)
    calls = _recording(monkeypatch, _frozen, "scoring_mask")
    assert np.isfinite(a.score(panel)) and np.isfinite(b.score(panel))
    (args_a, _, masked_a), (args_b, _, masked_b) = calls
    assert args_a[1:] == args_b[1:] == ("mcar", 0.1, _frozen.seed_from(0))
    np.testing.assert_array_equal(np.isnan(masked_a), np.isnan(masked_b))
    hidden = ~np.isnan(panel) & np.isnan(masked_a)
    assert 0.03 < hidden.sum() / (~np.isnan(panel)).sum() < 0.2  # about 10 % of the observed
    assert a.score(panel) != a.score(panel, missing_rate=0.3, missing_pattern="block")
    with pytest.raises(ValueError, match="missing_pattern"):
        a.score(panel, missing_pattern="mnar")
