"""Tests for the PyPOTS backbone table and its helpers."""


import numpy as np
import pytest
import torch

from skmts.backbones._inputs import _deltas, _last_obs, _reverse
from skmts.backbones._pypots import BACKBONES, build_pypots_model, get_spec, spec_for_model
from skmts.backbones._quiet import import_pypots

pytest.importorskip("pypots")


@pytest.fixture(scope="module")
def values():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 12, 3)).astype(np.float32)
    X[rng.random(X.shape) < 0.3] = np.nan
    return X


def test_table_has_the_six_backbones_of_the_paper():
    assert set(BACKBONES) == {"saits", "transformer", "timesnet", "brits", "grud", "csai"}
    imputation = import_pypots()
    for spec in BACKBONES.values():
        assert hasattr(imputation, spec.name)
        assert spec.latent in {"per_step", "rnn", "birnn"}
        assert len(spec.hooks) == (2 if spec.latent == "birnn" else 1)


@pytest.mark.parametrize("name, key", [("SAITS", "saits"), ("GRU-D", "grud"), ("Csai", "csai")])
def test_get_spec_is_case_insensitive(name, key):
    assert get_spec(name) is BACKBONES[key]


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"backbone='rnn' is not a known backbone.*'brits'"):
        get_spec("rnn")


def test_input_helpers_match_pypots(values):
    from pypots.data.utils import parse_delta
    from pypots.imputation.csai.data import compute_last_obs

    mask = (~np.isnan(values)).astype(np.float32)
    np.testing.assert_allclose(_deltas(mask), parse_delta(mask))
    expected = np.stack(
        [np.nan_to_num(compute_last_obs(values[i], mask[i] > 0)) for i in range(len(values))]
    )
    np.testing.assert_allclose(_last_obs(np.nan_to_num(values), mask), expected)


def test_reverse_within_length_keeps_padding_at_the_end():
    a = np.arange(2 * 5, dtype=np.float32).reshape(2, 5, 1)
    out = _reverse(a, np.array([5, 3]), within_length=True)[..., 0]
    np.testing.assert_array_equal(out, [[4, 3, 2, 1, 0], [7, 6, 5, 8, 9]])
    np.testing.assert_array_equal(_reverse(a, np.array([5, 3]), within_length=False), a[:, ::-1])


def test_each_model_gets_its_own_optimizer():
    # PyPOTS's default optimizer is one shared object: build A, build B, then fit A and
    # neither trains. skmts passes a fresh Adam per model.
    kw = dict(n_steps=8, n_features=2, backbone_params={"rnn_hidden_size": 4}, epochs=2,
              patience=None, batch_size=4, lr=1e-2, device="cpu", verbose=0)
    a = build_pypots_model("grud", **kw)
    b = build_pypots_model("grud", **kw)
    assert a.optimizer is not b.optimizer
    before = {k: v.clone() for k, v in a.model.state_dict().items()}
    a.fit({"X": np.random.default_rng(0).normal(size=(8, 8, 2)).astype(np.float32)})
    after = a.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_spec_for_model_refuses_unsupported_pypots_models():
    imputation = import_pypots()
    model = imputation.LOCF()
    with pytest.raises(ValueError, match="PyPOTS LOCF model, which skmts cannot read a latent"):
        spec_for_model(model)
