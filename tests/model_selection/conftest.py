import os
import sys

import numpy as np
import pytest

TINY_DMAE = {"d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 16, "max_epochs": 2,
             "n_conv_blocks": 0}


def make_panel(n=32, seed=0):
    """Two classes told apart by frequency: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.array(["slow", "fast"] * (n // 2))
    t = np.arange(16)
    freq = np.where(y == "fast", 0.9, 0.25)[:, None]
    X = np.stack([np.sin(freq * t + rng.uniform(0, 6, size=(n, 1))),
                  rng.normal(scale=0.3, size=(n, 16))], axis=-1)
    return X, y


@pytest.fixture
def tiny():
    X, y = make_panel(32, 0)
    X_test, y_test = make_panel(16, 1)
    return X, y, X_test, y_test


@pytest.fixture
def data_file(tmp_path):
    """An .npz file of a tiny panel with labels, for the command line."""
    X, y = make_panel(40, 0)
    path = tmp_path / "tiny.npz"
    np.savez(path, X=X, y=y)
    return path


def tiny_args(output, *extra):
    """Command-line arguments of a quick comparison on a tiny panel."""
    import json

    return ["--backbone-params", json.dumps({"dmae": TINY_DMAE}), "--head-epochs", "5",
            "--cv", "2", "--trials", "2", "--label-fractions", "1", "--output", str(output),
            "--quiet", *extra]


def cli_env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), *sys.path])
    return env
