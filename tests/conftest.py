import numpy as np
import pytest
import torch

# Tiny models gain nothing from a second thread, and on a busy 2-core machine two
# threads per process make them several times slower: the suite runs on one.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def panel(rng):
    """12 series x 16 steps x 3 channels with a few missing values."""
    X = rng.normal(size=(12, 16, 3))
    X[0, 3, 1] = np.nan
    X[5, 10:13, 0] = np.nan
    return X


@pytest.fixture
def ragged(rng):
    return [rng.normal(size=(n, 3)) for n in (16, 9, 12, 5, 16, 7, 11, 14)]
