"""Run every script in examples/ as a user would, and check that it succeeds.

Marked slow (each example trains real models for up to a minute): CI deselects them with
``-m "not slow"``; run them on demand with ``pytest -m slow tests/test_examples.py``.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))


def test_examples_are_found():
    # guards against the parametrization below silently collecting nothing
    assert {p.name for p in EXAMPLES} >= {
        "checkpoint_callback.py",
        "compare_from_python.py",
        "dmae_classification.py",
        "frozen_imputer.py",
        "grid_search_heads.py",
        "modular_vs_end_to_end.py",
        "optuna_modular_vs_end_to_end.py",
        "ragged_series.py",
        "sktime_benchmark.py",
    }


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script, tmp_path):
    env = dict(os.environ)
    # On a machine shared with other jobs, torch's OpenMP threads spin-wait for each
    # other and a 2-thread run can be several times slower than a 1-thread run; one
    # thread keeps the examples within their time budget there (a user's setting wins).
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,  # examples must not depend on the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )
    assert "accuracy" in result.stdout, f"{script.name} printed no result:\n{result.stdout}"
