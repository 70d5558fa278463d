"""A fitted FrozenImputerTransformer encodes series longer than the ones it was fitted on."""

import numpy as np
import pytest

pytest.importorskip("pypots")

from skmts import FrozenImputerTransformer  # noqa: E402

TINY = {"d_model": 8, "n_heads": 2, "d_ffn": 16}


@pytest.mark.parametrize("pooling", ["mean", "max", "last"])
def test_longer_series_are_encoded_by_windows(pooling):
    rng = np.random.default_rng(1)
    X = [rng.normal(size=(n, 2)) for n in (12, 10, 12, 9, 11, 12, 8, 12)]
    emb = FrozenImputerTransformer("saits", backbone_params=TINY, max_epochs=1, batch_size=8,
                                   pooling=pooling, random_state=0).fit(X)
    assert emb.n_steps_ == 12
    short, long_ = rng.normal(size=(9, 2)), rng.normal(size=(29, 2))
    both = emb.transform([short, long_])
    assert both.shape == (2, emb.transform([short]).shape[1]) and np.isfinite(both).all()
    # a series that fits gets exactly the features it gets without a longer one beside it
    np.testing.assert_allclose(both[0], emb.transform([short])[0], rtol=1e-5, atol=1e-6)
    # windows of 12 steps, half overlapping, the last one ending with the series
    windows = [long_[s:s + 12] for s in (0, 6, 12, 17)]
    per_window = emb.transform(windows)
    expected = {"mean": per_window.mean(0), "max": per_window.max(0),
                "last": per_window[-1]}[pooling]
    np.testing.assert_allclose(both[1], expected, rtol=1e-5, atol=1e-6)


def test_a_pipeline_predicts_on_longer_test_series():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(2)
    X = [rng.normal(size=(12, 2)) + (i % 2) for i in range(12)]
    y = np.array([0, 1] * 6)
    pipe = make_pipeline(FrozenImputerTransformer("saits", backbone_params=TINY, max_epochs=1,
                                                  random_state=0), LogisticRegression())
    pipe.fit(X, y)
    X_test = [rng.normal(size=(n, 2)) + (i % 2) for i, n in enumerate((12, 29, 15, 7))]
    assert pipe.predict(X_test).shape == (4,)
