"""Inference streams through a panel in row chunks: same features as in one piece."""

import numpy as np
import pytest

from skmts import DMAETransformer
from skmts.training import _recipe


@pytest.mark.parametrize("make", [
    lambda: DMAETransformer(d_model=8, n_heads=2, n_layers=1, d_ff=16, max_epochs=1,
                            random_state=0),
    pytest.param(lambda: __import__("skmts").FrozenImputerTransformer(
        backbone_params={"d_model": 8, "n_heads": 2, "d_ffn": 16}, max_epochs=1,
        random_state=0), id="frozen-saits"),
])
def test_chunked_transform_equals_one_piece(make, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(23, 16, 3))
    X[3, 4:9, 1] = np.nan
    emb = make().fit(X)
    whole = emb.transform(X)
    monkeypatch.setattr(_recipe, "CHUNK_ROWS", 5)
    sizes = []
    original = _recipe.in_chunks

    def spy(fn, panel, rows=None):
        def counted(part):
            sizes.append(part.n_samples)
            return fn(part)
        return original(counted, panel, rows)

    monkeypatch.setattr(_recipe, "in_chunks", spy)
    chunked = emb.transform(X)
    assert sizes == [5, 5, 5, 5, 3]  # the inputs were built a chunk at a time
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
